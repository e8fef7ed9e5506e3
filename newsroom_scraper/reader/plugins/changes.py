"""What changed: the archive-wide changes page and feed, and the comparison of any two versions.

- SQL functions on every connection: ``change_summary(old_hash, new_hash, old_id, new_id)`` (the
  changed fields as one German line) and ``only_trivial(…)`` (1 when only whitespace or punctuation
  changed), both reader/diffs.py's, so the page, its JSON/CSV and its feed classify as the article
  and version pages do; remembered by the two versions' content hashes.
- The canned queries ``changes`` (every new version, newest capture first, trivial ones only with
  ``trivial=1``; ``changes.atom`` is its feed) and ``compare`` (``?from=&to=``: two version ids).
- The Jinja filter ``version_changes`` (two versions' JSON → reader/diffs.py's FieldChange list)
  for the compare template.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from newsroom_scraper.reader import DATABASE_NAME
from newsroom_scraper.reader.diffs import FieldChange, change_summary, changes, only_trivial
from newsroom_scraper.reader.hooks import hookimpl

CHANGES_PAGE_SIZE = 50

# Each change is a version after the first, beside the version before it, ordered by capture time
# (a backfill may add old versions late, so ids are not time order). The page of changes is chosen
# first, classifying only candidates (and none with trivial=1); the summaries are made for the rows
# shown. The page asks for one row more than it shows, to know whether there is a next page.
CHANGES_SQL = f"""
with shown as (
  select v.id as version_id, p.id as previous_id
  from article_versions v
  join article_versions p on p.article_id = v.article_id and p.version = v.version - 1
  where v.version > 1
    and (:trivial != '' or only_trivial(p.content_hash, v.content_hash, p.id, v.id) = 0)
  order by v.fetched_at desc, v.id desc
  limit {CHANGES_PAGE_SIZE + 1} offset (max(cast(:page as integer), 1) - 1) * {CHANGES_PAGE_SIZE}
)
select v.id as version_id, p.id as previous_id, v.article_id, v.version, v.fetched_at,
  coalesce(v.title, a.title) as title, a.url,
  change_summary(p.content_hash, v.content_hash, p.id, v.id) as fields,
  only_trivial(p.content_hash, v.content_hash, p.id, v.id) as trivial,
  'tag:newsroom-archive,2026:' || a.url || '#version-' || v.version as atom_id,
  'Geändert: ' || coalesce(v.title, a.title) as atom_title,
  v.fetched_at as atom_updated,
  '/{DATABASE_NAME}/compare?from=' || p.id || '&to=' || v.id as atom_link,
  'Fassung ' || v.version || ', erfasst ' || v.fetched_at || ' (UTC), geändert: '
    || change_summary(p.content_hash, v.content_hash, p.id, v.id) as atom_content
from shown
join article_versions v on v.id = shown.version_id
join article_versions p on p.id = shown.previous_id
join articles a on a.id = v.article_id
order by v.fetched_at desc, v.id desc
"""

# What each pair of contents changed, by their SHA-256 (a version's content never changes): a
# change is classified once per server, not on every request. Bounded; emptied when full.
CLASSIFIED_MAX = 100_000
_classified: dict[tuple[str, str], tuple[str, int]] = {}


def classified(conn: sqlite3.Connection, old_hash: str, new_hash: str, old_id: int, new_id: int) -> tuple[str, int]:
    """reader/diffs.py's change_summary and only_trivial of two versions, remembered by their hashes;
    the versions' data is read (on the calling connection) only when the pair is new."""
    key = (old_hash, new_hash)
    found = _classified.get(key)
    if found is None:
        data = dict(conn.execute("select id, data from article_versions where id in (?, ?)", [old_id, new_id]))
        old_json, new_json = data.get(old_id), data.get(new_id)
        found = (change_summary(old_json, new_json), only_trivial(old_json, new_json))
        if len(_classified) >= CLASSIFIED_MAX:
            _classified.clear()
        _classified[key] = found
    return found


# The two versions to compare, oldest first; the template refuses versions of different articles.
COMPARE_SQL = """
select v.id, v.article_id, v.version, v.fetched_at, coalesce(v.title, a.title) as title, a.url,
  a.title as current_title, v.data
from article_versions v join articles a on a.id = v.article_id
where v.id in (:from, :to)
order by v.version
"""


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("change_summary", 4, lambda *pair: classified(conn, *pair)[0], deterministic=True)
    conn.create_function("only_trivial", 4, lambda *pair: classified(conn, *pair)[1], deterministic=True)


@hookimpl
def startup(datasette: Any) -> Callable[[], Awaitable[None]]:
    """Classify every change in the background when the server starts, so that the first request
    of the changes page does not classify thousands of versions inside the SQL time limit."""

    async def warm() -> None:
        if DATABASE_NAME in datasette.databases:
            db = datasette.get_database(DATABASE_NAME)
            datasette._newsroom_warm_changes = asyncio.get_running_loop().create_task(db.execute_fn(classify_all))

    return warm


def classify_all(conn: sqlite3.Connection) -> int:
    """Classify every change of the archive (the changes page's candidates); returns how many."""
    pairs = conn.execute(
        """select p.content_hash, v.content_hash, p.id, v.id from article_versions v
        join article_versions p on p.article_id = v.article_id and p.version = v.version - 1
        where v.version > 1 order by v.fetched_at desc limit ?""",
        [CLASSIFIED_MAX],
    ).fetchall()
    for pair in pairs:
        classified(conn, *pair)
    return len(pairs)


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["version_changes"] = version_changes


def version_changes(old_json: str, new_json: str) -> list[FieldChange]:
    """The field changes from one version's stored JSON to another's (the compare page)."""
    return changes(json.loads(old_json), json.loads(new_json))


@hookimpl
def canned_queries(datasette: Any, database: str, actor: Any) -> dict[str, Any] | None:
    if database != DATABASE_NAME:
        return None
    return {
        "changes": {
            "sql": CHANGES_SQL,
            "params": ["trivial", "page"],
            "title": "Newsroom-Archiv: Änderungen",
            "description": "Jede geänderte Fassung, neueste zuerst; nur Leer- oder Satzzeichen-Änderungen mit trivial=1.",
            "hide_sql": True,
        },
        "compare": {
            "sql": COMPARE_SQL,
            "params": ["from", "to"],
            "title": "Zwei Fassungen vergleichen",
            "hide_sql": True,
        },
    }


@hookimpl
def extra_template_vars(template: str, request: Any) -> dict[str, Any] | None:
    if template != f"query-{DATABASE_NAME}-changes.html":
        return None
    return {"page_size": CHANGES_PAGE_SIZE}
