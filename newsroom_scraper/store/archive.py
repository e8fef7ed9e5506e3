"""``Archive``: the archive database file, one facade over the store's jobs.

The store is the only code that talks to the database (sqlite-utils 4). ``Archive`` opens the
file and combines one mixin per job, as sqlite-utils' Database is one object:

- runs.py: crawl runs and their errors (``start_run``, ``record_error``, ``retry_urls`` …);
- articles.py: what a crawl saves (``save_article``, ``mark_not_modified``, ``mark_removed``);
- groups.py: many saves in one transaction (``batch``, ``begin_group``, ``commit_group`` …);
- history.py: an article rebuilt from its captures (``replace_history``, for reparse);
- rechecks.py: what to fetch again (``refresh_candidates``, the re-check schedule);
- queries.py: lookups, ``summary`` and search (its SQL: search/sql.py);
- maintenance.py: integrity checks, ``backup_file`` and ``verify_file``.

What is derived from an Article without the database is rows.py, the schema's migrations
schema.py. The spider asks the archive which articles are known, the pipeline hands it parsed
articles, Datasette reads the file it writes. docs/storage.md describes the tables.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from newsroom_scraper.items import one_value_fields
from newsroom_scraper.search.sql import register_search_functions
from newsroom_scraper.store.history import History
from newsroom_scraper.store.maintenance import Maintenance
from newsroom_scraper.store.queries import Queries
from newsroom_scraper.store.schema import MIGRATIONS, add_field_columns


class Archive(History, Queries, Maintenance):
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
        self._texts = None
        self._index_missing_words()
        self.schedule_unscheduled()
