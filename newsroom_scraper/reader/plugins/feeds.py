"""The archive's Atom feeds (RFC 4287): a saved search, a tag, the newest articles, an article's history.

One renderer for the ``.atom`` extension (registered after datasette-atom's, so it replaces it):

- A query returning ``id, url, title, published_at`` (+ ``content``, ``author``) — ``search_feed``,
  ``tag_feed``, ``new_articles`` — becomes a feed whose title and id name what it follows (the
  query's words and filters, the tag), newest publication first, each entry linking to the archive's
  article page (``rel=alternate``) and to the original on the city's site (``rel=via``), its id the
  original URL, with an ``<author>``.
- Any other query with datasette-atom's columns (``atom_id``, ``atom_title``, ``atom_updated``, …:
  ``article_history``) is rendered by datasette-atom; an empty one is a valid feed without entries
  (datasette-atom 0.9 answers 500 there).

Every feed is served as ``application/atom+xml``.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

from datasette.utils.asgi import Response
from datasette_atom import can_render_atom, render_atom
from feedgen.feed import FeedGenerator

from newsroom_scraper.reader.hooks import hookimpl

ATOM = "application/atom+xml; charset=utf-8"
ATOM_NS = "http://www.w3.org/2005/Atom"
ARTICLE_COLUMNS = {"id", "url", "title", "published_at"}
DEFAULT_AUTHOR = "Stadt Dortmund"
FEED_ID_PREFIX = "tag:newsroom-archive,2026:"


def feed_title(query_name: str | None, args: dict[str, str], fallback: str) -> str:
    """The feed's title, naming what it follows.

    >>> feed_title("search_feed", {"q": "Rat", "since": "2024"}, "")
    'Newsroom-Archiv: Suche „Rat“ (since 2024)'
    >>> feed_title("tag_feed", {"tag": "Bildung"}, "")
    'Newsroom-Archiv: Schlagwort „Bildung“'
    """
    if query_name == "search_feed":
        filters = ", ".join(f"{k} {v}" for k, v in args.items() if v and k not in ("q", "page", "sort"))
        return f"Newsroom-Archiv: Suche „{args.get('q', '')}“" + (f" ({filters})" if filters else "")
    if query_name == "tag_feed":
        return f"Newsroom-Archiv: Schlagwort „{args.get('tag', '')}“"
    if query_name == "new_articles":
        return "Newsroom-Archiv: neue Artikel"
    return fallback


def atom_time(value: str | None) -> dt.datetime:
    """A publication time as an aware datetime (a date alone is midnight UTC)."""
    if not value:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    moment = dt.datetime.fromisoformat(value if len(value) > 10 else value + "T00:00:00+00:00")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


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
    if ARTICLE_COLUMNS <= set(columns):
        return _article_feed(datasette, request, rows, database, query_name)
    if rows:
        response = render_atom(datasette, request, sql, columns, rows, database, table, query_name, view_name, data)
        return Response(_with_author(response.body), status=response.status, content_type=ATOM)
    feed = FeedGenerator()
    feed.id(request.url)
    feed.link(href=request.url, rel="self")
    feed.title(_title(datasette, database, query_name) or (table or "Newsroom-Archiv"))
    feed.author({"name": DEFAULT_AUTHOR})
    feed.updated(dt.datetime.now(dt.UTC))
    return Response(feed.atom_str(pretty=True), content_type=ATOM, status=200)


def _article_feed(datasette: Any, request: Any, rows: list[Any], database: str, query_name: str | None) -> Response:
    """A feed of articles, newest publication first, linking to the archive's pages (stdlib XML: feedgen
    drops a link's rel)."""
    args = {name: request.args.get(name) or "" for name in request.args.keys() if not name.startswith("_")}
    args = {name: value for name, value in args.items() if value}
    base = f"{request.scheme}://{request.host}"
    fallback = _title(datasette, database, query_name) or "Newsroom-Archiv"
    entries = sorted(rows, key=lambda row: atom_time(row["published_at"]), reverse=True)
    feed = ET.Element("feed", xmlns=ATOM_NS)
    _text(feed, "id", FEED_ID_PREFIX + (query_name or "feed") + ("?" + urlencode(args) if args else ""))
    _text(feed, "title", feed_title(query_name, args, fallback))
    # A feed holds the newest entries only: it says how many, so no reader takes it for the whole answer.
    _text(feed, "subtitle", f"Die {len(entries)} neuesten Artikel nach Veröffentlichung; alle im Archiv.")
    newest = atom_time(entries[0]["published_at"]) if entries else dt.datetime.now(dt.UTC)
    _text(feed, "updated", newest.isoformat())
    ET.SubElement(feed, "link", rel="self", type="application/atom+xml", href=request.url)
    if query_name == "search_feed":
        page = base + datasette.urls.database(database) + "/search?" + urlencode(args)
        ET.SubElement(feed, "link", rel="alternate", type="text/html", href=page)
    _text(ET.SubElement(feed, "author"), "name", DEFAULT_AUTHOR)
    for row in entries:
        keys = row.keys()
        entry = ET.SubElement(feed, "entry")
        _text(entry, "id", row["url"])
        _text(entry, "title", row["title"] or row["url"])
        _text(entry, "updated", atom_time(row["published_at"]).isoformat())
        _text(entry, "published", atom_time(row["published_at"]).isoformat())
        archived = base + datasette.urls.row(database, "articles", row["id"])
        ET.SubElement(entry, "link", rel="alternate", type="text/html", href=archived)
        ET.SubElement(entry, "link", rel="via", type="text/html", href=row["url"])
        _text(ET.SubElement(entry, "author"), "name", (row["author"] if "author" in keys else None) or DEFAULT_AUTHOR)
        if "content" in keys and row["content"]:
            _text(entry, "summary", str(row["content"]).replace("«", "").replace("»", ""))
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, content_type=ATOM, status=200)


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    """A child element holding ``text``."""
    child = ET.SubElement(parent, tag)
    child.text = text
    return child


def _with_author(body: bytes | str) -> bytes:
    """datasette-atom's feed with the feed-level <author> RFC 4287 requires (it writes none)."""
    text = body.encode("utf-8") if isinstance(body, str) else body
    marker = b"</updated>"
    author = f"<author><name>{DEFAULT_AUTHOR}</name></author>".encode()
    return text.replace(marker, marker + author, 1) if marker in text else text


def _title(datasette: Any, database: str, query_name: str | None) -> str | None:
    if not query_name:
        return None
    queries = datasette.metadata(database=database).get("queries") or {}
    query = queries.get(query_name)
    return query.get("title") if isinstance(query, dict) else None


def can_render(columns: list[str]) -> bool:
    return ARTICLE_COLUMNS <= set(columns) or bool(can_render_atom(columns))


@hookimpl(trylast=True)
def register_output_renderer(datasette: Any) -> dict[str, Any]:
    return {"extension": "atom", "render": render, "can_render": can_render}
