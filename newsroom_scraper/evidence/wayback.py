"""``newsroom-archive wayback``: history from the Wayback Machine, through EDGI's ``wayback`` library.

The CDX API lists the captures of the newsroom's article URLs (the pre-2023 ``nachricht.jsp?nid=``
scheme and today's, ``site.ARCHIVED_URL_PREFIXES``); each capture not yet held is downloaded in
``id_`` mode (the original bytes), written as a WARC response record (the capture time as
``WARC-Date``, the memento URL as ``WARC-Source-URI``) into ``<warc-dir>/wayback/``, and the
articles it touched are re-parsed from the WARC folder (``reparse``), so a Wayback capture is a
capture like any other. Resumable: a capture already in the archive or in the folder is never
fetched again. The library rate-limits (CDX searches 0.4/s, mementos as set) and backs off on 429.
``wayback_url`` points it at a mirror or a test stub instead of https://web.archive.org.
"""

from __future__ import annotations

import hashlib
import time
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from wayback import Mode, WaybackClient, WaybackSession

from newsroom_scraper import __version__, settings, site
from newsroom_scraper.evidence.reparse import ReparseReport, reparse
from newsroom_scraper.evidence.warc import WarcWriter, iter_captures
from newsroom_scraper.store import Archive, check_archive
from newsroom_scraper.store.lock import holding_write_lock

WAYBACK = "https://web.archive.org"
_DROPPED = {"content-encoding", "transfer-encoding", "content-length"}  # the body comes decoded
_CHUNK = 1 << 16  # bytes of the wire read at a time (a chunk of a bomb inflates to ~1000 times that)


@dataclass
class BackfillReport:
    listed: int = 0
    held: int = 0
    fetched: int = 0
    too_large: list[str] = field(default_factory=list)  # mementos not read past DOWNLOAD_MAXSIZE
    digests: dict[str, int] = field(default_factory=dict)  # DigestCheck value → mementos
    differing: list[str] = field(default_factory=list)  # mementos whose bytes are not what the CDX index says
    failed: list[str] = field(default_factory=list)
    reparsed: ReparseReport | None = None

    def lines(self) -> list[str]:
        lines = [
            f"Wayback: {self.listed} article captures listed, {self.held} already held, "
            f"{self.fetched} fetched, {len(self.too_large)} too large, {len(self.failed)} failed"
        ]
        if self.digests:
            lines.append("  CDX digest check: " + ", ".join(f"{n} {kind}" for kind, n in sorted(self.digests.items())))
        lines += [f"  digest differs: {reason}" for reason in self.differing[:10]]
        lines += [f"  too-large: {reason}" for reason in self.too_large[:10]]
        lines += [f"  failed: {reason}" for reason in self.failed[:10]]
        if self.reparsed is not None:
            lines += self.reparsed.lines()
        return lines


class TooLarge(Exception):
    """A body that decodes to more than the crawl's ``DOWNLOAD_MAXSIZE``: not read further."""


class _Bounded(requests.adapters.HTTPAdapter):
    """Reads every answer's body itself, decoded, and never more than ``limit`` bytes of it (a
    memento served as an HTTP gzip bomb inflated whole: 6,236 MB for 2 GiB; issue 17, 4): beyond
    it ``TooLarge``, which the library does not retry. With ``base``, what the library addresses
    to web.archive.org goes to another base URL (a mirror, a test stub) and the answer comes back
    under the URL the library asked for."""

    def __init__(self, limit: int, base: str | None = None) -> None:
        super().__init__()
        self.limit = limit
        self.base = base.rstrip("/") if base else None

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        asked = request.url or ""
        if self.base:
            request.url = self.base + asked[len(WAYBACK) :]
        kwargs["stream"] = True  # the body is read below, bounded, instead of whole by requests
        try:
            response = super().send(request, *args, **kwargs)
        finally:
            request.url = asked
        response.url = asked
        try:
            body = bytearray()
            for chunk in response.iter_content(_CHUNK):
                body += chunk
                if len(body) > self.limit:
                    raise TooLarge(f"more than {self.limit} bytes decoded")
        finally:
            response.close()
        # What requests' own reading leaves behind: ``content`` answers from it, without reading.
        response._content = bytes(body)
        response._content_consumed = True
        return response


def wayback_client(
    wayback_url: str | None = None, search_per_second: float = 0.4, mementos_per_second: float = 1.0
) -> WaybackClient:
    """A client that says who it is, is polite (0 turns a limit off, for a local stub) and reads no
    body beyond the crawl's ``DOWNLOAD_MAXSIZE``."""
    session = WaybackSession(
        user_agent=f"newsroom-archive/{__version__} (+https://github.com/newsroom-archive/newsroom-archive)",
        search_calls_per_second=search_per_second,
        memento_calls_per_second=mementos_per_second,
    )
    session.mount(WAYBACK + "/", _Bounded(settings.DOWNLOAD_MAXSIZE, wayback_url))
    return WaybackClient(session)


@holding_write_lock
def backfill(
    db_path: str | Path,
    warc_dir: str | Path,
    *,
    from_date: date | None = None,
    to_date: date | None = None,
    client: WaybackClient | None = None,
    progress: Callable[[str], None] | None = None,
) -> BackfillReport:
    """List, fetch, write and re-parse the Wayback captures of the newsroom's articles, holding
    the archive's write lock throughout (no crawl writes meanwhile; ArchiveBusy when one does)."""
    check_archive(db_path)  # before the first request: a read-only or damaged archive stops here
    warc_dir = Path(warc_dir)
    say = progress or (lambda line: None)
    client = client or wayback_client()
    report = BackfillReport()
    held = _held(db_path, warc_dir)
    info = {"software": f"newsroom-archive/{__version__} (wayback backfill)"}
    writer = WarcWriter(warc_dir / "wayback", info=info, prefix="wayback")
    touched: set[str] = set()
    started = time.monotonic()
    with client:
        for prefix in site.ARCHIVED_URL_PREFIXES:
            for record in client.search(
                prefix, match_type="prefix", from_date=from_date, to_date=to_date, filter_field="statuscode:200"
            ):
                if not site.is_article_url(record.original):
                    continue
                report.listed += 1
                captured_at = record.timestamp.replace(microsecond=0).isoformat()
                if (record.original, captured_at) in held:
                    report.held += 1
                    continue
                try:
                    memento = client.get_memento(record, mode=Mode.original)
                except TooLarge as error:  # skipped, as the crawl skips such a page; tried again next time
                    report.too_large.append(f"{record.original} {captured_at}: {error}")
                    continue
                except Exception as error:  # one unplayable memento must not stop the backfill
                    report.failed.append(f"{record.original} {captured_at}: {type(error).__name__}: {error}")
                    continue
                with memento:
                    headers = [(k, v) for k, v in memento.headers.items() if k.lower() not in _DROPPED]
                    check = digest_check(record.digest, memento.content, memento.headers.get("Content-Encoding"))
                    report.digests[check] = report.digests.get(check, 0) + 1
                    if check == DigestCheck.DIFFERS:
                        report.differing.append(f"{record.original} {captured_at}: CDX sha1:{record.digest}")
                    evidence = {CDX_DIGEST_HEADER: f"sha1:{record.digest}", DIGEST_CHECK_HEADER: check}
                    writer.write_response(
                        record.original,
                        captured_at,
                        memento.status_code,
                        headers,
                        memento.content,
                        memento.memento_url,
                        more=evidence,
                    )
                held.add((record.original, captured_at))
                touched.add(_path(record.original))
                report.fetched += 1
                if report.fetched % 50 == 0:
                    rate = report.fetched / (time.monotonic() - started)
                    say(f"  fetched {report.fetched} of {report.listed} listed so far ({rate:.1f}/s)")
    writer.close()
    if touched:
        # every capture of the touched articles, on any host (the crawl's too), so their history is whole
        report.reparsed = reparse(warc_dir, db_path, wanted=PathIn(frozenset(touched)), progress=progress)
    return report


class DigestCheck(StrEnum):
    """What the bytes fetched say about the digest the Wayback Machine's CDX index lists."""

    MATCHES = "matches"  # SHA-1 of the body is the CDX digest: the bytes the Internet Archive holds
    DIFFERS = "differs"  # kept (it is what the memento served), flagged in the record and the report
    NOT_COMPARED = "not-compared"  # content-encoded: the CDX digest is over the encoded bytes, not seen here


CDX_DIGEST_HEADER = "WARC-Wayback-CDX-Digest"  # WARC 1.1 allows extension fields (§5)
DIGEST_CHECK_HEADER = "WARC-Wayback-Digest-Check"


def digest_check(cdx_digest: str, body: bytes, content_encoding: str | None) -> DigestCheck:
    """Compare the CDX index's SHA-1 (base32) with the body fetched (decoded)."""
    if content_encoding and content_encoding.strip().lower() not in ("", "identity"):
        return DigestCheck.NOT_COMPARED
    ours = b32encode(hashlib.sha1(body).digest()).decode()
    return DigestCheck.MATCHES if ours == cdx_digest.upper().removeprefix("SHA1:") else DigestCheck.DIFFERS


@dataclass(frozen=True)
class PathIn:
    """Whether a URL's path is one of ``paths``, on any host: a filter a spawned reparse worker can take."""

    paths: frozenset[str]
    skip_reason = "not an article the backfill touched"  # what reparse's report says of the others

    def __call__(self, url: str) -> bool:
        return _path(url) in self.paths


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _held(db_path: str | Path, warc_dir: Path) -> set[tuple[str, str]]:
    """(URL, capture time) of every Wayback capture already in the folder or the archive."""
    held = (
        {(c.url, c.captured_at) for c in iter_captures(warc_dir / "wayback")}
        if (warc_dir / "wayback").is_dir()
        else set()
    )
    if Path(db_path).exists():
        with Archive(db_path) as archive:
            held |= archive.capture_keys(source="wayback")
    return held
