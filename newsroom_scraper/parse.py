"""``parse_article``: one page in, one Article out. No I/O."""

from __future__ import annotations

from .errors import ParseError
from .items import Article
from .layouts import choose_layout
from .page import Page


def parse_article(html: bytes | str, url: str) -> Article:
    """Parse one article page of the newsroom.

    ``html`` is the page as served (bytes: the charset is read from the page) or as text;
    ``url`` is where it was fetched, used when the page names no canonical URL.
    Raises ``ParseError`` (with a short ``reason``) for anything that is not a complete
    article page; never another exception.
    """
    try:
        page = Page(html, url)
        return choose_layout(page)(page).parse()
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("too-deep", "the markup is nested too deeply") from None
    except Exception as error:  # the promise to callers: ParseError or an Article
        raise ParseError("internal", f"{type(error).__name__}: {error}") from error
