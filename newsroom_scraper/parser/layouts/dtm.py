"""The dtm-* web-component layout of dortmund.de, since the 2023 relaunch (still current).

Every selector of this layout is in this file. The article is the <main> element:
JSON-LD ``Article`` (date only), ``section.dtm-default-layout__introduction`` (topline, h1,
<time> with date and time), ``dtm-text-image`` blocks with slots teaser / content /
headline / video / cta / media, ``dtm-category-badge-list`` (tags) and
``dtm-teaserslider#more-news`` (the "Weitere Nachrichten" slider).
See ../shared/real-pages/README.md and docs/fields.md.
"""

from __future__ import annotations

from functools import cached_property

from lxml.cssselect import CSSSelector
from lxml.etree import XPath
from lxml.etree import _Element as Element

from newsroom_scraper.errors import ParseError, Reason
from newsroom_scraper.items import Image, Link, ListingPage, RelatedLink, Video
from newsroom_scraper.parser.layouts.base import ArticleLayout, LayoutFamily, attribute
from newsroom_scraper.parser.page import Page
from newsroom_scraper.parser.text.clean import collapse, collapse_or_none, text_of
from newsroom_scraper.parser.text.credits import split_credit
from newsroom_scraper.parser.text.dates import berlin_iso, parse_german_date, parse_time
from newsroom_scraper.parser.text.html import Block, blocks
from newsroom_scraper.parser.text.urls import web_url


def css(selector: str) -> CSSSelector:
    return CSSSelector(selector, translator="html")


class DtmLayout(LayoutFamily):
    """Pages built from dtm-* web components (the relaunch of 2023); versions oldest first."""

    name = "dtm"

    class V2023(ArticleLayout):
        """Article pages and listings of the 2023 relaunch (the site today)."""

        version = "dtm-2023"

        INTRODUCTION = XPath("descendant::section[contains(@class, 'dtm-default-layout__introduction')][1]")
        TOPLINE = css("p.heading__topline")
        TITLE = XPath("descendant::h1[1]")
        TIME = css("time")
        LEAD = css("dtm-text-image > [slot=teaser]")
        TAGS = css("dtm-category-badge-list a")
        VIDEOS = css("dtm-video[video-url]")
        # Tag first, then the slot: a bare "[slot=cta] a" tests every element's attributes (7x slower).
        CTA_LINKS = XPath("descendant::dtm-text-image/*[@slot='cta']/descendant::a[@href]")
        CAPTION_TEXT = css("dtm-caption [slot=text]")
        CAPTION_LICENCE = css("dtm-caption [slot=licence]")
        # Images of the article body: everything but the teasers and the video previews.
        BODY_IMAGES = XPath(".//img[not(ancestor::dtm-teaserslider or ancestor::dtm-teaser or ancestor::dtm-video)]")
        IMAGE_BOX = XPath("ancestor::figure[1] | ancestor::dtm-text-image[1]")
        TEASERS = css("dtm-teaserslider#more-news dtm-teaser")  # the "Weitere Nachrichten" slider
        LISTING_TEASERS = XPath("//dtm-teaser")  # a listing's teasers, wherever they are
        # Inside a teaser: the slots link, headline, date (with an optional district <div>),
        # text, media (the figure with the image) and licence (the credit); see _teaser.
        # What the body text leaves out: the introduction, the lead, media, buttons, tags, slider.
        NOT_BODY_SLOTS = {"teaser", "video", "cta", "media", "figcaption", "image"}
        NOT_BODY_TAGS = {
            "section",
            "figure",
            "picture",
            "dtm-caption",
            "dtm-video",
            "dtm-category-badge-list",
            "dtm-teaserslider",
            "dtm-teaser",
            "dtm-anchor",
            "dtm-back-link",
            "dtm-bookmark-button",
            "dtm-share-button",
            "script",
            "style",
        }

        @classmethod
        def matches(cls, page: Page) -> bool:
            return page.main_complete and "<dtm-" in page.main_source

        @cached_property
        def main(self) -> Element:
            assert self.page.main is not None  # matches() saw a complete <main>
            return self.page.main

        def check(self) -> None:
            if not self.article_ld and not self.INTRODUCTION(self.main):  # the JSON-LD is parsed already
                raise ParseError(Reason.NO_ARTICLE, "the page has no article introduction (a listing or other page?)")

        def _first_text(self, selector: XPath, root: Element | None = None) -> str | None:
            found = selector(self.main if root is None else root)
            return collapse_or_none(text_of(found[0])) if found else None

        @attribute
        def title(self) -> str | None:
            """the `<h1>` in `<main>`, else JSON-LD `headline`"""
            return self._first_text(self.TITLE) or collapse_or_none(self.article_ld.get("headline"))

        @attribute
        def topline(self) -> str | None:
            """`p.heading__topline`; `null` when absent"""
            return self._first_text(self.TOPLINE)

        @attribute
        def published_at(self) -> str | None:
            """`<time>` in the introduction: date "Mo 7. Juli 2025" and time "12:52 Uhr", local Berlin time →
            ISO 8601 with that day's offset (`+02:00` summer, `+01:00` winter). Without a time: the date
            alone. Without `<time>`: JSON-LD `datePublished` (a date)
            """
            # The time exists only in <time>: "Mo 7. Juli 2025" and "12:52 Uhr" in its children.
            for element in self.TIME(self.main):
                text = text_of(element)
                day = parse_german_date(text)
                if day:  # the time after the date in the text, else in datetime="12:52"
                    at = parse_time(text.split(str(day.year), 1)[-1]) or parse_time(element.get("datetime"))
                    return berlin_iso(day, at)
            day = parse_german_date(str(self.article_ld.get("datePublished", "")))
            return day.isoformat() if day else None

        @attribute
        def lead(self) -> str | None:
            """`dtm-text-image > [slot=teaser]` (several are joined by a blank line)"""
            texts = [collapse(text_of(element)) for element in self.LEAD(self.main)]
            return "\n\n".join(text for text in texts if text) or None

        def _in_body(self, element: Element) -> bool:
            return element.get("slot") not in self.NOT_BODY_SLOTS and element.tag not in self.NOT_BODY_TAGS

        @cached_property
        def _blocks(self) -> list[Block]:
            return list(blocks(self.main, self.canonical, skip=lambda element: not self._in_body(element)))

        @attribute
        def tags(self) -> list[str]:
            """the links of `dtm-category-badge-list`, in order"""
            return [text for a in self.TAGS(self.main) if (text := collapse(text_of(a)))]

        @attribute
        def images(self) -> list[Image]:
            """each `<img>` of `<main>` outside the teaser slider and video previews: `src` (absolute), `alt`,
            `caption` (`dtm-caption [slot=text]` of its `figure`), `credit` (`dtm-caption [slot=licence]`
            after "Bild:", whitespace collapsed, " / " between parts, from any of the four markup shapes),
            `credit_by` (last part), `credit_agency` (the parts before; `null` for one part)
            """
            images = []
            for img in self.BODY_IMAGES(self.main):
                src = web_url(img.get("src") or img.get("data-src"), self.canonical)
                if not src:
                    continue
                boxes = self.IMAGE_BOX(img)
                box = boxes[-1] if boxes else img  # the nearest figure, else the text-image block
                credit = split_credit(self._first_text(self.CAPTION_LICENCE, box))
                images.append(
                    Image(
                        src=src,
                        alt=collapse_or_none(img.get("alt")),
                        caption=self._first_text(self.CAPTION_TEXT, box),
                        credit=credit.credit if credit else None,
                        credit_by=credit.credit_by if credit else None,
                        credit_agency=credit.credit_agency if credit else None,
                    )
                )
            return images

        @attribute
        def videos(self) -> list[Video]:
            """each `dtm-video` with an http(s) `video-url`: `url` = `video-url`, `title` = `video-title` (else its
            caption)
            """
            return [
                Video(
                    url=url,
                    title=collapse_or_none(video.get("video-title")) or self._first_text(self.CAPTION_TEXT, video),
                )
                for video in self.VIDEOS(self.main)
                if (url := web_url(video.get("video-url"), self.canonical))  # no http(s) URL: nothing to keep
            ]

        @attribute
        def links(self) -> list[Link]:
            """call-to-action links: `dtm-text-image > [slot=cta] a`"""
            return [
                Link(url=url, text=collapse(text_of(a)))
                for a in self.CTA_LINKS(self.main)
                if (url := web_url(a.get("href"), self.canonical, mailto=True))
            ]

        @attribute
        def related(self) -> list[RelatedLink]:
            """each `dtm-teaser` of `dtm-teaserslider#more-news`, in order: `url` (`a[slot=link]`, resolved
            against the canonical URL), `title` (`[slot=headline]`), `date` (`[slot=date]`, YYYY-MM-DD),
            `district` (the `<div>` nested in the date; `null` when absent), `text` (`[slot=text]`, teasers
            without image), `image` and `image_alt` (`[slot=media] img`), `credit`
            """
            return [teaser for element in self.TEASERS(self.main) if (teaser := self._teaser(element, self.canonical))]

        def listing(self) -> ListingPage:
            """A listing ("Dortmund aktuell", a section, a tag filter): its teasers and links.

            Read from the whole page, relative to the URL it was fetched from; listings are
            few and small, so the full parse costs nothing that matters.
            """
            found = super().listing()
            base = self.page.url
            found.teasers = [
                t for element in self.LISTING_TEASERS(self.page.document) if (t := self._teaser(element, base))
            ]
            return found

        @staticmethod
        def _teaser(element: Element, base: str) -> RelatedLink | None:
            # Children by slot, not selectors: ~15 teasers a page made selector calls the
            # slowest part of the parse.
            slots: dict[str, Element] = {}
            image = None
            for child in element:  # link, headline, date, text and media are children of the teaser
                slot = child.get("slot")
                if slot:
                    slots.setdefault(slot, child)
            media = slots.get("media")
            if media is not None:
                image = next(media.iter("img"), None)
                slots.update((e.get("slot"), e) for e in media.iter("div") if e.get("slot") == "licence")
            link = slots.get("link")
            url = web_url(link.get("href"), base) if link is not None else None
            headline = slots.get("headline")
            title = (
                collapse_or_none(headline.text if len(headline) == 0 else text_of(headline))
                if headline is not None
                else None
            )
            if not url or not title:
                return None
            date_box = slots.get("date")
            day = parse_german_date(date_box.text) if date_box is not None else None
            districts = [collapse(text_of(div)) for div in date_box if div.tag == "div"] if date_box is not None else []
            licence = slots.get("licence")
            credit = split_credit(text_of(licence)) if licence is not None else None
            return RelatedLink(
                url=url,
                title=title,
                date=day.isoformat() if day else None,
                district=next((d for d in districts if d), None),
                text=collapse_or_none(text_of(slots["text"])) if "text" in slots else None,
                image=web_url(image.get("src"), base) if image is not None else None,
                image_alt=collapse_or_none(image.get("alt")) if image is not None else None,
                credit=credit.credit if credit else None,
            )
