"""The run report: counts, empty-field shares, the drift warning, and the exit decision."""

from __future__ import annotations

import json

from newsroom_scraper.ops.report import format_report, run_failed

RUN = {
    "id": 3,
    "start_url": "https://www.dortmund.de/newsroom/",
    "finish_reason": "finished",
    "started_at": "2026-11-25T10:00:00+00:00",
    "finished_at": "2026-11-25T10:05:00+00:00",
    "new_count": 4,
    "changed_count": 1,
    "unchanged_count": 2,
    "not_modified_count": 30,
    "error_count": 1,
    "stats": json.dumps({"downloader/request_count": 50, "downloader/response_count": 49}),
    "empty_fields": json.dumps({"title": 0.0, "lead": 0.9, "images": 0.8, "topline": 0.1}),
}


def test_report_lists_counts_and_every_field_share():
    report = format_report(RUN)
    assert "4 new, 1 changed, 2 unchanged, 30 not modified (304), 1 errors" in report
    assert "lead 90%, images 80%, topline 10%, title 0%" in report


def test_drift_is_flagged_for_fields_that_are_rarely_empty():
    report = format_report(RUN)
    assert "markup drift? empty on most articles: lead" in report  # images are often absent: not flagged
    one = {**RUN, "new_count": 1, "changed_count": 0, "unchanged_count": 0}
    assert "markup drift?" not in format_report(one)  # one article without a lead says nothing


def test_run_failed_only_when_the_run_itself_failed():
    assert not run_failed(RUN)
    assert run_failed({**RUN, "finish_reason": "shutdown"})
    assert run_failed({**RUN, "stats": json.dumps({"downloader/response_count": 0})})
    assert run_failed(None)


def test_the_report_says_how_discovery_walked():
    stats = {"newsroom/full_walk": False, "newsroom/paging_stopped/listing": 2, "newsroom/paging_stopped/search": 1}
    report = format_report({**RUN, "stats": json.dumps(stats)})
    assert "  discovery: incremental, paging stopped at a page with nothing new: listing 2, search 1" in report
    assert "  discovery: full walk" in format_report({**RUN, "stats": json.dumps({"newsroom/full_walk": True})})
