"""The item pipeline: store the outcome of each page. Nothing else.

Pages arrive parsed (``ParseMiddleware`` turned each FetchedPage into a ParsedPage: an
Article, or the reason it is not one). ``ArchivePipeline`` is the only writer: it opens a crawl run, stores
each article in one transaction, records every failure with its URL and reason, and at the
end writes the run's stats and the run report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from .drift import PREVIOUS_RUNS, drift_alerts
from .items import Article, CrawlFailure, FetchedPage, ParsedPage
from .report import format_report
from .store import Archive

# Fields whose emptiness the run report shows, so that a markup change is noticed.
WATCHED_FIELDS = [f.name for f in fields(Article) if f.name not in ("url", "layout")]


class ArchivePipeline:
    """Stores parsed pages, 304s and failures in the archive; writes the run record."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.counts: Counter[str] = Counter()
        self.empty: Counter[str] = Counter()
        self.parsed = 0
        self.archive: Archive | None = None
        self.run_id = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        # spider_closed carries the finish reason, which close_spider does not get.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        self.archive = Archive(self.settings.get("NEWSROOM_DB"))
        options = getattr(spider, "options", {})
        self.run_id = self.archive.start_run(options.get("start_url", ""), options)
        self.crawler.stats.set_value("newsroom/run_id", self.run_id)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        assert self.archive is not None
        if isinstance(item, FetchedPage) and item.not_modified:
            self.archive.mark_not_modified(
                item.requested_url or item.url,
                run_id=self.run_id,
                checked_at=item.fetched_at,
                etag=item.etag,
                last_modified=item.last_modified,
            )
            self.counts["not_modified"] += 1
        elif isinstance(item, ParsedPage) and item.article is not None:
            self._store(item.article, item.fetch)
        elif isinstance(item, ParsedPage):
            self.archive.record_error(self.run_id, item.fetch.url, "parse", item.error or "", item.fetch.status)
            self.counts["errors"] += 1
            self.crawler.stats.inc_value("newsroom/parse_errors")
        elif isinstance(item, CrawlFailure):
            self.archive.record_error(self.run_id, item.url, item.kind, item.reason, item.status)
            self.counts["errors"] += 1
        return item

    def _store(self, article: Article, fetch: FetchedPage) -> None:
        assert self.archive is not None
        try:
            outcome = self.archive.save_article(
                article,
                run_id=self.run_id,
                fetched_url=fetch.url,
                fetched_at=fetch.fetched_at,
                etag=fetch.etag,
                last_modified=fetch.last_modified,
            )
        except Exception as error:  # a storage failure loses this article, not the run
            self.archive.record_error(self.run_id, fetch.url, "store", f"{type(error).__name__}: {error}", fetch.status)
            self.counts["errors"] += 1
            return
        self.counts[outcome] += 1
        self.parsed += 1
        values = article.to_dict()
        for name in WATCHED_FIELDS:
            if not values.get(name):
                self.empty[name] += 1
        if "T" not in article.published_at:
            self.empty["published_time"] += 1
        every = self.settings.getint("NEWSROOM_PROGRESS_EVERY", 100)
        if every and self.parsed % every == 0:
            assert self.crawler.spider is not None
            self.crawler.spider.logger.info("Progress: %d articles stored (%s)", self.parsed, dict(self.counts))

    def _record_drift(self) -> None:
        """Compare the finished run with the runs before it and keep the alerts (drift.py)."""
        assert self.archive is not None
        run = self.archive.get_run(self.run_id)
        assert run is not None
        previous = self.archive.recent_runs(PREVIOUS_RUNS, before=self.run_id)
        self.archive.record_drift(
            self.run_id, drift_alerts(run, previous, self.archive.parse_errors_by_reason(self.run_id))
        )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Write the run record and log the report; the archive is closed here."""
        if self.archive is None:
            return
        watched = [*WATCHED_FIELDS, "published_time"]
        empty_fields = {name: round(self.empty[name] / self.parsed, 3) for name in watched} if self.parsed else {}
        counts = {key: self.counts.get(key, 0) for key in ("new", "changed", "unchanged", "not_modified", "errors")}
        stats = dict(self.crawler.stats.get_stats())
        self.archive.finish_run(self.run_id, reason, stats, counts, empty_fields)
        self._record_drift()
        run = self.archive.get_run(self.run_id)
        self.archive.close()
        self.archive = None
        spider.logger.info("Run report:\n%s", format_report(run))
