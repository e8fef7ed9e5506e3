"""The reader's search in Datasette: SQL functions, the search queries, and ``?_search=`` made safe.

- ``word_match()``, ``substring_match()``, ``search_excerpt()`` on every connection
  (search/sql.py's register_search_functions), and ``escape_fts()`` replaced by ``substring_match()``: Datasette's
  ``?_search=`` on a table then follows the same rules as the search page (phrases, -word,
  spellings) and no input can be an FTS5 syntax error (Datasette's own escape_fts answers 400 for
  a lone quote).
- The canned queries ``search``, ``search_months`` and ``first_mentions``, whose SQL is search/sql.py's
  (SEARCH_SQL, …), so that Archive.search_articles and the page run the same query.
- Facets on demand when the articles table is searched: ``?_search=`` without a ``_facet`` gets
  ``_nofacet=1``. Each of the table's four facets re-runs the search and looks up every hit (~90 ms
  each for a word in most of 100,000 articles); the plain table page keeps them (indexed, a few ms),
  and ``&_facet=section`` on a search shows them all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from newsroom_scraper.reader import DATABASE_NAME
from newsroom_scraper.reader.hooks import hookimpl
from newsroom_scraper.search.sql import (
    FIRST_MENTIONS_SQL,
    READER_PAGE_SIZE,
    SEARCH_CHART_COUNT_SQL,
    SEARCH_CHART_MAX_HITS,
    SEARCH_FEED_SQL,
    SEARCH_MONTHS_SQL,
    SEARCH_SQL,
    bounded,
    register_search_functions,
)
from newsroom_scraper.search.words import substring_match

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
SEARCH_PARAMS = ["q", "since", "until", "section", "tag", "district", "page"]


@hookimpl(trylast=True)  # after Datasette's own prepare_connection, so that escape_fts is ours
def prepare_connection(conn: sqlite3.Connection) -> None:
    register_search_functions(conn)
    conn.create_function("escape_fts", 1, bounded(substring_match), deterministic=True)


FACETED_TABLE_PATHS = {
    f"/{DATABASE_NAME}/articles",
    f"/{DATABASE_NAME}/articles.json",
    f"/{DATABASE_NAME}/articles.csv",
}


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[ASGIApp], ASGIApp]:
    def wrap(app: ASGIApp) -> ASGIApp:
        async def facets_on_demand(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") == "http" and scope.get("path") in FACETED_TABLE_PATHS:
                scope = {**scope, "query_string": search_without_facets(scope.get("query_string") or b"")}
            await app(scope, receive, send)

        return facets_on_demand

    return wrap


def search_without_facets(query_string: bytes) -> bytes:
    """The query string with ``_nofacet=1`` added when it searches and asks for no facet.

    >>> search_without_facets(b"_search=Stadt"), search_without_facets(b"_search=Stadt&_facet=section")
    (b'_search=Stadt&_nofacet=1', b'_search=Stadt&_facet=section')
    """
    args = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    searches = any((name == "_search" or name.startswith("_search_")) and value.strip() for name, value in args)
    if not searches or any(name.startswith("_facet") or name == "_nofacet" for name, _ in args):
        return query_string
    return query_string + b"&_nofacet=1"


@hookimpl
def canned_queries(datasette: Any, database: str, actor: Any) -> dict[str, Any] | None:
    if database != DATABASE_NAME:
        return None
    return {
        "search": {
            "sql": SEARCH_SQL,
            "params": SEARCH_PARAMS,
            "title": "Suche im Archiv",
            "description": (
                f"Ganze Wörter in jeder Form zuerst, dann Wortteile; {READER_PAGE_SIZE} Treffer je Seite "
                "(page=2, …). Filter: since, until (Datum, Monat oder Jahr), section, tag, district."
            ),
            "hide_sql": True,
        },
        "search_feed": {
            "sql": SEARCH_FEED_SQL,
            "params": SEARCH_PARAMS,
            "title": "Newsroom-Archiv: gespeicherte Suche",
            "hide_sql": True,
        },
        "search_months": {
            "sql": SEARCH_MONTHS_SQL,
            "params": SEARCH_PARAMS[:-1],
            "title": "Treffer je Monat",
            "hide_sql": True,
        },
        "first_mentions": {
            "sql": FIRST_MENTIONS_SQL,
            "params": ["q"],
            "title": "Wann zuerst? Alle Fassungen, früheste Erfassung zuerst",
            "hide_sql": True,
        },
    }


@hookimpl
def extra_template_vars(template: str, request: Any, datasette: Any) -> Callable[[], Awaitable[dict[str, Any]]] | None:
    if template != f"query-{DATABASE_NAME}-search.html":
        return None

    args = {name: request.args.get(name) or "" for name in SEARCH_PARAMS}

    def page_url(page: int) -> str:
        return "?" + urlencode({**{k: v for k, v in args.items() if v}, "page": page})

    async def months() -> dict[str, Any]:
        params = {name: args[name] for name in SEARCH_PARAMS[:-1]}
        found = []
        too_many = False
        if params["q"].strip():
            db = datasette.get_database(DATABASE_NAME)
            (totals,) = (await db.execute(SEARCH_CHART_COUNT_SQL, {"q": params["q"]})).rows
            too_many = max(totals["word_hits"], totals["substring_hits"]) > SEARCH_CHART_MAX_HITS
            if not too_many:
                result = await db.execute(SEARCH_MONTHS_SQL, params)
                found = _every_month({row["month"]: row["hits"] for row in result.rows if row["month"]})
        counts = [month["hits"] for month in found]
        return {
            "months": found,
            "months_most": max(counts, default=0),
            "months_total": sum(counts),
            "months_too_many": too_many,
            "months_max_hits": SEARCH_CHART_MAX_HITS,
            "months_url": "search_months?" + urlencode({k: v for k, v in params.items() if v}),
            "page_url": page_url,
            "page_size": READER_PAGE_SIZE,
        }

    return months


def _every_month(hits: dict[str, int]) -> list[dict[str, Any]]:
    """Hits per month from the first month with hits to the last, months without hits as 0."""
    if not hits:
        return []
    first, last = min(hits), max(hits)
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        key = f"{year:04d}-{month:02d}"
        months.append({"month": key, "hits": hits.get(key, 0)})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
