"""Discovery channels as small pure functions: one answer of the site in, article URLs out.

The spider calls them and turns what they return into requests; none does I/O, so each is
tested with a string. The markup of listings and teasers is read by the layouts
(``parse_listing``, ``Article.related``), the URL patterns and the search API's fields are in
``site.py``: a new channel is one function here and one callback in the spider.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlsplit

from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from newsroom_scraper import site
from newsroom_scraper.items import Article, ListingPage
from newsroom_scraper.parser.text.dates import parse_german_date
from newsroom_scraper.parser.text.urls import canonical_url, origin_of

# An article URL found by a channel, with the publication date the channel showed (or None).
Found = tuple[str, date | None]


def sitemaps_in_robots(robots_txt: bytes, robots_url: str) -> list[str]:
    """The sitemap URLs a robots.txt names, on the host of ``robots_url`` only."""
    origin = origin_of(robots_url)
    return [url for url in sitemap_urls_from_robots(robots_txt, base_url=robots_url) if origin_of(url) == origin]


def sitemap_entries(body: bytes, sitemap_url: str, max_size: int = 0) -> tuple[list[str], list[Found]]:
    """(child sitemaps on the same host, article candidates with their lastmod day) of one
    sitemap or sitemap index, gzipped or not. Anything that is not a sitemap yields nothing."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=max_size)
        except (OSError, ValueError):  # a broken or oversized archive: nothing to read
            return [], []
    try:
        sitemap = Sitemap(body)
    except Exception:  # lxml refuses what is not XML at all
        return [], []
    origin = origin_of(sitemap_url)
    children: list[str] = []
    articles: list[Found] = []
    for entry in sitemap:
        loc = entry.get("loc", "")
        if sitemap.type == "sitemapindex":
            if origin_of(loc) == origin:
                children.append(loc)
        elif loc:
            lastmod = entry.get("lastmod", "")
            articles.append((loc, parse_german_date(lastmod[:10]) if lastmod else None))
    return children, articles


def listing_articles(listing: ListingPage) -> list[Found]:
    """The article teasers of a parsed listing page."""
    return [(teaser.url, _day(teaser.date)) for teaser in listing.teasers]


def listing_pages(listing: ListingPage, origin: str) -> tuple[list[str], int]:
    """(further listing pages on ``origin`` worth walking, how many links led elsewhere: other
    hosts, mail addresses)."""
    pages: list[str] = []
    offsite = 0
    for link in listing.links:
        url = canonical_url(link)
        parts = urlsplit(url)
        if origin_of(url) != origin:
            offsite += 1
        elif site.LISTING_PATH.match(parts.path) and set(dict(parse_qsl(parts.query))) <= {"page"}:
            pages.append(url)
    return pages, offsite


def related_articles(article: Article) -> list[Found]:
    """The teasers of an article's "Weitere Nachrichten" slider."""
    return [(link.url, _day(link.date)) for link in article.related]


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
