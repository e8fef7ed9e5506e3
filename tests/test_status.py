"""`status` an operator can script (issue 18, 7): --json, "interrupted" for a run that never ended,
removed articles, open alerts, the re-check cycle, "due now" on NEWSROOM_NOW; and every clock the
archive writes follows NEWSROOM_NOW."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.statscollectors import StatsCollector
from scrapy.utils.test import get_crawler

from newsroom_scraper.crawl.archive_writer import ArchiveWriter
from newsroom_scraper.items import Article, CrawlFailure
from newsroom_scraper.store import Archive

NOW = "2031-03-01T05:30:00+00:00"  # far from the real clock


def article(n: int) -> Article:
    return Article(
        url=f"https://www.dortmund.de/newsroom/s{n}.html",
        title="T",
        published_at="2031-02-27",
        layout="dtm-2023",
        body_text="Text.",
    )


def writer(db: Path, clock: str | None) -> ArchiveWriter:
    stats = StatsCollector(get_crawler())
    archive_writer = ArchiveWriter(str(db), 100, 1.0, 0, stats, lambda level, line: None, clock=clock)
    archive_writer.open({"start_url": "http://127.0.0.1:9/newsroom/"})
    return archive_writer


def test_every_clock_the_archive_writes_follows_newsroom_now(tmp_path):
    db = tmp_path / "a.db"
    night = writer(db, NOW)
    assert night.archive is not None
    night.archive.save_article(
        article(1),
        run_id=night.run_id,
        fetched_url="http://127.0.0.1:9/newsroom/s1.html",
        fetched_at=NOW,
        etag=None,
        last_modified=None,
    )
    night.write(CrawlFailure(url="http://127.0.0.1:9/newsroom/s1.html", kind="http", reason="HTTP 410", status=410))
    night.write(CrawlFailure(url="http://127.0.0.1:9/newsroom/s9.html", kind="timeout", reason="took too long"))
    run = night.finish("finished")
    assert run is not None and run["started_at"] == NOW and run["finished_at"] >= NOW
    assert run["finished_at"] < "2031-03-01T06:30:00+00:00"
    with Archive(db) as archive:
        assert archive.db.execute("select occurred_at from crawl_errors").fetchall() == [(NOW,)]
        assert archive.db.execute("select removed_at from articles").fetchall() == [(NOW,)]


def status(db: Path, *options: str, now: str | None = NOW) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "NEWSROOM_NOW"}
    if now:
        env["NEWSROOM_NOW"] = now
    return subprocess.run(
        [sys.executable, "-m", "newsroom_scraper", "status", "--db", str(db), *options],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.e2e
def test_status_json_says_interrupted_removed_alerts_cycle_and_due_on_the_test_clock(tmp_path):
    db = tmp_path / "a.db"
    first = writer(db, "2031-02-28T05:30:00+00:00")
    assert first.archive is not None
    for n in (1, 2):
        first.archive.save_article(
            article(n),
            run_id=first.run_id,
            fetched_url=f"http://127.0.0.1:9/newsroom/s{n}.html",
            fetched_at="2031-02-28T05:30:00+00:00",
            etag=None,
            last_modified=None,
        )
    first.write(CrawlFailure(url="http://127.0.0.1:9/newsroom/s2.html", kind="http", reason="HTTP 404", status=404))
    assert first.finish("finished") is not None
    with Archive(db) as archive:
        archive.raise_alert("channel:sitemap", "channel sitemap named no article", run_id=1, at=NOW)
        archive.start_run("http://127.0.0.1:9/newsroom/", {}, started_at=NOW)  # killed: never finished

    completed = status(db, "--json")
    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout)
    assert summary["last_run"]["state"] == "interrupted" and summary["last_run"]["started_at"] == NOW
    assert summary["recent_runs"][0]["state"] == "finished" and isinstance(summary["recent_runs"][0]["stats"], dict)
    assert [row["url"] for row in summary["removed"]] == ["https://www.dortmund.de/newsroom/s2.html"]
    assert [alert["condition"] for alert in summary["open_alerts"]] == ["channel:sitemap"]
    assert summary["recheck_cycle"] == {"budget": 300, "articles": 1, "cycle_days": 1}
    assert summary["rechecks"]["due_now"] == 1  # s1, published 2031-02-27: due a day after, on the test clock
    assert status(db, "--json", now=None).returncode == 0  # the real clock: years before, nothing due
    assert json.loads(status(db, "--json", now=None).stdout)["rechecks"]["due_now"] == 0

    text = status(db).stdout
    assert "Run 2 (http://127.0.0.1:9/newsroom/): interrupted, 2031-03-01T05:30:00+00:00 → …" in text
    assert "None" not in text
    assert "Removed (answered 404/410): 1: https://www.dortmund.de/newsroom/s2.html" in text
    assert "alert 1: channel sitemap named no article" in text
    assert "Re-check cycle: every article at least every day (budget 300" in text


@pytest.mark.e2e
def test_a_damaged_archive_is_one_line_and_exit_2(tmp_path):
    db = tmp_path / "a.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\xab" * 8000)
    completed = status(db, "--json")
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr.count("\n") == 1 and completed.stderr.startswith(f"status: {db} is not a readable archive")
