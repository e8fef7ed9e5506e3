"""The archive store: the only code that talks to the database (sqlite-utils).

``Archive`` (archive.py) is the facade; each job is a module of its own (docs/storage.md).
"""

from newsroom_scraper.store.archive import Archive
from newsroom_scraper.store.checks import check_archive
from newsroom_scraper.store.lock import write_lock
from newsroom_scraper.store.maintenance import backup_file, quick_check_file, verify_file
from newsroom_scraper.store.rows import FTS_COLUMNS, PART_TABLES, WORD_COLUMNS, Derived, content_hash, derive

__all__ = [
    "FTS_COLUMNS",
    "PART_TABLES",
    "WORD_COLUMNS",
    "Archive",
    "Derived",
    "backup_file",
    "check_archive",
    "content_hash",
    "derive",
    "quick_check_file",
    "verify_file",
    "write_lock",
]
