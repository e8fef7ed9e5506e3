"""End to end: a small replica served by the test, crawled by `newsroom-archive crawl` in a child
process (Scrapy's reactor runs once per process), checked through the archive and the replica's log."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from newsroom_replica import ReplicaServer, ReplicaSite, quote_path
from newsroom_scraper.parser.text.urls import canonical_url

pytestmark = pytest.mark.e2e  # crawls a replica in child processes (tests/conftest.py: e2e)

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = 40
# No delay and (for 503s: the search API when down) a short back-off: Retry-After is still obeyed.
FAST = ["--delay", "0", "--concurrency", "8", "--log-level", "WARNING", "-s", "NEWSROOM_RETRY_BACKOFF=0.01"]


def crawl(server: ReplicaServer, db: Path, *options: str) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsroom_scraper",
            "crawl",
            "--start-url",
            f"{server.url}/newsroom/",
            "--db",
            str(db),
            *FAST,
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def rows(db: Path, sql: str, *params) -> list[dict]:
    with sqlite3.connect(db) as conn:  # the stdlib's SQLite: what researchers open the file with
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def article_paths_in_log(server: ReplicaServer, start: int, status: int) -> list[str]:
    return [e.path for e in server.log[start:] if e.status == status and e.path.endswith(".html")]


@pytest.fixture(scope="module")
def replica():
    site = ReplicaSite(articles=ARTICLES, seed=7, newest=date.today())
    with ReplicaServer(site) as server:
        yield site, server


@pytest.fixture(scope="module")
def first_run(replica, tmp_path_factory):
    """One crawl, shared by the tests that only read it: none may change its site, request from its
    server or write to its archive (a test that does takes ``own_run``), so any order gives the same."""
    site, server = replica
    db = tmp_path_factory.mktemp("crawl") / "newsroom.db"
    completed = crawl(server, db)
    return site, server, db, completed


@pytest.fixture
def own_run(first_run, tmp_path):
    """``first_run`` for a test that crawls again or changes the site: a copy of its archive and a
    replica of its own with the same content (same seed and day), so the shared one stays as it was."""
    first_site, _, first_db, completed = first_run
    db = tmp_path / "newsroom.db"
    with closing(sqlite3.connect(first_db)) as source, closing(sqlite3.connect(db)) as copy:
        source.backup(copy)  # the WAL's pages included
    site = ReplicaSite(articles=ARTICLES, seed=7, newest=first_site.newest)
    with ReplicaServer(site) as server:
        yield site, server, db, completed


def test_every_article_archived_with_exact_fields(first_run):
    site, _, db, completed = first_run
    assert f"{ARTICLES} new" in completed.stdout
    archived = {row["url"]: row for row in rows(db, "select * from articles")}
    assert set(archived) == {canonical_url(url) for url in site.canonical_urls()}
    for path in site.article_paths():
        expected = site.expected(path)
        row = archived[expected["url"]]
        for name in (
            "title",
            "topline",
            "published_at",
            "lead",
            "body_text",
            "body_html",
            "section",
            "page_id",
            "description",
            "layout",
        ):
            assert row[name] == expected[name], (path, name)
        assert (row["tags_text"] or "") == ", ".join(expected["tags"])
        assert row["version_count"] == 1 and row["etag"]
        images = rows(
            db,
            "select src, alt, caption, credit, credit_by, credit_agency from images "
            "where article_id = ? order by position",
            row["id"],
        )
        assert images == expected["images"], path


def test_sitemap_only_and_listing_only_articles_found(first_run):
    site, _, db, _ = first_run
    urls = {row["url"] for row in rows(db, "select url from articles")}
    sitemap_only = site.sitemap_only_paths()
    listing_only = site.listing_only_paths()
    assert sitemap_only and listing_only
    for path in sitemap_only + listing_only:
        assert site.expected(path)["url"] in urls


def test_robots_obeyed_and_nothing_off_site(first_run):
    site, server, db, _ = first_run
    assert not [e for e in server.log if e.path.startswith("/newsroom/intern")]
    assert any(e.path == "/robots.txt" for e in server.log)
    run = rows(db, "select * from crawl_runs order by id desc limit 1")[0]
    stats = json.loads(run["stats"])
    # every request the crawler made reached the replica: none went to the canonical host or
    # to the off-site links of the listings (they would have failed here, with no internet)
    exceptions = {key for key in stats if key.startswith("downloader/exception_type_count/")}
    assert exceptions <= {"downloader/exception_type_count/scrapy.exceptions.IgnoreRequest"}  # robots.txt only
    assert stats.get("robotstxt/forbidden", 0) >= 1
    assert stats.get("newsroom/offsite_ignored", 0) >= 1  # the listings' off-site links were seen, not followed
    assert rows(db, "select * from crawl_errors") == []


def test_run_is_recorded(first_run):
    _, _, db, completed = first_run
    run = rows(db, "select * from crawl_runs")[0]
    assert run["finish_reason"] == "finished" and run["new_count"] == ARTICLES
    assert "empty fields" in completed.stdout
    options = json.loads(run["options"])
    assert options["refresh_days"] is None and options["full_discovery"] is False  # re-checks by age


def test_second_run_downloads_no_article_in_full(own_run):
    site, server, db, _ = own_run
    mark = len(server.log)
    completed = crawl(server, db, "--refresh-days", "14")  # the fixed window, overriding the schedule
    assert "0 new, 0 changed" in completed.stdout
    assert article_paths_in_log(server, mark, 200) == []
    refreshed = article_paths_in_log(server, mark, 304)
    assert refreshed  # the articles of the last 14 days were re-checked, conditionally
    assert all(row["version_count"] == 1 for row in rows(db, "select version_count from articles"))


def test_edit_add_and_break_between_runs(own_run):
    site, server, db, _ = own_run
    # an article inside the 14-day refresh window, so the run re-checks it
    edited = next(
        p
        for p in site.article_paths()
        if (date.today() - date.fromisoformat(site.expected(p)["published_at"][:10])).days < 10
    )
    site.edit_article(edited, "Ein neuer Absatz, den die Redaktion nachgetragen hat.")
    added = site.add_article()
    broken = site.add_article()
    site.break_article(broken)
    completed = crawl(server, db, "--refresh-days", "14")
    assert "1 new, 1 changed" in completed.stdout and "1 errors" in completed.stdout
    by_url = {row["url"]: row for row in rows(db, "select * from articles")}
    edited_row = by_url[site.expected(edited)["url"]]
    assert edited_row["version_count"] == 2
    assert "nachgetragen" in edited_row["body_text"]
    versions = rows(
        db, "select version, body_text from article_versions where article_id = ? order by version", edited_row["id"]
    )
    assert [v["version"] for v in versions] == [1, 2] and "nachgetragen" not in versions[0]["body_text"]
    others = [row for url, row in by_url.items() if url != edited_row["url"]]
    assert all(row["version_count"] == 1 for row in others)
    assert site.expected(added)["url"] in by_url
    errors = rows(db, "select * from crawl_errors where resolved_at is null")
    assert [(e["kind"], e["url"].endswith(quote_path(broken))) for e in errors] == [("parse", True)]
    assert errors[0]["reason"].startswith("truncated")
    # the broken page is retried next run; once repaired it is stored and the error resolved
    site.restore_article(broken)
    completed = crawl(server, db)
    assert "1 new" in completed.stdout
    assert rows(db, "select * from crawl_errors where resolved_at is null") == []


def test_without_sitemap_and_with_cookies_required(tmp_path):
    site = ReplicaSite(articles=25, seed=11, newest=date.today(), sitemap=False)
    with ReplicaServer(site, require_cookie=True) as server:
        db = tmp_path / "newsroom.db"
        completed = crawl(server, db)
        assert "25 new" in completed.stdout
        assert not [e for e in server.log if e.path.startswith("/sitemap") and e.status == 200]
        assert any(e.status == 302 for e in server.log)  # the cookie was set once by a redirect
    urls = {row["url"] for row in rows(db, "select url from articles")}
    assert urls == {canonical_url(url) for url in site.canonical_urls()}


def test_scrapy_list_from_the_project_root():
    completed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert completed.stdout.split() == ["newsroom"], completed.stderr


def test_max_articles_since_and_recheck_all(tmp_path):
    site = ReplicaSite(articles=30, seed=5, newest=date.today())
    with ReplicaServer(site) as server:
        db = tmp_path / "newsroom.db"
        completed = crawl(server, db, "--max-articles", "5")
        assert "5 new" in completed.stdout
        assert len(rows(db, "select id from articles")) == 5
        cutoff = sorted(date.fromisoformat(site.expected(p)["published_at"][:10]) for p in site.article_paths())[15]
        crawl(server, db, "--since", cutoff.isoformat())
        dates = [date.fromisoformat(r["published_at"][:10]) for r in rows(db, "select published_at from articles")]
        assert sum(day < cutoff for day in dates) <= 5  # only the first run's picks are older
        assert any(day >= cutoff for day in dates)
        mark = len(server.log)
        crawl(server, db, "--recheck-all")
        rechecked = article_paths_in_log(server, mark, 304)
        assert len(rechecked) == len(dates)  # every archived article, conditionally


def test_bad_since_is_a_clear_error(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "newsroom_scraper", "crawl", "--since", "gestern", "--db", str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert completed.stderr.startswith("crawl: ") and "Traceback" not in completed.stderr


def test_archive_opens_in_the_sqlite3_shell(first_run):
    """Researchers open the downloaded file with their own tools: Debian's sqlite3 included."""
    import shutil

    shell = shutil.which("sqlite3")
    if not shell:
        pytest.skip("no sqlite3 command-line shell on this machine")
    _, _, db, _ = first_run
    title = rows(db, "select title from articles order by id limit 1")[0]["title"]
    # a run of letters the title holds as it is: "Innenstadt-Ost" gives "Innenstadt", not "InnenstadtOst",
    # which the trigram index cannot find (which title comes first varies with the crawl's order)
    word = max(re.findall(r"[^\W_]+", title), key=len)
    completed = subprocess.run(
        [
            shell,
            "-readonly",
            str(db),
            f"select count(*) from articles_fts where articles_fts match '\"{word.lower()}\"';",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert int(completed.stdout.strip()) >= 1


def test_failing_search_api_only_narrows_discovery(tmp_path):
    site = ReplicaSite(articles=20, seed=13, newest=date.today())
    site.search_down = True
    with ReplicaServer(site) as server:
        db = tmp_path / "newsroom.db"
        completed = crawl(server, db)
    assert "search API failed" in completed.stdout
    urls = {row["url"] for row in rows(db, "select url from articles")}
    # sitemaps, listings and teasers still find everything (the sitemap lists the sitemap-only ones)
    assert urls == {canonical_url(url) for url in site.canonical_urls()}
    assert rows(db, "select * from crawl_errors") == []


def test_a_second_crawl_on_the_same_archive_stops_at_once(tmp_path):
    from newsroom_scraper.store import write_lock

    db = tmp_path / "newsroom.db"
    with write_lock(db):  # as if a slow scheduled run were still going
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "newsroom_scraper",
                "crawl",
                "--start-url",
                "http://127.0.0.1:9/newsroom/",
                "--db",
                str(db),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert completed.returncode == 2
    assert completed.stderr == f"crawl: another crawl or reparse is writing {db} (lock {db}.lock); try again later\n"


def test_status_summarises_the_archive(first_run):
    _, _, db, _ = first_run
    completed = subprocess.run(
        [sys.executable, "-m", "newsroom_scraper", "status", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith(f"Articles: {len(rows(db, 'select id from articles'))} (")
    assert "URLs with open errors:" in completed.stdout and "Last run:\nRun " in completed.stdout


def test_a_nightly_run_stops_paging_where_nothing_is_new(tmp_path):
    """After a full first crawl, a run finds the articles added since and walks no listing or
    search page past the first page that holds none of them; --full-discovery walks them all."""
    site = ReplicaSite(articles=60, seed=17, newest=date.today())
    with ReplicaServer(site) as server:
        db = tmp_path / "newsroom.db"
        crawl(server, db)  # the archive was empty: a full walk
        first = [e.path for e in server.log if "page=" in e.path]
        news_pages = {p for p in first if p.startswith("/newsroom/nachrichten/?page=")}
        assert len(news_pages) >= 3
        added = [site.add_article() for _ in range(3)]
        mark = len(server.log)
        completed = crawl(server, db)
        assert "3 new" in completed.stdout
        urls = {row["url"] for row in rows(db, "select url from articles")}
        assert {site.expected(path)["url"] for path in added} <= urls
        paths = [e.path for e in server.log[mark:]]
        # page 1 held the 3 new articles, page 2 none of them: page 3 is never asked for
        assert "/newsroom/nachrichten/?page=2" in paths and "/newsroom/nachrichten/?page=3" not in paths
        assert sum(1 for p in paths if "page=" in p) <= 2
        mark = len(server.log)
        crawl(server, db, "--full-discovery")
        assert {p for p in (e.path for e in server.log[mark:]) if p in news_pages} == news_pages


def test_an_edit_is_found_when_its_recheck_is_due(tmp_path):
    """Re-checks by age, end to end, on a clock the test sets (-s NEWSROOM_NOW): an edit to an
    article is not looked for before its next re-check is due, and is found once it is."""
    from datetime import timedelta

    site = ReplicaSite(articles=25, seed=19, newest=date.today() - timedelta(days=40))
    with ReplicaServer(site) as server:
        db = tmp_path / "newsroom.db"
        crawl(server, db)
        edited = site.article_paths()[0]
        url = site.expected(edited)["url"]
        (due,) = (row["recheck_due_at"] for row in rows(db, "select recheck_due_at from articles where url = ?", url))
        site.edit_article(edited, "Eine Korrektur, Wochen nach der Veröffentlichung.")
        mark = len(server.log)
        completed = crawl(server, db)  # today: nothing is due yet (the next step is weeks away)
        assert "0 changed" in completed.stdout and article_paths_in_log(server, mark, 200) == []
        completed = crawl(server, db, "-s", f"NEWSROOM_NOW={due}")
        assert "1 changed" in completed.stdout
        row = rows(db, "select version_count, last_changed_at, recheck_due_at from articles where url = ?", url)[0]
        assert row["version_count"] == 2 and row["last_changed_at"] == due
        assert row["recheck_due_at"] > due  # its schedule starts again from the change


def test_a_changed_markup_ends_the_run_with_drift_alerts(own_run):
    """The replica relaunches its article pages (dtm-* renamed): the weekly run re-reads them, only
    the generic fallback reads them, so no version is stored (layout lost), and the crawl exits with 3."""
    from newsroom_scraper.ops.drift import EXIT_DRIFT

    site, server, db, _ = own_run
    site.changed_markup = True
    completed = subprocess.run(
        [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", f"{server.url}/newsroom/"]
        + ["--db", str(db), "--recheck-all", *FAST],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert completed.returncode == EXIT_DRIFT, completed.stdout + completed.stderr
    assert f"  ! drift: layout lost: {ARTICLES} archived articles read only by the generic fallback" in completed.stdout
    assert f"layout-lost {ARTICLES}" in completed.stdout and "0 changed" in completed.stdout
    status = subprocess.run(
        [sys.executable, "-m", "newsroom_scraper", "status", "--db", str(db)], capture_output=True, text=True
    )
    assert "drift alert(s)" in status.stdout and "! drift: layout lost" in status.stdout
