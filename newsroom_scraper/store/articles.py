"""Saving what a crawl fetched: an article's row, its versions, parts, captures and word-index
rows; a 304 (``mark_not_modified``) and a 404/410 (``mark_removed``).

Every write for one article is atomic (a transaction, or a savepoint inside the crawl's group
commit, groups.py), so a crash never leaves an article row without its version row or with half
of its images replaced.
"""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import urlsplit

from newsroom_scraper.items import PARTS, Article, Capture
from newsroom_scraper.ops.schedule import next_recheck, next_removed_recheck, schedule_start
from newsroom_scraper.store.groups import Groups
from newsroom_scraper.store.rows import (
    PART_COLUMN,
    PART_TABLES,
    SCHEDULE_COLUMNS,
    WORD_COLUMNS,
    Derived,
    content_hash,
    derive,
    next_recheck_of,
    word_stems,
)


class Articles(Groups):
    """Articles, versions, parts and captures as the crawl saves them, one fetched page at a time."""

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
        record_id = capture.record_id if capture is not None else None
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
                version = self._add_version(
                    article_id, article, derived, fetched_at, run_id, record_id=record_id, new_article=True
                )
            elif row["content_hash"] == digest:
                outcome = "unchanged"
                article_id = row["id"]
                version = row["version_count"]
                self._update_article(article_id, {**seen, "recheck_due_at": next_recheck_of(row, fetched_at)})
            else:
                outcome = "changed"
                article_id = row["id"]
                derived = derive(article, data, digest)
                version = self._add_version(article_id, article, derived, fetched_at, run_id, record_id=record_id)
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
            self._replace_related(article_id, run_id, article, new_article=outcome == "new")
            self._resolve_errors([article.url, fetched_url], fetched_at)
            if capture is not None:
                self._add_capture(capture, article_id, version, run_id, first_of_version=outcome != "unchanged")
        return outcome

    def add_image_capture(self, article_url: str, capture: Capture, run_id: int) -> bool:
        """Record an article image's WARC record as a ``captures`` row of the article (no version:
        images are evidence beside the page, not part of its text); False when the article is
        unknown or the record was recorded before."""
        rows = self._rows("SELECT id FROM articles WHERE url = ? OR fetched_url = ?", [article_url, article_url])
        if not rows:
            return False
        return self._add_capture(capture, rows[0]["id"], None, run_id) is not None

    def add_image_captures(self, captures: list[Capture], run_id: int) -> list[str]:
        """Image captures read back from WARC (a reparse), each a ``captures`` row of an article
        whose current images show it (same URL path: the crawl fetched them on the crawled host).
        For each: "taken", "already present" (its record was recorded before) or why not."""
        shown: dict[str, int] = {}
        for article_id, src in self.db.execute("SELECT article_id, src FROM images ORDER BY article_id, position"):
            shown.setdefault(urlsplit(src or "").path, article_id)
        outcomes = []
        for capture in captures:
            article_id = shown.get(urlsplit(capture.url).path)
            if article_id is None:
                outcomes.append("an image no archived article shows")
            elif self._add_capture(capture, article_id, None, run_id) is None:
                outcomes.append("already present")
            else:
                outcomes.append("taken")
        return outcomes

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
            rows = self._rows(f"SELECT {SCHEDULE_COLUMNS} FROM articles WHERE url = ? OR fetched_url = ?", [url, url])
            for row in rows:
                self._update_article(row["id"], {**updates, "recheck_due_at": next_recheck_of(row, checked_at)})
                self._resolve_errors([url, row["url"], row["fetched_url"]], checked_at)
                if capture is not None:
                    self._add_capture(capture, row["id"], row["version_count"], run_id)
        return bool(rows)

    def mark_removed(self, url: str, *, removed_at: str) -> str | None:
        """Note that an archived article (canonical or fetched ``url``) answered 404 or 410 at
        ``removed_at``: "removed" the first time, "still-removed" after; None when the URL is no
        archived article.

        Only a definite answer counts (the caller's business: a timeout or a 5xx is an error).
        The versions stay; ``removed_at`` keeps the first such answer until the article is stored
        or answers 304 again. The removal is the one record of it: open errors of the URL are
        resolved (a removed article is no error to retry every night), and its next re-check
        follows the removed schedule (ops/schedule.py ``next_removed_recheck``).
        """
        with self.db.atomic():
            rows = self._rows(
                "SELECT id, url, fetched_url, removed_at FROM articles WHERE url = ? OR fetched_url = ?", [url, url]
            )
            for row in rows:
                since = row["removed_at"] or removed_at
                self._update_article(
                    row["id"], {"removed_at": since, "recheck_due_at": next_removed_recheck(since, removed_at)}
                )
                self._resolve_errors([url, row["url"], row["fetched_url"]], removed_at)
        if not rows:
            return None
        return "still-removed" if all(row["removed_at"] for row in rows) else "removed"

    def _find(self, url: str) -> dict[str, Any] | None:
        """The id, content hash and schedule columns of the article with this canonical URL."""
        self._settle(url=url)
        rows = self._rows(f"SELECT content_hash, {SCHEDULE_COLUMNS} FROM articles WHERE url = ?", [url])
        return rows[0] if rows else None

    def _insert_article(
        self, article: Article, content: dict[str, Any], seen: dict[str, Any], history: dict[str, Any] | None = None
    ) -> int:
        """Insert the row of a new article (version 1; ``content``: its content's columns) and return its id.

        ``history``: the bookkeeping of an article rebuilt from several captures, in the same statement.
        """
        pending = self._pending
        record = {
            "url": article.url,
            **content,
            **seen,
            "first_seen_at": seen["last_checked_at"],
            "last_changed_at": seen["last_checked_at"],
            "version_count": 1,
            # in a batch, set at its end with every teaser it wrote (pending.py)
            "district": None if pending else self._teaser_district([article.url, seen["fetched_url"]]),
            **(history or {}),
        }
        if pending:  # the whole row at the batch's end (full-text columns included)
            return pending.add_article(self.db, record)
        cursor = self.db.execute(_insert_sql("articles", tuple(record)), list(record.values()))
        return int(cursor.lastrowid or 0)

    def _add_version(
        self,
        article_id: int,
        article: Article,
        derived: Derived,
        fetched_at: str,
        run_id: int,
        version: int | None = None,
        capture_id: int | None = None,
        *,
        record_id: str | None = None,
        version_id: int | None = None,
        new_article: bool = False,
    ) -> int:
        """Append the next version of an article (``derived``: its ``derive()``), make its parts current.

        ``version``: its number when the caller knows it; ``capture_id``: its first capture's row.
        ``version_id``: the id (its address) issued for it before (a rebuild keeps it); None issues a
        new one, never issued before, anchored to ``record_id`` (its first capture's WARC-Record-ID).
        ``new_article``: the first version of an article inserted in this transaction (no parts yet).
        """
        if version is None:
            (version,) = self.db.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM article_versions WHERE article_id = ?",
                [article_id],
            ).fetchone()
        if version_id is None:
            version_id = self._issue_version_id(article.url, record_id, fetched_at, derived.digest)
        record = {
            "id": version_id,
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
        sql = _insert_sql("article_versions", tuple(record))
        if self._pending is not None:
            self._pending.add(article_id, sql, list(record.values()))
        else:
            self.db.execute(sql, list(record.values()))
        self._index_words(version_id, derived.words, article_id=article_id)
        self._replace_parts(article_id, article, new_article)
        return int(version)

    def _issue_version_id(self, article_url: str, record_id: str | None, issued_at: str, digest: str) -> int:
        """A new version id, above every id ever issued (a rebuild deletes rows: their ids are never
        given again), registered in ``version_permalinks`` with the capture it stands for. In a batch,
        counted from the first one it issued (its permalinks and versions wait for its end)."""
        pending = self._pending
        if pending is not None and pending.next_version_id is not None:
            version_id = pending.next_version_id
        else:
            (version_id,) = self.db.execute(
                """SELECT max(coalesce((SELECT max(id) FROM version_permalinks), 0),
                    coalesce((SELECT max(id) FROM article_versions), 0)) + 1"""
            ).fetchone()
        sql = """INSERT INTO version_permalinks (id, article_url, record_id, issued_at, content_hash, version_id)
            VALUES (?, ?, ?, ?, ?, ?)"""
        row = [version_id, article_url, record_id, issued_at, digest, version_id]
        if pending is not None:
            pending.next_version_id = version_id + 1
            pending.rows.setdefault(sql, []).append(row)
        else:
            self.db.execute(sql, row)
        return int(version_id)

    def _index_words(
        self, version_id: int, stemmed: list[str], *, delete: bool = False, article_id: int | None = None
    ) -> None:
        """Add a version's stems (``word_stems``) to the word index (its rowid is the version's id), or
        with ``delete`` take them out again (a contentless FTS5 index forgets a row only when told its values).
        ``article_id``: the version's article, whose rows may wait for the batch's end."""
        columns = ", ".join(WORD_COLUMNS)
        marks = ", ".join("?" for _ in WORD_COLUMNS)
        if delete:
            self.db.execute(
                f"INSERT INTO version_words (version_words, rowid, {columns}) VALUES ('delete', ?, {marks})",
                [version_id, *stemmed],
            )
        elif self._pending is not None and article_id is not None:
            self._pending.add(article_id, _WORDS_SQL, [version_id, *stemmed])
        else:
            self.db.execute(_WORDS_SQL, [version_id, *stemmed])

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
                self._index_words(version_id, word_stems(json.loads(data)))

    def _replace_parts(self, article_id: int, article: Article, new_article: bool = False) -> None:
        """Make images, videos, links and tags those of the current version (``new_article``: it has
        none yet, nothing to delete: four statements less for each new article of a reparse)."""
        for name, table in PART_TABLES.items():
            if name == "related":  # kept per run: _replace_related
                continue
            items = getattr(article, name)
            records = [vars(item) if name in PARTS else {PART_COLUMN.get(name, name): item} for item in items]
            if not new_article:
                self.db.execute(f"DELETE FROM {table} WHERE article_id = ?", [article_id])
            self._insert_positioned(table, {"article_id": article_id}, records, replaces=True)

    def _replace_related(self, article_id: int, run_id: int, article: Article, new_article: bool = False) -> None:
        """Store the slider as this run saw it, replacing only this run's rows (``new_article``: none yet)."""
        if not new_article:
            self.db.execute("DELETE FROM related_links WHERE article_id = ? AND run_id = ?", [article_id, run_id])
        self._insert_positioned(
            "related_links",
            {"article_id": article_id, "run_id": run_id},
            [vars(link) for link in article.related],
            replaces=True,
        )
        # A teaser names the district of the article it points to: keep it on that article.
        if self._pending is not None:  # at the batch's end, once
            self._pending.teasers.update(link.url for link in article.related if link.district)
            return
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
            ORDER BY run_id DESC, rowid DESC LIMIT 1""",
            present,
        ).fetchone()
        return row[0] if row else None

    def _insert_positioned(
        self, table: str, key: dict[str, Any], records: list[dict[str, Any]], *, replaces: bool = False
    ) -> None:
        """Insert records with ``key`` and their 1-based position in the page. ``replaces``: they are
        all of ``key``'s rows (its others deleted): in a batch, they wait for its end, the last given."""
        rows = [{**key, "position": position, **record} for position, record in enumerate(records, start=1)]
        columns = tuple(rows[0]) if rows else ()
        values = [[row[column] for column in columns] for row in rows]
        if replaces and self._pending is not None:
            self._pending.replace((table, *key.values()), _insert_sql(table, columns) if rows else "", values)
        elif rows:  # plain executemany: sqlite-utils' insert_all inspects the table on every call
            self.db.conn.executemany(_insert_sql(table, columns), values)

    def _add_capture(
        self,
        capture: Capture,
        article_id: int | None,
        version: int | None,
        run_id: int,
        first_of_version: bool = False,
        *,
        need_id: bool = True,
    ) -> int | None:
        """A ``captures`` row (once per WARC record), its id (None when the record has one already); the
        version's ``capture_id`` when it is its first. In a batch, the row waits for its end (with
        its id counted, pending.py); without ``need_id``, even when its record is held (None)."""
        row = [
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
            capture.kind,
            capture.payload_sha256,
            capture.decoded_sha256,
            capture.content_encoding,
        ]
        pending = self._pending
        if pending is not None and article_id is not None:  # in a batch: written at its end, its id counted
            if not need_id:  # a record already held is left out then (ON CONFLICT), its id unused
                pending.add_capture(self.db, _CAPTURE_WITH_ID_SQL, row, capture.record_id)
                return None
            if capture.record_id in pending.record_ids or self._has_record(capture.record_id):
                return None
            return pending.add_capture(self.db, _CAPTURE_WITH_ID_SQL, row, capture.record_id)
        cursor = self.db.execute(_CAPTURE_SQL, row)
        if not cursor.rowcount:
            return None
        capture_id = int(cursor.lastrowid or 0)
        if first_of_version:
            self.db.execute(
                "UPDATE article_versions SET capture_id = ? WHERE article_id = ? AND version = ?",
                [capture_id, article_id, version],
            )
        return capture_id

    def _has_record(self, record_id: str | None) -> bool:
        """Whether a ``captures`` row holds this WARC record already."""
        found = record_id and self.db.execute("SELECT 1 FROM captures WHERE record_id = ?", [record_id]).fetchone()
        return bool(found)

    def _resolve_errors(self, urls: list[str | None], resolved_at: str) -> None:
        """Mark open errors of any of these URLs as resolved."""
        present = sorted({url for url in urls if url})
        marks = ", ".join("?" for _ in present)
        self.db.execute(
            f"""UPDATE crawl_errors SET resolved_at = ?
            WHERE resolved_at IS NULL AND url IN ({marks})""",
            [resolved_at, *present],
        )


@functools.cache
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """``INSERT INTO table (columns) VALUES (?, …)``, built once per table and columns."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


_CAPTURE_COLUMNS = (
    "url", "article_id", "version", "captured_at", "status", "warc_file", "warc_offset", "warc_length", "record_id",
    "payload_digest", "source", "run_id", "source_uri", "kind", "payload_sha256", "decoded_sha256", "content_encoding",
)  # fmt: skip
_CAPTURE_SQL = _insert_sql("captures", _CAPTURE_COLUMNS) + " ON CONFLICT (record_id) DO NOTHING"
# in a batch, with its id counted (store/pending.py)
_CAPTURE_WITH_ID_SQL = _insert_sql("captures", ("id", *_CAPTURE_COLUMNS)) + " ON CONFLICT (record_id) DO NOTHING"
_WORDS_SQL = _insert_sql("version_words", ("rowid", *WORD_COLUMNS))
