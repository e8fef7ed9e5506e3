"""What became of an article request that got no page: a ``CrawlFailure`` with its kind.

Scrapy reports every way a request can end without a response through the errback, mostly as
``IgnoreRequest`` (robots.txt, the redirect limit, the off-site filter, a body beyond
``DOWNLOAD_MAXSIZE`` after decompression) or its subclass ``HttpError``, so the subclass is
checked first. The kinds are ``errors.Failure``; the attempt count comes from RetryMiddleware's
``retry_times``.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import TimeoutError as TwistedTimeoutError

from newsroom_scraper.errors import Failure
from newsroom_scraper.items import CrawlFailure

# IgnoreRequest carries no kind of its own: Scrapy's middlewares say it in the message.
_IGNORED = (
    ("Forbidden by robots.txt", Failure.ROBOTS),
    ("max redirections reached", Failure.REDIRECTS),
    ("Filtered offsite request", Failure.OFFSITE),
    ("DOWNLOAD_MAXSIZE", Failure.TOO_LARGE),
    ("WARC could not be written", Failure.STORE),  # crawl/warc_capture.py's NO_EVIDENCE
)
_MAX_REASON = 500  # characters of an exception's text kept: the reason is for people, not a dump


def attempts(request: Any) -> int:
    """How many times the request was sent: the first try and RetryMiddleware's retries."""
    return int(request.meta.get("retry_times", 0)) + 1


def describe(failure: Any) -> CrawlFailure:
    """The ``CrawlFailure`` of an errback's Twisted ``failure`` of an article request."""
    request = failure.request
    error = failure.value
    if failure.check(HttpError):
        status = error.response.status
        if 300 <= status < 400:  # a redirect Scrapy did not follow: to file:, data:, ftp:, or no Location
            where = (error.response.headers.get("Location") or b"").decode("latin-1")[:200] or "no Location"
            reason = f"HTTP {status} to {where}: not followed (the crawl follows http and https only)"
            return CrawlFailure(request.url, Failure.REDIRECTS, reason, status, attempts(request))
        return CrawlFailure(request.url, Failure.HTTP, f"HTTP {status}", status, attempts(request))
    text = f"{type(error).__name__}: {error}"[:_MAX_REASON]
    if failure.check(IgnoreRequest):
        kind = next((kind for marker, kind in _IGNORED if marker in str(error)), Failure.NETWORK)
        if kind == Failure.OFFSITE:  # a redirect led there: the article is the URL first asked for
            first = request.meta.get("redirect_urls", [request.url])[0]
            return CrawlFailure(
                first, kind, f"{text} (redirected to {request.url})"[:_MAX_REASON], None, attempts(request)
            )
        return CrawlFailure(request.url, kind, text, None, attempts(request))
    if failure.check(DownloadTimeoutError, TwistedTimeoutError):
        return CrawlFailure(request.url, Failure.TIMEOUT, text, None, attempts(request))
    if failure.check(DownloadCancelledError) and "max size" in str(error):
        return CrawlFailure(request.url, Failure.TOO_LARGE, text, None, attempts(request))
    if failure.check(DownloadCancelledError) and not str(error):
        # Scrapy cancels a body without Content-Length once it passes DOWNLOAD_MAXSIZE and says
        # nothing more (a timeout is a TimeoutError): it was recorded as ``network`` and
        # fetched again every run (issue 17, 8).
        reason = f"{text} (the body went beyond DOWNLOAD_MAXSIZE; no Content-Length announced it)"
        return CrawlFailure(request.url, Failure.TOO_LARGE, reason, None, attempts(request))
    return CrawlFailure(request.url, Failure.NETWORK, text, None, attempts(request))
