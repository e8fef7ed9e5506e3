"""Drift alerts (ops/drift.py) from crawl_runs rows, and the exit code of a crawl that drifted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from newsroom_scraper.ops.drift import EXIT_DRIFT, drift_alerts
from newsroom_scraper.ops.report import format_report, format_runs, run_drifted


def run(stored: int = 20, empty: dict | None = None, seen: dict | None = None, **row) -> dict:
    stats = {f"newsroom/seen_by/{channel}": count for channel, count in (seen or {}).items()}
    return {
        "id": 9,
        "new_count": stored,
        "changed_count": 0,
        "unchanged_count": 0,
        "empty_fields": json.dumps(empty or {"lead": 0.2, "title": 0.0}),
        "stats": json.dumps(stats),
        **row,
    }


def test_a_field_whose_empty_rate_jumped_is_an_alert():
    before = [run(empty={"lead": 0.2, "title": 0.0}), run(empty={"lead": 0.3, "title": 0.0})]
    assert drift_alerts(run(empty={"lead": 1.0, "title": 0.0}), before, {}) == [
        "field lead empty on 100% of the articles (usually 25%)"
    ]
    assert drift_alerts(run(empty={"lead": 0.5, "title": 0.0}), before, {}) == []  # within the usual noise
    assert drift_alerts(run(stored=2, empty={"lead": 1.0}), before, {}) == []  # too few articles to say
    assert drift_alerts(run(empty={"lead": 1.0}), [], {}) == []  # nothing to compare with


def test_parse_errors_outnumbering_the_stored_pages_are_an_alert():
    assert drift_alerts(run(stored=1), [run()], {"no-article": 4, "truncated": 1}) == [
        "5 pages did not parse, more than were stored (no-article 4, truncated 1)"
    ]
    assert drift_alerts(run(stored=10), [run()], {"truncated": 3}) == []
    assert drift_alerts(run(stored=0), [run()], {"truncated": 2}) == []  # a broken page or two: crawl_errors


def test_a_channel_that_stopped_yielding_is_an_alert():
    before = [run(seen={"listing": 30, "search": 40, "sitemap": 0}) for _ in range(3)]
    assert drift_alerts(run(seen={"listing": 30, "search": 0}), before, {}) == [
        "channel search named no article (it did in the previous 3 runs)"
    ]
    assert drift_alerts(run(seen={"listing": 30, "search": 5}), before, {}) == []  # no sitemap, as ever: fine


def test_the_report_and_status_show_the_alerts():
    drifted = run(drift=json.dumps(["channel search named no article (it did in the previous 3 runs)"]))
    assert run_drifted(drifted) and not run_drifted(run(drift="[]")) and not run_drifted(None)
    assert "  ! drift: channel search named no article" in format_report(drifted)
    line = format_runs([{**drifted, "started_at": "2026-11-25T05:30:00+00:00", "finish_reason": "finished"}])
    assert line == "  9: 2026-11-25T05:30:00+00:00, –, finished: 20 new, 0 changed, 0 errors, 1 drift alert(s)"


@pytest.mark.e2e
def test_the_exit_code_is_documented():
    help_text = subprocess.run(
        [sys.executable, "-m", "newsroom_scraper", "crawl", "--help"], capture_output=True, text=True
    ).stdout
    assert f"{EXIT_DRIFT} when it finished with drift alerts" in " ".join(help_text.split())
