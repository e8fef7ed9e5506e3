"""The replica's content and state: a deterministic synthetic Dortmund newsroom (no HTTP here).

``ReplicaSite`` invents ``articles`` article pages from ``random.Random(seed)`` and renders
every page the replica serves (articles, listings, sitemaps, robots.txt, search API answers)
as a ``Response``. ``server.py`` only moves those bytes over HTTP. The same seed and the same
``newest`` date give a byte-identical site. The articles' text comes from ``content.py``.

Discovery classes, fixed when the site is built, by an article's index ``i`` in the initial
newest-first list (articles added later with ``add_article`` are always in both):

- ``i % 10 == 3``: **listing-only**: in the listings and the sliders, absent from the sitemaps;
- ``i % 10 == 7``: **sitemap-only**: in the sitemaps and the search API, absent from every HTML
  link (listings and the "Weitere Nachrichten" sliders), so a crawl without the sitemap finds
  it only through the search API;
- every other article is in both. Every article is in the search API.

Validators: an article's Last-Modified is its publication moment (Europe/Berlin, as UTC),
moved to "now" by ``edit_article``; its ETag hashes the body, so it also changes when the
slider does (``add_article`` changes the slider of most pages). Other pages carry the site's
latest Last-Modified.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from itertools import islice
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

from ..text.dates import BERLIN
from ..text.urls import canonical_url
from . import fixtures
from .content import PRESS_ALIAS, RECURRING_TITLES, invent_article, publication_moments
from .fixtures import HOST, NEWS, ArticlePage, Block, Picture, Teaser

HOME = "/newsroom/"
NEWS_LISTING = "/newsroom/nachrichten/"
PRESS_LISTING = "/newsroom/presse-mitteilungen/"
INTERN = "/newsroom/intern/"  # disallowed in robots.txt, linked from every listing
SEARCH_API = "/api/search/proxy/search"
SITEMAP_INDEX = "/sitemap.xml"
SITEMAPS = {"/sitemaps/news.xml": "news", "/sitemaps/press.xml": "press"}
PER_PAGE = 10  # teasers per listing page
HOME_TEASERS = 12  # teasers on "Dortmund aktuell"
SLIDER = 6  # teasers in an article's "Weitere Nachrichten" slider
SEARCH_WINDOW = 10_000  # Elasticsearch's max_result_window: from + size beyond it fails

LISTING_ONLY, SITEMAP_ONLY, BOTH = "listing-only", "sitemap-only", "both"

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
class Response:
    """One answer of the replica: status, body and what the server turns into headers."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    last_modified: datetime | None = None  # UTC

    @property
    def etag(self) -> str:
        """A strong validator: the quoted hash of the body."""
        return '"' + hashlib.sha1(self.body).hexdigest()[:24] + '"'

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type, "ETag": self.etag}
        if self.last_modified:
            headers["Last-Modified"] = format_datetime(self.last_modified, usegmt=True)
        return headers


class SearchWindowError(ValueError):
    """Raised by ``ReplicaSite.search`` when from + size exceeds 10,000 (HTTP 500, like Elasticsearch)."""


@dataclass
class _Entry:
    """One article as the site keeps it: its page (slider filled at render time) and its state."""

    page: ArticlePage
    discovery: str
    modified: datetime  # UTC, second precision: the page's Last-Modified
    teaser_text: str | None = None
    district: str | None = None
    teaser_picture: Picture | None = None
    broken: bool = False

    def teaser(self, topline: bool = False) -> Teaser:
        page = self.page
        return Teaser(
            page.path,
            page.title,
            page.day,
            district=self.district,
            text=self.teaser_text,
            picture=self.teaser_picture,
            topline=page.topline if topline else None,
        )


def quote_path(path: str) -> str:
    """A site-relative path percent-encoded the way the sitemaps write it.

    >>> quote_path("/newsroom/nachrichten-dortmund.de/„grün“.html")
    '/newsroom/nachrichten-dortmund.de/%E2%80%9Egr%C3%BCn%E2%80%9C.html'
    """
    return quote(path, safe="/")


def _utc(day: date, at: time | None) -> datetime:
    """A Berlin publication moment as UTC (midnight for date-only pages)."""
    return datetime.combine(day, at or time(0, 0), BERLIN).astimezone(UTC)


class ReplicaSite:
    """A deterministic synthetic newsroom: content, state between crawls, and rendering.

    Thread-safe: the server renders from several threads while tests or the admin endpoints
    mutate it.
    """

    def __init__(
        self, articles: int, seed: int = 1, newest: date | None = None, sitemap: bool = True, menu_bytes: int = 3000
    ) -> None:
        self.seed, self.sitemap, self.menu_bytes = seed, sitemap, menu_bytes
        self.search_down = False  # set True to make the search API fail (HTTP 503), as a proxy may
        self.newest = newest or date.today()
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}
        self._order: list[str] = []  # paths, newest first
        self._slugs: set[tuple[str, str]] = set()  # (section, slug) taken
        self._added = 0
        self._build(articles)

    # --- building -------------------------------------------------------------------------

    def _build(self, count: int) -> None:
        rng = random.Random(self.seed)
        moments = publication_moments(rng, count, self.newest)
        ids = sorted(rng.sample(range(20000, 90000), count))  # ids grow with time, as a CMS's do
        pages: list[ArticlePage] = []
        for index, ((day, at), page_id) in enumerate(zip(moments, ids, strict=True)):
            # One annual repeat (same title and slug: the newer one gets -2) and a few recurring titles.
            repeat = pages[1] if index == count // 2 and count >= 4 else None
            title = rng.choice(RECURRING_TITLES) if rng.random() < 0.05 else None
            page, teaser = invent_article(rng, self._free_path, day, at, str(page_id), title=title, repeat=repeat)
            pages.append(page)
            self._entries[page.path] = _Entry(page, BOTH, _utc(day, at), **teaser)
        self._order = [page.path for page in reversed(pages)]
        for index, path in enumerate(self._order):
            self._entries[path].discovery = {3: LISTING_ONLY, 7: SITEMAP_ONLY}.get(index % 10, BOTH)
        self._intern = self._intern_page()

    def _free_path(self, folder: str, slug: str) -> str:
        """The path for ``slug``, with -2, -3 … appended when taken (both press folders share slugs)."""
        section = self._section_of(folder)
        candidate, number = slug, 1
        while (section, candidate) in self._slugs:
            number += 1
            candidate = f"{slug}-{number}"
        self._slugs.add((section, candidate))
        return f"{folder}{candidate}.html"

    @staticmethod
    def _section_of(path: str) -> str:
        return "news" if path.startswith(NEWS) else "press"

    def _intern_page(self) -> ArticlePage:
        """The draft behind /newsroom/intern/: an article page a polite crawler never fetches."""
        text = Block("text", paragraphs=["Dieser Entwurf ist nicht zur Veröffentlichung bestimmt."])
        return ArticlePage(
            path=INTERN + "entwurf-redaktionsplan.html",
            title="Entwurf: Redaktionsplan (intern)",
            day=self.newest,
            at=time(7, 0),
            page_id="10001",
            menu_bytes=self.menu_bytes,
            blocks=[text],
        )

    # --- what tests ask about -------------------------------------------------------------

    def article_paths(self) -> list[str]:
        """Every article's site-relative path (non-ASCII as in the links), newest first."""
        with self._lock:
            return list(self._order)

    def canonical_urls(self) -> list[str]:
        """Every article's canonical URL (on www.dortmund.de, percent-encoded), newest first."""
        return [canonical_url(HOST + path) for path in self.article_paths()]

    def sitemap_only_paths(self) -> list[str]:
        return [p for p in self.article_paths() if self._entries[p].discovery == SITEMAP_ONLY]

    def listing_only_paths(self) -> list[str]:
        return [p for p in self.article_paths() if self._entries[p].discovery == LISTING_ONLY]

    def listed_paths(self) -> list[str]:
        """Articles reachable through the HTML listings (everything but sitemap-only)."""
        return [p for p in self.article_paths() if self._entries[p].discovery != SITEMAP_ONLY]

    def sitemap_paths(self) -> list[str]:
        """Articles in the sitemaps (everything but listing-only)."""
        return [p for p in self.article_paths() if self._entries[p].discovery != LISTING_ONLY]

    def intern_paths(self) -> list[str]:
        """The disallowed pages under /newsroom/intern/ (they exist and answer 200)."""
        return [INTERN, self._intern.path]

    def page(self, path: str) -> ArticlePage:
        """The article at ``path`` (raw or percent-encoded) as it is served now, slider included."""
        with self._lock:
            entry = self._entry(path)
            others = (p for p in self._order if p != entry.page.path and self._entries[p].discovery != SITEMAP_ONLY)
            related = [self._entries[p].teaser() for p in islice(others, SLIDER)]
            return replace(entry.page, related=related, menu_bytes=self.menu_bytes)

    def expected(self, path: str) -> dict[str, Any]:
        """What ``parse_article`` must return for the page now served at ``path``."""
        return fixtures.expected(self.page(path))

    def last_modified(self, path: str | None = None) -> datetime:
        """An article's Last-Modified, or (no path) the site's latest change."""
        with self._lock:
            if path is not None:
                return self._entry(path).modified
            return max((e.modified for e in self._entries.values()), default=_utc(self.newest, None))

    def _entry(self, path: str) -> _Entry:
        """The entry for a raw or percent-encoded path; KeyError when there is none."""
        entry = self._entries.get(path) or self._entries.get(unquote(path))
        if entry is None:
            raise KeyError(path)
        return entry

    # --- mutations between crawls ---------------------------------------------------------

    def edit_article(self, path: str, new_paragraph: str) -> None:
        """Append a paragraph to the body: new bytes, new ETag, later Last-Modified."""
        with self._lock:
            entry = self._entry(path)
            blocks = entry.page.blocks + [Block("text", paragraphs=[new_paragraph])]
            entry.page = replace(entry.page, blocks=blocks)
            now = datetime.now(UTC).replace(microsecond=0)
            entry.modified = max(now, entry.modified) + timedelta(seconds=1)

    def add_article(self, title: str | None = None, section: str = "news") -> str:
        """Publish a new newest article (in both sitemap and listings); returns its path."""
        with self._lock:
            self._added += 1
            rng = random.Random(f"{self.seed}-added-{self._added}")
            top = self._entries[self._order[0]].page if self._order else None
            moment = datetime.combine(top.day, top.at or time(0, 0)) if top else datetime.combine(self.newest, time(6))
            moment += timedelta(minutes=30)
            page_id = str(max((int(e.page.page_id) for e in self._entries.values()), default=20000) + rng.randint(1, 9))
            page, teaser = invent_article(rng, self._free_path, moment.date(), moment.time(), page_id, title, section)
            self._entries[page.path] = _Entry(page, BOTH, _utc(page.day, page.at), **teaser)
            self._order.insert(0, page.path)
            return page.path

    def break_article(self, path: str) -> None:
        """Serve the page cut off in the middle of its article (parse_article: ParseError "truncated")."""
        with self._lock:
            self._entry(path).broken = True

    def restore_article(self, path: str) -> None:
        """Serve the whole page again after ``break_article``."""
        with self._lock:
            self._entry(path).broken = False

    # --- rendering ------------------------------------------------------------------------

    def render(self, target: str, base_url: str) -> Response:
        """The response to ``GET target`` (path and query, raw or percent-encoded).

        ``base_url`` ("http://127.0.0.1:8001") is where the replica is served: robots.txt and
        the sitemaps name absolute URLs on it.
        """
        parts = urlsplit(target)
        path, query = unquote(parts.path), parse_qs(parts.query)
        with self._lock:
            if path == "/robots.txt":
                return self._text(self._robots(base_url), "text/plain; charset=utf-8")
            if path == SITEMAP_INDEX or path in SITEMAPS:
                return self._sitemap(path, base_url) if self.sitemap else self.not_found()
            if path in (HOME, NEWS_LISTING, PRESS_LISTING, PRESS_ALIAS):
                return self._listing(path, query)
            if path == INTERN:
                return self._text(fixtures.render_listing("Intern", [self._teaser_of(self._intern)]))
            if path == self._intern.path:
                return self._text(fixtures.render_article(self._intern))
            if path in self._entries:
                return self._article(path)
            return self.not_found()

    def not_found(self) -> Response:
        return Response(404, fixtures.render_error_page(404).encode("utf-8"))

    def _text(
        self, text: str, content_type: str = "text/html; charset=utf-8", last_modified: datetime | None = None
    ) -> Response:
        return Response(200, text.encode("utf-8"), content_type, last_modified or self.last_modified())

    def _article(self, path: str) -> Response:
        entry = self._entries[path]
        html = fixtures.render_article(self.page(path))
        if entry.broken:  # cut halfway through the article, as a dropped connection would
            start, end = html.index("<main>"), html.index("</main>")
            html = html[: (start + end) // 2]
        return self._text(html, last_modified=entry.modified)

    def _robots(self, base_url: str) -> str:
        lines = ["User-agent: *", f"Disallow: {INTERN}", ""]
        if self.sitemap:
            lines.append(f"Sitemap: {base_url}{SITEMAP_INDEX}")
        return "\n".join(lines) + "\n"

    @staticmethod
    def _teaser_of(page: ArticlePage) -> Teaser:
        return Teaser(page.path, page.title, page.day, topline=page.topline)

    def _listing(self, path: str, query: dict[str, list[str]]) -> Response:
        """ "Dortmund aktuell" (12 newest, both sections) or a section index, 10 per page."""
        listed = [self._entries[p] for p in self._order if self._entries[p].discovery != SITEMAP_ONLY]
        links = [INTERN_LINK, *OFFSITE_LINKS]
        if path == HOME:
            teasers = [entry.teaser(topline=True) for entry in listed[:HOME_TEASERS]]
            links = [(NEWS_LISTING, "Alle Nachrichten"), (PRESS_LISTING, "Alle Pressemitteilungen"), *links]
            return self._text(
                fixtures.render_listing("Dortmund aktuell", teasers, canonical=HOST + HOME, extra_links=links)
            )
        section = "news" if path == NEWS_LISTING else "press"
        entries = [e for e in listed if e.page.section == section]
        tag = query.get("customContentTags", [None])[0]
        if tag:  # the tag links of article pages filter the listing
            entries = [e for e in entries if tag in e.page.tags]
        number = self._page_number(query)
        pages = max(1, -(-len(entries) // PER_PAGE))
        if number is None or number > pages:
            return self.not_found()
        base = NEWS_LISTING if section == "news" else PRESS_LISTING
        shown = entries[(number - 1) * PER_PAGE : number * PER_PAGE]

        def link(n: int) -> str:
            args = ([f"customContentTags={quote(tag)}"] if tag else []) + ([f"page={n}"] if n > 1 else [])
            return base + ("?" + "&".join(args) if args else "")

        title = "Nachrichten" if section == "news" else "Pressemitteilungen"
        html = fixtures.render_listing(
            title,
            [entry.teaser(topline=True) for entry in shown],
            canonical=HOST + link(number),
            next_path=link(number + 1) if number < pages else None,
            prev_path=link(number - 1) if number > 1 else None,
            extra_links=[(HOME, "Dortmund aktuell"), *links],
        )
        return self._text(html)

    @staticmethod
    def _page_number(query: dict[str, list[str]]) -> int | None:
        """``?page=N`` (1 when absent); None when it is not a positive number."""
        raw = query.get("page", ["1"])[0]
        return int(raw) if raw.isdigit() and int(raw) >= 1 else None

    def _sitemap(self, path: str, base_url: str) -> Response:
        """The sitemap index, or a child sitemap of one section, absolute URLs on ``base_url``."""
        in_map = [self._entries[p] for p in self._order if self._entries[p].discovery != LISTING_ONLY]
        if path == SITEMAP_INDEX:
            children = []
            for child, section in SITEMAPS.items():
                latest = max((e.modified for e in in_map if e.page.section == section), default=self.last_modified())
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
        return self._text('<?xml version="1.0" encoding="UTF-8"?>\n' + body, "application/xml")

    # --- the search API -------------------------------------------------------------------

    def search_documents(self) -> list[dict[str, Any]]:
        """Every document of the search index, newest news first, events and pages interleaved."""
        docs: list[dict[str, Any]] = []
        for index, path in enumerate(self._order):
            page = self._entries[path].page
            section_tag = "Nachrichten" if page.section == "news" else "Pressemitteilungen"
            docs.append(
                {
                    "type": "news",
                    "id": page.page_id,
                    "title": page.title,
                    "website_url": path,
                    "date": page.day.isoformat(),
                    "teaser": self._entries[path].teaser_text or page.lead,
                    "contentTags": [{"value": section_tag, "parentValues": ["Newsroom"]}]
                    + [{"value": tag, "parentValues": ["Themen"]} for tag in page.tags],
                }
            )
            if index % 3 == 2:
                docs.append(
                    {
                        "type": "eventdatetime",
                        "title": f"Führung im Westfalenpark ({index})",
                        "website_url": f"/veranstaltungen/fuehrung-westfalenpark-{index}/",
                        "startDate": (page.day + timedelta(days=7)).isoformat(),
                        "contentTags": [{"value": "Freizeit", "parentValues": ["Veranstaltungen"]}],
                    }
                )
            if index % 5 == 4:
                docs.append(
                    {
                        "type": "page",
                        "title": f"Bürgerdienste A–Z ({index})",
                        "website_url": f"/themen/buergerdienste/a-z-{index}/",
                        "contentTags": [],
                    }
                )
        return docs

    def search(self, query: str = "*", start: int = 0, size: int = 10) -> dict[str, Any]:
        """The search proxy's answer for one page of hits; SearchWindowError beyond 10,000."""
        if start + size > SEARCH_WINDOW:
            raise SearchWindowError(f"Result window is too large, from + size must be <= {SEARCH_WINDOW}")
        with self._lock:
            docs = self.search_documents()
        if query.strip() not in ("", "*"):
            words = query.lower().split()
            docs = [d for d in docs if any(word in d["title"].lower() for word in words)]
        hits = [
            {"_index": "dortmund", "_id": f"{d['type']}-{n}", "_score": 1.0, "_source": d} for n, d in enumerate(docs)
        ][start : start + size]
        return {"took": 3, "timed_out": False, "hits": {"total": {"value": len(docs), "relation": "eq"}, "hits": hits}}

    def search_response(self, body: bytes) -> Response:
        """``POST /api/search/proxy/search``: 400 for bad JSON, 500 beyond the result window,
        503 while ``search_down``."""
        if self.search_down:
            return _json(503, {"error": {"type": "unavailable", "reason": "search is down"}, "status": 503})
        try:
            request = json.loads(body.decode("utf-8"))
            query, start, size = request.get("query", "*"), request.get("from", 0), request.get("size", 10)
            if not isinstance(query, str) or not all(isinstance(v, int) and v >= 0 for v in (start, size)):
                raise ValueError("query must be a string, from and size non-negative integers")
        except (ValueError, AttributeError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            return _json(400, {"error": {"type": "parsing_exception", "reason": str(error)}, "status": 400})
        try:
            return _json(200, self.search(query, start, size))
        except SearchWindowError as error:
            return _json(
                500, {"error": {"type": "search_phase_execution_exception", "reason": str(error)}, "status": 500}
            )


def _json(status: int, data: Any) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json")
