"""What changed: the archive-wide changes page and feed, and the comparison of any two versions.

- SQL functions on every connection: ``change_summary(old_data, new_data)`` (the changed fields as one
  German line) and ``only_trivial(old_data, new_data)`` (1 when only whitespace or punctuation
  changed), both reader/diffs.py's, so the page, its JSON/CSV and its feed classify as the article
  and version pages do.
- The canned queries ``changes`` (every new version, newest capture first, trivial ones only with
  ``trivial=1``; ``changes.atom`` is its feed) and ``compare`` (``?from=&to=``: two version ids).
- The Jinja filter ``version_changes`` (two versions' JSON → reader/diffs.py's FieldChange list)
  for the compare template.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from newsroom_scraper.reader import DATABASE_NAME
from newsroom_scraper.reader.diffs import FieldChange, change_summary, changes, only_trivial
from newsroom_scraper.reader.hooks import hookimpl

CHANGES_PAGE_SIZE = 50

# Each change is a version after the first, beside the version before it. Ordered by capture time
# (a backfill may add old versions late, so ids are not time order). The page asks for one row
# more than it shows, to know whether there is a next page.
CHANGES_SQL = f"""
select v.id as version_id, p.id as previous_id, v.article_id, v.version, v.fetched_at,
  coalesce(v.title, a.title) as title, a.url,
  change_summary(p.data, v.data) as fields, only_trivial(p.data, v.data) as trivial,
  'tag:newsroom-archive,2026:' || a.url || '#version-' || v.version as atom_id,
  'Geändert: ' || coalesce(v.title, a.title) as atom_title,
  v.fetched_at as atom_updated,
  '/{DATABASE_NAME}/compare?from=' || p.id || '&to=' || v.id as atom_link,
  'Fassung ' || v.version || ', erfasst ' || v.fetched_at || ' (UTC), geändert: '
    || change_summary(p.data, v.data) as atom_content
from article_versions v
join article_versions p on p.article_id = v.article_id and p.version = v.version - 1
join articles a on a.id = v.article_id
where v.version > 1 and (:trivial != '' or only_trivial(p.data, v.data) = 0)
order by v.fetched_at desc, v.id desc
limit {CHANGES_PAGE_SIZE + 1} offset (max(cast(:page as integer), 1) - 1) * {CHANGES_PAGE_SIZE}
"""

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
    conn.create_function("change_summary", 2, change_summary, deterministic=True)
    conn.create_function("only_trivial", 2, only_trivial, deterministic=True)


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
