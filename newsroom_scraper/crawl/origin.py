"""``SameOriginMiddleware``: the crawl contacts the start URL's origin alone, redirects included.

Scrapy's off-site filter compares host names only: a redirect to the same host on another port
(or scheme) was fetched, robots.txt and all, and stored under the site's URL (issue 17). This
downloader middleware, placed before robots.txt is asked (settings.py), drops every request whose
scheme, host or port differs from the spider's ``origin``, with Scrapy's own "Filtered offsite
request" wording, so that an article lost this way is recorded as ``offsite`` under the URL it
was first asked for (crawl/failures.py), counted, and tried again next run.

It also keeps Scrapy's cookie handling off the network: Scrapy asks tldextract whether a
cookie's domain is a public suffix, and tldextract fetched the list from publicsuffix.org and
GitHub on a fresh install, at the first ``Set-Cookie`` (issue 17, 7). The list bundled with
tldextract is used instead (``offline_public_suffixes``).
"""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from tldextract import TLDExtract

from newsroom_scraper.parser.text.urls import origin_key


def offline_public_suffixes() -> None:
    """Have Scrapy's cookie middleware read public suffixes from tldextract's bundled list, never
    the network; fails loudly if Scrapy no longer has the extractor this replaces."""
    import scrapy.downloadermiddlewares.cookies as cookies

    current = cookies._split_domain  # AttributeError here: Scrapy changed, look again
    if getattr(current, "suffix_list_urls", None) != ():
        cookies._split_domain = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


class SameOriginMiddleware:
    """Drops a request to any other origin than the spider's (see the module's doc)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SameOriginMiddleware:
        offline_public_suffixes()
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        origin: Any = getattr(spider, "origin", None)
        if not origin or origin_key(request.url) == origin_key(origin):
            return None
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newsroom/offsite_filtered")
        scheme, host, port = origin_key(request.url)
        raise IgnoreRequest(f"Filtered offsite request to {scheme}://{host}:{port}: the crawl contacts {origin} alone")
