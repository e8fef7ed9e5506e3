"""``newsroom-archive demo``: replica → crawl → a few corrections → crawl → Datasette, in one command
(``make demo``), so the archive served has versions, diffs and changes to look at.

The replica runs in a thread of this process, the crawl in a child process (Scrapy's
reactor runs once per process), then Datasette serves the archive until Ctrl-C, which
stops everything this command started.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from newsroom_scraper.evidence.replay import with_replay
from newsroom_scraper.reader.web import serve

from .replica_site import ReplicaSite
from .server import ReplicaServer

# Corrections the demo makes to a few articles between its two crawls, so that the archive shows
# what it is for: versions, word diffs and the changes page (written for the demo, no site text).
DEMO_CORRECTIONS = [
    "Korrektur: Der Termin wurde um eine Woche verschoben.",
    "Nachtrag: Die Anmeldung ist ab sofort auch online möglich.",
    "Aktualisiert: Die Zahl der Plätze wurde erhöht.",
]


def run_demo(*, port: int = 8001, articles: int = 300, db_path: str = "archive/newsroom.db", seed: int = 1) -> int:
    """Serve a replica, crawl it into ``db_path``, correct a few articles and crawl again, then serve
    the archive on ``port``."""
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    site = ReplicaSite(articles=articles, seed=seed)
    server = ReplicaServer(site, host="127.0.0.1", port=0)
    server.start()
    try:
        print(f"Replica newsroom ({articles} articles): {server.url}/newsroom/", flush=True)
        returncode = build_demo_archive(site, f"{server.url}/newsroom/", db_path)
        if returncode != 0:
            print("The crawl failed; see above.", file=sys.stderr)
            return returncode
        print(f"Datasette: http://127.0.0.1:{port}/  (Ctrl-C stops the demo)", flush=True)
        # as `newsroom-archive serve` does: each capture replayed from the WARC (images included)
        warc = Path(db_path).parent / "warc"
        serve(db_path, host="127.0.0.1", port=port, wrap=lambda app: with_replay(app, db_path, warc))
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


def build_demo_archive(site: ReplicaSite, start_url: str, db_path: str) -> int:
    """Crawl the replica, correct one article per ``DEMO_CORRECTIONS`` (the newest ones), re-check
    every article (conditionally: the others answer 304) and return the crawls' exit code."""
    returncode = _crawl(start_url, db_path)
    if returncode != 0:
        return returncode
    for path, correction in zip(site.article_paths(), DEMO_CORRECTIONS, strict=False):
        site.edit_article(path, correction)
    print(f"Corrected {min(len(DEMO_CORRECTIONS), len(site.article_paths()))} articles; crawling again", flush=True)
    return _crawl(start_url, db_path, "--recheck-all")


def _crawl(start_url: str, db_path: str, *options: str) -> int:
    """One crawl of the replica in a child process (Scrapy's reactor runs once per process)."""
    crawl = [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", start_url, "--db", db_path]
    crawl += ["--delay", "0", "--concurrency", "8", "--log-level", "WARNING", *options]
    return subprocess.run(crawl, check=False).returncode
