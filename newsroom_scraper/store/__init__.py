"""The archive store: the only code that talks to the database (sqlite-utils)."""

from newsroom_scraper.store.archive import Archive, Derived, backup_file, derive, verify_file

__all__ = ["Archive", "Derived", "backup_file", "derive", "verify_file"]
