"""``ReplicaSite``: the replica's one entry point for tests, its state and the answers it serves.

It is a ``SiteState`` (the articles, the queries tests make of them, and the changes between
crawls) that also answers requests: GETs through ``routes.py``, the search API through
``search_api.py``; and it knows what the parser must return for each article (``expected.py``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date
from typing import Any

from . import search_api
from .expected import expected
from .routes import Answer, Routes, not_found
from .state import SiteState


class AnswerCache:
    """Rendered answers by request target, least recently used dropped beyond ``max_bytes`` of bodies.

    Rendering an article costs about a millisecond (a padded one more), which made the replica,
    not the crawler, the bottleneck of a benchmark that fetches the same pages round after round.
    ``max_bytes=0`` caches nothing. Thread-safe: the server renders from several threads.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes, self.size = max_bytes, 0
        self._answers: OrderedDict[tuple[str, str], Answer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> Answer | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
            return answer

    def put(self, key: tuple[str, str], answer: Answer) -> None:
        if len(answer.body) > self.max_bytes:
            return
        with self._lock:
            if key in self._answers:
                return
            self._answers[key] = answer
            self.size += len(answer.body)
            while self.size > self.max_bytes:
                _, dropped = self._answers.popitem(last=False)
                self.size -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._answers)


MENU_BYTES = 3000  # the default menu JSON: small pages for tests


class ReplicaSite(SiteState):
    """A deterministic synthetic newsroom: ``articles`` pages from ``seed``, the newest on ``newest``.

    The same arguments give a byte-identical site; ``sitemap=False`` serves no sitemap, as the
    live site does. ``menu_bytes`` pads every page's header (the live site's menu JSON is ~400 KB);
    ``cache_bytes`` keeps that many bytes of rendered answers (see ``AnswerCache``), cleared by every
    change of the site: anything that changes an answer must go through the methods below.
    """

    MENU_BYTES = MENU_BYTES

    def __init__(
        self,
        articles: int,
        seed: int = 1,
        newest: date | None = None,
        sitemap: bool = True,
        menu_bytes: int = MENU_BYTES,
        cache_bytes: int = 0,
    ) -> None:
        super().__init__(articles, seed=seed, newest=newest, menu_bytes=menu_bytes)
        self.routes = Routes(self, sitemap=sitemap)
        self.cache = AnswerCache(cache_bytes)

    @property
    def sitemap(self) -> bool:
        return self.routes.sitemap

    def expected(self, path: str) -> dict[str, Any]:
        """What ``parse_article`` must return for the page now served at ``path``."""
        return expected(self.page(path))

    def render(self, target: str, base_url: str) -> Answer:
        """The answer to ``GET target``; ``base_url`` is where the replica is served (see ``Routes.answer``)."""
        key = (target, base_url)
        answer = self.cache.get(key)
        if answer is None:
            answer = self.routes.answer(target, base_url)
            self.cache.put(key, answer)
        return answer

    # Every change of the state changes answers: the cache starts again.
    def edit_article(self, path: str, new_paragraph: str) -> None:
        super().edit_article(path, new_paragraph)
        self.cache.clear()

    def add_article(self, title: str | None = None, section: str = "news") -> str:
        path = super().add_article(title, section)
        self.cache.clear()
        return path

    def remove_article(self, path: str, status: int = 404) -> None:
        super().remove_article(path, status)
        self.cache.clear()

    SWITCHES = ("changed_markup", "search_down", "sitemap")

    def set_switch(self, name: str, on: bool) -> None:
        """Flip one of the site's failure switches while it serves, keeping every article and change:
        ``changed_markup`` (article pages in a relaunched markup), ``search_down`` (the search API
        answers 503), ``sitemap`` (off: no sitemap and none named in robots.txt)."""
        if name not in self.SWITCHES:
            raise ValueError(f"unknown switch {name!r} (known: {', '.join(self.SWITCHES)})")
        with self.lock:
            if name == "sitemap":
                self.routes.sitemap = bool(on)
            else:
                setattr(self, name, bool(on))
            self.cache.clear()

    def switches(self) -> dict[str, bool]:
        """Each switch of ``set_switch`` and whether it is on."""
        return {name: bool(getattr(self, name)) for name in self.SWITCHES}

    def break_article(self, path: str) -> None:
        super().break_article(path)
        self.cache.clear()

    def restore_article(self, path: str) -> None:
        super().restore_article(path)
        self.cache.clear()

    def not_found(self) -> Answer:
        return not_found()

    def search_documents(self) -> list[dict[str, Any]]:
        """Every document of the search index, newest news first."""
        return search_api.search_documents(self)

    def search(self, query: str = "*", start: int = 0, size: int = 10) -> dict[str, Any]:
        """The search API's answer for one page of hits; ``SearchWindowError`` beyond 10,000."""
        return search_api.search(self, query, start, size)

    def search_response(self, body: bytes) -> Answer:
        """The answer to ``POST /api/search/proxy/search`` with ``body``."""
        return search_api.search_answer(self, body)
