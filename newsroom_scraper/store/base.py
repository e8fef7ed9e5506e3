"""What every part of ``Archive`` shares: the connection, the batch's kept texts, row helpers,
and the read-only connection (``connect_read_only``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import sqlite_utils

from newsroom_scraper.store.pending import PendingRows


class ArchiveBase:
    """The state the job mixins of ``Archive`` (archive.py) work on, and what they all use."""

    db: sqlite_utils.Database
    read_only: bool  # opened with Archive(..., read_only=True): every write raises
    _texts: dict[int, dict[str, Any]] | None  # full-text columns kept for a batch's end (groups.py)
    _pending: PendingRows | None  # rows a reparse batch writes at its end (pending.py)

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _rows(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts."""
        cursor = self.db.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def _update_article(self, article_id: int, values: dict[str, Any]) -> None:
        """Set some columns of one article row."""
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.db.execute(f"UPDATE articles SET {assignments} WHERE id = ?", [*values.values(), article_id])


def connect_read_only(path: str | Path) -> sqlite3.Connection:
    """A connection to the archive file ``path`` that cannot write it (SQLite's ``mode=ro``).

    Nothing is created and nothing written: a write raises ``sqlite3.OperationalError``
    ("attempt to write a readonly database"). WAL needs its ``-shm`` (and ``-wal``) beside the file:
    SQLite creates them, empty, when the folder lets it. When it does not (a read-only folder) and
    no ``-wal`` is there, so that the file alone holds every commit, it is opened ``immutable``.
    FileNotFoundError when there is no such file.
    """
    file = Path(path)
    if str(path) == ":memory:" or not file.is_file():
        raise FileNotFoundError(f"{path} does not exist (a read-only archive must be a file)")
    uri = f"{file.resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as error:
        conn.close()
        cannot_share = getattr(error, "sqlite_errorname", "") in (
            "SQLITE_READONLY_DIRECTORY",
            "SQLITE_READONLY_CANTINIT",
        )
        if not cannot_share or file.with_name(file.name + "-wal").exists():
            raise
        conn = sqlite3.connect(f"{uri}&immutable=1", uri=True)
    return conn
