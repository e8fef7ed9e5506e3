"""Rows a reparse batch writes at its end, one ``executemany`` per statement (``Groups.batch``).

A reparse stores thousands of new articles a batch, each with ~13 statements of a row or a few;
run one by one they were half of a reparse's time at 12 KB pages (bench/reparse_floor.py), and
the rows themselves a third of that. Here the rows no statement of the batch reads back wait:
new articles and their versions' first captures (their ids counted here, as SQLite would give
them), versions, their permalinks and word-index rows, other captures, an article's parts and
slider, each written after the rows it refers to. New articles are written by one ``INSERT … SELECT``, so that the full-text
index takes them in one segment (row by row, FTS5 writes one per statement). The districts
teasers give are set by one statement at the end, as the row-by-row writes left them: each
article's is that of the latest teaser pointing to it (newest run, then last written).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

# Each article targeted gets the district of the latest teaser pointing to it (newest run, then
# the last row written), as _teaser_district and the teasers' own updates leave it row by row.
DISTRICTS_SQL = """
UPDATE articles SET district = latest.district FROM (
    SELECT a.id, (
        SELECT r.district FROM related_links r
        WHERE r.url IN (a.url, a.fetched_url) AND r.district IS NOT NULL
        ORDER BY r.run_id DESC, r.rowid DESC LIMIT 1
    ) AS district
    FROM articles a
    WHERE a.id IN (SELECT value FROM json_each(:ids))
        OR a.url IN (SELECT value FROM json_each(:teasers))
        OR a.fetched_url IN (SELECT value FROM json_each(:teasers))
) AS latest
WHERE articles.id = latest.id AND articles.district IS NOT latest.district
"""

# Each permalink issued for a rebuilt article points at the version now holding its capture.
FOLLOW_PERMALINKS_SQL = """UPDATE version_permalinks SET version_id = (
    SELECT v.id FROM captures c JOIN article_versions v ON v.article_id = c.article_id
    AND v.version = c.version WHERE c.record_id = version_permalinks.record_id)
WHERE article_url = ? AND record_id IS NOT NULL"""


@dataclass
class PendingRows:
    """What a batch writes at its end; ``write`` writes it (the batch is one transaction either way).
    The version ids it issued are counted here (``next_version_id``) until the batch ends."""

    rows: dict[str, list[Sequence[Any]]] = field(default_factory=dict)  # statement → rows, in first-use order
    # (table, article id, …) → (statement, rows): an article's parts and slider, the last ones given
    replaced: dict[tuple[Any, ...], tuple[str, Sequence[Sequence[Any]]]] = field(default_factory=dict)
    articles: set[int] = field(default_factory=set)  # articles with rows here
    new_articles: list[int] = field(default_factory=list)  # inserted without their district
    teasers: set[str] = field(default_factory=set)  # URLs a teaser with a district points to
    follow: list[str] = field(default_factory=list)  # article URLs whose permalinks to point again
    # new articles' rows, by their columns; their URLs (an article stored again in the batch is read back)
    new_rows: dict[tuple[str, ...], list[Sequence[Any]]] = field(default_factory=dict)
    new_urls: set[str] = field(default_factory=set)
    next_version_id: int | None = None  # the next version id to issue (None: not asked yet)
    next_article_id: int | None = None
    next_capture_id: int | None = None
    failed: str | None = None  # an article's writes failed in the batch: it must not be written
    record_ids: set[str] = field(default_factory=set)  # of the captures here

    def add(self, article_id: int, sql: str, row: Sequence[Any]) -> None:
        """A row of ``article_id`` for ``sql``, written at the end."""
        self.articles.add(article_id)
        self.rows.setdefault(sql, []).append(row)

    def add_article(self, db: sqlite_utils.Database, record: dict[str, Any]) -> int:
        """A new article's row (``record``: its columns but the id), written at the end; its id."""
        if self.next_article_id is None:  # as SQLite gives rowids: one above the largest
            (self.next_article_id,) = db.execute("SELECT coalesce(max(id), 0) + 1 FROM articles").fetchone()
        article_id = int(self.next_article_id)
        self.next_article_id = article_id + 1
        self.new_rows.setdefault(("id", *record), []).append([article_id, *record.values()])
        self.new_urls.add(record["url"])
        self.new_articles.append(article_id)
        self.articles.add(article_id)
        return article_id

    def add_capture(self, db: sqlite_utils.Database, sql: str, row: Sequence[Any], record_id: str | None) -> int:
        """A capture's row (``row``: its columns but the id, ``sql`` takes the id first), written at
        the end, after the articles; its id."""
        if self.next_capture_id is None:
            (self.next_capture_id,) = db.execute("SELECT coalesce(max(id), 0) + 1 FROM captures").fetchone()
        capture_id = int(self.next_capture_id)
        self.next_capture_id = capture_id + 1
        self.add(row[1], sql, [capture_id, *row])
        if record_id:
            self.record_ids.add(record_id)
        return capture_id

    def replace(self, key: tuple[Any, ...], sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """The rows of ``key`` (table, article id, …), instead of any given before."""
        self.articles.add(key[1])
        self.replaced[key] = (sql, rows)

    def write(self, db: sqlite_utils.Database) -> None:
        """Write every row, then what depends on them (permalinks followed, districts); empty after."""
        if self.failed:
            raise RuntimeError(f"an article's writes failed in this batch ({self.failed}); the batch is undone")
        for columns, new in self.new_rows.items():  # first: the parts' triggers read their article
            names = ", ".join(columns)
            db.execute("DROP TABLE IF EXISTS temp.new_articles")
            db.execute(f"CREATE TEMP TABLE new_articles ({names})")
            db.conn.executemany(f"INSERT INTO temp.new_articles VALUES ({', '.join('?' for _ in columns)})", new)
            db.execute(f"INSERT INTO articles ({names}) SELECT {names} FROM temp.new_articles ORDER BY rowid")
            db.execute("DROP TABLE temp.new_articles")
        for sql, rows in self.rows.items():
            db.conn.executemany(sql, rows)
        by_statement: dict[str, list[Sequence[Any]]] = {}
        for sql, last in self.replaced.values():  # an article's last rows given (maybe none)
            if last:
                by_statement.setdefault(sql, []).extend(last)
        for sql, rows in by_statement.items():
            db.conn.executemany(sql, rows)
        db.conn.executemany(FOLLOW_PERMALINKS_SQL, [[url] for url in self.follow])
        if self.new_articles or self.teasers:
            params = {"ids": json.dumps(self.new_articles), "teasers": json.dumps(sorted(self.teasers))}
            db.execute(DISTRICTS_SQL, params)
        collections = (self.rows, self.replaced, self.articles, self.new_articles, self.teasers, self.follow)
        for collection in (*collections, self.new_rows, self.new_urls, self.record_ids):
            collection.clear()
