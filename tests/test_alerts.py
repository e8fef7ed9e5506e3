"""Alarms that stay on (issue 18, 2): an alert repeats every run until a run sees its condition gone
or an operator acknowledges it; a run that alerted never becomes the baseline of the next."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.statscollectors import StatsCollector
from scrapy.utils.test import get_crawler

from newsroom_scraper.crawl.archive_writer import ArchiveWriter
from newsroom_scraper.ops.report import run_drifted
from newsroom_scraper.store import Archive

CHANNELS = {"listing": 12, "search": 40, "sitemap": 30}


def night(db: Path, **seen: int) -> dict:
    """One run that only discovered (no article page fetched), as the writer records it."""
    stats = StatsCollector(get_crawler())
    writer = ArchiveWriter(str(db), 100, 1.0, 0, stats, lambda level, line: None)
    writer.open({"start_url": "http://127.0.0.1:9/newsroom/"})
    for channel, count in {**CHANNELS, **seen}.items():
        stats.set_value(f"newsroom/seen_by/{channel}", count)
    run = writer.finish("finished")
    assert run is not None
    return run


def test_a_vanished_sitemap_alerts_every_run_until_acknowledged(tmp_path):
    db = tmp_path / "a.db"
    for _ in range(5):
        assert not run_drifted(night(db))
    for n in range(4):  # before: the first silent run entered the baseline, and the alert went quiet
        run = night(db, sitemap=0)
        assert run_drifted(run), f"silent run {n + 1} raised no alert"
        assert "channel sitemap named no article (it did in the previous 5 runs) [alert 1" in run["drift"]
    with Archive(db) as archive:
        alert = archive.acknowledge_alert(1, by="operator", why="the city dropped its sitemap", at="2026-12-01")
        assert alert is not None and alert["runs"] == 4 and alert["acknowledged_by"] == "operator"
    assert not run_drifted(night(db, sitemap=0))  # acknowledged: quiet
    assert not run_drifted(night(db))  # the sitemap is back: the alert is cleared
    with Archive(db) as archive:
        (alert,) = archive.db.execute("select cleared_at is not null, runs from alerts").fetchall()
        assert alert == (1, 5) and archive.open_alerts() == []


def test_an_alert_clears_when_the_channel_yields_again(tmp_path):
    db = tmp_path / "a.db"
    for _ in range(3):
        night(db)
    assert run_drifted(night(db, search=0)) and run_drifted(night(db, search=0))
    assert not run_drifted(night(db))
    assert run_drifted(night(db, search=0))  # it recurs: a new alert
    with Archive(db) as archive:
        assert [(a["id"], a["condition"]) for a in archive.open_alerts()] == [(2, "channel:search")]


@pytest.mark.e2e
def test_ack_records_who_when_and_why(tmp_path):
    db = tmp_path / "a.db"
    for _ in range(2):
        night(db)
    night(db, listing=0)

    def ack(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "newsroom_scraper", "ack", *args, "--db", str(db)]
        return subprocess.run(
            command, capture_output=True, text=True, env={**os.environ, "NEWSROOM_NOW": "2026-12-24T08:00:00+00:00"}
        )

    done = ack("1", "--why", "listing redesigned, layout update under way", "--by", "kim")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Alert 1 acknowledged by kim at 2026-12-24T08:00:00+00:00: channel listing")
    again = ack("1", "--why", "another reason", "--by", "lee")  # the first acknowledgement is kept
    assert again.returncode == 0 and again.stdout.startswith("Alert 1 acknowledged by kim at 2026-12-24T08:00:00")
    missing = ack("7", "--why", "x")
    assert missing.returncode == 2 and missing.stderr == "ack: no open alert 7 (see `newsroom-archive status`)\n"
    status = subprocess.run(
        [sys.executable, "-m", "newsroom_scraper", "status", "--db", str(db)], capture_output=True, text=True
    )
    assert "alert 1: channel listing named no article" in status.stdout
    assert "acknowledged by kim 2026-12-24T08:00:00+00:00: listing redesigned" in status.stdout
