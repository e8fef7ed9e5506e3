"""Removed articles: a 404 or 410 of an archived article is recorded, a reappearance clears it."""

from __future__ import annotations

from pathlib import Path

from scrapy.statscollectors import StatsCollector
from scrapy.utils.test import get_crawler

from newsroom_scraper.crawl.archive_writer import ArchiveWriter
from newsroom_scraper.items import Article, CrawlFailure
from newsroom_scraper.store import Archive

URL = "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/ein-test.html"
FETCHED = "http://127.0.0.1:9/newsroom/nachrichten-dortmund.de/ein-test.html"


def article() -> Article:
    return Article(url=URL, title="Ein Test", published_at="2026-01-01", layout="dtm-2023", body_text="Text.")


def pipeline_with_article(tmp_path: Path) -> ArchiveWriter:
    """The pipeline's writer (what stores its items) with one archived article."""
    stats = StatsCollector(get_crawler())
    pipeline = ArchiveWriter(str(tmp_path / "a.db"), 1, 1.0, 100, stats, lambda level, line: None)
    pipeline.open({"start_url": "http://127.0.0.1:9/newsroom/"})
    assert pipeline.archive is not None
    pipeline.archive.save_article(
        article(),
        run_id=pipeline.run_id,
        fetched_url=FETCHED,
        fetched_at="2026-01-02T00:00:00+00:00",
        etag=None,
        last_modified=None,
    )
    return pipeline


def removed_at(pipeline: ArchiveWriter) -> str | None:
    assert pipeline.archive is not None
    row = pipeline.archive.get_article(URL)
    assert row is not None
    return row["removed_at"]


def test_a_404_or_410_marks_an_archived_article_removed_and_keeps_its_versions(tmp_path: Path) -> None:
    pipeline = pipeline_with_article(tmp_path)
    pipeline.write(CrawlFailure(url=FETCHED, kind="http", reason="HTTP 410", status=410))
    first = removed_at(pipeline)
    assert first is not None
    pipeline.write(CrawlFailure(url=FETCHED, kind="http", reason="HTTP 404", status=404))
    assert removed_at(pipeline) == first  # the first answer of "gone" is kept
    assert pipeline.archive is not None
    assert pipeline.archive.db.execute("select count(*) from article_versions").fetchone()[0] == 1


def test_a_timeout_or_a_5xx_is_no_removal(tmp_path: Path) -> None:
    pipeline = pipeline_with_article(tmp_path)
    pipeline.write(CrawlFailure(url=FETCHED, kind="http", reason="HTTP 503", status=503))
    pipeline.write(CrawlFailure(url=FETCHED, kind="network", reason="TimeoutError: took too long"))
    assert removed_at(pipeline) is None


def test_a_reappearance_clears_the_removal(tmp_path: Path) -> None:
    pipeline = pipeline_with_article(tmp_path)
    archive = pipeline.archive
    assert archive is not None
    assert archive.mark_removed(URL, removed_at="2026-02-01T00:00:00+00:00")
    archive.mark_not_modified(FETCHED, run_id=pipeline.run_id, checked_at="2026-02-02T00:00:00+00:00")
    assert removed_at(pipeline) is None
    assert archive.mark_removed(FETCHED, removed_at="2026-02-03T00:00:00+00:00")
    archive.save_article(
        article(),
        run_id=pipeline.run_id,
        fetched_url=FETCHED,
        fetched_at="2026-02-04T00:00:00+00:00",
        etag=None,
        last_modified=None,
    )
    assert removed_at(pipeline) is None
    assert not archive.mark_removed("https://www.dortmund.de/newsroom/nie-gesehen.html", removed_at="2026-02-05")


def test_removal_survives_reopening(tmp_path: Path) -> None:
    pipeline = pipeline_with_article(tmp_path)
    assert pipeline.archive is not None
    pipeline.archive.mark_removed(URL, removed_at="2026-02-01T00:00:00+00:00")
    pipeline.archive.close()
    with Archive(tmp_path / "a.db") as archive:
        row = archive.get_article(URL)
        assert row is not None and row["removed_at"] == "2026-02-01T00:00:00+00:00"


def test_a_removed_article_is_one_record_on_a_slow_schedule_not_an_error_a_night(tmp_path: Path) -> None:
    """Issue 18, 3: nine removed URLs had 1,015 open crawl_errors rows after six months, fetched
    every night. Now the 404 is the removal (one record), no error, and asked again 7, 30, 90 days on."""
    import datetime as dt

    from newsroom_scraper.ops.report import format_report

    pipeline = pipeline_with_article(tmp_path)
    archive = pipeline.archive
    assert archive is not None
    pipeline.clock = "2026-03-01T05:30:00+00:00"
    pipeline.write(CrawlFailure(url=FETCHED, kind="http", reason="HTTP 404", status=404))
    assert removed_at(pipeline) == "2026-03-01T05:30:00+00:00"  # the run's clock, not the real one
    assert archive.retry_urls() == []  # not fetched again tomorrow
    assert archive.db.execute("select count(*) from crawl_errors").fetchone()[0] == 0
    assert pipeline.stats.get_value("newsroom/removed") == 1
    run = pipeline.finish("finished")
    assert run is not None and "  removed: 1 archived articles answered 404/410 for the first time" in format_report(
        run
    )

    def due(day: str) -> list[str]:
        with Archive(tmp_path / "a.db") as reopened:
            now = dt.datetime.fromisoformat(f"{day}T06:00:00+00:00")
            return [row["url"] for row in reopened.refresh_candidates(now=now, budget=300)]

    assert due("2026-03-02") == [] and due("2026-03-07") == []  # neither due by age nor swept
    assert due("2026-03-08") == [URL]  # a week after its removal
    with Archive(tmp_path / "a.db") as reopened:
        assert reopened.mark_removed(FETCHED, removed_at="2026-03-08T05:30:00+00:00") == "still-removed"
        row = reopened.get_article(URL)
        assert row is not None and row["removed_at"] == "2026-03-01T05:30:00+00:00"
        assert row["recheck_due_at"] == "2026-03-31T05:30:00+00:00"  # then 30 days after the removal


def test_a_404_of_a_url_never_archived_stays_an_error(tmp_path: Path) -> None:
    pipeline = pipeline_with_article(tmp_path)
    pipeline.write(CrawlFailure(url=FETCHED.replace("ein-test", "nie-da"), kind="http", reason="HTTP 404", status=404))
    assert pipeline.archive is not None and len(pipeline.archive.retry_urls()) == 1
