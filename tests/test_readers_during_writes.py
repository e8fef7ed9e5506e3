"""Datasette keeps answering while a crawl writes the archive it serves (issue 9): every request
of readers running through a whole crawl is answered 200. Bounded: one small crawl."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from newsroom_replica import ReplicaServer, ReplicaSite
from newsroom_scraper.store import Archive

pytestmark = pytest.mark.e2e  # crawls a replica while the archive is served (tests/conftest.py: e2e)

ROOT = Path(__file__).resolve().parents[1]
PAGES = [
    "/newsroom/articles.json?_size=10",
    "/newsroom/articles?_search=stadt",
    "/newsroom/search.json?q=dortmund",
    "/newsroom/crawl_runs",
]


def fetch(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status, time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return error.code, time.perf_counter() - started


def test_every_request_is_answered_while_a_crawl_writes(tmp_path, serve_archive):
    db = tmp_path / "newsroom.db"
    Archive(db).close()
    with serve_archive(db) as base:
        site = ReplicaSite(articles=60, seed=17, newest=date.today())
        with ReplicaServer(site) as server:
            crawl = subprocess.Popen(
                [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", f"{server.url}/newsroom/"]
                + ["--db", str(db), "--delay", "0", "--concurrency", "8", "--log-level", "WARNING"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            answers = []
            while crawl.poll() is None or len(answers) < 40:
                answers.append(fetch(base + PAGES[len(answers) % len(PAGES)]))
            crawl.communicate(timeout=120)
        assert crawl.returncode == 0
        statuses = [status for status, _ in answers]
        assert statuses == [200] * len(statuses), [s for s in statuses if s != 200]
        assert fetch(base + "/newsroom/articles.json")[0] == 200
