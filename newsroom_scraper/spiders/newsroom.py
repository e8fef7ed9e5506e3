"""The ``newsroom`` spider: finds article pages and hands them over, never reads them.

Discovery, in the order requests are made:

1. robots.txt and the sitemaps it names (the live site had none),
2. the listings (/newsroom/ and its sections) with their pagination,
3. the site search API, paged until it has nothing more (or hits its 10,000 window),
4. the "Weitere Nachrichten" teasers of every article fetched: ``ParseMiddleware`` parses the
   page and asks ``related_requests`` for them.

Each channel is a pure function of ``crawl/discovery.py`` (or ``site.search_results``); the markup of
listings and teasers is read by the layouts. What the archive already holds is not this
spider's business: ``ArchiveMiddleware`` drops archived URLs and adds the re-checks and retries
(as scrapy-deltafetch does). Robots, offsite filtering, retries, cookies and throttling are
Scrapy's own middlewares, configured in settings.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.http import JsonRequest, Request, Response

from newsroom_scraper import site
from newsroom_scraper.crawl import discovery
from newsroom_scraper.crawl.failures import describe
from newsroom_scraper.errors import Failure, ParseError
from newsroom_scraper.items import Article, CrawlFailure, FetchedImage, FetchedPage
from newsroom_scraper.parser.parse import parse_listing
from newsroom_scraper.parser.text.dates import parse_german_date, utc_now
from newsroom_scraper.parser.text.urls import origin_of


def content_type(response: Response) -> str | None:
    """The response's ``Content-Type`` header: its charset decodes the page (``parse_article``)."""
    value = response.headers.get("Content-Type")
    return value.decode("latin-1") if value else None


class NewsroomSpider(Spider):
    """Crawls the Dortmund newsroom (or the replica) for new and changed articles.

    Arguments (``-a name=value`` with ``scrapy crawl``, options of ``newsroom-archive crawl``):
    ``start_url``, ``refresh_days``, ``recheck_all``, ``since`` (YYYY-MM-DD), ``max_articles``,
    ``full_discovery`` (follow every listing and search page even when a page brings nothing new).
    The archive path is the ``NEWSROOM_DB`` setting; ``ArchiveMiddleware`` reads the rest.
    """

    name = "newsroom"

    def __init__(
        self,
        start_url: str = site.DEFAULT_START_URL,
        refresh_days: int | str | None = None,
        recheck_all: bool | str = False,
        since: str | None = None,
        max_articles: int | str | None = None,
        full_discovery: bool | str = False,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.start_url = start_url
        self.origin = origin_of(start_url)
        self.allowed_domains = [urlsplit(start_url).hostname or ""]  # OffsiteMiddleware: this host only
        self.refresh_days = int(refresh_days) if refresh_days not in (None, "") else None
        self.recheck_all = str(recheck_all).lower() in ("1", "true", "yes")
        self.since = date.fromisoformat(since) if since else None
        self.max_articles = int(max_articles) if max_articles not in (None, "", "0") else None
        self.full_discovery = str(full_discovery).lower() in ("1", "true", "yes")
        self.clock: str | None = None  # NEWSROOM_NOW: the run's fixed "now", for tests and replays

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsroomSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.refresh_days is None:  # the setting is the default for the -a argument (None: by age)
            days = crawler.settings.get("NEWSROOM_REFRESH_DAYS")
            spider.refresh_days = int(days) if days not in (None, "") else None
        spider.clock = crawler.settings.get("NEWSROOM_NOW") or None
        return spider

    @property
    def options(self) -> dict[str, Any]:
        """The options of this run, as recorded in crawl_runs."""
        return {
            "start_url": self.start_url,
            "refresh_days": self.refresh_days,
            "recheck_all": self.recheck_all,
            "since": self.since.isoformat() if self.since else None,
            "max_articles": self.max_articles,
            "full_discovery": self.full_discovery,
        }

    # -- requests ----------------------------------------------------------------------------
    def article_request(self, url: str, source: str, day: date | None = None, **kwargs: Any) -> Request:
        """A request for an article page. ``source`` names the channel that found it (the
        archive middleware counts it and claims the URL); ``day`` is the date the channel showed."""
        meta = {"source": source, "published": day, **kwargs.pop("meta", {})}
        # ArchiveMiddleware asks for each article once a run, so Scrapy's duplicate filter has
        # nothing to add here but a silent loss: a redirect to the same URL (a cookie being set)
        # or back to it (A → A?b=1 → A) was dropped with no error. Unfiltered, it is followed up to
        # REDIRECT_MAX_TIMES and then recorded as ``redirects``; crawl/origin.py keeps the origin.
        kwargs.setdefault("dont_filter", True)
        return Request(url, callback=self.parse_article_page, errback=self.failed, meta=meta, **kwargs)

    def _page_request(self, url: str, callback: Any, paging: str | None = None) -> Request:
        """A listing or sitemap request; ``paging`` names the channel whose next page it is (the
        archive middleware stops following a channel whose page brought nothing new)."""
        return Request(url, callback=callback, errback=self.failed, meta={"paging": paging} if paging else {})

    def _search_request(self, offset: int) -> Request:
        meta: dict[str, Any] = {"offset": offset}
        if offset:
            meta["paging"] = "search"
        return JsonRequest(
            self.origin + site.SEARCH_API_PATH,
            data=site.search_query(offset),
            callback=self.parse_search,
            errback=self.search_failed,
            meta=meta,
        )

    async def start(self) -> AsyncIterator[Any]:
        """robots.txt (for its sitemaps), the listings, the search API."""
        yield self._page_request(self.origin + "/robots.txt", self.parse_robots)
        for path in dict.fromkeys([urlsplit(self.start_url).path or "/", *site.LISTING_PATHS]):
            yield self._page_request(self.origin + path, self.parse_listing)
        yield self._search_request(0)

    # -- channels ----------------------------------------------------------------------------
    def parse_robots(self, response: Response) -> Iterable[Request]:
        """robots.txt: the sitemaps it names."""
        for url in discovery.sitemaps_in_robots(response.body, response.url):
            yield self._page_request(url, self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterable[Request]:
        """A sitemap index (its child sitemaps) or a sitemap (its articles with their lastmod)."""
        max_size = response.meta.get("download_maxsize", self.settings.getint("DOWNLOAD_MAXSIZE"))
        children, articles = discovery.sitemap_entries(response.body, response.url, max_size)
        for url in children:
            yield self._page_request(url, self.parse_sitemap)
        for url, day in articles:
            yield self.article_request(url, "sitemap", day)

    def parse_listing(self, response: Response) -> Iterable[Request]:
        """A listing page: its article teasers, its next page and the other listings it links."""
        try:
            listing = parse_listing(response.body, response.url, content_type=content_type(response))
        except ParseError as error:
            self.crawler.stats.inc_value("newsroom/listing_failed")
            self.logger.warning("Listing %s is not a page: %s", response.url, error)
            return
        found = discovery.listing_articles(listing)
        for url, day in found:
            yield self.article_request(url, "listing", day)
        if self.since and found and all(day and day < self.since for _, day in found):
            return  # listings are newest first: the rest is older than --since
        pages, offsite = discovery.listing_pages(listing, self.origin)
        self.crawler.stats.inc_value("newsroom/offsite_ignored", offsite)  # never followed, by design
        for url in pages:
            yield self._page_request(url, self.parse_listing, "listing" if site.is_next_page(url) else None)

    def parse_search(self, response: Response) -> Iterable[Request]:
        """One page of the search API: article URLs, then the next page while there is one."""
        try:
            urls, total = site.search_results(json.loads(response.text))
        except (ValueError, AttributeError):
            self.crawler.stats.inc_value("newsroom/search_api_failed")
            self.logger.warning("Search API answered something that is not JSON; discovery goes on without it")
            return
        for url, day in urls:
            yield self.article_request(response.urljoin(url), "search", parse_german_date(day))
        offset = response.meta["offset"] + site.SEARCH_API_PAGE_SIZE
        more = urls and (total is None or offset < total)
        if more and offset + site.SEARCH_API_PAGE_SIZE <= site.SEARCH_MAX_WINDOW:
            yield self._search_request(offset)

    def related_requests(
        self, article: Article, screen: Callable[[str, str], str | None] | None = None
    ) -> Iterable[Request]:
        """The slider of a parsed article: called by ParseMiddleware once the page is parsed.

        ``screen`` (ArchiveMiddleware's) gives each teaser's URL to request, or None for one
        not to request (claimed this run, archived, off-site), before its Request is built."""
        for url, day in discovery.related_articles(article):
            if screen is None:
                yield self.article_request(url, "teaser", day)
            elif (wanted := screen(url, "teaser")) is not None:
                yield self.article_request(wanted, "teaser", day, meta={"screened": True})

    def image_requests(self, article: Article, screen: Callable[[str], str | None] | None = None) -> Iterable[Request]:
        """The images of a parsed article: called by ParseMiddleware once the page is parsed.

        ``screen`` (ArchiveMiddleware's) gives each image's URL on the crawled host, or None for one
        not to request (off-site, captured before or this run). Images wait behind the articles."""
        for image in article.images:
            url = image.src if screen is None else screen(image.src)
            if url is not None:
                meta = {"image_of": article.url}
                yield Request(url, callback=self.parse_image, errback=self.image_failed, meta=meta, priority=-10)

    def parse_image(self, response: Response) -> Iterable[FetchedImage]:
        """Hand the image's capture over: the pipeline records it beside the article's."""
        yield FetchedImage(
            url=response.url,
            article_url=response.meta["image_of"],
            status=response.status,
            size=len(response.body),
            content_type=content_type(response),
            capture=response.meta.get("capture"),
        )

    def image_failed(self, failure: Any) -> Iterable[CrawlFailure]:
        """An image that could not be fetched: recorded as a warning of its article (never retried
        as an article; the next re-check of the article asks for it again)."""
        found = describe(failure)
        self.crawler.stats.inc_value("newsroom/images_failed")
        article = failure.request.meta.get("image_of", "?")
        reason = f"image of {article} not archived: {found.kind}: {found.reason}"
        yield replace(found, kind=Failure.WARNING, reason=reason)

    # -- article pages -----------------------------------------------------------------------
    def parse_article_page(self, response: Response) -> Iterable[FetchedPage]:
        """Hand the page over untouched: ParseMiddleware parses it, the pipeline stores it."""
        headers = response.headers
        capture = response.meta.get("capture")  # the WARC record's time and place (crawl/warc_capture.py)
        etag = headers.get("ETag")
        modified = headers.get("Last-Modified")
        yield FetchedPage(
            url=response.url,
            status=response.status,
            body=b"" if response.status == 304 else response.body,
            fetched_at=self.clock or (capture.captured_at if capture else utc_now()),  # a test clock wins
            content_type=content_type(response),
            etag=etag.decode("latin-1") if etag else None,
            last_modified=modified.decode("latin-1") if modified else None,
            not_modified=response.status == 304,
            requested_url=response.meta.get("archived_url") or (response.request.url if response.request else None),
            capture=capture,
        )

    # -- failures ----------------------------------------------------------------------------
    def search_failed(self, failure: Any) -> None:
        """A failing search API only narrows discovery: note it and go on."""
        self.crawler.stats.inc_value("newsroom/search_api_failed")
        self.logger.warning("Search API failed (%s); discovery goes on without it", failure.value)

    def failed(self, failure: Any) -> Iterable[CrawlFailure]:
        """A request that got no usable page: an article is recorded with its kind (and retried
        next run), a listing or sitemap only logged (the next run walks them anyway)."""
        request = failure.request
        if "source" not in request.meta:
            found = describe(failure)
            if found.kind == Failure.ROBOTS:  # obeyed, as the site asks: nothing went wrong
                self.logger.debug("Listing %s not fetched: %s", request.url, found.reason)
                return
            self.crawler.stats.inc_value("newsroom/listing_failed")
            self.logger.warning("Listing %s failed: %s", request.url, found.reason)
            return
        yield describe(failure)
