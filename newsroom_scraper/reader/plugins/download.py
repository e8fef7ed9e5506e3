"""The whole archive as one SQLite file, from the home page (``/newsroom.db``).

Datasette offers the download of an immutable database only; the archive is served mutable while
a crawl may write it. So the download is a snapshot: SQLite's online backup (``store``'s
``backup_file``, one read transaction, consistent while the crawl writes) into a file beside the
system's temporary files, made again only when the archive changed since (its file and its WAL's
size and time), and sent as a file (streamed, constant memory).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from datasette.utils.asgi import AsgiFileDownload, Response

from newsroom_scraper.reader import DATABASE_NAME
from newsroom_scraper.reader.hooks import hookimpl
from newsroom_scraper.store.maintenance import backup_file

_LOCK = asyncio.Lock()  # one snapshot at a time; the others wait for it and send it


def _state(path: Path) -> tuple[int, ...]:
    """What changes when a transaction commits: the file's and its WAL's size and time."""
    state: tuple[int, ...] = ()
    for file in (path, path.with_name(path.name + "-wal")):
        if file.exists():
            info = file.stat()
            state += (info.st_size, info.st_mtime_ns)
    return state


def snapshot_path(path: Path) -> Path:
    """Where the snapshot of the archive at ``path`` is kept (one per served file)."""
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"newsroom-archive-{digest}.db"


async def fresh_snapshot(path: Path) -> Path:
    """The snapshot of ``path``, made again when the archive changed since the last one."""
    target = snapshot_path(path)
    stamp = target.with_suffix(".state")
    async with _LOCK:
        state = repr(_state(path))
        if not target.exists() or not stamp.exists() or stamp.read_text() != state:
            partial = target.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            await asyncio.to_thread(backup_file, path, partial)
            os.replace(partial, target)
            stamp.write_text(state)
    return target


async def download(datasette: Any) -> Any:
    database = datasette.databases.get(DATABASE_NAME)
    if database is None or not database.path:
        return Response.text("Keine Archivdatei.", status=404)
    snapshot = await fresh_snapshot(Path(database.path))
    headers = {"Cache-Control": "no-cache"}
    return AsgiFileDownload(snapshot, filename=f"{DATABASE_NAME}.db", headers=headers)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(rf"^/{DATABASE_NAME}\.db$", download)]
