"""Many writes in one transaction: reparse's ``batch()`` and the crawl's group commit
(``begin_group`` … ``commit_group``), and the full-text columns they write once at their end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from newsroom_scraper.store.base import ArchiveBase
from newsroom_scraper.store.pending import PendingRows
from newsroom_scraper.store.rows import FTS_COLUMNS


class Groups(ArchiveBase):
    """Transactions that many saves join; while one is open, ``_texts`` keeps the full-text columns."""

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction around many ``replace_history`` calls (reparse stores hundreds of articles per commit).

        The full-text columns (FTS_COLUMNS) of the articles it writes are set by one statement at its
        end: FTS5 writes its pending index out at every statement that may roll back, so row by row
        it made a tiny segment per article, merged again and again (half of an article's INSERT).
        Inside the batch, those columns of the articles written in it read NULL. So do the rows
        that wait for its end (``PendingRows``: versions, parts, captures that start no version):
        an error inside the batch undoes the whole batch.
        """
        with self.db.atomic():
            self._texts = {}
            self._pending = PendingRows()
            try:
                yield
                self._pending.write(self.db)
                self._write_texts()
            finally:
                self._texts = None
                self._pending = None

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """One article's writes, all or none: a savepoint; in a batch, where its rows wait for the
        end, an error instead fails the batch's end if the batch goes on (the batch rolls back whole)."""
        pending = self._pending
        if pending is None:
            with self.db.atomic():
                yield
            return
        try:
            yield
        except BaseException as error:
            pending.failed = f"{type(error).__name__}: {error}"
            raise

    def _settle(self, article_id: int | None = None, url: str | None = None) -> None:
        """Write the batch's waiting rows now if some are the article's (its rows are about to be
        read), by its id or as a new article's URL."""
        pending = self._pending
        if pending is not None and (article_id in pending.articles or url in pending.new_urls):
            pending.write(self.db)

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
