"""Re-checks by age: the schedule (ops/schedule.py), the due times the store keeps, and the override
options; every clock here is one the test sets."""

from __future__ import annotations

import datetime as dt

import pytest

from newsroom_scraper.items import Article
from newsroom_scraper.ops.report import format_summary
from newsroom_scraper.ops.schedule import RECHECK_DAYS, next_recheck, schedule_start
from newsroom_scraper.store import Archive

URL = "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/ampel.html"
PUBLISHED = "2026-03-01T10:00:00+01:00"  # 09:00 UTC


def at(days: float) -> str:
    """The moment ``days`` after publication, as the crawl records it."""
    moment = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC) + dt.timedelta(days=days)
    return moment.isoformat(timespec="seconds")


def clock(days: float) -> dt.datetime:
    return dt.datetime.fromisoformat(at(days))


def article(body: str = "Die Ampel wird erneuert.") -> Article:
    return Article(
        url=URL, title="Ampel", published_at=PUBLISHED, body_text=body, body_html=f"<p>{body}</p>", layout="dtm-2023"
    )


def store(archive: Archive, run: int, days: float, body: str = "Die Ampel wird erneuert.") -> str:
    return archive.save_article(
        article(body), run_id=run, fetched_url=URL, fetched_at=at(days), etag=None, last_modified=None
    )


def due(archive: Archive) -> str:
    return archive.db.execute("select recheck_due_at from articles").fetchone()[0]


def test_gaps_grow_from_publication():
    checks, checked = [], at(0.1)
    for _ in range(len(RECHECK_DAYS) + 2):
        checked = next_recheck(PUBLISHED, checked)
        checks.append(checked)
    assert checks[: len(RECHECK_DAYS)] == [at(days) for days in RECHECK_DAYS]
    assert checks[-2:] == [at(512), at(768)]  # then every 256 days


def test_a_changed_article_starts_its_schedule_again():
    assert schedule_start(PUBLISHED, at(0), at(40), 2) == at(40)
    assert schedule_start(PUBLISHED, at(0), at(0), 1) == at(0)
    assert schedule_start(None, at(3), at(3), 1) == at(3)  # no date: from when it was first seen
    assert schedule_start("Mo 7. Juli", at(3), at(3), 1) == at(3)  # a date kept as text


@pytest.fixture
def archive():
    with Archive(":memory:") as archive:
        yield archive


def test_the_store_keeps_the_next_due_time(archive):
    run = archive.start_run(URL, {})
    store(archive, run, 0.5)  # first seen half a day after publication
    assert due(archive) == at(1)
    assert archive.mark_not_modified(URL, run_id=run, checked_at=at(1.2))
    assert due(archive) == at(2)
    assert store(archive, run, 9) == "unchanged"
    assert due(archive) == at(16)
    assert store(archive, run, 40, "Die Ampel ist fertig.") == "changed"
    assert due(archive) == at(41)  # from the change, one day later


def test_only_due_articles_are_rechecked_by_default(archive):
    run = archive.start_run(URL, {})
    store(archive, run, 0.5)
    assert archive.refresh_candidates(now=clock(0.9)) == []
    assert [row["url"] for row in archive.refresh_candidates(now=clock(1.0))] == [URL]
    # the overrides: a fixed window by publication date, or everything
    assert archive.refresh_candidates(now=clock(0.9), refresh_days=14) != []
    assert archive.refresh_candidates(now=clock(30), refresh_days=14) == []
    assert archive.refresh_candidates(now=clock(0.9), all_articles=True) != []


def test_status_counts_what_is_due(archive):
    run = archive.start_run(URL, {})
    store(archive, run, 0.5)
    assert archive.recheck_schedule(clock(0.5)) == {
        "due_now": 0,
        "due_in_a_day": 1,
        "due_in_a_week": 1,
        "next": at(1),
    }
    assert archive.recheck_schedule(clock(3))["due_now"] == 1
    status = format_summary(archive.summary(now=clock(0.5)))
    assert f"Re-checks by age: 0 due now, 1 within a day, 1 within a week; next due {at(1)}" in status


def test_an_archive_older_than_the_schedule_gets_due_times_when_opened(tmp_path):
    path = tmp_path / "old.db"
    with Archive(path) as archive:
        store(archive, archive.start_run(URL, {}), 0.5)
        archive.db.execute("update articles set recheck_due_at = null")
        assert archive.schedule_unscheduled() == 1
        archive.db.execute("update articles set recheck_due_at = null")
    with Archive(path) as archive:
        assert due(archive) == at(1)


def test_a_nightly_budget_rechecks_every_article_within_the_cycle_it_promises(tmp_path):
    """Issue 18, 3: at most NEWSROOM_RECHECK_BUDGET re-checks a night, due by age first, then the
    least recently checked (changed ones sooner), so every article is re-checked every N nights."""
    from newsroom_scraper.ops.schedule import recheck_cycle_days

    articles, budget, start = 40, 10, dt.datetime(2026, 6, 1, 5, 30, tzinfo=dt.UTC)
    with Archive(tmp_path / "a.db") as archive:
        run = archive.start_run("test", {})
        for n in range(articles):  # published over two years: most are far from their next step by age
            published = (start - dt.timedelta(days=3 + 17 * n)).date().isoformat()
            archive.save_article(
                Article(
                    url=f"https://www.dortmund.de/newsroom/a{n}.html",
                    title="T",
                    published_at=published,
                    layout="dtm-2023",
                    body_text=f"Text {n}.",
                ),
                run_id=run,
                fetched_url=f"http://127.0.0.1:9/newsroom/a{n}.html",
                fetched_at=start.isoformat(),
                etag=None,
                last_modified=None,
            )
        cycle = recheck_cycle_days(articles, budget)
        assert cycle == 8 and archive.recheck_cycle(budget)["cycle_days"] == 8
        last_checked = dict.fromkeys(range(articles), 0)
        longest = 0
        for night in range(1, 25):
            now = start + dt.timedelta(days=night)
            rows = archive.refresh_candidates(now=now, budget=budget)
            assert len(rows) <= budget
            for row in rows:
                archive.mark_not_modified(row["fetched_url"], run_id=run, checked_at=now.isoformat(timespec="seconds"))
                n = int(row["url"].rsplit("/a", 1)[1].removesuffix(".html"))
                longest = max(longest, night - last_checked[n])
                last_checked[n] = night
        longest = max([longest, *(24 - night for night in last_checked.values())])
        assert longest <= cycle, f"an article waited {longest} nights (promised: {cycle})"


def test_the_sweep_checks_an_article_that_changed_before_sooner(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        run = archive.start_run("test", {})
        for n, bodies in enumerate((["Eins."], ["Zwei.", "Zwei, korrigiert."])):
            for day, body in enumerate(bodies):
                archive.save_article(
                    Article(
                        url=f"https://www.dortmund.de/newsroom/b{n}.html",
                        title="T",
                        published_at="2024-01-01",
                        layout="dtm-2023",
                        body_text=body,
                    ),
                    run_id=run,
                    fetched_url=f"http://127.0.0.1:9/newsroom/b{n}.html",
                    fetched_at=f"2026-01-0{day + 1}T05:30:00+00:00",
                    etag=None,
                    last_modified=None,
                )
            archive.mark_not_modified(
                f"http://127.0.0.1:9/newsroom/b{n}.html", run_id=run, checked_at="2026-06-01T05:30:00+00:00"
            )
        now = dt.datetime(2026, 6, 3, 5, 30, tzinfo=dt.UTC)  # neither is due by age
        assert archive.refresh_candidates(now=now, budget=0) == []
        assert [row["url"] for row in archive.refresh_candidates(now=now, budget=1)] == [
            "https://www.dortmund.de/newsroom/b1.html"  # checked as long ago, but corrected once
        ]
