"""Bounds for a public archive that still lets researchers write SQL (docs/reliability.md).

Datasette's ``sql_time_limit_ms`` interrupts long queries, but not one long operation:
``randomblob(1000000000)`` made a 1 GB value in one step, three requests at a time. SQLite's own
limits, set on every connection Datasette opens, refuse such values before they are made; with
``max_returned_rows`` (settings.json) they bound what one request can hold in memory. The debug
pages (who may do what, flash messages, the server's threads, the file's absolute path) answer 404,
and ``pragma_database_list`` reads the path as NULL.
"""

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from datasette.utils.asgi import Response

from newsroom_scraper.reader.hooks import hookimpl

# The longest value a query may make or read, in bytes. An article's largest stored value (its
# version's JSON: text and sanitised HTML at their caps in items.py) stays below it. With
# max_returned_rows = 100 one request holds at most ~100 MB, however its SQL is written.
MAX_VALUE_BYTES = 1_000_000
# The longest SQL text accepted: enough for any query a person writes, not for generated blobs.
MAX_SQL_BYTES = 100_000
# Functions that make a value of any size in one uninterruptible step (printf('%.*c', 1e9, 'x')
# took 7.7 s of CPU before the length limit refused it): research needs none of them.
DENIED_FUNCTIONS = {"randomblob", "zeroblob", "printf", "format"}
# The archive is read-only to its readers: every page answers GET and HEAD, and a POST to a table
# (Datasette 0.65 asserts "You may only POST to a canned query") answered 500 (issue 17, 7).
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
# Datasette's debugging and introspection pages that a public archive does not need.
BLOCKED_PAGES = ("allow-debug", "messages", "threads", "databases", "patterns", "permissions")


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)  # ATTACH would open other files of the server
    conn.set_authorizer(_authorize)


# Columns that would show the server's file system (the archive's absolute path): read as NULL.
HIDDEN_COLUMNS = {("pragma_database_list", "file")}


def _authorize(action: int, arg1: str | None, arg2: str | None, database: str | None, trigger: str | None) -> int:
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and ((arg1 or "").lower(), (arg2 or "").lower()) in HIDDEN_COLUMNS:
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_OK


async def _not_here(request: Any) -> Response:
    return Response.text("Not found", status=404)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    # Plugin routes are matched before Datasette's own, so these replace the debug pages.
    return [(rf"^/-/{page}(\.json)?$", _not_here) for page in BLOCKED_PAGES]


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[ASGIApp], ASGIApp]:
    """Any method but GET, HEAD and OPTIONS is answered 405 before Datasette sees it."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def read_only(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") == "http" and scope.get("method", "GET").upper() not in READ_METHODS:
                allow = [(b"allow", b"GET, HEAD"), (b"content-type", b"text/plain; charset=utf-8")]
                await send({"type": "http.response.start", "status": 405, "headers": allow})
                await send({"type": "http.response.body", "body": b"Method not allowed: the archive is read-only"})
                return
            await app(scope, receive, send)

        return read_only

    return wrap
