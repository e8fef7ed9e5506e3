"""The layout interface: a family per page layout, a class per dated version, a method per field.

As in Fundus, a field is a method marked ``@attribute``; ``Layout.parse`` calls each and builds
the ``Article``. A ``LayoutFamily`` (e.g. ``DtmLayout``) nests its versions as inner classes,
oldest first. Every version but the newest says in ``valid_until`` the last *capture* date it
parses: the site re-serves old articles in today's markup, so what decides the parser is when a
page was fetched, never when it was published. ``valid_until`` is read from the class's own
body only, so a newer version that subclasses an older one does not inherit its date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import date
from functools import cached_property
from html import escape
from typing import Any, ClassVar, TypeVar

from lxml.etree import XPath

from newsroom_scraper.errors import LayoutError, ParseError, Reason
from newsroom_scraper.items import Article, ListingPage, cap_lengths
from newsroom_scraper.parser.page import Page
from newsroom_scraper.parser.text.clean import collapse_or_none
from newsroom_scraper.parser.text.html import Block
from newsroom_scraper.parser.text.urls import absolute_url, canonical_url, section_of, web_url
from newsroom_scraper.site import trusted_canonical

F = TypeVar("F", bound=Callable[..., Any])
# The fields an article cannot be without, and the reason given when one is missing.
REQUIRED = {"url": Reason.NO_URL, "title": Reason.NO_TITLE, "published_at": Reason.NO_PUBLISHED_AT}
# An article shows at least one of these besides its title (a photo news may have no text); a
# page with none lost its body to markup that swallowed it (an unclosed <iframe> or <style>).
BODY = ("body_text", "lead", "images", "videos")
# What body_text and body_html may hold (items.Article's max_chars): both are cut at the same block.
_MAX_CHARS = {f.name: f.metadata["max_chars"] for f in fields(Article)}
BODY_TEXT_CHARS, BODY_HTML_CHARS = _MAX_CHARS["body_text"], _MAX_CHARS["body_html"]


def attribute(method: F) -> F:
    """Mark a Layout method as the extractor of the Article field of the same name."""
    method.__is_attribute__ = True  # type: ignore[attr-defined]
    return method


class Layout:
    """One version of a page layout. Subclasses set ``version`` and implement ``matches``."""

    version: ClassVar[str] = ""  # shown in Article.layout, e.g. "dtm-2023"
    valid_until: ClassVar[date | None] = None  # the last capture date this version parses
    _attribute_names: ClassVar[list[str]]

    LINKS = XPath("//a[@href]")

    def __init__(self, page: Page) -> None:
        self.page = page

    @classmethod
    def matches(cls, page: Page) -> bool:
        """Whether the page is written in this layout (markup only, cheap)."""
        raise NotImplementedError

    @classmethod
    def own_valid_until(cls) -> date | None:
        """``valid_until`` as written in this class's own body (never inherited)."""
        return vars(cls).get("valid_until")

    @classmethod
    def attributes(cls) -> list[str]:
        """The names of the fields this layout extracts, in definition order."""
        if "_attribute_names" not in vars(cls):  # computed once per class, not per page
            names: list[str] = []
            for klass in reversed(cls.__mro__):
                for name, value in vars(klass).items():
                    if getattr(value, "__is_attribute__", False) and name not in names:
                        names.append(name)
            cls._attribute_names = names
        return cls._attribute_names

    def check(self) -> None:
        """Raise ParseError when the page is not an article of this layout (listings, errors)."""

    def parse(self) -> Article:
        """Run every attribute and build the Article; required fields must come back."""
        self.check()
        values: dict[str, Any] = {"layout": self.version}
        for name in self.attributes():
            try:
                values[name] = getattr(self, name)()
            except ParseError:
                raise
            except Exception as error:  # a field's bug must not crash a crawl: report it
                raise ParseError(Reason.FIELD_ERROR, f"{name}: {type(error).__name__}: {error}") from error
        for name, reason in REQUIRED.items():
            if not values.get(name):
                raise ParseError(reason, f"the page has no {name}")
        if not any(values.get(name) for name in BODY):
            raise ParseError(Reason.NO_BODY, f"a title but no {', '.join(BODY)}")
        return cap_lengths(Article(**values))

    def listing(self) -> ListingPage:
        """A listing page: its article teasers and every link (absolute, in page order).

        This base version knows no teasers: it lists the links of the whole page.
        """
        base = self.page.url
        links = [url for a in self.LINKS(self.page.document) if (url := absolute_url(a.get("href"), base))]
        return ListingPage(url=canonical_url(base) if base else "", teasers=[], links=links)


class LayoutFamily:
    """One page layout with its versions nested inside as classes, oldest first.

    ``versions()`` finds them and checks their dates; ``choose`` picks the one for a page.
    """

    name: ClassVar[str] = ""

    @classmethod
    def versions(cls) -> list[type[Layout]]:
        """The nested Layout classes in definition order; LayoutError when their dates are wrong."""
        if "_versions" not in vars(cls):
            found = [v for v in vars(cls).values() if isinstance(v, type) and issubclass(v, Layout)]
            _check_dates(cls, found)
            cls._versions = found  # type: ignore[attr-defined]
        versions: list[type[Layout]] = vars(cls)["_versions"]
        return versions

    @classmethod
    def version_for(cls, captured: date | None) -> type[Layout]:
        """The version that parses a page captured on ``captured`` (the newest when None)."""
        versions = cls.versions()
        if captured is not None:
            for version in versions:
                until = version.own_valid_until()
                if until is None or captured <= until:
                    return version
        return versions[-1]

    @classmethod
    def choose(cls, page: Page, captured: date | None) -> type[Layout] | None:
        """The version for the capture date if it recognises the page; else the newest that does."""
        chosen = cls.version_for(captured)
        if chosen.matches(page):
            return chosen
        return next((v for v in reversed(cls.versions()) if v is not chosen and v.matches(page)), None)


def _check_dates(family: type[LayoutFamily], versions: list[type[Layout]]) -> None:
    """Every version but the newest has its own valid_until, and the dates increase."""
    if not versions:
        raise LayoutError(f"layout family {family.__name__} nests no Layout version")
    dates = [v.own_valid_until() for v in versions]
    if any(day is None for day in dates[:-1]):
        older = next(v.__name__ for v, day in zip(versions, dates, strict=True) if day is None)
        raise LayoutError(
            f"{family.__name__}.{older} is not the newest version: give it valid_until, the last capture date it parses"
        )
    if dates[-1] is not None:
        raise LayoutError(f"{family.__name__}.{versions[-1].__name__} is the newest version: it has no valid_until")
    known = [day for day in dates if day is not None]
    if known != sorted(set(known)):
        raise LayoutError(f"{family.__name__}: versions must be nested oldest first, each valid_until later")


class ArticleLayout(Layout):
    """The fields every article layout reads the same way: head metadata and JSON-LD.

    Layouts inherit these attributes and override what their markup does differently.
    """

    ARTICLE_TYPES: ClassVar[tuple[str, ...]] = (
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "BlogPosting",
        "PressRelease",
    )

    @cached_property
    def article_ld(self) -> dict[str, Any]:
        """The page's JSON-LD Article object, or an empty dict."""
        return self.page.json_ld_of_type(*self.ARTICLE_TYPES) or {}

    @cached_property
    def canonical(self) -> str:
        """<link rel=canonical> (else og:url, else the fetched URL), absolute and canonicalised.

        The declared URL is the archive's key, so a page could claim another article's row: it is
        trusted only as ``trusted_canonical`` says (the site's host or the fetched one, an article
        path, the fetched page's own slug); otherwise the fetched URL is the key, with a warning.
        """
        fetched = canonical_url(self.page.url) if self.page.url else ""
        declared = absolute_url(self.page.link("canonical") or self.page.meta("og:url"), self.page.url or None)
        if not declared:
            return fetched
        problem = trusted_canonical(declared, fetched)
        if problem is None:
            return declared
        self.page.warnings.append(f"canonical: {declared[:300]} is not trusted ({problem}); keyed on {fetched}")
        return fetched

    @attribute
    def url(self) -> str:
        """`<link rel="canonical">` in the head, resolved and percent-encoded consistently (fragment dropped,
        query sorted); else the URL given with `--url`
        """
        return self.canonical

    @attribute
    def page_id(self) -> str | None:
        """`<meta name="pageId">` (a string; kept, never used as a key)"""
        return self.page.meta("pageId")

    @attribute
    def section(self) -> str | None:
        """from the URL path: `/presse-mitteilungen/` or `/pressemitteilungen/` → `press`,
        `/nachrichten-dortmund.de/` → `news`
        """
        return section_of(self.canonical) or section_of(self.page.url)

    @attribute
    def description(self) -> str | None:
        """`<meta name="description">`, else the JSON-LD `description`"""
        return collapse_or_none(
            self.page.meta("description") or self.page.meta("og:description") or self.article_ld.get("description")
        )

    @attribute
    def og_image(self) -> str | None:
        """`<meta property="og:image">`, absolute"""
        return web_url(self.page.meta("og:image"), self.canonical)

    @cached_property
    def _blocks(self) -> list[Block]:
        """The article's text blocks in order; each layout says where they are."""
        raise NotImplementedError

    @cached_property
    def _body(self) -> tuple[str, str]:
        """(body_text, body_html) of the same blocks: whole blocks while both fit their fields'
        ``max_chars`` (items.Article), then the first block that does not, cut to what is left of
        both and written as a plain paragraph (its inline markup dropped), and nothing after it.
        A cut is a warning (one 2 MB paragraph gave 100,000 characters of text and no HTML)."""
        texts: list[str] = []
        htmls: list[str] = []
        text_room, html_room = BODY_TEXT_CHARS, BODY_HTML_CHARS  # what is left, separators counted
        blocks = self._blocks
        for block in blocks:
            if len(block.text) <= text_room and len(block.html) <= html_room:
                texts.append(block.text)
                htmls.append(block.html)
                text_room -= len(block.text) + len("\n\n")
                html_room -= len(block.html) + len("\n")
                continue
            cut = _cut_to_fit(block.text, text_room, html_room - len("<p></p>"))
            kept = "\n\n".join([*texts, cut] if cut else texts)
            if cut:
                texts.append(cut)
                htmls.append(f"<p>{_plain_html(cut)}</p>")
            whole = len("\n\n".join(b.text for b in blocks))
            self.page.warnings.append(
                f"body: cut at {len(kept)} of {whole} characters of text, in block "
                f"{blocks.index(block) + 1} of {len(blocks)} (limits: body_text {BODY_TEXT_CHARS}, "
                f"body_html {BODY_HTML_CHARS} characters)"
            )
            break
        return "\n\n".join(texts), "\n".join(htmls)

    @attribute
    def body_text(self) -> str:
        """the text blocks of `<main>` in order: `[slot=content]` paragraphs, lists (`- item`),
        `[slot=headline]` sub-headings, separated by blank lines. Left out: the introduction, the lead,
        images and captions, videos, call-to-action buttons, tags, the "Weitere Nachrichten" slider, and
        everything outside `<main>` (navigation, footer, privacy texts)
        """
        return self._body[0]

    @attribute
    def body_html(self) -> str:
        """the same blocks as sanitised HTML: only `p h2–h6 ul ol li blockquote table tr td strong em sub sup
        br` and `a href` (absolute http/https/mailto) are written; all text is escaped
        """
        return self._body[1]


def _plain_html(text: str) -> str:
    """``text`` as the content of a ``<p>``: escaped, its line breaks as ``<br>``."""
    return escape(text, quote=False).replace("\n", "<br>")


def _cut_to_fit(text: str, text_room: int, html_room: int) -> str:
    """The longest start of ``text`` (ending at a word, if one ends near) within ``text_room``
    characters whose ``_plain_html`` fits ``html_room``."""
    cut = text[: max(text_room, 0)]
    while cut and len(_plain_html(cut)) > html_room:
        cut = cut[: len(cut) - max(len(_plain_html(cut)) - html_room, 1)]
    space = cut.rfind(" ", max(len(cut) - 100, 0))
    return (cut[:space] if space > 0 and len(cut) < len(text) else cut).rstrip()
