"""Reading WARC/WACZ of any tool: the captures under a folder, files cut into parts for worker processes, one record by its location."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import itertools
import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import BUFF_SIZE

from newsroom_scraper.evidence.warc.records import (
    ARCHIVE_SUFFIXES,
    NOT_MODIFIED_FIELDS,
    OLD_NOT_MODIFIED_TYPE,
    SOURCE_HEADER,
    WarcCapture,
    content_coding,
    iso_date,
    read_not_modified_fields,
)
from newsroom_scraper.items import WarcLocation
from newsroom_scraper.parser.page import MAX_PAGE_BYTES

GZIP_MEMBER = b"\x1f\x8b\x08"  # a gzip member's magic and its method (deflate)
RECORD_START = b"WARC/"  # what a WARC record's first line starts with
_SCAN_BLOCK = 1 << 16  # bytes read at a time when looking for the next record's gzip member


def archive_files(folder: Path) -> list[Path]:
    """Every .warc, .warc.gz and .wacz under ``folder`` (sub-folders included): the WARC files in
    name order, then the WACZ packages in name order.

    Packages last because a record read twice is located where it was read first, and a package
    is often a copy of WARC files that are there too (an export handed back, a WACZ of an import):
    the copy may be removed, the crawl's own file stays. Before, ``imports/x.wacz`` sorted before
    ``newsroom-….warc.gz`` and every capture rebuilt from the folder was located in the copy."""
    found = [p for p in folder.rglob("*") if p.is_file() and p.name.endswith(ARCHIVE_SUFFIXES)]
    return sorted(found, key=lambda path: (path.suffix == ".wacz", path))


@dataclass(frozen=True)
class WarcPart:
    """A share of one file's records that can be read on its own (e.g. by another process).

    A ``.warc.gz`` file may be cut into byte ranges: a part holds the records whose gzip member
    starts in ``[start, end)``, where each bound is moved on to the next gzip member that opens a
    WARC record (``end`` None: to the end of the file). A part starting at 0 starts the file.
    """

    file: str  # relative to the folder: what an error names
    name: str  # what captures name (``WarcLocation.warc_file``): "x.wacz#archive/y.warc.gz" in a WACZ
    number: int  # the file's place in archive_files' order (a WACZ's members each count as a file)
    member: str | None = None  # the WARC inside a WACZ
    start: int = 0
    end: int | None = None
    whole_gzip: bool = False  # one gzip member for the whole file: read through gzip, offsets uncompressed
    error: str | None = None  # the file cannot be read at all (a damaged WACZ): what reading it says
    size: int = 0  # the bytes of the file it spans (a WACZ member: compressed), for progress


@dataclass
class WarcInfo:
    """A warcinfo record read in a part: whether the records after it in its file are ours."""

    by_us: bool


@dataclass
class FileEnd:
    """A part's reading ran on past its end (a damaged record, a file not gzipped record by record):
    its records are those of a reader of the whole file up to the file's end, the later parts hold none."""


@dataclass
class Skipped:
    """A record that is no capture of a wanted page, and why (what reparse reports per file and kind)."""

    warc_type: str
    reason: str


@dataclass
class Damaged:
    """Damage that reading went on past, an error of its file that says where:

    - a record whose block ends before its Content-Length (warcio reads a damaged gzip member on
      quietly, the record cut short), or whose payload is not the one its SHA-256 digest names:
      not a capture (a cut page would be a junk version);
    - bytes of a ``.warc.gz`` that cannot be read (``warc_type`` None): reading goes on from the
      next gzip member that opens a record, so one bad byte does not lose the rest of the file.
    """

    warc_type: str | None
    message: str  # "<file>: record at byte <offset> (<url>): <what is wrong>; not taken", or the bytes


@dataclass
class FileError:
    """A file could not be read (on): its records before the damage were given, none after."""

    message: str  # "<file>: cannot read: <error>"


WarcItem = WarcCapture | WarcInfo | FileEnd | Skipped | Damaged | FileError  # what reading a part gives, in order


def warc_parts(folder: Path, size: int | None = None) -> list[WarcPart]:
    """The parts of every file under ``folder``, in capture order (file order, then offset).

    ``size``: ``.warc.gz`` files larger than this are cut into parts of about this many bytes;
    a ``.warc`` file, a WACZ member and a ``.warc.gz`` gzipped as a whole are one part each (no
    gzip members to start from). A file that cannot be opened is one part that says so (``error``).
    """
    parts: list[WarcPart] = []
    number = itertools.count()
    for path in archive_files(folder):
        relative = path.relative_to(folder).as_posix()
        if path.suffix == ".wacz":
            try:
                with zipfile.ZipFile(path) as wacz:
                    members = sorted(n for n in wacz.namelist() if n.endswith((".warc", ".warc.gz")))
                    sizes = {m: wacz.getinfo(m).compress_size for m in members}
            except (zipfile.BadZipFile, OSError) as error:
                parts.append(WarcPart(relative, relative, next(number), error=str(_cannot_read(relative, error))))
                continue
            parts += [WarcPart(relative, f"{relative}#{m}", next(number), member=m, size=sizes[m]) for m in members]
            continue
        try:
            with open(path, "rb") as stream:
                whole_gzip = path.name.endswith(".gz") and whole_file_gzip(stream)
        except OSError as error:
            parts.append(WarcPart(relative, relative, next(number), error=str(_cannot_read(relative, error))))
            continue
        total = path.stat().st_size
        if whole_gzip:
            parts.append(WarcPart(relative, relative, next(number), whole_gzip=True, size=total))
            continue
        step = size if size and path.name.endswith(".warc.gz") and total > size else total or 1
        starts = range(0, total or 1, step)
        serial = next(number)
        parts += [
            WarcPart(
                relative,
                relative,
                serial,
                start=s,
                end=s + step if s + step < total else None,
                size=min(step, total - s),
            )
            for s in starts
        ]
    return parts


def iter_captures(
    folder: Path, wanted: Callable[[str], bool] = lambda url: True, part_size: int | None = None
) -> Iterator[WarcCapture]:
    """The responses, 304 metadata records and revisits under ``folder`` whose URL is ``wanted``.

    Bodies are read only for wanted responses (a revisit's content is another record's). A
    damaged file raises ``WarcError`` naming it (after the captures read before the damage).
    ``part_size``: the files are read in parts of about that many bytes, as worker processes
    read them (``warc_parts``): the same captures.
    """
    # Records within one capture second are ordered by the file they are in (archive_files, a WACZ's
    # members each counting as a file of their own) and their place in it.
    joiner = Joiner()
    for part in warc_parts(folder, part_size):
        if joiner.wants(part):
            for item in joiner.captures(part, iter_part(folder, part, wanted)):
                if isinstance(item, FileError | Damaged):
                    raise WarcError(item.message)
                if isinstance(item, WarcCapture) and not item.image:
                    yield item


def iter_part(folder: Path, part: WarcPart, wanted: Callable[[str], bool]) -> Iterator[WarcItem]:
    """The wanted captures of one part, its warcinfo records, the records skipped (``Skipped``),
    and ``FileEnd`` when a reader of the whole file would read no further records (``Joiner``
    joins the parts' items into that reading). A damaged file ends with a ``FileError`` naming it.
    """
    if part.error is not None:
        yield FileError(part.error)
        return
    try:
        with open(folder / part.file, "rb") as stream:
            if part.member is not None:
                with zipfile.ZipFile(stream) as wacz, wacz.open(part.member) as inner:
                    size = wacz.getinfo(part.member).file_size
                    yield from _ended_at_damage(part, _records(inner, part, wanted, size=size))
                return
            if part.whole_gzip:  # valid, if slow to seek in: read as one stream (warcio would stop)
                with gzip.GzipFile(fileobj=stream) as inner:
                    yield from _ended_at_damage(part, _records(inner, part, wanted))
                return
            yield from _members(stream, part, wanted)
    except _READ_ERRORS as error:
        yield FileError(str(_cannot_read(part.file, error)))


# warcio raises AttributeError for a record head without the fields it expects (a damaged member)
_READ_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, AttributeError, zlib.error, ArchiveLoadFailed)


@dataclass
class _Stopped:
    """Reading stopped at damage: at the record starting at ``offset``, with ``reason`` (None: a
    ``Damaged`` record said it, and warcio's reading after it cannot be trusted); ``stop`` is where
    the part's reading was to end then (None: at the file's end)."""

    offset: int
    reason: str | None
    stop: int | None


def _ended_at_damage(part: WarcPart, items: Iterator[WarcItem | _Stopped]) -> Iterator[WarcItem]:
    """``items``, their reading's damage as the file's error (a stream with no gzip members to read on from)."""
    for item in items:
        if not isinstance(item, _Stopped):
            yield item
        elif item.reason is None:
            yield FileError(f"{part.file}: cannot read on after the damaged record at byte {item.offset}")
        else:
            yield FileError(f"{part.file}: cannot read: {item.reason}")


def _members(stream: IO[bytes], part: WarcPart, wanted: Callable[[str], bool]) -> Iterator[WarcItem]:
    """The items of a part of a file of gzip members, read on past damage from the next member
    that opens a record (``Damaged`` says which bytes were lost), as one reading of the whole file does."""
    start = _next_member(stream, part.start) if part.start else 0
    stop = _next_member(stream, part.end) if part.end is not None else None
    size = os.fstat(stream.fileno()).st_size
    while start is not None and (stop is None or start < stop):  # a record starts in this part
        stream.seek(start)
        stopped = None
        for item in _records(_Aligned(stream), part, wanted, stop, size=size):
            if isinstance(item, _Stopped):
                stopped = item
            else:
                yield item
        if stopped is None:
            return
        start, stop = _next_member(stream, stopped.offset + 1), stopped.stop
        if stopped.reason is None:  # a damaged record, said: on from the next record, if any
            continue
        if start is None:  # no record after the damage: the file's error says where reading ended
            yield FileError(f"{part.file}: cannot read: {stopped.reason}")
            return
        lost = f"{part.file}: bytes {stopped.offset}–{start} cannot be read ({_what_is_at(stream, stopped)})"
        yield Damaged(None, f"{lost}; read on from the record at byte {start}")


def _what_is_at(stream: IO[bytes], stopped: _Stopped) -> str | None:
    """Why reading stopped, said of the bytes where it did (warcio quotes them, binary and all)."""
    if not (stopped.reason or "").startswith("ArchiveLoadFailed: Invalid WARC record"):
        return stopped.reason
    stream.seek(stopped.offset)
    if stream.read(len(GZIP_MEMBER)) == GZIP_MEMBER:
        return "a gzip member that does not inflate to a WARC record"
    return "no WARC record or gzip member starts there"


class WarcError(Exception):
    """A WARC or WACZ file that cannot be read."""


def _cannot_read(relative: str, error: Exception) -> WarcError:
    return WarcError(f"{relative}: cannot read: {_said(error)}")


def _said(error: Exception) -> str:
    """An error as one printable line: warcio quotes a damaged record's first line, bytes and all."""
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in f"{type(error).__name__}: {error}")
    return text if len(text) <= 120 else text[:120] + f"… ({len(text)} characters)"


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

    def captures(
        self, part: WarcPart, items: Iterable[WarcItem]
    ) -> Iterator[WarcCapture | Skipped | Damaged | FileError]:
        """The captures among ``items`` (one part's, in order), each with its ``by_us``; the
        records skipped; the file's error (which ends the file's reading like ``FileEnd``)."""
        if part.start == 0:
            self.by_us, self.ended = False, None  # a file of its own
        if not self.wants(part):
            return
        for item in items:
            if isinstance(item, WarcInfo):
                self.by_us = item.by_us
            elif isinstance(item, FileEnd):
                self.ended = part.file
            elif isinstance(item, FileError):
                self.ended = part.file
                yield item
            elif isinstance(item, Skipped | Damaged):
                yield item
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
    stream: IO[bytes] | _Aligned | gzip.GzipFile,
    part: WarcPart,
    wanted: Callable[[str], bool],
    stop: int | None = None,
    size: int | None = None,
) -> Iterator[WarcItem | _Stopped]:
    """The records of ``stream`` from where it stands to the one that starts at ``stop`` (None: the end).

    When no record starts exactly there, a reader of the whole file would not start one there either:
    reading goes on to the file's end, then says so (``FileEnd``). Reading that fails, or ends before
    ``size`` (the stream's length: warcio stops quietly at a cut record), ends with ``_Stopped``.
    """
    iterator = ArchiveIterator(stream)
    reader = iterator.reader = _Inflating(iterator.fh, block_size=BUFF_SIZE)
    held: _Held | None = None  # the last record's item: given once its gzip member was read to its end
    try:
        for record in iterator:
            yield from _released(held, reader)
            if held is not None and held.broken(reader):  # its gzip member failed after the record was read
                yield _Stopped(held.offset, None, stop)
                return
            held = None
            if stop is not None and iterator.offset >= stop:  # where this record starts: read_to_end moves it
                if _landed(iterator, stop):
                    return
                stop = None
                yield FileEnd()
            member = reader.decompressor  # this record's (a new one for each gzip member)
            item = _record_item(iterator, record, part, wanted)
            url = record.rec_headers.get_header("WARC-Target-URI") or record.rec_type
            offset = iterator.get_record_offset()
            held = _Held(item, record.rec_type, _record_named((part.file, url), offset), offset, member)
            if held.broken(reader):  # warcio reads on from a member that failed: what it reads is not to be trusted
                yield from _released(held, reader)
                yield _Stopped(offset, None, stop)
                return
    except _READ_ERRORS as error:
        yield from _released(held, reader)
        yield _Stopped(iterator.offset, _said(error), stop)
        return
    yield from _released(held, reader)
    if size is not None and iterator.offset < size:  # warcio ends quietly at a cut or damaged record
        message = f"the records end at byte {iterator.offset} of {size}: a cut or damaged record follows"
        yield _Stopped(iterator.offset, message, stop)
        return
    if stop is not None:  # the file ended (for warcio) before the record at ``stop``
        yield FileEnd()


def _record_item(
    iterator: ArchiveIterator, record: ArcWarcRecord, part: WarcPart, wanted: Callable[[str], bool]
) -> WarcItem | None:
    """What one record is (None: a sound request record: its response is the capture), read to its end."""
    kind = record.rec_type
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI") or ""
    at = (part.file, url or kind)  # the record, named in what is wrong with it (with its offset)
    if kind == "warcinfo":
        info = WarcInfo(b"software: newsroom-archive" in record.content_stream().read())
        return _cut(iterator, record, at) or info
    if kind == "request":
        return _cut(iterator, record, at)
    skipped = _skip_reason(kind, url, wanted)
    image = skipped is not None and kind == "response" and _is_image(record.http_headers)
    if skipped is not None and not image:
        return _cut(iterator, record, at) or Skipped(kind, skipped)
    digests: tuple[str | None, str | None] = (None, None)  # a response's payload SHA-256s
    body = b""
    refers_to: tuple[str | None, str | None] = (None, None)
    if kind == "metadata":
        http = _not_modified(headers.get_header("Content-Type") or "", record.content_stream().read())
        if http is None:
            return _cut(iterator, record, at) or Skipped(kind, "not a 304 (another tool's metadata)")
    elif kind == "revisit":
        profile = (headers.get_header("WARC-Profile") or "").rsplit("/", 1)[-1]
        if profile not in REVISIT_PROFILES:
            return _cut(iterator, record, at) or Skipped(kind, f"revisit profile {profile or 'missing'}")
        http = record.http_headers or StatusAndHeaders(REVISIT_PROFILES[profile], [], protocol="HTTP/1.1")
        refers_to = (headers.get_header("WARC-Refers-To"), headers.get_header("WARC-Refers-To-Target-URI"))
    else:
        http = record.http_headers
        if http is None:
            return _cut(iterator, record, at) or Skipped(kind, "no HTTP response in it")
        body, digests = _payload(record)
    offset = iterator.get_record_offset()
    damaged = _cut(iterator, record, at) or _wrong_digest(kind, _record_named(at, offset), headers, digests[0])
    if damaged is not None:
        return damaged
    location = WarcLocation(
        warc_file=part.name,
        offset=offset,
        length=iterator.get_record_length(),
        record_id=headers.get_header("WARC-Record-ID"),
        payload_digest=headers.get_header("WARC-Payload-Digest"),
        payload_sha256=digests[0],
        decoded_sha256=digests[1],
        content_encoding=content_coding(http.headers) if digests[0] else None,
    )
    return WarcCapture(
        url=url,
        captured_at=iso_date(headers.get_header("WARC-Date") or _missing("WARC-Date")),
        status=int(http.get_statuscode() or 0),
        headers=list(http.headers),
        location=location,
        body=b"" if image else body,  # a picture is linked, never parsed
        source_uri=headers.get_header(SOURCE_HEADER),
        order=(part.number, offset),
        warc_type=kind,
        refers_to=refers_to[0],
        refers_to_uri=refers_to[1],
        image=image,
    )


class _Inflating(DecompressingBufferedReader):  # type: ignore[misc]  # warcio has no type hints
    """warcio's reader of gzip members, but a member that stops inflating once it began is noted:
    warcio prints zlib's error and reads on, and the record it cut or garbled (a gzip CRC that does
    not match: the bytes were given before the check) would pass unsaid."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failures: list[tuple[object, str]] = []  # (the member's decompressor, zlib's error)

    def _decompress(self, data: bytes) -> bytes:
        inflated: bytes
        if self.decompressor is None or not data or self.num_block_read == 0:
            inflated = super()._decompress(data)  # a member's first bytes: warcio decides whether it is gzip
            return inflated
        try:
            inflated = self.decompressor.decompress(data)
            return inflated
        except zlib.error as error:
            self.failures.append((self.decompressor, str(error)))
            return b""

    def failure_of(self, member: object) -> str | None:
        """zlib's error for the member read with ``member`` (its decompressor), if any."""
        return next((error for decompressor, error in self.failures if decompressor is member), None)


@dataclass
class _Held:
    """A record's item, held until its gzip member was read to its end (the next record's head)."""

    item: WarcItem | None
    kind: str
    named: str  # the record, as an error names it
    offset: int
    member: object  # its gzip member's decompressor (None: not gzipped)

    def broken(self, reader: _Inflating) -> bool:
        """Whether the record's gzip member failed to inflate."""
        return self.member is not None and reader.failure_of(self.member) is not None


def _released(held: _Held | None, reader: _Inflating) -> Iterator[WarcItem]:
    """A record's item once its gzip member was read to its end: ``Damaged`` when it did not inflate."""
    if held is None:
        return
    failure = reader.failure_of(held.member) if held.member is not None else None
    if failure is not None and not isinstance(held.item, Damaged):
        yield Damaged(held.kind, f"{held.named}: its gzip member does not inflate ({failure}); not taken")
    elif held.item is not None:
        yield held.item


def _payload(record: ArcWarcRecord) -> tuple[bytes, tuple[str | None, str | None]]:
    """A response's body, decoded as warcio decodes it (de-chunked, content-decoded), and the hex
    SHA-256 of its payload as stored (the bytes after the HTTP head: what the server sent) and of
    the body decoded (None when it is larger than any page the parser takes).

    The body is at most one byte more than any page the parser takes: a small record may inflate to
    gigabytes (a gzip bomb the crawl refused is still evidence in its WARC; issue 17, 4). The parser
    then says ``too-large`` of what was read, and memory stays bounded.
    """
    stored = record.raw_stream
    as_received = hashlib.sha256()
    kept: list[bytes] = []
    size = 0
    while block := stored.read(BUFF_SIZE):
        as_received.update(block)
        if size <= MAX_PAGE_BYTES:  # the rest is hashed, never decoded: no page is that large
            kept.append(block)
            size += len(block)
    stored_bytes = b"".join(kept)
    if record.content_stream() is stored:  # neither chunked nor content-encoded: the body is what was sent
        body = stored_bytes[: MAX_PAGE_BYTES + 1]
        return body, (as_received.hexdigest(), as_received.hexdigest() if size <= MAX_PAGE_BYTES else None)
    record.raw_stream = io.BytesIO(stored_bytes)  # warcio's own decoding, over the bytes read
    try:
        body = record.content_stream().read(MAX_PAGE_BYTES + 1)
    finally:
        record.raw_stream = stored  # read to its end: the iterator goes on from there
    decoded = hashlib.sha256(body).hexdigest() if len(body) <= MAX_PAGE_BYTES else None
    return body, (as_received.hexdigest(), decoded)


def _cut(iterator: ArchiveIterator, record: ArcWarcRecord, at: tuple[str, str]) -> Damaged | None:
    """The record read to its end; ``Damaged`` when its block ended before its Content-Length.

    warcio reads on quietly over a damaged gzip member: zlib stops at the damage and the record
    is cut short there, the next member read as if nothing happened. ``at``: its file and URL.
    """
    iterator.read_to_end(record)
    missing = getattr(record.raw_stream, "limit", 0)  # warcio's LimitReader: what Content-Length still owes
    if missing <= 0:
        return None
    where = _record_named(at, iterator.get_record_offset())
    return Damaged(record.rec_type, f"{where}: its block ends {missing} bytes before its Content-Length; not taken")


def _record_named(at: tuple[str, str], offset: int) -> str:
    file, url = at
    return f"{file}: record at byte {offset} ({url})"


def _wrong_digest(kind: str, at: str, headers: StatusAndHeaders, payload_sha256: str | None) -> Damaged | None:
    """``Damaged`` when a response's SHA-256 WARC-Payload-Digest is not its payload's.

    Only a SHA-256 digest is checked (its hash is taken anyway); a SHA-1 one, warcio's and most
    tools' default, is not: hashing every payload once more would cost reparse about 8 % (0.19 ms
    per 430 KB page on this machine), and ``warcio check`` does it on demand.
    """
    digest = headers.get_header("WARC-Payload-Digest") or ""
    algorithm, _, value = digest.partition(":")
    if algorithm.lower().replace("-", "") != "sha256" or payload_sha256 is None:
        return None
    if value.lower() in (payload_sha256, base64.b32encode(bytes.fromhex(payload_sha256)).decode().lower()):
        return None
    return Damaged(kind, f"{at}: its payload is not the one its WARC-Payload-Digest names ({digest}); not taken")


# The revisit profiles read (WARC 1.0 and 1.1 name them alike), and the status of one without HTTP headers
REVISIT_PROFILES = {"identical-payload-digest": "200 OK", "server-not-modified": "304 Not Modified"}


def _is_image(http: StatusAndHeaders | None) -> bool:
    """Whether an HTTP response is an image answered with a 200 (a picture an article shows)."""
    if http is None or http.get_statuscode() != "200":
        return False
    return (http.get_header("Content-Type") or "").strip().lower().startswith("image/")


def _skip_reason(kind: str, url: str, wanted: Callable[[str], bool]) -> str | None:
    """Why a record (not a request or warcinfo) is no capture to read, or None when it is one."""
    if kind not in ("response", "metadata", "revisit"):
        return "not a response"
    if not url.startswith(("http://", "https://")):
        return "not an HTTP(S) URL"
    if not wanted(url):
        return str(getattr(wanted, "skip_reason", "not an article URL"))
    return None


def whole_file_gzip(stream: IO[bytes]) -> bool:
    """Whether a gzipped WARC is one gzip member for the whole file rather than one per record
    (valid, but warcio stops after the first record; ``warcio recompress`` rewrites it): its first
    member goes on past its first record."""
    stream.seek(0)
    if stream.read(len(GZIP_MEMBER)) != GZIP_MEMBER:
        return False
    stream.seek(0)
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    head = b""
    while len(head) <= _FIRST_RECORD_LIMIT:
        block = inflater.unconsumed_tail or stream.read(BUFF_SIZE)
        if not block:
            return False
        try:
            head += inflater.decompress(block, _FIRST_RECORD_LIMIT)
        except zlib.error:
            return False  # damaged: the reader says so
        end = _first_record_end(head)
        if end == -1:
            return False  # no WARC: the reader says so
        if end is not None and len(head) > end:
            return True
        if inflater.eof:
            return False
    return False


_FIRST_RECORD_LIMIT = 2 * MAX_PAGE_BYTES  # a first record longer than this is read as the file is


def _first_record_end(head: bytes) -> int | None:
    """Where the WARC record at the start of ``head`` ends (its two CRLFs included), once its
    headers are there; -1 when ``head`` is no WARC record."""
    if not head.startswith(RECORD_START[: len(head)]):
        return -1
    headers_end = head.find(b"\r\n\r\n")
    if headers_end == -1:
        return None
    for line in head[:headers_end].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return headers_end + 4 + int(value) + 4
    return -1


def _missing(header: str) -> NoReturn:
    raise ValueError(f"a record without {header}")


def _landed(iterator: ArchiveIterator, stop: int) -> bool:
    """Whether ``iterator`` reached ``stop`` as a new gzip member with nothing read ahead: from there on,
    it reads what a new reader started at ``stop`` reads."""
    return iterator.offset == stop and iterator.reader.decompressor is not None and not iterator.next_line


def _not_modified(content_type: str, block: bytes) -> StatusAndHeaders | None:
    """The HTTP status and headers of a 304's metadata record, in the form of issue 19 (WARC
    fields) or the one before (the raw HTTP head); None for any other metadata record."""
    if content_type.startswith(OLD_NOT_MODIFIED_TYPE):
        lines = block.decode("latin-1").split("\r\n")
        protocol, _, status_line = lines[0].partition(" ")
        headers = [tuple(line.split(": ", 1)) for line in lines[1:] if ": " in line]
        return StatusAndHeaders(status_line, headers, protocol=protocol)
    if content_type.startswith(NOT_MODIFIED_FIELDS) and (fields := read_not_modified_fields(block)):
        protocol, _, status_line = fields[0].partition(" ")
        return StatusAndHeaders(status_line, fields[1], protocol=protocol)
    return None


def read_record_at(folder: Path, location: WarcLocation) -> bytes:
    """The decoded body of the response record at ``location`` (for replaying one capture)."""
    with _record_at(folder, location) as record:
        return bytes(record.content_stream().read())


@contextmanager
def _record_at(folder: Path, location: WarcLocation) -> Iterator[ArcWarcRecord]:
    """The record at ``location``: in a file, in a WACZ member, or in a file gzipped as a whole
    (whose offsets are in the uncompressed stream)."""
    path, _, member = location.warc_file.partition("#")
    with open(folder / path, "rb") as stream:
        if member:
            with zipfile.ZipFile(stream) as wacz, wacz.open(member) as inner:
                inner.seek(location.offset)
                yield next(iter(ArchiveIterator(inner)))
            return
        if whole_file_gzip(stream):
            stream.seek(0)
            with gzip.GzipFile(fileobj=stream) as whole:
                whole.seek(location.offset)
                yield next(iter(ArchiveIterator(whole)))
            return
        stream.seek(location.offset)
        yield next(iter(ArchiveIterator(stream)))


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
    with _record_at(folder, location) as record:
        return _bounded_response(record, limit)


def _bounded_response(record: ArcWarcRecord, limit: int) -> ArchivedResponse:
    body = record.content_stream().read(limit + 1)
    if len(body) > limit:
        raise TooLargeToReplay(f"the archived body is larger than {limit} bytes")
    headers = record.http_headers
    content_type = (headers.get_header("Content-Type") if headers else None) or "application/octet-stream"
    return ArchivedResponse(content_type=content_type, body=bytes(body))


# -- the replay index ------------------------------------------------------------------------
