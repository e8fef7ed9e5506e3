"""Re-checks: which archived articles a crawl fetches again (by their schedule, ops/schedule.py,
or all, or the recent ones), and the schedule of articles that have none yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from newsroom_scraper.ops.schedule import iso as schedule_iso
from newsroom_scraper.store.base import ArchiveBase
from newsroom_scraper.store.rows import SCHEDULE_COLUMNS, next_recheck_of

# What refresh_candidates() returns for each article.
_KNOWN_COLUMNS = "id, url, fetched_url, published_at, etag, last_modified"


class Rechecks(ArchiveBase):
    """``articles.recheck_due_at``: when each article is fetched again."""

    def refresh_candidates(
        self, *, now: dt.datetime, refresh_days: int | None = None, all_articles: bool = False
    ) -> list[dict[str, Any]]:
        """Articles to fetch again, newest first: those whose scheduled re-check is due at ``now``
        (ops/schedule.py); or, overriding the schedule, all of them, or those published in the last
        ``refresh_days`` days (compared on ``published_date``, so that date-only values count).
        """
        if all_articles:
            return self._rows(f"SELECT {_KNOWN_COLUMNS} FROM articles ORDER BY published_date DESC, id")
        if refresh_days is None:
            return self._rows(
                f"""SELECT {_KNOWN_COLUMNS} FROM articles WHERE recheck_due_at <= ?
                ORDER BY published_date DESC, id""",
                [schedule_iso(now)],
            )
        cutoff = (now.date() - dt.timedelta(days=refresh_days)).isoformat()
        return self._rows(
            f"""SELECT {_KNOWN_COLUMNS} FROM articles WHERE published_date >= ?
            ORDER BY published_date DESC, id""",
            [cutoff],
        )

    def recheck_schedule(self, now: dt.datetime) -> dict[str, Any]:
        """How many re-checks are due at ``now``, within a day and a week after it, and the next."""
        at = [schedule_iso(now + dt.timedelta(days=days)) for days in (0, 1, 7)]
        due = self.db.execute(
            """SELECT SUM(recheck_due_at <= ?), SUM(recheck_due_at <= ?), SUM(recheck_due_at <= ?),
                MIN(CASE WHEN recheck_due_at > ? THEN recheck_due_at END) FROM articles""",
            [*at, at[0]],
        ).fetchone()
        return {"due_now": due[0] or 0, "due_in_a_day": due[1] or 0, "due_in_a_week": due[2] or 0, "next": due[3]}

    def postpone_recheck(self, urls: list[str], *, checked_at: str) -> None:
        """Move the next re-check of the article under any of ``urls`` (canonical or fetched) past
        ``checked_at``, as a check would, without touching its content or validators (a page that
        was fetched but could not be read: a lost layout)."""
        marks = ", ".join("?" for _ in urls)
        rows = self._rows(
            f"SELECT {SCHEDULE_COLUMNS} FROM articles WHERE url IN ({marks}) OR fetched_url IN ({marks})",
            [*urls, *urls],
        )
        for row in rows:
            self._update_article(row["id"], {"recheck_due_at": next_recheck_of(row, checked_at)})

    def schedule_unscheduled(self) -> int:
        """Give every article without a next re-check time one (an archive older than the
        schedule); returns how many. Indexed: nothing to do costs one lookup."""
        rows = self._rows(f"SELECT {SCHEDULE_COLUMNS} FROM articles WHERE recheck_due_at IS NULL")
        with self.db.atomic():
            for row in rows:
                self._update_article(row["id"], {"recheck_due_at": next_recheck_of(row, row["last_checked_at"])})
        return len(rows)
