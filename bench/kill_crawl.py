"""Kill a crawl with SIGKILL twice mid-write, then let it finish: is the archive whole?

    python bench/kill_crawl.py [--articles 600] [--kills 2] [--seed 1]

Each killed run is ``newsroom-archive crawl`` in a child process, killed once the archive holds
a further ~third of the site. Then one run goes to the end. Prints the articles, duplicate URLs,
``PRAGMA integrity_check``, the FTS index's ``integrity-check``, articles with more than one
version (none expected: the site did not change) and how the killed runs are recorded.
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from newsroom_replica import ReplicaServer, ReplicaSite
from newsroom_scraper.store import Archive

ROOT = Path(__file__).resolve().parents[1]


def command(url: str, db: Path) -> list[str]:
    return [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", f"{url}/newsroom/", "--db", str(db)] + [
        "--delay",
        "0",
        "--concurrency",
        "8",
        "--log-level",
        "ERROR",
    ]


def count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    site = ReplicaSite(args.articles, seed=args.seed, newest=date.today())
    with tempfile.TemporaryDirectory() as tmp, ReplicaServer(site) as server:
        db = Path(tmp) / "killed.db"
        for kill in range(1, args.kills + 1):
            target = args.articles * kill // (args.kills + 1)
            process = subprocess.Popen(command(server.url, db), cwd=ROOT, stdout=subprocess.DEVNULL)
            while count(db) < target and process.poll() is None:
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait()
            print(f"kill {kill}: SIGKILL with {count(db)} articles stored")
        completed = subprocess.run(command(server.url, db), cwd=ROOT, capture_output=True, text=True)
        print(f"final run: exit {completed.returncode}")
        with sqlite3.connect(db) as conn:
            articles, distinct = conn.execute("select count(*), count(distinct url) from articles").fetchone()
            (integrity,) = conn.execute("PRAGMA integrity_check").fetchone()
            try:
                conn.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
                fts = "ok"
            except sqlite3.DatabaseError as error:
                fts = str(error)
            (versions,) = conn.execute("select count(*) from articles where version_count != 1").fetchone()
            (rows,) = conn.execute("select count(*) from article_versions").fetchone()
            runs = conn.execute("select id, finish_reason from crawl_runs order by id").fetchall()
        with Archive(db) as archive:
            archive.check_integrity()
        print(
            f"articles {articles} of {args.articles}, duplicates {articles - distinct}, integrity_check {integrity}, "
            f"FTS integrity-check {fts}, article_versions rows {rows}, articles with >1 version {versions}"
        )
        print(f"crawl_runs: {runs}")


if __name__ == "__main__":
    main()
