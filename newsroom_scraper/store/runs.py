"""Crawl runs and their errors: a run's record from start to finish, the errors to retry,
the drift alerts kept with a run."""

from __future__ import annotations

from typing import Any

from newsroom_scraper.errors import Failure
from newsroom_scraper.parser.text.dates import utc_now
from newsroom_scraper.store.base import ArchiveBase
from newsroom_scraper.store.rows import json_text
from newsroom_scraper.store.schema import merge_search_indexes

# The URLs whose last error (the one recorded latest) is unresolved and of the kind given.
_LAST_OF_KIND = """SELECT url FROM crawl_errors AS e WHERE resolved_at IS NULL AND kind = ?
    AND id = (SELECT MAX(id) FROM crawl_errors WHERE url = e.url)"""


class Runs(ArchiveBase):
    """``crawl_runs`` and ``crawl_errors``: what ``Archive`` records about each crawl (or reparse)."""

    def start_run(self, start_url: str, options: dict[str, Any], *, started_at: str | None = None) -> int:
        """Record the start of a crawl and return its run id.

        Runs still unfinished are ones whose process died (SIGKILL, power loss): the crawl lock
        makes this the only crawl, so they are marked ``killed`` rather than left open forever.
        ``started_at``: the run's clock (``NEWSROOM_NOW``), default the real one.
        """
        self.db.execute(
            "UPDATE crawl_runs SET finish_reason = 'killed' WHERE finished_at IS NULL AND finish_reason IS NULL"
        )
        cursor = self.db.execute(
            "INSERT INTO crawl_runs (started_at, start_url, options) VALUES (?, ?, ?)",
            [started_at or utc_now(), start_url, json_text(options)],
        )
        return int(cursor.lastrowid or 0)

    def finish_run(
        self,
        run_id: int,
        finish_reason: str,
        stats: dict[str, Any],
        counts: dict[str, Any],
        empty_fields: dict[str, Any],
        *,
        finished_at: str | None = None,
    ) -> None:
        """Record how a crawl ended: Scrapy's stats, the outcome counts, empty fields.

        ``counts`` has the keys new, changed, unchanged, not_modified and errors;
        missing keys are stored as 0. The small segments the run added to the search indexes are
        merged (schema.merge_search_indexes: bounded work, never the whole index again).
        """
        self.db.execute(
            """UPDATE crawl_runs SET finished_at = ?, finish_reason = ?, stats = ?,
                new_count = ?, changed_count = ?, unchanged_count = ?,
                not_modified_count = ?, error_count = ?, empty_fields = ?
            WHERE id = ?""",
            [
                finished_at or utc_now(),
                finish_reason,
                json_text(stats),
                *(int(counts.get(key, 0)) for key in ("new", "changed", "unchanged", "not_modified", "errors")),
                json_text(empty_fields),
                run_id,
            ],
        )
        merge_search_indexes(self.db)

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        """The ``crawl_runs`` row of a run (JSON columns as text), or None."""
        rows = self._rows("SELECT * FROM crawl_runs WHERE id = ?", [run_id])
        return rows[0] if rows else None

    def recent_runs(self, limit: int, before: int | None = None, *, healthy: bool = False) -> list[dict[str, Any]]:
        """The last ``limit`` finished runs (before run ``before``, if given), newest first;
        ``healthy``: only those that repeated or raised no alert (the drift baseline, ops/drift.py)."""
        only_healthy = "AND (drift IS NULL OR drift = '[]')" if healthy else ""
        return self._rows(
            f"SELECT * FROM crawl_runs WHERE finished_at IS NOT NULL AND id < ? {only_healthy} ORDER BY id DESC LIMIT ?",
            [before if before is not None else 2**62, limit],
        )

    def parse_errors_by_reason(self, run_id: int) -> dict[str, int]:
        """How many pages of a run did not parse, by short reason (``truncated``, ``no-article`` …)."""
        rows = self.db.execute(
            """SELECT CASE WHEN instr(reason, ':') > 0 THEN substr(reason, 1, instr(reason, ':') - 1)
                ELSE coalesce(reason, '?') END, COUNT(*)
            FROM crawl_errors WHERE run_id = ? AND kind = 'parse' GROUP BY 1 ORDER BY 2 DESC""",
            [run_id],
        )
        return dict(rows.fetchall())

    def record_drift(self, run_id: int, alerts: list[str]) -> None:
        """Keep a run's drift alerts (ops/drift.py) with the run."""
        self.db.execute("UPDATE crawl_runs SET drift = ? WHERE id = ?", [json_text(alerts), run_id])

    def record_error(
        self,
        run_id: int,
        url: str,
        kind: str,
        reason: str,
        status: int | None = None,
        attempts: int | None = None,
        *,
        occurred_at: str | None = None,
    ) -> None:
        """Record a failed fetch, parse or store of ``url`` (``kind``: an ``errors.Failure``) at
        ``occurred_at`` (the run's clock, default the real one); it is retried next run, unless it
        is a ``warning`` about a page that was stored or a ``layout-lost``."""
        self.db.execute(
            """INSERT INTO crawl_errors (run_id, url, kind, status, reason, occurred_at, attempts)
            VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [run_id, url, kind, status, reason, occurred_at or utc_now(), attempts],
        )

    def retry_urls(self, *, too_large: bool = True) -> list[str]:
        """URLs with unresolved errors (warnings and lost layouts aside: those pages were read, and
        are fetched again when their re-check is due), each once, oldest error first; without
        ``too_large``, not those whose last error is ``too-large`` (``too_large_urls``)."""
        rows = self.db.execute(
            f"""SELECT url FROM crawl_errors WHERE resolved_at IS NULL AND kind NOT IN ('warning', 'layout-lost')
            {"" if too_large else f"AND url NOT IN ({_LAST_OF_KIND})"}
            GROUP BY url ORDER BY MIN(id)""",
            [] if too_large else [Failure.TOO_LARGE.value],
        )
        return [url for (url,) in rows]

    def too_large_urls(self) -> set[str]:
        """URLs whose last unresolved error is ``too-large``: a body beyond DOWNLOAD_MAXSIZE is
        almost surely beyond it at the next run too, so the crawl asks for them again only in a
        --recheck-all run, not every run (a 50 MB page cost 8 MiB each run; issue 17, 8)."""
        return {url for (url,) in self.db.execute(_LAST_OF_KIND, [Failure.TOO_LARGE.value])}
