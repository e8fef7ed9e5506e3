"""Keeping the file sound: quick and full integrity checks (``quick_check_file`` before a crawl),
and verified backups (``backup_file``, ``verify_file``; ops/backup.py runs them)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from newsroom_scraper.store.base import ArchiveBase, connect_read_only


class Maintenance(ArchiveBase):
    """Integrity checks of the open archive."""

    def quick_check(self) -> str | None:
        """What ``PRAGMA quick_check`` finds wrong with the file (its first lines), None when it is sound.

        Seconds on a large archive at most, so every crawl runs it before writing anything.
        """
        return _quick_check(self.db.conn)

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


def quick_check_file(path: str | Path) -> str | None:
    """``Archive.quick_check`` of the file ``path``, opened read-only whatever its schema's age: the
    crawl checks the archive before its writer opens (and, if need be, migrates) it.
    ``sqlite3.Error`` when it cannot be opened."""
    with closing(connect_read_only(path)) as conn:
        return _quick_check(conn)


def _quick_check(conn: sqlite3.Connection) -> str | None:
    """What ``PRAGMA quick_check`` finds wrong (its first lines, or the error it raised), None when sound."""
    try:
        found = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    except sqlite3.DatabaseError as error:
        return str(error)
    # one line: a finding is itself several lines ("*** in database main ***\nPage 20: …"), and
    # what the crawl and status print of it must be one line (issue 17, 8)
    return None if found == ["ok"] else "; ".join(" ".join(line.split()) for line in found)
