"""Reading WARC/WACZ of any tool: the captures under a folder, files cut into parts for worker processes, one record by its location."""

from __future__ import annotations

import itertools
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import BUFF_SIZE

from newsroom_scraper.evidence.warc.records import (
    ARCHIVE_SUFFIXES,
    NOT_MODIFIED_TYPE,
    SOURCE_HEADER,
    WarcCapture,
    iso_date,
)
from newsroom_scraper.items import WarcLocation
from newsroom_scraper.parser.page import MAX_PAGE_BYTES

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
            # At most one byte more than any page the parser takes: a small record may inflate to
            # gigabytes (a gzip bomb the crawl refused is still evidence in its WARC; issue 17, 4).
            # The parser then says ``too-large`` of what was read, and memory stays bounded.
            body = record.content_stream().read(MAX_PAGE_BYTES + 1)
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


@dataclass(frozen=True)
class ArchivedResponse:
    """A response record's body as the server sent it (transfer and content encodings undone) and its type."""

    content_type: str
    body: bytes


class TooLargeToReplay(Exception):
    """A record whose body inflates past the cap (a compression bomb kept as evidence)."""


def read_response_at(folder: Path, location: WarcLocation, limit: int = MAX_PAGE_BYTES) -> ArchivedResponse:
    """The response record at ``location``: its Content-Type and body, read up to ``limit`` bytes.

    TooLargeToReplay when the body is longer (it is never inflated past ``limit`` + 1 bytes).
    """
    path, _, member = location.warc_file.partition("#")
    with open(folder / path, "rb") as stream:
        if member:
            with zipfile.ZipFile(stream) as wacz, wacz.open(member) as inner:
                inner.seek(location.offset)
                return _bounded_response(next(iter(ArchiveIterator(inner))), limit)
        stream.seek(location.offset)
        return _bounded_response(next(iter(ArchiveIterator(stream))), limit)


def _bounded_response(record: ArcWarcRecord, limit: int) -> ArchivedResponse:
    body = record.content_stream().read(limit + 1)
    if len(body) > limit:
        raise TooLargeToReplay(f"the archived body is larger than {limit} bytes")
    headers = record.http_headers
    content_type = (headers.get_header("Content-Type") if headers else None) or "application/octet-stream"
    return ArchivedResponse(content_type=content_type, body=bytes(body))


# -- the replay index ------------------------------------------------------------------------
