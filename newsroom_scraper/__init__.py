"""newsroom-archive: scrape, archive and serve the City of Dortmund's newsroom.

The public API::

    from newsroom_scraper import parse_article, ParseError
    article = parse_article(html_bytes, url)   # -> Article, or raises ParseError

The names are imported when first used (PEP 562), so that a module of the package can be
imported without the parser (lxml, the layouts): a worker process that writes WARC stays small.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import NewsroomError, ParseError
    from .items import Article, Image, Link, ListingPage, RelatedLink, Video
    from .parse import parse_article, parse_listing

__version__ = "0.1.0"
_HOMES = {
    "Article": "items",
    "Image": "items",
    "Link": "items",
    "ListingPage": "items",
    "NewsroomError": "errors",
    "ParseError": "errors",
    "RelatedLink": "items",
    "Video": "items",
    "parse_article": "parse",
    "parse_listing": "parse",
}
__all__ = [
    "Article",
    "Image",
    "Link",
    "ListingPage",
    "NewsroomError",
    "ParseError",
    "RelatedLink",
    "Video",
    "parse_article",
    "parse_listing",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
