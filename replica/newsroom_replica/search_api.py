"""The site's search API (``POST /api/search/proxy/search``), an Elasticsearch proxy, over a ``SiteState``.

Every article is a ``news`` document, interleaved with ``eventdatetime`` and ``page``
documents a crawler must skip. Like Elasticsearch, it fails (500) when from + size exceeds
10,000, and it answers 503 while ``state.search_down`` is set.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from .routes import Answer, json_answer
from .state import SiteState

SEARCH_API = "/api/search/proxy/search"
SEARCH_WINDOW = 10_000  # Elasticsearch's max_result_window: from + size beyond it fails


class SearchWindowError(ValueError):
    """Raised by ``search`` when from + size exceeds 10,000 (HTTP 500, like Elasticsearch)."""


def search_documents(state: SiteState) -> list[dict[str, Any]]:
    """Every document of the search index, newest news first, events and pages interleaved."""
    docs: list[dict[str, Any]] = []
    for index, path in enumerate(state.order):
        page = state.entries[path].page
        section_tag = "Nachrichten" if page.section == "news" else "Pressemitteilungen"
        docs.append(
            {
                "type": "news",
                "id": page.page_id,
                "title": page.title,
                "website_url": path,
                "date": page.day.isoformat(),
                "teaser": state.entries[path].teaser_text or page.lead,
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


def search(state: SiteState, query: str = "*", start: int = 0, size: int = 10) -> dict[str, Any]:
    """The search proxy's answer for one page of hits; SearchWindowError beyond 10,000."""
    if start + size > SEARCH_WINDOW:
        raise SearchWindowError(f"Result window is too large, from + size must be <= {SEARCH_WINDOW}")
    with state.lock:
        docs = search_documents(state)
    if query.strip() not in ("", "*"):
        words = query.lower().split()
        docs = [d for d in docs if any(word in d["title"].lower() for word in words)]
    hits = [{"_index": "dortmund", "_id": f"{d['type']}-{n}", "_score": 1.0, "_source": d} for n, d in enumerate(docs)][
        start : start + size
    ]
    return {"took": 3, "timed_out": False, "hits": {"total": {"value": len(docs), "relation": "eq"}, "hits": hits}}


def search_answer(state: SiteState, body: bytes) -> Answer:
    """The answer to a POST with ``body``: 400 for bad JSON, 500 beyond the result window, 503 while
    ``search_down``."""
    if state.search_down:
        return json_answer(503, {"error": {"type": "unavailable", "reason": "search is down"}, "status": 503})
    try:
        request = json.loads(body.decode("utf-8"))
        query, start, size = request.get("query", "*"), request.get("from", 0), request.get("size", 10)
        if not isinstance(query, str) or not all(isinstance(v, int) and v >= 0 for v in (start, size)):
            raise ValueError("query must be a string, from and size non-negative integers")
    except (ValueError, AttributeError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return json_answer(400, {"error": {"type": "parsing_exception", "reason": str(error)}, "status": 400})
    try:
        return json_answer(200, search(state, query, start, size))
    except SearchWindowError as error:
        return json_answer(
            500, {"error": {"type": "search_phase_execution_exception", "reason": str(error)}, "status": 500}
        )
