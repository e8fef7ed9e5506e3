"""`make demo` shows what the archive is for (issue 16, 11): it corrects a few replica articles and
crawls again, so history, diffs and the changes page have content; and every example search of the
home page finds something in the demo's archive."""

from __future__ import annotations

import asyncio
import re
from html import unescape
from pathlib import Path

import pytest

from newsroom_replica.demo import DEMO_CORRECTIONS, build_demo_archive
from newsroom_replica.replica_site import ReplicaSite
from newsroom_replica.server import ReplicaServer
from newsroom_scraper.reader.web import make_datasette
from newsroom_scraper.store import Archive

pytestmark = pytest.mark.e2e  # a replica server and two crawls in child processes


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The archive `make demo` serves: its defaults (300 articles, seed 1), built the same way."""
    path = tmp_path_factory.mktemp("demo") / "newsroom.db"
    site = ReplicaSite(articles=300, seed=1)
    server = ReplicaServer(site, host="127.0.0.1", port=0)
    server.start()
    try:
        assert build_demo_archive(site, f"{server.url}/newsroom/", str(path)) == 0
    finally:
        server.stop()
    return path


def get(datasette, path: str):
    response = asyncio.run(datasette.client.get(path))
    assert response.status_code == 200, (path, response.text[:500])
    return response


def test_the_demo_archive_has_history_diffs_and_changes(demo_archive: Path) -> None:
    with Archive(demo_archive) as archive:
        changed = archive.db.execute("select count(*) from articles where version_count > 1").fetchone()[0]
    assert changed == len(DEMO_CORRECTIONS)
    datasette = make_datasette(demo_archive)
    rows = get(datasette, "/newsroom/changes.json?_shape=objects").json()["rows"]
    assert len(rows) == len(DEMO_CORRECTIONS) and all("Text" in row["fields"] for row in rows)
    compare = get(datasette, f"/newsroom/compare?from={rows[0]['previous_id']}&to={rows[0]['version_id']}").text
    assert "<ins>" in compare


def test_every_example_search_of_the_home_page_finds_something(demo_archive: Path) -> None:
    datasette = make_datasette(demo_archive)
    home = get(datasette, "/").text
    examples = [unescape(href) for href in re.findall(r'class="example-search" href="([^"]+)"', home)]
    assert len(examples) >= 3
    for href in examples:
        hits = get(datasette, href.replace("/search?", "/search.json?", 1) + "&_shape=objects").json()["rows"]
        assert hits, f"{href} finds nothing in the demo's archive"


@pytest.mark.e2e  # run_demo starts a replica on loopback
def test_the_demo_serves_captures_replayed_as_serve_does(tmp_path, monkeypatch):
    import httpx

    from newsroom_replica import demo

    served = {}
    monkeypatch.setattr(demo, "build_demo_archive", lambda site, url, db: 0)
    monkeypatch.setattr(demo, "serve", lambda db, host, port, wrap=None: served.update(wrap=wrap))
    assert demo.run_demo(port=0, articles=3, db_path=str(tmp_path / "newsroom.db")) == 0
    assert served["wrap"] is not None

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def fetch(path: str) -> int:
        transport = httpx.ASGITransport(app=served["wrap"](inner))
        async with httpx.AsyncClient(transport=transport, base_url="http://demo.test") as client:
            return (await client.get(path)).status_code

    assert asyncio.run(fetch("/newsroom/-/timemap/link/https://www.dortmund.de/newsroom/x.html")) == 404  # replay's
    assert asyncio.run(fetch("/newsroom/articles")) == 299  # the reader's
