"""A relaunch of the site (issue 18, 1): nights of changed markup store no junk versions, and the
alert sounds every night until the markup is read again. End to end: a replica and child crawls."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from newsroom_replica import ReplicaServer, ReplicaSite
from newsroom_scraper.ops.drift import EXIT_DRIFT

pytestmark = pytest.mark.e2e  # crawls a replica in child processes

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--delay", "0", "--concurrency", "8", "--log-level", "WARNING", "-s", "NEWSROOM_RETRY_BACKOFF=0.01"]
RELAUNCH_NIGHTS = 5


def night(server: ReplicaServer, db: Path, day: date, *options: str) -> subprocess.CompletedProcess:
    """One nightly crawl on the test clock (NEWSROOM_NOW: 05:30 UTC of ``day``)."""
    return subprocess.run(
        [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", f"{server.url}/newsroom/"]
        + ["--db", str(db), *FAST, "-s", f"NEWSROOM_NOW={day.isoformat()}T05:30:00+00:00", *options],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )


def scalar(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_a_relaunch_stores_no_junk_versions_and_alerts_every_night(tmp_path):
    today = date.today()
    site = ReplicaSite(articles=15, seed=23, newest=today)
    db = tmp_path / "newsroom.db"
    with ReplicaServer(site) as server:
        first = night(server, db, today)
        assert first.returncode == 0, first.stdout + first.stderr
        archived = scalar(db, "select count(*) from articles")
        site.changed_markup = True
        added = None
        for n in range(1, RELAUNCH_NIGHTS + 1):
            if n == 2:  # an article published during the relaunch: read only by the fallback, not stored
                added = site.expected(site.add_article())["url"]
            # --recheck-all: every archived article is due, every night (the worst case)
            completed = night(server, db, today + timedelta(days=n), "--recheck-all")
            assert completed.returncode == EXIT_DRIFT, f"night {n}: " + completed.stdout + completed.stderr
            assert "! drift: layout lost:" in completed.stdout, f"night {n}: {completed.stdout}"
            assert "layout-lost" in completed.stdout  # counted in the report, by kind
        assert scalar(db, "select count(distinct url) from crawl_errors where kind = 'layout-lost'") == archived + 1
        assert scalar(db, "select count(*) from articles") == archived  # the new one waits for a layout
        site.changed_markup = False
        back = night(server, db, today + timedelta(days=RELAUNCH_NIGHTS + 1), "--recheck-all")
        assert back.returncode == 0, back.stdout + back.stderr
    # zero junk: every article read by the site's layout has its one version, none by the fallback
    junk = """select count(*) from article_versions v join articles a on a.id = v.article_id
        where json_extract(v.data, '$.layout') = 'generic' and a.url != ?"""
    with sqlite3.connect(db) as conn:
        assert conn.execute(junk, [added]).fetchone()[0] == 0
        assert conn.execute("select max(version_count) from articles where url != ?", [added]).fetchone()[0] == 1
        # the new article: stored once the site's layout read it again, never from the fallback
        layouts = conn.execute(
            """select json_extract(v.data, '$.layout') from article_versions v join articles a
            on a.id = v.article_id where a.url = ? order by v.version""",
            [added],
        ).fetchall()
    assert [layout for (layout,) in layouts] == ["dtm-2023"]
    assert scalar(db, "select count(*) from crawl_errors where kind = 'layout-lost' and resolved_at is null") == 0
