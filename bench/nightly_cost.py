"""What a nightly run costs the site: requests of a default run after new articles appeared.

    python bench/nightly_cost.py [--articles 3000] [--added 20] [--seed 1]

Starts ``newsroom-archive replica --articles N --log FILE`` on a free loopback port, crawls it
once into a fresh archive (a full walk: the archive is empty), publishes ``--added`` articles
through the replica's ``POST /_replica/add``, then runs

1. the default crawl (incremental discovery, re-checks by age), and
2. a run as every run was before incremental discovery and re-checks by age: every listing and
   search page, every article of the last 14 days re-checked (``--full-discovery --refresh-days 14``),
3. a default run the next night (``-s NEWSROOM_NOW=`` a day later): the re-checks then due,

and counts each run's requests in the replica's access log: discovery (robots.txt, sitemaps,
listings, search API), the added articles, and re-checks of archived articles; and how many
``related_links`` rows (the slider, stored per run) each run added. Every crawl is
``newsroom-archive crawl --delay 0 --concurrency 8`` in a child process; nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ARTICLE = re.compile(r"^/newsroom/(?:nachrichten-dortmund\.de|presse-mitteilungen|pressemitteilungen)/[^/?#]+\.html$")
COMMAND = [sys.executable, "-m", "newsroom_scraper"]


def start_replica(articles: int, seed: int, log: Path) -> tuple[subprocess.Popen, str]:
    """The replica in a child process, and its base URL once it listens."""
    replica = subprocess.Popen(
        [*COMMAND, "replica", "--port", "0", "--articles", str(articles), "--seed", str(seed), "--log", str(log)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert replica.stdout is not None
    line = replica.stdout.readline()  # "Replica newsroom: http://127.0.0.1:PORT/newsroom/ (N articles)"
    match = re.search(r"(http://127\.0\.0\.1:\d+)/newsroom/", line)
    if not match:
        replica.terminate()
        raise SystemExit(f"the replica did not start: {line!r}")
    return replica, match.group(1)


def crawl(base: str, db: Path, *options: str) -> tuple[str, float]:
    """One crawl to its end: (its report, seconds)."""
    started = time.monotonic()
    completed = subprocess.run(
        [*COMMAND, "crawl", "--start-url", base + "/newsroom/", "--db", str(db), "--delay", "0"]
        + ["--concurrency", "8", "--log-level", "WARNING", *options],
        capture_output=True,
        text=True,
    )
    if completed.returncode not in (0, 3):  # 3: drift alert, still a finished run
        raise SystemExit(f"crawl failed ({completed.returncode}):\n{completed.stdout}{completed.stderr}")
    return completed.stdout, time.monotonic() - started


def related_rows(db: Path) -> int:
    """Rows of related_links: the teaser slider, stored once per run for every article fetched in full."""
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM related_links").fetchone()[0])


def add_article(base: str) -> str:
    request = urllib.request.Request(base + "/_replica/add", data=b"{}", method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:  # loopback only: the replica
        return json.loads(answer.read())["path"]


def log_lines(log: Path) -> list[tuple[int, str, str]]:
    lines = []
    for line in log.read_text(encoding="utf-8").splitlines():
        status, method, path = line.split(" ", 2)
        lines.append((int(status), method, path))
    return lines


def count(lines: list[tuple[int, str, str]], added: set[str]) -> Counter[str]:
    """Requests by kind: discovery, added (new articles), rechecks (304 or 200 of archived ones)."""
    kinds: Counter[str] = Counter()
    for _status, method, path in lines:
        if method == "ADMIN":
            continue
        if not ARTICLE.match(path.split("?")[0]):
            kinds["discovery"] += 1
        elif path in added:
            kinds["added"] += 1
        else:
            kinds["rechecks"] += 1
        kinds["total"] += 1
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--added", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log, db = Path(tmp) / "access.log", Path(tmp) / "newsroom.db"
        replica, base = start_replica(args.articles, args.seed, log)
        try:
            print(f"replica: {args.articles} articles, seed {args.seed}, log {log.name}", flush=True)
            _, seconds = crawl(base, db)
            first = count(log_lines(log), set())
            print(f"first crawl (empty archive, full walk): {first['total']} requests, {seconds:.0f} s", flush=True)
            subprocess.run([*COMMAND, "backup", "--db", str(db), "--to", str(db) + ".copy"], capture_output=True)
            size = Path(str(db) + ".copy").stat().st_size  # the archive as one file (its WAL folded in)
            print(f"archive: {size / 1e6:.1f} MB, {size / args.articles / 1e3:.1f} kB per article", flush=True)
            related = related_rows(db)
            print(f"related_links after the first crawl: {related} rows ({related / args.articles:.1f} per article)")
            added = {add_article(base) for _ in range(args.added)}
            quoted = {urllib.request.quote(path) for path in added} | added
            tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat(timespec="seconds")
            runs = (
                ("default run", ()),
                (
                    "as before this issue (--full-discovery --refresh-days 14)",
                    ("--full-discovery", "--refresh-days", "14"),
                ),
                ("the night after (-s NEWSROOM_NOW=now+1 day)", ("-s", f"NEWSROOM_NOW={tomorrow}")),
            )
            for label, options in runs:
                mark = len(log_lines(log))
                report, seconds = crawl(base, db, *options)
                kinds = count(log_lines(log)[mark:], quoted)
                grown, related = related_rows(db) - related, related_rows(db)
                new = re.search(r"(\d+) new", report)
                print(
                    f"{label}: {kinds['total']} requests = {kinds['discovery']} discovery + "
                    f"{kinds['added']} added articles + {kinds['rechecks']} re-checks; "
                    f"{new.group(1) if new else '?'} new archived, {seconds:.1f} s; related_links +{grown} rows",
                    flush=True,
                )
        finally:
            replica.terminate()
            replica.wait(timeout=30)


if __name__ == "__main__":
    main()
