"""The replica's state: which articles the site holds and how they change between crawls (no rendering here).

``SiteState`` invents ``articles`` article pages from ``random.Random(seed)`` (their text comes
from ``content.py``) and keeps them newest first with what a server needs to know of each:
its discovery class, its Last-Modified, whether it is served broken. The same seed and the same
``newest`` date give the same articles. ``routes.py`` turns this state into pages.

Discovery classes, fixed when the site is built, by an article's index ``i`` in the initial
newest-first list (articles added later with ``add_article`` are always in both):

- ``i % 10 == 3``: **listing-only**: in the listings and the sliders, absent from the sitemaps;
- ``i % 10 == 7``: **sitemap-only**: in the sitemaps and the search API, absent from every HTML
  link (listings and the "Weitere Nachrichten" sliders), so a crawl without the sitemap finds
  it only through the search API;
- every other article is in both. Every article is in the search API.

An article's Last-Modified is its publication moment (Europe/Berlin, as UTC), moved to "now"
by ``edit_article``.

The site's clock: "now" is the real time until ``set_clock`` fixes it (a simulation of nights
and months); from then on ``add_article`` publishes at the clock's moment, ``edit_article``
stamps the clock, and only ``set_clock``/``advance_clock`` move it. ``remove_article`` takes an
article off the site: it leaves every listing, sitemap, slider and the search API, and its URL
answers 404 or 410 from then on.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from urllib.parse import unquote

from .content import RECURRING_TITLES, invent_article, publication_moments
from .markup import BERLIN, HOST, NEWS, ArticlePage, BodyBlock, Picture, Teaser, quote_path

INTERN = "/newsroom/intern/"  # disallowed in robots.txt, linked from every listing
SLIDER = 6  # teasers in an article's "Weitere Nachrichten" slider

LISTING_ONLY, SITEMAP_ONLY, BOTH = "listing-only", "sitemap-only", "both"


@dataclass
class Entry:
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


def page_ids(rng: random.Random, count: int) -> list[int]:
    """``count`` distinct page ids, ascending: ids grow with time, as a CMS's do.

    Up to 70,000 articles they come from the range every pinned site was built from (the
    same seed gives the same site as before); a larger site draws from a range twice its size.
    """
    span = 70000 if count <= 70000 else 2 * count
    return sorted(rng.sample(range(20000, 20000 + span), count))


def utc(day: date, at: time | None) -> datetime:
    """A Berlin publication moment as UTC (midnight for date-only pages)."""
    return datetime.combine(day, at or time(0, 0), BERLIN).astimezone(UTC)


class SiteState:
    """A deterministic synthetic newsroom's articles, and their changes between crawls.

    Thread-safe: the server renders from several threads while tests or the admin endpoints
    mutate it; readers that need a consistent view hold ``lock``.
    """

    def __init__(self, articles: int, seed: int = 1, newest: date | None = None, menu_bytes: int = 3000) -> None:
        self.seed, self.menu_bytes = seed, menu_bytes
        self.search_down = False  # set True to make the search API fail (HTTP 503), as a proxy may
        self.changed_markup = False  # set True to serve article pages in a relaunched markup (markup.relaunched)
        self.newest = newest or date.today()
        self.clock: datetime | None = None  # UTC; None: the real time (see now())
        self.removed: dict[str, int] = {}  # path → the status it answers now (404 or 410)
        self.lock = threading.RLock()
        self.entries: dict[str, Entry] = {}
        self.order: list[str] = []  # paths, newest first
        self._slugs: set[tuple[str, str]] = set()  # (section, slug) taken
        self._added = 0
        self._build(articles)

    # --- building -------------------------------------------------------------------------

    def _build(self, count: int) -> None:
        rng = random.Random(self.seed)
        moments = publication_moments(rng, count, self.newest)
        ids = page_ids(rng, count)
        pages: list[ArticlePage] = []
        for index, ((day, at), page_id) in enumerate(zip(moments, ids, strict=True)):
            # One annual repeat (same title and slug: the newer one gets -2) and a few recurring titles.
            repeat = pages[1] if index == count // 2 and count >= 4 else None
            title = rng.choice(RECURRING_TITLES) if rng.random() < 0.05 else None
            page, teaser = invent_article(rng, self._free_path, day, at, str(page_id), title=title, repeat=repeat)
            pages.append(page)
            self.entries[page.path] = Entry(page, BOTH, utc(day, at), **teaser)
        self.order = [page.path for page in reversed(pages)]
        for index, path in enumerate(self.order):
            self.entries[path].discovery = {3: LISTING_ONLY, 7: SITEMAP_ONLY}.get(index % 10, BOTH)
        self.intern = self._intern_page()

    def _free_path(self, folder: str, slug: str) -> str:
        """The path for ``slug``, with -2, -3 … appended when taken (both press folders share slugs)."""
        section = "news" if folder.startswith(NEWS) else "press"
        candidate, number = slug, 1
        while (section, candidate) in self._slugs:
            number += 1
            candidate = f"{slug}-{number}"
        self._slugs.add((section, candidate))
        return f"{folder}{candidate}.html"

    def _intern_page(self) -> ArticlePage:
        """The draft behind /newsroom/intern/: an article page a polite crawler never fetches."""
        text = BodyBlock("text", paragraphs=["Dieser Entwurf ist nicht zur Veröffentlichung bestimmt."])
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
        with self.lock:
            return list(self.order)

    def canonical_urls(self) -> list[str]:
        """Every article's canonical URL (on www.dortmund.de, percent-encoded), newest first."""
        return [HOST + quote_path(path) for path in self.article_paths()]

    def sitemap_only_paths(self) -> list[str]:
        return [p for p in self.article_paths() if self.entries[p].discovery == SITEMAP_ONLY]

    def listing_only_paths(self) -> list[str]:
        return [p for p in self.article_paths() if self.entries[p].discovery == LISTING_ONLY]

    def listed_paths(self) -> list[str]:
        """Articles reachable through the HTML listings (everything but sitemap-only)."""
        return [p for p in self.article_paths() if self.entries[p].discovery != SITEMAP_ONLY]

    def sitemap_paths(self) -> list[str]:
        """Articles in the sitemaps (everything but listing-only)."""
        return [p for p in self.article_paths() if self.entries[p].discovery != LISTING_ONLY]

    def intern_paths(self) -> list[str]:
        """The disallowed pages under /newsroom/intern/ (they exist and answer 200)."""
        return [INTERN, self.intern.path]

    def page(self, path: str) -> ArticlePage:
        """The article at ``path`` (raw or percent-encoded) as it is served now, slider included."""
        with self.lock:
            entry = self.entry(path)
            others = (p for p in self.order if p != entry.page.path and self.entries[p].discovery != SITEMAP_ONLY)
            related = [self.entries[p].teaser() for p in islice(others, SLIDER)]
            return replace(entry.page, related=related, menu_bytes=self.menu_bytes)

    def last_modified(self, path: str | None = None) -> datetime:
        """An article's Last-Modified, or (no path) the site's latest change."""
        with self.lock:
            if path is not None:
                return self.entry(path).modified
            return max((e.modified for e in self.entries.values()), default=utc(self.newest, None))

    def entry(self, path: str) -> Entry:
        """The entry for a raw or percent-encoded path; KeyError when there is none."""
        entry = self.entries.get(path) or self.entries.get(unquote(path))
        if entry is None:
            raise KeyError(path)
        return entry

    # --- the clock ------------------------------------------------------------------------

    def now(self) -> datetime:
        """The site's "now" (UTC, whole seconds): the clock when set, else the real time."""
        with self.lock:
            return self.clock or datetime.now(UTC).replace(microsecond=0)

    def set_clock(self, moment: datetime) -> datetime:
        """Fix the site's clock at ``moment`` (timezone-aware); it stays there until set or advanced."""
        if moment.tzinfo is None:
            raise ValueError("the clock needs a time zone (e.g. 2026-12-01T05:30:00+00:00)")
        with self.lock:
            self.clock = moment.astimezone(UTC).replace(microsecond=0)
            return self.clock

    def advance_clock(self, seconds: float) -> datetime:
        """Move the clock on by ``seconds`` (from the real time when it was not set); never back."""
        if seconds < 0:
            raise ValueError("the clock never goes back: advance by 0 or more seconds")
        with self.lock:
            return self.set_clock(self.now() + timedelta(seconds=seconds))

    # --- mutations between crawls ---------------------------------------------------------

    def edit_article(self, path: str, new_paragraph: str) -> None:
        """Append a paragraph to the body: new bytes, new ETag, later Last-Modified."""
        with self.lock:
            entry = self.entry(path)
            blocks = entry.page.blocks + [BodyBlock("text", paragraphs=[new_paragraph])]
            entry.page = replace(entry.page, blocks=blocks)
            # One second on at least, so that two edits within a second still change Last-Modified
            entry.modified = max(self.now(), entry.modified + timedelta(seconds=1))

    def add_article(self, title: str | None = None, section: str = "news") -> str:
        """Publish a new newest article (in both sitemap and listings); returns its path.

        It is dated by the clock when set; otherwise 30 minutes after the newest article (a site
        built for one test stays the same whatever day the test runs).
        """
        with self.lock:
            self._added += 1
            rng = random.Random(f"{self.seed}-added-{self._added}")
            if self.clock is not None:
                moment = self.clock.astimezone(BERLIN).replace(tzinfo=None, second=0)
            else:
                top = self.entries[self.order[0]].page if self.order else None
                moment = (
                    datetime.combine(top.day, top.at or time(0, 0)) if top else datetime.combine(self.newest, time(6))
                )
                moment += timedelta(minutes=30)
            page_id = str(max((int(e.page.page_id) for e in self.entries.values()), default=20000) + rng.randint(1, 9))
            page, teaser = invent_article(rng, self._free_path, moment.date(), moment.time(), page_id, title, section)
            self.entries[page.path] = Entry(page, BOTH, utc(page.day, page.at), **teaser)
            self.order.insert(0, page.path)
            return page.path

    def remove_article(self, path: str, status: int = 404) -> None:
        """Take an article off the site: out of every listing, sitemap, slider and search answer;
        its URL answers ``status`` (404 Not Found or 410 Gone) from now on."""
        if status not in (404, 410):
            raise ValueError(f"a removed article answers 404 or 410, not {status}")
        with self.lock:
            entry = self.entry(path)
            del self.entries[entry.page.path]
            self.order.remove(entry.page.path)
            self.removed[entry.page.path] = status

    def gone_status(self, path: str) -> int | None:
        """404 or 410 for a removed article's raw or percent-encoded path, else None."""
        with self.lock:
            return self.removed.get(path) or self.removed.get(unquote(path))

    def break_article(self, path: str) -> None:
        """Serve the page cut off in the middle of its article (parse_article: ParseError "truncated")."""
        with self.lock:
            self.entry(path).broken = True

    def restore_article(self, path: str) -> None:
        """Serve the whole page again after ``break_article``."""
        with self.lock:
            self.entry(path).broken = False
