"""Re-checks per night: the schedule by age (schedule.py) against a fixed window, over a year.

    python bench/recheck_cost.py [--articles 15000] [--per-day 8] [--window 14] [--nights 365]

An archive of ``--articles`` articles published at a steady ``--per-day`` (the oldest
articles/per-day days ago), growing by ``--per-day`` new articles each night, crawled once a
night at 05:30 UTC. For each night it counts the re-checks due by ``schedule.next_recheck``
(the code the crawl uses), and compares them with a fixed window (every article of the last
``--window`` days, each night: the default before this issue) and with that window plus the weekly
``--recheck-all`` it needed to catch late corrections. No article changes here: a changed article
restarts its schedule, so a site that corrects much costs a little more.
"""

from __future__ import annotations

import argparse
import heapq
import statistics
from datetime import UTC, datetime, timedelta

from newsroom_scraper.ops.schedule import iso, next_recheck


def nightly_rechecks(articles: int, per_day: float, nights: int) -> list[int]:
    """Re-checks due at each of ``nights`` nightly runs, the archive growing by ``per_day``."""
    first_night = datetime(2027, 1, 1, 5, 30, tzinfo=UTC)
    due: list[tuple[str, str]] = []  # (next due, schedule start), a heap
    for number in range(articles):  # the archive at the first night, all checked the night before
        published = iso(first_night - timedelta(days=(number + 0.5) / per_day))
        heapq.heappush(due, (next_recheck(published, iso(first_night - timedelta(days=1))), published))
    counts = []
    added = 0.0
    for night in range(nights):
        now = first_night + timedelta(days=night)
        checked = iso(now)
        count = 0
        while due and due[0][0] <= checked:
            _, start = heapq.heappop(due)
            heapq.heappush(due, (next_recheck(start, checked), start))
            count += 1
        counts.append(count)
        added += per_day  # the day's new articles, published during the day before, archived tonight
        while added >= 1:
            added -= 1
            published = iso(now - timedelta(hours=1 + 20 * added / per_day))
            heapq.heappush(due, (next_recheck(published, checked), published))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=15_000)
    parser.add_argument("--per-day", type=float, default=8.0)
    parser.add_argument("--window", type=int, default=14)
    parser.add_argument("--nights", type=int, default=365)
    args = parser.parse_args()
    counts = nightly_rechecks(args.articles, args.per_day, args.nights)
    window = args.window * args.per_day
    size_at_end = args.articles + args.per_day * args.nights
    weekly = (args.articles + size_at_end) / 2 / 7  # --recheck-all once a week, spread over the nights
    print(f"archive: {args.articles:,} articles growing by {args.per_day:g} a day; {args.nights} nightly runs")
    print(
        f"by age (1, 2, 4 … 256 days, then every 256): median {statistics.median(counts):.0f}, "
        f"mean {statistics.fmean(counts):.1f}, max {max(counts)} re-checks a night; {sum(counts):,} in all"
    )
    print(f"fixed {args.window}-day window: {window:.0f} a night; {window * args.nights:,.0f} in all")
    print(
        f"fixed window + weekly --recheck-all: {window + weekly:.0f} a night on average; "
        f"{(window + weekly) * args.nights:,.0f} in all"
    )


if __name__ == "__main__":
    main()
