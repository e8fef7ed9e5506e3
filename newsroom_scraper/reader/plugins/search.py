"""The reader's search in Datasette: SQL functions, the search queries, its exports, first mentions,
and ``?_search=`` through the same search.

- ``word_match()``, ``substring_match()``, ``search_excerpt()`` … on every connection (search/sql.py's
  register_search_functions).
- The canned queries ``search`` (the page), ``search_feed`` and ``search_months``, whose SQL is
  search/sql.py's, so that Archive.search_articles and the page run the same query.
- ``search_months.svg``: the page's chart of hits per month, loaded by the page as its own request.
- ``search.json`` and ``search.csv`` are this plugin's routes: the CSV and ``search.json?_stream=on``
  stream every hit; ``search.json`` (or ``&page=N``) is one page of 50 with ``next``; no row twice;
  the date messages in the JSON (search/filters.py).
- ``first_mentions`` (page, ``.json``, ``.csv``): the search's hits and the articles an earlier version
  of which matches, earliest publication first, 50 a page (FIRST_MENTIONS_SQL). The page of a word
  in many articles is walked in publication order (FIRST_MENTIONS_WALK_SQL) and its total comes as
  its own request, ``first_mentions_total`` (in an iframe, as the search page's chart).
- ``?_search=`` on the articles table becomes ``_where=id in (… search_hit_ids(q) …)``: the same hits
  as the search page (both indexes), never an FTS5 syntax error. Without a ``_facet`` it gets
  ``_nofacet=1``: each of the table's four facets re-runs the search (~90 ms each for a word in most
  of 100,000 articles); ``&_facet=section`` on a search shows them all.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from datasette.database import QueryInterrupted
from datasette.utils.asgi import AsgiStream, Response

from newsroom_scraper.reader import DATABASE_NAME
from newsroom_scraper.reader.hooks import hookimpl
from newsroom_scraper.search.filters import date_filters
from newsroom_scraper.search.sql import (
    FIRST_MENTIONS_PAGE_SIZE,
    FIRST_MENTIONS_SQL,
    FIRST_MENTIONS_TOTAL_SQL,
    FIRST_MENTIONS_WALK_SQL,
    READER_PAGE_SIZE,
    SEARCH_FEED_SQL,
    SEARCH_IDS_SQL,
    SEARCH_MONTHS_SQL,
    SEARCH_SQL,
    bounded,
    distinct_values_sql,
    first_version_with,
    register_search_functions,
    search_hit_ids,
)
from newsroom_scraper.search.words import substring_match

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
SEARCH_PARAMS = ["q", "since", "until", "section", "tag", "district", "sort", "page"]
SORTS = {"": "Relevanz", "newest": "neueste zuerst", "oldest": "älteste zuerst"}
HIT_COLUMNS = ["id", "published_at", "topline", "title", "section", "district", "match", "excerpt", "url"]
# Rows looked up at a time while a whole search streams (its ids are found first, in order).
EXPORT_BATCH = 200
# An export may take longer than a page (sql_time_limit_ms): finding every id of a very common word.
EXPORT_TIME_LIMIT_MS = 20_000
# At most this many districts and tags offered as suggestions under the filter fields.
SUGGESTIONS = 500


@hookimpl(trylast=True)  # after Datasette's own prepare_connection
def prepare_connection(conn: sqlite3.Connection) -> None:
    register_search_functions(conn)
    # Datasette's escape_fts() (for ?_search_<column>=) answers 400 for a lone quote: ours never fails.
    # Both refuse a query over MAX_QUERY_CHARS, as every search function (search/sql.py, bounded).
    conn.create_function("escape_fts", 1, bounded(substring_match), deterministic=True)
    # The ids the search finds for q, as a JSON list: what ?_search= on the articles table reads.
    conn.create_function("search_hit_ids", 1, bounded(lambda q: json.dumps(search_hit_ids(conn, q or ""))))


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
    """The query string with ``_search`` turned into the search's hits, and ``_nofacet=1`` added when
    it searches and asks for no facet.

    >>> search_without_facets(b"_search=Stadt")
    b'_where=id+in+%28select+value+from+json_each%28search_hit_ids%28%27Stadt%27%29%29%29&_nofacet=1'
    >>> b"_nofacet" in search_without_facets(b"_search=Stadt&_facet=section")
    False
    """
    args = parse_qsl(query_string.decode("utf-8", "replace"), keep_blank_values=True)
    if not any(name == "_search" for name, _ in args):
        return query_string
    searched = [value for name, value in args if name == "_search" and value.strip()]
    kept = [(name, value) for name, value in args if name not in ("_search", "_searchmode")]
    if searched:
        quoted = "'" + searched[0].replace("\x00", "").replace("'", "''") + "'"  # a NUL in SQL text: 500
        kept.append(("_where", f"id in (select value from json_each(search_hit_ids({quoted})))"))
        if not any(name.startswith("_facet") or name == "_nofacet" for name, _ in args):
            kept.append(("_nofacet", "1"))
    return urlencode(kept).encode("ascii")


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
                "(page=2, …). Filter: since, until (Datum, Monat oder Jahr), section, tag, district; "
                "sort: newest, oldest."
            ),
            "hide_sql": True,
        },
        "search_feed": {
            "sql": SEARCH_FEED_SQL,
            "params": SEARCH_PARAMS,
            "title": "Newsroom-Archiv: Suche",
            "hide_sql": True,
        },
        "search_months": {
            "sql": SEARCH_MONTHS_SQL,
            "params": SEARCH_PARAMS[:-2],
            "title": "Treffer je Monat",
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

    def export_url(extension: str) -> str:
        stream = {"_stream": "on"} if extension == "json" else {}
        return f"search.{extension}?" + urlencode({**{k: v for k, v in args.items() if v and k != "page"}, **stream})

    def sort_url(sort: str) -> str:
        return "?" + urlencode({k: v for k, v in {**args, "sort": sort, "page": ""}.items() if v})

    async def months() -> dict[str, Any]:
        params = {name: args[name] for name in SEARCH_PARAMS[:-2]}
        months_query = urlencode({k: v for k, v in params.items() if v})
        db = datasette.get_database(DATABASE_NAME)
        # Suggestions for the filter fields (read from the indexes on district and tag).
        districts = await db.execute(f"{distinct_values_sql('articles', 'district')} limit {SUGGESTIONS}")
        tags = await db.execute(f"{distinct_values_sql('tags', 'tag')} limit {SUGGESTIONS}")
        return {
            "months_url": "search_months?" + months_query,
            "months_svg_url": "search_months.svg?" + months_query,
            "page_url": page_url,
            "page_size": READER_PAGE_SIZE,
            "export_url": export_url,
            "sort_url": sort_url,
            "sorts": SORTS,
            "date_messages": dict(date_filters(args["since"], args["until"]).messages),
            "district_suggestions": [row[0] for row in districts.rows],
            "tag_suggestions": [row[0] for row in tags.rows],
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


async def search_months_svg(request: Any, datasette: Any) -> Response:
    """The search page's chart, hits per month of the search and its filters (SEARCH_MONTHS_SQL), as
    an SVG image: its own request, so that the page shows its hits without waiting for the count of
    every hit (a word in 44,625 of 100,000 articles: ~90 ms of SQL)."""
    params = {name: request.args.get(name) or "" for name in SEARCH_PARAMS[:-2]}
    found: list[dict[str, Any]] = []
    interrupted = False
    if params["q"].strip():
        try:
            result = await datasette.get_database(DATABASE_NAME).execute(SEARCH_MONTHS_SQL, params)
        except QueryInterrupted:  # the time limit of every query: the chart says so instead of a bar too few
            interrupted = True
        else:
            found = _every_month({row["month"]: row["hits"] for row in result.rows if row["month"]})
    counts = [month["hits"] for month in found]
    context = {"months": found, "most": max(counts, default=0), "total": sum(counts), "interrupted": interrupted}
    svg = await datasette.render_template("search-months.svg", context, request=request)
    return Response(svg, content_type="image/svg+xml; charset=utf-8")


# -- the search's exports: every hit, or one page, never a row twice -----------------------------


def _search_params(request: Any) -> dict[str, str]:
    """The search's parameters from a request ("" for those not given, and for an unknown sort)."""
    params = {name: request.args.get(name) or "" for name in SEARCH_PARAMS}
    params["sort"] = params["sort"] if params["sort"] in SORTS else ""
    return params


async def search_export(request: Any, datasette: Any) -> Any:
    """``search.csv`` (and ``search.json?_stream=on``): every hit in the page's order, streamed;
    ``search.json`` and ``page=N``: one page of READER_PAGE_SIZE, with the URL of the ``next`` (None after
    the last), never a row of the page before.

    JSON (``_shape=objects``, the default): ``{"ok", "messages", "rows", "next"}``, the messages being
    the refused filters (search/filters.py); ``_shape=array``: the rows alone.
    """
    extension = request.url_vars["format"]
    params = _search_params(request)
    db = datasette.get_database(DATABASE_NAME)
    messages = [
        {"field": field, "message": text} for field, text in date_filters(params["since"], params["until"]).messages
    ]
    next_url = None
    paged = bool(request.args.get("page")) or (extension == "json" and request.args.get("_stream") != "on")
    if paged:
        result = await db.execute(SEARCH_SQL, params)
        page_rows = [dict(row) for row in result.rows]
        if len(page_rows) > READER_PAGE_SIZE:
            page_rows = page_rows[:READER_PAGE_SIZE]
            page = max(int(params["page"]) if params["page"].isdigit() else 1, 1)
            next_url = (
                request.path
                + "?"
                + urlencode({**{name: request.args.get(name) for name in request.args.keys()}, "page": page + 1})
            )

        async def rows() -> AsyncIterator[dict[str, Any]]:
            for row in page_rows:
                yield row

    else:
        found = await db.execute(SEARCH_IDS_SQL, params, custom_time_limit=EXPORT_TIME_LIMIT_MS)
        hits = [(row["id"], row["match"]) for row in found.rows]

        async def rows() -> AsyncIterator[dict[str, Any]]:
            for start in range(0, len(hits), EXPORT_BATCH):
                for row in await _hit_rows(db, hits[start : start + EXPORT_BATCH], params["q"]):
                    yield row

    return _stream(extension, request, rows(), HIT_COLUMNS, {"messages": messages, "next": next_url})


async def _hit_rows(db: Any, hits: list[tuple[int, str]], q: str) -> list[dict[str, Any]]:
    """The rows of ``hits`` (id, match), in that order, as the search page shows them."""
    marks = ", ".join(str(int(article_id)) for article_id, _ in hits)
    sql = f"""select articles.id, articles.published_at, articles.topline, articles.title, articles.section,
      articles.district,
      coalesce(nullif(search_excerpt(articles.body_text, :q), ''), nullif(search_excerpt(articles.lead, :q), ''),
        substr(articles.lead, 1, 200)) as excerpt, articles.url
    from articles where articles.id in ({marks})"""
    by_id = {row["id"]: dict(row) for row in (await db.execute(sql, {"q": q})).rows}
    return [{**by_id[article_id], "match": match} for article_id, match in hits if article_id in by_id]


def _stream(
    extension: str, request: Any, rows: AsyncIterator[dict[str, Any]], columns: list[str], extra: dict[str, Any]
) -> AsgiStream:
    """Rows as CSV or JSON, written as they come (constant memory, whatever their number)."""
    array = request.args.get("_shape") == "array"

    async def write(out: Any) -> None:
        if extension == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(columns)
            async for row in rows:
                writer.writerow([row.get(c) for c in columns])
                if buffer.tell() > 65_536:
                    await out.write(buffer.getvalue())
                    buffer.seek(0)
                    buffer.truncate()
            await out.write(buffer.getvalue())
            return
        await out.write("[" if array else '{"ok": true, "rows": [')
        first = True
        async for row in rows:
            await out.write(("" if first else ",\n") + json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False))
            first = False
        await out.write("]" if array else "], " + json.dumps(extra, ensure_ascii=False)[1:])

    content_type = "text/csv; charset=utf-8" if extension == "csv" else "application/json; charset=utf-8"
    return AsgiStream(write, content_type=content_type)


# -- first mentions: "when did the city first say X" ------------------------------------------------

FIRST_MENTION_COLUMNS = ["id", "title", "published_at", "first_version", "first_captured_at", "first_seen_at"]
FIRST_MENTION_COLUMNS += ["version_count", "match", "total", "url"]
FIRST_MENTION_PARAMS = ["q", "since", "until", "section", "tag", "district"]


async def first_mentions(request: Any, datasette: Any) -> Any:
    """The first mentions of a search, earliest publication first: a German page of 50 rows with
    pages, or the whole answer as ``.json``/``.csv`` (``page=N`` for one page of those too)."""
    extension = request.url_vars.get("format") or ""
    params: dict[str, Any] = {name: request.args.get(name) or "" for name in FIRST_MENTION_PARAMS}
    page_text = request.args.get("page") or "1"
    page = max(int(page_text), 1) if page_text.isdigit() else 1
    whole = bool(extension) and not request.args.get("page")
    size = 10**12 if whole else FIRST_MENTIONS_PAGE_SIZE
    db = datasette.get_database(DATABASE_NAME)
    messages = [{"field": f, "message": m} for f, m in date_filters(params["since"], params["until"]).messages]
    found: list[dict[str, Any]] = []
    if params["q"].strip():
        query = {**params, "page": page, "size": size}
        if not extension:  # a page of a word in many articles: walked, its total counted apart
            found = [dict(row) for row in (await db.execute(FIRST_MENTIONS_WALK_SQL, query)).rows]
        if not found:
            result = await db.execute(FIRST_MENTIONS_SQL, query, custom_time_limit=EXPORT_TIME_LIMIT_MS)
            found = [dict(row) for row in result.rows]
    has_next = len(found) > size
    found = found[:size]
    for row in found:
        if row["match"] == "substring" and row["version_count"] > 1:
            await _first_substring_version(db, row, params["q"])
    # None when the page was walked: the page then loads the count as its own request.
    total = found[0]["total"] if found else 0
    args = {k: v for k, v in params.items() if v}
    next_url = request.path + "?" + urlencode({**args, "page": page + 1}) if has_next else None
    if extension:
        extra = {"total": total, "messages": messages, "next": next_url}

        async def rows() -> AsyncIterator[dict[str, Any]]:
            for row in found:
                yield row

        return _stream(extension, request, rows(), FIRST_MENTION_COLUMNS, extra)
    context = {
        "database": DATABASE_NAME,
        "archive_db": DATABASE_NAME,
        "q": params["q"],
        "args": args,
        "rows": found,
        "total": total,
        "page": page,
        "page_size": FIRST_MENTIONS_PAGE_SIZE,
        "prev_url": "?" + urlencode({**args, "page": page - 1}) if page > 1 else None,
        "next_url": "?" + urlencode({**args, "page": page + 1}) if has_next else None,
        "export": {ext: f"first_mentions.{ext}?" + urlencode(args) for ext in ("json", "csv")},
        "total_url": "first_mentions_total?" + urlencode(args),
        "messages": dict(date_filters(params["since"], params["until"]).messages),
    }
    return Response.html(await datasette.render_template("first-mentions.html", context, request=request))


async def first_mentions_total(request: Any, datasette: Any) -> Response:
    """The number of first mentions (FIRST_MENTIONS_TOTAL_SQL) as a small German page: the first
    mentions page shows it in an iframe when it walked its rows instead of counting every hit."""
    params = {name: request.args.get(name) or "" for name in FIRST_MENTION_PARAMS}
    total: int | None = 0
    if params["q"].strip():
        try:
            result = await datasette.get_database(DATABASE_NAME).execute(FIRST_MENTIONS_TOTAL_SQL, params)
        except QueryInterrupted:  # the time limit of every query: the page says it was not counted
            total = None
        else:
            total = result.rows[0]["total"]
    html = await datasette.render_template("first-mentions-total.html", {"total": total}, request=request)
    return Response.html(html)


async def _first_substring_version(db: Any, row: dict[str, Any], q: str) -> None:
    """Set a substring-only hit's first version (and its capture time) to the earliest whose text shows the hit."""
    result = await db.execute(
        "select version, fetched_at, data from article_versions where article_id = :id order by version",
        {"id": row["id"]},
    )
    texts = {}
    for version in result.rows:
        data = json.loads(version["data"] or "{}")
        parts = [data.get(key) for key in ("title", "topline", "lead", "body_text")]
        parts += [", ".join(data.get("tags") or [])]
        texts[version["version"]] = (" ".join(str(part) for part in parts if part), version["fetched_at"])
    first = first_version_with([(number, text) for number, (text, _) in texts.items()], q)
    if first is not None:
        row["first_version"], row["first_captured_at"] = first, texts[first][1]


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    # Plugin routes are matched before Datasette's own: these replace the canned query's .json/.csv.
    return [
        (rf"^/{DATABASE_NAME}/search\.(?P<format>json|csv)$", search_export),
        (rf"^/{DATABASE_NAME}/first_mentions(\.(?P<format>json|csv))?$", first_mentions),
        (rf"^/{DATABASE_NAME}/search_months\.svg$", search_months_svg),
        (rf"^/{DATABASE_NAME}/first_mentions_total$", first_mentions_total),
    ]
