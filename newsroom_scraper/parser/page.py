"""Turn raw bytes into the parts of a page the layouts read, without parsing the whole page.

A real article page is ~430 KB, of which ~380 KB is the menu JSON in the header and the
article is ~18 KB inside <main>. So the page's encoding is chosen as a browser chooses it
(``declared_encoding``, through w3lib: byte order mark, HTTP header, <meta>), the page is cut
into its <head> and its <main> on the raw bytes (a fast ``find``), only those parts are decoded
(decoding the whole page first, as ``w3lib.encoding.html_to_unicode`` does, took 0.22 ms, a
quarter of a parse) and parsed with lxml, and the whole document is parsed only when a layout
asks for it (the generic fallback).
"""

from __future__ import annotations

import codecs
import json
import re
from functools import cached_property, lru_cache
from typing import Any

from lxml import etree
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

from newsroom_scraper.errors import ParseError, Reason

# A page without </head>: its head is taken to end here (the menu JSON starts beyond). With one,
# the head is all before it, however long (a canonical link after a 1 MB <title> is seen).
_HEAD_LIMIT = 65536
# Live pages are ~430 KB; twenty times that is no article page, whatever it holds (the crawl's
# DOWNLOAD_MAXSIZE stops such a body earlier; this bounds `newsroom-archive parse` and the API).
MAX_PAGE_BYTES = 8 * 1024 * 1024
# Declarations a page may get wrong: bytes that are valid UTF-8 (with non-ASCII in them) under a
# single-byte declaration are UTF-8; the other way round is practically impossible by chance.
# (w3lib's names: iso-8859-1, latin1 and ascii are all read as cp1252, as browsers do.)
_SINGLE_BYTE = {"cp1252", "iso8859-15"}
# The bytes windows-1252 leaves undefined: Python's cp1252 refuses them, the WHATWG Encoding
# Standard (what browsers follow) reads each as the C1 control of the same number.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_BOM = "byte order mark"
_HEADER = "HTTP header"
_META = "page's meta"


def _cp1252_as_whatwg(error: UnicodeError) -> tuple[str, int]:
    if isinstance(error, UnicodeDecodeError) and error.object[error.start] in _CP1252_UNDEFINED:
        return chr(error.object[error.start]), error.start + 1
    raise error


codecs.register_error("newsroom-whatwg-cp1252", _cp1252_as_whatwg)


def _errors(encoding: str) -> str:
    """The error handler of a strict decode: strict, but for the bytes cp1252 leaves undefined."""
    return "newsroom-whatwg-cp1252" if encoding == "cp1252" else "strict"


@lru_cache(maxsize=64)
def _text_encoding(name: str | None) -> str | None:
    """``name`` when it is a character encoding Page can read with (w3lib resolves any codec's
    name: "base64", "zlib", "idna" too), else None: the next declaration is then used."""
    if name is None:
        return None
    try:
        "<main".encode(name)
        b"<\xff\x00".decode(name, "replace")  # a head without </head> is decoded so (head_source)
        b"<".decode(name, _errors(name))
    except Exception:  # a codec may raise anything for what it was not made for
        return None
    return name


def declared_encoding(data: bytes, content_type: str | None = None) -> tuple[str, str, int]:
    """(the encoding, what declared it, the length of the byte order mark to skip).

    In the order of ``w3lib.encoding.html_to_unicode`` (which browsers follow): a byte order mark,
    the charset of the HTTP ``Content-Type`` header, the page's ``<meta>`` charset (or XML
    declaration) in its first 4 KB, else UTF-8; w3lib resolves the labels as the WHATWG Encoding
    Standard does (iso-8859-1 and ascii are windows-1252). Only the encoding is chosen here: the
    page is cut on its bytes first and only the parts the layouts read are decoded (``Page``).
    """
    bom_encoding, bom = read_bom(data)
    if bom_encoding is not None and bom is not None:
        return bom_encoding, _BOM, len(bom)
    encoding, source = _text_encoding(http_content_type_encoding(content_type)), _HEADER
    if encoding is None:
        encoding, source = _text_encoding(html_body_declared_encoding(data)), _META
    if encoding is None:
        return "utf-8", "default", 0
    if encoding in ("utf-16", "utf-32"):  # w3lib's choice for such a label without a byte order mark
        encoding += "-be"
    return encoding, source, 0


def _valid(data: bytes, encoding: str) -> bool:
    """Whether ``data`` decodes in ``encoding`` (as ``Page`` decodes: cp1252 as browsers read it)."""
    try:
        data.decode(encoding, _errors(encoding))
    except UnicodeError:
        return False
    return True


def _ascii_compatible(encoding: str) -> bool:
    """Whether ``<main`` written in ASCII can be found in the raw bytes of this encoding."""
    return b"<main" == "<main".encode(encoding)


def _find_tag(data: bytes | str, tag: str, start: int = 0, end: int | None = None, last: bool = False) -> int:
    """Position of ``tag`` (e.g. "</main>") in ``data``, any case; -1 when absent."""
    needle: Any = tag.encode() if isinstance(data, bytes) else tag
    stop = len(data) if end is None else end
    pos = data.rfind(needle, start, stop) if last else data.find(needle, start, stop)
    if pos >= 0:
        return pos
    # The site writes lower-case tags; other cases are rare enough for the slower regex.
    pattern: Any = re.compile(re.escape(needle), re.I)
    matches = list(pattern.finditer(data, start, stop)) if last else [pattern.search(data, start, stop)]
    found = matches[-1] if matches and matches[-1] else None
    return found.start() if found else -1


class Page:
    """One fetched page: its URL, its decoded head and main, and the whole tree on demand."""

    def __init__(self, html: bytes | str, url: str, content_type: str | None = None) -> None:
        """``content_type``: the HTTP ``Content-Type`` header the page came with, if known (its
        charset wins over the page's own declaration, as in a browser); unused for text."""
        self.url = url
        self.warnings: list[str] = []  # what was read but not trusted; the layouts add theirs
        if len(html) > MAX_PAGE_BYTES:
            raise ParseError(Reason.TOO_LARGE, f"{len(html)} bytes, more than {MAX_PAGE_BYTES}")
        if isinstance(html, bytes):
            if not html[:4096].strip() and not html.strip():
                raise ParseError(Reason.EMPTY, "the page has no content")
            encoding, source, bom = declared_encoding(html, content_type)
            if bom:
                html = html[bom:]
            if b"\x00" in html[:8192] and not encoding.startswith(("utf-16", "utf-32")):
                raise ParseError(Reason.BINARY, "the file holds binary data, not HTML")
            self.encoding = self._checked_encoding(html, encoding, source)
            if not _ascii_compatible(self.encoding):
                html = self._decode(html)
        elif not html.strip():
            raise ParseError(Reason.EMPTY, "the page has no content")
        else:
            self.encoding = "unicode"
        self._raw: bytes | str = html
        self._cut()

    def _checked_encoding(self, data: bytes, declared: str, source: str) -> str:
        """``declared``, unless a declaration is plainly wrong, which is then noted in ``warnings``:

        - a single-byte charset declared for bytes that are UTF-8: read as declared (as w3lib and
          a browser do) they would be stored as mojibake ("Ã¼" for "ü"), so they are read as UTF-8;
        - an HTTP header's charset the bytes are not valid in, where the page's meta names another
          that they are valid in (the Wayback Machine answers with a charset of its own guess):
          read as the meta says. Otherwise an invalid part of the page is ``undecodable``.

        Each check decodes the whole page, and only for pages that declare so.
        """
        if source not in (_HEADER, _META):
            return declared
        if declared in _SINGLE_BYTE and not data.isascii() and _valid(data, "utf-8"):
            self.warnings.append(f"charset: the {source} declares {declared}, but the page is UTF-8: read as UTF-8")
            return "utf-8"
        if source == _HEADER:
            meta = _text_encoding(html_body_declared_encoding(data))
            if meta is not None and meta != declared and _ascii_compatible(meta) and not _valid(data, declared):
                if _valid(data, meta):
                    self.warnings.append(
                        f"charset: the {source} declares {declared}, but the page is not valid {declared}: "
                        f"read as its meta declares, {meta}"
                    )
                    return meta
        return declared

    def _decode(self, data: bytes) -> str:
        try:
            return data.decode(self.encoding, _errors(self.encoding))
        except UnicodeError as error:
            where = f" at byte {error.start}" if isinstance(error, UnicodeDecodeError) else ""
            raise ParseError(Reason.UNDECODABLE, f"not valid {self.encoding}{where}") from None

    def _text(self, data: bytes | str) -> str:
        return data if isinstance(data, str) else self._decode(data)

    def _cut(self) -> None:
        raw = self._raw
        head_end = _find_tag(raw, "</head>")  # found within a few KB on real pages: the search stops there
        main_end = _find_tag(raw, "</main>", last=True)
        # The last <main before the last </main> opens it: the menu JSON earlier in the page
        # can never be mistaken for the article.
        main_start = _find_tag(raw, "<main", 0, main_end if main_end >= 0 else None, last=True)
        self._head_end = head_end
        self.has_main = main_start >= 0
        self.main_complete = main_end > main_start >= 0
        self.main_source = self._text(raw[main_start : main_end + len("</main>")]) if self.main_complete else ""
        tail = raw[-2048:]
        self.complete = _find_tag(tail, "</html>") >= 0 or _find_tag(tail, "</body>") >= 0
        start = raw[:4096]
        self.is_html = any(_find_tag(start, tag) >= 0 for tag in ("<html", "<head", "<body", "<!doctype"))

    @cached_property
    def head_source(self) -> str:
        """The page up to </head>, decoded (only when a layout asks: truncation is found first)."""
        if self._head_end >= 0:
            return self._text(self._raw[: self._head_end])
        cut = self._raw[:_HEAD_LIMIT]  # no </head>: the cut may split a character
        return cut if isinstance(cut, str) else cut.decode(self.encoding, errors="replace")

    @cached_property
    def head(self) -> etree._Element:
        """The <head> as a tree (a few KB)."""
        return _parse(self.head_source or "<head></head>", fragment=False)

    @cached_property
    def main(self) -> etree._Element | None:
        """The <main> element as a tree, parsed alone; None when the page has no complete <main>."""
        if not self.main_complete:
            return None
        return _parse(self.main_source, fragment=True)

    @cached_property
    def source(self) -> str:
        """The whole page decoded: for layouts that need all of it (the generic fallback)."""
        return self._text(self._raw)

    @cached_property
    def document(self) -> etree._Element:
        """The whole page as a tree: slow on real pages, for layouts that need it."""
        return _parse(self.source, fragment=False)

    @staticmethod
    def _json_ld_in(root: etree._Element | None) -> list[dict[str, Any]]:
        """The JSON-LD objects of the scripts under ``root`` (lists flattened, @graph unpacked)."""
        found: list[dict[str, Any]] = []
        if root is None:
            return found
        for script in root.iter("script"):
            if script.get("type") != "application/ld+json":
                continue
            try:
                data = json.loads(script.text or "")
            except ValueError:
                continue
            for item in data if isinstance(data, list) else [data]:
                if isinstance(item, dict):
                    found.extend(g for g in item.get("@graph", [item]) if isinstance(g, dict))
        return found

    @cached_property
    def json_ld(self) -> list[dict[str, Any]]:
        """Every JSON-LD object of the page's <main>, then of its head."""
        return self._json_ld_in(self.main) + self._json_ld_in(self.head)

    def json_ld_of_type(self, *types: str) -> dict[str, Any] | None:
        """The first JSON-LD object whose @type is one of ``types``: <main> is searched before
        the head, which then need not be parsed at all (the article's JSON-LD is in <main>)."""
        for part in ("main", "head"):
            for item in self._json_ld_in(getattr(self, part)):
                kind = item.get("@type")
                if any(k in types for k in (kind if isinstance(kind, list) else [kind])):
                    return item
        return None

    @cached_property
    def _head_tags(self) -> tuple[dict[str, str], dict[str, str]]:
        """The head's <meta> contents by name/property and <link> hrefs by rel, first wins."""
        metas: dict[str, str] = {}
        links: dict[str, str] = {}
        for element in self.head.iter("meta", "link"):
            if element.tag == "meta":
                key = element.get("name") or element.get("property")
                if key and key not in metas:
                    metas[key] = (element.get("content") or "").strip()
            else:
                for rel in (element.get("rel") or "").split():
                    links.setdefault(rel, (element.get("href") or "").strip())
        return metas, links

    def meta(self, key: str) -> str | None:
        """The content of <meta name=key> or <meta property=key> in the head."""
        return self._head_tags[0].get(key) or None

    def link(self, rel: str) -> str | None:
        """The href of <link rel=...> in the head."""
        return self._head_tags[1].get(rel) or None


# lxml's own HTML parser, not lxml.html's: lxml.html looks up a Python element class for
# every element it touches, which cost more than the whole parse of <main>.
_PARSER = etree.HTMLParser(recover=True, remove_comments=True)


def _parse(source: str, *, fragment: bool) -> etree._Element:
    """Parse HTML with libxml2; its depth limit becomes a ParseError instead of a silent cut.

    With ``fragment`` the source is one element (``<main>…</main>``) and that element is
    returned; otherwise the <html> root.
    """
    try:
        tree = etree.fromstring(source, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as error:
        raise ParseError(Reason.UNPARSEABLE, str(error)) from None
    if tree is None:
        raise ParseError(Reason.UNPARSEABLE, "no markup found")
    if any(entry.type_name == "ERR_RESOURCE_LIMIT" for entry in _PARSER.error_log):
        raise ParseError(Reason.TOO_DEEP, "the markup is nested deeper than 256 levels")
    if fragment:
        body = tree.find("body")
        found = body[0] if body is not None and len(body) else None
        if found is None:
            raise ParseError(Reason.UNPARSEABLE, "the article element is empty")
        return found
    return tree
