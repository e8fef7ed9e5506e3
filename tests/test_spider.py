"""The spider's channels and the two spider middlewares, in process, with hand-built responses
(Scrapy's own test style); the end-to-end crawls are in test_crawl.py."""

from __future__ import annotations

import asyncio
import gzip
import json
from datetime import date
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.utils.test import get_crawler

from newsroom_replica.markup import Teaser, render_article, render_listing
from newsroom_replica.samples import sample_pages
from newsroom_scraper import parse_article
from newsroom_scraper.crawl import discovery
from newsroom_scraper.crawl.run import project_settings
from newsroom_scraper.items import Capture, FetchedImage, FetchedPage, ParsedPage
from newsroom_scraper.middlewares import ArchiveMiddleware, ParseMiddleware
from newsroom_scraper.spiders.newsroom import NewsroomSpider
from newsroom_scraper.store import Archive

ORIGIN = "http://127.0.0.1:8000"
NEWS = "/newsroom/nachrichten-dortmund.de/"


def make_spider(tmp_path, **arguments):
    crawler = get_crawler(NewsroomSpider, project_settings(NEWSROOM_DB=str(tmp_path / "newsroom.db")))
    crawler.spider = crawler._create_spider(start_url=ORIGIN + "/newsroom/", **arguments)
    return crawler, crawler.spider


def response(url: str, body: bytes | str, cls: type[Response] = HtmlResponse, **meta) -> Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    extra = {"encoding": "utf-8"} if issubclass(cls, TextResponse) else {}
    return cls(url, body=data, request=Request(url, meta=meta), **extra)


def test_listing_yields_its_teasers_its_next_page_and_no_offsite_link(tmp_path):
    crawler, spider = make_spider(tmp_path)
    teasers = [Teaser(NEWS + "a.html", "A", date(2025, 3, 2)), Teaser(NEWS + "b.html", "B", date(2025, 3, 1))]
    html = render_listing(
        "Nachrichten",
        teasers,
        next_path="/newsroom/nachrichten/?page=2",
        extra_links=[("https://example.org/x/", "extern"), ("mailto:a@example.org", "Mail")],
    )
    out = list(spider.parse_listing(response(ORIGIN + "/newsroom/nachrichten/", html)))
    articles = [(r.url, r.meta["source"], r.meta["published"]) for r in out if r.meta.get("source")]
    assert articles == [
        (ORIGIN + NEWS + "a.html", "listing", date(2025, 3, 2)),
        (ORIGIN + NEWS + "b.html", "listing", date(2025, 3, 1)),
    ]
    assert [r.url for r in out if not r.meta.get("source")] == [ORIGIN + "/newsroom/nachrichten/?page=2"]
    assert crawler.stats.get_value("newsroom/offsite_ignored") == 2


def test_listing_older_than_since_stops_paging(tmp_path):
    _, spider = make_spider(tmp_path, since="2025-06-01")
    html = render_listing("N", [Teaser(NEWS + "a.html", "A", date(2025, 3, 2))], next_path="/newsroom/?page=2")
    out = list(spider.parse_listing(response(ORIGIN + "/newsroom/", html)))
    assert [r.meta.get("source") for r in out] == ["listing"]  # the teaser (the middleware drops it), no next page


def test_search_page_yields_articles_and_the_next_page(tmp_path):
    _, spider = make_spider(tmp_path)
    hits = [{"_source": {"website_url": NEWS + f"n{i}.html", "date": "2025-01-0" + str(i % 9 + 1)}} for i in range(100)]
    answer = json.dumps({"hits": {"total": {"value": 250}, "hits": hits}})
    out = list(spider.parse_search(response(ORIGIN + "/api/search/proxy/search", answer, TextResponse, offset=0)))
    assert sum(1 for r in out if r.meta.get("source") == "search") == 100
    assert out[-1].meta["offset"] == 100 and json.loads(out[-1].body)["from"] == 100


def test_search_page_that_is_not_json_only_narrows_discovery(tmp_path):
    crawler, spider = make_spider(tmp_path)
    assert list(spider.parse_search(response(ORIGIN + "/api", "<html>", TextResponse, offset=0))) == []
    assert crawler.stats.get_value("newsroom/search_api_failed") == 1


def test_robots_and_sitemaps(tmp_path):
    _, spider = make_spider(tmp_path)
    robots = f"User-agent: *\nSitemap: {ORIGIN}/sitemap.xml\nSitemap: https://example.org/other.xml\n"
    assert [r.url for r in spider.parse_robots(response(ORIGIN + "/robots.txt", robots, TextResponse))] == [
        ORIGIN + "/sitemap.xml"
    ]
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{ORIGIN}/news.xml.gz</loc></sitemap><sitemap><loc>https://example.org/s.xml</loc></sitemap>"
        "</sitemapindex>"
    )
    assert [r.url for r in spider.parse_sitemap(response(ORIGIN + "/sitemap.xml", index, TextResponse))] == [
        ORIGIN + "/news.xml.gz"
    ]
    urlset = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{ORIGIN}{NEWS}a.html</loc><lastmod>2025-07-07T10:52:00+00:00</lastmod></url></urlset>"
    )
    out = list(spider.parse_sitemap(response(ORIGIN + "/news.xml.gz", gzip.compress(urlset.encode()), Response)))
    assert [(r.url, r.meta["source"], r.meta["published"]) for r in out] == [
        (ORIGIN + NEWS + "a.html", "sitemap", date(2025, 7, 7))
    ]


def test_a_broken_sitemap_yields_nothing():
    assert discovery.sitemap_entries(b"\x1f\x8b not really gzip", ORIGIN + "/s.xml.gz") == ([], [])
    assert discovery.sitemap_entries(b"<html>no sitemap</html>", ORIGIN + "/s.xml") == ([], [])


def test_article_page_is_handed_over_untouched(tmp_path):
    _, spider = make_spider(tmp_path)
    body = b"<html>any bytes at all</html>"
    page = HtmlResponse(
        ORIGIN + NEWS + "a.html", body=body, headers={"ETag": '"v1"'}, request=Request(ORIGIN + NEWS + "a.html")
    )
    (fetched,) = spider.parse_article_page(page)
    assert (fetched.body, fetched.etag, fetched.status, fetched.not_modified) == (body, '"v1"', 200, False)
    assert fetched.fetched_at.endswith("+00:00")
    recheck = Request(ORIGIN + NEWS + "a.html", meta={"archived_url": "https://www.dortmund.de" + NEWS + "a.html"})
    (not_modified,) = spider.parse_article_page(Response(recheck.url, status=304, request=recheck))
    assert not_modified.not_modified and not_modified.body == b""
    assert not_modified.requested_url == "https://www.dortmund.de" + NEWS + "a.html"


def test_related_requests_follow_the_parsed_slider(tmp_path):
    _, spider = make_spider(tmp_path)
    article = parse_article(render_article(sample_pages()["winter-press-no-topline"]), "")
    requests = list(spider.related_requests(article))
    assert [(r.url, r.meta["published"]) for r in requests] == [
        (link.url, date.fromisoformat(link.date)) for link in article.related
    ]


def test_parse_middleware_parses_once_and_follows_the_teasers(tmp_path):
    crawler, spider = make_spider(tmp_path)
    page = sample_pages()["full-summer-news"]
    html = render_article(page).encode("utf-8")
    fetched = FetchedPage(url=ORIGIN + page.path, status=200, body=html, fetched_at="2026-11-25T10:00:00+00:00")
    out = list(ParseMiddleware(crawler).process_spider_output(response(fetched.url, html), [fetched]))
    parsed, *requests = out
    assert isinstance(parsed, ParsedPage) and parsed.article == parse_article(html, fetched.url)
    teasers = parsed.article.related
    followed = [r for r in requests if "source" in r.meta]
    assert [r.url for r in followed] == [t.url for t in teasers] and len(teasers) == 5
    assert {r.meta["source"] for r in followed} == {"teaser"}
    images = [r for r in requests if "image_of" in r.meta]  # then the article's pictures, after them
    assert [r.url for r in images] == [i.src for i in parsed.article.images] and len(images) == 4
    assert followed + images == requests and {r.priority for r in images} == {-10}


def follow_teasers(tmp_path, screened: bool) -> tuple[int, list[str], dict]:
    """One article page through ParseMiddleware then ArchiveMiddleware, with one of its teasers
    archived and one claimed this run: (Requests built, URLs kept, the run's newsroom/ stats)."""
    tmp_path.mkdir()
    crawler, spider = make_spider(tmp_path)
    archive = ArchiveMiddleware.from_crawler(crawler) if screened else ArchiveMiddleware(crawler)
    page = sample_pages()["full-summer-news"]
    html = render_article(page).encode("utf-8")
    teasers = [urlsplit(t.url).path for t in parse_article(html, ORIGIN + page.path).related]
    archive_one(tmp_path, ORIGIN + teasers[0])
    list(archive.process_spider_output(None, [spider.article_request(ORIGIN + teasers[1], "listing")]))
    fetched = FetchedPage(url=ORIGIN + page.path, status=200, body=html, fetched_at="2026-11-25T10:00:00+00:00")
    out = list(ParseMiddleware(crawler).process_spider_output(response(fetched.url, html), [fetched]))[1:]
    built = [r for r in out if "source" in r.meta]  # the teasers (the pictures: test_images_…)
    try:
        kept = [r.url for r in archive.process_spider_output(None, built)]
    finally:
        archive.spider_closed(spider)
    return len(built), kept, {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("newsroom/")}


def test_teasers_claimed_or_archived_are_dropped_before_their_requests_are_built(tmp_path):
    built, kept, stats = follow_teasers(tmp_path / "screened", screened=True)
    built_before, kept_before, stats_before = follow_teasers(tmp_path / "not", screened=False)
    assert (built_before, built) == (5, 3)  # the archived and the claimed teaser make no Request
    assert kept == kept_before and len(kept) == 3 and all(url.startswith(ORIGIN) for url in kept)
    assert stats == stats_before
    assert stats["newsroom/seen_by/teaser"] == 5 and stats["newsroom/found_by/teaser"] == 3
    assert stats["newsroom/archived_skipped"] == 1 and stats["newsroom/found_by/listing"] == 1


def test_images_are_asked_for_once_on_the_crawled_host_unless_captured_and_handed_over(tmp_path):
    crawler, spider = make_spider(tmp_path)
    archive = ArchiveMiddleware.from_crawler(crawler)
    page = sample_pages()["full-summer-news"]
    html = render_article(page).encode("utf-8")
    article = parse_article(html, ORIGIN + page.path)
    paths = [urlsplit(i.src).path for i in article.images]
    archive_one(tmp_path, ORIGIN + NEWS + "other.html")
    with Archive(tmp_path / "newsroom.db") as store:  # the first picture was captured by an earlier run
        capture = Capture(url=ORIGIN + paths[0], captured_at="2026-01-01T00:00:00+00:00", status=200, kind="image")
        assert store.add_image_capture(ORIGIN + NEWS + "other.html", capture, run_id=1)
    try:
        first = list(spider.image_requests(article, archive.screen_image))
        again = list(spider.image_requests(article, archive.screen_image))  # another page, same pictures
    finally:
        archive.spider_closed(spider)
    assert [r.url for r in first] == [ORIGIN + p for p in paths[1:]] and again == []
    assert {r.meta["image_of"] for r in first} == {article.url}
    assert crawler.stats.get_value("newsroom/images_archived_skipped") == 1
    fetched = response(first[0].url, b"RIFF", cls=Response, image_of=article.url)
    (image,) = spider.parse_image(fetched)
    assert image == FetchedImage(url=first[0].url, article_url=article.url, status=200, size=4)


def test_parse_middleware_keeps_the_reason_of_a_page_that_does_not_parse(tmp_path):
    crawler, _ = make_spider(tmp_path)
    broken = FetchedPage(url=ORIGIN + NEWS + "x.html", status=200, body=b"<html><main><dtm-text-image>")
    not_modified = FetchedPage(url=ORIGIN + NEWS + "y.html", status=304, not_modified=True)
    retried_enough = response(broken.url, b"", retry_times=crawler.settings.getint("RETRY_TIMES"))
    out = list(ParseMiddleware(crawler).process_spider_output(retried_enough, [broken, not_modified]))
    assert isinstance(out[0], ParsedPage) and out[0].error.startswith("truncated")
    assert out[0].attempts == crawler.settings.getint("RETRY_TIMES") + 1
    assert out[1] is not_modified


def test_a_truncated_page_is_asked_for_again_at_once(tmp_path):
    """A body cut short without a Content-Length is a transient fault: retried in the run, never stored."""
    crawler, _ = make_spider(tmp_path)
    broken = FetchedPage(url=ORIGIN + NEWS + "x.html", status=200, body=b"<html><main><dtm-text-image>")
    (out,) = ParseMiddleware(crawler).process_spider_output(response(broken.url, b""), [broken])
    assert isinstance(out, Request) and out.url == broken.url and out.meta["retry_times"] == 1
    assert out.dont_filter


def claim(crawler, requests):
    middleware = ArchiveMiddleware(crawler)
    try:
        return [r.url for r in middleware.process_spider_output(None, requests)], middleware
    finally:
        middleware.spider_closed(crawler.spider)


def archive_one(tmp_path, url: str) -> None:
    page = sample_pages()["date-only-no-tags"]
    article = parse_article(render_article(page), url)
    with Archive(tmp_path / "newsroom.db") as archive:
        run = archive.start_run(ORIGIN, {})
        archive.save_article(
            article,
            run_id=run,
            fetched_url=url,
            fetched_at="2026-01-01T00:00:00+00:00",
            etag='"e1"',
            last_modified=None,
        )


def test_archive_middleware_claims_each_new_article_once(tmp_path):
    crawler, spider = make_spider(tmp_path)
    archive_one(tmp_path, ORIGIN + NEWS + "sprechstunde-im-mai.html")
    found = [
        spider.article_request(ORIGIN + NEWS + "neu.html", "listing"),
        spider.article_request(ORIGIN + NEWS + "neu.html#oben", "search"),  # the same article again
        spider.article_request("https://www.dortmund.de" + NEWS + "zweit.html", "teaser"),  # canonical host
        spider.article_request("https://www.dortmund.de" + NEWS + "sprechstunde-im-mai.html", "teaser"),  # archived
        spider.article_request("https://example.org" + NEWS + "fremd.html", "teaser"),
        spider.article_request(ORIGIN + "/themen/keine-nachricht/", "search"),  # not an article path
        Request(ORIGIN + "/newsroom/?page=2"),  # not an article request: passes untouched
    ]
    urls, _ = claim(crawler, found)
    assert urls == [ORIGIN + NEWS + "neu.html", ORIGIN + NEWS + "zweit.html", ORIGIN + "/newsroom/?page=2"]
    stats = crawler.stats
    assert stats.get_value("newsroom/archived_skipped") == 1 and stats.get_value("newsroom/offsite_ignored") == 1
    assert stats.get_value("newsroom/found_by/listing") == 1 and stats.get_value("newsroom/found_by/teaser") == 1


@pytest.mark.parametrize(
    "arguments, kept",
    [({"since": "2025-03-01"}, ["new.html"]), ({"max_articles": "1"}, ["old.html"]), ({}, ["old.html", "new.html"])],
)
def test_archive_middleware_applies_since_and_max_articles(tmp_path, arguments, kept):
    crawler, spider = make_spider(tmp_path, **arguments)
    Archive(tmp_path / "newsroom.db").close()  # the pipeline's writer makes it; the middleware only reads
    found = [
        spider.article_request(ORIGIN + NEWS + "old.html", "sitemap", date(2025, 1, 1)),
        spider.article_request(ORIGIN + NEWS + "new.html", "sitemap", date(2025, 6, 1)),
    ]
    urls, _ = claim(crawler, found)
    assert urls == [ORIGIN + NEWS + name for name in kept]


def test_archive_middleware_adds_conditional_rechecks_after_the_start(tmp_path):
    crawler, spider = make_spider(tmp_path, recheck_all="1")
    archive_one(tmp_path, "https://www.dortmund.de" + NEWS + "sprechstunde-im-mai.html")
    middleware = ArchiveMiddleware(crawler)

    async def start():
        yield Request(ORIGIN + "/newsroom/")

    async def collect():
        return [request async for request in middleware.process_start(start())]

    try:
        out = asyncio.run(collect())
    finally:
        middleware.spider_closed(spider)
    assert out[0].url == ORIGIN + "/newsroom/"
    recheck = out[1]
    assert recheck.url == ORIGIN + NEWS + "sprechstunde-im-mai.html"  # on the crawled host
    assert recheck.headers[b"If-None-Match"] == b'"e1"' and recheck.meta["source"] == "refresh"
    assert recheck.meta["handle_httpstatus_list"] == [304] and recheck.errback == spider.failed


def test_every_channel_has_an_in_process_test_and_a_row_in_the_docs():
    """A new discovery channel is a callback here and a function in crawl/discovery.py: forgetting
    its test or its row in docs/crawling.md fails this test."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    tests = Path(__file__).read_text(encoding="utf-8")
    docs = (root / "docs" / "crawling.md").read_text(encoding="utf-8")
    callbacks = [name for name in vars(NewsroomSpider) if name.startswith("parse_") or name == "related_requests"]
    # parse_article_page only hands the page over: it is no channel, but tested all the same
    channels = [name for name in vars(discovery) if callable(getattr(discovery, name)) and not name.startswith("_")]
    channels = [n for n in channels if getattr(discovery, n).__module__ == discovery.__name__ and n != "origin_of"]
    untested = [name for name in callbacks if f".{name}(" not in tests and f".{name}," not in tests]
    undocumented = [
        name
        for name in callbacks + channels
        if name != "parse_article_page" and f"`{name}`" not in docs and f".{name}`" not in docs
    ]
    assert not untested, f"spider callbacks without an in-process test in test_spider.py: {untested}"
    assert not undocumented, f"channels missing from docs/crawling.md's table: {undocumented}"


def listing_output(spider, names: list[str]):
    """What parse_listing yields for a page of teasers ``names`` with a link to page 2."""
    teasers = [Teaser(NEWS + name, name, date(2025, 3, 1)) for name in names]
    html = render_listing("N", teasers, next_path="/newsroom/nachrichten/?page=2")
    return list(spider.parse_listing(response(ORIGIN + "/newsroom/nachrichten/", html)))


@pytest.mark.parametrize(
    "arguments, names, follows",
    [
        ({}, ["sprechstunde-im-mai.html"], False),  # every teaser archived: paging stops
        ({}, ["sprechstunde-im-mai.html", "neu.html"], True),  # one new article: the next page too
        ({"full_discovery": "1"}, ["sprechstunde-im-mai.html"], True),
        ({"recheck_all": "1"}, ["sprechstunde-im-mai.html"], True),  # the weekly run walks everything
    ],
)
def test_listing_paging_stops_at_a_page_that_brings_nothing_new(tmp_path, arguments, names, follows):
    crawler, spider = make_spider(tmp_path, **arguments)
    archive_one(tmp_path, ORIGIN + NEWS + "sprechstunde-im-mai.html")
    urls, _ = claim(crawler, listing_output(spider, names))
    assert (ORIGIN + "/newsroom/nachrichten/?page=2" in urls) is follows
    assert crawler.stats.get_value("newsroom/paging_stopped/listing") == (None if follows else 1)
    assert crawler.stats.get_value("newsroom/seen_by/listing") == len(names)


def test_an_empty_archive_walks_every_page(tmp_path):
    crawler, spider = make_spider(tmp_path)
    Archive(tmp_path / "newsroom.db").close()  # exists, holds nothing
    urls, _ = claim(crawler, listing_output(spider, []))
    assert urls == [ORIGIN + "/newsroom/nachrichten/?page=2"]


def test_a_next_page_waits_for_the_articles_of_its_page(tmp_path):
    """The next page is decided once the whole page is seen, whatever order the spider yields in."""
    crawler, spider = make_spider(tmp_path)
    archive_one(tmp_path, ORIGIN + NEWS + "sprechstunde-im-mai.html")
    out = listing_output(spider, ["sprechstunde-im-mai.html", "neu.html"])
    urls, _ = claim(crawler, out[-1:] + out[:-1])  # the next page first
    assert urls == [ORIGIN + NEWS + "neu.html", ORIGIN + "/newsroom/nachrichten/?page=2"]


def test_search_paging_stops_at_a_page_of_archived_articles(tmp_path):
    crawler, spider = make_spider(tmp_path)
    archive_one(tmp_path, ORIGIN + NEWS + "sprechstunde-im-mai.html")
    hits = [{"_source": {"website_url": NEWS + "sprechstunde-im-mai.html"}}]
    body = json.dumps({"hits": {"total": {"value": 500}, "hits": hits}})
    out = list(spider.parse_search(response(ORIGIN + "/api/search/proxy/search", body, TextResponse, offset=100)))
    assert out[-1].meta == {"offset": 200, "paging": "search"}
    urls, _ = claim(crawler, out)
    assert urls == []
    assert crawler.stats.get_value("newsroom/paging_stopped/search") == 1


async def through_the_middleware(middleware: ParseMiddleware, page: FetchedPage) -> list:
    """One page through ParseMiddleware's async path, as a crawl's spider output goes."""

    async def fetched():
        yield page

    return [out async for out in middleware.process_spider_output_async(response(page.url, b""), fetched())]


def test_the_async_path_parses_as_parse_article_and_retries_a_truncated_page(tmp_path):
    crawler, spider = make_spider(tmp_path)
    middleware = ParseMiddleware(crawler)
    page = sample_pages()["full-summer-news"]
    html = render_article(page).encode("utf-8")
    good = FetchedPage(url=ORIGIN + page.path, status=200, body=html, fetched_at="2026-11-25T10:00:00+00:00")
    broken = FetchedPage(url=ORIGIN + NEWS + "x.html", status=200, body=b"<html><main>")

    async def scenario():
        parsed, *requests = await through_the_middleware(middleware, good)
        assert parsed.article == parse_article(html, good.url, good.fetched_at)
        teasers = [r for r in requests if "source" in r.meta]
        assert [r.url for r in teasers] == [t.url for t in parsed.article.related]
        (retry,) = await through_the_middleware(middleware, broken)
        assert isinstance(retry, Request) and retry.url == broken.url  # truncated: asked again

    asyncio.run(scenario())
