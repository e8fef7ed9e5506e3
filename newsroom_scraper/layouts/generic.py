"""The fallback for pages of unknown layouts: JSON-LD, Open Graph and the main text.

It parses the whole document (slow on big pages, but only pages no other layout knows
come here) and says ``layout: "generic"``, so the archive shows which records are
best-effort. Metadata comes from JSON-LD and Open Graph; the text from JSON-LD
``articleBody`` when present, else from the paragraphs of <article>, <main> or <body>.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cached_property
from html import escape

from lxml.etree import _Element as Element

from ..items import Image
from ..page import Page
from ..text.clean import collapse, collapse_or_none, text_of
from ..text.dates import parse_german_date
from ..text.html import Block, blocks
from ..text.urls import absolute_url
from .base import ArticleLayout, attribute

NOT_TEXT = {"nav", "header", "footer", "aside", "form", "figure", "figcaption", "dtm-teaserslider"}


class GenericLayout(ArticleLayout):
    """Any complete page that declares itself an article in JSON-LD or Open Graph."""

    family = "generic"
    version = "generic"
    priority = -100

    @classmethod
    def matches(cls, page: Page) -> bool:
        return page.complete and (
            page.json_ld_of_type(*cls.ARTICLE_TYPES) is not None or page.meta("og:type") == "article"
        )

    @cached_property
    def text_root(self) -> Element:
        document = self.page.document
        for path in ("//article", "//main", "//body"):
            found = document.xpath(path)
            if found:
                return found[0]
        return document

    @cached_property
    def _blocks(self) -> list[Block]:
        body = self.article_ld.get("articleBody")
        if isinstance(body, str) and body.strip():
            paragraphs = [collapse(p) for p in body.split("\n") if collapse(p)]
            return [Block("p", p, f"<p>{escape(p, quote=False)}</p>") for p in paragraphs]
        title = self.title()
        found = blocks(self.text_root, self.canonical, skip=lambda e: e.tag in NOT_TEXT or e.tag == "h1")
        return [b for b in found if b.text != title and (b.tag != "p" or len(b.text) > 40)]

    @attribute
    def title(self) -> str | None:
        h1 = self.page.document.xpath("//h1")
        return (
            collapse_or_none(str(self.article_ld.get("headline") or ""))
            or (collapse_or_none(text_of(h1[0])) if h1 else None)
            or self.page.meta("og:title")
        )

    @attribute
    def topline(self) -> str | None:
        return None

    @attribute
    def published_at(self) -> str | None:
        raw = str(self.article_ld.get("datePublished") or self.page.meta("article:published_time") or "")
        if "T" in raw:  # a full ISO timestamp keeps its time and offset
            try:
                return datetime.fromisoformat(raw.replace("Z", "+00:00")).isoformat()
            except ValueError:
                pass
        day: date | None = parse_german_date(raw)
        return day.isoformat() if day else None

    @attribute
    def lead(self) -> str | None:
        return None

    @attribute
    def images(self) -> list[Image]:
        image = self.article_ld.get("image")
        if isinstance(image, dict):
            image = image.get("url")
        if isinstance(image, list):
            image = image[0] if image and isinstance(image[0], str) else None
        src = absolute_url(image, self.canonical) if isinstance(image, str) else None
        return [Image(src=src)] if src else []
