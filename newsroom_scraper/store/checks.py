"""``check_archive``: whether a run (crawl, reparse, Wayback backfill) can write the archive, said
before it fetches or reads anything, in one line (``ArchiveUnusable``; the CLI exits 2)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from newsroom_scraper.errors import ArchiveUnusable
from newsroom_scraper.store.archive import Archive
from newsroom_scraper.store.maintenance import quick_check_file


def check_archive(db_path: str | Path) -> None:
    """ArchiveUnusable unless the archive can take a run: sound (``PRAGMA quick_check``) and
    writable. A damaged or read-only file would otherwise fail every article of the run.

    A new archive is created here (folder, file, schema), so that a folder that cannot hold it
    (read-only, a full disk) stops the run before its first request instead of a traceback from
    the crawl's writer (issue 17, 8).
    """
    path = Path(db_path)
    if not path.exists():
        _create(path)
        return
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise ArchiveUnusable(f"{path} is read-only: a run must write it (serving it needs no write access)")
    try:
        problem = quick_check_file(path)  # read-only: the run's writer migrates it, if need be
    except sqlite3.OperationalError as error:  # cannot even be opened: not a sign of damage
        raise ArchiveUnusable(f"{path} cannot be opened ({error}): is its disk full?") from None
    except sqlite3.Error as error:
        problem = f"{type(error).__name__}: {error}"
    if problem and "readonly" in problem:
        raise ArchiveUnusable(f"{path} is read-only ({problem}): a run must write it")
    if problem:
        raise ArchiveUnusable(
            f"{path} is damaged ({problem}); restore it from a backup or move it away to start a new archive"
        )


def _create(path: Path) -> None:
    """Create an empty archive at ``path``; ArchiveUnusable, leaving no empty file, when it cannot be."""
    try:
        Archive(path).close()
    except (OSError, sqlite3.Error) as error:
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if leftover.exists() and leftover.stat().st_size == 0:
                leftover.unlink(missing_ok=True)
        where = "its folder is read-only" if not os.access(path.parent, os.W_OK) else "is the disk full?"
        raise ArchiveUnusable(f"{path} cannot be created ({error}): {where}") from None
