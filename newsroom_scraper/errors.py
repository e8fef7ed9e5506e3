"""The project's exceptions, each saying who raises it and when."""

from __future__ import annotations


class NewsroomError(Exception):
    """Base class of every error this package raises on purpose."""


class ParseError(NewsroomError):
    """Raised by ``parse_article`` when a page is not a complete article page.

    ``reason`` is short and machine-readable (``empty``, ``binary``, ``undecodable``,
    ``truncated``, ``no-article``, ``no-title``, ``no-date``, ``too-deep``); ``detail``
    says more for people. ``str(error)`` gives ``"<reason>: <detail>"``.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


class LayoutError(NewsroomError):
    """Raised at import time when the layout registry is inconsistent
    (two versions of one layout valid until the same date)."""


class ArchiveBusy(NewsroomError):
    """Raised by ``run_crawl`` when another crawl is writing the same archive (its lock file
    is held). Wait for it to finish; two crawls at once would fetch everything twice."""
