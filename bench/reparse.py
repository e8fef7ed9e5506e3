"""Reparse speed and WARC size: a replica crawled with WARC on, then rebuilt from its WARC.

    .venv/bin/python bench/reparse.py [--articles N]

Serves a replica of N articles on loopback, crawls it once (WARC on, the default), and prints
the WARC bytes per article (all files, and the article response records alone), then the time of
`reparse` into an empty archive (parse + store of every article) and of a second reparse into the
same archive (nothing changed: read + parse + compare). The target is 300 articles/s re-parsed
and stored (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from datetime import date
from pathlib import Path

from newsroom_replica import ReplicaServer, ReplicaSite
from newsroom_scraper.reparse import reparse
from newsroom_scraper.warc import archive_files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        ReplicaServer(ReplicaSite(args.articles, seed=3, newest=date.today())) as server,
    ):
        db = Path(tmp) / "crawl" / "newsroom.db"
        start = time.perf_counter()
        crawl = [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", f"{server.url}/newsroom/"]
        options = ["--db", str(db), "--delay", "0", "--concurrency", "16", "--log-level", "WARNING"]
        subprocess.run([*crawl, *options], check=True, capture_output=True)
        crawled = time.perf_counter() - start
        warc = db.parent / "warc"
        with closing(sqlite3.connect(db)) as conn:
            articles, record_bytes = conn.execute(
                "select count(distinct article_id), sum(warc_length) from captures where status = 200"
            ).fetchone()
        total = sum(p.stat().st_size for p in archive_files(warc))
        print(f"{articles} articles crawled in {crawled:.1f} s with WARC on")
        print(
            f"WARC: {total / 1e6:.1f} MB in {len(archive_files(warc))} file(s), {total / articles / 1024:.1f} KB/article"
        )
        print(f"  article response records alone: {record_bytes / articles / 1024:.1f} KB/article (gzip per record)")
        for label, target in (
            ("into an empty archive", Path(tmp) / "rebuilt.db"),
            ("again (unchanged)", Path(tmp) / "rebuilt.db"),
        ):
            report = reparse(warc, target)
            rate = report.articles / report.seconds
            print(f"reparse {label:22} {report.articles} articles in {report.seconds:5.2f} s: {rate:6.0f} articles/s")


if __name__ == "__main__":
    main()
