"""newsroom-archive: scrape, archive and serve the City of Dortmund's newsroom.

The public API::

    from newsroom_scraper import parse_article, ParseError
    article = parse_article(html_bytes, url)   # -> Article, or raises ParseError
"""

from .errors import NewsroomError, ParseError
from .items import Article, Image, Link, ListingPage, RelatedLink, Video
from .parse import parse_article, parse_listing

__version__ = "0.1.0"
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
