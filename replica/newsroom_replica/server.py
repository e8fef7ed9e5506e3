"""The replica served over HTTP on loopback: a thin layer over ``ReplicaSite``.

The site (``routes.py``, ``search_api.py``) decides what every URL holds; this module adds
what HTTP adds: conditional requests (ETag / Last-Modified → 304), the optional session-cookie
redirect, the access log, the admin endpoints a test in another process uses to change the site between crawls, the
faults and the gate of ``faults.py``, and the promise never to listen anywhere but on loopback.

With ``require_cookie`` every GET or HEAD without a ``dtm_session`` cookie is answered
``302`` to the same path with ``Set-Cookie: dtm_session=…; Path=/``. Scrapy passes this only
when the first redirected request is exempt from its duplicate filter (start requests are,
and so are RobotsTxtMiddleware's robots.txt fetches): after that the cookie jar holds the
session and no further redirects happen.

Admin endpoints (POST ``/_replica/<action>``, JSON body, answer JSON; logged with the method
``ADMIN``): add, edit, remove (404/410), break, restore, clock, switch, articles; admin.py lists
them and keeps the journal (``journal``) that lets a restarted replica carry on where it was.
"""

from __future__ import annotations

import json
import secrets
import signal
import socket
import sys
import threading
import time
from datetime import date
from email.utils import parsedate_to_datetime
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from . import admin
from .admin import AdminError, Journal
from .encodings import ENCODERS, accepts, encode
from .faults import Fault, Faults, Gate
from .markup import render_error_page
from .replica_site import ReplicaSite
from .routes import Answer, json_answer
from .search_api import SEARCH_API

LOOPBACK = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1"}
COOKIE = "dtm_session"
ADMIN_PREFIX = "/_replica/"
MAX_BODY = 1_000_000  # bytes a POST may carry


class LogEntry(NamedTuple):
    """One request as the server saw it: the path exactly as received (percent-encoded or not)."""

    status: int
    method: str
    path: str


class ReplicaServer:
    """Serve ``site`` on ``host`` (loopback only) in a background thread.

    ``port=0`` picks a free port; ``url`` is known after ``start()``. Use as a context manager
    to be sure sockets are closed. ``log`` lists every request as ``LogEntry(status, method, path)``;
    with ``log_path`` each is also appended to that file as ``STATUS METHOD PATH``. ``faults`` are
    injected at random; a ``gate`` holds article pages until the test lets them through.
    ``encoding`` (gzip, br or zstd): every answer with a body is sent so encoded to a client
    whose ``Accept-Encoding`` takes it (``encodings.py``), with ``Vary: Accept-Encoding``; with
    ``encode_unasked`` to every client, whatever it accepts, as a misconfigured server or CDN may
    (an attribute: a test can turn it on between two crawls).
    """

    def __init__(
        self,
        site: ReplicaSite,
        host: str = "127.0.0.1",
        port: int = 0,
        require_cookie: bool = False,
        log_path: str | Path | None = None,
        faults: Faults | None = None,
        gate: Gate | None = None,
        encoding: str | None = None,
        journal: Journal | None = None,
        encode_unasked: bool = False,
    ) -> None:
        if host not in LOOPBACK:
            raise ValueError(f"the replica serves loopback only (127.0.0.1, ::1, localhost), not {host!r}")
        if encoding is not None and encoding not in ENCODERS:
            raise ValueError(f"the replica encodes in {', '.join(ENCODERS)}, not {encoding!r}")
        self.encoding, self.encode_unasked = encoding, encode_unasked
        self.site, self.host, self.port = site, LOOPBACK[host], port
        self.require_cookie = require_cookie
        self.log_path = Path(log_path) if log_path else None
        self.faults = faults or Faults()
        self.gate = gate
        self.journal = journal
        self.stopping = threading.Event()  # ends the hangs of timeout faults when the server stops
        self.log: list[LogEntry] = []
        self._log_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash); still readable after ``stop()``."""
        if self._url is None:
            raise RuntimeError("the replica server has not been started")
        return self._url

    def start(self) -> ReplicaServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            raise RuntimeError("the replica server is already started")
        self._httpd = _HTTPServer((self.host, self.port), _Handler, self)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._url = f"http://{host}:{self._httpd.server_address[1]}"
        # A short poll interval: stop() waits for the next poll, and tests stop many servers.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="replica-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every socket and wait for the request threads."""
        if self._httpd is None:
            return
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def record(self, status: int, method: str, path: str) -> None:
        """Append one request to the log (and to ``log_path``). Called from request threads."""
        with self._log_lock:
            self.log.append(LogEntry(status, method, path))
            if self.log_path:
                with self.log_path.open("a", encoding="utf-8") as handle:
                    handle.write(f"{status} {method} {path}\n")

    def paths(self, status: int | None = None) -> list[str]:
        """Paths requested by clients (admin calls left out), optionally only those answered ``status``."""
        with self._log_lock:
            return [e.path for e in self.log if e.method != "ADMIN" and (status is None or e.status == status)]


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that can close its keep-alive connections, so stop() never hangs.

    Request threads are not daemons: ``server_close`` joins them after shutting their
    sockets down, which leaves no socket open behind a test (pytest -W error sees ResourceWarnings).
    """

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], replica: ReplicaServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.replica = replica
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)  # wakes a thread waiting for the next request
                except OSError:
                    pass
        super().server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client that hung up is not an error
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 with keep-alive, as Scrapy uses it."""

    protocol_version = "HTTP/1.1"
    server_version = "ReplicaNewsroom/1.0"
    # TCP_NODELAY: headers and body go out as two writes, and without it the body of every
    # keep-alive answer waited for the client's delayed ACK (~40 ms): 23 requests/s at concurrency 1.
    disable_nagle_algorithm = True
    server: _HTTPServer

    @property
    def replica(self) -> ReplicaServer:
        return self.server.replica

    def do_GET(self) -> None:
        self._get(head=False)

    def do_HEAD(self) -> None:
        self._get(head=True)

    def do_POST(self) -> None:
        body = self._read_body()
        path = self._target().split("?", 1)[0]
        if path.startswith(ADMIN_PREFIX):
            self._send(self._admin(path[len(ADMIN_PREFIX) :], body))
        elif path == SEARCH_API:
            fault = self.replica.faults.draw("POST", path)
            if fault is None or not self._inject(fault):
                self._send_maybe_cut(self.replica.site.search_response(body), fault)
        else:
            self._send(json_answer(405, {"error": "method not allowed"}), extra={"Allow": "GET, HEAD"})

    def _get(self, head: bool) -> None:
        target = self._target()
        if target.split("?", 1)[0] == SEARCH_API:
            self._send(json_answer(405, {"error": "use POST"}), head, {"Allow": "POST"})
            return
        if self.replica.require_cookie and not self._has_session():
            # Without a cookie jar a client follows this redirect forever, as reported of the real site.
            # Every GET and HEAD (robots.txt too) asks for the session; POSTs (search API, admin) do not,
            # since a client redirected on a POST would come back with a GET.
            headers = {"Location": self.path, "Set-Cookie": f"{COOKIE}={secrets.token_hex(8)}; Path=/"}
            self._send(Answer(302, b"", "text/plain"), head, headers)
            return
        fault = self.replica.faults.draw("GET", target)
        if fault is not None and self._inject(fault, head):
            return
        response = self.replica.site.render(target, self.replica.url)
        if response.status == 200 and self._not_modified(response):
            self._send(response, head, status=304)
            return
        if not head and response.status == 200 and not self._pass_gate(target):
            self.replica.record(0, self.command, target)  # 0: no answer was sent
            self.close_connection = True
            return
        self._send_maybe_cut(response, None if head else fault, head)

    def _pass_gate(self, target: str) -> bool:
        """Whether to send an article page now (after waiting at the gate, if there is one)."""
        gate = self.replica.gate
        if gate is None:
            return True
        try:
            self.replica.site.entry(target.split("?", 1)[0])
        except KeyError:  # not an article page
            return True
        return gate.wait_turn(self.replica.stopping)

    def _inject(self, fault: Fault, head: bool = False) -> bool:
        """Answer with ``fault`` instead of the page; False for a truncation (the page, cut)."""
        if fault.kind == "timeout":
            self.replica.stopping.wait(self.replica.faults.hang_seconds)  # longer than the client waits
            self.replica.record(0, self.command, self._target())  # 0: no answer was sent
            self.close_connection = True
            return True
        if fault.kind == "throttle":
            answer = Answer(429, b"Too Many Requests\n", "text/plain")
            self._send(answer, head, {"Retry-After": str(self.replica.faults.retry_after)})
            return True
        if fault.kind == "fail":
            self._send(Answer(fault.status, render_error_page(fault.status).encode("utf-8")), head)
            return True
        if fault.kind == "fixed":
            self._send(Answer(fault.status, fault.body, fault.content_type), head)
            return True
        return False

    def _send_maybe_cut(self, response: Answer, fault: Fault | None, head: bool = False) -> None:
        """The answer, or (for a truncation fault on a 200) its first part, then the connection closes."""
        if fault is None or fault.kind != "truncate" or response.status != 200:
            self._send(response, head)
            return
        cut = fault.cut(response.body)
        self.send_response(200)
        for name, value in response.headers().items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(cut) if fault.honest_length else len(response.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(cut)
        self.close_connection = True

    def _target(self) -> str:
        """The request target; raw UTF-8 in the request line (read as Latin-1 by http.server) repaired."""
        try:
            return self.path.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return self.path

    def _has_session(self) -> bool:
        try:
            return COOKIE in SimpleCookie(self.headers.get("Cookie", ""))
        except CookieError:
            return False

    def _not_modified(self, response: Answer) -> bool:
        """RFC 9110: If-None-Match decides when present; otherwise If-Modified-Since."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or response.etag in tags
        since = self.headers.get("If-Modified-Since")
        if since and response.last_modified:
            try:
                return parsedate_to_datetime(since) >= response.last_modified
            except (TypeError, ValueError):  # an unreadable date: answer in full
                return False
        return False

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = 0
        return self.rfile.read(min(max(length, 0), MAX_BODY)) if length else b""

    def _admin(self, action: str, body: bytes) -> Answer:
        """Change the site on behalf of a test in another process (admin.py), journaled when asked."""
        replica = self.replica
        try:
            data = json.loads(body or b"{}")
            if not isinstance(data, dict):
                raise AdminError("the body must be a JSON object")
            with replica.site.lock:  # the journal keeps the order the changes were applied in
                answer = admin.apply(replica, action, data)
                if replica.journal is not None and admin.changes_site(action, data):
                    # the clock as it ended up: a replay must not depend on when it runs
                    replica.journal.record(action, {"set": answer["now"]} if action == "clock" else data)
        except LookupError as error:  # KeyError included: no such article, or a field missing
            return json_answer(404, {"error": f"no such article, field or action: {error}"})
        except (ValueError, TypeError, AttributeError) as error:
            return json_answer(400, {"error": str(error)})
        return json_answer(200, answer)

    def _send(
        self, response: Answer, head: bool = False, extra: dict[str, str] | None = None, status: int | None = None
    ) -> None:
        status = status or response.status
        self.send_response(status)
        headers = response.headers()
        body = response.body
        coding = self.replica.encoding
        if coding is not None:
            headers["Vary"] = "Accept-Encoding"
        if status == 304:  # validators only, no body
            headers.pop("Content-Type")
        else:
            asked = self.replica.encode_unasked or accepts(self.headers.get("Accept-Encoding"), coding or "")
            if coding is not None and body and asked:
                body = encode(coding, body)
                headers["Content-Encoding"] = coding
            headers["Content-Length"] = str(len(body))
        for name, value in {**headers, **(extra or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Every response (send_error's included) goes through here: record it."""
        path = self._target() if getattr(self, "path", None) else ""
        method = "ADMIN" if path.startswith(ADMIN_PREFIX) else (getattr(self, "command", None) or "-")
        self.replica.record(int(code) if str(code).isdigit() else 0, method, path)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """Quiet: the access log is ``ReplicaServer.log``."""


def run(
    port: int,
    articles: int,
    seed: int = 1,
    host: str = "127.0.0.1",
    no_sitemap: bool = False,
    require_cookie: bool = False,
    log_path: str | None = None,
    pad_kb: int | None = None,
    cache_mb: int = 256,
    faults: Faults | None = None,
    search_down: bool = False,
    changed_markup: bool = False,
    encoding: str | None = None,
    state_path: str | None = None,
) -> None:
    """Serve a replica until Ctrl-C (or SIGTERM); the CLI's ``newsroom-archive replica``.

    Prints ``Replica newsroom: http://127.0.0.1:PORT/newsroom/ (N articles)`` once listening.
    ``pad_kb`` sizes every page's menu JSON (the live site's is ~400 KB); ``cache_mb`` bounds the
    cache of rendered answers (0: render every answer anew). ``state_path``: the journal of
    admin.py; an existing one is replayed first (ValueError when it names another site).
    """
    journal = Journal(Path(state_path)) if state_path else None
    recorded = journal.header() if journal else None
    newest = None
    if recorded is not None:
        if (recorded["articles"], recorded["seed"]) != (articles, seed):
            raise ValueError(
                f"{state_path} holds the changes of a site of {recorded['articles']} articles, seed "
                f"{recorded['seed']}: start with those (or another --state file)"
            )
        newest = date.fromisoformat(recorded["newest"])
    site = ReplicaSite(
        articles,
        seed=seed,
        newest=newest,
        sitemap=not no_sitemap,
        menu_bytes=pad_kb * 1024 if pad_kb is not None else ReplicaSite.MENU_BYTES,
        cache_bytes=cache_mb * 1_000_000,
    )
    site.search_down, site.changed_markup = search_down, changed_markup
    server = ReplicaServer(
        site,
        host=host,
        port=port,
        require_cookie=require_cookie,
        log_path=log_path,
        faults=faults,
        journal=journal,
        encoding=encoding,
    )
    if journal is not None:
        if recorded is None:
            journal.start(articles, seed, site.newest)
        else:
            journal.replay(server)
    with server:
        # The handler before the line that says it listens: a SIGTERM sent on reading that line
        # (as a test or a supervisor does) must find it, or the process dies with -15 instead.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)
        try:  # the line inside: a SIGTERM sent on reading it must land in this try, not just before it
            print(f"Replica newsroom: {server.url}/newsroom/ ({articles} articles)", flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
