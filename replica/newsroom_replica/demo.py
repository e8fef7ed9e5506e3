"""``newsroom-archive demo``: replica → crawl → Datasette, in one command (``make demo``).

The replica runs in a thread of this process, the crawl in a child process (Scrapy's
reactor runs once per process), then Datasette serves the archive until Ctrl-C, which
stops everything this command started.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from newsroom_scraper.reader.web import serve

from .replica_site import ReplicaSite
from .server import ReplicaServer


def run_demo(*, port: int = 8001, articles: int = 300, db_path: str = "archive/newsroom.db", seed: int = 1) -> int:
    """Serve a replica, crawl it into ``db_path``, then serve the archive on ``port``."""
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    server = ReplicaServer(ReplicaSite(articles=articles, seed=seed), host="127.0.0.1", port=0)
    server.start()
    try:
        print(f"Replica newsroom ({articles} articles): {server.url}/newsroom/", flush=True)
        crawl = [
            sys.executable,
            "-m",
            "newsroom_scraper",
            "crawl",
            "--start-url",
            f"{server.url}/newsroom/",
            "--db",
            db_path,
            "--delay",
            "0",
            "--concurrency",
            "8",
            "--log-level",
            "WARNING",
        ]
        completed = subprocess.run(crawl, check=False)
        if completed.returncode != 0:
            print("The crawl failed; see above.", file=sys.stderr)
            return completed.returncode
        print(f"Datasette: http://127.0.0.1:{port}/  (Ctrl-C stops the demo)", flush=True)
        serve(db_path, host="127.0.0.1", port=port)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()
