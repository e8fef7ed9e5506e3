"""``parse_article`` and ``parse_listing``: one page in, one record out. No I/O."""

from __future__ import annotations

from datetime import date, datetime

from newsroom_scraper.errors import ParseError, Reason
from newsroom_scraper.items import Article, ListingPage
from newsroom_scraper.parser.layouts import GenericLayout, capture_date, choose_layout, find_layout
from newsroom_scraper.parser.page import Page

Captured = date | datetime | str | None


def parse_article(
    html: bytes | str,
    url: str,
    fetched_at: Captured = None,
    warnings: list[str] | None = None,
    *,
    content_type: str | None = None,
) -> Article:
    """Parse one article page of the newsroom.

    ``html`` is the page as served (bytes: decoded as a browser would, by its byte order mark,
    the charset of ``content_type`` — the HTTP ``Content-Type`` header it was served with — or
    its ``<meta>``, else as UTF-8) or as text;
    ``url`` is where it was fetched, used when the page names no canonical URL;
    ``fetched_at`` is when it was captured (a date, a datetime or ISO 8601 text): it chooses
    the layout version of that time. Without it the newest version is tried first.
    Raises ``ParseError`` (with a short ``reason``) for anything that is not a complete
    article page; never another exception. What the parser read but did not trust (a canonical
    URL naming another page, a wrong charset declaration) is appended to ``warnings`` if given.
    """
    try:
        page = Page(html, url, content_type)
        article = choose_layout(page, capture_date(fetched_at))(page).parse()
        if warnings is not None:
            warnings.extend(page.warnings)
        return article
    except ParseError:
        raise
    except RecursionError:
        raise ParseError(Reason.TOO_DEEP, "the markup is nested too deeply") from None
    except Exception as error:  # the promise to callers: ParseError or an Article
        raise ParseError(Reason.INTERNAL, f"{type(error).__name__}: {error}") from error


def parse_listing(
    html: bytes | str, url: str, fetched_at: Captured = None, *, content_type: str | None = None
) -> ListingPage:
    """The teasers and links of a listing page, read by its layout (links only, for unknown ones).

    ``url`` is where the page was fetched: its links are resolved against it; ``content_type``
    the HTTP ``Content-Type`` header it came with, as for ``parse_article``. Raises
    ``ParseError`` for what is not a page at all (empty, binary, …); never another exception.
    """
    try:
        page = Page(html, url, content_type)
        layout = find_layout(page, capture_date(fetched_at)) or GenericLayout.versions()[-1]
        return layout(page).listing()
    except ParseError:
        raise
    except RecursionError:
        raise ParseError(Reason.TOO_DEEP, "the markup is nested too deeply") from None
    except Exception as error:
        raise ParseError(Reason.INTERNAL, f"{type(error).__name__}: {error}") from error
