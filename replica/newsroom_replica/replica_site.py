"""``ReplicaSite``: the replica's one entry point for tests, its state and the answers it serves.

It is a ``SiteState`` (the articles, the queries tests make of them, and the changes between
crawls) that also answers requests: GETs through ``routes.py``, the search API through
``search_api.py``; and it knows what the parser must return for each article (``expected.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from . import search_api
from .expected import expected
from .routes import Answer, Routes, not_found
from .state import SiteState


class ReplicaSite(SiteState):
    """A deterministic synthetic newsroom: ``articles`` pages from ``seed``, the newest on ``newest``.

    The same arguments give a byte-identical site; ``sitemap=False`` serves no sitemap, as the
    live site does.
    """

    def __init__(
        self, articles: int, seed: int = 1, newest: date | None = None, sitemap: bool = True, menu_bytes: int = 3000
    ) -> None:
        super().__init__(articles, seed=seed, newest=newest, menu_bytes=menu_bytes)
        self.routes = Routes(self, sitemap=sitemap)

    @property
    def sitemap(self) -> bool:
        return self.routes.sitemap

    def expected(self, path: str) -> dict[str, Any]:
        """What ``parse_article`` must return for the page now served at ``path``."""
        return expected(self.page(path))

    def render(self, target: str, base_url: str) -> Answer:
        """The answer to ``GET target``; ``base_url`` is where the replica is served (see ``Routes.answer``)."""
        return self.routes.answer(target, base_url)

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
