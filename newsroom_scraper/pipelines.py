"""The item pipeline: store the outcome of each page. Nothing else.

Pages arrive parsed (``ParseMiddleware`` turned each FetchedPage into a ParsedPage: an
Article, or the reason it is not one). ``ArchivePipeline`` is the only writer: it opens a crawl
run, stores each article atomically (a savepoint), records every failure with its URL and
reason, and at the end writes the run's stats and the run report.

The storing itself is ``ArchiveWriter``'s (crawl/archive_writer.py), in the crawl's process.

Group commit: the writer keeps one transaction open over many items and commits it after
``NEWSROOM_COMMIT_ITEMS`` items or ``NEWSROOM_COMMIT_SECONDS`` seconds, whichever comes first
(a timer commits a quiet crawl's last items too). Each commit rewrites the full-text indexes' and
tables' touched pages; once per item it was a third of the store's time (docs/benchmarks.md).
Readers (Datasette) see new articles at most that many seconds later; a killed crawl loses the
uncommitted ones from the archive (not from the WARC), and the next run fetches them again.
"""

from __future__ import annotations

from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

from newsroom_scraper.crawl.archive_writer import ArchiveWriter
from newsroom_scraper.ops.report import format_report


class ArchivePipeline:
    """Hands parsed pages, 304s and failures to the ArchiveWriter; stops the crawl when storing
    fails for good; writes the run record."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.writer: ArchiveWriter | None = None
        self.run_id = 0
        self.stopping = False  # the crawl was asked to close for a storage error
        self.timer: LoopingCall | None = None
        self.commit_seconds = self.settings.getfloat("NEWSROOM_COMMIT_SECONDS")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        # spider_closed carries the finish reason, which close_spider does not get.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        assert spider is not None and self.crawler.stats is not None
        settings = self.settings
        self.writer = ArchiveWriter(
            settings.get("NEWSROOM_DB"),
            settings.getint("NEWSROOM_COMMIT_ITEMS"),
            self.commit_seconds,
            settings.getint("NEWSROOM_PROGRESS_EVERY"),
            self.crawler.stats,
            spider.logger.log,
            clock=settings.get("NEWSROOM_NOW") or None,
        )
        self.run_id = self.writer.open(getattr(spider, "options", {}))
        self.crawler.stats.set_value("newsroom/run_id", self.run_id)
        if self.commit_seconds > 0:
            self.timer = LoopingCall(self._tick)
            self.timer.start(self.commit_seconds, now=False)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        assert self.writer is not None
        self.writer.write(item)
        self._stop_if_failed()
        return item

    def _tick(self) -> None:
        """The timer: have the writer commit what has waited ``NEWSROOM_COMMIT_SECONDS``."""
        if self.writer is not None:
            self.writer.commit_when_due()
            self._stop_if_failed()

    def _stop_if_failed(self) -> None:
        """Close the crawl once when storing failed for good (a full disk, a damaged file)."""
        assert self.writer is not None
        if self.writer.storage_failed and not self.stopping:
            self.stopping = True
            assert self.crawler.engine is not None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage-error"))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Write the run record and log the report; the writer ends here."""
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        if self.writer is None:
            return
        writer, self.writer = self.writer, None
        self.stopping = True  # the spider is closed already
        run = writer.finish(reason)
        spider.logger.info("Run report:\n%s", format_report(run))
