"""``newsroom-archive backup``: a verified copy of the archive, safe while a crawl and readers run.

The copy is made by SQLite's online backup API (``store.backup_file``) into ``<to>.partial``,
checked (``integrity_check`` and the full-text index, ``store.verify_file``), and only then
renamed to ``<to>``: a file at ``<to>`` is always a whole, checked archive. Restore by copying it
back over the archive while no crawl runs (docs/operations.md).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from newsroom_scraper.store import backup_file, verify_file


class BackupError(Exception):
    """The backup could not be made or did not verify; nothing was left at the target."""


def backup(db_path: str | Path, to: str | Path, overwrite: bool = False, say: Callable[[str], None] = print) -> str:
    """Back ``db_path`` up into ``to``; return the one-line summary. ``say`` reports progress."""
    source, target = Path(db_path), Path(to)
    if not source.is_file():
        raise FileNotFoundError(f"{source} does not exist")
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists (--overwrite replaces it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.monotonic()
    say(f"Copying {source} ({_mb(source)}) with SQLite's backup API …")
    try:
        backup_file(source, partial)
        say(f"Checking {partial.name} (integrity_check, full-text index) …")
        held = verify_file(partial)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{type(error).__name__}: {error}") from error
    os.replace(partial, target)
    return (
        f"Backup {target}: {held['articles']} articles, {held['article_versions']} versions, "
        f"{held['crawl_runs']} runs, {_mb(target)}, verified ({time.monotonic() - started:.1f} s)"
    )


def _mb(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.1f} MB"
