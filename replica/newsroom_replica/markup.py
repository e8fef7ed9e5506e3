"""Synthetic newsroom pages in the real dtm-* markup, rendered from plain Python data.

Tests render pages from these dataclasses; ``expected.py`` derives what the parser must
return from the same data, and ``snapshots.py`` stores both for the named samples. The
replica server renders its whole site with the same functions. All text is written by this
project; the markup follows ../shared/real-pages (the in-body image markup follows the
site's teaser and video captions, as SITE-NOTES describes).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time
from functools import lru_cache
from html import escape
from urllib.parse import quote
from zoneinfo import ZoneInfo

HOST = "https://www.dortmund.de"
BERLIN = ZoneInfo("Europe/Berlin")  # the site writes local dates and times
WEEKDAYS = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
MONTHS = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]
NEWS = "/newsroom/nachrichten-dortmund.de/"
PRESS = "/newsroom/presse-mitteilungen/"


def quote_path(path: str) -> str:
    """A site-relative path percent-encoded the way the sitemaps (and canonical URLs) write it.

    >>> quote_path("/newsroom/nachrichten-dortmund.de/„grün“.html")
    '/newsroom/nachrichten-dortmund.de/%E2%80%9Egr%C3%BCn%E2%80%9C.html'
    """
    return quote(path, safe="/")


def german_date(day: date) -> str:
    """ "Mo 7. Juli 2025", as the site writes dates."""
    return f"{WEEKDAYS[day.weekday()]} {day.day}. {MONTHS[day.month - 1]} {day.year}"


def a(text: str) -> str:
    """Escape for an attribute value in double quotes."""
    return escape(text, quote=True)


def t(text: str) -> str:
    """Escape for element text (quotes stay as they are, as on the site)."""
    return escape(text, quote=False)


@dataclass
class PhotoCredit:
    """An image credit and the markup shape it is written in.

    Shapes seen on the site: ``plain`` ("Stadt Dortmund / Roland Gorecki" as text), ``span``
    (``<span>Stephan Schütze</span>``), ``text-span`` ("Stadt Dortmund / <span>…</span>")
    and ``link-span`` (an external link "Adobe Stock" / ``<span>…</span>``).
    """

    by: str
    agency: str | None = None
    shape: str = "plain"
    agency_url: str = "https://stock.adobe.com"

    @property
    def text(self) -> str:
        return f"{self.agency} / {self.by}" if self.agency else self.by

    def html(self) -> str:
        if self.shape == "plain" or (self.agency is None and self.shape != "span"):
            return f"<strong>Bild:</strong>\n{t(self.text)}"
        if self.shape == "span" or self.agency is None:
            return f"<strong>Bild:</strong>\n<span>{t(self.text)}</span>"
        if self.shape == "text-span":
            return f"<strong>Bild:</strong>\n{t(self.agency)}\n/\n<span>{t(self.by)}</span>"
        return (
            f'<strong>Bild:</strong>\n<dtm-anchor external>\n<a href="{a(self.agency_url)}">\n'
            f"{t(self.agency)}\n</a>\n</dtm-anchor>\n/\n<span>{t(self.by)}</span>"
        )


@dataclass
class Picture:
    src: str  # site-relative
    alt: str = ""
    caption: str | None = None
    credit: PhotoCredit | None = None
    overlay_credit: bool = False  # the credit also shown on the image itself (the seed shows it twice)


@dataclass
class Strong:
    text: str


Inline = str | Strong


@dataclass
class BodyBlock:
    """One piece of the article body, rendered as one dtm-text-image.

    kind: ``text`` (paragraphs), ``headline`` (h2, optional paragraphs), ``image`` (a figure
    plus optional paragraphs), ``list``, ``video`` or ``cta``.
    """

    kind: str
    paragraphs: list[list[Inline] | str] = field(default_factory=list)
    heading: str | None = None
    picture: Picture | None = None
    items: list[str] = field(default_factory=list)
    url: str | None = None  # video or call-to-action target
    label: str | None = None  # video title or call-to-action text


@dataclass
class Teaser:
    """One teaser of the "Weitere Nachrichten" slider or of a listing."""

    path: str
    title: str
    day: date
    district: str | None = None
    text: str | None = None
    picture: Picture | None = None
    topline: str | None = None


@dataclass
class ArticlePage:
    path: str  # site-relative, may hold non-ASCII characters
    title: str
    day: date
    at: time | None = time(10, 0)
    topline: str | None = None
    lead: str | None = None
    blocks: list[BodyBlock] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    related: list[Teaser] = field(default_factory=list)
    page_id: str = "10000"
    description: str | None = None
    og_image: str | None = None
    menu_bytes: int = 2000  # size of the menu JSON in the header (the real page has ~380 KB)

    @property
    def url(self) -> str:
        return HOST + self.path

    @property
    def section(self) -> str:
        return "press" if "presse" in self.path else "news"


def paragraph_html(paragraph: list[Inline] | str) -> str:
    parts = [paragraph] if isinstance(paragraph, str) else paragraph
    return "".join(f"<strong>{t(p.text)}</strong>" if isinstance(p, Strong) else t(p) for p in parts)


def _figure(picture: Picture, slot: str = "media", lazy: bool = False) -> str:
    caption = f'<div slot="text" >\n{t(picture.caption)}\n</div>\n' if picture.caption else ""
    licence = f'<div slot="licence">\n{picture.credit.html()}\n</div>\n' if picture.credit else ""
    overlay = f"<dtm-caption>\n{licence}</dtm-caption>\n" if picture.overlay_credit and picture.credit else ""
    loading = ' loading="lazy"' if lazy else ""
    return (
        f'<figure slot="{slot}">\n<picture>\n<img src="{a(picture.src)}"\nalt="{a(picture.alt)}"\n'
        f'width="460" height="192"{loading}\n>\n</picture>\n{overlay}'
        f'<figcaption slot="figcaption" >\n<dtm-caption>\n{caption}{licence}</dtm-caption>\n'
        f"</figcaption>\n</figure>\n"
    )


def _block_html(block: BodyBlock, number: int) -> str:
    inner = []
    if block.kind == "image" and block.picture:
        inner.append(_figure(block.picture))
    if block.heading:
        inner.append(f'<h2 slot="headline" >{t(block.heading)}</h2>\n')
    if block.kind == "list":
        items = "".join(f"<li>{t(item)}</li>" for item in block.items)
        inner.append(f'<div slot="content" >\n<ul>{items}</ul>\n</div>\n')
    if block.paragraphs:
        text = "".join(f"<p>{paragraph_html(p)}</p>" for p in block.paragraphs)
        inner.append(f'<div slot="content" >\n{text}\n</div>\n')
    if block.kind == "video":
        inner.append(
            f'<div slot="video" >\n<dtm-video\nvideo-url="{a(block.url or "")}"\n'
            f'video-title="{a(block.label or "")}"\nprivacy-settings-service="youtube"\n>\n'
            '<p slot="privacySettingsContent">\nInformationen zum Datenschutz finden Sie in der\n'
            '<dtm-anchor arrow>\n<a href="/allgemeines/datenschutz/" target="_self" >'
            "städtischen Datenschutzerklärung</a>\n</dtm-anchor>\n.\n</p>\n"
            f'<div slot="figcaption">\n<dtm-caption>\n<div slot="text" >\n{t(block.label or "")}\n'
            "</div>\n</dtm-caption>\n</div>\n</dtm-video>\n</div>\n"
        )
    if block.kind == "cta":
        inner.append(
            '<div slot="cta">\n<dtm-anchor text-button text-button-variant="primary" >'
            f'<a href="{a(block.url or "")}" target="_blank" >{t(block.label or "")}</a></dtm-anchor>\n</div>\n'
        )
    return f'<dtm-text-image\nid="block{number:04d}"\nimage-alignment="full"\n>\n{"".join(inner)}</dtm-text-image>\n'


def teaser_html(teaser: Teaser, size: str = "small") -> str:
    """A dtm-teaser as in the slider (and, with a topline, as in listings)."""
    district = f"\n<div>\n{t(teaser.district)}\n</div>" if teaser.district else ""
    topline = f'<span slot="topline">{t(teaser.topline)}</span>\n' if teaser.topline else ""
    text = f'<p slot="text">\n{t(teaser.text)}\n</p>\n' if teaser.text else ""
    figure = _figure(teaser.picture, lazy=True) if teaser.picture else ""
    return (
        f'<dtm-teaser\nteaser-size="{size}"\nteaser-color="news"\n>\n<a\nslot="link"\nhref="{a(teaser.path)}"\n'
        f'aria-label="Zur Detailseite von &#34;{a(teaser.title)}&#34;"\n></a>\n{topline}'
        f"<span slot='headline'>\n{t(teaser.title)}\n</span>\n"
        f'<div slot="date">\n{german_date(teaser.day)}{district}\n</div>\n{text}{figure}</dtm-teaser>\n'
    )


@lru_cache(maxsize=8)  # the same few sizes on every page; ~400 KB of JSON takes ~20 ms to build
def _menu_script(size: int) -> str:
    """A menu JSON of about ``size`` bytes, shaped like the site's NAVIGATION_STRUCTURE."""
    nodes, total, n = [], 0, 0
    while total < size:
        node = {"name": f"Bereich {n}", "url": f"/services/bereich-{n}/", "children": [], "external": False, "id": n}
        nodes.append(node)
        total += len(json.dumps(node)) + 1
        n += 1
    return f"<script>\nwindow.NAVIGATION_STRUCTURE = {json.dumps(nodes)}\n</script>\n"


def script_json(data: object) -> str:
    """JSON for a ``<script>`` element: ``<`` escaped, so a ``</script>`` in a headline cannot end it."""
    return json.dumps(data, ensure_ascii=False, indent=0).replace("<", "\\u003c")


def page_html(
    *,
    title: str,
    main: str,
    canonical: str | None,
    head_extra: str = "",
    menu_bytes: int = 2000,
    charset: str = "UTF-8",
) -> str:
    """The frame every page of the site shares: head, header with menu, <main>, footer."""
    canonical_link = f'<link rel="canonical" href="{a(canonical)}">\n' if canonical else ""
    return (
        '\n<!DOCTYPE html>\n<html lang="de-DE">\n<head>\n'
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
        f"<title>{t(title)} | dortmund.de</title>\n{canonical_link}{head_extra}"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="stylesheet" href="/assets-v2/package/dist/www/main.css">\n</head>\n<body >\n'
        '<dtm-app-wrapper>\n<div class="dtm-default-layout" highlight-color="news">\n'
        '<div class="dtm-default-layout__header">\n<dtm-header>\n'
        '<a href="/" aria-label="Zur Stadt Dortmund Startseite"></a>\n'
        f'{_menu_script(menu_bytes)}<dtm-sticky-menu slot="menu" id="main-nav"></dtm-sticky-menu>\n'
        "</dtm-header>\n<dtm-sender-identifier>Newsroom</dtm-sender-identifier>\n"
        '<dtm-back-link label="zurück" fallback-url="/newsroom/nachrichten/"></dtm-back-link>\n</div>\n'
        f"{main}"
        '<div class="dtm-default-layout__footer dtm-default-layout__footer--news">\n'
        '<footer class="footer" aria-label="Fußzeile" >\n'
        "<p>Hier können Sie einstellen, welche externen Dienste Sie auf dortmund.de zulassen möchten.</p>\n"
        '<a href="/allgemeines/datenschutz/">Datenschutz</a>\n'
        '<a href="/allgemeines/sitemap/">Sitemap</a>\n'
        "</footer>\n</div>\n</div>\n</dtm-app-wrapper>\n</body>\n</html>\n"
    )


def render_article(page: ArticlePage, canonical_host: str = HOST) -> str:
    """The HTML of an article page in the dtm-* markup."""
    canonical = canonical_host + page.path
    time_html = (
        f'<time datetime="{page.at:%H:%M}">\n<div><strong>{german_date(page.day)}</strong></div>\n'
        f"<div><strong>{page.at:%H:%M} Uhr</strong></div>\n</time>"
        if page.at
        else f"<time>\n<div><strong>{german_date(page.day)}</strong></div>\n</time>"
    )
    topline = f'<p class="heading__topline" >{t(page.topline)}</p>\n' if page.topline else ""
    ld = {
        "@context": "https://schema.org",
        "@type": "Article",
        "mainEntityOfPage": {"@type": "WebPage", "@id": "/newsroom/nachrichten/"},
        "headline": page.title,
        "description": page.description or "",
        "publisher": {"@type": "Organization", "name": "dortmund.de"},
        "datePublished": page.day.isoformat(),
    }
    if page.og_image:
        ld["image"] = HOST + page.og_image
    lead = (
        f'<dtm-text-image id="Text" image-alignment="full">\n<p slot="teaser" >{t(page.lead)}</p>\n</dtm-text-image>\n'
        if page.lead
        else ""
    )
    tags = ""
    if page.tags:
        anchors = "".join(
            '<dtm-anchor text-button text-button-variant="tertiary"\n>\n'
            f'<a href="/newsroom/nachrichten/?customContentTags={quote(tag)}">\n{t(tag)}\n</a>\n</dtm-anchor>\n'
            for tag in page.tags
        )
        tags = (
            f'<dtm-category-badge-list>\n<h4 slot="headline">Schlagwörter</h4>\n{anchors}</dtm-category-badge-list>\n'
        )
    slider = (
        '<dtm-teaserslider\nid="more-news"\nprev-arrow-label="Vorherige Nachrichten"\n'
        "next-arrow-label=\"weitere Nachrichten\">\n<h2 slot='mainheadline'>Weitere Nachrichten</h2>\n"
        '<dtm-anchor arrow bold slot="detailsLink">\n<a href="/newsroom/nachrichten/">\nMehr Nachrichten\n'
        '</a>\n</dtm-anchor>\n<div slot="slides">\n'
        + "".join(teaser_html(teaser) for teaser in page.related)
        + "</div>\n</dtm-teaserslider>\n"
    )
    main = (
        f'<main>\n<script type="application/ld+json">\n{script_json(ld)}\n</script>\n'
        '<section class="dtm-default-layout__introduction">\n<div class="container heading" id="Einleitungstext">\n'
        f'{topline}<h1 >{t(page.title)}</h1>\n<div slot="teaser">\n{time_html}\n</div>\n</div>\n'
        f"</dtm-text-image>\n</section>\n{lead}"
        + "".join(_block_html(block, n) for n, block in enumerate(page.blocks))
        + tags
        + slider
        + "</main>\n"
    )
    head = ""
    if page.description:
        head += f'<meta name="description" content="{a(page.description)}">\n'
    if page.og_image:
        head += f'<meta property="og:image" content="{a(HOST + page.og_image)}">\n'
    head += f'<meta name="pageId" content="{a(page.page_id)}">\n'
    return page_html(title=page.title, main=main, canonical=canonical, head_extra=head, menu_bytes=page.menu_bytes)


def relaunched(html: str) -> str:
    """An article page after an imagined relaunch: the component library renamed (``dtm-*`` →
    ``stadt-*``), as a redesign does. The product's layouts no longer recognise it; ``doctor`` and
    the drift alerts must say so. Served by the replica with ``changed_markup`` (``--changed-markup``)."""
    return html.replace("<dtm-", "<stadt-").replace("</dtm-", "</stadt-")


def render_listing(
    title: str,
    teasers: list[Teaser],
    *,
    canonical: str | None = None,
    next_path: str | None = None,
    prev_path: str | None = None,
    extra_links: Sequence[tuple[str, str]] = (),
) -> str:
    """A listing page ("Dortmund aktuell", section indexes): teasers with pagination links."""
    pager = ""
    if prev_path:
        pager += f'<a rel="prev" class="pagination__prev" href="{a(prev_path)}">Zurück</a>\n'
    if next_path:
        pager += f'<a rel="next" class="pagination__next" href="{a(next_path)}">Weiter</a>\n'
    links = "".join(f'<a href="{a(href)}">{t(label)}</a>\n' for href, label in extra_links)
    main = (
        f'<main>\n<section class="dtm-default-layout__listing">\n<h1>{t(title)}</h1>\n<div class="teaser-list">\n'
        + "".join(teaser_html(teaser, size="medium") for teaser in teasers)
        + f'</div>\n<nav class="pagination" aria-label="Seiten">\n{pager}</nav>\n{links}</section>\n</main>\n'
    )
    return page_html(title=title, main=main, canonical=canonical)


def render_error_page(status: int = 404) -> str:
    """The site's error page: a dtm frame with a message and no article."""
    main = (
        f'<main>\n<section class="dtm-default-layout__error">\n<h1>Seite nicht gefunden ({status})</h1>\n'
        "<p>Die angeforderte Seite gibt es leider nicht.</p>\n</section>\n</main>\n"
    )
    return page_html(title="Seite nicht gefunden", main=main, canonical=None)
