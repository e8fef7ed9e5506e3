"""``newsroom-archive doctor``: a polite probe of the site before (or between) crawls.

A handful of requests with the crawl's own settings (User-Agent, robots.txt, delay, cookies,
retries): robots.txt, the start page, a section listing, the search API, the sitemaps robots.txt
names (the index and one child), and one article. It says which discovery channels answer, how
many article links each yields, whether the site needs cookies, and whether the parser reads the
sampled article with the site's own layout and every field an article always has. Nothing is
written to the archive. The probe is a Scrapy spider run by the same machinery as the crawl;
the spider lives here, not in ``spiders/``, so ``scrapy list`` names only the crawl.

Exit codes: 0 every check passed; 1 a discovery channel or the parser is broken (the table says
which); 2 bad options.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import IgnoreRequest
from scrapy.http import JsonRequest, Request, Response
from scrapy.spidermiddlewares.httperror import HttpError

from newsroom_scraper import site
from newsroom_scraper.crawl import discovery
from newsroom_scraper.crawl.run import crawl_settings
from newsroom_scraper.errors import ParseError
from newsroom_scraper.ops.report import OFTEN_EMPTY
from newsroom_scraper.parser.layouts.generic import GenericLayout
from newsroom_scraper.parser.parse import parse_article, parse_listing
from newsroom_scraper.parser.text.urls import origin_of
from newsroom_scraper.spiders.newsroom import content_type

EXIT_OK, EXIT_BROKEN = 0, 1
# The checks, in the order the table shows them.
CHECKS = ("robots.txt", "start page", "listing", "search API", "sitemaps", "article")
# The discovery channels of the crawl (newsroom/seen_by/<channel>) and the check that probes each.
CHANNEL_CHECKS = {"sitemap": "sitemaps", "listing": "listing", "search": "search API"}
# Fields every article has; an empty one on the sampled article means the parser is broken.
# (The others are empty on some pages: they are listed, not failed.)
REQUIRED_FIELDS = ("title", "published_at", "body_text")


@dataclass
class Check:
    """One row of the table: what was asked, what came back."""

    name: str
    url: str = ""
    status: int | None = None  # the HTTP status, None when nothing answered
    verdict: str = "fail"  # ok, fail, or skip (not offered by the site: no sitemap)
    articles: int | None = None  # article links the channel yielded
    note: str = ""


@dataclass
class Diagnosis:
    """Every check, whether cookies were needed, and the exit code they add up to."""

    start_url: str
    checks: dict[str, Check] = field(default_factory=dict)
    cookies_needed: bool = False

    @property
    def broken(self) -> list[str]:
        return [name for name, check in self.checks.items() if check.verdict == "fail"]

    @property
    def exit_code(self) -> int:
        return EXIT_BROKEN if self.broken else EXIT_OK

    def expect(self, usual: dict[str, int]) -> None:
        """Fail a channel the archive's last healthy runs found articles through (``usual``: channel →
        the fewest a run named, ops/drift.py ``usual_channels``) that now names none or is not offered:
        a sitemap that vanished is broken discovery, not a site without sitemaps."""
        for channel, named in usual.items():
            check = self.checks.get(CHANNEL_CHECKS.get(channel, ""))
            if check is None or check.verdict == "fail" or (check.verdict == "ok" and check.articles):
                continue
            check.verdict = "fail"
            check.note = f"{check.note}; but the archive's last runs found {named}+ articles a run through it"

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_url": self.start_url,
            "ok": not self.broken,
            "exit_code": self.exit_code,
            "cookies_needed": self.cookies_needed,
            "broken": self.broken,
            "checks": [asdict(self.checks[name]) for name in CHECKS if name in self.checks],
        }


class DoctorSpider(Spider):
    """The probe: one request per check, then one article from the first channel that named one."""

    name = "newsroom-doctor"

    def __init__(self, start_url: str = site.DEFAULT_START_URL, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_url = start_url
        self.origin = origin_of(start_url)
        self.allowed_domains = [urlsplit(start_url).hostname or ""]
        self.diagnosis = Diagnosis(start_url)
        for name in CHECKS:
            self.diagnosis.checks[name] = Check(name, note="not reached")
        self.article_asked = False
        self.candidates: list[str] = []  # article URLs named so far, for the article check

    def _request(self, name: str, url: str, callback: Any, **kwargs: Any) -> Request:
        self.diagnosis.checks[name].url = url
        return Request(url, callback=callback, errback=self.failed, meta={"check": name}, dont_filter=True, **kwargs)

    async def start(self) -> AsyncIterator[Any]:
        yield self._request("robots.txt", self.origin + "/robots.txt", self.parse_robots)
        yield self._request("start page", self.start_url, self.parse_listing_page)
        # The start page once more, without cookies and without following redirects: a site that
        # answers by sending the client back to the same URL with a cookie needs a cookie jar.
        yield Request(
            self.start_url,
            callback=self.parse_without_cookies,
            errback=self.failed,
            dont_filter=True,
            meta={"dont_merge_cookies": True, "dont_redirect": True, "handle_httpstatus_all": True},
        )
        listing = next((path for path in site.LISTING_PATHS if self.origin + path != self.start_url), "/newsroom/")
        yield self._request("listing", self.origin + listing, self.parse_listing_page)
        self.diagnosis.checks["search API"].url = self.origin + site.SEARCH_API_PATH
        yield JsonRequest(
            self.origin + site.SEARCH_API_PATH,
            data=site.search_query(0),
            callback=self.parse_search,
            errback=self.failed,
            meta={"check": "search API"},
        )

    # -- what each check learns --------------------------------------------------------------
    def _answered(self, response: Response) -> Check:
        check = self.diagnosis.checks[response.meta["check"]]
        check.status = response.status
        return check

    def parse_without_cookies(self, response: Response) -> None:
        location = response.headers.get("Location")
        back = location is not None and response.urljoin(location.decode("latin-1")) == response.url
        self.diagnosis.cookies_needed = bool(back and response.headers.get("Set-Cookie"))

    def parse_robots(self, response: Response) -> Iterable[Request]:
        check = self._answered(response)
        sitemaps = discovery.sitemaps_in_robots(response.body, response.url)
        check.verdict, check.note = "ok", f"{len(sitemaps)} sitemap(s) named"
        sitemap = self.diagnosis.checks["sitemaps"]
        if not sitemaps:
            sitemap.verdict, sitemap.note = "skip", "robots.txt names none (the live site had none): not used"
            return
        yield self._request("sitemaps", sitemaps[0], self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterable[Request]:
        check = self._answered(response)
        children, articles = discovery.sitemap_entries(response.body, response.url, 0)
        if children and not response.meta.get("child"):  # an index: read one child
            check.note = f"an index of {len(children)}, one read"
            request = self._request("sitemaps", children[0], self.parse_sitemap)
            request.meta["child"] = True
            yield request
            return
        found = [url for url, _ in articles if self._is_article(url)]
        check.articles = len(found)
        check.verdict = "ok" if found else "fail"
        if not found:
            check.note = "no article URL in it"
        yield from self._article_from(found)

    def parse_listing_page(self, response: Response) -> Iterable[Request]:
        check = self._answered(response)
        try:
            listing = parse_listing(response.body, response.url, content_type=content_type(response))
        except ParseError as error:
            check.verdict, check.note = "fail", f"not a listing: {error}"
            return
        found = [url for url, _ in discovery.listing_articles(listing) if self._is_article(url)]
        pages, _ = discovery.listing_pages(listing, self.origin)
        check.articles = len(found)
        check.verdict = "ok" if found else "fail"
        paging = "has a next page" if any(site.is_next_page(url) for url in pages) else "no next page"
        check.note = paging if found else "no article teaser: the listing markup changed? (parser/layouts/dtm.py)"
        yield from self._article_from(found)

    def parse_search(self, response: Response) -> Iterable[Request]:
        check = self._answered(response)
        try:
            urls, total = site.search_results(json.loads(response.text))
        except (ValueError, AttributeError):
            check.verdict, check.note = "fail", "the answer is not JSON"
            return
        found = [response.urljoin(url) for url, _ in urls if self._is_article(response.urljoin(url))]
        check.articles = len(found)
        check.verdict = "ok" if found else "fail"
        check.note = f"{total} documents in the index" if total is not None else ""
        if not found:
            check.note = "no article among the results: its fields changed? (site.py)"
        yield from self._article_from(found)

    def parse_article_page(self, response: Response) -> None:
        check = self._answered(response)
        try:
            article = parse_article(response.body, response.url, content_type=content_type(response))
        except ParseError as error:
            check.verdict, check.note = "fail", f"does not parse: {error}"
            return
        values = article.to_dict()
        missing = [name for name in REQUIRED_FIELDS if not values.get(name)]
        empty = [name for name, value in values.items() if not value and name in OFTEN_EMPTY | {"lead", "description"}]
        fallback = {version.version for version in GenericLayout.versions()}
        if missing:
            check.verdict, check.note = "fail", f"{article.layout}: no {', '.join(missing)}"
        elif article.layout in fallback:
            check.verdict = "fail"
            check.note = (
                f"read only by the {article.layout} fallback: the site's markup changed (parser/layouts/dtm.py)"
            )
        else:
            check.verdict = "ok"
            check.note = f"{article.layout}, every field" + (f" (empty here: {', '.join(empty)})" if empty else "")

    def failed(self, failure: Any) -> None:
        if "check" not in failure.request.meta:  # the cookie probe: the start page's row says why
            return
        check = self.diagnosis.checks[failure.request.meta["check"]]
        if failure.check(HttpError) and check.name == "robots.txt" and failure.value.response.status == 404:
            check.status, check.verdict, check.note = 404, "ok", "none: everything allowed, no sitemap named"
            sitemaps = self.diagnosis.checks["sitemaps"]
            sitemaps.verdict, sitemaps.note = "skip", "robots.txt names none: not used"
            return
        if failure.check(HttpError):
            check.status = failure.value.response.status
            check.note = f"HTTP {check.status}"
        elif failure.check(IgnoreRequest):
            check.note = "forbidden by robots.txt"
        else:
            check.note = f"{failure.type.__name__}: {failure.value}"
        check.verdict = "fail"

    # -- helpers -----------------------------------------------------------------------------
    def _is_article(self, url: str) -> bool:
        return bool(site.ARTICLE_PATH.match(urlsplit(url).path))

    def _article_from(self, found: list[str]) -> Iterable[Request]:
        """The article check, once, on the first article URL any channel named (on this host)."""
        if self.article_asked or not found:
            return
        self.article_asked = True
        path = urlsplit(found[0])
        yield self._request(
            "article", self.origin + path.path + (f"?{path.query}" if path.query else ""), self.parse_article_page
        )

    def closed(self, reason: str) -> None:
        article = self.diagnosis.checks["article"]
        if not self.article_asked:
            article.note = "no channel named an article"


def diagnose(
    start_url: str | None = None, log_level: str = "ERROR", usual: dict[str, int] | None = None, **options: Any
) -> Diagnosis:
    """Run the probe (blocking, once per process, as any Scrapy crawl) and return its diagnosis.

    ``usual``: the channels the archive's runs found articles through (``Diagnosis.expect``);
    ``options`` are those of ``crawl_settings`` (delay, timeout, settings, …): the crawl's manners.
    """
    settings = crawl_settings(**options)
    probe = {"ITEM_PIPELINES": {}, "SPIDER_MIDDLEWARES": {}, "RETRY_TIMES": 1, "LOG_LEVEL": log_level}
    settings.setdict(probe, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(DoctorSpider)
    process.crawl(crawler, start_url=start_url or site.DEFAULT_START_URL)
    process.start()
    assert isinstance(crawler.spider, DoctorSpider)
    crawler.spider.diagnosis.expect(usual or {})
    return crawler.spider.diagnosis


def format_table(diagnosis: Diagnosis) -> str:
    """The diagnosis as a table a person reads in ten seconds."""
    marks = {"ok": "ok", "fail": "FAIL", "skip": "–"}
    rows = [("check", "", "HTTP", "articles", "note")]
    for name in CHECKS:
        check = diagnosis.checks[name]
        articles = "" if check.articles is None else str(check.articles)
        rows.append((name, marks[check.verdict], str(check.status or "–"), articles, check.note))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"Doctor: {diagnosis.start_url}"]
    lines += ["  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4] for row in rows]
    lines.append(
        f"  cookies: {'needed (the site redirects a client without one)' if diagnosis.cookies_needed else 'not needed'}"
    )
    if diagnosis.broken:
        lines.append(f"BROKEN: {', '.join(diagnosis.broken)} (exit {diagnosis.exit_code})")
    else:
        lines.append("OK: discovery and parsing work")
    return "\n".join(line.rstrip() for line in lines)
