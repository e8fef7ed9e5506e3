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
