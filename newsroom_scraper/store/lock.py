"""``write_lock``: one run writes an archive at a time (a crawl, a reparse, a Wayback backfill).

A scheduled crawl that overlaps a slow one (cron does not check), or a crawl started during a
reparse, stops at once with ``ArchiveBusy`` instead of both failing later with "database is
locked" after reading everything (issue 17). The lock is ``<db>.lock``, a POSIX record lock
(``lockf``): the operating system drops it when the process dies, and a child process does not
inherit it, so no process outliving a killed run can keep the next one out. It is re-entrant
within a process (a backfill holds it and the reparse it ends with takes it again): closing a
second handle of the file would drop the process's lock on it, so a held path is not re-opened.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from newsroom_scraper.errors import ArchiveBusy, ArchiveUnusable

T = TypeVar("T")
P = ParamSpec("P")
_HELD: dict[str, int] = {}  # lock file → how many ``write_lock`` blocks of this process hold it


@contextmanager
def write_lock(db_path: str | Path) -> Iterator[None]:
    """Hold ``<db>.lock`` while writing the archive; ArchiveBusy when another process holds it,
    ArchiveUnusable when the lock file cannot be created (a read-only folder, a full disk)."""
    key = os.path.abspath(f"{db_path}.lock")
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    try:
        Path(key).parent.mkdir(parents=True, exist_ok=True)
        handle = open(key, "w")  # noqa: SIM115 - closed by the with block below
    except OSError as error:  # a read-only folder, a full disk: one line, not a traceback (issue 17, 8)
        raise ArchiveUnusable(
            f"cannot create the lock file {db_path}.lock ({error.strerror}): a run must write the archive's folder"
        ) from None
    with handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            raise ArchiveBusy(
                f"another crawl or reparse is writing {db_path} (lock {db_path}.lock); try again later"
            ) from None
        _HELD[key] = 1
        try:
            yield
        finally:
            del _HELD[key]


def is_write_locked(db_path: str | Path) -> bool:
    """Whether a process holds ``<db>.lock`` now (a crawl, reparse or backfill is writing): ``status``
    tells a running crawl from one that was interrupted. Asks without taking the lock for long."""
    key = os.path.abspath(f"{db_path}.lock")
    if _HELD.get(key):
        return True
    try:
        handle = open(key)
    except OSError:  # never locked, or not ours to read: nobody is writing through it
        return False
    with handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.lockf(handle, fcntl.LOCK_UN)
    return False


def holding_write_lock(run: Callable[Concatenate[str | Path, P], T]) -> Callable[Concatenate[str | Path, P], T]:
    """``run(db_path, ...)`` with the archive's write lock held throughout (a decorator)."""

    @wraps(run)
    def locked(db_path: str | Path, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with write_lock(db_path):
            return run(db_path, *args, **kwargs)

    return locked
