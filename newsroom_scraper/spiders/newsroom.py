"""The ``newsroom`` spider: finds article pages and hands them over, never parses them.

Discovery, in the order requests are made:

1. robots.txt and the sitemaps it names (Scrapy's SitemapSpider; the live site had none),
2. the listings (/newsroom/ and its sections) with their pagination,
3. the site search API, paged until it has nothing more (or hits its 10,000 window),
4. the "Weitere Nachrichten" teasers of every article page fetched,
5. the archive itself: articles published within ``refresh_days`` are re-requested
   conditionally (If-None-Match / If-Modified-Since), whether or not discovery finds them
   again, and URLs that failed last time are retried.

An article already in the archive (known by its canonical or its fetched URL) is never
fetched again outside that refresh rule. Robots, offsite filtering, retries, cookies,
throttling and de-duplication are Scrapy's own middlewares, configured in settings.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import JsonRequest, Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.spiders import SitemapSpider

from .. import site
from ..items import CrawlFailure, FetchedPage
from ..store import Archive
from ..text.dates import parse_german_date
from ..text.urls import canonical_url


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class NewsroomSpider(SitemapSpider):
    """Crawls the Dortmund newsroom (or the replica) for new and changed articles.

    Arguments (``-a name=value`` with ``scrapy crawl``, options of ``newsroom-archive crawl``):
    ``start_url``, ``refresh_days``, ``recheck_all``, ``since`` (YYYY-MM-DD), ``max_articles``.
    The archive path is the ``NEWSROOM_DB`` setting.
    """

    name = "newsroom"
    sitemap_rules = [(site.ARTICLE_PATH.pattern.replace("^", "://[^/]+", 1), "parse_article_page")]

    def __init__(
        self,
        start_url: str = site.DEFAULT_START_URL,
        refresh_days: int | str | None = None,
        recheck_all: bool | str = False,
        since: str | None = None,
        max_articles: int | str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.start_url = start_url
        self.origin = _origin(start_url)
        self.allowed_domains = [urlsplit(start_url).hostname or ""]  # OffsiteMiddleware: this host only
        self.sitemap_urls = [self.origin + "/robots.txt"]
        self.refresh_days = int(refresh_days) if refresh_days not in (None, "") else None
        self.recheck_all = str(recheck_all).lower() in ("1", "true", "yes")
        self.since = date.fromisoformat(since) if since else None
        self.max_articles = int(max_articles) if max_articles not in (None, "", "0") else None
        self.known: dict[str, dict[str, Any]] = {}
        self.new_requested = 0

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsroomSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.refresh_days is None:  # the setting is the default for the -a argument
            spider.refresh_days = crawler.settings.getint("NEWSROOM_REFRESH_DAYS", 14)
        return spider

    # -- options shared with the pipeline's run record --------------------------------------
    @property
    def options(self) -> dict[str, Any]:
        """The options of this run, as recorded in crawl_runs."""
        return {
            "start_url": self.start_url,
            "refresh_days": self.refresh_days,
            "recheck_all": self.recheck_all,
            "since": self.since.isoformat() if self.since else None,
            "max_articles": self.max_articles,
        }

    # -- start ------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        """Sitemaps, listings, the search API, then the archive's refreshes and retries."""
        archived = self._load_archive()
        async for request in super().start():  # robots.txt → sitemaps
            yield request
        for path in dict.fromkeys([urlsplit(self.start_url).path or "/", *site.LISTING_PATHS]):
            yield Request(self.origin + path, callback=self.parse_listing, errback=self.failed)
        yield self._search_request(0)
        for request in archived:
            yield request

    def _load_archive(self) -> list[Request]:
        """Read what the archive knows: archived URLs, articles to refresh, URLs to retry."""
        with Archive(self.settings.get("NEWSROOM_DB")) as archive:
            self.known = archive.known_articles()
            candidates = archive.refresh_candidates(
                refresh_days=self.refresh_days or 0, now=datetime.now(UTC), all_articles=self.recheck_all
            )
            retries = archive.retry_urls()
        requests = [self._refresh_request(row) for row in candidates]
        requests += [
            Request(
                self._on_start_host(url),
                callback=self.parse_article_page,
                errback=self.failed,
                meta={"source": "retry"},
            )
            for url in retries
        ]
        self.logger.info(
            "Archive: %d articles known, %d to refresh, %d to retry",
            len({r["url"] for r in self.known.values()}),
            len(candidates),
            len(retries),
        )
        return requests

    def _on_start_host(self, url: str) -> str:
        """The same path on the host being crawled: an archive filled from the replica or the
        live site is refreshed from whichever the run points at, never from another host."""
        parts = urlsplit(url)
        return self.origin + parts.path + (f"?{parts.query}" if parts.query else "")

    def _refresh_request(self, row: dict[str, Any]) -> Request:
        headers = {}
        if row.get("etag"):
            headers["If-None-Match"] = row["etag"]
        if row.get("last_modified"):
            headers["If-Modified-Since"] = row["last_modified"]
        return Request(
            self._on_start_host(row.get("fetched_url") or row["url"]),
            headers=headers,
            callback=self.parse_article_page,
            errback=self.failed,
            meta={"handle_httpstatus_list": [304], "archived_url": row["url"], "source": "refresh"},
        )

    # -- discovery --------------------------------------------------------------------------
    def _is_known(self, url: str) -> bool:
        path = urlsplit(url).path
        return any(key in self.known for key in (url, self.origin + path, site.CANONICAL_HOST + path))

    def _article_request(self, url: str, source: str, day: date | None = None) -> Request | None:
        """A request for a newly found article URL, or None (see ``_claim``)."""
        claimed = self._claim(url, source, day)
        if claimed is None:
            return None
        return Request(claimed, callback=self.parse_article_page, errback=self.failed, meta={"source": source})

    def _claim(self, url: str, source: str, day: date | None = None) -> str | None:
        """The canonical form of a newly found article URL, counted as requested this run; None
        when it is archived, off-site, older than ``since`` or beyond ``max_articles``."""
        url = canonical_url(url, self.start_url)
        parts = urlsplit(url)
        if _origin(url) != self.origin:
            self.crawler.stats.inc_value("newsroom/offsite_ignored")  # never followed, by design
            return None
        if not site.ARTICLE_PATH.match(parts.path):
            return None
        if self._is_known(url):
            self.crawler.stats.inc_value("newsroom/archived_skipped")
            return None
        if self.since and day and day < self.since:
            return None
        if self.max_articles is not None and self.new_requested >= self.max_articles:
            return None
        self.new_requested += 1
        self.known[url] = {"url": url}  # requested once per run, whichever discovery finds it first
        self.crawler.stats.inc_value(f"newsroom/found_by/{source}")
        return url

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """Sitemap entries minus archived articles, those before ``since`` and off-site ones."""
        for entry in entries:
            loc = entry.get("loc", "")
            if loc.endswith(".xml") or loc.endswith(".xml.gz"):  # a child sitemap of an index
                if _origin(loc) == self.origin:
                    yield entry
                continue
            day = parse_german_date(entry.get("lastmod", "")[:10]) if entry.get("lastmod") else None
            claimed = self._claim(loc, "sitemap", day)  # SitemapSpider makes the request itself
            if claimed is not None:
                entry["loc"] = claimed
                yield entry

    def _parse_sitemap(self, response: Response) -> Iterable[Request]:
        """SitemapSpider's own sitemap handling, with our errback and source on article requests.

        SitemapSpider builds the article requests itself, without an errback; a failed
        article must be recorded, not dropped, so each one gets ``failed`` as its errback.
        """
        for request in super()._parse_sitemap(response):
            if request.callback == self.parse_article_page:
                request = request.replace(errback=self.failed, meta={**request.meta, "source": "sitemap"})
            yield request

    def parse_listing(self, response: Response) -> Iterable[Request]:
        """A listing page: its article teasers, its next page and the other listings it links."""
        if not isinstance(response, TextResponse):
            return
        dates = []
        for request, day in self._teaser_requests(response, site.LISTING_TEASERS, "listing"):
            dates.append(day)
            if request is not None:
                yield request
        if self.since and dates and all(day and day < self.since for day in dates):
            return  # listings are newest first: the rest is older than --since
        for href in response.css(site.LISTING_NEXT_PAGE).getall() + response.css("a::attr(href)").getall():
            url = canonical_url(response.urljoin(href))
            parts = urlsplit(url)
            query = dict(parse_qsl(parts.query))
            if _origin(url) != self.origin:
                self.crawler.stats.inc_value("newsroom/offsite_ignored")
            elif site.LISTING_PATH.match(parts.path) and set(query) <= {"page"}:
                yield Request(url, callback=self.parse_listing, errback=self.failed)

    def _teaser_requests(
        self, response: TextResponse, teasers: str, source: str
    ) -> Iterable[tuple[Request | None, date | None]]:
        """For each teaser on the page: a request for its article (or None) and its date."""
        for teaser in response.css(teasers):
            href = teaser.css(site.TEASER_LINK).get()
            day = parse_german_date(" ".join(teaser.css(site.TEASER_DATE).getall()))
            yield (self._article_request(response.urljoin(href), source, day) if href else None), day

    def _search_request(self, offset: int) -> Request:
        return JsonRequest(
            self.origin + site.SEARCH_API_PATH,
            data=site.search_query(offset),
            callback=self.parse_search,
            errback=self.search_failed,
            meta={"offset": offset},
        )

    def parse_search(self, response: Response) -> Iterable[Request]:
        """One page of the search API: article URLs, then the next page while there is one."""
        try:
            urls, total = site.search_results(json.loads(response.text))
        except (ValueError, AttributeError):
            self.crawler.stats.inc_value("newsroom/search_api_failed")
            self.logger.warning("Search API answered something that is not JSON; discovery goes on without it")
            return
        for url, day in urls:
            request = self._article_request(response.urljoin(url), "search", parse_german_date(day))
            if request is not None:
                yield request
        offset = response.meta["offset"] + site.SEARCH_PAGE_SIZE
        more = urls and (total is None or offset < total)
        if more and offset + site.SEARCH_PAGE_SIZE <= site.SEARCH_MAX_WINDOW:
            yield self._search_request(offset)

    def search_failed(self, failure: Any) -> None:
        """A failing search API only narrows discovery: note it and go on."""
        self.crawler.stats.inc_value("newsroom/search_api_failed")
        self.logger.warning("Search API failed (%s); discovery goes on without it", failure.value)

    # -- article pages ----------------------------------------------------------------------
    def parse_article_page(self, response: Response) -> Iterable[Any]:
        """Hand the page to the pipelines untouched; follow its teasers."""
        headers = response.headers
        etag = headers.get("ETag")
        modified = headers.get("Last-Modified")
        yield FetchedPage(
            url=response.url,
            status=response.status,
            body=b"" if response.status == 304 else response.body,
            fetched_at=_now(),
            etag=etag.decode("latin-1") if etag else None,
            last_modified=modified.decode("latin-1") if modified else None,
            not_modified=response.status == 304,
            requested_url=response.meta.get("archived_url") or (response.request.url if response.request else None),
        )
        if response.status == 304 or not isinstance(response, TextResponse):
            return
        for request, _ in self._teaser_requests(response, site.TEASERS, "teaser"):
            if request is not None:
                yield request

    def failed(self, failure: Any) -> Iterable[CrawlFailure]:
        """A request that got no usable page: an article is recorded (and retried next run),
        a listing only logged (the next run walks the listings anyway)."""
        request = failure.request
        if failure.check(IgnoreRequest):  # forbidden by robots.txt: obeyed, nothing to record
            return
        if "source" not in request.meta:
            self.crawler.stats.inc_value("newsroom/listing_failed")
            self.logger.warning("Listing %s failed: %s", request.url, failure.value)
            return
        if failure.check(HttpError):
            status = failure.value.response.status
            yield CrawlFailure(url=request.url, kind="http", status=status, reason=f"HTTP {status}")
        else:
            yield CrawlFailure(url=request.url, kind="network", reason=f"{failure.type.__name__}: {failure.value}")
