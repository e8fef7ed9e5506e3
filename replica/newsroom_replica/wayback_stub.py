"""A loopback stand-in for the Wayback Machine: the CDX search API and ``id_`` mementos.

It answers in the real services' formats, as the EDGI ``wayback`` library reads them: the CDX API
(``/cdx/search/cdx``) with space-separated lines ``urlkey timestamp original mimetype statuscode
digest length``, prefix matching, ``from``/``to``, ``filter=statuscode:200``, ``limit`` and
``showResumeKey`` (a blank line, then the key); a memento (``/web/<timestamp>id_/<url>``) with
the original status and body, ``Memento-Datetime``, ``Link`` (rel original) and the original
headers as ``X-Archive-Orig-*``. ``render_old_article`` makes a pre-2023 article page
(``nachricht.jsp?nid=``) with JSON-LD and a "Bild (Bildlizenz/Fotograf/Grafiker): …" credit,
in invented text. Tests use it; the product never contacts the real service in tests.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
from base64 import b32encode
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

WAYBACK = "https://web.archive.org"


@dataclass
class StubCapture:
    """One capture the stub holds: the original URL, its 14-digit timestamp, what it answered."""

    original: str
    timestamp: str
    body: bytes
    status: int = 200
    mimetype: str = "text/html"
    headers: tuple[tuple[str, str], ...] = ()  # more headers of the memento (``Content-Encoding: gzip``)
    cdx_digest: str | None = None  # what the CDX line says instead of the body's SHA-1 (a damaged copy)

    @property
    def urlkey(self) -> str:
        parts = urlsplit(self.original)
        host = ",".join(reversed((parts.hostname or "").removeprefix("www.").split(".")))
        return f"{host}){parts.path}" + (f"?{parts.query}" if parts.query else "")

    def cdx_line(self) -> str:
        digest = self.cdx_digest or b32encode(hashlib.sha1(self.body).digest()).decode()
        return f"{self.urlkey} {self.timestamp} {self.original} {self.mimetype} {self.status} {digest} {len(self.body)}"


@dataclass
class WaybackStub:
    """Serves ``captures`` on 127.0.0.1; ``log`` holds every request path (CDX and memento alike)."""

    captures: list[StubCapture]
    page_size: int = 1000
    log: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def mementos_fetched(self) -> list[str]:
        return [path for path in self.log if path.startswith("/web/")]

    def __enter__(self) -> WaybackStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                stub.log.append(self.path)
                status, headers, body = stub.answer(self.path)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def answer(self, target: str) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = urlsplit(target)
        if parts.path == "/cdx/search/cdx":
            return self._cdx(parse_qs(parts.query))
        if parts.path.startswith("/web/"):
            stamp, _, original = target[len("/web/") :].partition("/")
            for capture in self.captures:
                if capture.timestamp == stamp.removesuffix("id_") and unquote(capture.original) == unquote(original):
                    return self._memento(capture)
        return 404, [("Content-Type", "text/plain")], b"not in the stub's archive"

    def _cdx(self, query: dict[str, list[str]]) -> tuple[int, list[tuple[str, str]], bytes]:
        prefix = query["url"][0]
        wanted = [
            c
            for c in sorted(self.captures, key=lambda c: (c.urlkey, c.timestamp))
            if c.original.split("://", 1)[-1].startswith(prefix)
            and c.timestamp >= query.get("from", ["0"])[0].ljust(14, "0")
            and c.timestamp <= query.get("to", ["9"])[0].ljust(14, "9")
            and all(f"statuscode:{c.status}" == f for f in query.get("filter", []))
        ]
        start = int(query.get("resumeKey", ["0"])[0])
        limit = min(int(query.get("limit", ["1000"])[0]), self.page_size)
        lines = [c.cdx_line() for c in wanted[start : start + limit]]
        if start + limit < len(wanted) and query.get("showResumeKey") == ["true"]:
            lines += ["", str(start + limit)]
        return 200, [("Content-Type", "text/plain")], ("\n".join(lines) + "\n").encode() if lines else b""

    def _memento(self, capture: StubCapture) -> tuple[int, list[tuple[str, str]], bytes]:
        moment = datetime.strptime(capture.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        link = f'<{capture.original}>; rel="original", <{WAYBACK}/web/timemap/link/{capture.original}>; rel="timemap"'
        headers = [
            ("Content-Type", f"{capture.mimetype}; charset=utf-8"),
            ("Memento-Datetime", format_datetime(moment, usegmt=True)),
            ("Link", link),
            ("X-Archive-Orig-Content-Type", f"{capture.mimetype}; charset=utf-8"),
            ("X-Archive-Orig-Date", format_datetime(moment, usegmt=True)),
            ("X-Archive-Orig-Server", "Apache"),
            *capture.headers,
        ]
        return capture.status, headers, capture.body


def render_old_article(nid: int, title: str, published: str, paragraphs: list[str], image: str, credit: str) -> str:
    """A pre-2023 article page (JSON-LD, Open Graph, a "Bild (Bildlizenz/Fotograf/Grafiker):" credit)."""
    url = f"https://www.dortmund.de/de/leben_in_dortmund/nachrichtenportal/nachricht.jsp?nid={nid}"
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title, "datePublished": published}
    ld["image"] = image
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{html.escape(title)} - Stadtportal dortmund.de</title>
<meta property="og:type" content="article"><meta property="og:title" content="{html.escape(title)}">
<link rel="canonical" href="{html.escape(url)}">
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script></head>
<body><div id="navigation"><a href="/de/index.html">Startseite</a></div>
<div id="content"><h1>{html.escape(title)}</h1>
<div class="bild"><img src="{html.escape(image)}" alt=""><p class="bildnachweis">Bild (Bildlizenz/Fotograf/Grafiker): {html.escape(credit)}</p></div>
{body}</div>
<div id="footer">Stadt Dortmund</div></body></html>
"""
