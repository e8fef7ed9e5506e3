"""The WARC vocabulary shared by writing and reading: constants, an exchange to write, a capture read back, dates."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus

from warcio.bufferedreaders import BufferedReader

from newsroom_scraper.items import WarcLocation
from newsroom_scraper.parser.page import MAX_PAGE_BYTES

WARC_VERSION = "1.1"
# A 304 answer is a ``metadata`` record of WARC fields (``NOT_MODIFIED_FIELDS``) that refers to the
# response it confirmed; archives written before issue 19 hold it as ``OLD_NOT_MODIFIED_TYPE``.
NOT_MODIFIED_FIELDS = "application/warc-fields"
OLD_NOT_MODIFIED_TYPE = "application/http; msgtype=response"
STATUS_LINE_FIELD = "http-status-line"  # "HTTP/1.1 304 Not Modified"
HEADER_FIELD_PREFIX = "http-header-"  # one field per response header, as warcinfo's http-header-user-agent
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
    captured_at: str  # ISO 8601 UTC, to the microsecond (WARC 1.1): becomes WARC-Date
    protocol: str = "HTTP/1.1"
    ip_address: str | None = None  # the server's address: WARC-IP-Address
    confirms: ConfirmedRecord | None = None  # for a 304: the response it confirmed (WARC-Refers-To)


@dataclass(frozen=True)
class ConfirmedRecord:
    """The response record a 304 answer confirmed: its WARC-Record-ID and WARC-Target-URI.

    (No WARC-Refers-To-Date: it must equal that record's WARC-Date, which the archive keeps only
    to the second.)
    """

    record_id: str
    url: str


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
    warc_type: str = "response"  # response, metadata (a 304), revisit
    refers_to: str | None = None  # a revisit's WARC-Refers-To (the record whose payload it repeats)
    refers_to_uri: str | None = None  # a revisit's WARC-Refers-To-Target-URI
    image: bool = False  # a 200 image response at a URL not wanted (a picture an article shows; no body kept)

    def header(self, name: str) -> str | None:
        """The first value of a response header, case-insensitively."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def warc_date(captured_at: str) -> str:
    """'2026-11-25T14:12:39.123456+00:00' → '2026-11-25T14:12:39.123456Z' (any offset is converted
    to UTC). As precise as the time given (WARC 1.1: as much precision as is accurately known): a
    time to the second (a Wayback capture's) stays one."""
    moment = datetime.fromisoformat(captured_at.replace("Z", "+00:00")).astimezone(UTC)
    precise = "." in captured_at.partition("T")[2]
    return moment.isoformat(timespec="microseconds" if precise else "seconds").replace("+00:00", "Z")


def not_modified_fields(status_line: str, headers: Headers) -> bytes:
    """The block of a 304's metadata record: its status line and each header as WARC fields."""
    lines = [f"{STATUS_LINE_FIELD}: {status_line}"]
    lines += [f"{HEADER_FIELD_PREFIX}{name}: {value}" for name, value in headers]
    return "".join(f"{line}\r\n" for line in lines).encode("utf-8")


def read_not_modified_fields(block: bytes) -> tuple[str, Headers] | None:
    """The status line and headers of a block written by ``not_modified_fields``; None for other
    WARC fields (another tool's metadata)."""
    status_line, headers = None, []
    for line in block.decode("utf-8", "replace").split("\r\n"):
        name, _, value = line.partition(": ")
        if name.lower() == STATUS_LINE_FIELD:
            status_line = value
        elif name.lower().startswith(HEADER_FIELD_PREFIX):
            headers.append((name[len(HEADER_FIELD_PREFIX) :], value))
    return (status_line, headers) if status_line else None


def iso_date(warc_date_value: str) -> str:
    """A WARC-Date as the archive's timestamps: UTC, to the second, with '+00:00'."""
    moment = datetime.fromisoformat(warc_date_value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.replace(microsecond=0).isoformat()


def payload_digests(headers: Headers, body: bytes) -> tuple[str, str | None]:
    """Hex SHA-256 of a stored HTTP body as received and of it content-decoded as warcio decodes it
    on reading (``warcio extract --payload``); the second None when it decodes to more than any page
    the parser takes (reading stops there too) or does not decode."""
    received = hashlib.sha256(body).hexdigest()
    encoding = next((v.strip().lower() for k, v in headers if k.lower() == "content-encoding"), None)
    if not encoding or encoding not in BufferedReader.get_supported_decompressors():
        return received, received if len(body) <= MAX_PAGE_BYTES else None
    try:
        decoded = BufferedReader(io.BytesIO(body), decomp_type=encoding).read(MAX_PAGE_BYTES + 1)
    except Exception:  # warcio's decoders raise what their libraries raise (zlib.error, brotli.error, …)
        return received, None
    return received, hashlib.sha256(decoded).hexdigest() if len(decoded) <= MAX_PAGE_BYTES else None


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def unchunked(headers: Headers) -> Headers:
    """The body is stored de-chunked (as every WARC writer stores it), so the header that says
    otherwise is kept under another name: a reader would try to de-chunk it again."""
    return [
        ("X-Archive-Orig-Transfer-Encoding", value) if name.lower() == "transfer-encoding" else (name, value)
        for name, value in headers
    ]


# -- reading ---------------------------------------------------------------------------------
