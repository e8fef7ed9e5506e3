"""The crawl contacts the start URL's origin alone: scheme, host and port (crawl/origin.py)."""

from __future__ import annotations

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure as TwistedFailure

from newsroom_scraper.crawl.origin import SameOriginMiddleware
from newsroom_scraper.crawl.run import project_settings
from newsroom_scraper.errors import Failure
from newsroom_scraper.items import CrawlFailure
from newsroom_scraper.spiders.newsroom import NewsroomSpider

ORIGIN = "http://127.0.0.1:8000"
ARTICLE = ORIGIN + "/newsroom/nachrichten-dortmund.de/a.html"


def crawler_and_spider(tmp_path):
    crawler = get_crawler(NewsroomSpider, project_settings(NEWSROOM_DB=str(tmp_path / "newsroom.db")))
    crawler.spider = crawler._create_spider(start_url=ORIGIN + "/newsroom/")
    return crawler, crawler.spider


def test_the_middleware_is_asked_before_robots_txt():
    order = project_settings()["DOWNLOADER_MIDDLEWARES"]
    assert order["newsroom_scraper.crawl.origin.SameOriginMiddleware"] < 100  # RobotsTxtMiddleware: 100


@pytest.mark.parametrize("url", [ARTICLE, "HTTP://127.0.0.1:8000/robots.txt", ORIGIN + "/api/search/proxy/search"])
def test_requests_to_the_crawled_origin_pass(tmp_path, url):
    crawler, spider = crawler_and_spider(tmp_path)
    assert SameOriginMiddleware(crawler).process_request(Request(url), spider) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8001/newsroom/nachrichten-dortmund.de/intern-geheim.html",  # another port: Scrapy let it in
        "https://127.0.0.1:8000/newsroom/nachrichten-dortmund.de/a.html",  # another scheme
        "http://localhost:8000/newsroom/nachrichten-dortmund.de/a.html",  # another host name
        "http://127.0.0.1:8001/robots.txt",
    ],
)
def test_a_request_to_another_origin_is_dropped_and_counted(tmp_path, url):
    crawler, spider = crawler_and_spider(tmp_path)
    with pytest.raises(IgnoreRequest, match="Filtered offsite request to .*: the crawl contacts http://127.0.0.1:8000"):
        SameOriginMiddleware(crawler).process_request(Request(url), spider)
    assert crawler.stats.get_value("newsroom/offsite_filtered") == 1


def test_an_article_redirected_elsewhere_is_recorded_as_offsite_under_its_own_url(tmp_path):
    crawler, spider = crawler_and_spider(tmp_path)
    request = spider.article_request(ARTICLE, "listing")
    redirected = request.replace(
        url="http://127.0.0.1:8001/newsroom/nachrichten-dortmund.de/intern-geheim.html",
        meta={**request.meta, "redirect_urls": [ARTICLE]},
    )
    try:
        SameOriginMiddleware(crawler).process_request(redirected, spider)
    except IgnoreRequest as error:
        failure = TwistedFailure(error)
    failure.request = redirected  # as Scrapy's errback gets it
    (recorded,) = spider.failed(failure)
    assert isinstance(recorded, CrawlFailure)
    assert (recorded.url, recorded.kind) == (ARTICLE, Failure.OFFSITE)
    assert "redirected to http://127.0.0.1:8001/newsroom/" in recorded.reason


@pytest.mark.parametrize("target", [ARTICLE, ARTICLE + "?b=1"])
def test_an_article_redirected_to_itself_or_back_is_not_dropped_as_a_duplicate(tmp_path, target):
    """Scrapy's scheduler drops a request its duplicate filter has seen unless ``dont_filter``:
    a redirect to the same URL, or back to it, ended the article silently (issue 17, 3)."""
    from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
    from scrapy.dupefilters import RFPDupeFilter
    from scrapy.http import Response

    crawler, spider = crawler_and_spider(tmp_path)
    request = spider.article_request(ARTICLE, "listing")
    redirect = RedirectMiddleware.from_crawler(crawler)
    seen = RFPDupeFilter.from_crawler(crawler)
    assert not seen.request_seen(request)
    hop = redirect.process_response(request, Response(ARTICLE, status=302, headers={"Location": target}))
    back = redirect.process_response(hop, Response(hop.url, status=302, headers={"Location": ARTICLE}))
    for followed in (hop, back):
        assert isinstance(followed, Request) and followed.dont_filter  # the scheduler takes it
    assert seen.request_seen(back)  # what the filter would have said: dropped, with no errback


def test_cookies_ask_no_other_host_whether_a_domain_is_public(tmp_path, monkeypatch):
    """Issue 17, 7: on a fresh install the first Set-Cookie made tldextract (through Scrapy)
    fetch publicsuffix.org and raw.githubusercontent.com."""
    import socket

    import scrapy.downloadermiddlewares.cookies as cookies

    crawler, _ = crawler_and_spider(tmp_path)
    SameOriginMiddleware.from_crawler(crawler)
    attempts: list[object] = []

    def no_network(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    assert cookies._split_domain.suffix_list_urls == ()  # the bundled list, never a download
    assert cookies._is_public_domain("co.uk") and not cookies._is_public_domain("www.dortmund.de")
    assert attempts == []
