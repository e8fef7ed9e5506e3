"""The SQL function ``fts_query()`` for the search canned query: reader's words → a safe FTS5 query.

It is the archive's own ``search.variants.fts_query``: each word a quoted phrase (so
hyphens, quotes or a stray ``OR`` never become FTS5 syntax errors), ORed with its
spelling variants, words ANDed.
"""

import sqlite3

from newsroom_scraper.reader.hooks import hookimpl
from newsroom_scraper.search.sql import bounded
from newsroom_scraper.search.variants import fts_query


def _safe_fts_query(text: str | None) -> str:
    return fts_query(text or "") or '""'  # nothing searchable: a phrase that matches nothing


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("fts_query", 1, bounded(_safe_fts_query), deterministic=True)  # issue 17, 1
