"""The raw evidence: WARC/WACZ written and read (warc/, the one package that touches WARC),
the archive rebuilt from captures (reparse.py), the Wayback Machine backfill (wayback.py), and
the process pool bulk work takes (pool.py)."""
