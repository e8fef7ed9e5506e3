"""What the replica answers to ``GET target``: robots.txt, sitemaps, listings, articles, the error page.

``Routes`` reads a ``SiteState`` and renders its pages with ``markup.py`` into an ``Answer``
(status, body, content type, Last-Modified); ``server.py`` only moves those bytes over HTTP and
``search_api.py`` answers the search API's POSTs. The same state gives byte-identical answers.

Validators: an article's ETag hashes the body, so it also changes when the slider does
(``add_article`` changes the slider of most pages); other pages carry the site's latest
Last-Modified.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

from .content import PRESS_ALIAS
from .markup import (
    HOST,
    ArticlePage,
    Teaser,
    quote_path,
    relaunched,
    render_article,
    render_error_page,
    render_listing,
)
from .state import INTERN, LISTING_ONLY, SITEMAP_ONLY, SiteState

HOME = "/newsroom/"
NEWS_LISTING = "/newsroom/nachrichten/"
PRESS_LISTING = "/newsroom/presse-mitteilungen/"
SITEMAP_INDEX = "/sitemap.xml"
SITEMAPS = {"/sitemaps/news.xml": "news", "/sitemaps/press.xml": "press"}
IMAGES = "/dortmund/bilder/"  # where the articles' pictures are (content.py names them)
# Every picture is the same 1×1 lossy WebP: an image the crawl can archive and a browser can show.
PIXEL_WEBP = base64.b64decode("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA")
PER_PAGE = 10  # teasers per listing page
HOME_TEASERS = 12  # teasers on "Dortmund aktuell"

# Links every listing carries that a crawler must never follow: other hosts (the real site
# included), a mail address, and the disallowed intern area.
OFFSITE_LINKS = [
    ("https://example.org/veranstaltungen/", "Veranstaltungskalender (extern)"),
    (HOST + "/newsroom/nachrichten/", "Nachrichten auf dortmund.de"),
    (HOST + "/allgemeines/impressum/", "Impressum"),
    ("mailto:presse@example.org", "Kontakt zur Pressestelle"),
]
INTERN_LINK = (INTERN, "Redaktionsplanung (intern)")


@dataclass(frozen=True)
class Answer:
    """One answer of the replica: status, body and what the server turns into headers."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    last_modified: datetime | None = None  # UTC

    @cached_property  # hashed once per answer: a cached ~430 KB answer is sent many times
    def etag(self) -> str:
        """A strong validator: the quoted hash of the body."""
        return '"' + hashlib.sha1(self.body).hexdigest()[:24] + '"'

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type, "ETag": self.etag}
        if self.last_modified:
            headers["Last-Modified"] = format_datetime(self.last_modified, usegmt=True)
        return headers


def json_answer(status: int, data: Any) -> Answer:
    """A JSON answer (the search API's and the admin endpoints')."""
    return Answer(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json")


def not_found() -> Answer:
    """The site's error page, 404."""
    return Answer(404, render_error_page(404).encode("utf-8"))


class Routes:
    """The pages of one site: ``answer(target, base_url)`` for every GET; ``sitemap=False`` serves none."""

    def __init__(self, state: SiteState, sitemap: bool = True) -> None:
        self.state, self.sitemap = state, sitemap

    def answer(self, target: str, base_url: str) -> Answer:
        """The answer to ``GET target`` (path and query, raw or percent-encoded).

        ``base_url`` ("http://127.0.0.1:8001") is where the replica is served: robots.txt and
        the sitemaps name absolute URLs on it.
        """
        parts = urlsplit(target)
        path, query = unquote(parts.path), parse_qs(parts.query)
        state = self.state
        with state.lock:
            if path == "/robots.txt":
                return self._ok(self._robots(base_url), "text/plain; charset=utf-8")
            if path == SITEMAP_INDEX or path in SITEMAPS:
                return self._sitemap(path, base_url) if self.sitemap else not_found()
            if path in (HOME, NEWS_LISTING, PRESS_LISTING, PRESS_ALIAS):
                return self._listing(path, query)
            if path == INTERN:
                return self._ok(render_listing("Intern", [_teaser_of(state.intern)]))
            if path == state.intern.path:
                return self._ok(render_article(state.intern))
            if path in state.entries:
                return self._article(path)
            if path.startswith(IMAGES) and path.endswith(".webp"):
                return Answer(200, PIXEL_WEBP, "image/webp", state.last_modified())
            gone = state.gone_status(path)
            return Answer(gone, render_error_page(gone).encode("utf-8")) if gone else not_found()

    def _ok(
        self, text: str, content_type: str = "text/html; charset=utf-8", last_modified: datetime | None = None
    ) -> Answer:
        return Answer(200, text.encode("utf-8"), content_type, last_modified or self.state.last_modified())

    def _article(self, path: str) -> Answer:
        entry = self.state.entries[path]
        html = render_article(self.state.page(path))
        if entry.broken:  # cut halfway through the article, as a dropped connection would
            start, end = html.index("<main>"), html.index("</main>")
            html = html[: (start + end) // 2]
        if self.state.changed_markup:
            html = relaunched(html)
        return self._ok(html, last_modified=entry.modified)

    def _robots(self, base_url: str) -> str:
        lines = ["User-agent: *", f"Disallow: {INTERN}", ""]
        if self.sitemap:
            lines.append(f"Sitemap: {base_url}{SITEMAP_INDEX}")
        return "\n".join(lines) + "\n"

    def _listing(self, path: str, query: dict[str, list[str]]) -> Answer:
        """ "Dortmund aktuell" (12 newest, both sections) or a section index, 10 per page."""
        entries = self.state.entries
        listed = [entries[p] for p in self.state.order if entries[p].discovery != SITEMAP_ONLY]
        links = [INTERN_LINK, *OFFSITE_LINKS]
        if path == HOME:
            teasers = [entry.teaser(topline=True) for entry in listed[:HOME_TEASERS]]
            links = [(NEWS_LISTING, "Alle Nachrichten"), (PRESS_LISTING, "Alle Pressemitteilungen"), *links]
            return self._ok(render_listing("Dortmund aktuell", teasers, canonical=HOST + HOME, extra_links=links))
        section = "news" if path == NEWS_LISTING else "press"
        shown_entries = [e for e in listed if e.page.section == section]
        tag = query.get("customContentTags", [None])[0]
        if tag:  # the tag links of article pages filter the listing
            shown_entries = [e for e in shown_entries if tag in e.page.tags]
        number = _page_number(query)
        pages = max(1, -(-len(shown_entries) // PER_PAGE))
        if number is None or number > pages:
            return not_found()
        base = NEWS_LISTING if section == "news" else PRESS_LISTING
        shown = shown_entries[(number - 1) * PER_PAGE : number * PER_PAGE]

        def link(n: int) -> str:
            args = ([f"customContentTags={quote(tag)}"] if tag else []) + ([f"page={n}"] if n > 1 else [])
            return base + ("?" + "&".join(args) if args else "")

        title = "Nachrichten" if section == "news" else "Pressemitteilungen"
        html = render_listing(
            title,
            [entry.teaser(topline=True) for entry in shown],
            canonical=HOST + link(number),
            next_path=link(number + 1) if number < pages else None,
            prev_path=link(number - 1) if number > 1 else None,
            extra_links=[(HOME, "Dortmund aktuell"), *links],
        )
        return self._ok(html)

    def _sitemap(self, path: str, base_url: str) -> Answer:
        """The sitemap index, or a child sitemap of one section, absolute URLs on ``base_url``."""
        entries = self.state.entries
        in_map = [entries[p] for p in self.state.order if entries[p].discovery != LISTING_ONLY]
        if path == SITEMAP_INDEX:
            children = []
            for child, section in SITEMAPS.items():
                latest = max(
                    (e.modified for e in in_map if e.page.section == section), default=self.state.last_modified()
                )
                children.append(
                    f"<sitemap><loc>{base_url}{child}</loc><lastmod>{latest.isoformat()}</lastmod></sitemap>"
                )
            body = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(children)
            body += "\n</sitemapindex>\n"
        else:
            urls = [
                f"<url><loc>{xml_escape(base_url + quote_path(e.page.path))}</loc>"
                f"<lastmod>{e.modified.isoformat()}</lastmod></url>"
                for e in in_map
                if e.page.section == SITEMAPS[path]
            ]
            body = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(urls) + "\n</urlset>\n"
        return self._ok('<?xml version="1.0" encoding="UTF-8"?>\n' + body, "application/xml")


def _teaser_of(page: ArticlePage) -> Teaser:
    return Teaser(page.path, page.title, page.day, topline=page.topline)


def _page_number(query: dict[str, list[str]]) -> int | None:
    """``?page=N`` (1 when absent); None when it is not a positive number."""
    raw = query.get("page", ["1"])[0]
    return int(raw) if raw.isdigit() and int(raw) >= 1 else None
