"""The layout interface: one class per version of a page layout, one method per field.

As in Fundus, a field is a method marked ``@attribute``; ``Layout.parse`` calls each and
builds the ``Article``. A layout *family* (e.g. ``dtm``) may have several dated versions:
``valid_until`` is the last publication date a version parses, so an old capture is parsed
by the parser of its time. The newest version has ``valid_until = None``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cached_property
from typing import Any, ClassVar, TypeVar

from ..errors import ParseError
from ..items import Article
from ..page import Page
from ..text.clean import collapse_or_none
from ..text.html import Block
from ..text.urls import absolute_url, canonical_url, section_of

F = TypeVar("F", bound=Callable[..., Any])
REQUIRED = ("url", "title", "published_at")


def attribute(method: F) -> F:
    """Mark a Layout method as the extractor of the Article field of the same name."""
    method.__is_attribute__ = True  # type: ignore[attr-defined]
    return method


class Layout:
    """Base class of every layout version. Subclasses set the class variables below."""

    family: ClassVar[str] = ""  # "dtm", "generic", …
    version: ClassVar[str] = ""  # shown in Article.layout, e.g. "dtm-2023"
    valid_until: ClassVar[date | None] = None  # last publication date this version parses
    priority: ClassVar[int] = 0  # higher is tried first; the generic fallback is lowest
    _attribute_names: ClassVar[list[str]]

    def __init__(self, page: Page) -> None:
        self.page = page

    @classmethod
    def matches(cls, page: Page) -> bool:
        """Whether the page is written in this layout family (markup only, cheap)."""
        raise NotImplementedError

    @classmethod
    def page_date(cls, page: Page) -> date | None:
        """The page's publication date, to choose among dated versions (None: newest)."""
        return None

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
                raise ParseError("field-error", f"{name}: {type(error).__name__}: {error}") from error
        for name in REQUIRED:
            if not values.get(name):
                raise ParseError(f"no-{name.replace('_', '-')}", f"the page has no {name}")
        return Article(**values)


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
        """<link rel=canonical> (else og:url, else the fetched URL), absolute and canonicalised."""
        href = self.page.link("canonical") or self.page.meta("og:url")
        return absolute_url(href, self.page.url) or canonical_url(self.page.url)

    @attribute
    def url(self) -> str:
        return self.canonical

    @attribute
    def page_id(self) -> str | None:
        return self.page.meta("pageId")

    @attribute
    def section(self) -> str | None:
        return section_of(self.canonical) or section_of(self.page.url)

    @attribute
    def description(self) -> str | None:
        return collapse_or_none(
            self.page.meta("description") or self.page.meta("og:description") or self.article_ld.get("description")
        )

    @attribute
    def og_image(self) -> str | None:
        return absolute_url(self.page.meta("og:image"), self.canonical)

    @cached_property
    def _blocks(self) -> list[Block]:
        """The article's text blocks in order; each layout says where they are."""
        raise NotImplementedError

    @attribute
    def body_text(self) -> str:
        return "\n\n".join(block.text for block in self._blocks)

    @attribute
    def body_html(self) -> str:
        return "\n".join(block.html for block in self._blocks)
