"""The archive database: schema, article versions, crawl runs and errors, full-text search.

This is the only module that talks to the database (sqlite-utils 4). The spider asks
it which articles are known, the pipeline hands it parsed articles, Datasette reads
the file it writes. docs/storage.md describes the tables and the search design.

Every write for one article happens in one transaction, so a crash never leaves an
article row without its version row or with half of its images replaced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlite_utils
from sqlite_utils import Migrations

from .items import Article
from .search_variants import fts_query, spelling_variants

# Columns of articles_fts, in this order: snippet() and bm25() address them by index.
FTS_COLUMNS = ["title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants"]
_SNIPPET_COLUMN = FTS_COLUMNS.index("body_text")

# Columns save_article writes from the Article itself (the rest is bookkeeping).
_CONTENT_COLUMNS = [
    "page_id", "section", "title", "topline", "published_at", "published_date", "description",
    "og_image", "lead", "body_text", "body_html", "layout", "tags_text", "credits_text",
    "search_variants", "content_hash",
]
# Fields that do not make a new version: the slider changes daily, the URL is the
# key, and a re-parse by a newer layout of the same text is not a change of the article.
_UNVERSIONED_FIELDS = ("related", "url", "layout")

# What known_articles() and refresh_candidates() return for each article.
_KNOWN_COLUMNS = "id, url, fetched_url, published_at, etag, last_modified"

MIGRATIONS = Migrations("newsroom_archive")


@MIGRATIONS(name="0001_initial_schema")
def _initial_schema(db: sqlite_utils.Database) -> None:
    """Create every table, index and the FTS index of the first archive version."""
    db.executescript(_SCHEMA_SQL)
    db["articles"].enable_fts(FTS_COLUMNS, tokenize="trigram", create_triggers=True)
    # sqlite-utils' update trigger fires on every UPDATE, so merely noting that an
    # article was checked would re-index its whole text. Fire only when an indexed
    # column is written. (Re-create this after any table.transform(), which drops
    # FTS triggers: enable_fts(..., replace=True) then this statement again.)
    db.executescript(_NARROW_UPDATE_TRIGGER_SQL)


_SCHEMA_SQL = """
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,  -- rowid of articles_fts: must survive VACUUM
    url TEXT NOT NULL UNIQUE,  -- canonical URL, the archive's key
    fetched_url TEXT,  -- the URL the page was last fetched from
    page_id TEXT,
    section TEXT,
    title TEXT,
    topline TEXT,
    published_at TEXT,  -- ISO 8601, with offset, or a date only
    published_date TEXT,  -- first 10 characters of published_at, for facets and sorting
    description TEXT,
    og_image TEXT,
    lead TEXT,
    body_text TEXT,
    body_html TEXT,
    layout TEXT,
    tags_text TEXT,  -- tags joined by ", "
    credits_text TEXT,  -- distinct image credits joined by "; "
    search_variants TEXT,  -- other spellings of the words (ä/ae/a, ß/ss), for FTS only
    first_seen_at TEXT NOT NULL,
    last_checked_at TEXT NOT NULL,
    last_changed_at TEXT NOT NULL,
    version_count INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT
);
CREATE INDEX idx_articles_fetched_url ON articles(fetched_url);
CREATE INDEX idx_articles_published_date ON articles(published_date);
CREATE INDEX idx_articles_section ON articles(section);

CREATE TABLE images (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    src TEXT NOT NULL,
    alt TEXT,
    caption TEXT,
    credit TEXT,
    credit_by TEXT,
    credit_agency TEXT,
    PRIMARY KEY (article_id, position)
);
CREATE TABLE videos (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    title TEXT,
    PRIMARY KEY (article_id, position)
);
CREATE TABLE links (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    text TEXT,
    PRIMARY KEY (article_id, position)
);
CREATE TABLE tags (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX idx_tags_tag ON tags(tag);

CREATE TABLE crawl_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    start_url TEXT,
    options TEXT,  -- JSON
    finish_reason TEXT,
    stats TEXT,  -- JSON: Scrapy's stats
    new_count INTEGER,
    changed_count INTEGER,
    unchanged_count INTEGER,
    not_modified_count INTEGER,
    error_count INTEGER,
    empty_fields TEXT  -- JSON: field name -> number of articles where it was empty
);

CREATE TABLE related_links (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    run_id INTEGER NOT NULL REFERENCES crawl_runs(id),
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    title TEXT,
    date TEXT,
    district TEXT,
    text TEXT,
    image TEXT,
    image_alt TEXT,
    credit TEXT,
    PRIMARY KEY (article_id, run_id, position)
);
CREATE INDEX idx_related_links_url ON related_links(url);

CREATE TABLE article_versions (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    version INTEGER NOT NULL,  -- 1, 2, ... per article
    content_hash TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    run_id INTEGER REFERENCES crawl_runs(id),
    title TEXT,
    topline TEXT,
    published_at TEXT,
    lead TEXT,
    body_text TEXT,
    body_html TEXT,
    data TEXT NOT NULL,  -- JSON: Article.to_dict() without "related"
    UNIQUE (article_id, version)
);

CREATE TABLE crawl_errors (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES crawl_runs(id),
    url TEXT NOT NULL,
    kind TEXT NOT NULL,  -- "parse", "http", "store", ...
    status INTEGER,
    reason TEXT,
    occurred_at TEXT NOT NULL,
    resolved_at TEXT  -- set when a later fetch of the URL succeeds
);
CREATE INDEX idx_crawl_errors_url ON crawl_errors(url);
"""

_NARROW_UPDATE_TRIGGER_SQL = """
DROP TRIGGER articles_au;
CREATE TRIGGER articles_au AFTER UPDATE OF {columns} ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, {columns}) VALUES ('delete', old.rowid, {old});
  INSERT INTO articles_fts (rowid, {columns}) VALUES (new.rowid, {new});
END;
""".format(
    columns=", ".join(FTS_COLUMNS),
    old=", ".join(f"old.{c}" for c in FTS_COLUMNS),
    new=", ".join(f"new.{c}" for c in FTS_COLUMNS),
)


class Archive:
    """The archive database file: open it, save articles and runs, search it.

    Use as a context manager, or call ``close()``. ``db`` is the underlying
    ``sqlite_utils.Database`` for read-only use by tests and tools.
    """

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # sqlite-utils turns recursive_triggers on, which FTS sync relies on.
        self.db = sqlite_utils.Database(path)
        # WAL lets Datasette read while a crawl writes.
        self.db.enable_wal()
        # Per connection and outside any transaction: make the REFERENCES real.
        self.db.execute("PRAGMA foreign_keys = ON")
        MIGRATIONS.apply(self.db)

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- crawl runs and errors ---------------------------------------------------

    def start_run(self, start_url: str, options: dict) -> int:
        """Record the start of a crawl and return its run id."""
        cursor = self.db.execute(
            "INSERT INTO crawl_runs (started_at, start_url, options) VALUES (?, ?, ?)",
            [_now(), start_url, _json(options)],
        )
        return int(cursor.lastrowid or 0)

    def finish_run(
        self, run_id: int, finish_reason: str, stats: dict, counts: dict, empty_fields: dict
    ) -> None:
        """Record how a crawl ended: Scrapy's stats, the outcome counts, empty fields.

        ``counts`` has the keys new, changed, unchanged, not_modified and errors;
        missing keys are stored as 0.
        """
        self.db.execute(
            """UPDATE crawl_runs SET finished_at = ?, finish_reason = ?, stats = ?,
                new_count = ?, changed_count = ?, unchanged_count = ?,
                not_modified_count = ?, error_count = ?, empty_fields = ?
            WHERE id = ?""",
            [
                _now(), finish_reason, _json(stats),
                *(int(counts.get(key, 0)) for key in
                  ("new", "changed", "unchanged", "not_modified", "errors")),
                _json(empty_fields), run_id,
            ],
        )

    def record_error(
        self, run_id: int, url: str, kind: str, reason: str, status: int | None = None
    ) -> None:
        """Record a failed fetch, parse or store of ``url``; it is retried next run."""
        self.db.execute(
            """INSERT INTO crawl_errors (run_id, url, kind, status, reason, occurred_at)
            VALUES (?, ?, ?, ?, ?, ?)""",
            [run_id, url, kind, status, reason, _now()],
        )

    def retry_urls(self) -> list[str]:
        """URLs with unresolved errors, each once, oldest error first."""
        rows = self.db.execute(
            """SELECT url FROM crawl_errors WHERE resolved_at IS NULL
            GROUP BY url ORDER BY MIN(id)"""
        )
        return [url for (url,) in rows]

    # -- articles ------------------------------------------------------------------

    def save_article(
        self,
        article: Article,
        *,
        run_id: int,
        fetched_url: str,
        fetched_at: str,
        etag: str | None,
        last_modified: str | None,
    ) -> str:
        """Store a parsed article; return "new", "changed" or "unchanged".

        A new article gets version 1. Same content (see ``content_hash``) only updates
        the fetch bookkeeping; different content becomes the next version and replaces
        the images, videos, links and tags. The slider's related links are stored per
        run either way. Open errors for the URL are marked resolved.
        """
        digest = content_hash(article)
        seen = {"fetched_url": fetched_url, "last_checked_at": fetched_at,
                "etag": etag, "last_modified": last_modified}
        with self.db.atomic():
            row = self._find(article.url)
            if row is None:
                outcome = "new"
                article_id = self._insert_article(article, digest, seen)
            elif row["content_hash"] == digest:
                outcome = "unchanged"
                article_id = row["id"]
                self._update_article(article_id, seen)
            else:
                outcome = "changed"
                article_id = row["id"]
            if outcome != "unchanged":
                version = self._insert_version(article_id, article, digest, fetched_at, run_id)
                if outcome == "changed":
                    self._update_article(article_id, {
                        **_content_columns(article, digest), **seen,
                        "last_changed_at": fetched_at, "version_count": version,
                    })
                self._replace_parts(article_id, article)
            self._replace_related(article_id, run_id, article)
            self._resolve_errors([article.url, fetched_url], fetched_at)
        return outcome

    def mark_not_modified(
        self,
        url: str,
        *,
        run_id: int,
        checked_at: str,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> bool:
        """Note a 304 answer for ``url`` (canonical or fetched URL); False if unknown.

        Only ``last_checked_at`` changes, and the validators when the answer sent new
        ones. Open errors for the URL are resolved too: the page is archived and
        answered, so retrying it again would only ever get another 304.
        ``run_id`` is accepted for symmetry with save_article; nothing stores it yet.
        """
        updates: dict[str, Any] = {"last_checked_at": checked_at}
        if etag is not None:
            updates["etag"] = etag
        if last_modified is not None:
            updates["last_modified"] = last_modified
        with self.db.atomic():
            rows = self.db.execute(
                "SELECT id, url, fetched_url FROM articles WHERE url = ? OR fetched_url = ?",
                [url, url],
            ).fetchall()
            for article_id, canonical, fetched in rows:
                self._update_article(article_id, updates)
                self._resolve_errors([url, canonical, fetched], checked_at)
        return bool(rows)

    def known_articles(self) -> dict[str, dict]:
        """Every archived article, keyed by its canonical URL and by its fetched URL."""
        known: dict[str, dict] = {}
        for row in self._rows(f"SELECT {_KNOWN_COLUMNS} FROM articles"):
            known[row["url"]] = row
            if row["fetched_url"]:
                known.setdefault(row["fetched_url"], row)
        return known

    def refresh_candidates(
        self, *, refresh_days: int, now: dt.datetime, all_articles: bool = False
    ) -> list[dict]:
        """Articles to fetch again: published in the last ``refresh_days`` days, or all.

        Compared on ``published_date`` so that date-only values count; newest first.
        """
        if all_articles:
            return self._rows(
                f"SELECT {_KNOWN_COLUMNS} FROM articles ORDER BY published_date DESC, id"
            )
        cutoff = (now.date() - dt.timedelta(days=refresh_days)).isoformat()
        return self._rows(
            f"""SELECT {_KNOWN_COLUMNS} FROM articles WHERE published_date >= ?
            ORDER BY published_date DESC, id""",
            [cutoff],
        )

    def article_count(self) -> int:
        """How many articles the archive holds."""
        return int(self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def get_article(self, url: str) -> dict | None:
        """The article row for a canonical (or else fetched) URL, or None."""
        rows = self._rows(
            "SELECT * FROM articles WHERE url = :url OR fetched_url = :url "
            "ORDER BY url = :url DESC LIMIT 1",
            {"url": url},
        )
        return rows[0] if rows else None

    # -- search ------------------------------------------------------------------

    def search(self, q: str, limit: int = 20) -> list[dict]:
        """Articles matching the words of ``q``, best first, with a body snippet.

        ``q`` is plain words, not FTS syntax: every word must occur (as a substring,
        in any spelling of ä/ae/a and ß/ss). Words under three characters are ignored.
        The snippet is plain text with ``<mark>`` around hits: escape it before
        showing it as HTML.
        """
        match = fts_query(q)
        if not match:
            return []
        return self._rows(
            f"""SELECT articles.id, articles.url, articles.title, articles.published_at,
                articles.section,
                snippet(articles_fts, {_SNIPPET_COLUMN}, '<mark>', '</mark>', '…', 24) AS snippet,
                articles_fts.rank AS rank
            FROM articles_fts JOIN articles ON articles.id = articles_fts.rowid
            WHERE articles_fts MATCH :match
            ORDER BY articles_fts.rank LIMIT :limit""",
            {"match": match, "limit": limit},
        )

    def check_integrity(self) -> None:
        """Raise ``sqlite3.DatabaseError`` if the file or the FTS index is damaged.

        The FTS check compares the index with the articles table, so it also catches
        an index that triggers failed to keep in sync.
        """
        result = self.db.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise sqlite3.DatabaseError(f"integrity_check: {result}")
        self.db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")

    # -- helpers -----------------------------------------------------------------

    def _rows(self, sql: str, params: list | dict | None = None) -> list[dict]:
        """Run a query and return its rows as dicts."""
        cursor = self.db.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def _find(self, url: str) -> dict | None:
        """The id and content hash of the article with this canonical URL."""
        rows = self._rows("SELECT id, content_hash FROM articles WHERE url = ?", [url])
        return rows[0] if rows else None

    def _insert_article(self, article: Article, digest: str, seen: dict) -> int:
        """Insert the row of a new article (version 1) and return its id."""
        record = {
            "url": article.url, **_content_columns(article, digest), **seen,
            "first_seen_at": seen["last_checked_at"],
            "last_changed_at": seen["last_checked_at"], "version_count": 1,
        }
        columns = ", ".join(record)
        marks = ", ".join("?" for _ in record)
        cursor = self.db.execute(
            f"INSERT INTO articles ({columns}) VALUES ({marks})", list(record.values())
        )
        return int(cursor.lastrowid or 0)

    def _update_article(self, article_id: int, values: dict) -> None:
        """Set some columns of one article row."""
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.db.execute(
            f"UPDATE articles SET {assignments} WHERE id = ?", [*values.values(), article_id]
        )

    def _insert_version(
        self, article_id: int, article: Article, digest: str, fetched_at: str, run_id: int
    ) -> int:
        """Append the next version of an article and return its number."""
        (version,) = self.db.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM article_versions WHERE article_id = ?",
            [article_id],
        ).fetchone()
        data = article.to_dict()
        data.pop("related")
        self.db["article_versions"].insert({
            "article_id": article_id, "version": version, "content_hash": digest,
            "fetched_at": fetched_at, "run_id": run_id, "title": article.title,
            "topline": article.topline, "published_at": article.published_at,
            "lead": article.lead, "body_text": article.body_text,
            "body_html": article.body_html, "data": _json(data),
        })
        return int(version)

    def _replace_parts(self, article_id: int, article: Article) -> None:
        """Make images, videos, links and tags those of the current version."""
        parts = {
            "images": [vars(image) for image in article.images],
            "videos": [vars(video) for video in article.videos],
            "links": [vars(link) for link in article.links],
            "tags": [{"tag": tag} for tag in article.tags],
        }
        for table, records in parts.items():
            self.db.execute(f"DELETE FROM {table} WHERE article_id = ?", [article_id])
            self._insert_positioned(table, {"article_id": article_id}, records)

    def _replace_related(self, article_id: int, run_id: int, article: Article) -> None:
        """Store the slider as this run saw it, replacing only this run's rows."""
        self.db.execute(
            "DELETE FROM related_links WHERE article_id = ? AND run_id = ?", [article_id, run_id]
        )
        self._insert_positioned(
            "related_links", {"article_id": article_id, "run_id": run_id},
            [vars(link) for link in article.related],
        )

    def _insert_positioned(self, table: str, key: dict, records: list[dict]) -> None:
        """Insert records with ``key`` and their 1-based position in the page."""
        if records:
            self.db[table].insert_all(
                {**key, "position": position, **record}
                for position, record in enumerate(records, start=1)
            )

    def _resolve_errors(self, urls: list[str | None], resolved_at: str) -> None:
        """Mark open errors of any of these URLs as resolved."""
        urls = sorted({url for url in urls if url})
        marks = ", ".join("?" for _ in urls)
        self.db.execute(
            f"""UPDATE crawl_errors SET resolved_at = ?
            WHERE resolved_at IS NULL AND url IN ({marks})""",
            [resolved_at, *urls],
        )


def content_hash(article: Article) -> str:
    """SHA-256 of the article's content as canonical JSON.

    Leaves out the related links, the URL and the layout (see _UNVERSIONED_FIELDS),
    so that only a change of what the article says makes a new version.
    """
    data = article.to_dict()
    for name in _UNVERSIONED_FIELDS:
        data.pop(name, None)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _content_columns(article: Article, digest: str) -> dict[str, Any]:
    """The articles-table columns that come from the article's content."""
    tags_text = ", ".join(article.tags)
    credits = dict.fromkeys(image.credit for image in article.images if image.credit)
    credits_text = "; ".join(credits)
    indexed = [article.title, article.topline, article.lead, article.body_text,
               tags_text, credits_text]
    values = {
        "page_id": article.page_id, "section": article.section, "title": article.title,
        "topline": article.topline, "published_at": article.published_at,
        "published_date": (article.published_at or "")[:10] or None,
        "description": article.description, "og_image": article.og_image,
        "lead": article.lead, "body_text": article.body_text,
        "body_html": article.body_html, "layout": article.layout,
        "tags_text": tags_text or None, "credits_text": credits_text or None,
        "search_variants": spelling_variants("\n".join(t for t in indexed if t)) or None,
        "content_hash": digest,
    }
    assert list(values) == _CONTENT_COLUMNS  # keep the documented column list honest
    return values


def _now() -> str:
    """The current UTC time as ISO 8601 with offset, to the second."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _json(value: Any) -> str:
    """JSON text for any stats-like value (datetimes as ISO 8601, others as str)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    """Make the values json.dumps cannot handle serialisable."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)
