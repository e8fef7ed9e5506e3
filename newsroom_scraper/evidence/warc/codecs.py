"""Every content encoding a WARC may hold, readable through warcio: gzip, deflate, br, zstd.

warcio decodes an HTTP payload by its ``Content-Encoding`` through ``BufferedReader.DECOMPRESSORS``
(``record.content_stream()``; cdxj-indexer reads every record that way). Its own brotli entry
sets an attribute on the decompressor, which the ``brotli`` package Scrapy installs does not allow
(``AttributeError: 'brotli.Decompressor' object has no attribute 'unused_data'``, warcio issue
#73): one brotli record stopped the CDXJ index and reparse. It has no zstd entry at all, so a zstd
page came out still encoded. ``register()`` (run on import of ``evidence.warc``) puts decoders
of both into that table, in this process only: ``warcio check`` run as its own command still
stops at a brotli record, which is why the crawl does not ask for br (settings.py).

Each decoder gives at most ``MAX_DECODED`` bytes per record and then fails, which warcio turns
into the end of the payload: a small record cannot inflate to gigabytes in memory.
"""

from __future__ import annotations

import sys

import brotli
from warcio.bufferedreaders import BufferedReader

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

from newsroom_scraper.parser.page import MAX_PAGE_BYTES

MAX_DECODED = 4 * MAX_PAGE_BYTES  # per record: the parser reads at most MAX_PAGE_BYTES + 1 of it


class DecodedTooLarge(ValueError):
    """A payload decodes to more than ``MAX_DECODED`` bytes."""


class BrotliDecoder:
    """A brotli stream decoder with the interface warcio's BufferedReader expects of zlib's."""

    unused_data = b""  # brotli ends with its stream: nothing of a next member follows in one payload

    def __init__(self) -> None:
        self.decoder = brotli.Decompressor()
        self.room = MAX_DECODED

    def decompress(self, data: bytes) -> bytes:
        """The bytes ``data`` decodes to (brotli.error on data that is not brotli)."""
        decoded: bytes = self.decoder.process(data, output_buffer_limit=self.room)
        return _spent(self, decoded, finished=self.decoder.is_finished())


class ZstdDecoder:
    """A zstd frame decoder with the interface warcio's BufferedReader expects of zlib's."""

    def __init__(self) -> None:
        self.decoder = zstd.ZstdDecompressor()
        self.room = MAX_DECODED

    @property
    def unused_data(self) -> bytes:
        """What follows the frame (warcio asks, to know whether to read on)."""
        return bytes(self.decoder.unused_data)

    def decompress(self, data: bytes) -> bytes:
        """The bytes ``data`` decodes to (zstd.ZstdError on data that is not zstd)."""
        if self.decoder.eof:
            return b""  # a second frame or trailing bytes: the payload is the first frame
        decoded: bytes = self.decoder.decompress(data, max_length=self.room)
        return _spent(self, decoded, finished=self.decoder.eof)


def _spent(decoder: BrotliDecoder | ZstdDecoder, decoded: bytes, finished: bool) -> bytes:
    decoder.room -= len(decoded)
    if decoder.room <= 0 and not finished:
        raise DecodedTooLarge(f"the payload decodes to more than {MAX_DECODED} bytes")
    return decoded


def register() -> None:
    """Make warcio (and cdxj-indexer, which reads through it) decode br and zstd payloads."""
    BufferedReader.DECOMPRESSORS["br"] = BrotliDecoder
    BufferedReader.DECOMPRESSORS["zstd"] = ZstdDecoder


register()
