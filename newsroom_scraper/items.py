"""The records the parser produces and the pipelines store.

Plain dataclasses: Scrapy accepts them as items (through itemadapter), and
``dataclasses.asdict`` gives the JSON that ``newsroom-archive parse`` prints.
The JSON names are the field names; see docs/fields.md for where each comes from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any

# Bounds on what one page can put in the archive (a hostile 1 MB title once made the tags page
# 44 MB): live pages stay far below them. Lists keep their first MAX_ITEMS entries, texts of
# parts (captions, credits, teaser titles) MAX_PART_CHARS characters.
MAX_ITEMS = 200
MAX_PART_CHARS = 2_000


@dataclass
class Image:
    """An image of the article body (teaser images live in RelatedLink)."""

    src: str
    alt: str | None = None
    caption: str | None = None
    credit: str | None = None  # "Stadt Dortmund / Roland Gorecki"
    credit_by: str | None = None  # "Roland Gorecki": the last part of the credit
    credit_agency: str | None = None  # "Stadt Dortmund": the parts before, None for one part


@dataclass
class Video:
    url: str
    title: str | None = None


@dataclass
class Link:
    """A call-to-action link of the article (the buttons under a text block)."""

    url: str
    text: str


@dataclass
class RelatedLink:
    """One teaser of the "Weitere Nachrichten" slider, in the order shown."""

    url: str
    title: str
    date: str | None = None  # YYYY-MM-DD
    district: str | None = None  # a city district such as "Brackel"
    text: str | None = None  # the teaser text, shown by teasers without an image
    image: str | None = None
    image_alt: str | None = None
    credit: str | None = None


def about(doc: str, *, often_empty: bool = False, versioned: bool = True, max_chars: int = 2_000) -> dict[str, Any]:
    """A field's metadata: ``doc`` (what it holds: docs/fields.md and Datasette's column
    description), ``often_empty`` (legitimately empty on many pages, so the run report does not
    take its emptiness for markup drift), ``versioned`` (False: a change is no new version),
    ``max_chars`` (a text field is cut there: ``cap_lengths``)."""
    return {"doc": doc, "often_empty": often_empty, "versioned": versioned, "max_chars": max_chars}


@dataclass
class Article:
    """One article page, every field the archive keeps: the one list of the Article's fields.

    The store's columns, the run report's watched fields, Datasette's column descriptions and
    docs/fields.md follow it (a test names whatever does not); docs/contributing.md says how to
    add a field.
    """

    url: str = field(metadata=about("Canonical URL of the article, the archive's key", versioned=False))
    title: str = field(metadata=about("Headline"))
    published_at: str = field(
        metadata=about(
            "Publication time in ISO 8601 with the Berlin offset, or a date only when the page shows no time"
        )
    )
    # a re-parse of the same text by a newer layout is not a change of the article
    layout: str = field(
        metadata=about("The layout version that read the page (dtm-2023, or generic for the fallback)", versioned=False)
    )
    page_id: str | None = field(default=None, metadata=about("The site's pageId meta value (may name a section)"))
    section: str | None = field(default=None, metadata=about("news or press (press release), from the URL path"))
    description: str | None = field(default=None, metadata=about("The page's meta description"))
    og_image: str | None = field(default=None, metadata=about("The page's share image", often_empty=True))
    topline: str | None = field(
        default=None, metadata=about('The line above the headline, e.g. "Familie"', often_empty=True)
    )
    lead: str | None = field(default=None, metadata=about("The lead paragraph (teaser)"))
    # a live article's text is ~5,000 characters; ten times the longest is still far below these
    body_text: str = field(
        default="",
        metadata=about("The article text, paragraphs and sub-headings separated by blank lines", max_chars=100_000),
    )
    body_html: str = field(
        default="",
        metadata=about(
            "The article text as sanitised HTML (only p, h2–h6, lists, strong/em and links)", max_chars=150_000
        ),
    )
    tags: list[str] = field(default_factory=list, metadata=about("Tags (Schlagwörter), in order", often_empty=True))
    images: list[Image] = field(
        default_factory=list, metadata=about("Images of the body with caption and credit", often_empty=True)
    )
    videos: list[Video] = field(default_factory=list, metadata=about("Embedded videos", often_empty=True))
    links: list[Link] = field(default_factory=list, metadata=about("Call-to-action links", often_empty=True))
    # the slider shows the newest news of the day the page was served: kept per run, never a version
    related: list[RelatedLink] = field(
        default_factory=list,
        metadata=about('The "Weitere Nachrichten" teasers as served', often_empty=True, versioned=False),
    )

    def to_dict(self) -> dict[str, Any]:
        """The article as plain JSON-serialisable data: what ``dataclasses.asdict`` gives.

        Written out because the parts are flat records of texts: ``asdict``'s generic deep copy
        cost ~0.3 ms per article, about 7 % of a crawl (a test compares the two).
        """
        data = dict(vars(self))
        data["tags"] = list(self.tags)
        for name in PARTS:
            data[name] = [dict(vars(item)) for item in data[name]]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Build an Article back from ``to_dict()`` output (e.g. stored JSON)."""
        values = dict(data)
        for name, part in PARTS.items():
            values[name] = [part(**item) for item in values.get(name) or []]
        return cls(**values)


def cap_lengths(article: Article) -> Article:
    """The article with every text cut to its field's ``max_chars`` and every list to MAX_ITEMS.

    ``body_html`` is cut between blocks (one per line), never inside a tag.
    """
    changes: dict[str, Any] = {}
    for f in fields(Article):
        value = getattr(article, f.name)
        limit = f.metadata["max_chars"]
        if isinstance(value, str) and len(value) > limit:
            changes[f.name] = (
                value[: value.rfind("\n", 0, limit) + 1].rstrip("\n") if f.name == "body_html" else value[:limit]
            )
        elif isinstance(value, list) and (len(value) > MAX_ITEMS or any(_too_long(item) for item in value)):
            changes[f.name] = [_cap_part(item) for item in value[:MAX_ITEMS]]
    return replace(article, **changes) if changes else article


def _too_long(item: Any) -> bool:
    values = vars(item).values() if hasattr(item, "__dataclass_fields__") else [item]
    return any(isinstance(v, str) and len(v) > MAX_PART_CHARS for v in values)


def _cap_part(item: Any) -> Any:
    if isinstance(item, str):
        return item[:MAX_PART_CHARS]
    return replace(item, **{k: v[:MAX_PART_CHARS] for k, v in vars(item).items() if isinstance(v, str)})


# ``Article.layout`` of the generic fallback (parser/layouts/generic.py): a best-effort reading,
# never allowed to replace what one of the site's own layouts read (``layout_lost``).
FALLBACK_LAYOUT = "generic"


def layout_lost(archived_layout: str | None, new_layout: str) -> bool:
    """Whether a page now read by ``new_layout`` must not become a version of an article whose
    current version ``archived_layout`` read: the site's own layout no longer recognises the page
    (a relaunch), and the fallback's reading would only be a worse copy of the same article.

    >>> layout_lost("dtm-2023", "generic"), layout_lost("generic", "generic"), layout_lost(None, "generic")
    (True, False, False)
    """
    return new_layout == FALLBACK_LAYOUT and archived_layout not in (None, FALLBACK_LAYOUT)


# The list fields whose items are records, and the record type of each.
PARTS: dict[str, type] = {"images": Image, "videos": Video, "links": Link, "related": RelatedLink}


def one_value_fields() -> list[str]:
    """The Article fields holding one value (a text): each is a column of the articles table."""
    return [f.name for f in fields(Article) if f.default_factory is MISSING]


def list_fields() -> list[str]:
    """The Article fields holding a list: each is stored in a table of its own."""
    return [f.name for f in fields(Article) if f.default_factory is not MISSING]


def content_fields() -> list[str]:
    """The fields whose change makes a new version (all but the URL, the layout and the slider)."""
    return [f.name for f in fields(Article) if f.metadata["versioned"]]


def often_empty_fields() -> set[str]:
    """Fields legitimately empty on many pages: the run report does not flag them as drift."""
    return {f.name for f in fields(Article) if f.metadata["often_empty"]}


@dataclass
class ListingPage:
    """A listing page as its layout reads it: the article teasers and every link.

    Discovery walks listings with it; it is never stored.
    """

    url: str
    teasers: list[RelatedLink] = field(default_factory=list)  # in page order
    links: list[str] = field(default_factory=list)  # every <a href>, absolute, in page order


@dataclass(frozen=True)
class WarcLocation:
    """Where a WARC record is: the one shape of it, whether the crawl wrote it or reparse found it."""

    warc_file: str  # relative to the WARC folder; "x.wacz#archive/y.warc.gz" inside a WACZ
    offset: int
    length: int
    record_id: str
    payload_digest: str | None
    payload_sha256: str | None = None  # hex SHA-256 of the HTTP body as received (still content-encoded)
    decoded_sha256: str | None = None  # hex SHA-256 of the body content-decoded (what the parser read)
    content_encoding: str | None = None  # the payload's Content-Encoding as stored (None: none)


@dataclass(frozen=True)
class WarcRecordRef:
    """The WARC record the crawl wrote of a response: its WARC-Date and where it is."""

    captured_at: str  # UTC, ISO 8601 to the second
    location: WarcLocation


@dataclass
class FetchedPage:
    """An article page as downloaded: what the spider hands to the pipelines.

    The spider does not look inside it; ``ParseMiddleware`` turns it into a ParsedPage.
    ``not_modified`` marks a 304 answer to a conditional refresh (no body).
    """

    url: str  # the URL fetched (after redirects)
    status: int
    body: bytes = field(default=b"", repr=False)  # never in a log line: ~430 KB on the live site
    fetched_at: str = ""
    content_type: str | None = None  # the HTTP Content-Type header: its charset decodes the body
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    requested_url: str | None = None  # the URL asked for, when a redirect changed it
    capture: WarcRecordRef | None = None  # its WARC record (crawl/warc_capture.py), None without WARC


@dataclass
class FetchedImage:
    """An image of an archived article as downloaded (crawl/images: the article page names it):
    its WARC record becomes a ``captures`` row of the article, with no version."""

    url: str  # the URL fetched
    article_url: str  # the canonical URL of the article whose page shows it
    status: int
    size: int  # bytes of the body as received (decoded)
    content_type: str | None = None
    capture: WarcRecordRef | None = None


def memento_timestamp(captured_at: str) -> str:
    """A capture's time as a Memento/Wayback URL writes it: '2026-11-25T14:12:39+00:00' →
    '20261125141239' (UTC; microseconds appended when recorded)."""
    moment = dt.datetime.fromisoformat(captured_at.replace("Z", "+00:00")).astimezone(dt.UTC)
    digits = moment.strftime("%Y%m%d%H%M%S")
    return digits + f"{moment.microsecond:06d}" if moment.microsecond else digits


@dataclass
class Capture:
    """One archived HTTP response of an article URL, and where its WARC record is: a ``captures`` row."""

    url: str
    captured_at: str  # UTC, ISO 8601 to the second (the record's WARC-Date)
    status: int
    record_id: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_length: int | None = None
    payload_digest: str | None = None
    payload_sha256: str | None = None  # the HTTP body as received, hex
    decoded_sha256: str | None = None  # the body content-decoded, hex
    content_encoding: str | None = None  # the body's Content-Encoding as received (None: none)
    source: str = "crawl"  # crawl, import, wayback
    source_uri: str | None = None
    kind: str = "article"  # "article": the page (or a 304 of it); "image": a picture the page shows
    etag: str | None = None
    last_modified: str | None = None
    article: Article | None = None  # its parse (reparse only)

    @classmethod
    def of_record(cls, url: str, status: int, captured_at: str, location: WarcLocation | None, **more: Any) -> Capture:
        """The ``captures`` row of a response and its WARC record (the crawl's, or one reparse read)."""
        if location is None:
            return cls(url=url, captured_at=captured_at, status=status, **more)
        return cls(
            url=url,
            captured_at=captured_at,
            status=status,
            record_id=location.record_id,
            warc_file=location.warc_file,
            warc_offset=location.offset,
            warc_length=location.length,
            payload_digest=location.payload_digest,
            payload_sha256=location.payload_sha256,
            decoded_sha256=location.decoded_sha256,
            content_encoding=location.content_encoding,
            **more,
        )


@dataclass
class ParsedPage:
    """A fetched page with its parse: an Article, or the reason it is not one."""

    fetch: FetchedPage
    article: Article | None = field(default=None, repr=False)  # its body is no log line either
    error: str | None = None  # ParseError text when the page did not parse
    warnings: list[str] = field(default_factory=list)  # what the parser did not trust (stored, never retried)
    attempts: int = 1  # how many times the page was requested


@dataclass
class CrawlFailure:
    """A request that failed before there was a page to parse (HTTP error, timeout, DNS)."""

    url: str
    kind: str  # an errors.Failure: "http", "timeout", "too-large", …
    reason: str
    status: int | None = None
    attempts: int = 1  # the first try and the retries
