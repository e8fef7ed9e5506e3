"""``Archive``: the archive database file, one facade over the store's jobs.

The store is the only code that talks to the database (sqlite-utils 4). ``Archive`` opens the
file and combines one mixin per job, as sqlite-utils' Database is one object:

- runs.py: crawl runs and their errors (``start_run``, ``record_error``, ``retry_urls`` …);
- articles.py: what a crawl saves (``save_article``, ``mark_not_modified``, ``mark_removed``);
- groups.py: many saves in one transaction (``batch``, ``begin_group``, ``commit_group`` …);
- history.py: an article rebuilt from its captures (``replace_history``, for reparse);
- rechecks.py: what to fetch again (``refresh_candidates``, the re-check schedule);
- alerts.py: alerts that stay on until cleared or acknowledged (``raise_alert``, ``acknowledge_alert``);
- queries.py: lookups, ``summary`` and search (its SQL: search/sql.py);
- maintenance.py: integrity checks, ``backup_file`` and ``verify_file``.

What is derived from an Article without the database is rows.py, the schema's migrations
schema.py. The spider asks the archive which articles are known, the pipeline hands it parsed
articles, Datasette reads the file it writes. docs/storage.md describes the tables.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from newsroom_scraper.errors import ArchiveNeedsMigration
from newsroom_scraper.items import one_value_fields
from newsroom_scraper.search.sql import register_search_functions
from newsroom_scraper.store.base import connect_read_only
from newsroom_scraper.store.history import History
from newsroom_scraper.store.maintenance import Maintenance
from newsroom_scraper.store.queries import Queries
from newsroom_scraper.store.schema import MIGRATIONS, add_field_columns


class Archive(History, Queries, Maintenance):
    """The archive database file: open it, save articles and runs, search it.

    Opened to write (the default: the crawl, reparse and the Wayback backfill), it creates missing
    directories, switches the file to WAL, applies pending schema migrations (schema.py) and new
    field columns, indexes any version the word index lacks and schedules any article without a
    re-check time. Migrations run only here, where the archive is written.

    ``read_only=True`` (``newsroom-archive status``, the crawl's lookups and report) opens an
    existing file with SQLite's ``mode=ro`` and never writes it: no folder, no migration, no
    upkeep, and any write raises ``sqlite3.OperationalError`` ("attempt to write a readonly
    database"). An archive whose schema is older than this code is refused, not half read:
    ``ArchiveNeedsMigration`` names the pending migrations, which the next crawl or reparse
    applies. Upkeep that does not change the schema (word-index rows, re-check times, columns of
    Article fields newer than the file) waits for that open too; until then such versions are
    missing from word searches and such articles from the re-checks due.

    Use as a context manager, or call ``close()``. ``db`` is the underlying
    ``sqlite_utils.Database`` for read-only use by tests and tools. One Archive
    belongs to one thread (sqlite3's default).

    Foreign keys are enforced: ``run_id`` arguments must come from ``start_run``.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.read_only = read_only
        self._texts = None
        self._pending = None
        if read_only:
            self._open_read_only(path)
            return
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
        self._index_missing_words()
        self.schedule_unscheduled()

    def _open_read_only(self, path: str | Path) -> None:
        """Open ``path`` read-only (base.connect_read_only); ArchiveNeedsMigration when its schema is old."""
        self.db = sqlite_utils.Database(connect_read_only(path))
        pending = [migration.name for migration in MIGRATIONS.pending(self.db)]  # reads _sqlite_migrations
        if pending:
            self.db.close()
            raise ArchiveNeedsMigration(
                f"{path} needs migrating: its schema is older than this newsroom-archive (pending: "
                f"{', '.join(pending)}); the next crawl or reparse migrates it"
            )
        register_search_functions(self.db.conn)
