"""Replay and Memento (issue 19, 7): each capture served from the WARC as received, sandboxed,
with a TimeMap and a TimeGate per article URL (RFC 7089), a 304 showing the capture it confirmed.

One module-scoped history: a crawl, an edit of one article on the site, a second crawl that
re-checks every article (the edited one answers 200, the others 304).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import date
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from newsroom_replica import ReplicaServer, ReplicaSite
from newsroom_scraper import cli
from newsroom_scraper.evidence.replay import with_replay
from newsroom_scraper.evidence.warc import read_record_at
from newsroom_scraper.items import WarcLocation, memento_timestamp

pytestmark = pytest.mark.e2e  # crawls a replica in child processes (tests/conftest.py: e2e)

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--delay", "0", "--concurrency", "8", "--log-level", "WARNING", "--refresh-days", "36500"]
EDIT = "Ein Satz, den die Redaktion für den Replay-Test nachgetragen hat."
BASE = "http://archive.test/newsroom/-/"


def crawl(server: ReplicaServer, db: Path) -> None:
    command = [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", f"{server.url}/newsroom/"]
    completed = subprocess.run(
        [*command, "--db", str(db), *FAST], capture_output=True, text=True, timeout=240, cwd=ROOT
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    site = ReplicaSite(articles=6, seed=5, newest=date.today())
    db = tmp_path_factory.mktemp("replay") / "newsroom.db"
    with ReplicaServer(site) as server:
        crawl(server, db)
        time.sleep(1.0 - time.time() % 1.0)  # the second crawl's captures in a later second
        site.edit_article(site.article_paths()[0], EDIT)
        crawl(server, db)
    return db, db.parent / "warc"


def captures(db: Path, sql_filter: str = "1") -> list[dict]:
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        sql = f"""select c.*, a.url as article_url from captures c join articles a on a.id = c.article_id
            where c.kind = 'article' and {sql_filter} order by c.captured_at, c.id"""
        return [dict(row) for row in conn.execute(sql)]


async def inner_app(scope, receive, send):
    """Stands in for Datasette: what the replay routes do not answer."""
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": b"inner"})


def get(history, path: str, **headers: str) -> httpx.Response:
    db, warc = history
    app = with_replay(inner_app, db, warc)

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://archive.test") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(fetch())


def links(link_format: str) -> list[tuple[str, dict[str, str]]]:
    """A link-format body (RFC 6690) as (target, attributes) pairs."""
    parsed = []
    for entry in re.findall(r"<([^>]*)>((?:\s*;\s*[^;,<]+=\"[^\"]*\")*)", link_format):
        target, attributes = entry
        parsed.append((target, dict(re.findall(r'(\w[\w-]*)="([^"]*)"', attributes))))
    return parsed


def edited_url(history) -> str:
    return next(c["article_url"] for c in captures(history[0]) if EDIT.encode() in body_of(history, c))


def body_of(history, capture: dict) -> bytes:
    location = WarcLocation(capture["warc_file"], capture["warc_offset"], capture["warc_length"], "", None)
    return read_record_at(history[1], location)


def test_timemap_lists_every_capture_of_an_article_as_a_memento(history):
    url = edited_url(history)
    response = get(history, f"/newsroom/-/timemap/link/{url}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/link-format"
    entries = links(response.text)
    rels = [attributes["rel"] for _, attributes in entries]
    assert rels[:3] == ["original", "timegate", "self"]
    assert entries[0][0] == url
    mementos = entries[3:]
    expected = [c for c in captures(history[0], f"a.url = '{url}'") if c["status"] in (200, 304)]
    assert len(mementos) == len(expected) >= 2
    assert mementos[0][1]["rel"] == "first memento" and mementos[-1][1]["rel"] == "last memento"
    for (target, attributes), capture in zip(mementos, expected, strict=True):
        assert target == f"{BASE}memento/{memento_timestamp(capture['captured_at'])}/{url}"
        assert parsedate_to_datetime(attributes["datetime"]).timestamp() == pytest.approx(
            parsedate_to_datetime(format_datetime_of(capture["captured_at"])).timestamp()
        )


def format_datetime_of(captured_at: str) -> str:
    from datetime import datetime

    return format_datetime(datetime.fromisoformat(captured_at), usegmt=True)


def test_raw_mementos_are_the_bodies_as_received_before_and_after_the_edit(history):
    url = edited_url(history)
    first, changed = [c for c in captures(history[0], f"a.url = '{url}'") if c["status"] == 200][:2]
    for capture, has_edit in ((first, False), (changed, True)):
        stamp = memento_timestamp(capture["captured_at"])
        response = get(history, f"/newsroom/-/memento/{stamp}id_/{url}")
        assert response.status_code == 200
        assert response.content == body_of(history, capture)
        assert (EDIT.encode() in response.content) is has_edit
        policy = response.headers["content-security-policy"]
        assert policy.startswith("sandbox;") and "default-src 'none'" in policy and "allow-scripts" not in policy
        assert response.headers["content-type"].startswith("text/html")
        assert parsedate_to_datetime(response.headers["memento-datetime"]).strftime("%Y%m%d%H%M%S") == stamp[:14]
        assert f'<{url}>; rel="original"' in response.headers["link"]


def test_a_304_memento_replays_the_capture_it_confirmed_at_its_own_time(history):
    not_modified = captures(history[0], "c.status = 304")
    assert not_modified, "the second crawl re-checks unchanged articles with 304s"
    capture = not_modified[0]
    confirmed = captures(history[0], f"c.status = 200 and c.article_id = {capture['article_id']}")[0]
    stamp = memento_timestamp(capture["captured_at"])
    response = get(history, f"/newsroom/-/memento/{stamp}id_/{capture['article_url']}")
    assert response.status_code == 200
    assert response.content == body_of(history, confirmed)
    assert parsedate_to_datetime(response.headers["memento-datetime"]).strftime("%Y%m%d%H%M%S") == stamp
    page = get(history, f"/newsroom/-/memento/{stamp}/{capture['article_url']}")
    assert "HTTP 304" in page.text


def test_the_timegate_redirects_to_the_capture_nearest_accept_datetime(history):
    url = edited_url(history)
    all_captures = [c for c in captures(history[0], f"a.url = '{url}'") if c["status"] in (200, 304)]
    early = get(history, f"/newsroom/-/timegate/{url}", **{"Accept-Datetime": "Thu, 01 Jan 1970 00:00:00 GMT"})
    assert early.status_code == 302
    assert early.headers["location"].endswith(f"/memento/{memento_timestamp(all_captures[0]['captured_at'])}/{url}")
    assert early.headers["vary"] == "accept-datetime"
    assert 'rel="timemap"' in early.headers["link"]
    latest = get(history, f"/newsroom/-/timegate/{url}")
    assert latest.headers["location"].endswith(f"/memento/{memento_timestamp(all_captures[-1]['captured_at'])}/{url}")
    assert get(history, f"/newsroom/-/timegate/{url}", **{"Accept-Datetime": "yesterday"}).status_code == 400


def test_the_banner_page_names_the_capture_and_frames_it_sandboxed(history):
    url = edited_url(history)
    capture = captures(history[0], f"a.url = '{url}'")[0]
    stamp = memento_timestamp(capture["captured_at"])
    page = get(history, f"/newsroom/-/memento/{stamp}/{url}")
    assert page.status_code == 200
    assert '<html lang="de">' in page.text
    assert f'<iframe sandbox src="{BASE}memento/{stamp}id_/{url}"' in page.text
    assert "Crawl dieses Archivs" in page.text and "/newsroom/article_versions/" in page.text
    assert "script" not in page.text.lower()


def test_another_time_redirects_to_the_nearest_capture_and_unknown_urls_are_404(history):
    url = edited_url(history)
    first = captures(history[0], f"a.url = '{url}'")[0]
    response = get(history, f"/newsroom/-/memento/1999id_/{url}")
    assert response.status_code == 302
    assert response.headers["location"] == f"{BASE}memento/{memento_timestamp(first['captured_at'])}id_/{url}"
    missing = "https://www.dortmund.de/newsroom/pressemitteilungen/nie-archiviert.html"
    for route in ("timemap/link/", "timegate/", "memento/20260101000000/"):
        assert get(history, f"/newsroom/-/{route}{missing}").status_code == 404
    assert get(history, "/newsroom/articles").status_code == 299  # the reader answers the rest


def test_serve_puts_replay_in_front_of_the_reader(history, monkeypatch):
    db, _ = history
    seen = {}

    def fake_serve(db_path, *, host, port, wrap, public_url=None):
        seen["app"] = wrap(inner_app)

    monkeypatch.setattr("newsroom_scraper.reader.web.serve", fake_serve)
    result = CliRunner().invoke(cli.main, ["serve", "--db", str(db)])
    assert result.exit_code == 0, result.output
    url = edited_url(history)

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=seen["app"])
        async with httpx.AsyncClient(transport=transport, base_url="http://archive.test") as client:
            return await client.get(f"/newsroom/-/timemap/link/{url}")

    assert asyncio.run(fetch()).status_code == 200


def test_a_version_page_links_to_its_captures_replayed_and_to_the_timemap(history):
    from newsroom_scraper.reader.web import make_datasette

    db, _ = history
    url = edited_url(history)
    changed = [c for c in captures(db, f"a.url = '{url}'") if c["status"] == 200][-1]
    with closing(sqlite3.connect(db)) as conn:
        (version_id,) = conn.execute(
            "select id from article_versions where article_id = ? and version = ?",
            [changed["article_id"], changed["version"]],
        ).fetchone()
    page = asyncio.run(make_datasette(db).client.get(f"/newsroom/article_versions/{version_id}")).text
    replay = f"/newsroom/-/memento/{memento_timestamp(changed['captured_at'])}/{url}"
    assert f'href="{replay}"' in page
    assert f'href="/newsroom/-/timemap/link/{url}"' in page
    stamp = memento_timestamp(changed["captured_at"])
    assert EDIT in get(history, f"/newsroom/-/memento/{stamp}id_/{url}").text
