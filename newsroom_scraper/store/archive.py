"""The archive database: schema, article versions, crawl runs and errors, full-text search.

This is the only module that talks to the database (sqlite-utils 4; the schema itself
lives in store_schema.py as migrations). The spider asks it which articles are known,
the pipeline hands it parsed articles, Datasette reads the file it writes.
docs/storage.md describes the tables and the search design.

Every write for one article is atomic (a transaction, or a savepoint inside the crawl's group
commit), so a crash never leaves an article row without its version row or with half of its
images replaced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlite_utils

from newsroom_scraper.items import PARTS, Article, Capture, content_fields, list_fields, one_value_fields
from newsroom_scraper.ops.schedule import iso as schedule_iso
from newsroom_scraper.ops.schedule import next_recheck, schedule_start
from newsroom_scraper.parser.text.dates import utc_now
from newsroom_scraper.search.variants import fts_query, spelling_variants
from newsroom_scraper.search.words import (
    NOTHING,
    body_word_match,
    excerpt,
    lead_word_match,
    stems,
    substring_match,
    typed_substring_match,
    word_match,
)
from newsroom_scraper.store.schema import MIGRATIONS, add_field_columns

# The columns of articles_fts as the migrations built them, in order: snippet() and bm25()
# address them by index (a test compares this with the file).
FTS_COLUMNS = ("title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants")
_SNIPPET_COLUMN = FTS_COLUMNS.index("body_text")
# The list fields of Article with a table of their own; any other list field is a JSON column.
PART_TABLES = {"images": "images", "videos": "videos", "links": "links", "tags": "tags", "related": "related_links"}
# The column of a table whose items are plain values (the others have one column per field).
_PART_COLUMN = {"tags": "tag"}

# The columns of the word index (version_words, migration 0002), and the Article data each holds.
WORD_COLUMNS = ("title", "topline", "lead", "body", "tags", "credits")
# Results per page of the reader's search.
SEARCH_PAGE_SIZE = 50

# -- The reader's search: SQL that Datasette's canned queries (datasette/plugins/reader.py) and
# Archive.search_articles run alike. Parameters: :q (what was typed), the filters :since and :until
# (a date, month or year prefix), :section, :tag, :district, and :page. The SQL functions
# word_match(), substring_match() and search_excerpt() come from register_search_functions().
#
# Whole-word hits (stems, the current version's row of version_words) rank first, by bm25; then
# the articles only the trigram index finds (compound parts, substrings), by its rank; ties newest
# first (very common words: SEARCH_RANK_MAX_HITS below). Each hit is looked up in search_facts (migration 0004: ~80-byte rows kept equal to
# articles by triggers), never in the 12 KB rows of articles, and only the page's rows are read
# from articles. Each tier keeps at most the rows the page needs (:page × 50 + 1, sorted with a
# bounded sorter); the substring tier runs only when the word tier cannot fill the page.
_SEARCH_FILTERS = """(:section = '' or f.section = :section)
  and (:since = '' or f.published_date >= :since)
  and (:until = '' or substr(f.published_date, 1, length(:until)) <= :until)
  and (:tag = '' or f.article_id in (select article_id from tags where tag = :tag))
  and (:district = '' or f.district = :district)"""
_SEARCH_NEED = f"max(cast(:page as integer), 1) * {SEARCH_PAGE_SIZE} + 1"
# A very common word (docs/reading.md): bm25 scores every hit it ranks, whatever the LIMIT. Word
# tier: when version_words holds more than SEARCH_RANK_MAX_HITS hits of the query (all versions,
# counted before filters, with LIMIT, from the index alone), bm25 ranks only the hits whose title,
# topline or lead hold the words (lead_word_match(), bm25 over those columns: most of its weight),
# then come the other word hits newest first (body_word_match(), recent_word_page). Substring tier:
# its hits (after filters) are matched once, without rank (substring_hits); more than
# SEARCH_RANK_MAX_HITS are listed newest first, fewer are ranked by bm25 as before (a second
# match). A tier that is not needed gets the empty MATCH (NOTHING): FTS5 never scans for it.
SEARCH_RANK_MAX_HITS = 2000


def search_sql(rank_max_hits: int = SEARCH_RANK_MAX_HITS) -> str:
    """SEARCH_SQL with another cap for bm25 (tests use a small one)."""
    word_common = f"""(select count(*) > {rank_max_hits} from (select 1 from version_words
      where version_words match word_match(:q) limit {rank_max_hits + 1}))"""
    substring_left = f"{_SEARCH_NEED} - (select count(*) from word_page) - (select count(*) from recent_word_page)"
    substring_only = f"""{_SEARCH_FILTERS}
    and f.article_id not in (select w.article_id from version_words join search_facts w
      on w.version_id = version_words.rowid where version_words match word_match(:q))"""
    return f"""with word_page as materialized (
  select f.article_id as id, 0 as tier, version_words.rank as score, f.published_at
  from version_words join search_facts f on f.version_id = version_words.rowid
  where version_words match (case when {word_common} then lead_word_match(:q) else word_match(:q) end)
    and {_SEARCH_FILTERS}
  order by score, published_at desc limit {_SEARCH_NEED}
),
recent_word_page as materialized (
  select f.article_id as id, 1 as tier, 0 as score, f.published_at
  from version_words join search_facts f on f.version_id = version_words.rowid
  where version_words match (case when {word_common} then body_word_match(:q) else '{NOTHING}' end)
    and {_SEARCH_FILTERS}
  order by published_at desc limit max({_SEARCH_NEED} - (select count(*) from word_page), 0)
),
substring_hits as materialized (
  select f.article_id as id, f.published_at
  from articles_fts join search_facts f on f.article_id = articles_fts.rowid
  where articles_fts match (case when {substring_left} > 0 then substring_match(:q) else '{NOTHING}' end)
    and {substring_only}
),
substring_page as (
  select id, 2 as tier, 0 as score, published_at from substring_hits
  where (select count(*) from substring_hits) > {rank_max_hits}
  union all
  select f.article_id as id, 2 as tier, articles_fts.rank as score, f.published_at
  from articles_fts join search_facts f on f.article_id = articles_fts.rowid
  where articles_fts match (case when (select count(*) from substring_hits) between 1 and {rank_max_hits}
    then substring_match(:q) else '{NOTHING}' end) and {substring_only}
  order by score, published_at desc limit max({substring_left}, 0)
),
page as (
  select * from (select * from word_page union all select * from recent_word_page
    union all select * from substring_page)
  order by tier, score, published_at desc
  limit {SEARCH_PAGE_SIZE + 1} offset (max(cast(:page as integer), 1) - 1) * {SEARCH_PAGE_SIZE}
)
select articles.id, articles.published_at, articles.topline, articles.title, articles.section,
  articles.district,
  case page.tier when 2 then 'substring' else 'word' end as match,
  coalesce(nullif(search_excerpt(articles.body_text, :q), ''), nullif(search_excerpt(articles.lead, :q), ''),
    substr(articles.lead, 1, 200)) as excerpt,
  articles.url
from page join articles on articles.id = page.id
order by page.tier, page.score, page.published_at desc"""


SEARCH_SQL = search_sql()
# The same search as an Atom feed (datasette-atom): a saved search to subscribe to.
SEARCH_FEED_SQL = f"""select url as atom_id, title as atom_title,
  case when length(published_at) = 10 then published_at || 'T00:00:00+00:00' else published_at end as atom_updated,
  url as atom_link, excerpt as atom_content
from ({SEARCH_SQL})"""
# Hits per month of the same search and filters (the numbers of the search page's bar chart).
SEARCH_MONTHS_SQL = f"""with hits as (
  select f.published_date from version_words join search_facts f on f.version_id = version_words.rowid
  where version_words match word_match(:q) and {_SEARCH_FILTERS}
  union all
  select f.published_date from articles_fts join search_facts f on f.article_id = articles_fts.rowid
  where articles_fts match substring_match(:q) and {_SEARCH_FILTERS}
    and f.article_id not in (select w.article_id from version_words join search_facts w
      on w.version_id = version_words.rowid where version_words match word_match(:q))
)
select substr(published_date, 1, 7) as month, count(*) as hits from hits group by month order by month"""
# The search page draws the chart only for searches with at most this many hits in either index
# (counted before filters, with LIMIT, from the indexes alone: a few ms); a common word's exact
# months cost more than the rest of the page, and its chart is the archive's volume per month.
# search_months (SEARCH_MONTHS_SQL) counts every hit on demand.
SEARCH_CHART_MAX_HITS = 5000
# A word with other spellings is first counted as typed (typed_substring_match(): some of the
# hits, one phrase instead of three, a third of the time): more than the limit there is enough.


def search_chart_count_sql(max_hits: int = SEARCH_CHART_MAX_HITS) -> str:
    """SEARCH_CHART_COUNT_SQL with another limit (tests use a small one)."""
    return f"""select
  (select count(*) from (select 1 from version_words where version_words match word_match(:q)
    limit {max_hits + 1})) as word_hits,
  case when typed_substring_match(:q) != substring_match(:q)
      and (select count(*) from (select 1 from articles_fts where articles_fts match typed_substring_match(:q)
        limit {max_hits + 1})) > {max_hits}
    then {max_hits + 1}
    else (select count(*) from (select 1 from articles_fts where articles_fts match substring_match(:q)
      limit {max_hits + 1})) end as substring_hits"""


SEARCH_CHART_COUNT_SQL = search_chart_count_sql()
# "When did the city first say X": every article with a version whose words match, the
# earliest capture first (word index only: it alone covers every version).
FIRST_MENTIONS_SQL = """select articles.id, articles.title, min(v.version) as first_version,
  min(v.fetched_at) as first_captured_at, articles.published_at, articles.version_count, articles.url
from version_words
join article_versions v on v.id = version_words.rowid
join articles on articles.id = v.article_id
where version_words match word_match(:q)
group by articles.id
order by first_captured_at, articles.published_at
limit 1000"""

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
        # WAL lets Datasette read while a crawl writes. synchronous=NORMAL: no fsync per article
        # (a commit waited ~0.7 ms for one, ~6 % of a crawl); a crash of the program loses nothing,
        # a power cut at most the last articles, which the next run fetches again.
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = NORMAL")
        # Per connection and outside any transaction: make the REFERENCES real.
        self.db.execute("PRAGMA foreign_keys = ON")
        MIGRATIONS.apply(self.db)
        add_field_columns(self.db, one_value_fields())
        register_search_functions(self.db.conn)
        self._texts: dict[int, dict[str, Any]] | None = None  # full-text columns kept for a batch's end
        self._index_missing_words()
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
        """Record the start of a crawl and return its run id.

        Runs still unfinished are ones whose process died (SIGKILL, power loss): the crawl lock
        makes this the only crawl, so they are marked ``killed`` rather than left open forever.
        """
        self.db.execute(
            "UPDATE crawl_runs SET finish_reason = 'killed' WHERE finished_at IS NULL AND finish_reason IS NULL"
        )
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

    def record_error(
        self, run_id: int, url: str, kind: str, reason: str, status: int | None = None, attempts: int | None = None
    ) -> None:
        """Record a failed fetch, parse or store of ``url`` (``kind``: an ``errors.Failure``);
        it is retried next run, unless it is a ``warning`` about a page that was stored."""
        self.db.execute(
            """INSERT INTO crawl_errors (run_id, url, kind, status, reason, occurred_at, attempts)
            VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [run_id, url, kind, status, reason, utc_now(), attempts],
        )

    def retry_urls(self) -> list[str]:
        """URLs with unresolved errors (warnings aside), each once, oldest error first."""
        rows = self.db.execute(
            """SELECT url FROM crawl_errors WHERE resolved_at IS NULL AND kind != 'warning'
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
        capture: Capture | None = None,
    ) -> str:
        """Store a parsed article; return "new", "changed" or "unchanged".

        A new article gets version 1. Same content (see ``content_hash``) only updates
        the fetch bookkeeping; different content becomes the next version and replaces
        the images, videos, links and tags. The slider's related links are stored per
        run either way. ``etag`` and ``last_modified`` are this response's validators
        (None clears the stored one). Open errors for the canonical or fetched URL are
        marked resolved. ``capture`` (the response's WARC record) becomes a ``captures`` row
        pointing at the version it showed. Everything happens atomically (a transaction, or a
        savepoint when one is open): on any exception the archive is as it was before the call.
        """
        data = article.to_dict()  # once: the hash and the version's JSON both read it
        digest = content_hash(article, data)
        seen = {"fetched_url": fetched_url, "last_checked_at": fetched_at, "etag": etag, "last_modified": last_modified}
        seen["removed_at"] = None  # answering again clears a removal
        kept = set(self._texts) if self._texts is not None else set()
        try:
            return self._save_article(article, data, digest, seen, run_id, fetched_url, fetched_at, capture)
        except BaseException:
            if self._texts is not None:  # rolled back: its full-text columns go with it
                for article_id in set(self._texts) - kept:
                    del self._texts[article_id]
            raise

    def _save_article(
        self,
        article: Article,
        data: dict[str, Any],
        digest: str,
        seen: dict[str, Any],
        run_id: int,
        fetched_url: str,
        fetched_at: str,
        capture: Capture | None,
    ) -> str:
        with self.db.atomic():
            row = self._find(article.url)
            if row is None:
                outcome = "new"
                seen["recheck_due_at"] = next_recheck(
                    schedule_start(article.published_at, fetched_at, fetched_at, 1), fetched_at
                )
                derived = derive(article, data, digest)
                article_id = self._insert_article(article, self._deferred(None, derived.columns), seen)
                self._deferred(article_id, derived.columns)
                version = self._add_version(article_id, article, derived, fetched_at, run_id)
            elif row["content_hash"] == digest:
                outcome = "unchanged"
                article_id = row["id"]
                version = row["version_count"]
                self._update_article(article_id, {**seen, "recheck_due_at": _next_recheck(row, fetched_at)})
            else:
                outcome = "changed"
                article_id = row["id"]
                derived = derive(article, data, digest)
                version = self._add_version(article_id, article, derived, fetched_at, run_id)
                self._update_article(
                    article_id,
                    {
                        **self._deferred(article_id, derived.columns),
                        **seen,
                        "last_changed_at": fetched_at,
                        "version_count": version,
                        "recheck_due_at": next_recheck(fetched_at, fetched_at),  # a change restarts the schedule
                    },
                )
            self._replace_related(article_id, run_id, article)
            self._resolve_errors([article.url, fetched_url], fetched_at)
            if capture is not None:
                self._add_capture(capture, article_id, version, run_id, first_of_version=outcome != "unchanged")
        return outcome

    def mark_not_modified(
        self,
        url: str,
        *,
        run_id: int,
        checked_at: str,
        etag: str | None = None,
        last_modified: str | None = None,
        capture: Capture | None = None,
    ) -> bool:
        """Note a 304 answer for ``url`` (canonical or fetched URL); False if unknown.

        Only ``last_checked_at`` changes, and the validators when the answer sent new
        ones. Open errors for the URL are resolved too: the page is archived and
        answered, so retrying it again would only ever get another 304.
        ``capture`` (the 304's WARC record) becomes a ``captures`` row of the version it confirmed.
        """
        updates: dict[str, Any] = {"last_checked_at": checked_at, "removed_at": None}
        if etag is not None:
            updates["etag"] = etag
        if last_modified is not None:
            updates["last_modified"] = last_modified
        with self.db.atomic():
            rows = self._rows(f"SELECT {_SCHEDULE_COLUMNS} FROM articles WHERE url = ? OR fetched_url = ?", [url, url])
            for row in rows:
                self._update_article(row["id"], {**updates, "recheck_due_at": _next_recheck(row, checked_at)})
                self._resolve_errors([url, row["url"], row["fetched_url"]], checked_at)
                if capture is not None:
                    self._add_capture(capture, row["id"], row["version_count"], run_id)
        return bool(rows)

    def mark_removed(self, url: str, *, removed_at: str) -> bool:
        """Note that an archived article (canonical or fetched ``url``) answered 404 or 410.

        Only a definite answer counts (the caller's business: a timeout or a 5xx is an error).
        The versions stay; ``removed_at`` keeps the first such answer until the article is stored
        or answers 304 again. False when the URL is no archived article.
        """
        cursor = self.db.execute(
            "UPDATE articles SET removed_at = coalesce(removed_at, ?) WHERE url = ? OR fetched_url = ?",
            [removed_at, url, url],
        )
        return cursor.rowcount > 0

    # -- history from captures (reparse, import, backfill) -------------------------------

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction around many ``replace_history`` calls (reparse stores hundreds of articles per commit).

        The full-text columns (FTS_COLUMNS) of the articles it writes are set by one statement at its
        end: FTS5 writes its pending index out at every statement that may roll back, so row by row
        it made a tiny segment per article, merged again and again (half of an article's INSERT).
        Inside the batch, those columns of the articles written in it read NULL.
        """
        with self.db.atomic():
            self._texts = {}
            try:
                yield
                self._write_texts()
            finally:
                self._texts = None

    def begin_group(self) -> None:
        """Open a transaction that many calls join, ended by ``commit_group`` (the crawl's group
        commit, archive_writer.py). As in ``batch()``, the full-text columns of the articles saved
        in it are written by one statement at its end, and read NULL until then."""
        self.db.begin()
        self._texts = {}

    @property
    def in_group(self) -> bool:
        """Whether a transaction is open (a group, or what is left of one after a storage error)."""
        return self.db.conn.in_transaction

    def commit_group(self) -> None:
        """Write the group's full-text columns and commit (the group ends either way)."""
        try:
            if self._texts:
                self._write_texts()
            self.db.commit()
        finally:
            self._texts = None

    def rollback_group(self) -> None:
        """Undo the open group (after a storage error that left it open)."""
        self._texts = None
        if self.in_group:
            self.db.rollback()

    def _deferred(self, article_id: int | None, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` for an articles row; in a batch, without its full-text columns, kept for its end
        (``article_id`` None: a row to insert, whose full-text columns are NULL until then)."""
        if self._texts is None:
            return values
        texts = {column: values[column] for column in FTS_COLUMNS}
        others = {column: value for column, value in values.items() if column not in texts}
        if article_id is None:
            return {**others, **dict.fromkeys(FTS_COLUMNS)}
        self._texts[article_id] = texts
        return others

    def _write_texts(self) -> None:
        """The full-text columns kept by the batch, in one UPDATE (one FTS5 segment)."""
        assert self._texts is not None
        if not self._texts:
            return
        columns = ", ".join(FTS_COLUMNS)
        self.db.execute(f"CREATE TEMP TABLE IF NOT EXISTS batch_texts (id INTEGER PRIMARY KEY, {columns})")
        marks = ", ".join("?" for _ in FTS_COLUMNS)
        rows = [[article_id, *texts.values()] for article_id, texts in self._texts.items()]
        self.db.conn.executemany(f"INSERT INTO temp.batch_texts (id, {columns}) VALUES (?, {marks})", rows)
        assignments = ", ".join(f"{column} = t.{column}" for column in FTS_COLUMNS)
        self.db.execute(f"UPDATE articles SET {assignments} FROM temp.batch_texts AS t WHERE articles.id = t.id")
        self.db.execute("DELETE FROM temp.batch_texts")

    def replace_history(
        self, url: str, captures: list[Capture], run_id: int, derived: Sequence[Derived | None] | None = None
    ) -> str:
        """Rebuild an article from all its captures, oldest first: "new", "rebuilt", "unchanged" or "kept".

        ``captures`` carry their parse (``article``) when they are 200 answers; a 304 only confirms.
        Versions are the runs of equal content in capture order, so a parser fix changes what a
        version holds, never how many there are, unless the fix makes two captures read alike or
        different. "unchanged": the archive already holds exactly these captures and versions;
        "kept": the archive holds captures or versions of the article that are not among
        ``captures`` (versions stored without WARC, or files elsewhere), so nothing is touched.
        ``derived``: what ``derive()`` gives for each capture's article, when computed ahead (None:
        computed here as needed), in the order of ``captures``.
        """
        parsed = [c for c in captures if c.article is not None]
        if not parsed:
            return "kept"
        pairs = zip(captures, derived, strict=True) if derived is not None else []
        given = {id(c): d for c, d in pairs if d is not None}
        hashes = {
            id(c): given[id(c)].digest if id(c) in given else content_hash(c.article) for c in parsed if c.article
        }
        digests = [hashes[id(c)] for c in parsed]
        version_hashes = [d for i, d in enumerate(digests) if i == 0 or d != digests[i - 1]]
        record_ids = {c.record_id for c in captures}
        with self.db.atomic():
            row = self._find(url)
            if row is not None:
                held_ids, held_hashes, without_capture = self._history(row["id"])
                if without_capture or not held_ids <= record_ids:
                    return "kept"
                if held_ids == record_ids and held_hashes == version_hashes:
                    return "unchanged"
                self._forget_history(row["id"])
            article_id = self._write_history(url, row["id"] if row else None, captures, hashes, given, run_id)
            last = parsed[-1].article
            assert last is not None
            self._replace_related(article_id, run_id, last)
        return "new" if row is None else "rebuilt"

    def _history(self, article_id: int) -> tuple[set[str | None], list[str], bool]:
        """The record ids of an article's captures, its version hashes, and whether a version has no capture."""
        ids = {r for (r,) in self.db.execute("SELECT record_id FROM captures WHERE article_id = ?", [article_id])}
        versions = self.db.execute(
            "SELECT content_hash, capture_id FROM article_versions WHERE article_id = ? ORDER BY version", [article_id]
        ).fetchall()
        return ids, [h for h, _ in versions], any(capture_id is None for _, capture_id in versions)

    def _forget_history(self, article_id: int) -> None:
        versions = self.db.execute("SELECT id, data FROM article_versions WHERE article_id = ?", [article_id])
        for version_id, data in versions.fetchall():
            self._index_words(version_id, _word_stems(json.loads(data)), delete=True)
        for table in ("article_versions", "captures", *(t for n, t in PART_TABLES.items() if n != "related")):
            self.db.execute(f"DELETE FROM {table} WHERE article_id = ?", [article_id])

    def _write_history(
        self,
        url: str,
        article_id: int | None,
        captures: list[Capture],
        hashes: dict[int, str],
        given: dict[int, Derived],
        run_id: int,
    ) -> int:
        """The article row from its captures (insert or update), then its versions and capture rows
        (``given``: the captures' derivations computed ahead, by ``id()``)."""

        def derived(capture: Capture) -> Derived:
            assert capture.article is not None
            return given.get(id(capture)) or derive(capture.article, digest=hashes[id(capture)])

        state: dict[str, Any] = {"etag": None, "last_modified": None}
        digest = None
        first_captures: list[Capture] = []
        for capture in captures:
            if capture.article is not None:
                state.update(fetched_url=capture.url, etag=capture.etag, last_modified=capture.last_modified)
                if hashes[id(capture)] != digest:
                    digest = hashes[id(capture)]
                    first_captures.append(capture)
            elif capture.status == 304:
                state.update({k: getattr(capture, k) for k in ("etag", "last_modified") if getattr(capture, k)})
        latest = first_captures[-1]
        assert latest.article is not None and digest is not None
        start = next(c.captured_at for c in captures if c.article is not None)
        bookkeeping = {
            **state,
            "first_seen_at": start,
            "last_checked_at": captures[-1].captured_at,
            "last_changed_at": latest.captured_at,
            "version_count": len(first_captures),
        }
        # the re-check schedule as the crawl would have left it after the last capture
        schedule_row = {**bookkeeping, "published_at": latest.article.published_at}
        bookkeeping["recheck_due_at"] = _next_recheck(schedule_row, captures[-1].captured_at)
        columns = derived(latest).columns
        if article_id is None:  # one INSERT: an UPDATE after it cost as much again (row, search_facts trigger)
            seen = {**state, "last_checked_at": start}
            article_id = self._insert_article(latest.article, self._deferred(None, columns), seen, bookkeeping)
            self._deferred(article_id, columns)
        else:  # the indexed columns are written only here, so the FTS index is updated once
            self._update_article(article_id, {**self._deferred(article_id, columns), **bookkeeping})
        starts = {id(c) for c in first_captures}
        version = 0
        for capture in captures:
            if id(capture) in starts and capture.article is not None:
                # the capture row first, so that the version is inserted with its capture_id (not updated after)
                version += 1
                capture_id = self._add_capture(capture, article_id, version, run_id)
                self._add_version(
                    article_id, capture.article, derived(capture), capture.captured_at, run_id, version, capture_id
                )
            else:
                self._add_capture(capture, article_id, version or None, run_id)
        return article_id

    def capture_keys(self, source: str) -> set[tuple[str, str]]:
        """(URL, capture time) of the captures from ``source`` (a backfill never fetches them again)."""
        rows = self.db.execute("SELECT url, captured_at FROM captures WHERE source = ?", [source])
        return {(url, captured_at) for url, captured_at in rows}

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
            "open_errors": scalar(
                "SELECT COUNT(DISTINCT url) FROM crawl_errors WHERE resolved_at IS NULL AND kind != 'warning'"
            ),
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

    def search_articles(self, q: str, *, page: int = 1, **filters: str) -> list[dict]:
        """The reader's search (SEARCH_SQL): whole-word hits first, then substring-only hits.

        ``filters``: since, until, section, tag, district (missing ones are off). At most
        SEARCH_PAGE_SIZE + 1 rows: one more than a page says there is a next one.
        """
        names = ("since", "until", "section", "tag", "district")
        params = {"q": q, "page": page, **{name: filters.get(name) or "" for name in names}}
        return self._rows(SEARCH_SQL, params)

    def quick_check(self) -> str | None:
        """What ``PRAGMA quick_check`` finds wrong with the file (its first lines), None when it is sound.

        Seconds on a large archive at most, so every crawl runs it before writing anything.
        """
        try:
            found = [row[0] for row in self.db.execute("PRAGMA quick_check(5)")]
        except sqlite3.DatabaseError as error:
            return str(error)
        return None if found == ["ok"] else "; ".join(found)

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
        self.db.execute("INSERT INTO version_words(version_words) VALUES ('integrity-check')")

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

    def _insert_article(
        self, article: Article, content: dict[str, Any], seen: dict, history: dict[str, Any] | None = None
    ) -> int:
        """Insert the row of a new article (version 1; ``content``: its content's columns) and return its id.

        ``history``: the bookkeeping of an article rebuilt from several captures, in the same statement.
        """
        record = {
            "url": article.url,
            **content,
            **seen,
            "first_seen_at": seen["last_checked_at"],
            "last_changed_at": seen["last_checked_at"],
            "version_count": 1,
            "district": self._teaser_district([article.url, seen["fetched_url"]]),
            **(history or {}),
        }
        columns = ", ".join(record)
        marks = ", ".join("?" for _ in record)
        cursor = self.db.execute(f"INSERT INTO articles ({columns}) VALUES ({marks})", list(record.values()))
        return int(cursor.lastrowid or 0)

    def _update_article(self, article_id: int, values: dict) -> None:
        """Set some columns of one article row."""
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.db.execute(f"UPDATE articles SET {assignments} WHERE id = ?", [*values.values(), article_id])

    def _add_version(
        self,
        article_id: int,
        article: Article,
        derived: Derived,
        fetched_at: str,
        run_id: int,
        version: int | None = None,
        capture_id: int | None = None,
    ) -> int:
        """Append the next version of an article (``derived``: its ``derive()``), make its parts current.

        ``version``: its number when the caller knows it; ``capture_id``: its first capture's row.
        """
        if version is None:
            (version,) = self.db.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM article_versions WHERE article_id = ?",
                [article_id],
            ).fetchone()
        record = {
            "article_id": article_id,
            "version": version,
            "content_hash": derived.digest,
            "fetched_at": fetched_at,
            "run_id": run_id,
            "title": article.title,
            "topline": article.topline,
            "published_at": article.published_at,
            "lead": article.lead,
            "body_text": article.body_text,
            "body_html": article.body_html,
            "data": derived.data,
            "capture_id": capture_id,
        }
        columns = ", ".join(record)
        marks = ", ".join("?" for _ in record)
        cursor = self.db.execute(f"INSERT INTO article_versions ({columns}) VALUES ({marks})", list(record.values()))
        self._index_words(int(cursor.lastrowid or 0), derived.words)
        self._replace_parts(article_id, article)
        return int(version)

    def _index_words(self, version_id: int, stemmed: list[str], *, delete: bool = False) -> None:
        """Add a version's stems (``_word_stems``) to the word index (its rowid is the version's id), or
        with ``delete`` take them out again (a contentless FTS5 index forgets a row only when told its values)."""
        columns = ", ".join(WORD_COLUMNS)
        marks = ", ".join("?" for _ in WORD_COLUMNS)
        if delete:
            self.db.execute(
                f"INSERT INTO version_words (version_words, rowid, {columns}) VALUES ('delete', ?, {marks})",
                [version_id, *stemmed],
            )
        else:
            self.db.execute(f"INSERT INTO version_words (rowid, {columns}) VALUES (?, {marks})", [version_id, *stemmed])

    def _index_missing_words(self) -> None:
        """Index the versions the word index lacks: an archive from before it, or after a rebuild.

        Versions are indexed in id order as they are saved, so only ids above the highest indexed
        one can be missing: opening an up-to-date archive costs one lookup.
        """
        row = self.db.execute("SELECT rowid FROM version_words ORDER BY rowid DESC LIMIT 1").fetchone()
        last = row[0] if row else 0
        missing = self.db.execute("SELECT id, data FROM article_versions WHERE id > ? ORDER BY id", [last]).fetchall()
        with self.db.atomic():
            for version_id, data in missing:
                self._index_words(version_id, _word_stems(json.loads(data)))

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
        # A teaser names the district of the article it points to: keep it on that article.
        for link in article.related:
            if link.district:
                self.db.execute(
                    "UPDATE articles SET district = ? WHERE (url = ? OR fetched_url = ?) AND district IS NOT ?",
                    [link.district, link.url, link.url, link.district],
                )

    def _teaser_district(self, urls: list[str | None]) -> str | None:
        """The district of the latest captured teaser pointing to any of ``urls``, or None."""
        present = sorted({url for url in urls if url})
        marks = ", ".join("?" for _ in present)
        row = self.db.execute(
            f"""SELECT district FROM related_links WHERE url IN ({marks}) AND district IS NOT NULL
            ORDER BY run_id DESC LIMIT 1""",
            present,
        ).fetchone()
        return row[0] if row else None

    def _insert_positioned(self, table: str, key: dict, records: list[dict]) -> None:
        """Insert records with ``key`` and their 1-based position in the page."""
        if records:  # plain executemany: sqlite-utils' insert_all inspects the table on every call
            rows = [{**key, "position": position, **record} for position, record in enumerate(records, start=1)]
            columns = list(rows[0])
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
            self.db.conn.executemany(sql, [[row[column] for column in columns] for row in rows])

    def _add_capture(
        self, capture: Capture, article_id: int | None, version: int | None, run_id: int, first_of_version: bool = False
    ) -> int | None:
        """A ``captures`` row (once per WARC record), its id (None when the record has one already); the
        version's ``capture_id`` when it is its first."""
        cursor = self.db.execute(
            """INSERT INTO captures (url, article_id, version, captured_at, status, warc_file, warc_offset,
                warc_length, record_id, payload_digest, source, run_id, source_uri)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (record_id) DO NOTHING""",
            [
                capture.url,
                article_id,
                version,
                capture.captured_at,
                capture.status,
                capture.warc_file,
                capture.warc_offset,
                capture.warc_length,
                capture.record_id,
                capture.payload_digest,
                capture.source,
                run_id,
                capture.source_uri,
            ],
        )
        if not cursor.rowcount:
            return None
        capture_id = int(cursor.lastrowid or 0)
        if first_of_version:
            self.db.execute(
                "UPDATE article_versions SET capture_id = ? WHERE article_id = ? AND version = ?",
                [capture_id, article_id, version],
            )
        return capture_id

    def _resolve_errors(self, urls: list[str | None], resolved_at: str) -> None:
        """Mark open errors of any of these URLs as resolved."""
        present = sorted({url for url in urls if url})
        marks = ", ".join("?" for _ in present)
        self.db.execute(
            f"""UPDATE crawl_errors SET resolved_at = ?
            WHERE resolved_at IS NULL AND url IN ({marks})""",
            [resolved_at, *present],
        )


def register_search_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the search SQL needs, on one connection (Datasette's plugin does the same).

    ``word_match(q)`` and ``substring_match(q)`` turn what a reader typed into safe MATCH
    expressions for the word and the trigram index; ``search_excerpt(text, q)`` marks hits «so».
    """
    conn.create_function("word_match", 1, word_match, deterministic=True)
    conn.create_function("substring_match", 1, substring_match, deterministic=True)
    conn.create_function("lead_word_match", 1, lead_word_match, deterministic=True)
    conn.create_function("body_word_match", 1, body_word_match, deterministic=True)
    conn.create_function("typed_substring_match", 1, typed_substring_match, deterministic=True)
    conn.create_function("search_excerpt", 2, excerpt, deterministic=True)


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


def content_hash(article: Article, values: dict[str, Any] | None = None) -> str:
    """SHA-256 of the article's content as canonical JSON (``values``: its ``to_dict()``, if at hand).

    Only ``content_fields()`` count (not the URL, the layout or the slider), so that only a
    change of what the article says makes a new version.
    """
    values = values if values is not None else article.to_dict()
    data = {name: values[name] for name in content_fields()}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Derived:
    """What the store derives from an Article without the database, to write it: ``derive()``.

    Computed ahead (reparse's worker processes do) and handed to ``replace_history`` with the
    article, it spares the writing process the hashing, stemming and spelling variants.
    """

    digest: str  # content_hash()
    columns: dict[str, Any]  # the content's columns of its articles row (_content_columns)
    data: str  # its version's JSON (the data column): to_dict() without the slider
    words: list[str]  # its version's row of the word index, one text of stems per WORD_COLUMNS


def derive(article: Article, data: dict[str, Any] | None = None, digest: str | None = None) -> Derived:
    """What the store writes of ``article`` (``data``: its ``to_dict()``, ``digest``: its hash, if at hand)."""
    data = data if data is not None else article.to_dict()
    digest = digest if digest is not None else content_hash(article, data)
    version = {name: value for name, value in data.items() if name != "related"}
    return Derived(digest, _content_columns(article, digest), _json(version), _word_stems(version))


def _word_stems(data: dict[str, Any]) -> list[str]:
    """A version's stems for the word index, one text per WORD_COLUMNS (``data``: its to_dict())."""
    images = data.get("images") or []
    values = {
        "title": data.get("title"),
        "topline": data.get("topline"),
        "lead": data.get("lead"),
        "body": data.get("body_text"),
        "tags": "\n".join(data.get("tags") or []),
        "credits": "\n".join(image["credit"] for image in images if image.get("credit")),
    }
    return [stems(values[column]) for column in WORD_COLUMNS]


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
        "published_month": (article.published_at or "")[:7] or None,
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
