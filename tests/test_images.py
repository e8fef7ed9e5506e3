"""Archived images (issue 19, 8): the crawl fetches each article's images once, on the crawled
host, into the WARC and ``captures``; the article page shows them from the archive."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from newsroom_replica import ReplicaServer, ReplicaSite
from newsroom_replica.routes import PIXEL_WEBP
from newsroom_scraper.evidence.replay import with_replay
from newsroom_scraper.reader.web import make_datasette

pytestmark = pytest.mark.e2e  # crawls a replica in child processes (tests/conftest.py: e2e)

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--delay", "0", "--concurrency", "8", "--log-level", "WARNING", "--refresh-days", "36500"]


def crawl(server: ReplicaServer, db: Path, *options: str) -> str:
    command = [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", f"{server.url}/newsroom/"]
    completed = subprocess.run(
        [*command, "--db", str(db), *FAST, *options], capture_output=True, text=True, timeout=240, cwd=ROOT
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def rows(db: Path, sql: str) -> list[dict]:
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql)]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    site = ReplicaSite(articles=8, seed=4, newest=date.today())
    folder = tmp_path_factory.mktemp("images")
    with ReplicaServer(site) as server:
        first = crawl(server, folder / "newsroom.db")
        pictured = "select distinct a.fetched_url from articles a join images i on i.article_id = a.id"
        for row in rows(folder / "newsroom.db", pictured):  # fetched again (200), with the same pictures
            site.edit_article(urlsplit(row["fetched_url"]).path, "Ein Satz, den die Redaktion nachgetragen hat.")
        second = crawl(server, folder / "newsroom.db", "--recheck-all")
        bare = crawl(server, folder / "bare.db", "--no-images")
    return folder, first, second, bare


def image_captures(db: Path) -> list[dict]:
    return rows(db, "select * from captures where kind = 'image' order by id")


def test_every_image_of_every_article_is_captured_once_with_its_article(crawled):
    folder, first, _, _ = crawled
    db = folder / "newsroom.db"
    named = {(r["article_id"], urlsplit(r["src"]).path) for r in rows(db, "select article_id, src from images")}
    assert named, "the replica's articles have pictures"
    captured = image_captures(db)
    assert all(c["status"] == 200 and c["warc_file"] and c["source"] == "crawl" for c in captured)
    by_path = {urlsplit(c["url"]).path for c in captured}
    assert by_path == {path for _, path in named}
    assert len(captured) == len(by_path)  # one capture per image URL, however many articles show it
    assert {c["article_id"] for c in captured} <= {article for article, _ in named}
    assert f"images: {len(captured)} fetched ({len(captured) * len(PIXEL_WEBP):,} bytes)" in first


def test_a_second_run_does_not_fetch_an_archived_image_again(crawled):
    folder, first, second, _ = crawled
    db = folder / "newsroom.db"
    runs = rows(db, "select stats from crawl_runs order by id")
    assert json.loads(runs[0]["stats"]).get("newsroom/images", 0) > 0
    stats = json.loads(runs[1]["stats"])
    assert stats.get("newsroom/images", 0) == 0 and stats.get("newsroom/images_archived_skipped", 0) > 0
    assert "images:" not in second


def test_no_images_fetches_none(crawled):
    folder, _, _, bare = crawled
    assert image_captures(folder / "bare.db") == []
    assert "images:" not in bare


def test_the_article_page_shows_its_images_from_the_archive(crawled):
    folder, _, _, _ = crawled
    db = folder / "newsroom.db"
    article_id = rows(db, "select article_id from images limit 1")[0]["article_id"]
    page = asyncio.run(make_datasette(db).client.get(f"/newsroom/articles/{article_id}")).text
    sources = [part.split('"', 1)[0] for part in page.split('<img src="')[1:]]
    assert sources and all(src.startswith("/newsroom/-/memento/") and "id_/" in src for src in sources)
    assert "nicht im Archiv" not in page

    async def fetch(path: str) -> httpx.Response:
        app = with_replay(make_datasette(db).app(), db, folder / "warc")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a.test") as client:
            return await client.get(path)

    image = asyncio.run(fetch(sources[0]))
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/webp" and image.content == PIXEL_WEBP


def test_an_article_without_image_captures_shows_a_placeholder(crawled):
    folder, _, _, _ = crawled
    db = folder / "bare.db"
    article_id = rows(db, "select article_id from images limit 1")[0]["article_id"]
    page = asyncio.run(make_datasette(db).client.get(f"/newsroom/articles/{article_id}")).text
    assert "<img " not in page.split('<div class="body">')[0].split("<h1>", 1)[1]
    assert "nicht im Archiv" in page


def test_a_reparse_into_an_empty_archive_links_each_image_capture_to_its_article_again(crawled, tmp_path):
    """Issue 19: reparse rebuilt the articles' captures but dropped their pictures': a rebuilt archive
    showed every image as "not in the archive" though the WARC held them."""
    from newsroom_scraper.evidence.reparse import reparse

    folder, _, _, _ = crawled
    for workers in (0, 2):
        rebuilt = tmp_path / f"rebuilt-{workers}.db"
        report = reparse(folder / "warc", rebuilt, workers=workers)
        crawled_rows = {(c["url"], c["record_id"], c["article_id"]) for c in image_captures(folder / "newsroom.db")}
        rebuilt_rows = image_captures(rebuilt)
        by_url = {r["url"]: r["url"] for r in rows(rebuilt, "select url from articles")}
        assert rebuilt_rows and len(rebuilt_rows) == len(crawled_rows)
        assert {(c["url"], c["record_id"]) for c in rebuilt_rows} == {(u, r) for u, r, _ in crawled_rows}
        assert all(c["source"] == "crawl" and c["version"] is None for c in rebuilt_rows) and by_url
        assert sum(kinds.get("image", {}).get("taken", 0) for kinds in report.files.values()) == len(rebuilt_rows)
        article_id = rows(rebuilt, "select article_id from images limit 1")[0]["article_id"]
        page = asyncio.run(make_datasette(rebuilt).client.get(f"/newsroom/articles/{article_id}")).text
        assert '<img src="/newsroom/-/memento/' in page and "nicht im Archiv" not in page


def test_an_image_two_articles_show_is_shown_from_the_archive_on_both(crawled, tmp_path):
    """The crawl fetches a picture once, as one article's; another article showing the same picture
    showed "not in the archive" for it."""
    folder, _, _, _ = crawled
    db = tmp_path / "shared.db"
    with closing(sqlite3.connect(folder / "newsroom.db")) as source, closing(sqlite3.connect(db)) as target:
        source.backup(target)
    captured = image_captures(db)[0]
    other = rows(db, f"select id from articles where id != {captured['article_id']} order by id limit 1")[0]["id"]
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("delete from images where article_id = ?", [other])
        src = "https://www.dortmund.de" + urlsplit(captured["url"]).path
        conn.execute("insert into images (article_id, position, src, alt) values (?, 1, ?, 'geteilt')", [other, src])
        conn.commit()
    page = asyncio.run(make_datasette(db).client.get(f"/newsroom/articles/{other}")).text
    assert '<img src="/newsroom/-/memento/' in page and urlsplit(captured["url"]).path in page
    assert "nicht im Archiv" not in page
