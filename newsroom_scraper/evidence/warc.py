"""WARC: the one module that writes and reads web archive files (warcio, cdxj-indexer).

The crawl hands every HTTP exchange to a ``WarcWriter`` (through ``warc_capture.py``, Scrapy
machinery): a ``request`` and a ``response`` record per exchange, WARC 1.1, each record its own
gzip member, files rotated by size and named ``<prefix>-<UTC timestamp>-<serial>.warc.gz``, each
opening with a ``warcinfo`` record. A 304 answer to a conditional re-check is written as a
``metadata`` record (``application/http; msgtype=response``) rather than a response, so a replay
index built by ``write_index`` (responses, revisits and resources only) never serves an empty 304
in place of the last full capture. ``iter_captures`` reads the responses back from any
``.warc``, ``.warc.gz`` or ``.wacz`` under a folder, whatever tool wrote them.
docs/archival.md describes the files, the records and the index.
"""

from __future__ import annotations

import io
import itertools
import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any, NoReturn
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import BUFF_SIZE
from warcio.warcwriter import WARCWriter

from newsroom_scraper.items import WarcLocation

WARC_VERSION = "1.1"
NOT_MODIFIED_TYPE = "application/http; msgtype=response"  # the 304 metadata records
SOURCE_HEADER = "WARC-Source-URI"  # where a record was copied from (the Wayback memento URL)
ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".wacz")
INDEX_NAME = "index.cdxj"

Headers = list[tuple[str, str]]


@dataclass
class Exchange:
    """One HTTP exchange as it went over the wire, ready to be written."""

    url: str
    method: str
    request_headers: Headers
    request_body: bytes
    status: int
    response_headers: Headers
    body: bytes  # as received: still content-encoded, never chunked
    captured_at: str  # ISO 8601 UTC, to the second: becomes WARC-Date
    protocol: str = "HTTP/1.1"


@dataclass
class WarcCapture:
    """An HTTP response read back from a WARC (or a 304 noted as metadata)."""

    url: str
    captured_at: str
    status: int
    headers: Headers
    location: WarcLocation
    body: bytes = b""  # decoded: de-chunked and content-decoded
    source_uri: str | None = None
    by_us: bool = False  # the file's warcinfo names newsroom-archive as its software
    order: tuple[int, int] = (0, 0)  # file number, offset: the order within one capture time

    def header(self, name: str) -> str | None:
        """The first value of a response header, case-insensitively."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


@dataclass
class WarcWriter:
    """Writes exchanges into rotating WARC 1.1 files in ``folder``.

    A new file starts when the current one reaches ``max_size`` bytes; names are
    ``<prefix>-<YYYYmmddHHMMSS>-<serial, 5 digits>.warc.gz`` (timestamp of the writer's start,
    serial from 00000). Each file opens with a ``warcinfo`` record made of ``info``.
    ``gzip_level``: zlib's level for each record's gzip member. warcio's own is 9, which took
    7.0 ms for the real 419 KB page; 6 (gzip's default) takes 3.1 ms for 0.9 % more bytes.
    """

    folder: Path
    info: dict[str, str] = field(default_factory=dict)
    prefix: str = "newsroom"
    max_size: int = 1_000_000_000
    gzip_level: int = 6
    started: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y%m%d%H%M%S"))
    files: list[Path] = field(default_factory=list)
    _handle: IO[bytes] | None = None
    _writer: WARCWriter | None = None
    _serial: int = 0

    def write_exchange(self, exchange: Exchange) -> WarcLocation:
        """A response (or, for a 304, a metadata) record and its request record; where the first went."""
        writer = self._current()
        date = warc_date(exchange.captured_at)
        status_line = f"{exchange.status} {_reason(exchange.status)}"
        http = StatusAndHeaders(status_line, _unchunked(exchange.response_headers), protocol=exchange.protocol)
        if exchange.status == 304:
            block = http.to_ascii_bytes()
            record = writer.create_warc_record(
                exchange.url,
                "metadata",
                payload=io.BytesIO(block),
                length=len(block),
                warc_content_type=NOT_MODIFIED_TYPE,
                warc_headers_dict={"WARC-Date": date},
            )
        else:
            record = writer.create_warc_record(
                exchange.url,
                "response",
                payload=io.BytesIO(exchange.body),
                length=len(exchange.body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": date},
            )
        location = self._write(record)
        parts = urlsplit(exchange.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = list(exchange.request_headers)
        # What the HTTP client adds on the wire (Scrapy sets them below the middlewares)
        if not any(name.lower() == "host" for name, _ in request_headers):
            request_headers.insert(0, ("Host", parts.netloc))
        if exchange.request_body and not any(name.lower() == "content-length" for name, _ in request_headers):
            request_headers.append(("Content-Length", str(len(exchange.request_body))))
        request = writer.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(exchange.request_body),
            length=len(exchange.request_body),
            http_headers=StatusAndHeaders(
                f"{exchange.method} {target} {exchange.protocol}", request_headers, is_http_request=True
            ),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": location.record_id},
        )
        self._write(request)
        self._rotate_if_full()
        return location

    def write_response(
        self, url: str, captured_at: str, status: int, headers: Headers, body: bytes, source_uri: str
    ) -> WarcLocation:
        """A response record copied from elsewhere (no request record: we did not send it)."""
        writer = self._current()
        http = StatusAndHeaders(f"{status} {_reason(status)}", _unchunked(headers), protocol="HTTP/1.1")
        record = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": warc_date(captured_at), SOURCE_HEADER: source_uri},
        )
        location = self._write(record)
        self._rotate_if_full()
        return location

    def finish(self) -> list[Path]:
        """Close the current file and, when anything was written, index the folder (CDXJ); the files."""
        self.close()
        if self.files:
            write_index(self.folder)
        return list(self.files)

    def close(self) -> None:
        """Close the current file (the next write starts a new one)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            self._writer = None

    def _current(self) -> WARCWriter:
        if self._writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            while True:
                path = self.folder / f"{self.prefix}-{self.started}-{self._serial:05d}.warc.gz"
                self._serial += 1
                try:
                    self._handle = open(path, "xb")  # never overwrite another run's file
                    break
                except FileExistsError:
                    continue
            self.files.append(path)
            self._writer = _GzipMemberWriter(self._handle, self.gzip_level)
            info = {"software": "newsroom-archive (warcio)", "format": "WARC File Format 1.1", **self.info}
            info["conformsTo"] = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
            self._writer.write_record(self._writer.create_warcinfo_record(path.name, info))
        return self._writer

    def _write(self, record: Any) -> WarcLocation:
        assert self._handle is not None and self._writer is not None
        offset = self._handle.tell()
        self._writer.write_record(record)
        headers = record.rec_headers
        return WarcLocation(
            warc_file=self.files[-1].name,
            offset=offset,
            length=self._handle.tell() - offset,
            record_id=headers.get_header("WARC-Record-ID"),
            payload_digest=headers.get_header("WARC-Payload-Digest"),
        )

    def _rotate_if_full(self) -> None:
        if self._handle is not None and self._handle.tell() >= self.max_size:
            self.close()


class _GzipMemberWriter(WARCWriter):  # type: ignore[misc]  # warcio has no types
    """warcio's writer with each record its own gzip member, at a chosen zlib level."""

    def __init__(self, out: IO[bytes], level: int) -> None:
        super().__init__(out, gzip=False, warc_version=WARC_VERSION)
        self.level = level

    def write_record(self, record: Any, params: Any = None) -> None:
        self._write_warc_record(_GzipMember(self.out, self.level), record)


class _GzipMember:
    """A file-like that gzips what is written into one member, closed by ``flush()`` (warcio
    flushes once, at the end of each record: the same framing as its own GzippingWrapper)."""

    def __init__(self, out: IO[bytes], level: int) -> None:
        self.out = out
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)

    def write(self, data: bytes) -> None:
        self.out.write(self.compressor.compress(data))

    def flush(self) -> None:
        self.out.write(self.compressor.flush())
        self.out.flush()


def warc_date(captured_at: str) -> str:
    """'2026-11-25T14:12:39+00:00' → '2026-11-25T14:12:39Z' (any offset is converted to UTC)."""
    moment = datetime.fromisoformat(captured_at.replace("Z", "+00:00")).astimezone(UTC)
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds").replace("+00:00", "Z")


def iso_date(warc_date_value: str) -> str:
    """A WARC-Date as the archive's timestamps: UTC, to the second, with '+00:00'."""
    moment = datetime.fromisoformat(warc_date_value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.replace(microsecond=0).isoformat()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _unchunked(headers: Headers) -> Headers:
    """The body is stored de-chunked (as every WARC writer stores it), so the header that says
    otherwise is kept under another name: a reader would try to de-chunk it again."""
    return [
        ("X-Archive-Orig-Transfer-Encoding", value) if name.lower() == "transfer-encoding" else (name, value)
        for name, value in headers
    ]


# -- reading ---------------------------------------------------------------------------------

GZIP_MEMBER = b"\x1f\x8b\x08"  # a gzip member's magic and its method (deflate)
RECORD_START = b"WARC/"  # what a WARC record's first line starts with
_SCAN_BLOCK = 1 << 16  # bytes read at a time when looking for the next record's gzip member


def archive_files(folder: Path) -> list[Path]:
    """Every .warc, .warc.gz and .wacz under ``folder``, in name order (sub-folders included)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(ARCHIVE_SUFFIXES))


@dataclass(frozen=True)
class WarcPart:
    """A share of one file's records that can be read on its own (e.g. by another process).

    A ``.warc.gz`` file may be cut into byte ranges: a part holds the records whose gzip member
    starts in ``[start, end)``, where each bound is moved on to the next gzip member that opens a
    WARC record (``end`` None: to the end of the file). A part starting at 0 starts the file.
    """

    file: str  # relative to the folder: what an error names
    name: str  # what captures name (``WarcLocation.warc_file``): "x.wacz#archive/y.warc.gz" in a WACZ
    number: int  # the file's place in name order (a WACZ's members each count as a file)
    member: str | None = None  # the WARC inside a WACZ
    start: int = 0
    end: int | None = None


@dataclass
class WarcInfo:
    """A warcinfo record read in a part: whether the records after it in its file are ours."""

    by_us: bool


@dataclass
class FileEnd:
    """A part's reading ran on past its end (a damaged record, a file not gzipped record by record):
    its records are those of a reader of the whole file up to the file's end, the later parts hold none."""


WarcItem = WarcCapture | WarcInfo | FileEnd  # what reading a part gives, in order


def warc_parts(folder: Path, size: int | None = None) -> list[WarcPart]:
    """The parts of every file under ``folder``, in capture order (file order, then offset).

    ``size``: ``.warc.gz`` files larger than this are cut into parts of about this many bytes;
    a ``.warc`` file and a WACZ member are one part each (no gzip members to start from).
    """
    parts: list[WarcPart] = []
    number = itertools.count()
    for path in archive_files(folder):
        relative = path.relative_to(folder).as_posix()
        if path.suffix == ".wacz":
            try:
                with zipfile.ZipFile(path) as wacz:
                    members = sorted(n for n in wacz.namelist() if n.endswith((".warc", ".warc.gz")))
            except (zipfile.BadZipFile, OSError) as error:
                raise _cannot_read(relative, error) from error
            parts += [WarcPart(relative, f"{relative}#{m}", next(number), member=m) for m in members]
            continue
        total = path.stat().st_size
        step = size if size and path.name.endswith(".warc.gz") and total > size else total or 1
        starts = range(0, total or 1, step)
        serial = next(number)
        parts += [
            WarcPart(relative, relative, serial, start=s, end=s + step if s + step < total else None) for s in starts
        ]
    return parts


def iter_captures(
    folder: Path, wanted: Callable[[str], bool] = lambda url: True, part_size: int | None = None
) -> Iterator[WarcCapture]:
    """The responses (and 304 metadata records) under ``folder`` whose URL is ``wanted``.

    Bodies are read only for wanted records. Revisit records are skipped (their content is
    another record's). A damaged file raises ``WarcError`` naming it. ``part_size``: the files
    are read in parts of about that many bytes, as worker processes read them (``warc_parts``):
    the same captures.
    """
    # Records within one capture second are ordered by the file they are in (name order, a WACZ's
    # members each counting as a file of their own) and their place in it.
    joiner = Joiner()
    for part in warc_parts(folder, part_size):
        if joiner.wants(part):
            yield from joiner.captures(part, iter_part(folder, part, wanted))


def iter_part(folder: Path, part: WarcPart, wanted: Callable[[str], bool]) -> Iterator[WarcItem]:
    """The wanted captures of one part, its warcinfo records, and ``FileEnd`` when a reader of the
    whole file would read no further records (``Joiner`` joins the parts' items into that reading).

    A damaged file raises ``WarcError`` naming it.
    """
    try:
        with open(folder / part.file, "rb") as stream:
            if part.member is not None:
                with zipfile.ZipFile(stream) as wacz, wacz.open(part.member) as inner:
                    yield from _records(inner, part, wanted)
                return
            start = _next_member(stream, part.start) if part.start else 0
            stop = _next_member(stream, part.end) if part.end is not None else None
            if start is None or (stop is not None and start >= stop):
                return  # no record starts in this part
            stream.seek(start)
            yield from _records(_Aligned(stream), part, wanted, stop)
    # warcio raises AttributeError for a record head without the fields it expects (a damaged member)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, AttributeError, zlib.error, ArchiveLoadFailed) as error:
        raise _cannot_read(part.file, error) from error


class WarcError(Exception):
    """A WARC or WACZ file that cannot be read."""


def _cannot_read(relative: str, error: Exception) -> WarcError:
    return WarcError(f"{relative}: cannot read: {type(error).__name__}: {error}")


@dataclass
class Joiner:
    """Joins the items of a folder's parts, read apart and fed in order, into the captures of one
    reading of each whole file: sets ``WarcCapture.by_us`` (a record is ours when the last warcinfo
    before it in its file says so) and drops the parts after one that ran on to its file's end."""

    by_us: bool = False
    ended: str | None = None  # the file a part read to its end

    def wants(self, part: WarcPart) -> bool:
        """Whether ``part`` holds records of its file's reading (not after a part that ran on)."""
        return part.start == 0 or self.ended != part.file

    def captures(self, part: WarcPart, items: Iterable[WarcItem]) -> Iterator[WarcCapture]:
        """The captures among ``items`` (one part's, in order), each with its ``by_us``."""
        if part.start == 0:
            self.by_us, self.ended = False, None  # a file of its own
        if not self.wants(part):
            return
        for item in items:
            if isinstance(item, WarcInfo):
                self.by_us = item.by_us
            elif isinstance(item, FileEnd):
                self.ended = part.file
            else:
                item.by_us = self.by_us
                yield item


class _Aligned:
    """A file read from the middle in the blocks a reader from its start reads (warcio's 16 KB), so
    that warcio sees what it sees in one reading of the whole file: zlib gets the same bytes in the
    same pieces (what warcio makes of a damaged gzip member depends on them)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        """At most ``size`` bytes, and never across a block boundary of the file."""
        position = self.stream.tell()
        to_boundary = BUFF_SIZE - position % BUFF_SIZE
        return self.stream.read(to_boundary if size < 0 else min(size, to_boundary))

    def tell(self) -> int:
        """Where the next read starts in the file."""
        return self.stream.tell()


def _next_member(stream: IO[bytes], position: int) -> int | None:
    """The offset of the first gzip member at or after ``position`` that opens a WARC record, if any.

    A gzip magic inside compressed data is rare, and its bytes almost never inflate to "WARC/":
    each candidate is tried until one does.
    """
    while True:
        stream.seek(position)
        block = stream.read(_SCAN_BLOCK)
        at = block.find(GZIP_MEMBER)
        while at != -1:
            if _opens_record(stream, position + at):
                return position + at
            at = block.find(GZIP_MEMBER, at + 1)
        if len(block) < _SCAN_BLOCK:
            return None
        position += len(block) - len(GZIP_MEMBER) + 1  # a magic cut by the block's end is found next


def _opens_record(stream: IO[bytes], offset: int) -> bool:
    """Whether a gzip member starting at ``offset`` inflates to the start of a WARC record."""
    stream.seek(offset)
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        head = inflater.decompress(stream.read(1024), len(RECORD_START))
    except zlib.error:
        return False
    return head == RECORD_START


def _records(
    stream: IO[bytes] | _Aligned, part: WarcPart, wanted: Callable[[str], bool], stop: int | None = None
) -> Iterator[WarcItem]:
    """The records of ``stream`` from where it stands to the one that starts at ``stop`` (None: the end).

    When no record starts exactly there, a reader of the whole file would not start one there either:
    reading goes on to the file's end, then says so (``FileEnd``).
    """
    iterator = ArchiveIterator(stream)
    for record in iterator:
        if stop is not None and iterator.offset >= stop:  # where this record starts: read_to_end moves it
            if _landed(iterator, stop):
                return
            stop = None
            yield FileEnd()
        kind = record.rec_type
        headers = record.rec_headers
        if kind == "warcinfo":
            yield WarcInfo(b"software: newsroom-archive" in record.content_stream().read())
            continue
        url = headers.get_header("WARC-Target-URI") or ""
        is_304 = kind == "metadata" and (headers.get_header("Content-Type") or "").startswith(NOT_MODIFIED_TYPE)
        if not (kind == "response" or is_304) or not url.startswith(("http://", "https://")) or not wanted(url):
            continue
        if is_304:
            http = _parse_http_head(record.content_stream().read())
            body = b""
        else:
            http = record.http_headers
            if http is None:
                continue
            body = record.content_stream().read()
        offset = iterator.get_record_offset()
        iterator.read_to_end(record)
        location = WarcLocation(
            warc_file=part.name,
            offset=offset,
            length=iterator.get_record_length(),
            record_id=headers.get_header("WARC-Record-ID"),
            payload_digest=headers.get_header("WARC-Payload-Digest"),
        )
        yield WarcCapture(
            url=url,
            captured_at=iso_date(headers.get_header("WARC-Date") or _missing("WARC-Date")),
            status=int(http.get_statuscode() or 0),
            headers=list(http.headers),
            location=location,
            body=body,
            source_uri=headers.get_header(SOURCE_HEADER),
            order=(part.number, offset),
        )
    if stop is not None:  # the file ended (for warcio) before the record at ``stop``
        yield FileEnd()


def _missing(header: str) -> NoReturn:
    raise ValueError(f"a record without {header}")


def _landed(iterator: ArchiveIterator, stop: int) -> bool:
    """Whether ``iterator`` reached ``stop`` as a new gzip member with nothing read ahead: from there on,
    it reads what a new reader started at ``stop`` reads."""
    return iterator.offset == stop and iterator.reader.decompressor is not None and not iterator.next_line


def _parse_http_head(block: bytes) -> StatusAndHeaders:
    lines = block.decode("latin-1").split("\r\n")
    protocol, _, status_line = lines[0].partition(" ")
    headers = [tuple(line.split(": ", 1)) for line in lines[1:] if ": " in line]
    return StatusAndHeaders(status_line, headers, protocol=protocol)


def read_record_at(folder: Path, location: WarcLocation) -> bytes:
    """The decoded body of the response record at ``location`` (for replaying one capture)."""
    path, _, member = location.warc_file.partition("#")
    with open(folder / path, "rb") as stream:
        if member:
            with zipfile.ZipFile(stream) as wacz, wacz.open(member) as inner:
                inner.seek(location.offset)
                record = next(iter(ArchiveIterator(inner)))
                return bytes(record.content_stream().read())
        stream.seek(location.offset)
        record = next(iter(ArchiveIterator(stream)))
        return bytes(record.content_stream().read())


# -- the replay index ------------------------------------------------------------------------


def write_index(folder: Path) -> Path:
    """``index.cdxj`` beside the files: every response, revisit and resource, sorted (cdxj-indexer).

    The 304 metadata records stay out, so replay of an article URL always finds a full capture.
    WACZ files carry their own index and are left out. Written to a temporary name and renamed.
    """
    from cdxj_indexer.main import write_cdx_index

    inputs = [str(p) for p in archive_files(folder) if p.suffix != ".wacz"]
    target = folder / INDEX_NAME
    partial = folder / f".{INDEX_NAME}.partial"
    if inputs:
        write_cdx_index(
            str(partial),
            inputs,
            {"sort": True, "post_append": True, "dir_root": str(folder), "records": "response,revisit,resource"},
        )
    else:
        partial.write_text("")
    os.replace(partial, target)
    return target
