"""Crawl an unreliable replica twice and print what each run archived and recorded.

    python bench/faulty_crawl.py [--articles 300] [--seed 1] [--fail 0.10] [--throttle 0.05]
                                 [--timeouts 0.02] [--truncate 0.02] [--timeout 5]

The replica injects 5xx answers, 429 with ``Retry-After: 1``, hangs longer than the crawl's
``--timeout`` and cut bodies (half with an honest Content-Length), each drawn independently per
request from the seed. Each run is ``newsroom-archive crawl --delay 0 --concurrency 8 --timeout T``
in a child process. Prints, per run: articles archived (of all), failures recorded by kind,
open errors, wall time; then the faults the replica injected, and whether every archived
article equals what the replica served (no cut page stored).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from newsroom_replica import Faults, ReplicaServer, ReplicaSite
from newsroom_scraper.parser.text.urls import canonical_url

ROOT = Path(__file__).resolve().parents[1]


def crawl(url: str, db: Path, timeout: float) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", f"{url}/newsroom/", "--db", str(db)]
        + ["--delay", "0", "--concurrency", "8", "--timeout", str(timeout), "--log-level", "ERROR"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return time.perf_counter() - started, f"exit {completed.returncode}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fail", type=float, default=0.10)
    parser.add_argument("--throttle", type=float, default=0.05)
    parser.add_argument("--timeouts", type=float, default=0.02)
    parser.add_argument("--truncate", type=float, default=0.02)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    site = ReplicaSite(args.articles, seed=args.seed, newest=date.today())
    faults = Faults(
        args.fail, args.throttle, args.timeouts, args.truncate, seed=args.seed, hang_seconds=args.timeout + 1
    )
    expected = {canonical_url(url) for url in site.canonical_urls()}
    print(
        f"{args.articles} articles; faults per request: 5xx {args.fail:.0%}, 429 {args.throttle:.0%}, "
        f"hang {args.timeouts:.0%}, cut {args.truncate:.0%}; crawl --timeout {args.timeout:g}"
    )
    with tempfile.TemporaryDirectory() as tmp, ReplicaServer(site, faults=faults) as server:
        db = Path(tmp) / "faulty.db"
        for run in (1, 2):
            seconds, outcome = crawl(server.url, db, args.timeout)
            with sqlite3.connect(db) as conn:
                urls = {url for (url,) in conn.execute("select url from articles")}
                (stats,) = conn.execute("select stats from crawl_runs order by id desc limit 1").fetchone()
                (open_errors,) = conn.execute(
                    "select count(distinct url) from crawl_errors where resolved_at is null and kind != 'warning'"
                ).fetchone()
            kinds = {k.rsplit("/", 1)[1]: v for k, v in json.loads(stats).items() if k.startswith("newsroom/failures/")}
            archived = len(urls & expected)
            print(
                f"run {run}: {archived}/{len(expected)} articles ({archived / len(expected):.1%}), "
                f"failures recorded by kind {kinds or '{}'}, open errors {open_errors}, {seconds:.1f} s, {outcome}"
            )
        print(f"faults injected: {dict(faults.injected)}")
        with sqlite3.connect(db) as conn:
            stored = {url: text for url, text in conn.execute("select url, body_text from articles")}
        wrong = [
            p for p in site.article_paths() if stored.get(site.expected(p)["url"]) != site.expected(p)["body_text"]
        ]
        print(f"articles differing from what the replica served: {len(wrong)}")


if __name__ == "__main__":
    main()
