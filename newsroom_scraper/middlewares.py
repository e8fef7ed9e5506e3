"""Spider middlewares: what happens between the spider and the pipelines, by Scrapy's rules.

``ParseMiddleware`` parses each fetched article page once (FetchedPage → ParsedPage) and lets
the spider follow the parsed page's teasers. ``ArchiveMiddleware``
makes discovery archive-aware, as scrapy-deltafetch does: it drops requests for articles the archive already
holds, counts what each channel found, and adds the re-checks and retries the archive asks for.
Both are switched on in settings.py (``SPIDER_MIDDLEWARES``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Request, Response

from newsroom_scraper import site
from newsroom_scraper.crawl.failures import attempts as describe_attempts
from newsroom_scraper.crawl.warc_capture import CONFIRMS
from newsroom_scraper.errors import ParseError, Reason
from newsroom_scraper.evidence.warc import ConfirmedRecord
from newsroom_scraper.items import FetchedPage, ParsedPage
from newsroom_scraper.ops.schedule import moment
from newsroom_scraper.parser.parse import parse_article
from newsroom_scraper.parser.text.urls import canonical_url, origin_of
from newsroom_scraper.store import Archive


class ParseMiddleware:
    """FetchedPage → ParsedPage (an Article, or the reason it is not one), then the teasers.

    The page is parsed with the layout of its capture date, in the crawl's process (a parse
    takes ~1 ms of the second the nightly run waits between requests). A 304 passes untouched.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParseMiddleware:
        return cls(crawler)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        for item in result:
            yield from self._parsed(item, response) if _is_page(item) else (item,)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item in result:
            for out in self._parsed(item, response) if _is_page(item) else (item,):
                yield out

    def _parsed(self, item: FetchedPage, response: Response) -> Iterable[Any]:
        attempts = describe_attempts(response.request)
        warnings: list[str] = []
        try:
            article = parse_article(item.body, item.url, item.fetched_at, warnings, content_type=item.content_type)
        except ParseError as error:
            # A body cut short without a Content-Length to tell (the connection closed early) is
            # a transient fault like a timeout: ask again now, as RetryMiddleware would.
            retry = self._retry(response, error) if error.reason == Reason.TRUNCATED else None
            yield retry or ParsedPage(fetch=item, error=str(error), attempts=attempts)
            return
        parsed = ParsedPage(fetch=item, article=article, warnings=warnings, attempts=attempts)
        yield parsed
        follow = getattr(self.crawler.spider, "related_requests", None)
        if follow is not None:
            archive = _ARCHIVE_MIDDLEWARES.get(self.crawler)
            # Teasers already claimed this run or archived are dropped before their Request is
            # built (most of a page's six are): ArchiveMiddleware screens them, counting as it would.
            yield from follow(article) if archive is None else follow(article, archive.screen)
        images = getattr(self.crawler.spider, "image_requests", None)
        if images is not None and self.crawler.settings.getbool("NEWSROOM_IMAGES"):
            archive = _ARCHIVE_MIDDLEWARES.get(self.crawler)
            yield from images(article) if archive is None else images(article, archive.screen_image)

    def _retry(self, response: Response, error: ParseError) -> Request | None:
        request, spider = response.request, self.crawler.spider
        if request is None or spider is None or not self.crawler.settings.getbool("RETRY_ENABLED"):
            return None
        return get_retry_request(request, spider=spider, reason=f"parse: {error.reason}")


class ArchiveMiddleware:
    """Archive-aware discovery: each article URL is requested once, and never when archived.

    An article request (one with ``meta["source"]``) found by any channel is *claimed*: made
    canonical and moved onto the crawled host, then dropped when it is off-site, not an article
    path, archived (by canonical or fetched URL), already claimed this run, older than the
    spider's ``since`` or beyond its ``max_articles``. The start requests are followed by the
    archive's re-checks (conditional: those due by age, ops/schedule.py, or by ``refresh_days`` or
    ``recheck_all``) and the retries of URLs that failed before.

    Incremental discovery: a channel's next page (a request with ``meta["paging"]`` naming the
    channel) is held back until the page that links it has yielded all its articles, and is
    dropped when none of them was new (every one archived), since listings and search are newest
    first (``site.py``). A full walk follows every page: with the spider's ``full_discovery`` or
    ``recheck_all``, and whenever the archive was empty when the run started.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.archive: Archive | None = None
        self.claimed: set[str] = set()
        self.claimed_images: set[str] = set()
        self.too_large: set[str] = set()  # articles not asked for this run: too large last time
        self.new_requested = 0
        self.full_walk: bool | None = None  # decided once, when the run starts

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        _ARCHIVE_MIDDLEWARES[crawler] = middleware  # for ParseMiddleware's teasers
        return middleware

    def _open(self) -> Archive:
        """The archive, read-only: the pipeline's writer (archive_writer.py) opened it first, to write
        and migrate it (Scrapy opens the pipelines before it reads the start requests)."""
        if self.archive is None:
            self.archive = Archive(self.crawler.settings.get("NEWSROOM_DB"), read_only=True)
        return self.archive

    def spider_closed(self, spider: Spider) -> None:
        if self.archive is not None:
            self.archive.close()
            self.archive = None

    # -- the archive's own requests ----------------------------------------------------------
    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """The spider's start requests, then the re-checks and retries the archive asks for."""
        self._full_walk()  # decided before the first article is stored
        self._hold_back_too_large(self.crawler.spider)
        async for request in start:
            yield request
        for request in self._archive_requests(self.crawler.spider):
            yield request

    def _archive_requests(self, spider: Any) -> list[Request]:
        archive = self._open()
        now = moment(spider.clock) if getattr(spider, "clock", None) else datetime.now(UTC)
        candidates = archive.refresh_candidates(
            refresh_days=spider.refresh_days,
            now=now,
            all_articles=spider.recheck_all,
            budget=self.crawler.settings.getint("NEWSROOM_RECHECK_BUDGET"),
        )
        retries = archive.retry_urls(too_large=bool(spider.recheck_all))
        requests = [self._refresh_request(spider, row) for row in candidates]
        for url in retries:
            url = canonical_url(self._on_host(spider, url))
            self.claimed.add(url)
            requests.append(spider.article_request(url, "retry"))
        spider.logger.info(
            "Archive: %d articles, %d to re-check, %d to retry", archive.article_count(), len(candidates), len(retries)
        )
        return requests

    def _hold_back_too_large(self, spider: Any) -> None:
        """Articles whose last answer was beyond DOWNLOAD_MAXSIZE are not asked for again, retried
        or found, but by a --recheck-all run (``Archive.too_large_urls``); counted in the report."""
        if not spider.recheck_all:
            self.too_large = {canonical_url(self._on_host(spider, url)) for url in self._open().too_large_urls()}
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("newsroom/too_large_held_back", len(self.too_large))

    def _refresh_request(self, spider: Any, row: dict[str, Any]) -> Request:
        headers = {}
        if row.get("etag"):
            headers["If-None-Match"] = row["etag"]
        if row.get("last_modified"):
            headers["If-Modified-Since"] = row["last_modified"]
        meta: dict[str, Any] = {"handle_httpstatus_list": [304], "archived_url": row["url"]}
        if row.get("confirmed_record_id"):  # what a 304's WARC record refers to (crawl/warc_capture.py)
            meta[CONFIRMS] = ConfirmedRecord(row["confirmed_record_id"], row["confirmed_url"])
        request: Request = spider.article_request(
            self._on_host(spider, row.get("fetched_url") or row["url"]), "refresh", headers=headers, meta=meta
        )
        return request

    @staticmethod
    def _on_host(spider: Any, url: str) -> str:
        """The same path on the host being crawled: an archive filled from the replica or the
        live site is refreshed from whichever the run points at, never from another host."""
        parts = urlsplit(url)
        origin: str = spider.origin
        return origin + parts.path + (f"?{parts.query}" if parts.query else "")

    def _full_walk(self) -> bool:
        """Whether this run follows every page of every channel (see the class docstring)."""
        if self.full_walk is None:
            spider = self.crawler.spider
            forced = bool(getattr(spider, "full_discovery", False) or getattr(spider, "recheck_all", False))
            self.full_walk = forced or self._open().article_count() == 0
            stats = self.crawler.stats
            assert stats is not None
            stats.set_value("newsroom/full_walk", self.full_walk)
            assert spider is not None
            spider.logger.info("Discovery: %s", "full walk" if self.full_walk else "incremental (stops at known pages)")
        return self.full_walk

    # -- what the channels found -------------------------------------------------------------
    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        page = _PageTally()
        for item in result:
            if (kept := self._filter(item, page)) is not None:
                yield kept
        yield from self._next_pages(page)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        page = _PageTally()
        async for item in result:
            if (kept := self._filter(item, page)) is not None:
                yield kept
        for request in self._next_pages(page):
            yield request

    def _next_pages(self, page: _PageTally) -> list[Request]:
        """The held-back next pages of a response: all of them when its page brought something
        new (or on a full walk), none when every article it named was archived."""
        if not page.held or page.fresh or self._full_walk():
            return page.held
        stats = self.crawler.stats
        assert stats is not None
        for request in page.held:
            stats.inc_value(f"newsroom/paging_stopped/{request.meta['paging']}")
        return []

    def _filter(self, item: Any, page: _PageTally) -> Any:
        """The item as it goes on (an article request on its claimed URL), or None to drop it
        (a next page is held in ``page`` until the whole response is seen)."""
        spider = self.crawler.spider
        retried = "retry_times" in getattr(item, "meta", {})  # claimed when first asked for
        if isinstance(item, Request) and item.meta.get("paging") and not retried:
            page.held.append(item)
            return None
        if isinstance(item, Request) and item.meta.get("source") not in (None, "refresh", "retry") and not retried:
            day, screened = item.meta.get("published"), bool(item.meta.get("screened"))
            claimed, fresh = self._claim(item.url, item.meta["source"], day, spider, screened)
            page.fresh += fresh
            if claimed is None:
                return None
            return item.replace(url=claimed) if claimed != item.url else item
        return item

    def screen(self, url: str, source: str) -> str | None:
        """The canonical URL of an article a channel names, or None when it is not to be
        requested (off-site, not an article, claimed this run, archived), counted as ``_claim``
        counts it; a request built on the URL with ``meta["screened"]`` is then claimed without
        being counted or looked up again. ParseMiddleware screens the teasers this way."""
        return self._screen(url, source, self.crawler.spider)[0]

    def screen_image(self, url: str) -> str | None:
        """An article image's URL on the crawled host, or None when it is not to be requested:
        off-site, asked for this run, or captured before (an image's URL names its content on
        this site, so one capture is enough; docs/archival.md)."""
        spider: Any = self.crawler.spider
        stats = self.crawler.stats
        assert spider is not None and stats is not None
        url = canonical_url(url, spider.start_url)
        if origin_of(url) == site.CANONICAL_HOST:
            url = self._on_host(spider, url)
        if origin_of(url) != spider.origin:
            stats.inc_value("newsroom/offsite_ignored")
            return None
        if url in self.claimed_images:
            return None
        self.claimed_images.add(url)
        path = urlsplit(url).path
        if self._open().has_capture([url, site.CANONICAL_HOST + path]):
            stats.inc_value("newsroom/images_archived_skipped")
            return None
        return url

    def _claim(self, url: str, source: str, day: Any, spider: Any, screened: bool = False) -> tuple[str | None, bool]:
        """(the canonical URL to request, or None when the article is not to be fetched; whether
        the article is new to the archive, even if claimed before or not fetched this run)."""
        stats = self.crawler.stats
        assert stats is not None
        if not screened:
            found, fresh = self._screen(url, source, spider)
            if found is None:
                return None, fresh
            url = found
        elif url in self.claimed:  # claimed since it was screened
            return None, True
        if spider.since and day and day < spider.since:
            return None, True
        if spider.max_articles is not None and self.new_requested >= spider.max_articles:
            return None, True
        self.claimed.add(url)
        self.new_requested += 1
        stats.inc_value(f"newsroom/found_by/{source}")
        return url, True

    def _screen(self, url: str, source: str, spider: Any) -> tuple[str | None, bool]:
        """The first half of ``_claim``: (the canonical URL on the crawled host, or None when it is
        off-site, not an article, claimed this run or archived; whether the article is new)."""
        stats = self.crawler.stats
        assert stats is not None
        url = canonical_url(url, spider.start_url)
        if origin_of(url) == site.CANONICAL_HOST:  # the site's own canonical links lead to the crawled host
            url = self._on_host(spider, url)
        if origin_of(url) != spider.origin:
            stats.inc_value("newsroom/offsite_ignored")  # never followed, by design
            return None, False
        if not site.ARTICLE_PATH.match(urlsplit(url).path):
            return None, False
        stats.inc_value(f"newsroom/seen_by/{source}")  # what the channel yields, archived or not
        if url in self.claimed:
            return None, True
        if url in self.too_large:
            return None, False
        if self._archived(url, spider):
            stats.inc_value("newsroom/archived_skipped")
            return None, False
        return url, True

    def _archived(self, url: str, spider: Any) -> bool:
        """Whether the archive holds the article, under its canonical or its fetched URL."""
        path = urlsplit(url).path
        return self._open().is_archived([url, spider.origin + path, site.CANONICAL_HOST + path])


def _is_page(item: Any) -> bool:
    """An article page to parse (a 304 has no body: it passes untouched)."""
    return isinstance(item, FetchedPage) and not item.not_modified


_ARCHIVE_MIDDLEWARES: WeakKeyDictionary[Crawler, ArchiveMiddleware] = WeakKeyDictionary()


@dataclass
class _PageTally:
    """What one response's output held: its next pages, and how many new articles it named."""

    held: list[Request] = field(default_factory=list)
    fresh: int = 0
