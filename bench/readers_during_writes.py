"""Datasette answering while a crawl writes the archive it serves: requests, failures, latency.

    python bench/readers_during_writes.py [--articles 300] [--requests 500]

Serves a fresh archive with ``newsroom-archive serve`` and crawls a replica of N articles into it
(``--delay 0 --concurrency 8``) while one reader asks for the articles table, a table search,
the ranked search and the runs table in turn, until the crawl has ended and at least
``--requests`` answers came. Prints how many were answered 200, and the median and p95 time.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

from newsroom_replica import ReplicaServer, ReplicaSite
from newsroom_scraper.store import Archive

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["/newsroom/articles.json?_size=10", "/newsroom/articles?_search=stadt", "/newsroom/search.json?q=dortmund"]
PAGES.append("/newsroom/crawl_runs")


def fetch(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "newsroom.db"
        Archive(db).close()
        serve = subprocess.Popen(
            [sys.executable, "-m", "newsroom_scraper", "serve", "--db", str(db), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    fetch(base + "/-/versions.json")
                    break
                except OSError:
                    time.sleep(0.1)
            with ReplicaServer(ReplicaSite(args.articles, seed=3, newest=date.today())) as server:
                crawl = subprocess.Popen(
                    [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", f"{server.url}/newsroom/"]
                    + ["--db", str(db), "--delay", "0", "--concurrency", "8", "--log-level", "ERROR"],
                    stdout=subprocess.DEVNULL,
                    cwd=ROOT,
                )
                answers = []
                while crawl.poll() is None or len(answers) < args.requests:
                    answers.append(fetch(base + PAGES[len(answers) % len(PAGES)]))
                during = sum(1 for _ in answers)
        finally:
            serve.terminate()
            serve.wait()
    times = sorted(seconds for _, seconds in answers)
    ok = sum(status == 200 for status, _ in answers)
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"{ok} of {during} requests answered 200 while a crawl of {args.articles} articles wrote "
        f"(crawl exit {crawl.returncode}); median {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
