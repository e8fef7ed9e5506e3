"""Re-checks: which archived articles a crawl fetches again (by their schedule, ops/schedule.py,
or all, or the recent ones), and the schedule of articles that have none yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from newsroom_scraper.ops.schedule import (
    CHANGE_BONUS_DAYS,
    CHANGE_BONUS_MAX,
    SWEEP_MIN_AGE_DAYS,
    recheck_cycle_days,
    sweep_quota,
)
from newsroom_scraper.ops.schedule import iso as schedule_iso
from newsroom_scraper.store.base import ArchiveBase
from newsroom_scraper.store.rows import SCHEDULE_COLUMNS, next_recheck_of

# What refresh_candidates() returns for each article: with the newest 200 capture (the response a
# 304 answer confirms: its WARC record is what the 304's record refers to, issue 19, 3).
_KNOWN_COLUMNS = """articles.id, articles.url, fetched_url, published_at, articles.etag, articles.last_modified,
    c.record_id AS confirmed_record_id, c.url AS confirmed_url
    FROM articles LEFT JOIN captures c ON c.id = (
        SELECT id FROM captures WHERE article_id = articles.id AND kind = 'article' AND status = 200
            AND record_id IS NOT NULL
        ORDER BY captured_at DESC, id DESC LIMIT 1)"""


class Rechecks(ArchiveBase):
    """``articles.recheck_due_at``: when each article is fetched again."""

    def refresh_candidates(
        self,
        *,
        now: dt.datetime,
        refresh_days: int | None = None,
        all_articles: bool = False,
        budget: int | None = None,
    ) -> list[dict[str, Any]]:
        """Articles to fetch again: those whose scheduled re-check is due at ``now`` (ops/schedule.py);
        or, overriding the schedule, all of them, or those published in the last ``refresh_days``
        days (compared on ``published_date``, so that date-only values count), newest first.

        ``budget`` caps the scheduled re-checks (not the overrides): see ``_budgeted``.
        """
        if all_articles:
            return self._rows(f"SELECT {_KNOWN_COLUMNS} ORDER BY published_date DESC, articles.id")
        if refresh_days is None and budget:
            return self._budgeted(now, budget)
        if refresh_days is None:
            return self._rows(
                f"""SELECT {_KNOWN_COLUMNS} WHERE recheck_due_at <= ?
                ORDER BY published_date DESC, articles.id""",
                [schedule_iso(now)],
            )
        cutoff = (now.date() - dt.timedelta(days=refresh_days)).isoformat()
        return self._rows(
            f"""SELECT {_KNOWN_COLUMNS} WHERE published_date >= ?
            ORDER BY published_date DESC, articles.id""",
            [cutoff],
        )

    def _budgeted(self, now: dt.datetime, budget: int) -> list[dict[str, Any]]:
        """At most ``budget`` re-checks: those due by age, oldest due first, on the part of the budget
        the sweep does not need; then the sweep: the least recently checked of the others (not
        removed ones: they keep their own schedule), an article that changed before counting as
        checked ``CHANGE_BONUS_DAYS`` earlier per change, and none checked within ``SWEEP_MIN_AGE_DAYS``.
        So every article is re-checked within ``recheck_cycle_days`` nights, and the requests of a
        night stay bounded whatever the archive's age."""
        swept_before = schedule_iso(now - dt.timedelta(days=SWEEP_MIN_AGE_DAYS))
        now_text = schedule_iso(now)
        active = int(self.db.execute("SELECT COUNT(*) FROM articles WHERE removed_at IS NULL").fetchone()[0])
        due_count = int(
            self.db.execute("SELECT COUNT(*) FROM articles WHERE recheck_due_at <= ?", [now_text]).fetchone()[0]
        )
        sweep_needed = min(sweep_quota(budget), max(active - due_count, 0))
        due = self._rows(
            f"SELECT {_KNOWN_COLUMNS} WHERE recheck_due_at <= ? ORDER BY recheck_due_at, articles.id LIMIT ?",
            [now_text, max(budget - sweep_needed, 0)],
        )
        sweep = self._rows(
            f"""SELECT {_KNOWN_COLUMNS}
            WHERE removed_at IS NULL AND (recheck_due_at IS NULL OR recheck_due_at > ?) AND last_checked_at <= ?
            ORDER BY julianday(last_checked_at) - ? * min(version_count - 1, ?), articles.id LIMIT ?""",
            [now_text, swept_before, CHANGE_BONUS_DAYS, CHANGE_BONUS_MAX, budget - len(due)],
        )
        return due + sweep

    def recheck_cycle(self, budget: int | None) -> dict[str, Any]:
        """The re-check budget, the articles it covers (not removed) and the cycle it promises
        (``recheck_cycle_days``: every article re-checked at least every N days; None: no budget)."""
        active = int(self.db.execute("SELECT COUNT(*) FROM articles WHERE removed_at IS NULL").fetchone()[0])
        return {"budget": budget or None, "articles": active, "cycle_days": recheck_cycle_days(active, budget)}

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
