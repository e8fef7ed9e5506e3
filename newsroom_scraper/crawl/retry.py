"""``PoliteRetryMiddleware``: Scrapy's RetryMiddleware that waits before retrying a busy server.

Scrapy retries a ``429`` or ``503`` at once (0–70 ms later, measured), whatever the server asked.
This subclass waits as the answer's ``Retry-After`` says (seconds or an HTTP date), or, without
one, backs off exponentially (``NEWSROOM_RETRY_BACKOFF`` × 2^attempt), never longer than
``NEWSROOM_RETRY_AFTER_MAX`` seconds: a server asking for an hour gets the cap, and the request
its remaining retries. The wait holds one of the crawl's concurrent slots, so a throttling
server also slows the crawl down. Everything else is RetryMiddleware's (settings.py replaces it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

# The answers that mean "not now": the server asks the client to come back later.
BUSY = {429, 503}


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """The delay a ``Retry-After`` header asks for, in seconds; None when absent or unreadable.

    >>> retry_after_seconds(b"2")
    2.0
    >>> retry_after_seconds("Wed, 21 Oct 2015 07:28:05 GMT", datetime(2015, 10, 21, 7, 28, tzinfo=UTC))
    5.0
    >>> retry_after_seconds("²") is None  # str.isdigit() says yes; HTTP's delay-seconds are ASCII digits
    True
    """
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class PoliteRetryMiddleware(RetryMiddleware):
    """RetryMiddleware honouring ``Retry-After`` and backing off on 429/503 (see the module)."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.max_wait: float = settings.getfloat("NEWSROOM_RETRY_AFTER_MAX")
        self.backoff: float = settings.getfloat("NEWSROOM_RETRY_BACKOFF")

    def wait_for(self, request: Request, response: Response) -> float:
        """Seconds to wait before retrying ``request`` after ``response``."""
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        if asked is None:
            asked = self.backoff * 2 ** int(request.meta.get("retry_times", 0))
        return min(asked, self.max_wait)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if response.status not in BUSY or request.meta.get("dont_retry", False):
            return super().process_response(request, response)
        retry = self._retry(request, f"{response.status} (busy)")
        if retry is None:
            return response  # retries used up: the errback records it
        delay = self.wait_for(request, response)
        if delay > 0:
            self.crawler.stats.inc_value("newsroom/retry_waited_ms", round(delay * 1000))
            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        return retry
