"""WARC: the one package that writes and reads web archive files (warcio, cdxj-indexer).

The crawl hands every HTTP exchange to a ``WarcWriter`` (write.py; through
``crawl/warc_capture.py``, Scrapy machinery): a ``request`` and a ``response`` record per
exchange, WARC 1.1, each record its own gzip member, files rotated by size and named
``<prefix>-<UTC timestamp>-<serial>.warc.gz``, each opening with a ``warcinfo`` record. A 304
answer to a conditional re-check is written as a ``metadata`` record of WARC fields
(``application/warc-fields``, ``WARC-Refers-To`` the response it confirmed) rather than a
response, so no replay tool serves an empty 304 in place of the last full capture; at the end of
a run ``update_index`` (index.py) indexes only the run's new files and merges them in, so a
night's cost does not grow with the archive's age. ``iter_captures`` (read.py) reads the responses back from any ``.warc``, ``.warc.gz``
or ``.wacz`` under a folder, whatever tool wrote them; records.py holds what both share.
Importing the package makes warcio read brotli and zstd payloads (codecs.py).
docs/archival.md describes the files, the records and the index.
"""

from newsroom_scraper.evidence.warc import codecs
from newsroom_scraper.evidence.warc.index import update_index
from newsroom_scraper.evidence.warc.read import (
    ArchivedResponse,
    Damaged,
    FileEnd,
    FileError,
    Joiner,
    Skipped,
    TooLargeToReplay,
    WarcError,
    WarcInfo,
    WarcItem,
    WarcPart,
    archive_files,
    iter_captures,
    iter_part,
    read_record_at,
    read_response_at,
    warc_parts,
)
from newsroom_scraper.evidence.warc.records import (
    ARCHIVE_SUFFIXES,
    INDEX_NAME,
    NOT_MODIFIED_FIELDS,
    SOURCE_HEADER,
    WARC_VERSION,
    ConfirmedRecord,
    Exchange,
    Headers,
    WarcCapture,
    iso_date,
    warc_date,
)
from newsroom_scraper.evidence.warc.write import WarcIndexError, WarcWriter, write_index

__all__ = [
    "ARCHIVE_SUFFIXES",
    "ArchivedResponse",
    "INDEX_NAME",
    "NOT_MODIFIED_FIELDS",
    "SOURCE_HEADER",
    "Skipped",
    "WARC_VERSION",
    "ConfirmedRecord",
    "Exchange",
    "FileEnd",
    "Damaged",
    "FileError",
    "Headers",
    "Joiner",
    "TooLargeToReplay",
    "WarcCapture",
    "WarcError",
    "WarcInfo",
    "WarcIndexError",
    "WarcItem",
    "WarcPart",
    "WarcWriter",
    "archive_files",
    "codecs",
    "iso_date",
    "iter_captures",
    "iter_part",
    "read_record_at",
    "read_response_at",
    "warc_date",
    "update_index",
    "warc_parts",
    "write_index",
]
