"""Bounds for a public archive that still lets researchers write SQL (docs/reliability.md).

Datasette's ``sql_time_limit_ms`` interrupts long queries, but not one long operation:
``randomblob(1000000000)`` made a 1 GB value in one step, three requests at a time. SQLite's own
limits, set on every connection Datasette opens, refuse such values before they are made; with
``max_returned_rows`` (settings.json) they bound what one request can hold in memory. The debug
pages (who may do what, flash messages, the server's threads, the file's absolute path) answer 404,
and ``pragma_database_list`` reads the path as NULL.

Arbitrary SQL (``?sql=``, ``?_where=``) shares Datasette's query threads with every page: four
clients cycling time-limited queries kept all of them busy, and an article page waited seconds
in line behind them (issue 17, 1). ``SqlGate`` lets such requests run one at a time (a few wait
in line, one running and one waiting per client address), so pages, canned queries and the
search always find a free thread; over-long addresses, SQL and search queries are refused at the
door with a one-line German/English answer.
"""

import asyncio
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl

from datasette.utils.asgi import Response

from newsroom_scraper.reader.hooks import hookimpl
from newsroom_scraper.search.sql import MAX_QUERY_CHARS

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


@hookimpl
def startup(datasette: Any) -> None:
    # Datasette prints every exception it turns into an error page with rich's traceback and its
    # local variables when rich is installed (wacz and typer bring it): ~1–5 s in the event loop for
    # each 404 or query that ran out of time, while no other page was answered (issue 17, 1: "the
    # 1 s limit fires after 2.4–3.0 s under load"). Datasette still prints a plain traceback for
    # every 500. (Imported here: imported before datasette.plugins, this module would be registered
    # half-initialised, without its handler, and every error page would fail.)
    from datasette import handle_exception as datasette_errors

    datasette_errors.rich = None


async def _not_here(request: Any) -> Response:
    return Response.text("Not found", status=404)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    # Plugin routes are matched before Datasette's own, so these replace the debug pages.
    return [(rf"^/-/{page}(\.json)?$", _not_here) for page in BLOCKED_PAGES]


# Issue 17, 1. Longest address (path and query string) accepted: ~8 KB of SQL percent-encoded.
# A reverse proxy usually refuses less (nginx: 8 KB request lines) — these hold without one.
MAX_QUERY_STRING_BYTES = 16_384
# Longest SQL accepted from a reader (?sql=, ?_where=): a long hand-written query. SQLite's
# SQLITE_LIMIT_SQL_LENGTH above stays larger for the SQL Datasette itself builds around it.
MAX_READER_SQL_CHARS = 8_000
# Query parameters that carry a search query (canned searches, table search): MAX_QUERY_CHARS.
SEARCH_PARAMS = ("q", "_search")
# Query parameters that make a request run SQL its sender wrote.
ARBITRARY_SQL_PARAMS = ("sql", "_where")
# Requests with arbitrary SQL running at once: one of the num_sql_threads (3) query threads, so two
# stay for pages, canned queries and search. At most SQL_QUEUE more wait, each SQL_WAIT_SECONDS at
# most; one client address has at most SQL_PER_CLIENT running or waiting (uvicorn takes the address
# from X-Forwarded-For when the reverse proxy on loopback sets it).
SQL_AT_ONCE = 1
SQL_QUEUE = 8
SQL_WAIT_SECONDS = 10.0
SQL_PER_CLIENT = 2
# Every refusal here (405, 414, 400, 429, 503) is answered after this long: a client that sends again
# as soon as it is refused costs one request a second per connection, not hundreds (four clients
# resending an 81 KB address took a reader's median from 34 to 215 ms without it).
REFUSAL_DELAY_SECONDS = 1.0


class SqlGate:
    """Arbitrary-SQL requests in line: ``at_once`` run, ``queue`` wait, ``per_client`` per address."""

    def __init__(self, at_once: int, queue: int, per_client: int, wait_seconds: float) -> None:
        self.at_once, self.queue, self.per_client, self.wait_seconds = at_once, queue, per_client, wait_seconds
        self._by_client: Counter[str] = Counter()
        self._waiting = 0
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        # One semaphore per event loop: the tests' in-process client runs each request in its own.
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            self._slots, self._loop = asyncio.Semaphore(self.at_once), loop
        return self._slots

    async def run(self, client: str, call: Callable[[], Awaitable[None]]) -> tuple[int, str] | None:
        """``call()`` once a slot is free; (status, message) instead when the line is too long."""
        slots = self._semaphore()
        if self._by_client[client] >= self.per_client:
            return 429, TOO_MANY_FROM_CLIENT
        if slots.locked() and self._waiting >= self.queue:
            return 503, SQL_BUSY
        self._by_client[client] += 1
        try:
            self._waiting += 1
            try:
                async with asyncio.timeout(self.wait_seconds):
                    await slots.acquire()
            except TimeoutError:
                return 503, SQL_BUSY
            finally:
                self._waiting -= 1
            try:
                await call()
            finally:
                slots.release()
        finally:
            self._by_client[client] -= 1
            if not self._by_client[client]:
                del self._by_client[client]
        return None


# Set while a gated request runs: the requests it makes itself through datasette.client (exports.py
# reads a query's JSON to see whether its CSV was cut, a streamed table reads page after page) pass
# the gate, which their request already holds; waiting in line behind it, they waited forever.
INSIDE_GATE: ContextVar[bool] = ContextVar("inside_sql_gate", default=False)


TOO_MANY_FROM_CLIENT = (
    "Zu viele SQL-Abfragen gleichzeitig von Ihrer Adresse, bitte gleich noch einmal versuchen. "
    "/ Too many SQL queries at once from your address: try again in a moment."
)
SQL_BUSY = "Zu viele SQL-Abfragen, bitte gleich noch einmal versuchen. / Too many SQL queries: try again in a moment."
URL_TOO_LONG = (
    f"Adresse zu lang (höchstens {MAX_QUERY_STRING_BYTES} Bytes). "
    f"/ Address too long (at most {MAX_QUERY_STRING_BYTES} bytes)."
)
SQL_TOO_LONG = f"SQL zu lang (höchstens {MAX_READER_SQL_CHARS} Zeichen). / SQL too long (at most {MAX_READER_SQL_CHARS} characters)."
QUERY_TOO_LONG = (
    f"Suchanfrage zu lang (höchstens {MAX_QUERY_CHARS} Zeichen). "
    f"/ Search query too long (at most {MAX_QUERY_CHARS} characters)."
)


def refusal(query_string: bytes) -> tuple[int, str] | None:
    """The (status, message) for a query string over a length limit, or None.

    >>> refusal(b"sql=select+1"), refusal(b"q=" + b"x" * 300)[0], refusal(b"x" * 20_000)[0]
    (None, 400, 414)
    """
    if len(query_string) > MAX_QUERY_STRING_BYTES:
        return 414, URL_TOO_LONG
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in ARBITRARY_SQL_PARAMS and len(value) > MAX_READER_SQL_CHARS:
            return 400, SQL_TOO_LONG
        if (name in SEARCH_PARAMS or name.startswith("_search_")) and len(value) > MAX_QUERY_CHARS:
            return 400, QUERY_TOO_LONG
    return None


def runs_arbitrary_sql(query_string: bytes) -> bool:
    """Whether the request runs SQL its sender wrote (``?sql=``, ``?_where=``), on any page or format."""
    args = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return any(name in ARBITRARY_SQL_PARAMS and value.strip() for name, value in args)


async def _answer(send: Any, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A refusal: a plain-text answer of one line, after REFUSAL_DELAY_SECONDS."""
    await asyncio.sleep(REFUSAL_DELAY_SECONDS)
    head = [(b"content-type", b"text/plain; charset=utf-8"), *(headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": (message + "\n").encode("utf-8")})


# trylast: applied last, so outermost; it sees the request as sent (search.py turns a table's
# _search into a _where, which is not the reader's own SQL).
@hookimpl(trylast=True)
def asgi_wrapper(datasette: Any) -> Callable[[ASGIApp], ASGIApp]:
    """Any method but GET, HEAD and OPTIONS is answered 405 before Datasette sees it; over-long
    requests 414/400; arbitrary SQL waits for its turn (SqlGate), or 429/503 when the line is full."""
    gate = SqlGate(SQL_AT_ONCE, SQL_QUEUE, SQL_PER_CLIENT, SQL_WAIT_SECONDS)

    def wrap(app: ASGIApp) -> ASGIApp:
        async def limited(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            if scope.get("method", "GET").upper() not in READ_METHODS:
                allow = [(b"allow", b"GET, HEAD")]
                await _answer(send, 405, "Method not allowed: the archive is read-only", allow)
                return
            query_string = scope.get("query_string") or b""
            refused = refusal(query_string)
            if refused is None and runs_arbitrary_sql(query_string) and not INSIDE_GATE.get():

                async def gated() -> None:
                    token = INSIDE_GATE.set(True)
                    try:
                        await app(scope, receive, send)
                    finally:
                        INSIDE_GATE.reset(token)

                client = (scope.get("client") or ("unknown", 0))[0]
                refused = await gate.run(client, gated)
                if refused:
                    await _answer(send, *refused, [(b"retry-after", b"1")])
                return
            if refused:
                await _answer(send, *refused)
                return
            await app(scope, receive, send)

        return limited

    return wrap
