"""The item pipeline: store the outcome of each page. Nothing else.

Pages arrive parsed (``ParseMiddleware`` turned each FetchedPage into a ParsedPage: an
Article, or the reason it is not one). ``ArchivePipeline`` is the only writer: it opens a crawl
run, stores each article atomically (a savepoint), records every failure with its URL and
reason, and at the end writes the run's stats and the run report.

The storing itself is ``ArchiveWriter``'s (archive_writer.py), which runs in a worker process
(workers.py; ``NEWSROOM_STORE_WORKER``): SQLite's inserts and full-text indexing then use a second core
while Scrapy goes on. The pipeline sends it each item (without the page's bytes, which the
archive does not keep) and applies what comes back: stats, log lines, a storage error.

Group commit: the writer keeps one transaction open over many items and commits it after
``NEWSROOM_COMMIT_ITEMS`` items or ``NEWSROOM_COMMIT_SECONDS`` seconds, whichever comes first
(a timer commits a quiet crawl's last items too). Each commit rewrites the full-text indexes' and
tables' touched pages; once per item it was a third of the store's time (docs/benchmarks.md).
Readers (Datasette) see new articles at most that many seconds later; a killed crawl loses the
uncommitted ones from the archive (not from the WARC), and the next run fetches them again.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

from .archive_writer import Notes
from .items import FetchedPage, ParsedPage
from .report import format_report
from .workers import LocalWorker, WorkerDied, WorkerProcess, worker


class ArchivePipeline:
    """Sends parsed pages, 304s and failures to the ArchiveWriter; applies its notes; writes the run record."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.writer: LocalWorker | WorkerProcess | None = None
        self.run_id = 0
        self.stopping = False  # the crawl was asked to close for a storage error
        self.timer: LoopingCall | None = None
        self.commit_seconds = self.settings.getfloat("NEWSROOM_COMMIT_SECONDS", 1.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        # spider_closed carries the finish reason, which close_spider does not get.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    async def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        settings = self.settings
        self.writer = worker(
            "newsroom_scraper.archive_writer:ArchiveWriter",
            settings.get("NEWSROOM_DB"),
            settings.getint("NEWSROOM_COMMIT_ITEMS", 100),
            self.commit_seconds,
            settings.getint("NEWSROOM_PROGRESS_EVERY", 100),
            in_process=not settings.getbool("NEWSROOM_STORE_WORKER", True),
            name="archive writer",
        )
        self.run_id = await self.writer.call("open", getattr(spider, "options", {}))
        self.crawler.stats.set_value("newsroom/run_id", self.run_id)
        if self.commit_seconds > 0:
            self.timer = LoopingCall(lambda: deferred_from_coro(self._tick()))
            self.timer.start(self.commit_seconds, now=False)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        assert self.writer is not None
        try:
            notes = await self.writer.call("write", _without_body(item))
        except WorkerDied as error:  # the writer process is gone: nothing more can be stored
            notes = Notes(storage_failed=str(error))
            notes.increments["newsroom/not_stored"] += 1
            notes.values["newsroom/storage_error"] = str(error)
            notes.logs.append((logging.ERROR, f"Storage failed, stopping the crawl: {error}"))
        self._apply(notes)
        return item

    async def _tick(self) -> None:
        """The timer: have the writer commit what has waited ``NEWSROOM_COMMIT_SECONDS``."""
        if self.writer is not None:
            try:
                self._apply(await self.writer.call("commit_when_due"))
            except WorkerDied:  # the next item reports it and stops the crawl
                pass

    def _apply(self, notes: Notes) -> None:
        """The writer's notes, applied in the crawl: stats, log lines, a stop for a storage error."""
        stats = self.crawler.stats
        assert stats is not None and self.crawler.spider is not None
        for key, count in notes.increments.items():
            stats.inc_value(key, count)
        for key, value in notes.values.items():
            stats.set_value(key, value)
        for level, line in notes.logs:
            self.crawler.spider.logger.log(level, line)
        if notes.storage_failed and not self.stopping:
            self.stopping = True
            assert self.crawler.engine is not None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage-error"))

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        """Write the run record and log the report; the writer ends here."""
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        if self.writer is None:
            return
        writer, self.writer = self.writer, None
        self.stopping = True  # the spider is closed already: notes no longer close it
        try:
            run, notes = await writer.call("finish", reason, dict(self.crawler.stats.get_stats()))
            self._apply(notes)
        except WorkerDied as error:  # the run record went with the writer; crawl.py reports that
            self.crawler.stats.set_value("newsroom/storage_error", str(error))
            run = None
        finally:
            await writer.stop()
        spider.logger.info("Run report:\n%s", format_report(run))


def _without_body(item: Any) -> Any:
    """The item as the writer needs it: a page's bytes are not stored (the WARC keeps them)."""
    if isinstance(item, ParsedPage) and item.fetch.body:
        return replace(item, fetch=replace(item.fetch, body=b""))
    if isinstance(item, FetchedPage) and item.body:
        return replace(item, body=b"")
    return item
