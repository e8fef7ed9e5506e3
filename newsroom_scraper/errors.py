"""The project's exceptions, each saying who raises it and when, and the one list of reasons
a page is not an article (``Reason``: docs/fields.md's table is checked against it)."""

from __future__ import annotations

from enum import StrEnum


class _Explained(StrEnum):
    """A StrEnum whose members are written ``NAME = "value", "when it applies"``: the value is
    stored and compared, ``when`` explains it to people (the docs' tables are made of it)."""

    when: str

    def __new__(cls, value: str, when: str) -> _Explained:
        member = str.__new__(cls, value)
        member._value_ = value
        member.when = when
        return member


class Reason(_Explained):
    """Why ``parse_article`` refused a page: ``ParseError.reason``, stored in ``crawl_errors``.

    Each member's value is the short machine-readable text; ``when`` says, for people, when it
    is raised. A new reason is one new member here (and its row in docs/fields.md, which a
    test checks).
    """

    EMPTY = "empty", "no content, or only whitespace"
    BINARY = "binary", "NUL bytes in the first 8 KB (an image, a PDF, …)"
    UNDECODABLE = (
        "undecodable",
        "the parsed parts are not valid in the page's charset (byte order mark, HTTP header, meta, else UTF-8)",
    )
    NOT_HTML = "not-html", "no HTML markup at all"
    UNPARSEABLE = "unparseable", "libxml2 found no markup in it, or the article element is empty"
    TRUNCATED = "truncated", "the page ends before `</main>` (or, for unknown layouts, before `</body>`)"
    TOO_DEEP = "too-deep", "nesting beyond 256 levels (libxml2's limit; the rest of the page would be lost silently)"
    NO_ARTICLE = "no-article", "a complete page that no layout recognises as an article: listings, error pages"
    NO_URL = "no-url", "the page names no canonical URL and none was given"
    NO_TITLE = "no-title", "an article page without a title"
    NO_PUBLISHED_AT = "no-published-at", "an article page without a publication date"
    NO_BODY = (
        "no-body",
        "a title and nothing else: no text, lead, image or video (an unclosed `<iframe>` or `<style>` swallowed it)",
    )
    TOO_LARGE = "too-large", "more bytes than any article page of the site has (`MAX_PAGE_BYTES`, 8 MiB)"
    FIELD_ERROR = "field-error", "a bug in a field extractor: reported, never a crash of the crawl"
    INTERNAL = "internal", "any other bug of the parser: reported, never a crash of the crawl"


class Failure(_Explained):
    """Why an article request ended without a stored page: ``crawl_errors.kind``.

    Each member's value is stored; ``when`` says when it is recorded (docs/reliability.md's table
    is checked against it). Every kind but ``warning`` and ``layout-lost`` is retried at the next run, but
    ``too-large`` only at a --recheck-all run. A row's kind is its last attempt's.
    """

    HTTP = (
        "http",
        "the server answered 4xx or 5xx after the retries (`status` holds it); a 404 or 410 of an archived "
        "article is no error but its removal (`articles.removed_at`, re-checked on a slow schedule)",
    )
    TIMEOUT = "timeout", "no answer within `DOWNLOAD_TIMEOUT` at the last attempt"
    NETWORK = "network", "the connection failed or the body was cut short (`Content-Length` not reached)"
    TOO_LARGE = (
        "too-large",
        "the body, or its decompression, went beyond `DOWNLOAD_MAXSIZE` (with or without `Content-Length`, "
        "an endless body too): asked for again only by a `--recheck-all` run",
    )
    REDIRECTS = (
        "redirects",
        "more redirects than `REDIRECT_MAX_TIMES`, or one not followed (to `file:`, `data:`, `ftp:`)",
    )
    OFFSITE = "offsite", "a redirect led to another origin (scheme, host or port), which the crawl never contacts"
    ROBOTS = "robots", "robots.txt forbids the URL (obeyed; checked again next run)"
    PARSE = "parse", "the page is not a complete article page (`reason` is a `Reason`)"
    LAYOUT_LOST = (
        "layout-lost",
        "an article one of the site's layouts read is now read only by the generic fallback (a relaunch): "
        "no version is stored, the page stays in the WARC for `reparse`; not retried, the re-check schedule goes on",
    )
    STORE = (
        "store",
        "the archive could not store the article, or its WARC record (no article is kept without its evidence)",
    )
    WARNING = "warning", "stored, but something was not trusted (a canonical URL, a charset): never retried"


class NewsroomError(Exception):
    """Base class of every error this package raises on purpose."""


class ParseError(NewsroomError):
    """Raised by ``parse_article`` when a page is not a complete article page.

    ``reason`` is a ``Reason`` (a str: ``"truncated"``); ``detail`` says more for people.
    ``str(error)`` gives ``"<reason>: <detail>"``.
    """

    def __init__(self, reason: Reason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{self.reason}: {detail}" if detail else str(self.reason))


class LayoutError(NewsroomError):
    """Raised when a layout family is inconsistent: versions out of date order, or an older
    version without the last capture date it parses (``valid_until``)."""


class ArchiveBusy(NewsroomError):
    """Raised by a crawl, a reparse or a backfill when another of them is writing the same archive
    (its lock file is held: store/lock.py). Wait for it to finish; two crawls at once would fetch
    everything twice, and SQLite would refuse one of two writers halfway."""


class ArchiveUnusable(NewsroomError):
    """Raised before a crawl, a reparse or a backfill (``store.check_archive``, ``write_lock``) when
    the archive cannot be written: its file is damaged (``PRAGMA quick_check`` fails), read-only,
    or cannot be created or locked (a read-only folder, a full disk). Nothing is fetched."""


class ArchiveNeedsMigration(NewsroomError):
    """Raised by ``Archive(path, read_only=True)`` when the archive's schema is older than this
    code (a migration is pending): read-only use never migrates it. The next crawl or reparse,
    which open the archive to write it, migrates it."""
