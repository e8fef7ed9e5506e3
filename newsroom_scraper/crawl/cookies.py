"""``CappedCookiesMiddleware``: Scrapy's cookie handling, with a cap on what a site may make the
crawl carry.

The live site was reported to set a cookie by redirecting to itself and to loop without it, so
cookies stay on; but Scrapy keeps every cookie a page sets and sends them all with every later
request: a page setting 200 cookies of 3.9 KB made each request carry a 781 KB ``Cookie`` header,
and requests failed against the server's header limit (issue 17, 7). The jar now refuses a
cookie beyond ``NEWSROOM_COOKIES_PER_HOST`` cookies, or that would make the cookies' names and
values exceed ``NEWSROOM_COOKIE_BYTES_PER_HOST`` (or ``NEWSROOM_COOKIE_BYTES`` for itself). The
cookies set first are kept: the site's session cookie comes with the first answer. Refused
cookies are counted (``newsroom/cookies_refused``) and logged once per run.

A cap rather than an allow-list of the site's cookie names: the gate cookie's name on the live
site is not known (the replica calls it ``dtm_session``), and a wrong list would loop every
request. The jar belongs to one host: the crawl contacts one origin (``SameOriginMiddleware``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from http.cookiejar import Cookie, DefaultCookiePolicy
from http.cookiejar import CookieJar as StandardJar
from typing import Any

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http.cookies import CookieJar

logger = logging.getLogger(__name__)


def cookie_bytes(cookie: Cookie) -> int:
    """What a cookie adds to the ``Cookie`` header: its name and value."""
    return len(cookie.name) + len(cookie.value or "")


class CappedCookiePolicy(DefaultCookiePolicy):
    """The standard policy, and a cookie is accepted only while its jar stays within the caps."""

    def __init__(self, per_host: int, bytes_per_host: int, bytes_each: int, on_refused: Any) -> None:
        super().__init__()
        self.per_host, self.bytes_per_host, self.bytes_each = per_host, bytes_per_host, bytes_each
        self.on_refused = on_refused
        self.jar: StandardJar | None = None  # the jar it decides for (set once the jar exists)

    def set_ok(self, cookie: Cookie, request: Any) -> bool:
        """Whether the server may set ``cookie``: as the standard policy says, within the caps."""
        if not super().set_ok(cookie, request):
            return False
        if cookie.value is None and cookie.expires is not None and cookie.is_expired():
            return True  # a deletion never grows the jar
        others = [
            held
            for held in self.jar or ()
            if (held.domain, held.path, held.name) != (cookie.domain, cookie.path, cookie.name)  # replaced
        ]
        size = cookie_bytes(cookie)
        if (
            size > self.bytes_each
            or len(others) >= self.per_host
            or sum(map(cookie_bytes, others)) + size > self.bytes_per_host
        ):
            self.on_refused(cookie, size, len(others))
            return False
        return True


class CappedCookiesMiddleware(CookiesMiddleware):
    """Scrapy's ``CookiesMiddleware`` (in its place, settings.py) whose jars refuse cookies beyond the caps."""

    def __init__(self, debug: bool = False, *, caps: tuple[int, int, int]) -> None:
        """``caps``: cookies per host, bytes of names and values per host, bytes per cookie."""
        super().__init__(debug)
        self.caps = caps
        self.refused = 0
        self.jars = defaultdict(self._capped_jar)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CappedCookiesMiddleware:
        settings = crawler.settings
        if not settings.getbool("COOKIES_ENABLED"):
            raise NotConfigured
        caps = (
            settings.getint("NEWSROOM_COOKIES_PER_HOST"),
            settings.getint("NEWSROOM_COOKIE_BYTES_PER_HOST"),
            settings.getint("NEWSROOM_COOKIE_BYTES"),
        )
        middleware = cls(settings.getbool("COOKIES_DEBUG"), caps=caps)
        middleware.crawler = crawler
        return middleware

    def _capped_jar(self) -> CookieJar:
        policy = CappedCookiePolicy(*self.caps, on_refused=self._refused)
        jar = CookieJar(policy=policy)
        policy.jar = jar.jar
        return jar

    def _refused(self, cookie: Cookie, size: int, held: int) -> None:
        if not self.refused:
            logger.warning(
                "Refused cookie %r of %d bytes from %s (%d held; caps: %d cookies, %d bytes per host, %d per cookie); "
                "further refusals are only counted (newsroom/cookies_refused)",
                cookie.name[:100],
                size,
                cookie.domain,
                held,
                *self.caps,
            )
        self.refused += 1
        stats = getattr(getattr(self, "crawler", None), "stats", None)
        if stats is not None:
            stats.inc_value("newsroom/cookies_refused")
