"""How late an edit is found, by the age of the article: re-checks by age alone against a nightly budget.

    python bench/edit_delay.py [--articles 2000] [--per-day 4.6] [--nights 180] [--budget 300] [--seed 1]

The archive (the store's own code: ``Archive.refresh_candidates``, ``save_article``,
``mark_not_modified``, in a temporary file) starts with ``--articles`` articles published at
``--per-day`` a day, all checked the night before, and grows by ``--per-day`` each night. Each
night three articles are edited, one in each age band (under 60 days, 60-200, over 200), and each
night's re-checks are "fetched": an edited article is stored as changed (its edit found), the others
answer 304. Printed for ``NEWSROOM_RECHECK_BUDGET=0`` (by age only, as before issue 18) and for
``--budget``: re-checks a night (median, p90, max) and, per age band, the edits found within the
run, the median and the longest delay in days, and those never found. No HTTP, no parsing: the
schedule's and the budget's arithmetic on the real store.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsroom_scraper.items import Article
from newsroom_scraper.ops.schedule import iso, recheck_cycle_days
from newsroom_scraper.store import Archive

BANDS = ((0, 60, "< 60 days"), (60, 200, "60-200 days"), (200, 10_000, "> 200 days"))
FIRST_NIGHT = datetime(2027, 1, 1, 5, 30, tzinfo=UTC)


def article(number: int, published: datetime, body: str) -> Article:
    return Article(
        url=f"https://www.dortmund.de/newsroom/nachrichten/a{number}.html",
        title=f"Artikel {number}",
        published_at=published.date().isoformat(),
        layout="dtm-2023",
        body_text=body,
    )


def simulate(articles: int, per_day: float, nights: int, budget: int, seed: int) -> dict[str, object]:
    """One run of the simulation (see the module's doc); its figures."""
    rng = random.Random(seed)
    published: dict[int, datetime] = {}
    bodies: dict[int, str] = {}
    with tempfile.TemporaryDirectory() as folder, Archive(Path(folder) / "a.db") as archive:
        run = archive.start_run("bench", {})

        def save(number: int, at: datetime) -> None:
            archive.save_article(
                article(number, published[number], bodies[number]),
                run_id=run,
                fetched_url=f"http://127.0.0.1:9/a{number}.html",
                fetched_at=iso(at),
                etag=None,
                last_modified=None,
            )

        with archive.batch():
            for number in range(articles):
                published[number] = FIRST_NIGHT - timedelta(days=(number + 0.5) / per_day)
                bodies[number] = "Text."
                save(number, FIRST_NIGHT - timedelta(days=1))
        pending: dict[int, int] = {}  # article → the night it was edited
        delays: dict[str, list[int]] = {name: [] for _, _, name in BANDS}
        edited: dict[int, str] = {}
        rechecks: list[int] = []
        added = 0.0
        for night in range(nights):
            now = FIRST_NIGHT + timedelta(days=night)
            with archive.batch():
                added += per_day
                while added >= 1:
                    number = len(published)
                    published[number], bodies[number] = now - timedelta(hours=3), "Text."
                    save(number, now)
                    added -= 1
                for low, high, name in BANDS:  # an edit in each band, before tonight's run
                    ages = [n for n in published if low <= (now - published[n]).days < high and n not in pending]
                    if ages:
                        number = rng.choice(ages)
                        pending[number], edited[number] = night, name
                        bodies[number] += f" Korrektur {night}."
                candidates = archive.refresh_candidates(now=now, budget=budget)
                rechecks.append(len(candidates))
                for row in candidates:
                    number = int(row["url"].rsplit("/a", 1)[1].removesuffix(".html"))
                    if number in pending:
                        delays[edited[number]].append(night - pending.pop(number))
                        save(number, now)
                    else:
                        archive.mark_not_modified(row["fetched_url"], run_id=run, checked_at=iso(now))
        missed = {name: sum(1 for n in pending if edited[n] == name) for _, _, name in BANDS}
        total = archive.article_count()
    return {"rechecks": rechecks, "delays": delays, "missed": missed, "articles": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--per-day", type=float, default=4.6)
    parser.add_argument("--nights", type=int, default=180)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for budget in (0, args.budget):
        figures = simulate(args.articles, args.per_day, args.nights, budget, args.seed)
        rechecks = sorted(figures["rechecks"])  # type: ignore[call-overload]
        p90 = rechecks[int(0.9 * (len(rechecks) - 1))]
        cycle = recheck_cycle_days(figures["articles"], budget)  # type: ignore[arg-type]
        print(
            f"budget {budget or 'none (by age only)'}: {figures['articles']} articles after {args.nights} nights; "
            f"re-checks a night median {statistics.median(rechecks):.0f}, p90 {p90}, max {rechecks[-1]}; "
            f"promised cycle {cycle or '–'} days"
        )
        for _, _, name in BANDS:
            found = figures["delays"][name]  # type: ignore[index]
            missed = figures["missed"][name]  # type: ignore[index]
            median = f"{statistics.median(found):.0f}" if found else "–"
            print(
                f"  edits to articles {name:>11}: {len(found)} found, median delay {median} d, "
                f"max {max(found) if found else '–'} d, {missed} not found by the end"
            )


if __name__ == "__main__":
    main()
