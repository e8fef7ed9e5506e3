"""The archive database: schema, article versions, crawl runs and errors, full-text search.

This is the only module that talks to the database (sqlite-utils 4; the schema itself
lives in store_schema.py as migrations). The spider asks it which articles are known,
the pipeline hands it parsed articles, Datasette reads the file it writes.
docs/storage.md describes the tables and the search design.

Every write for one article happens in one transaction, so a crash never leaves an
article row without its version row or with half of its images replaced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlite_utils

from .items import PARTS, Article, content_fields, list_fields, one_value_fields
from .schedule import iso as schedule_iso
from .schedule import next_recheck, schedule_start
from .search_variants import fts_query, spelling_variants
from .store_schema import MIGRATIONS, add_field_columns
from .text.dates import utc_now

# The columns of articles_fts as the migrations built them, in order: snippet() and bm25()
# address them by index (a test compares this with the file).
FTS_COLUMNS = ("title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants")
_SNIPPET_COLUMN = FTS_COLUMNS.index("body_text")
# The list fields of Article with a table of their own; any other list field is a JSON column.
PART_TABLES = {"images": "images", "videos": "videos", "links": "links", "tags": "tags", "related": "related_links"}
# The column of a table whose items are plain values (the others have one column per field).
_PART_COLUMN = {"tags": "tag"}

# What refresh_candidates() returns for each article.
_KNOWN_COLUMNS = "id, url, fetched_url, published_at, etag, last_modified"
# What the next re-check of an article is computed from (schedule.py).
_SCHEDULE_COLUMNS = "id, url, fetched_url, published_at, first_seen_at, last_checked_at, last_changed_at, version_count"


class Archive:
    """The archive database file: open it, save articles and runs, search it.

    Opening creates missing directories and applies pending schema migrations.
    Use as a context manager, or call ``close()``. ``db`` is the underlying
    ``sqlite_utils.Database`` for read-only use by tests and tools. One Archive
    belongs to one thread (sqlite3's default).

    Foreign keys are enforced: ``run_id`` arguments must come from ``start_run``.
    """

    def __init__(self, path: str | Path) -> None:
        # sqlite-utils turns recursive_triggers on, which FTS sync relies on.
        if str(path) == ":memory:":
            self.db = sqlite_utils.Database(memory=True)
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite_utils.Database(Path(path))
        # WAL lets Datasette read while a crawl writes.
        self.db.enable_wal()
        # Per connection and outside any transaction: make the REFERENCES real.
        self.db.execute("PRAGMA foreign_keys = ON")
        MIGRATIONS.apply(self.db)
        add_field_columns(self.db, one_value_fields())
        self.schedule_unscheduled()

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
            [utc_now(), start_url, _json(options)],
        )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, finish_reason: str, stats: dict, counts: dict, empty_fields: dict) -> None:
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
                utc_now(),
                finish_reason,
                _json(stats),
                *(int(counts.get(key, 0)) for key in ("new", "changed", "unchanged", "not_modified", "errors")),
                _json(empty_fields),
                run_id,
            ],
        )

    def get_run(self, run_id: int) -> dict | None:
        """The ``crawl_runs`` row of a run (JSON columns as text), or None."""
        rows = self._rows("SELECT * FROM crawl_runs WHERE id = ?", [run_id])
        return rows[0] if rows else None

    def recent_runs(self, limit: int, before: int | None = None) -> list[dict]:
        """The last ``limit`` finished runs (before run ``before``, if given), newest first."""
        return self._rows(
            "SELECT * FROM crawl_runs WHERE finished_at IS NOT NULL AND id < ? ORDER BY id DESC LIMIT ?",
            [before if before is not None else 2**62, limit],
        )

    def parse_errors_by_reason(self, run_id: int) -> dict[str, int]:
        """How many pages of a run did not parse, by short reason (``truncated``, ``no-article`` …)."""
        rows = self.db.execute(
            """SELECT CASE WHEN instr(reason, ':') > 0 THEN substr(reason, 1, instr(reason, ':') - 1)
                ELSE coalesce(reason, '?') END, COUNT(*)
            FROM crawl_errors WHERE run_id = ? AND kind = 'parse' GROUP BY 1 ORDER BY 2 DESC""",
            [run_id],
        )
        return dict(rows.fetchall())

    def record_drift(self, run_id: int, alerts: list[str]) -> None:
        """Keep a run's drift alerts (drift.py) with the run."""
        self.db.execute("UPDATE crawl_runs SET drift = ? WHERE id = ?", [_json(alerts), run_id])

    def record_error(self, run_id: int, url: str, kind: str, reason: str, status: int | None = None) -> None:
        """Record a failed fetch, parse or store of ``url``; it is retried next run."""
        self.db.execute(
            """INSERT INTO crawl_errors (run_id, url, kind, status, reason, occurred_at)
            VALUES (?, ?, ?, ?, ?, ?)""",
            [run_id, url, kind, status, reason, utc_now()],
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
        run either way. ``etag`` and ``last_modified`` are this response's validators
        (None clears the stored one). Open errors for the canonical or fetched URL are
        marked resolved. Everything happens in one transaction: on any exception the
        archive is as it was before the call.
        """
        digest = content_hash(article)
        seen = {"fetched_url": fetched_url, "last_checked_at": fetched_at, "etag": etag, "last_modified": last_modified}
        with self.db.atomic():
            row = self._find(article.url)
            if row is None:
                outcome = "new"
                seen["recheck_due_at"] = next_recheck(
                    schedule_start(article.published_at, fetched_at, fetched_at, 1), fetched_at
                )
                article_id = self._insert_article(article, digest, seen)
                self._add_version(article_id, article, digest, fetched_at, run_id)
            elif row["content_hash"] == digest:
                outcome = "unchanged"
                article_id = row["id"]
                self._update_article(article_id, {**seen, "recheck_due_at": _next_recheck(row, fetched_at)})
            else:
                outcome = "changed"
                article_id = row["id"]
                version = self._add_version(article_id, article, digest, fetched_at, run_id)
                self._update_article(
                    article_id,
                    {
                        **_content_columns(article, digest),
                        **seen,
                        "last_changed_at": fetched_at,
                        "version_count": version,
                        "recheck_due_at": next_recheck(fetched_at, fetched_at),  # a change restarts the schedule
                    },
                )
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
            rows = self._rows(f"SELECT {_SCHEDULE_COLUMNS} FROM articles WHERE url = ? OR fetched_url = ?", [url, url])
            for row in rows:
                self._update_article(row["id"], {**updates, "recheck_due_at": _next_recheck(row, checked_at)})
                self._resolve_errors([url, row["url"], row["fetched_url"]], checked_at)
        return bool(rows)

    def is_archived(self, urls: list[str]) -> bool:
        """Whether any of ``urls`` is an archived article's canonical or fetched URL."""
        marks = ", ".join("?" for _ in urls)
        sql = f"SELECT 1 FROM articles WHERE url IN ({marks}) OR fetched_url IN ({marks}) LIMIT 1"
        return self.db.execute(sql, [*urls, *urls]).fetchone() is not None

    def refresh_candidates(
        self, *, now: dt.datetime, refresh_days: int | None = None, all_articles: bool = False
    ) -> list[dict]:
        """Articles to fetch again, newest first: those whose scheduled re-check is due at ``now``
        (schedule.py); or, overriding the schedule, all of them, or those published in the last
        ``refresh_days`` days (compared on ``published_date``, so that date-only values count).
        """
        if all_articles:
            return self._rows(f"SELECT {_KNOWN_COLUMNS} FROM articles ORDER BY published_date DESC, id")
        if refresh_days is None:
            return self._rows(
                f"""SELECT {_KNOWN_COLUMNS} FROM articles WHERE recheck_due_at <= ?
                ORDER BY published_date DESC, id""",
                [schedule_iso(now)],
            )
        cutoff = (now.date() - dt.timedelta(days=refresh_days)).isoformat()
        return self._rows(
            f"""SELECT {_KNOWN_COLUMNS} FROM articles WHERE published_date >= ?
            ORDER BY published_date DESC, id""",
            [cutoff],
        )

    def summary(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """What the archive holds: articles by section, versions, runs, open errors, date range,
        re-checks due (at ``now``, default the clock)."""

        def scalar(sql: str) -> Any:
            return self.db.execute(sql).fetchone()[0]

        last_runs = self._rows("SELECT id FROM crawl_runs ORDER BY id DESC LIMIT 1")
        return {
            "articles": scalar("SELECT COUNT(*) FROM articles"),
            "by_section": dict(
                self.db.execute(
                    "SELECT coalesce(section, '?'), COUNT(*) FROM articles GROUP BY 1 ORDER BY 2 DESC"
                ).fetchall()
            ),
            "versions": scalar("SELECT COUNT(*) FROM article_versions"),
            "changed_articles": scalar("SELECT COUNT(*) FROM articles WHERE version_count > 1"),
            "oldest": scalar("SELECT MIN(published_date) FROM articles"),
            "newest": scalar("SELECT MAX(published_date) FROM articles"),
            "runs": scalar("SELECT COUNT(*) FROM crawl_runs"),
            "open_errors": scalar("SELECT COUNT(DISTINCT url) FROM crawl_errors WHERE resolved_at IS NULL"),
            "last_run": self.get_run(last_runs[0]["id"]) if last_runs else None,
            "rechecks": self.recheck_schedule(now or dt.datetime.now(dt.UTC)),
            "recent_runs": self.recent_runs(5),
        }

    def recheck_schedule(self, now: dt.datetime) -> dict[str, Any]:
        """How many re-checks are due at ``now``, within a day and a week after it, and the next."""
        at = [schedule_iso(now + dt.timedelta(days=days)) for days in (0, 1, 7)]
        due = self.db.execute(
            """SELECT SUM(recheck_due_at <= ?), SUM(recheck_due_at <= ?), SUM(recheck_due_at <= ?),
                MIN(CASE WHEN recheck_due_at > ? THEN recheck_due_at END) FROM articles""",
            [*at, at[0]],
        ).fetchone()
        return {"due_now": due[0] or 0, "due_in_a_day": due[1] or 0, "due_in_a_week": due[2] or 0, "next": due[3]}

    def schedule_unscheduled(self) -> int:
        """Give every article without a next re-check time one (an archive older than the
        schedule); returns how many. Indexed: nothing to do costs one lookup."""
        rows = self._rows(f"SELECT {_SCHEDULE_COLUMNS} FROM articles WHERE recheck_due_at IS NULL")
        with self.db.atomic():
            for row in rows:
                self._update_article(row["id"], {"recheck_due_at": _next_recheck(row, row["last_checked_at"])})
        return len(rows)

    def article_count(self) -> int:
        """How many articles the archive holds."""
        return int(self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def get_article(self, url: str) -> dict | None:
        """The article row for a canonical (or else fetched) URL, or None."""
        rows = self._rows(
            "SELECT * FROM articles WHERE url = :url OR fetched_url = :url ORDER BY url = :url DESC LIMIT 1",
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
                snippet(articles_fts, {_SNIPPET_COLUMN}, '<mark>', '</mark>', '…', 64) AS snippet,
                articles_fts.rank AS rank
            FROM articles_fts JOIN articles ON articles.id = articles_fts.rowid
            WHERE articles_fts MATCH :match
            ORDER BY articles_fts.rank LIMIT :limit""",
            {"match": match, "limit": limit},
        )

    def check_integrity(self) -> None:
        """Raise ``sqlite3.DatabaseError`` if the file or the FTS index is damaged.

        The FTS check also compares the index with the articles table, so it catches
        an index that triggers failed to keep in sync.
        """
        result = self.db.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise sqlite3.DatabaseError(f"integrity_check: {result}")
        # rank = 1: without it FTS5 checks an external-content index only against
        # itself, and a stale index (rows the content table no longer has) passes.
        self.db.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")

    # -- helpers -----------------------------------------------------------------

    def _rows(self, sql: str, params: list | dict | None = None) -> list[dict]:
        """Run a query and return its rows as dicts."""
        cursor = self.db.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def _find(self, url: str) -> dict | None:
        """The id, content hash and schedule columns of the article with this canonical URL."""
        rows = self._rows(f"SELECT content_hash, {_SCHEDULE_COLUMNS} FROM articles WHERE url = ?", [url])
        return rows[0] if rows else None

    def _insert_article(self, article: Article, digest: str, seen: dict) -> int:
        """Insert the row of a new article (version 1) and return its id."""
        record = {
            "url": article.url,
            **_content_columns(article, digest),
            **seen,
            "first_seen_at": seen["last_checked_at"],
            "last_changed_at": seen["last_checked_at"],
            "version_count": 1,
        }
        columns = ", ".join(record)
        marks = ", ".join("?" for _ in record)
        cursor = self.db.execute(f"INSERT INTO articles ({columns}) VALUES ({marks})", list(record.values()))
        return int(cursor.lastrowid or 0)

    def _update_article(self, article_id: int, values: dict) -> None:
        """Set some columns of one article row."""
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.db.execute(f"UPDATE articles SET {assignments} WHERE id = ?", [*values.values(), article_id])

    def _add_version(self, article_id: int, article: Article, digest: str, fetched_at: str, run_id: int) -> int:
        """Append the next version of an article, make its parts current, return its number."""
        (version,) = self.db.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM article_versions WHERE article_id = ?",
            [article_id],
        ).fetchone()
        data = article.to_dict()
        data.pop("related")
        self.db.table("article_versions").insert(
            {
                "article_id": article_id,
                "version": version,
                "content_hash": digest,
                "fetched_at": fetched_at,
                "run_id": run_id,
                "title": article.title,
                "topline": article.topline,
                "published_at": article.published_at,
                "lead": article.lead,
                "body_text": article.body_text,
                "body_html": article.body_html,
                "data": _json(data),
            }
        )
        self._replace_parts(article_id, article)
        return int(version)

    def _replace_parts(self, article_id: int, article: Article) -> None:
        """Make images, videos, links and tags those of the current version."""
        for name, table in PART_TABLES.items():
            if name == "related":  # kept per run: _replace_related
                continue
            items = getattr(article, name)
            records = [vars(item) if name in PARTS else {_PART_COLUMN.get(name, name): item} for item in items]
            self.db.execute(f"DELETE FROM {table} WHERE article_id = ?", [article_id])
            self._insert_positioned(table, {"article_id": article_id}, records)

    def _replace_related(self, article_id: int, run_id: int, article: Article) -> None:
        """Store the slider as this run saw it, replacing only this run's rows."""
        self.db.execute("DELETE FROM related_links WHERE article_id = ? AND run_id = ?", [article_id, run_id])
        self._insert_positioned(
            "related_links",
            {"article_id": article_id, "run_id": run_id},
            [vars(link) for link in article.related],
        )

    def _insert_positioned(self, table: str, key: dict, records: list[dict]) -> None:
        """Insert records with ``key`` and their 1-based position in the page."""
        if records:
            self.db.table(table).insert_all(
                {**key, "position": position, **record} for position, record in enumerate(records, start=1)
            )

    def _resolve_errors(self, urls: list[str | None], resolved_at: str) -> None:
        """Mark open errors of any of these URLs as resolved."""
        present = sorted({url for url in urls if url})
        marks = ", ".join("?" for _ in present)
        self.db.execute(
            f"""UPDATE crawl_errors SET resolved_at = ?
            WHERE resolved_at IS NULL AND url IN ({marks})""",
            [resolved_at, *present],
        )


def backup_file(source: str | Path, target: str | Path) -> None:
    """Copy the archive ``source`` into a new file ``target`` with SQLite's online backup API.

    One step: the copy is the snapshot of one read transaction, consistent while a crawl writes
    (WAL: the writer is not blocked) and readers read. A backup in several steps would start
    over whenever the crawl committed, and might never end. The copy is a single file
    (rollback journal, no -wal beside it).
    """
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")


def verify_file(path: str | Path) -> dict[str, int]:
    """Check an archive file (``PRAGMA integrity_check``, then the FTS index against the articles)
    and return what it holds: articles, versions, runs. ``sqlite3.DatabaseError`` when damaged."""
    with closing(sqlite3.connect(path)) as db:
        result = db.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise sqlite3.DatabaseError(f"integrity_check: {result}")
        db.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
        db.rollback()  # the check writes nothing, and the copy stays as it was made
        return {
            table: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("articles", "article_versions", "crawl_runs")
        }


def content_hash(article: Article) -> str:
    """SHA-256 of the article's content as canonical JSON.

    Only ``content_fields()`` count (not the URL, the layout or the slider), so that only a
    change of what the article says makes a new version.
    """
    values = article.to_dict()
    data = {name: values[name] for name in content_fields()}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _next_recheck(row: dict[str, Any], checked_at: str) -> str:
    """The next re-check of an article row (``_SCHEDULE_COLUMNS``) last checked at ``checked_at``."""
    start = schedule_start(row["published_at"], row["first_seen_at"], row["last_changed_at"], row["version_count"])
    return next_recheck(start, checked_at)


def _content_columns(article: Article, digest: str) -> dict[str, Any]:
    """The articles-table columns that come from the article's content.

    Every one-value field of Article is a column of the same name (a new field is stored
    without touching this function); a list field without a table of its own is a JSON
    column. Then the derived columns: the date, tags and credits as text, spelling variants.
    """
    values: dict[str, Any] = {name: getattr(article, name) for name in one_value_fields()}
    extra = [name for name in list_fields() if name not in PART_TABLES]
    if extra:
        data = article.to_dict()
        values.update({name: _json(data[name]) if data[name] else None for name in extra})
    tags_text = ", ".join(article.tags)
    credits = dict.fromkeys(image.credit for image in article.images if image.credit)
    credits_text = "; ".join(credits)
    indexed = [article.title, article.topline, article.lead, article.body_text, tags_text, credits_text]
    return {
        **values,
        "published_date": (article.published_at or "")[:10] or None,
        "tags_text": tags_text or None,
        "credits_text": credits_text or None,
        "search_variants": spelling_variants("\n".join(t for t in indexed if t)) or None,
        "content_hash": digest,
    }


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
