"""The replica's admin actions (``POST /_replica/<action>``) and the journal that survives a restart.

A test or a benchmark in another process changes the running site with these; each takes a
JSON object and answers one:

- ``add`` ``{"title"?, "section"?}`` → ``{"path", "published_at"}`` (dated by the clock when set)
- ``edit`` ``{"path", "paragraph"}`` → ``{"path", "modified"}`` (Last-Modified: the clock)
- ``remove`` ``{"path", "status"?}`` → the article leaves the site; its URL answers 404 (default) or 410
- ``break`` / ``restore`` ``{"path"}`` → the page served cut in the middle / whole again
- ``clock`` ``{"set"?: ISO 8601, "advance"?: seconds}`` → ``{"now", "fixed"}`` (no argument: read it)
- ``switch`` ``{"name", "on"}`` → ``{"switches"}``: ``changed_markup``, ``search_down``, ``sitemap``,
  ``cookie_wall``, flipped while the site serves, every article and change kept
- ``articles`` ``{}`` → ``{"articles": [{"path", "published_at", "modified"}], "removed": {path: status}}``

With a journal (``newsroom-archive replica --state FILE``) every change is appended to FILE as a
JSON line, after a first line naming the site (articles, seed, newest day); a replica started
again with the same FILE replays them, so a restart keeps the added, edited and removed
articles, the clock and the switches. The site's changes are deterministic (an added article's
text comes from the seed and its number), so replaying the same actions gives the same bytes.
"""

from __future__ import annotations

import json
import threading
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .markup import BERLIN

if TYPE_CHECKING:
    from .replica_site import ReplicaSite
    from .server import ReplicaServer

READ_ONLY = {"articles"}  # actions that change nothing (not journaled); "clock" without arguments too
SWITCHES = ("changed_markup", "search_down", "sitemap", "cookie_wall")


class AdminError(ValueError):
    """A request the admin endpoint refuses (HTTP 400)."""


def apply(server: ReplicaServer, action: str, data: dict[str, Any]) -> dict[str, Any]:
    """Carry out one admin action on ``server``'s site; its JSON answer.

    KeyError: no such article or a missing field (HTTP 404); AdminError, ValueError, TypeError:
    a bad request (400); LookupError for an unknown action is a KeyError too.
    """
    site = server.site
    if action == "add":
        path = site.add_article(data.get("title"), data.get("section", "news"))
        return {"path": path, "published_at": _published(site, path)}
    if action == "clock":
        if "set" in data:
            site.set_clock(datetime.fromisoformat(str(data["set"])))
        if "advance" in data:
            site.advance_clock(float(data["advance"]))
        return {"now": site.now().isoformat(), "fixed": site.clock is not None}
    if action == "switch":
        name, on = str(data["name"]), bool(data["on"])
        if name == "cookie_wall":
            server.require_cookie = on
        elif name in SWITCHES:
            site.set_switch(name, on)
        else:
            raise AdminError(f"unknown switch {name!r} (known: {', '.join(SWITCHES)})")
        return {"switches": {**site.switches(), "cookie_wall": server.require_cookie}}
    if action == "articles":
        return _articles(site)
    path = data["path"]
    if action == "edit":
        site.edit_article(path, data["paragraph"])
        return {"ok": True, "path": path, "modified": site.entry(path).modified.isoformat()}
    if action == "remove":
        site.remove_article(path, int(data.get("status", 404)))
    elif action == "break":
        site.break_article(path)
    elif action == "restore":
        site.restore_article(path)
    else:
        raise LookupError(f"unknown admin action {action!r}")
    return {"ok": True, "path": path}


def changes_site(action: str, data: dict[str, Any]) -> bool:
    """Whether the action changes the site (and so goes into the journal)."""
    return action not in READ_ONLY and not (action == "clock" and not data)


def _published(site: ReplicaSite, path: str) -> str:
    """The publication moment of the article at ``path`` (ISO 8601, Berlin time)."""
    page = site.entry(path).page
    moment = datetime.combine(page.day, page.at) if page.at else datetime.combine(page.day, datetime.min.time())
    return moment.replace(tzinfo=BERLIN).isoformat()


def _articles(site: ReplicaSite) -> dict[str, Any]:
    with site.lock:
        rows = [
            {"path": p, "published_at": _published(site, p), "modified": site.entries[p].modified.isoformat()}
            for p in site.order
        ]
        return {"articles": rows, "removed": dict(site.removed)}


class Journal:
    """The replica's changes as JSON lines in ``path`` (see the module's docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def header(self) -> dict[str, Any] | None:
        """The first line's site description (``{"articles", "seed", "newest"}``), None for a new journal."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return None
        with self.path.open(encoding="utf-8") as lines:
            first = json.loads(lines.readline())
        if not isinstance(first, dict) or "site" not in first:
            raise AdminError(f"{self.path}: not a replica journal (its first line names no site)")
        return dict(first["site"])

    def start(self, articles: int, seed: int, newest: date) -> None:
        """Begin a new journal for the site built from these arguments."""
        site = {"articles": articles, "seed": seed, "newest": newest.isoformat()}
        self.path.write_text(json.dumps({"site": site}) + "\n", encoding="utf-8")

    def replay(self, server: ReplicaServer) -> int:
        """Apply every recorded change to ``server``'s freshly built site; how many."""
        count = 0
        with self.path.open(encoding="utf-8") as lines:
            next(lines)
            for line in lines:
                if line.strip():
                    change = json.loads(line)
                    apply(server, change["action"], change["data"])
                    count += 1
        return count

    def record(self, action: str, data: dict[str, Any]) -> None:
        """Append one change (after it was applied)."""
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"action": action, "data": data}, ensure_ascii=False) + "\n")
