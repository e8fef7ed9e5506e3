"""Content encodings the replica can answer in (``--encoding gzip|br|zstd``), as a compressing
server or proxy in front of the site would: only to a client whose ``Accept-Encoding`` takes it."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Callable

import brotli

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

# Levels a server uses for pages made on the fly (brotli's default, 11, is for static files)
ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda body: gzip.compress(body, compresslevel=6, mtime=0),
    "br": lambda body: brotli.compress(body, quality=5),
    "zstd": lambda body: zstd.compress(body, level=3),
}


def accepts(accept_encoding: str | None, coding: str) -> bool:
    """Whether an ``Accept-Encoding`` header takes ``coding`` (named, or ``*``, with a q above 0)."""
    for item in (accept_encoding or "").split(","):
        name, _, parameters = item.strip().partition(";")
        quality = parameters.strip().removeprefix("q=").strip() if parameters.strip().startswith("q=") else "1"
        if name.strip().lower() in (coding, "*"):
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


def encode(coding: str, body: bytes) -> bytes:
    """``body`` in ``coding`` (one of ``ENCODERS``)."""
    return ENCODERS[coding](body)
