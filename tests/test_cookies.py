"""A site cannot make the crawl carry unbounded cookies (issue 17, 7): the jar is capped per host."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from newsroom_scraper.crawl.run import project_settings

SITE = "http://127.0.0.1:8000"


def middleware_of(crawler):
    """The cookie middleware the project's settings install in Scrapy's downloader."""
    from scrapy.utils.misc import build_from_crawler, load_object

    paths = crawler.settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    (path,) = [p for p, order in paths.items() if "ookies" in str(p) and order is not None]
    return build_from_crawler(load_object(path), crawler)


def cookie_header(middleware, url: str) -> bytes:
    request = Request(url)
    middleware.process_request(request)
    return request.headers.get("Cookie") or b""


def test_a_page_setting_200_large_cookies_leaves_a_small_cookie_header_and_the_sites_own_cookie():
    """200 cookies of 3.9 KB made every later request carry a 781 KB Cookie header."""
    crawler = get_crawler(settings_dict=project_settings())
    crawler.stats.open_spider()
    middleware = middleware_of(crawler)
    gate = Response(f"{SITE}/newsroom/", status=302, headers={"Set-Cookie": "dtm_session=0123abcd; Path=/"})
    middleware.process_response(Request(f"{SITE}/newsroom/"), gate)
    flood = [f"c{n}={'x' * 3_900}; Path=/".encode() for n in range(200)]
    page = Response(f"{SITE}/newsroom/a.html", headers={"Set-Cookie": flood})
    middleware.process_response(Request(f"{SITE}/newsroom/a.html"), page)
    header = cookie_header(middleware, f"{SITE}/newsroom/b.html")
    assert len(header) <= crawler.settings.getint("NEWSROOM_COOKIE_BYTES_PER_HOST") + 500  # names, values, "; "
    assert b"dtm_session=0123abcd" in header  # the site's own cookie, set first, is kept
    assert crawler.stats.get_value("newsroom/cookies_refused") >= 198


def test_many_small_cookies_are_capped_by_count_and_a_cookie_can_still_be_replaced():
    crawler = get_crawler(settings_dict=project_settings())
    middleware = middleware_of(crawler)
    many = [f"n{n:03d}=v; Path=/".encode() for n in range(300)]
    middleware.process_response(Request(f"{SITE}/"), Response(f"{SITE}/", headers={"Set-Cookie": many}))
    header = cookie_header(middleware, f"{SITE}/x")
    assert header.count(b"=") == crawler.settings.getint("NEWSROOM_COOKIES_PER_HOST")
    kept = header.split(b"; ")[0].split(b"=")[0].decode()
    again = Response(f"{SITE}/", headers={"Set-Cookie": f"{kept}=changed; Path=/".encode()})
    middleware.process_response(Request(f"{SITE}/"), again)
    assert f"{kept}=changed".encode() in cookie_header(middleware, f"{SITE}/x")
