"""Atom feeds that may be empty: datasette-atom 0.9 answers 500 for a query without rows.

Its renderer takes ``max()`` of the rows' ``atom_updated``, which fails on none: a saved search
or a tag feed with no hits yet would be an error page. This renderer is registered after it
(trylast, so it replaces the ``.atom`` extension) and hands every non-empty result to it; an empty
result becomes a valid feed without entries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from datasette.utils.asgi import Response
from datasette_atom import can_render_atom, render_atom
from feedgen.feed import FeedGenerator

from newsroom_scraper.reader.hooks import hookimpl


def render(
    datasette: Any,
    request: Any,
    sql: str,
    columns: list[str],
    rows: list[Any],
    database: str,
    table: str | None,
    query_name: str | None,
    view_name: str,
    data: dict[str, Any],
) -> Any:
    if rows:
        return render_atom(datasette, request, sql, columns, rows, database, table, query_name, view_name, data)
    feed = FeedGenerator()
    feed.id(request.url)
    feed.link(href=request.url, rel="self")
    feed.title(_title(datasette, database, query_name) or (table or "Newsroom-Archiv"))
    feed.updated(dt.datetime.now(dt.UTC))
    return Response(feed.atom_str(pretty=True), content_type="application/xml; charset=utf-8", status=200)


def _title(datasette: Any, database: str, query_name: str | None) -> str | None:
    if not query_name:
        return None
    queries = datasette.metadata(database=database).get("queries") or {}
    query = queries.get(query_name)
    return query.get("title") if isinstance(query, dict) else None


@hookimpl(trylast=True)
def register_output_renderer(datasette: Any) -> dict[str, Any]:
    return {"extension": "atom", "render": render, "can_render": can_render_atom}
