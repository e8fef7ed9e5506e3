"""Everything the crawl knows about the newsroom's URLs and search API, in one place.

If the site moves its listings, renames its press section or changes the search proxy's
fields, this is the file to edit. It holds no markup: articles, listings and teasers are read
by the layouts (``layouts/dtm.py``).
See ../shared/SITE-NOTES.md for where each fact comes from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEFAULT_START_URL = "https://www.dortmund.de/newsroom/"
CANONICAL_HOST = "https://www.dortmund.de"

# Article pages: news and press releases (the press section appears under two spellings).
ARTICLE_PATH = re.compile(
    r"^/newsroom/(?:nachrichten-dortmund\.de|presse-mitteilungen|pressemitteilungen)/[^/?#]+\.html$"
)
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
SEARCH_PAGE_SIZE = 100
SEARCH_MAX_WINDOW = 10_000  # from + size beyond this answers HTTP 500
# Where a search document may carry its URL and its date (the news schema is not known;
# the first field present wins).
SEARCH_URL_FIELD = "website_url"
SEARCH_DATE_FIELDS = ("date", "datePublished", "publishDate", "published_at")


def is_next_page(url: str) -> bool:
    """Whether a listing URL is a numbered page of a listing (``?page=N``).

    >>> is_next_page("http://127.0.0.1:8000/newsroom/nachrichten/?page=2"), is_next_page("/newsroom/")
    (True, False)
    """
    return PAGE_PARAMETER in parse_qs(urlsplit(url).query)


def search_query(offset: int, size: int = SEARCH_PAGE_SIZE) -> dict[str, Any]:
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
