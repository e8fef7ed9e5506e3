"""Exports that hold every row, or say that they do not (docs/reading.md, "Exports and their limits").

- A table's or a facet filter's CSV streams every row with Datasette's ``_stream=on``
  (``allow_csv_stream``, on by default). Its JSON does the same here: ``.json?_stream=on`` follows
  Datasette's ``next`` links page by page (``max_returned_rows`` rows each, keyset pagination, so
  no row twice) and writes one JSON array as it goes, in constant memory.
- Arbitrary SQL and canned queries stay bounded (``max_returned_rows`` rows, ``sql_time_limit_ms``):
  a truncated result says "truncated at N rows" on its page (template query-newsroom.html), as the
  last line of its CSV (``# truncated at N rows …``) and in its JSON (Datasette's ``"truncated": true``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from newsroom_scraper.reader import DATABASE_NAME
from newsroom_scraper.reader.hooks import hookimpl

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
# /newsroom.csv?sql=… and /newsroom/<table or query>.csv|json
_QUERY_CSV = re.compile(rf"^/{DATABASE_NAME}(?:/(?P<name>[^/]+))?\.csv$")
_TABLE_JSON = re.compile(rf"^/{DATABASE_NAME}/(?P<name>[^/]+)\.json$")
# Routes of plugins/search.py that export every row themselves.
OWN_EXPORTS = {"search", "first_mentions"}


def truncation_line(limit: int) -> str:
    """The CSV's last line when a query's rows were cut at ``limit``."""
    return (
        f"# truncated at {limit} rows (max_returned_rows): export a table with _stream=on, or page with LIMIT/OFFSET\n"
    )


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[ASGIApp], ASGIApp]:
    def wrap(app: ASGIApp) -> ASGIApp:
        async def exports(scope: dict[str, Any], receive: Any, send: Any) -> None:
            path = scope.get("path") or ""
            if scope.get("type") != "http" or scope.get("method", "GET") != "GET":
                await app(scope, receive, send)
                return
            args = parse_qsl((scope.get("query_string") or b"").decode("utf-8", "replace"), keep_blank_values=True)
            table_json = _TABLE_JSON.match(path)
            streams = table_json and ("_stream", "on") in args and table_json["name"] not in OWN_EXPORTS
            if streams and table_json and await _is_table(datasette, table_json["name"]):
                await _stream_json(datasette, path, args, send)
                return
            query_csv = _QUERY_CSV.match(path)
            name = query_csv["name"] if query_csv else None
            if query_csv and name not in OWN_EXPORTS and not (name and await _is_table(datasette, name)):
                limit = await _truncated_at(datasette, path[: -len(".csv")] + ".json", args)
                if limit:
                    send = _with_last_line(send, truncation_line(limit).encode("utf-8"))
            await app(scope, receive, send)

        return exports

    return wrap


async def _is_table(datasette: Any, name: str) -> bool:
    db = datasette.databases.get(DATABASE_NAME)
    return db is not None and (await db.table_exists(name) or name in await db.view_names())


async def _truncated_at(datasette: Any, json_path: str, args: list[tuple[str, str]]) -> int | None:
    """max_returned_rows when the query's JSON says it was truncated, else None."""
    kept = [(k, v) for k, v in args if k not in ("_shape", "_stream", "_dl", "_size")]
    response = await datasette.client.get(json_path + "?" + urlencode(kept))
    if response.status_code != 200:
        return None
    try:
        truncated = response.json().get("truncated")
    except (ValueError, AttributeError):
        return None
    return int(datasette.setting("max_returned_rows")) if truncated else None


def _with_last_line(send: Any, line: bytes) -> Any:
    """``send`` that adds ``line`` to the response's last body message."""

    async def sending(message: dict[str, Any]) -> None:
        if message.get("type") == "http.response.body" and not message.get("more_body"):
            message = {**message, "body": (message.get("body") or b"") + line}
        await send(message)

    return sending


async def _stream_json(datasette: Any, path: str, args: list[tuple[str, str]], send: Any) -> None:
    """Every row of a table (with its filters) as one JSON array, page after page."""
    kept = [(k, v) for k, v in args if k not in ("_stream", "_shape", "_size", "_next", "_nofacet", "_nocount")]
    kept += [("_shape", "objects"), ("_size", "max"), ("_nofacet", "1"), ("_nocount", "1")]
    headers = [(b"content-type", b"application/json; charset=utf-8")]
    first_page = await datasette.client.get(path + "?" + urlencode(kept))
    if first_page.status_code != 200:
        await send({"type": "http.response.start", "status": first_page.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": first_page.content})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"[", "more_body": True})
    page, first = first_page.json(), True
    while True:
        for row in page.get("rows") or []:
            text = ("" if first else ",\n") + json.dumps(row, ensure_ascii=False)
            await send({"type": "http.response.body", "body": text.encode("utf-8"), "more_body": True})
            first = False
        if not page.get("next"):
            break
        page = (await datasette.client.get(path + "?" + urlencode([*kept, ("_next", page["next"])]))).json()
    await send({"type": "http.response.body", "body": b"]"})
