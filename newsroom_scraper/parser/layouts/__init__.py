"""Page layouts and the registry that picks one for a page.

``FAMILIES`` is the registry, explicit and in the order families are tried: a class defined
elsewhere (a test's subclass, say) never registers itself. Within a family the version is
chosen by the page's *capture* date (see base.py).
"""

from __future__ import annotations

from datetime import date, datetime

from newsroom_scraper.errors import ParseError, Reason
from newsroom_scraper.parser.layouts.base import Layout, LayoutFamily, attribute
from newsroom_scraper.parser.layouts.dtm import DtmLayout
from newsroom_scraper.parser.layouts.generic import GenericLayout
from newsroom_scraper.parser.page import Page

__all__ = [
    "FAMILIES",
    "DtmLayout",
    "GenericLayout",
    "Layout",
    "LayoutFamily",
    "attribute",
    "capture_date",
    "choose_layout",
    "find_layout",
]

# Tried in this order: the site's own layouts first, the generic fallback last.
FAMILIES: tuple[type[LayoutFamily], ...] = (DtmLayout, GenericLayout)

for _family in FAMILIES:  # a family with inconsistent dates fails at import, not on some page
    _family.versions()


def capture_date(fetched_at: date | datetime | str | None) -> date | None:
    """The day a page was captured, from a date, a datetime or an ISO 8601 text (None: unknown).

    >>> capture_date("2026-02-01T09:30:00+00:00"), capture_date(None)
    (datetime.date(2026, 2, 1), None)
    """
    if fetched_at is None or fetched_at == "":
        return None
    if isinstance(fetched_at, datetime):
        return fetched_at.date()
    if isinstance(fetched_at, date):
        return fetched_at
    return datetime.fromisoformat(fetched_at.replace("Z", "+00:00")).date()


def find_layout(
    page: Page, captured: date | None = None, families: tuple[type[LayoutFamily], ...] | None = None
) -> type[Layout] | None:
    """The layout version that reads ``page`` captured on ``captured``, or None.

    ``families`` defaults to ``FAMILIES`` (tests pass their own).
    """
    for family in FAMILIES if families is None else families:
        chosen = family.choose(page, captured)
        if chosen is not None:
            return chosen
    return None


def choose_layout(
    page: Page, captured: date | None = None, families: tuple[type[LayoutFamily], ...] | None = None
) -> type[Layout]:
    """Like ``find_layout``, but says why no layout reads the page (ParseError)."""
    found = find_layout(page, captured, families)
    if found is not None:
        return found
    if not page.is_html and not page.has_main:
        raise ParseError(Reason.NOT_HTML, "the file is not an HTML page")
    if (page.has_main and not page.main_complete) or not page.complete:
        raise ParseError(Reason.TRUNCATED, "the page ends before its article does")
    raise ParseError(Reason.NO_ARTICLE, "no known layout recognises an article on this page")
