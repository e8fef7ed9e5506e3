"""Everything the crawl knows about the newsroom's URLs and search API, in one place.

If the site moves its listings, renames its press section or changes the search proxy's
fields, this is the file to edit. It holds no markup: articles, listings and teasers are read
by the layouts (``parser/layouts/dtm.py``).
See ../shared/SITE-NOTES.md for where each fact comes from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

from newsroom_scraper.parser.text.urls import origin_of

DEFAULT_START_URL = "https://www.dortmund.de/newsroom/"
CANONICAL_HOST = "https://www.dortmund.de"

# Article pages: news and press releases (the press section appears under two spellings).
ARTICLE_PATH = re.compile(
    r"^/newsroom/(?:nachrichten-dortmund\.de|presse-mitteilungen|pressemitteilungen)/[^/?#]+\.html$"
)
# Before the 2023 relaunch: /de/leben_in_dortmund/nachrichtenportal/nachricht.jsp?nid=<id>
# (Wayback captures; the generic layout reads them). Old URLs stay the articles' keys.
OLD_ARTICLE_PATH = re.compile(r"^/de/leben_in_dortmund/nachrichtenportal/nachricht\.jsp$")
OLD_ARTICLE_QUERY = re.compile(r"(?:^|&)nid=\d+(?:&|$)")
# What the Wayback backfill asks the CDX API for (prefix searches), old scheme and new.
ARCHIVED_URL_PREFIXES = (
    "www.dortmund.de/newsroom/",
    "www.dortmund.de/de/leben_in_dortmund/nachrichtenportal/nachricht.jsp",
)


def trusted_canonical(declared: str, fetched: str) -> str | None:
    """Why a page's declared canonical URL must not be its key, or None when it may.

    It must be http(s), on the site's canonical host or the host it was fetched from; when the
    page was fetched from an article URL (always, in a crawl), an article path naming the same
    page (the last path segment): the site serves one article under several hosts and both
    press-section spellings, never under another slug. Without a fetched URL it must be an
    article URL of the site; a page fetched from elsewhere (``parse --url``) only needs its host.
    It has no query, but for the ``nid=<id>`` of a pre-2023 article URL: the site's article URLs
    have none (SITE-NOTES), so a query could only make a second key of the same page.
    """
    parts = urlsplit(declared)
    if parts.scheme not in ("http", "https"):
        return "not an http(s) URL"
    fetched_parts = urlsplit(fetched)
    if origin_of(declared) != CANONICAL_HOST and (not fetched or parts.netloc != fetched_parts.netloc):
        return "another host"
    if parts.query and parts.query != _old_query(parts):  # ?dup=1 would make a second key of the page
        return "a query the site's article URLs do not have"
    if fetched and not ARTICLE_PATH.match(fetched_parts.path):
        return None
    if not ARTICLE_PATH.match(parts.path):
        return "not an article path"
    if fetched and parts.path.rsplit("/", 1)[-1] != fetched_parts.path.rsplit("/", 1)[-1]:
        return "names another article"
    return None


# Listing pages worth walking: the newsroom, its sections and their pagination.
LISTING_PATH = re.compile(r"^/newsroom/(?:[a-z0-9-]+/)?$")
LISTING_PATHS = ("/newsroom/", "/newsroom/nachrichten/", "/newsroom/presse-mitteilungen/")
# Listing pages are numbered with this query parameter (?page=2, …). Assumed of the live site,
# as the replica does it: listings and the search API list the newest articles first, so once a
# whole page names only archived articles the pages after it hold nothing new either, and an
# incremental run stops paging there (a weekly --full-discovery run walks everything, which
# catches an article the site published with an older date). If the site ever sorts otherwise,
# run every crawl with --full-discovery.
PAGE_PARAMETER = "page"

# The Elasticsearch-backed site search (SITE-NOTES: "Site search").
SEARCH_API_PATH = "/api/search/proxy/search"
SEARCH_API_PAGE_SIZE = 100  # documents per request to the site's search API
SEARCH_MAX_WINDOW = 10_000  # from + size beyond this answers HTTP 500
# Where a search document may carry its URL and its date (the news schema is not known;
# the first field present wins).
SEARCH_URL_FIELD = "website_url"
SEARCH_DATE_FIELDS = ("date", "datePublished", "publishDate", "published_at")


def _old_query(parts: SplitResult) -> str:
    """The one query an article URL of the site has: ``nid=<id>`` of a pre-2023 URL, else none."""
    if not OLD_ARTICLE_PATH.match(parts.path):
        return ""
    found = re.search(r"(?:^|&)(nid=\d+)(?:&|$)", parts.query)
    return found.group(1) if found else ""


def is_article_url(url: str) -> bool:
    """Whether ``url`` is an article page: today's scheme or the pre-2023 ``nachricht.jsp?nid=…``."""
    parts = urlsplit(url)
    if ARTICLE_PATH.match(parts.path):
        return True
    return bool(OLD_ARTICLE_PATH.match(parts.path) and OLD_ARTICLE_QUERY.search(parts.query))


def is_next_page(url: str) -> bool:
    """Whether a listing URL is a numbered page of a listing (``?page=N``).

    >>> is_next_page("http://127.0.0.1:8000/newsroom/nachrichten/?page=2"), is_next_page("/newsroom/")
    (True, False)
    """
    return PAGE_PARAMETER in parse_qs(urlsplit(url).query)


def search_query(offset: int, size: int = SEARCH_API_PAGE_SIZE) -> dict[str, Any]:
    """The JSON body asking the search proxy for one page of every document."""
    return {"query": "*", "from": offset, "size": size}


def search_results(data: Any) -> tuple[list[tuple[str, str | None]], int | None]:
    """(site-relative URL, date text or None) of the documents in one search answer, and the
    total if given.

    Documents of every type come back (events, pages, news); only URLs that look like
    articles are kept by the caller. Any shape we do not expect yields nothing.
    """
    try:
        hits = data["hits"]
        documents: Iterable[dict[str, Any]] = (hit.get("_source") or {} for hit in hits["hits"])
        urls = [
            (doc[SEARCH_URL_FIELD], next((str(doc[f]) for f in SEARCH_DATE_FIELDS if doc.get(f)), None))
            for doc in documents
            if isinstance(doc.get(SEARCH_URL_FIELD), str)
        ]
    except (KeyError, TypeError, AttributeError):
        return [], None
    total = hits.get("total")
    total = total.get("value") if isinstance(total, dict) else total
    return urls, total if isinstance(total, int) else None
