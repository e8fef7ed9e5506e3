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


def warc_date(captured_at: str) -> str:
    """'2026-11-25T14:12:39+00:00' → '2026-11-25T14:12:39Z' (any offset is converted to UTC)."""
    moment = datetime.fromisoformat(captured_at.replace("Z", "+00:00")).astimezone(UTC)
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds").replace("+00:00", "Z")


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
