"""The fallback for pages of unknown layouts: JSON-LD, Open Graph and the main text.

It parses the whole document (slow on big pages, but only pages no other layout knows
come here) and says ``layout: "generic"``, so the archive shows which records are
best-effort. Metadata comes from JSON-LD and Open Graph; the text from JSON-LD
``articleBody`` when present, else from trafilatura's main-text extraction.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from functools import cached_property

from lxml import etree
from lxml.etree import XPath

from newsroom_scraper.items import FALLBACK_LAYOUT, Image, Link, RelatedLink, Video
from newsroom_scraper.parser.layouts.base import ArticleLayout, LayoutFamily, attribute
from newsroom_scraper.parser.page import Page
from newsroom_scraper.parser.text.clean import collapse_or_none, text_of
from newsroom_scraper.parser.text.credits import split_credit
from newsroom_scraper.parser.text.dates import parse_german_date
from newsroom_scraper.parser.text.html import Block, list_block, text_block
from newsroom_scraper.parser.text.urls import web_url

# trafilatura's XML: <head rend="h2">, <p>, <list rend="ul"><item>, <quote>.
_TRAFILATURA_TAGS = {"p": "p", "quote": "blockquote"}
# Teaser sliders and lists of other articles ("Weitere Nachrichten"): never the article's text.
# They change every day, so a text that held them would make a new version every night (issue 18).
# Custom elements named like a teaser, slider or carousel (dtm-teaserslider, stadt-teaser …),
# anything classed or named so, <aside>, and the block a "more news" heading opens.
_TEASER_BLOCKS = XPath(
    "//*[contains(local-name(), 'teaser') or contains(local-name(), 'slider') or contains(local-name(), 'carousel')"
    " or contains(@class, 'slider') or contains(@class, 'carousel') or contains(@id, 'slider')"
    " or @id = 'more-news' or local-name() = 'aside']"
)
_HEADINGS = XPath("//h2 | //h3 | //h4")
_MORE_NEWS = {"weitere nachrichten", "weitere meldungen", "mehr zum thema", "das könnte sie auch interessieren"}
_PAGE_FRAME = {"html", "body", "main", "article"}


def _without_teasers(document: etree._Element) -> etree._Element:
    """A copy of the page without its teaser blocks (``_TEASER_BLOCKS``, the block of a ``_MORE_NEWS`` heading)."""
    cleaned = copy.deepcopy(document)
    doomed = list(_TEASER_BLOCKS(cleaned))
    for heading in (h for h in _HEADINGS(cleaned) if text_of(h).strip().casefold() in _MORE_NEWS):
        parent = heading.getparent()
        # the heading's own block, unless that is the page's frame (then the heading alone)
        doomed.append(parent if parent is not None and parent.tag not in _PAGE_FRAME else heading)
    for element in doomed:
        if element.getparent() is not None:
            element.getparent().remove(element)
    return cleaned


def _main_text(document: etree._Element) -> list[Block]:
    """The main text of a page (its tree) by trafilatura (a well-kept extractor), as our blocks,
    teaser blocks left out.

    Only pages no layout knows come here, so its cost (~10 ms a page) does not matter; it is
    imported here, when first needed, since its import alone (~70 ms) would cost every start of
    the command and of every reparse worker.
    """
    import trafilatura

    xml = trafilatura.extract(
        # as text: trafilatura reads only lxml.html's trees, not the parser's plain etree
        etree.tostring(_without_teasers(document), encoding=str, method="html"),
        output_format="xml",
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
    )
    if not xml:
        return []
    found: list[Block | None] = []
    for element in etree.fromstring(xml.encode("utf-8")).iterfind("main/*"):
        if element.tag == "head":
            level = (element.get("rend") or "h2").lstrip("h")
            found.append(text_block(f"h{min(max(int(level) if level.isdigit() else 2, 2), 6)}", text_of(element)))
        elif element.tag == "list":
            items = [item for li in element.iterfind("item") if (item := text_block("li", text_of(li)))]
            found.append(list_block("ol" if element.get("rend") == "ol" else "ul", items))
        else:
            found.append(text_block(_TRAFILATURA_TAGS.get(element.tag, "p"), text_of(element)))
    return [block for block in found if block]


class GenericLayout(LayoutFamily):
    """The fallback for pages of layouts no other family knows."""

    name = "generic"

    class V1(ArticleLayout):
        """Any complete page that declares itself an article in JSON-LD or Open Graph."""

        version = FALLBACK_LAYOUT

        @classmethod
        def matches(cls, page: Page) -> bool:
            return page.complete and (
                page.json_ld_of_type(*cls.ARTICLE_TYPES) is not None or page.meta("og:type") == "article"
            )

        @cached_property
        def _blocks(self) -> list[Block]:
            """JSON-LD ``articleBody`` when the page gives one, else trafilatura's main text."""
            body = self.article_ld.get("articleBody")
            if isinstance(body, str) and body.strip():
                return [block for line in body.split("\n") if (block := text_block("p", line))]
            title = self.title()
            return [block for block in _main_text(self.page.document) if block.text != title]

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
            src = web_url(image, self.canonical) if isinstance(image, str) else None
            if not src:
                return []
            # Pre-2023 pages credit their image as "Bild (Bildlizenz/Fotograf/Grafiker): <name>".
            marked = self.page.document.xpath("//*[starts-with(normalize-space(text()), 'Bild (')]")
            credit = split_credit(text_of(marked[0])) if marked else None
            if credit is None:
                return [Image(src=src)]
            return [
                Image(src=src, credit=credit.credit, credit_by=credit.credit_by, credit_agency=credit.credit_agency)
            ]

        @attribute
        def tags(self) -> list[str]:
            """JSON-LD ``keywords`` (a list, or one comma-separated text)."""
            keywords = self.article_ld.get("keywords")
            if isinstance(keywords, str):
                keywords = keywords.split(",")
            if not isinstance(keywords, list):
                return []
            return list(dict.fromkeys(t for k in keywords if isinstance(k, str) and (t := collapse_or_none(k))))

        # Buttons, videos and teasers have no markup in common across sites: an unknown layout
        # yields none rather than guessing.
        @attribute
        def videos(self) -> list[Video]:
            return []

        @attribute
        def links(self) -> list[Link]:
            return []

        @attribute
        def related(self) -> list[RelatedLink]:
            return []
