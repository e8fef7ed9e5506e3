"""Reparse speed and WARC size: a replica crawled with WARC on, then rebuilt from its WARC.

    .venv/bin/python bench/reparse.py [--articles N] [--rounds R] [--compare SRC]

Serves a replica of N articles on loopback, crawls it once (WARC on, the default), and prints
the WARC bytes per article (all files, and the article response records alone), then the time of
`reparse` into an empty archive (parse + store of every article) and of a second reparse into the
same archive (nothing changed: read + parse + compare). The target is 300 articles/s re-parsed
and stored (docs/benchmarks.md).

``--rounds R`` (R > 1 or with ``--compare``) then times ``newsroom-archive reparse`` into a fresh
archive R more times, each in its own process (the rate it prints); ``--compare SRC`` runs, in
the same rounds and interleaved, the ``newsroom_scraper/`` of another checkout (SRC on
PYTHONPATH, the process started in a temporary folder so that the cwd does not shadow it), and
prints this code's rate over that one's.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from datetime import date
from pathlib import Path

from newsroom_replica import ReplicaServer, ReplicaSite
from newsroom_scraper.evidence.reparse import reparse
from newsroom_scraper.evidence.warc import archive_files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--compare", type=Path, help="a folder holding another newsroom_scraper/ to compare with")
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
        if args.rounds > 1 or args.compare:
            rounds(warc, Path(tmp), args.rounds, args.compare)


def reparse_rate(warc: Path, db: Path, source: Path | None) -> float:
    """articles/s of one ``newsroom-archive reparse`` into a fresh archive, in its own process."""
    env = {**os.environ, "PYTHONPATH": str(source)} if source else None
    command = [sys.executable, "-m", "newsroom_scraper", "reparse", "--warc-dir", str(warc), "--db", str(db), "--quiet"]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env, cwd=db.parent).stdout
    match = re.search(r"\(([0-9]+) articles/s\)", out)
    assert match, out
    return float(match.group(1))


def rounds(warc: Path, tmp: Path, count: int, compare: Path | None) -> None:
    names = ["this code"] + (["compared (SRC)"] if compare else [])
    rates: dict[str, list[float]] = {name: [] for name in names}
    for number in range(count):
        for name in names if number % 2 == 0 else names[::-1]:
            folder = tmp / f"round-{number}-{len(rates[name])}-{name[:4]}"
            folder.mkdir()
            rates[name].append(reparse_rate(warc, folder / "rebuilt.db", compare if name != "this code" else None))
    print(f"reparse into a fresh archive, own process, {count} rounds interleaved:")
    for name, values in rates.items():
        print(
            f"  {name:16} median {statistics.median(values):6.0f} range {min(values):.0f}–{max(values):.0f} articles/s"
        )
    if compare:
        ratios = [a / b for a, b in zip(rates["this code"], rates["compared (SRC)"], strict=True)]
        print(f"  ratio this/SRC   median {statistics.median(ratios):.2f} range {min(ratios):.2f}–{max(ratios):.2f}")


if __name__ == "__main__":
    main()
