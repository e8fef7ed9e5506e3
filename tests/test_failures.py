"""Every article request that ends without a stored page leaves a row, with its kind and attempts
(issue 9, finding 1), and a storage failure that will repeat stops the run (finding 7)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure as TwistedFailure

from newsroom_scraper.crawl.archive_writer import ArchiveWriter
from newsroom_scraper.crawl.run import project_settings
from newsroom_scraper.errors import Failure
from newsroom_scraper.items import CrawlFailure, FetchedPage, ParsedPage
from newsroom_scraper.pipelines import ArchivePipeline
from newsroom_scraper.spiders.newsroom import NewsroomSpider

ORIGIN = "http://127.0.0.1:8000"
URL = ORIGIN + "/newsroom/nachrichten-dortmund.de/a.html"


def make_spider(tmp_path):
    crawler = get_crawler(NewsroomSpider, project_settings(NEWSROOM_DB=str(tmp_path / "newsroom.db")))
    crawler.spider = crawler._create_spider(start_url=ORIGIN + "/newsroom/")
    return crawler, crawler.spider


def failure_of(error: Exception, request: Request) -> TwistedFailure:
    failure = TwistedFailure(error)
    failure.request = request  # as Scrapy's errback gets it
    return failure


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_an_http_error_of_an_article_is_recorded_with_its_status_and_attempts(tmp_path, status):
    _, spider = make_spider(tmp_path)
    request = spider.article_request(URL, "listing").replace(meta={"source": "listing", "retry_times": 3})
    response = Response(URL, status=status, request=request)
    (recorded,) = spider.failed(failure_of(HttpError(response, "Ignoring non-200 response"), request))
    assert recorded == CrawlFailure(URL, Failure.HTTP, f"HTTP {status}", status, 4)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (IgnoreRequest("max redirections reached"), Failure.REDIRECTS),
        (IgnoreRequest("Filtered offsite request to 'evil.example'"), Failure.OFFSITE),
        (IgnoreRequest("Forbidden by robots.txt"), Failure.ROBOTS),
        (
            IgnoreRequest("Ignored response <200 x> because its body (9 B compressed, …) exceeded DOWNLOAD_MAXSIZE"),
            Failure.TOO_LARGE,
        ),
        (
            DownloadCancelledError("Received 5000000 bytes which is larger than download max size (4194304)"),
            Failure.TOO_LARGE,
        ),
        (DownloadCancelledError(""), Failure.TOO_LARGE),  # no Content-Length: Scrapy cancels, says nothing
        (DownloadTimeoutError("Getting x took longer than 5.0 seconds."), Failure.TIMEOUT),
        (ConnectionRefusedError("refused"), Failure.NETWORK),
    ],
)
def test_every_way_a_request_ends_without_a_page_has_a_kind(tmp_path, error, kind):
    _, spider = make_spider(tmp_path)
    request = spider.article_request(URL, "refresh")
    (recorded,) = spider.failed(failure_of(error, request))
    assert (recorded.url, recorded.kind, recorded.attempts) == (URL, kind, 1)
    assert type(error).__name__ in recorded.reason


def test_a_failed_listing_is_counted_not_recorded(tmp_path):
    crawler, spider = make_spider(tmp_path)
    request = Request(ORIGIN + "/newsroom/", errback=spider.failed)
    assert list(spider.failed(failure_of(HttpError(Response(request.url, status=500), "x"), request))) == []
    assert crawler.stats.get_value("newsroom/listing_failed") == 1


def open_pipeline(tmp_path, **settings):
    """The pipeline, opened."""
    crawler = get_crawler(NewsroomSpider, project_settings(NEWSROOM_DB=str(tmp_path / "newsroom.db"), **settings))
    spider = crawler.spider = crawler._create_spider(start_url=ORIGIN + "/newsroom/")
    pipeline = ArchivePipeline(crawler)
    pipeline.open_spider(spider)
    return crawler, spider, pipeline


def writer_of(pipeline: ArchivePipeline) -> ArchiveWriter:
    assert pipeline.writer is not None
    return pipeline.writer


def store(pipeline: ArchivePipeline, *items) -> None:
    for item in items:
        pipeline.process_item(item)


def test_the_pipeline_records_failures_warnings_and_counts_them_by_kind(tmp_path):
    crawler, spider, pipeline = open_pipeline(tmp_path)
    page = FetchedPage(url=URL.replace("a.html", "b.html"), status=200, body=b"<html>")
    store(
        pipeline,
        CrawlFailure(URL, Failure.HTTP, "HTTP 503", 503, 4),
        ParsedPage(fetch=page, error="truncated: cut", attempts=4),
    )
    writer = writer_of(pipeline)
    assert writer.archive is not None
    rows = writer.archive.db.execute(
        "select url, kind, status, attempts, reason from crawl_errors order by id"
    ).fetchall()
    assert rows == [(URL, "http", 503, 4, "HTTP 503"), (page.url, "parse", 200, 4, "truncated: cut")]
    assert crawler.stats.get_value("newsroom/failures/http") == 1  # the writer keeps the crawl's stats
    pipeline.spider_closed(spider, "finished")
    assert writer.counts["errors"] == 2
    with sqlite3.connect(tmp_path / "newsroom.db") as reader:
        assert reader.execute("select error_count, finish_reason from crawl_runs").fetchone() == (2, "finished")


def test_items_are_committed_in_groups_and_a_quiet_crawl_commits_on_the_timer(tmp_path):
    _, spider, pipeline = open_pipeline(tmp_path, NEWSROOM_COMMIT_ITEMS=3)
    writer = writer_of(pipeline)

    def visible() -> int:  # what a reader (Datasette) sees: committed rows only
        with sqlite3.connect(tmp_path / "newsroom.db") as reader:
            return reader.execute("select count(*) from crawl_errors").fetchone()[0]

    failures = [CrawlFailure(f"{URL}?{n}", Failure.HTTP, "HTTP 503", 503, 4) for n in range(5)]
    store(pipeline, *failures[:2])
    assert visible() == 0
    store(pipeline, failures[2])
    assert visible() == 3  # the third item filled the group
    store(pipeline, failures[3])
    pipeline._tick()
    assert visible() == 3  # not due yet
    writer.opened_at -= writer.commit_seconds
    pipeline._tick()
    assert visible() == 4
    store(pipeline, failures[4])
    pipeline.spider_closed(spider, "finished")
    assert visible() == 5
    assert pipeline.timer is not None and not pipeline.timer.running


def test_warnings_are_never_retried(tmp_path):
    from newsroom_scraper.store import Archive

    with Archive(tmp_path / "a.db") as archive:
        run = archive.start_run("x", {})
        archive.record_error(run, URL, Failure.WARNING, "canonical: not trusted")
        archive.record_error(run, URL + "x", Failure.TIMEOUT, "timeout", attempts=4)
        assert archive.retry_urls() == [URL + "x"]
        assert archive.summary()["open_errors"] == 1


class FullDisk:
    """An archive whose every write fails as a full disk does."""

    def __getattr__(self, name):
        raise sqlite3.OperationalError("database or disk is full")


def test_a_storage_error_that_will_repeat_stops_the_crawl(tmp_path, monkeypatch):
    crawler, spider, pipeline = open_pipeline(tmp_path)
    closed = []

    async def close_spider_async(*, reason):
        closed.append(reason)

    engine = type("Engine", (), {"close_spider_async": staticmethod(close_spider_async)})
    monkeypatch.setattr(crawler, "_engine", engine, raising=False)  # the crawl's engine, as if it had started
    writer = writer_of(pipeline)
    real_archive = writer.archive
    writer.archive = FullDisk()  # type: ignore[assignment]
    page = FetchedPage(url=URL, status=200, body=b"<html>")

    async def two_items():  # in a running event loop, as in a crawl
        pipeline.process_item(ParsedPage(fetch=page, error="truncated: cut"))
        pipeline.process_item(ParsedPage(fetch=page, error="truncated: cut"))  # after the stop: counted, not tried
        await asyncio.sleep(0)

    asyncio.run(two_items())
    assert closed == ["storage-error"]
    assert crawler.stats.get_value("newsroom/not_stored") == 2
    assert "disk is full" in crawler.stats.get_value("newsroom/storage_error")
    writer.archive = real_archive


def test_remote_control_never_starts():
    """Scrapy 2.19's RemoteControl runs Python sent to it over HTTP: settings.py turns it off."""
    from scrapy.exceptions import NotConfigured
    from scrapy.extensions.remote_control import RemoteControl

    from newsroom_scraper.crawl.run import crawl_settings

    settings = crawl_settings()
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False and settings.getbool("TELNETCONSOLE_ENABLED") is False
    with pytest.raises(NotConfigured):
        RemoteControl.from_crawler(
            get_crawler(NewsroomSpider, {"REMOTE_CONTROL_ENABLED": settings["REMOTE_CONTROL_ENABLED"]})
        )


def test_download_limits_fit_the_site():
    from newsroom_scraper.crawl.run import crawl_settings
    from newsroom_scraper.parser.page import MAX_PAGE_BYTES

    settings = crawl_settings()
    assert 430_000 * 4 < settings.getint("DOWNLOAD_MAXSIZE") <= MAX_PAGE_BYTES
    assert settings.getdict("DOWNLOADER_MIDDLEWARES")["newsroom_scraper.crawl.retry.PoliteRetryMiddleware"] == 550


def test_a_run_killed_before_it_finished_is_marked_at_the_next_start(tmp_path):
    from newsroom_scraper.store import Archive

    with Archive(tmp_path / "a.db") as archive:
        killed = archive.start_run("x", {})  # never finished: its process got SIGKILL
        finished = archive.start_run("x", {})
        archive.finish_run(finished, "finished", {}, {}, {})
        archive.start_run("x", {})
        assert archive.get_run(killed)["finish_reason"] == "killed"
        assert archive.get_run(finished)["finish_reason"] == "finished"


def test_a_read_only_archive_is_refused_before_the_crawl(tmp_path, monkeypatch):
    import newsroom_scraper.store.checks as checks
    from newsroom_scraper.errors import ArchiveUnusable
    from newsroom_scraper.store import Archive

    db = tmp_path / "a.db"
    Archive(db).close()
    checks.check_archive(db)  # writable and sound: nothing to say
    monkeypatch.setattr(checks.os, "access", lambda path, mode: False)  # as for a user without write access
    with pytest.raises(ArchiveUnusable, match="is read-only"):
        checks.check_archive(db)


@pytest.mark.parametrize("header", [b"\xb2", b"\xb9\xb3", b"soon", b""])  # "²", "¹³" in latin-1
def test_a_retry_after_that_is_no_delay_backs_off_instead_of_failing(header):
    """HTTP's delay-seconds are ASCII digits: "²" passed str.isdigit() and raised ValueError."""
    from scrapy.settings import Settings

    from newsroom_scraper.crawl.retry import PoliteRetryMiddleware
    from newsroom_scraper.crawl.run import project_settings

    middleware = PoliteRetryMiddleware(Settings(project_settings()))
    request = Request(URL, meta={"retry_times": 2})
    response = Response(URL, status=503, headers={"Retry-After": header}, request=request)
    assert middleware.wait_for(request, response) == middleware.backoff * 4


@pytest.mark.parametrize("location", [b"file:///etc/passwd", b"data:text/html,x", b"ftp://127.0.0.1/a.html", None])
def test_a_redirect_scrapy_does_not_follow_is_a_redirects_failure_not_http(tmp_path, location):
    """Issue 17, 8: a redirect to file:, data: or ftp: was recorded as ``http`` 302."""
    _, spider = make_spider(tmp_path)
    request = spider.article_request(URL, "listing")
    headers = {"Location": location} if location else {}
    response = Response(URL, status=302, headers=headers, request=request)
    (recorded,) = spider.failed(failure_of(HttpError(response, "Ignoring non-200 response"), request))
    assert (recorded.kind, recorded.status) == (Failure.REDIRECTS, 302)
    assert recorded.reason.startswith("HTTP 302 to ") and "not followed" in recorded.reason
    assert (location or b"no Location").decode() in recorded.reason
