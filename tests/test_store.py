"""The archive store: versions, runs, errors, German full-text search, crash safety."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from newsroom_scraper.cli import main
from newsroom_scraper.errors import ArchiveNeedsMigration
from newsroom_scraper.items import Article, Capture, Image, Link, RelatedLink, Video
from newsroom_scraper.search.variants import spelling_variants, word_variants
from newsroom_scraper.store import Archive, content_hash, derive
from newsroom_scraper.store.schema import MIGRATIONS

URL = "https://presse.example.de/news/staedtepartnerschaft-123"
FETCHED = "https://presse.example.de/news/123?ref=teaser"
# Written for these tests, not taken from any site.
BODY = (
    "Die Städtepartnerschaft mit Leeds wird 75 Jahre alt. Der Bürgermeister lädt "
    "zum Fest in die Straße vor dem Rathaus ein."
)


def make_article(url: str = URL, **changes: object) -> Article:
    """A complete article; keyword arguments replace fields."""
    article = Article(
        url=url,
        title="Jubiläum der Städtepartnerschaft",
        published_at="2025-07-07T12:52:00+02:00",
        layout="dtm-2023",
        page_id="123",
        section="news",
        topline="Internationales",
        lead="Ein Fest für Freundschaft über Grenzen.",
        body_text=BODY,
        body_html=f"<p>{BODY}</p>",
        tags=["Rathaus", "Partnerstädte"],
        images=[
            Image(
                src="https://img.example.de/1.jpg",
                alt="Festzelt",
                credit="Stadt Beispiel / Erika Muster",
                credit_by="Erika Muster",
                credit_agency="Stadt Beispiel",
            ),
            Image(src="https://img.example.de/2.jpg", credit="Stadt Beispiel / Erika Muster"),
        ],
        videos=[Video(url="https://video.example.de/v1", title="Grußwort")],
        links=[Link(url="https://example.de/programm", text="Zum Programm")],
        related=[RelatedLink(url="https://presse.example.de/news/anderes-1", title="Anderes", date="2025-07-06")],
    )
    return dataclasses.replace(article, **changes)  # type: ignore[arg-type]


@pytest.fixture
def archive(tmp_path: Path):
    with Archive(tmp_path / "sub" / "archive.db") as opened:
        yield opened


@pytest.fixture
def run_id(archive: Archive) -> int:
    return archive.start_run("https://presse.example.de/", {"refresh_days": 7})


# Fetch times of successive checks (ISO 8601 UTC, as the crawl records them).
T1, T2, T3, T4 = (f"2026-03-0{day}T08:00:00+00:00" for day in (1, 2, 3, 4))


def save(archive: Archive, article: Article, run_id: int, at: str, **kwargs: object) -> str:
    values = {"fetched_url": FETCHED, "etag": None, "last_modified": None, **kwargs}
    return archive.save_article(article, run_id=run_id, fetched_at=at, **values)  # type: ignore[arg-type]


def versions(archive: Archive, article_id: int) -> list[dict]:
    return list(archive.db["article_versions"].rows_where("article_id = ?", [article_id], order_by="version"))


def rows(archive: Archive, table: str, article_id: int) -> list[dict]:
    return list(archive.db[table].rows_where("article_id = ?", [article_id], order_by="position"))


# -- opening ----------------------------------------------------------------------


def test_open_creates_directories_wal_and_records_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "archive.db"
    with Archive(path) as archive:
        assert archive.db.journal_mode == "wal"
    with Archive(path) as archive:  # reopening applies nothing twice
        applied = list(archive.db["_sqlite_migrations"].rows)
    names = [m["name"] for m in applied]
    assert names[0] == "0001_initial_schema" and "0002_indexes_for_sort_and_facets" in names
    assert "0004_recheck_schedule" in names
    assert len(names) == len(set(names))


# -- opening read-only ------------------------------------------------------------------


def untouched(path: Path) -> tuple[bytes, int, bytes]:
    """What any write leaves a mark on: the file's bytes and mtime, and its -wal's bytes."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes(), path.stat().st_mtime_ns, wal.read_bytes() if wal.exists() else b""


def archive_to_upkeep(path: Path) -> None:
    """An archive with one article that a writing open would change: its re-check is unscheduled."""
    with Archive(path) as archive:
        save(archive, make_article(), archive.start_run("x", {}), T1)
        archive.db.execute("UPDATE articles SET recheck_due_at = NULL")


def older_archive(path: Path) -> None:
    """An archive as an older newsroom-archive left it: its last migration not applied yet."""
    db = sqlite_utils.Database(path)
    db.enable_wal()
    MIGRATIONS.apply(db, stop_before=MIGRATIONS._migrations[-1].name)
    db.close()


def test_opening_read_only_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "ro" / "archive.db"
    archive_to_upkeep(path)
    watcher = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)  # counts commits by any connection
    commits = watcher.execute("PRAGMA data_version").fetchone()
    before = untouched(path)
    path.chmod(0o444)
    path.parent.chmod(0o555)  # root ignores both; SQLite's mode=ro does not
    try:
        with Archive(path, read_only=True) as archive:
            assert archive.read_only and archive.summary()["articles"] == 1
            row = archive.get_article(URL)
            assert row is not None and row["recheck_due_at"] is None  # not scheduled by opening
            assert [row["url"] for row in archive.search_articles("Fest")] == [URL]
            assert archive.quick_check() is None and archive.retry_urls() == []
            writes = [
                lambda: archive.start_run("x", {}),
                lambda: archive.mark_removed(URL, removed_at=T2),
                lambda: archive.db.execute("PRAGMA user_version = 7"),
            ]
            for write in writes:
                with pytest.raises(sqlite3.OperationalError, match="readonly"):
                    write()
    finally:
        path.parent.chmod(0o755)
        path.chmod(0o644)
    assert watcher.execute("PRAGMA data_version").fetchone() == commits
    watcher.close()
    assert untouched(path) == before


def test_opening_read_only_refuses_an_older_schema_and_the_next_writing_open_migrates_it(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    older_archive(path)
    before = untouched(path)
    last = MIGRATIONS._migrations[-1].name
    with pytest.raises(ArchiveNeedsMigration, match=f"needs migrating.*pending: {last}.*next crawl or reparse"):
        Archive(path, read_only=True)
    assert untouched(path) == before
    with pytest.raises(FileNotFoundError):
        Archive(tmp_path / "missing.db", read_only=True)
    assert not (tmp_path / "missing.db").exists()
    Archive(path).close()  # a crawl's writer, reparse
    with Archive(path, read_only=True) as archive:
        assert archive.article_count() == 0


def python_for_nobody() -> list[str] | None:
    """A command that runs this code's Python as the unprivileged user ``nobody`` (root: setpriv),
    or None when there is none (the interpreter lies in a folder only root may enter)."""
    if not shutil.which("setpriv"):
        return None
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    path = os.pathsep.join([sysconfig.get_paths()["purelib"], str(Path(__file__).resolve().parents[1])])
    for python in (sys.executable, f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"):
        command = [*drop, "env", f"PYTHONPATH={path}", "HOME=/tmp", python]
        probe = subprocess.run([*command, "-c", "import newsroom_scraper.cli"], capture_output=True, cwd="/")
        if probe.returncode == 0:
            return command
    return None


@pytest.mark.e2e  # as root it runs `status` as the user nobody, in a child process
def test_a_read_only_folder_and_file_are_read_as_they_are(tmp_path: Path) -> None:
    """Whoever may only read the folder and the file: SQLite cannot make WAL's -shm beside it, so the
    archive (no -wal there: its last writer closed it) is opened immutable."""
    folder = Path(tempfile.mkdtemp())  # not tmp_path: only root may enter its parents
    try:
        folder.chmod(0o755)
        path = folder / "archive.db"
        archive_to_upkeep(path)
        path.chmod(0o444)
        folder.chmod(0o555)
        if os.geteuid() != 0:  # the permissions hold
            with Archive(path, read_only=True) as archive:
                assert archive.article_count() == 1
        else:  # root ignores them: status as nobody
            command = python_for_nobody() or pytest.skip("no Python that the user nobody may run")
            status = [*command, "-m", "newsroom_scraper", "status", "--db", str(path)]
            completed = subprocess.run(status, capture_output=True, text=True, cwd="/", timeout=60)
            assert completed.returncode == 0, completed.stderr
            assert completed.stdout.startswith("Articles: 1 (")
        assert sorted(p.name for p in folder.iterdir()) == ["archive.db"]
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def test_status_never_writes_the_archive(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    archive_to_upkeep(path)
    before = untouched(path)
    result = CliRunner().invoke(main, ["status", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Articles: 1 (")
    assert untouched(path) == before


def test_status_of_an_older_archive_says_it_needs_migrating_and_leaves_it(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    older_archive(path)
    before = untouched(path)
    result = CliRunner().invoke(main, ["status", "--db", str(path)])
    assert result.exit_code == 2
    assert "needs migrating" in result.output and "the next crawl or reparse migrates it" in result.output
    assert untouched(path) == before


@pytest.mark.parametrize("content", [b"garbage" * 1000, b"SQLite format 3\x00" + b"\xff" * 4080])
def test_status_of_a_file_that_is_no_archive_says_so_in_one_line(tmp_path: Path, content: bytes) -> None:
    """Issue 17, 8: a damaged file gave a traceback."""
    path = tmp_path / "damaged.db"
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["status", "--db", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"status: {path} is not a readable archive (") and result.output.count("\n") == 1
    assert path.read_bytes() == content


# -- versions -------------------------------------------------------------------


def test_new_unchanged_changed_lifecycle(archive: Archive, run_id: int) -> None:
    assert save(archive, make_article(), run_id, "2025-07-07T13:00:00+00:00") == "new"
    first = archive.get_article(URL)
    assert first is not None
    assert (first["version_count"], first["first_seen_at"]) == (1, "2025-07-07T13:00:00+00:00")
    assert first["published_date"] == "2025-07-07"
    assert first["tags_text"] == "Rathaus, Partnerstädte"
    assert first["credits_text"] == "Stadt Beispiel / Erika Muster"

    assert save(archive, make_article(), run_id, "2025-07-08T13:00:00+00:00", etag='"v1"') == "unchanged"
    same = archive.get_article(URL)
    assert same is not None
    assert same["version_count"] == 1
    assert same["last_checked_at"] == "2025-07-08T13:00:00+00:00"
    assert same["last_changed_at"] == "2025-07-07T13:00:00+00:00"
    assert same["etag"] == '"v1"'

    edited = make_article(body_text=BODY + " Der Eintritt ist frei.")
    assert save(archive, edited, run_id, "2025-07-09T13:00:00+00:00") == "changed"
    changed = archive.get_article(URL)
    assert changed is not None
    assert changed["version_count"] == 2
    assert changed["last_changed_at"] == "2025-07-09T13:00:00+00:00"
    assert changed["first_seen_at"] == "2025-07-07T13:00:00+00:00"
    assert changed["body_text"].endswith("frei.")

    stored = versions(archive, changed["id"])
    assert [v["version"] for v in stored] == [1, 2]
    assert stored[0]["body_text"] == BODY
    assert stored[1]["content_hash"] == changed["content_hash"] != stored[0]["content_hash"]
    data = json.loads(stored[1]["data"])
    assert "related" not in data
    assert Article.from_dict({**data, "related": []}) == dataclasses.replace(edited, related=[])


def test_slider_url_and_layout_do_not_make_a_version(archive: Archive, run_id: int) -> None:
    save(archive, make_article(), run_id, T1)
    other = make_article(layout="dtm-2026", related=[RelatedLink(url="https://x.example/2", title="Neu")])
    assert save(archive, other, run_id, T2) == "unchanged"
    assert content_hash(make_article()) == content_hash(other)
    assert content_hash(make_article()) != content_hash(make_article(title="Anders"))


def test_change_replaces_parts_and_leaves_neighbours_alone(archive: Archive, run_id: int) -> None:
    neighbour_url = "https://presse.example.de/news/nachbar-9"
    save(archive, make_article(), run_id, T1)
    save(archive, make_article(url=neighbour_url, title="Nachbar"), run_id, T1, fetched_url=neighbour_url)
    neighbour_before = archive.get_article(neighbour_url)

    edited = make_article(
        images=[Image(src="https://img.example.de/3.jpg", credit="Ana Bild")], tags=["Kultur"], videos=[], links=[]
    )
    assert save(archive, edited, run_id, T2) == "changed"

    article_id = archive.get_article(URL)["id"]  # type: ignore[index]
    assert [i["src"] for i in rows(archive, "images", article_id)] == ["https://img.example.de/3.jpg"]
    assert [t["tag"] for t in rows(archive, "tags", article_id)] == ["Kultur"]
    assert rows(archive, "videos", article_id) == rows(archive, "links", article_id) == []
    assert archive.get_article(URL)["credits_text"] == "Ana Bild"  # type: ignore[index]

    assert archive.get_article(neighbour_url) == neighbour_before
    neighbour_id = neighbour_before["id"]  # type: ignore[index]
    assert len(rows(archive, "images", neighbour_id)) == 2
    assert len(versions(archive, neighbour_id)) == 1


def test_related_links_are_kept_per_run(archive: Archive) -> None:
    first_run = archive.start_run("https://presse.example.de/", {})
    second_run = archive.start_run("https://presse.example.de/", {})
    slider = [RelatedLink(url=f"https://x.example/{n}", title=f"T{n}") for n in range(3)]
    save(archive, make_article(related=slider[:2]), first_run, T1)
    save(archive, make_article(related=slider[2:]), second_run, T2)
    # Seen again in the same run: replaces that run's rows only.
    save(archive, make_article(related=slider[1:]), second_run, T3)

    article_id = archive.get_article(URL)["id"]  # type: ignore[index]
    stored = archive.db.execute(
        "SELECT run_id, position, url FROM related_links WHERE article_id = ? ORDER BY run_id, position", [article_id]
    ).fetchall()
    assert stored == [
        (first_run, 1, "https://x.example/0"),
        (first_run, 2, "https://x.example/1"),
        (second_run, 1, "https://x.example/1"),
        (second_run, 2, "https://x.example/2"),
    ]


# -- 304, known articles, refresh -------------------------------------------------


def test_not_modified_by_fetched_url(archive: Archive, run_id: int) -> None:
    save(archive, make_article(), run_id, T1, etag='"a"', last_modified="Mon, 07 Jul 2025")
    assert archive.mark_not_modified(FETCHED, run_id=run_id, checked_at=T2)
    row = archive.get_article(URL)
    assert row["last_checked_at"] == T2  # type: ignore[index]
    assert (row["etag"], row["last_modified"]) == ('"a"', "Mon, 07 Jul 2025")  # type: ignore[index]
    assert row["last_changed_at"] == T1  # type: ignore[index]

    assert archive.mark_not_modified(URL, run_id=run_id, checked_at=T3, etag='"b"')
    assert archive.get_article(URL)["etag"] == '"b"'  # type: ignore[index]
    assert not archive.mark_not_modified("https://presse.example.de/unbekannt", run_id=run_id, checked_at=T4)


def test_is_archived_by_both_urls(archive: Archive, run_id: int) -> None:
    assert not archive.is_archived([URL])
    save(archive, make_article(), run_id, T1, etag='"e"')
    assert archive.is_archived([URL]) and archive.is_archived([FETCHED])
    assert archive.is_archived(["https://presse.example.de/unbekannt", FETCHED])
    assert not archive.is_archived(["https://presse.example.de/unbekannt"])


def test_refresh_candidates_by_published_date(archive: Archive, run_id: int) -> None:
    dates = {"recent": "2025-07-07T12:52:00+02:00", "date-only": "2025-07-01", "old": "2025-05-01T08:00:00+02:00"}
    for name, published_at in dates.items():
        url = f"https://presse.example.de/news/{name}"
        save(
            archive,
            make_article(url=url, published_at=published_at),
            run_id,
            "2025-07-08T06:00:00+00:00",
            fetched_url=url,
        )
    now = dt.datetime(2025, 7, 8, 9, 0, tzinfo=dt.UTC)

    recent = archive.refresh_candidates(refresh_days=7, now=now)
    assert [r["url"].rsplit("/", 1)[1] for r in recent] == ["recent", "date-only"]
    assert set(recent[0]) == {"id", "url", "fetched_url", "published_at", "etag", "last_modified"} | {
        "confirmed_record_id",
        "confirmed_url",
    }
    assert len(archive.refresh_candidates(refresh_days=7, now=now, all_articles=True)) == 3
    assert archive.refresh_candidates(refresh_days=0, now=now) == []


def test_a_refresh_candidate_names_its_newest_full_capture_which_a_304_confirms(archive: Archive, run_id: int) -> None:
    """Issue 19, 3: the 304's WARC record refers to that response (WARC-Refers-To)."""
    for at, record_id, lead in ((T1, "<urn:uuid:1>", "Eins"), (T2, "<urn:uuid:2>", "Zwei")):
        capture = Capture(FETCHED, at, 200, record_id=record_id)
        save(archive, make_article(lead=lead), run_id, at, capture=capture)
    archive.mark_not_modified(
        URL, run_id=run_id, checked_at=T4, capture=Capture(FETCHED, T4, 304, record_id="<urn:uuid:3>")
    )
    image = Capture("https://presse.example.de/bild.jpg", T4, 200, record_id="<urn:uuid:4>", kind="image")
    archive.add_image_capture(URL, image, run_id)  # a picture of the page is not the page
    (candidate,) = archive.refresh_candidates(now=dt.datetime(2100, 1, 1, tzinfo=dt.UTC), all_articles=True)
    assert (candidate["confirmed_record_id"], candidate["confirmed_url"]) == ("<urn:uuid:2>", FETCHED)


# -- runs and errors --------------------------------------------------------------


def test_finish_run_stores_counts_and_serialisable_stats(archive: Archive, run_id: int) -> None:
    started = dt.datetime(2025, 7, 8, 9, 0, tzinfo=dt.UTC)
    archive.finish_run(
        run_id,
        "finished",
        {"start_time": started, "elapsed_time_seconds": 2.5, "log_count/INFO": 4},
        {"new": 3, "changed": 1, "unchanged": 5, "not_modified": 2, "errors": 1},
        {"topline": 2},
    )
    run = archive.get_run(run_id)
    assert run is not None and archive.get_run(run_id + 1) is None
    assert json.loads(run["stats"])["start_time"] == "2025-07-08T09:00:00+00:00"
    assert json.loads(run["options"]) == {"refresh_days": 7}
    assert (
        run["new_count"],
        run["changed_count"],
        run["unchanged_count"],
        run["not_modified_count"],
        run["error_count"],
    ) == (3, 1, 5, 2, 1)
    assert json.loads(run["empty_fields"]) == {"topline": 2}
    assert run["finish_reason"] == "finished" and run["finished_at"]


def test_errors_are_retried_until_a_save_resolves_them(archive: Archive, run_id: int) -> None:
    other = "https://presse.example.de/news/kaputt"
    archive.record_error(run_id, FETCHED, "http", "Internal Server Error", status=500)
    archive.record_error(run_id, other, "parse", "no-title")
    archive.record_error(run_id, FETCHED, "http", "timeout")
    assert archive.retry_urls() == [FETCHED, other]
    assert archive.db["crawl_errors"].get(1)["status"] == 500

    save(archive, make_article(), run_id, "2025-07-08T10:00:00+00:00")
    assert archive.retry_urls() == [other]
    resolved = archive.db.execute("SELECT resolved_at FROM crawl_errors WHERE url = ?", [FETCHED]).fetchall()
    assert resolved == [("2025-07-08T10:00:00+00:00",)] * 2


def test_not_modified_resolves_errors(archive: Archive, run_id: int) -> None:
    save(archive, make_article(), run_id, T1)
    archive.record_error(run_id, URL, "http", "timeout")
    archive.mark_not_modified(FETCHED, run_id=run_id, checked_at=T2)
    assert archive.retry_urls() == []


# -- crash safety -----------------------------------------------------------------


def test_crash_while_saving_a_new_article_leaves_nothing(
    archive: Archive, run_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Archive, "_replace_parts", explode)
    with pytest.raises(RuntimeError):
        save(archive, make_article(), run_id, T1)
    assert archive.article_count() == 0
    assert archive.db["article_versions"].count == 0
    assert archive.search("Städtepartnerschaft") == []
    archive.check_integrity()


def test_crash_while_saving_a_change_keeps_the_old_version(
    archive: Archive, run_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(archive, make_article(), run_id, T1)
    before = archive.get_article(URL)

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Archive, "_replace_related", explode)  # after the update
    with pytest.raises(RuntimeError):
        save(archive, make_article(body_text="Ganz neuer Text"), run_id, T2)
    assert archive.get_article(URL) == before
    assert len(versions(archive, before["id"])) == 1  # type: ignore[index]
    assert len(rows(archive, "images", before["id"])) == 2  # type: ignore[index]
    archive.check_integrity()


def test_a_group_writes_the_texts_at_its_end_and_drops_those_of_an_article_rolled_back(
    archive: Archive, run_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crawl's group commit: texts are written at commit; a failed article leaves no text
    waiting to be written (its row id is the next article's)."""
    archive.begin_group()
    save(archive, make_article(url=URL + "?a", title="Erster Artikel"), run_id, T1, fetched_url=FETCHED + "a")
    real = Archive._replace_related

    def explode(self: Archive, article_id: int, run: int, article: Article, new_article: bool = False) -> None:
        if article.title == "Kaputter Artikel":
            raise sqlite3.IntegrityError("one article's constraint")
        real(self, article_id, run, article, new_article)

    monkeypatch.setattr(Archive, "_replace_related", explode)
    broken = make_article(url=URL + "?b", title="Kaputter Artikel", body_text="Zebrastreifen am Markt.")
    with pytest.raises(sqlite3.IntegrityError):
        save(archive, broken, run_id, T1, fetched_url=FETCHED + "b")
    existing = {row[0] for row in archive.db.execute("select id from articles")}
    assert archive._texts is not None and set(archive._texts) == existing  # the failed one's are gone
    save(archive, make_article(url=URL + "?c", title="Dritter Artikel"), run_id, T1, fetched_url=FETCHED + "c")
    with sqlite3.connect(archive.db.conn.execute("PRAGMA database_list").fetchone()[2]) as reader:
        assert reader.execute("select count(*) from articles").fetchone()[0] == 0  # nothing committed yet
    archive.commit_group()
    titles = [r["title"] for r in archive.db.query("select title from articles order by id")]
    assert titles == ["Erster Artikel", "Dritter Artikel"]
    assert archive.search("Zebrastreifen") == []  # the rolled-back article's text reached nobody
    assert len(archive.search("Städtepartnerschaft")) == 2
    archive.check_integrity()


# -- German full-text search ------------------------------------------------------

GERMAN_QUERIES = [
    "strasse",
    "Straße",
    "Stadtepartnerschaft",
    "staedtepartnerschaft",
    "partnerschaft",
    "burgermeister",
    "buergermeister",
]


@pytest.fixture
def searchable(archive: Archive, run_id: int) -> Archive:
    save(archive, make_article(), run_id, T1)
    save(
        archive,
        make_article(
            url="https://presse.example.de/news/wetter",
            title="Wetter",
            topline=None,
            lead=None,
            tags=[],
            images=[],
            body_text="Morgen regnet es im ganzen Stadtgebiet.",
        ),
        run_id,
        T1,
        fetched_url="https://presse.example.de/news/wetter",
    )
    return archive


@pytest.mark.parametrize("query", GERMAN_QUERIES)
def test_sqlite_utils_search_finds_every_spelling(searchable: Archive, query: str) -> None:
    found = list(searchable.db["articles"].search(query))
    assert [row["url"] for row in found] == [URL]


@pytest.mark.parametrize("query", GERMAN_QUERIES)
def test_archive_search_finds_every_spelling(searchable: Archive, query: str) -> None:
    assert [row["url"] for row in searchable.search(query)] == [URL]


def test_search_misses_what_is_not_there(searchable: Archive) -> None:
    assert searchable.search("Hauptbahnhof") == []
    assert list(searchable.db["articles"].search("Hauptbahnhof")) == []
    assert searchable.search("Straße Hauptbahnhof") == []  # every word must occur


def test_search_ranks_and_marks_the_snippet(searchable: Archive, run_id: int) -> None:
    save(
        searchable,
        make_article(
            url="https://presse.example.de/news/umleitung",
            title="Straße gesperrt",
            body_text="Die Straße bleibt zu. Auch die Nebenstraße und jede Straße dahinter.",
            images=[],
        ),
        run_id,
        T1,
        fetched_url="https://presse.example.de/news/umleitung",
    )
    found = searchable.search("strasse")
    assert [row["url"] for row in found] == ["https://presse.example.de/news/umleitung", URL]
    assert found[0]["rank"] <= found[1]["rank"]
    assert "<mark>Straße</mark>" in found[0]["snippet"]


def test_search_takes_words_not_fts_syntax(searchable: Archive) -> None:
    assert [r["url"] for r in searchable.search('Straße" OR (NEAR')] == []
    assert [r["url"] for r in searchable.search('"Straße" Rathaus!')] == [URL]
    assert searchable.search("ab") == []  # too short for a trigram index


def test_fts_stays_in_sync_through_updates(searchable: Archive, run_id: int) -> None:
    save(searchable, make_article(body_text="Der Hafen feiert Geburtstag."), run_id, T2)
    searchable.mark_not_modified(URL, run_id=run_id, checked_at=T3)
    searchable.check_integrity()
    assert [r["url"] for r in searchable.search("Hafen")] == [URL]
    # The old body and its variants are gone from the index.
    assert searchable.search("Bürgermeister") == searchable.search("burgermeister") == []


def test_integrity_check_notices_a_stale_index(searchable: Archive) -> None:
    searchable.db.execute("DROP TRIGGER articles_au")
    searchable.db.execute("UPDATE articles SET body_text = 'anders' WHERE url = ?", [URL])
    with pytest.raises(sqlite3.DatabaseError):
        searchable.check_integrity()


def test_stdlib_sqlite3_reads_and_matches(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        run_id = archive.start_run("https://presse.example.de/", {})
        save(archive, make_article(), run_id, T1)
    conn = sqlite3.connect(path)
    try:
        matched = conn.execute(
            "SELECT articles.url FROM articles_fts JOIN articles ON articles.id = articles_fts.rowid "
            "WHERE articles_fts MATCH ? ORDER BY rank",
            ["strasse"],
        ).fetchall()
    finally:
        conn.close()
    assert sqlite3.sqlite_version_info >= (3, 37)
    assert matched == [(URL,)]


# -- spelling variants ----------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Straße", ["strasse"]),
        ("Städtepartnerschaft", ["staedtepartnerschaft", "stadtepartnerschaft"]),
        ("Bürgermeister", ["buergermeister", "burgermeister"]),
        ("Buergermeister", ["bürgermeister"]),
        ("Strasse", ["straße"]),
        ("muss", ["muß"]),
        ("Rathaus", []),
        ("Feuer", []),  # "eu" + "e", not an ü
        ("neue", []),
        ("Quelle", []),
    ],
)
def test_word_variants(word: str, expected: list[str]) -> None:
    assert word_variants(word) == expected


def test_spelling_variants_remembered_per_word_are_the_same_as_computed_afresh() -> None:
    from newsroom_scraper.search import variants as search_variants

    text = "Die Straße zur Städtepartnerschaft, die Strasse der Bürger und GRÖSSE Größe Feuerwehr"
    expected = []
    present = {w.lower() for w in search_variants._WORD.findall(text)}
    for word in dict.fromkeys(w.lower() for w in search_variants._WORD.findall(text)):
        expected += [v for v in word_variants(word) if v not in present and v not in expected]
    search_variants._cached_variants.cache_clear()
    first = spelling_variants(text)
    hits = search_variants._cached_variants.cache_info().hits
    assert first == spelling_variants(text) == " ".join(expected)
    assert search_variants._cached_variants.cache_info().hits > hits  # the second text came from the cache


def test_word_variants_combine_umlaut_and_sharp_s() -> None:
    assert set(word_variants("Größe")) == {"groesse", "grosse", "grösse", "groeße", "große"}


def test_spelling_variants_lists_each_new_spelling_once() -> None:
    text = "Städte und Städte, die STRASSE und die Straße. Ein Haus."
    assert spelling_variants(text) == "staedte stadte"  # straße/strasse both present
    assert spelling_variants("Die Bürger der Städte") == "buerger burger staedte stadte"
    assert spelling_variants("Ein Haus am Hafen") == ""


_UMLAUT_FORMS = {"ä": ("ae", "a"), "ö": ("oe", "o"), "ü": ("ue", "u")}


@given(st.text(alphabet="abdgkmnrstäöüß", min_size=1, max_size=12))
def test_every_typed_spelling_is_indexed(word: str) -> None:
    """Whatever way a reader writes the umlauts and ß of a word, the index holds it."""
    spellings = {word} | set(word_variants(word))
    for umlauts in (0, 1, None):  # digraphs, plain vowels, unchanged
        for sharp in ("ss", "ß"):
            typed = "".join(
                _UMLAUT_FORMS[c][umlauts] if c in _UMLAUT_FORMS and umlauts is not None else sharp if c == "ß" else c
                for c in word
            )
            assert typed in spellings
    assert all(v == v.lower() and " " not in v for v in spellings - {word})


def test_checking_an_article_does_not_reindex_it(searchable: Archive, run_id: int) -> None:
    def index() -> list[tuple]:
        return searchable.db.execute("SELECT * FROM articles_fts_data ORDER BY id").fetchall()

    before = index()
    searchable.mark_not_modified(URL, run_id=run_id, checked_at=T2, etag='"x"')
    save(searchable, make_article(), run_id, T3)  # unchanged
    assert index() == before
    save(searchable, make_article(title="Neuer Titel"), run_id, T4)  # changed
    assert index() != before


def test_sqlite_utils_fts_tools_recognise_every_trigger(searchable: Archive) -> None:
    searchable.db["articles"].disable_fts()
    left = [name for (name,) in searchable.db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    # migration 0010's and 0017's, not full-text
    assert all(name.startswith(("search_facts_", "credit_counts_")) for name in left)


def test_a_title_hit_ranks_above_a_body_hit(archive: Archive, run_id: int) -> None:
    body_url = "https://presse.example.de/news/koerper"
    title_url = "https://presse.example.de/news/titel"
    common = {"topline": None, "lead": None, "tags": [], "images": []}
    save(
        archive,
        make_article(url=body_url, title="Sommerfest", **common, body_text="Im Hafen gibt es ein Fest mit Musik."),
        run_id,
        T1,
        fetched_url=body_url,
    )
    save(
        archive,
        make_article(url=title_url, title="Fest im Hafen", **common, body_text="Mit Musik und Tanz für alle."),
        run_id,
        T1,
        fetched_url=title_url,
    )
    assert [r["url"] for r in archive.search("Hafen")] == [title_url, body_url]


# -- search_facts (migration 0004): what the search filters and sorts on, kept equal to articles


def _facts_differ(archive: Archive) -> list[tuple]:
    """Rows where search_facts is not what articles and article_versions say (empty: in sync)."""
    expected = archive.db.execute(
        """SELECT a.id, v.id, a.version_count, a.published_at, a.published_date, a.section, a.district
        FROM articles a LEFT JOIN article_versions v ON v.article_id = a.id AND v.version = a.version_count"""
    ).fetchall()
    stored = archive.db.execute(
        """SELECT article_id, version_id, version_count, published_at, published_date, section, district
        FROM search_facts"""
    ).fetchall()
    return sorted(set(expected) ^ set(stored))


def test_search_facts_follow_every_write(archive: Archive, run_id: int) -> None:
    from newsroom_scraper.items import Capture

    save(archive, make_article(), run_id, T1)
    save(archive, make_article(url=URL + "-2", section="press"), run_id, T1)
    assert _facts_differ(archive) == [] and archive.db.execute("SELECT count(*) FROM search_facts").fetchone() == (2,)
    save(archive, make_article(), run_id, T2)  # unchanged
    save(archive, make_article(title="Neu", published_at="2026-02-01T09:00:00+01:00"), run_id, T3)  # version 2
    archive.db.execute("UPDATE articles SET district = 'Hörde' WHERE url = ?", [URL])
    assert _facts_differ(archive) == []
    (version_id,) = archive.db.execute("SELECT version_id FROM search_facts WHERE article_id = 1").fetchone()
    assert archive.db.execute("SELECT version FROM article_versions WHERE id = ?", [version_id]).fetchone() == (2,)
    captures = [
        Capture(URL, T1, 200, record_id="<urn:uuid:1>", article=make_article()),
        Capture(URL, T2, 200, record_id="<urn:uuid:2>", article=make_article(lead="Anders")),
        Capture(URL, T4, 200, record_id="<urn:uuid:3>", article=make_article(lead="Noch anders")),
    ]
    archive.replace_history(URL, captures, run_id)  # versions rewritten from captures
    assert _facts_differ(archive) == []
    archive.db.execute("PRAGMA foreign_keys = OFF")  # the store never deletes an article; a tool may
    archive.db.execute("DELETE FROM article_versions WHERE article_id = 2")
    archive.db.execute("DELETE FROM articles WHERE id = 2")
    assert _facts_differ(archive) == []


def test_a_history_written_with_its_derivations_computed_ahead_is_the_same(tmp_path: Path) -> None:
    """replace_history(..., derived=[derive(a), ...]) (reparse's workers compute them) writes what
    replace_history computes itself: every table, ids included."""
    changed = make_article(body_text=BODY + " Neu: ein Umzug.", tags=["Rathaus"])
    captures = [
        Capture(URL, T1, 200, record_id="r1", article=make_article()),
        Capture(URL, T2, 304, record_id="r2"),
        Capture(FETCHED, T3, 200, record_id="r3", article=changed),
    ]
    tables = {}
    for name, derived in (("here", None), ("ahead", [derive(c.article) if c.article else None for c in captures])):
        with Archive(tmp_path / f"{name}.db") as archive:
            run = archive.start_run("reparse", {})
            assert archive.replace_history(URL, captures, run, derived) == "new"
            names = [t for (t,) in archive.db.execute("select name from sqlite_master where type = 'table'")]
            tables[name] = {
                t: archive.db.execute(f"select * from [{t}]").fetchall()
                for t in names
                if not t.startswith(("crawl_runs", "_sqlite", "articles_fts", "version_words"))
            }
            assert archive.search("Umzug")[0]["url"] == URL
    assert tables["here"] == tables["ahead"] and len(tables["here"]["article_versions"]) == 2


def _histories() -> list[tuple[str, list[Capture]]]:
    """Five articles' histories whose teasers name each other's districts, one rebuilt later."""
    a, b, c, d, e = (f"https://presse.example.de/news/{name}" for name in "abcde")

    def teasers(*links: tuple[str, str | None]) -> list[RelatedLink]:
        return [RelatedLink(url=url, title="Teaser", district=district) for url, district in links]

    first = make_article(a, related=teasers((b, None)))
    second = make_article(a, body_text=BODY + " Nachgetragen.", tags=[], images=[], related=[])
    return [
        (
            a,
            [
                Capture(a, T1, 200, record_id="a1", article=first),
                Capture(a, T2, 200, record_id="a2", article=second),
                Capture(a, T3, 304, record_id="a3"),
                Capture(a, T4, 200, record_id="a4", article=second),
            ],
        ),
        (
            b,
            [
                Capture(
                    b, T1, 200, record_id="b1", article=make_article(b, related=teasers((a, "Brackel"), (c, "Hörde")))
                )
            ],
        ),
        (c, [Capture(c, T2, 200, record_id="c1", article=make_article(c, related=teasers((b, "Mengede"))))]),
        (d, [Capture(d, T2, 200, record_id="d1", article=make_article(d, related=teasers((a, "Eving"), (e, None))))]),
        (e, [Capture(e, T3, 200, record_id="e1", article=make_article(e, related=teasers((c, "Scharnhorst"))))]),
    ]


def _stored(archive: Archive) -> dict[str, list[tuple]]:
    """Every table but the full-text indexes and runs, captures by record id instead of row id."""
    names = [t for (t,) in archive.db.execute("select name from sqlite_master where type = 'table'")]
    skip = ("crawl_runs", "_sqlite", "articles_fts", "version_words", "captures", "article_versions", "sqlite_")
    tables = {
        t: archive.db.execute(f"select * from [{t}] order by rowid").fetchall() for t in names if not t.startswith(skip)
    }
    tables["captures"] = sorted(row[1:] for row in archive.db.execute("select * from captures"))  # the id first
    columns = [c for (_, c, *_) in archive.db.execute("pragma table_info(article_versions)") if c != "capture_id"]
    tables["article_versions"] = archive.db.execute(
        f"select {', '.join('v.' + c for c in columns)}, c.record_id from article_versions v"
        " left join captures c on c.id = v.capture_id order by v.id"
    ).fetchall()
    return tables


def test_a_batch_writes_what_row_by_row_writes_leave(tmp_path: Path) -> None:
    """In a batch, versions, permalinks, parts, slider, captures and districts wait for its end
    (store/pending.py): the archive is the one the same histories written one by one leave, the
    districts included (each article's is that of the latest teaser pointing to it), and a history
    rebuilt in a later batch too."""
    histories = _histories()
    later = [Capture(histories[0][0], "2026-03-05T08:00:00+00:00", 304, record_id="a5")]
    stored = {}
    for name in ("one by one", "batched"):
        with Archive(tmp_path / f"{name}.db") as archive:
            run = archive.start_run("reparse", {})
            if name == "batched":
                with archive.batch():
                    outcomes = [archive.replace_history(url, captures, run) for url, captures in histories[:3]]
                with archive.batch():
                    outcomes += [archive.replace_history(url, captures, run) for url, captures in histories[3:]]
                    outcomes.append(archive.replace_history(histories[0][0], histories[0][1] + later, run))
            else:
                outcomes = [archive.replace_history(url, captures, run) for url, captures in histories]
                outcomes.append(archive.replace_history(histories[0][0], histories[0][1] + later, run))
            assert outcomes == ["new"] * 5 + ["rebuilt"]
            archive.check_integrity()
            assert [r["url"] for r in archive.search("Nachgetragen")] == [histories[0][0]]
            stored[name] = _stored(archive)
            districts = dict(archive.db.execute("select substr(url, -1), district from articles"))
            assert districts == {"a": "Eving", "b": "Mengede", "c": "Scharnhorst", "d": None, "e": None}
    assert stored["batched"] == stored["one by one"]
    assert len(stored["batched"]["article_versions"]) == 6 and len(stored["batched"]["captures"]) == 9


@pytest.mark.parametrize("batched", [False, True])
def test_a_history_given_in_steps_is_the_history_given_at_once(tmp_path: Path, batched: bool) -> None:
    """A reparse stores an article once its part of the file is read, and again when a later file
    brings another capture of it: the history then only grows (``_extend_history``), or is
    rebuilt when the new capture is older than those stored; either way the archive is the one the
    whole history given at once leaves (captures' row ids aside)."""
    a, histories = _histories()[0]  # 200, 200 changed, 304, 200 as the second
    steps = {
        "at once": [histories],
        "growing": [histories[:1], histories[:2], histories[:3], histories],
        "older later": [histories[2:], histories[1:], histories],
    }
    stored = {}
    for name, parts in steps.items():
        with Archive(tmp_path / f"{name}.db") as archive:
            run = archive.start_run("reparse", {})
            outcomes = []
            for captures in parts:
                if batched:
                    with archive.batch():
                        outcomes.append(archive.replace_history(a, captures, run))
                else:
                    outcomes.append(archive.replace_history(a, captures, run))
            assert outcomes == ["new"] + ["rebuilt"] * (len(parts) - 1)
            archive.check_integrity()
            assert [r["url"] for r in archive.search("Nachgetragen")] == [a]
            stored[name] = _stored(archive)
            if name == "growing":  # each capture written once: the history grew, nothing was rewritten
                assert archive.db.execute("select max(id) from captures").fetchone() == (4,)
    assert stored["growing"] == stored["at once"]
    # rebuilt from older captures: each version keeps the id first issued for one of its captures
    older, at_once = stored["older later"], stored["at once"]
    assert sorted(v[1:] for v in older.pop("article_versions")) == sorted(
        v[1:] for v in at_once.pop("article_versions")
    )
    assert {(r[0], r[2]) for r in older.pop("version_permalinks")} == {(1, "a4"), (2, "a1")}
    assert {(r[0], r[2]) for r in at_once.pop("version_permalinks")} == {(1, "a1"), (2, "a2")}
    assert [r[1] for r in older.pop("search_facts")] == [1] and [r[1] for r in at_once.pop("search_facts")] == [2]
    assert older == at_once


@pytest.mark.parametrize("same_run", [True, False])
def test_a_history_that_only_grows_is_stored_as_its_rebuild_would_store_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, same_run: bool
) -> None:
    """Adding to a stored history (``_extend_history``) leaves what rebuilding it whole leaves: the
    captures' digests, the slider of its last page for the run, by the run that stored it or a later one."""
    a, histories = _histories()[0]
    for capture in histories:
        capture.payload_sha256 = f"sha-{capture.record_id}"
    stored = {}
    for how in ("extended", "rebuilt"):
        if how == "rebuilt":
            monkeypatch.setattr(Archive, "_extends", lambda *args: False)
        with Archive(tmp_path / f"{how}.db") as archive:
            first = archive.start_run("crawl", {})
            # stored before the digest columns (a crawl's archive of before issue 19), or by this run with them
            head = histories[:2] if same_run else [dataclasses.replace(c, payload_sha256=None) for c in histories[:2]]
            assert archive.replace_history(a, head, first) == "new"
            later = first if same_run else archive.start_run("reparse", {})
            slider = [RelatedLink(url="https://presse.example.de/news/neu", title="Neu", district="Hörde")]
            last = dataclasses.replace(histories[3], article=dataclasses.replace(histories[3].article, related=slider))
            grown = [*histories[:3], last]

            with archive.batch():
                assert archive.replace_history(a, grown, later) == "rebuilt"
            archive.check_integrity()
            stored[how] = _stored(archive)
            digests = archive.db.execute("select record_id, payload_sha256 from captures order by record_id").fetchall()
            assert digests == [(f"a{n}", f"sha-a{n}") for n in range(1, 5)]
    if not same_run:  # a rebuild writes the rows it keeps again, as the later run's; adding keeps their run
        for table, columns in (("captures", 11), ("article_versions", 5)):  # run_id (captures' id left out)
            for how in stored:
                stored[how][table] = [(*r[:columns], None, *r[columns + 1 :]) for r in stored[how][table]]
    assert stored["extended"] == stored["rebuilt"]


def test_a_batch_leaves_a_record_another_article_holds_where_it_is(tmp_path: Path) -> None:
    """A new article whose capture's WARC record is held by another article (its canonical URL
    changed with a parser fix): its version has no capture row, in a batch as row by row."""
    other = "https://presse.example.de/news/umbenannt"
    stored = {}
    for name in ("one by one", "batched"):
        with Archive(tmp_path / f"{name}.db") as archive:
            run = archive.start_run("reparse", {})
            archive.replace_history(URL, [Capture(URL, T1, 200, record_id="r1", article=make_article())], run)
            moved = [Capture(other, T1, 200, record_id="r1", article=make_article(other))]
            moved.append(Capture(other, T2, 304, record_id="r2"))
            if name == "batched":
                with archive.batch():
                    assert archive.replace_history(other, moved, run) == "new"
            else:
                assert archive.replace_history(other, moved, run) == "new"
            archive.check_integrity()
            stored[name] = _stored(archive)
            held = archive.db.execute(
                "select c.record_id, a.url from captures c join articles a on a.id = c.article_id"
            )
            assert sorted(held) == [("r1", URL), ("r2", other)]
    assert stored["batched"] == stored["one by one"]


def test_a_batch_whose_article_failed_is_undone_whole_even_if_the_caller_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a batch an article's rows wait for its end, so a failed article cannot be undone alone: the
    batch's end refuses to write, and the batch rolls back (no article without its versions)."""
    histories = _histories()
    with Archive(tmp_path / "a.db") as archive:
        run = archive.start_run("reparse", {})
        real = Archive._add_version

        def failing(self, article_id, article, *args, **kwargs):
            if article.url.endswith("/c"):
                raise sqlite3.OperationalError("disk I/O error")
            return real(self, article_id, article, *args, **kwargs)

        monkeypatch.setattr(Archive, "_add_version", failing)
        with pytest.raises(RuntimeError, match="writes failed in this batch .*disk I/O error"), archive.batch():
            for url, captures in histories:
                try:
                    archive.replace_history(url, captures, run)
                except sqlite3.OperationalError:
                    continue  # a caller that goes on
        assert archive.db.execute("select count(*) from articles").fetchone() == (0,)
        monkeypatch.setattr(Archive, "_add_version", real)
        with archive.batch():
            assert [archive.replace_history(url, captures, run) for url, captures in histories] == ["new"] * 5
        archive.check_integrity()


def test_a_batch_writes_the_full_text_columns_of_its_articles_at_its_end(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db") as archive:
        run = archive.start_run("reparse", {})
        with archive.batch():
            archive.replace_history(URL, [Capture(URL, T1, 200, record_id="r1", article=make_article())], run)
            inside = archive.db.execute("select title, body_text from articles").fetchall()
        (after,) = archive.db.execute("select title, body_text from articles").fetchall()
        assert inside == [] and after == ("Jubiläum der Städtepartnerschaft", BODY)  # a new article's row waits
        changed = make_article(title="Jubiläum in Leeds")
        with archive.batch():
            captures = [Capture(URL, T1, 200, record_id="r1", article=make_article())]
            captures.append(Capture(URL, T2, 200, record_id="r2", article=changed))
            assert archive.replace_history(URL, captures, run) == "rebuilt"
        archive.check_integrity()
        assert [r["title"] for r in archive.search("Leeds")] == ["Jubiläum in Leeds"]
        assert archive.search("Städtepartnerschaft")  # the body, still indexed after the rebuild


def test_reparse_keeps_no_version_a_lost_layout_read(tmp_path):
    """Issue 18, 1: captures of a relaunch, read only by the generic fallback, make no version of an
    article the site's layout read before; they stay captures of the version in force."""
    from newsroom_scraper.items import Article, Capture

    url = "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/relaunch.html"

    def capture(n: int, layout: str, text: str) -> Capture:
        article = Article(url=url, title="Relaunch", published_at="2026-01-01", layout=layout, body_text=text)
        return Capture(
            url=url, captured_at=f"2026-01-0{n}T05:00:00+00:00", status=200, record_id=f"r{n}", article=article
        )

    captures = [
        capture(1, "dtm-2023", "Text."),
        capture(2, "generic", "Text. Weitere Nachrichten"),
        capture(3, "dtm-2023", "Text."),
    ]
    with Archive(tmp_path / "a.db") as archive:
        assert archive.replace_history(url, captures, archive.start_run("reparse", {})) == "new"
        row = archive.get_article(url)
        assert row is not None and row["version_count"] == 1 and row["layout"] == "dtm-2023"
        assert archive.db.execute("select count(*) from captures").fetchone()[0] == 3
