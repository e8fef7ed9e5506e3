"""newsroom-archive: scrape, archive and serve the City of Dortmund's newsroom.

The public API::

    from newsroom_scraper import parse_article, ParseError
    article = parse_article(html_bytes, url)   # -> Article, or raises ParseError
"""

from __future__ import annotations

__version__ = "0.1.0"

from newsroom_scraper.errors import NewsroomError, ParseError  # noqa: E402
from newsroom_scraper.items import Article, Image, Link, ListingPage, RelatedLink, Video  # noqa: E402
from newsroom_scraper.parser.parse import parse_article, parse_listing  # noqa: E402

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
