"""Replay and Memento (RFC 7089): each capture served from the WARC as it was received.

``with_replay(app, db_path, warc_dir)`` wraps the reader's ASGI app (``newsroom-archive serve``
does) and answers, under ``/newsroom/-/``, the same URL shapes as pywb:

- ``timemap/link/<URL>``: every capture of an article URL as ``application/link-format``;
- ``timegate/<URL>``: a redirect to the capture nearest the ``Accept-Datetime`` (the newest without);
- ``memento/<14 digits>/<URL>``: the capture in a page with a banner naming its time and source;
- ``memento/<14 digits>id_/<URL>``: the body exactly as the server sent it (encodings undone).

Every replayed body is sandboxed (``Content-Security-Policy: sandbox``, no script, no request
that leaves the archive). A 304 re-check is a memento too: it shows the last full capture of the
version it confirmed, at its own time. Everything else goes to the wrapped app.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from newsroom_scraper.evidence.warc import TooLargeToReplay, read_response_at
from newsroom_scraper.items import WarcLocation, memento_timestamp
from newsroom_scraper.store import Archive

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/newsroom/-/"
RAW = "id_"  # pywb's "identity" modifier: the body as archived, no banner
# What a replayed body may do: nothing that runs or leaves the archive (images and styles of
# the archive's own origin, which it does not serve, stay harmless 404s).
SANDBOX = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src data:"
BANNER_POLICY = "default-src 'none'; frame-src 'self'; style-src 'unsafe-inline'"
SOURCES = {
    "crawl": "Crawl dieses Archivs",
    "import": "Import (WARC eines anderen Werkzeugs)",
    "wayback": "Wayback Machine",
}


@dataclass
class Response:
    """What one replay route answers."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def with_replay(app: ASGIApp, db_path: str | Path, warc_dir: str | Path) -> ASGIApp:
    """``app`` with the replay and Memento routes in front of it."""
    replay = Replay(Path(db_path), Path(warc_dir))

    async def routed(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(PREFIX) or not path[len(PREFIX) :].startswith(Replay.ROUTES):
            await app(scope, receive, send)
            return
        response = await asyncio.to_thread(replay.answer, scope)
        head = [(b"content-length", str(len(response.body)).encode())]
        head += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        await send({"type": "http.response.start", "status": response.status, "headers": head})
        await send({"type": "http.response.body", "body": response.body if scope["method"] != "HEAD" else b""})

    return routed


class Replay:
    """The routes' answers, read from the archive (read-only) and the WARC folder."""

    ROUTES = ("timemap/", "timegate/", "memento/")

    def __init__(self, db_path: Path, warc_dir: Path) -> None:
        self.db_path = db_path
        self.warc_dir = warc_dir

    def answer(self, scope: Scope) -> Response:
        """The response to a GET or HEAD of one replay route."""
        if scope["method"] not in ("GET", "HEAD"):
            return _text(405, "Nur GET und HEAD.\n", [("Allow", "GET, HEAD")])
        # The raw path: an archived URL keeps its percent-escapes ("stra%C3%9Fe"), as captured.
        path = scope.get("raw_path", b"").decode("latin-1") or quote(scope["path"], safe="/:@!$&'()*+,;=~")
        route, _, rest = path[len(PREFIX) :].partition("/")
        query = scope.get("query_string", b"").decode("latin-1")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        base = _base(scope, headers)
        if route == "timemap":
            kind, _, url = rest.partition("/")
            return self.timemap(_original(url, query), base) if kind == "link" else _text(404, "Unbekannte TimeMap.\n")
        if route == "timegate":
            return self.timegate(_original(rest, query), headers.get("accept-datetime"), base)
        stamp, _, url = rest.partition("/")
        return self.memento(stamp, _original(url, query), base)

    def timemap(self, url: str, base: str) -> Response:
        """RFC 7089 §5: the original, the TimeGate, itself and every memento, in link format."""
        mementos = self._mementos(url)
        if not mementos:
            return _text(404, f"Keine Erfassung von {url} im Archiv.\n")
        links = [
            f'<{url}>; rel="original"',
            f'<{base}timegate/{url}>; rel="timegate"',
            f'<{base}timemap/link/{url}>; rel="self"; type="application/link-format"; '
            f'from="{_http_date(mementos[0]["captured_at"])}"; until="{_http_date(mementos[-1]["captured_at"])}"',
        ]
        for number, memento in enumerate(mementos):
            rel = "memento"
            if number == 0:
                rel = "first memento" if len(mementos) > 1 else "first last memento"
            elif number == len(mementos) - 1:
                rel = "last memento"
            links.append(
                f'<{_memento_url(base, memento, url)}>; rel="{rel}"; datetime="{_http_date(memento["captured_at"])}"'
            )
        body = (",\n".join(links) + "\n").encode()
        return Response(200, body, [("Content-Type", "application/link-format")])

    def timegate(self, url: str, accept_datetime: str | None, base: str) -> Response:
        """RFC 7089 §4.1: a 302 to the memento nearest ``Accept-Datetime`` (the newest without one)."""
        mementos = self._mementos(url)
        if not mementos:
            return _text(404, f"Keine Erfassung von {url} im Archiv.\n")
        if accept_datetime is None:
            chosen = mementos[-1]
        else:
            try:
                wanted = parsedate_to_datetime(accept_datetime)
            except (TypeError, ValueError):
                return _text(400, f"Accept-Datetime ist kein HTTP-Datum (RFC 1123): {accept_datetime!r}\n")
            if wanted.tzinfo is None:
                wanted = wanted.replace(tzinfo=dt.UTC)
            chosen = min(mementos, key=lambda m: (abs(_moment(m["captured_at"]) - wanted), -m["id"]))
        links = [
            f'<{url}>; rel="original"',
            f'<{base}timemap/link/{url}>; rel="timemap"; type="application/link-format"',
        ]
        headers = [
            ("Location", _memento_url(base, chosen, url)),
            ("Vary", "accept-datetime"),
            ("Link", ", ".join(links)),
        ]
        return Response(302, b"", headers)

    def memento(self, stamp: str, url: str, base: str) -> Response:
        """One capture: the body as received (``…id_``) or in a page with a banner; another time
        than a capture's redirects to the nearest capture."""
        raw = stamp.endswith(RAW)
        digits = stamp.removesuffix(RAW)
        if not digits.isascii() or not digits.isdigit() or not 4 <= len(digits) <= 20:
            return _text(404, f"Kein Zeitstempel: {stamp!r}\n")
        mementos = self._mementos(url)
        if not mementos:
            return _text(404, f"Keine Erfassung von {url} im Archiv.\n")
        exact = [m for m in mementos if memento_timestamp(m["captured_at"]) == digits]
        if not exact:
            try:  # a shorter stamp means its start ("2024" → 1 January 2024), as in pywb
                wanted = dt.datetime.strptime(digits[:14] + "00000101000000"[len(digits) :], "%Y%m%d%H%M%S")
            except ValueError:
                return _text(404, f"Kein gültiger Zeitstempel: {stamp!r}\n")
            wanted = wanted.replace(tzinfo=dt.UTC)
            nearest = min(mementos, key=lambda m: (abs(_moment(m["captured_at"]) - wanted), -m["id"]))
            return Response(302, b"", [("Location", _memento_url(base, nearest, url, raw=raw))])
        memento = exact[-1]
        links = ", ".join(
            [
                f'<{url}>; rel="original"',
                f'<{base}timegate/{url}>; rel="timegate"',
                f'<{base}timemap/link/{url}>; rel="timemap"; type="application/link-format"',
            ]
        )
        headers = [("Memento-Datetime", _http_date(memento["captured_at"])), ("Link", links)]
        if not raw:
            page = _banner_page(memento, url, base)
            return Response(
                200,
                page,
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Security-Policy", BANNER_POLICY), *headers],
            )
        location = WarcLocation(
            memento["warc_file"], memento["warc_offset"], memento["warc_length"] or 0, memento["record_id"], None
        )
        try:
            archived = read_response_at(self.warc_dir, location)
        except FileNotFoundError:
            return _text(404, f"Die WARC-Datei {memento['warc_file']} liegt nicht im WARC-Ordner dieses Archivs.\n")
        except TooLargeToReplay as error:
            return _text(413, f"Nicht wiedergegeben: {error}.\n")
        headers += [
            ("Content-Type", archived.content_type),
            ("Content-Security-Policy", SANDBOX),
            ("X-Content-Type-Options", "nosniff"),
        ]
        return Response(200, archived.body, headers)

    def _mementos(self, url: str) -> list[dict[str, Any]]:
        if not self.db_path.is_file():
            return []
        with Archive(self.db_path, read_only=True) as archive:
            mementos = archive.mementos(url)
        # Captures recorded to the same second share a Memento address: the last one answers it.
        by_stamp = {memento_timestamp(m["captured_at"]): m for m in mementos}
        return list(by_stamp.values())


def _banner_page(memento: dict[str, Any], url: str, base: str) -> bytes:
    """The capture in a sandboxed frame under a banner: when, from where, which version, what else."""
    when = _moment(memento["captured_at"]).strftime("%d.%m.%Y, %H:%M:%S UTC")
    source = SOURCES.get(memento["source"], memento["source"])
    if memento["source_uri"]:
        source += f' (<a href="{html.escape(memento["source_uri"])}">Quelle</a>)'
    note = ""
    if memento["status"] == 304:
        note = " Der Server bestätigte an diesem Tag unverändert (HTTP 304) die hier gezeigte frühere Erfassung."
    version = ""
    if memento["version_id"] is not None:
        version = f' · <a href="/newsroom/article_versions/{memento["version_id"]}">Fassung {memento["version"]}</a>'
    raw = html.escape(_memento_url(base, memento, url, raw=True))
    page = f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Erfassung vom {when} – Newsroom-Archiv</title>
<style>body{{margin:0;font-family:sans-serif}}header{{background:#222;color:#fff;padding:.5em 1em}}
header a{{color:#fff}}iframe{{border:0;width:100%;height:calc(100vh - 4em)}}</style></head>
<body><header role="banner"><strong>Archivierte Erfassung</strong> vom {when} · {source}{version}<br>
Original: <a href="{html.escape(url)}">{html.escape(url)}</a> · <a href="{html.escape(base)}timemap/link/{html.escape(url)}">alle Erfassungen (TimeMap)</a> ·
<a href="{raw}">nur die archivierte Seite</a>.{note}</header>
<main><iframe sandbox src="{raw}" title="Die archivierte Seite, wie sie empfangen wurde"></iframe></main></body></html>
"""
    return page.encode()


def _memento_url(base: str, memento: dict[str, Any], url: str, raw: bool = False) -> str:
    """A memento's address under the URL it was asked for (the article's, whichever URL fetched it)."""
    return f"{base}memento/{memento_timestamp(memento['captured_at'])}{RAW if raw else ''}/{url}"


def _original(path_url: str, query: str) -> str:
    """The archived URL from a route's path: a client or proxy may have merged ``//`` into ``/``."""
    for scheme in ("https:/", "http:/"):
        if path_url.startswith(scheme) and not path_url.startswith(scheme + "/"):
            path_url = scheme + "/" + path_url[len(scheme) :]
    return f"{path_url}?{query}" if query else path_url


def _base(scope: Scope, headers: dict[str, str]) -> str:
    host = headers.get("host") or "localhost"
    return f"{scope.get('scheme', 'http')}://{host}{quote(PREFIX)}"


def _moment(captured_at: str) -> dt.datetime:
    return dt.datetime.fromisoformat(captured_at.replace("Z", "+00:00")).astimezone(dt.UTC)


def _http_date(captured_at: str) -> str:
    return format_datetime(_moment(captured_at).replace(microsecond=0), usegmt=True)


def _text(status: int, message: str, extra: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, message.encode(), [("Content-Type", "text/plain; charset=utf-8"), *(extra or [])])
