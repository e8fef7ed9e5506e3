"""When an archived article is re-checked: by its age, with gaps that grow (no I/O here).

An article is re-checked 1, 2, 4, 8, 16, 32, 64, 128 and 256 days after it was published, and
every 256 days after that (NewsDiffs re-checks by age the same way): corrections come early, but
also months later. A changed article starts its schedule again from the moment the change was
stored. The store keeps each article's next due time (``articles.recheck_due_at``) and the
archive middleware requests the articles whose time has come; ``--refresh-days N`` (a fixed
window) and ``--recheck-all`` override the schedule for a run. Cost at 15,000 articles:
docs/crawling.md.

A night's re-checks are capped (issue 18) at ``NEWSROOM_RECHECK_BUDGET`` conditional requests:
those due by age first, oldest due first, on at most half the budget when the rest is needed; the
rest goes to the least recently checked articles (an article that changed before counts as checked
earlier: ``CHANGE_BONUS_DAYS``), so every article is re-checked at least every
``recheck_cycle_days`` days. A removed article (404/410) has its own slow schedule
(``REMOVED_RECHECK_DAYS``) and is left out of the sweep.

Times are ISO 8601 text in UTC, to the second, as everything the archive records (``utc_now``),
so that the database compares them as text.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

# Days after publication (or after the last change) at which an article is re-checked.
RECHECK_DAYS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
# After the last of them: every this many days, for as long as the archive runs.
RECHECK_EVERY_AFTER = 256
# A removed article (404/410) is asked again this many days after its removal, then every
# REMOVED_EVERY_AFTER days: a page may come back, but a gone one costs a request a quarter, not a night.
REMOVED_RECHECK_DAYS = (7, 30, 90)
REMOVED_EVERY_AFTER = 180
# The share of a night's re-check budget kept for the least recently checked articles: the rest
# goes to those due by age first (unused, it goes to the sweep too). Bounds the cycle: recheck_cycle_days.
SWEEP_SHARE = 0.5
# In the sweep an article that changed before counts as checked this many days earlier per change
# (at most CHANGE_BONUS_MAX changes): articles that were corrected once are checked again sooner.
CHANGE_BONUS_DAYS = 3
CHANGE_BONUS_MAX = 4
# The sweep leaves alone what was checked less than this many days ago (a second run on the same
# day re-checks nothing that is not due).
SWEEP_MIN_AGE_DAYS = 1


def moment(text: str) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime (a date alone: its midnight, UTC).

    >>> moment("2025-07-07T12:52:00+02:00").isoformat()
    '2025-07-07T10:52:00+00:00'
    >>> moment("2025-07-07").isoformat()
    '2025-07-07T00:00:00+00:00'
    """
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    value = datetime.fromisoformat(text)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def clock_now(fixed: str | None) -> str:
    """The archive's "now": ``fixed`` (``NEWSROOM_NOW``, the test clock) when given, else the real
    clock, in the archive's form (``iso``). Every time the archive records follows it.

    >>> clock_now("2026-12-01T06:30:00+01:00")
    '2026-12-01T05:30:00+00:00'
    """
    return iso(moment(fixed)) if fixed else iso(datetime.now(UTC))


def iso(value: datetime) -> str:
    """The archive's form of a moment: UTC, to the second."""
    return value.astimezone(UTC).isoformat(timespec="seconds")


def schedule_start(published_at: str | None, first_seen_at: str, last_changed_at: str, version_count: int) -> str:
    """Where an article's schedule counts from: its last change once it has changed, else its
    publication (or, without a date, when the archive first saw it)."""
    if version_count > 1:
        return last_changed_at
    try:
        return iso(moment(published_at)) if published_at else first_seen_at
    except ValueError:  # a date the parser kept as it was: count from the first sight
        return first_seen_at


def next_removed_recheck(removed_at: str, checked_at: str) -> str:
    """The next re-check of an article removed at ``removed_at`` (REMOVED_RECHECK_DAYS), strictly
    after ``checked_at``.

    >>> next_removed_recheck("2026-01-01T05:00:00+00:00", "2026-01-01T05:00:00+00:00")
    '2026-01-08T05:00:00+00:00'
    >>> next_removed_recheck("2026-01-01T05:00:00+00:00", "2026-01-08T05:00:00+00:00")
    '2026-01-31T05:00:00+00:00'
    """
    return next_recheck(removed_at, checked_at, REMOVED_RECHECK_DAYS, REMOVED_EVERY_AFTER)


def recheck_cycle_days(articles: int, budget: int | None) -> int | None:
    """The days within which every article is re-checked at least once, when a night's re-checks
    are capped at ``budget`` (``NEWSROOM_RECHECK_BUDGET``): half of it is kept for the least recently
    checked (``SWEEP_SHARE``), so the whole archive is swept in ``articles / (budget / 2)`` nights.
    None: no budget, no promise (the schedule by age alone leaves old articles 256 days apart).

    >>> recheck_cycle_days(2837, 300), recheck_cycle_days(100, 300), recheck_cycle_days(100, None)
    (19, 1, None)
    """
    if not budget:
        return None
    return max(1, math.ceil(articles / sweep_quota(budget)))


def sweep_quota(budget: int) -> int:
    """The re-checks a night keeps for the least recently checked articles (at least one)."""
    return max(1, math.floor(budget * SWEEP_SHARE))


def next_recheck(
    start: str, checked_at: str, days: tuple[int, ...] = RECHECK_DAYS, every: int = RECHECK_EVERY_AFTER
) -> str:
    """The first scheduled re-check of an article whose schedule starts at ``start``, strictly
    after it was last checked at ``checked_at``.

    >>> next_recheck("2026-01-01", "2026-01-01T09:00:00+00:00")
    '2026-01-02T00:00:00+00:00'
    >>> next_recheck("2026-01-01", "2026-01-10T09:00:00+00:00")
    '2026-01-17T00:00:00+00:00'
    >>> next_recheck("2025-01-01", "2026-01-10T00:00:00+00:00")  # past 256 days: every 256 days
    '2026-05-28T00:00:00+00:00'
    """
    origin, after = moment(start), moment(checked_at)
    for step in days:
        if origin + timedelta(days=step) > after:
            return iso(origin + timedelta(days=step))
    last = origin + timedelta(days=days[-1])
    periods = (after - last) // timedelta(days=every) + 1
    return iso(last + periods * timedelta(days=every))
