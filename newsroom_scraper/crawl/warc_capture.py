"""``WarcCaptureMiddleware``: Scrapy machinery that hands every HTTP exchange to evidence.warc.

A downloader middleware placed next to the downloader (settings.py), so that it sees each
request with every header Scrapy sends (cookies, User-Agent, validators) and each response as it
came over the wire: before decompression, before redirects and retries are acted upon, including
robots.txt, sitemaps, listings, search API POSTs with their bodies, and 304s. It puts where the
response went into ``request.meta["capture"]`` (a ``WarcRecordRef``: its WARC-Date and location),
which the spider passes on with the page, so the archive's ``captures`` row and the version's
capture time are those of the WARC record. At the end of the crawl it closes the file and
writes the CDXJ index beside it. The writing (warcio, gzip, digests: ~3 ms for a real 430 KB
page) happens in the crawl's process; the response goes on once its record is written.

Settings: ``NEWSROOM_WARC_ENABLED`` (``--no-warc``), ``NEWSROOM_WARC_DIR`` (default: ``warc/``
beside the database), ``NEWSROOM_WARC_MAX_SIZE`` (rotation, bytes), ``NEWSROOM_WARC_PREFIX``,
``NEWSROOM_WARC_OPERATOR`` (the warcinfo's ``operator``).
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro

from newsroom_scraper import __version__
from newsroom_scraper.evidence.warc import Exchange, WarcIndexError, WarcWriter, iso_date, warc_date
from newsroom_scraper.items import WarcLocation, WarcRecordRef

# What an article's failure says when its response could not be written to WARC (crawl/failures.py).
NO_EVIDENCE = "WARC could not be written"
# request.meta key of a conditional re-check: the response record a 304 answer confirms (ConfirmedRecord)
CONFIRMS = "warc_confirms"


def warc_folder(settings: Any) -> Path:
    """Where the crawl writes WARC: ``NEWSROOM_WARC_DIR``, else ``warc/`` beside the database."""
    chosen = settings.get("NEWSROOM_WARC_DIR")
    return Path(chosen) if chosen else Path(settings.get("NEWSROOM_DB")).parent / "warc"


class WarcCaptureMiddleware:
    """Writes a request and a response record for every exchange (see the module's doc)."""

    def __init__(self, crawler: Crawler, folder: Path) -> None:
        settings = crawler.settings
        self.crawler = crawler
        info = {
            "software": f"newsroom-archive/{__version__} (Scrapy, warcio)",
            "operator": settings.get("NEWSROOM_WARC_OPERATOR"),
            "hostname": socket.gethostname(),
            "http-header-user-agent": settings.get("USER_AGENT"),
            # The WARC 1.1 spec's words (annex): "classic" obeys robots.txt as written, "none" ignores it
            "robots": "classic" if settings.getbool("ROBOTSTXT_OBEY") else "none",
            "isPartOf": "newsroom-archive",
        }
        self.writer = WarcWriter(
            folder,
            info,
            settings["NEWSROOM_WARC_PREFIX"],
            settings.getint("NEWSROOM_WARC_MAX_SIZE"),
            settings.getint("NEWSROOM_WARC_GZIP_LEVEL"),
        )
        self.failed = False  # a write failed: nothing more is written, the crawl is closing

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        if not crawler.settings.getbool("NEWSROOM_WARC_ENABLED"):
            raise NotConfigured("WARC writing is off (--no-warc)")
        middleware = cls(crawler, warc_folder(crawler.settings))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if self.failed:
            raise IgnoreRequest(f"{NO_EVIDENCE}: the crawl is stopping after a WARC error")
        self._name_the_run()
        # WARC-Date to the microsecond (WARC 1.1); the archive's capture time is its second
        captured_at = datetime.now(UTC).isoformat(timespec="microseconds")
        try:
            location: WarcLocation = self.writer.write_exchange(_exchange(request, response, captured_at))
        except OSError as error:  # a full disk, a file-size limit: no evidence can be kept
            self._fail(error)
            # Not stored without its evidence: an archived article is never fetched again, so it
            # would stay without a capture for good (issue 17, 5). Recorded instead, and retried.
            raise IgnoreRequest(f"{NO_EVIDENCE}: {type(error).__name__}: {error}") from error
        request.meta["capture"] = WarcRecordRef(iso_date(warc_date(captured_at)), location)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newsroom/warc_records", 2)
        return response

    def _name_the_run(self) -> None:
        """The warcinfo names the crawl's start URL and run (known once the spider is open)."""
        info = self.writer.info
        if "run-id" not in info:
            info["start-url"] = getattr(self.crawler.spider, "start_url", None) or ""
            assert self.crawler.stats is not None
            info["run-id"] = str(self.crawler.stats.get_value("newsroom/run_id") or "")

    def _fail(self, error: Exception, *, stop: bool = True) -> None:
        """WARC cannot be written: say so and stop the crawl as a storage error does (pipelines.py)."""
        self.failed = True
        stats, engine = self.crawler.stats, self.crawler.engine
        assert stats is not None and engine is not None and self.crawler.spider is not None
        if not stats.get_value("newsroom/storage_error"):
            stats.set_value("newsroom/storage_error", f"WARC: {type(error).__name__}: {error}")
        self.crawler.spider.logger.error("WARC writing failed, stopping the crawl: %s", error)
        if stop:
            deferred_from_coro(engine.close_spider_async(reason="storage-error"))

    def spider_closed(self, spider: Spider) -> None:
        """Close the file and write the replay index; a failure of either fails the run (run_failed)."""
        try:
            files = self.writer.finish()
        except OSError as error:
            if not self.failed:
                self._fail(error, stop=False)  # closed already
            return
        except WarcIndexError as error:
            # Before the pipeline's spider_closed (connected later), which records the run with its stats
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("newsroom/warc_index_error", str(error))
            spider.logger.error("WARC: %s", error)
            return
        finally:
            self.writer.close()
        if files:
            spider.logger.info("WARC: %s", ", ".join(str(path) for path in files))


def _exchange(request: Request, response: Response, captured_at: str) -> Exchange:
    """What evidence.warc writes of one request and its response, as they went over the wire."""
    address = getattr(response, "ip_address", None)
    return Exchange(
        url=response.url,
        method=request.method,
        request_headers=_headers(request.headers),
        request_body=request.body or b"",
        status=response.status,
        response_headers=_headers(response.headers),
        body=response.body,
        captured_at=captured_at,
        protocol=getattr(response, "protocol", None) or "HTTP/1.1",
        ip_address=str(address) if address is not None else None,
        confirms=request.meta.get(CONFIRMS) if response.status == 304 else None,
    )


def _headers(headers: Any) -> list[tuple[str, str]]:
    """Scrapy's headers as (name, value) pairs, every value of a repeated header kept, in order."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers.items() for value in values]
