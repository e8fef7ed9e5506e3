"""The public archive bounds anonymous SQL and shows no debug pages (issue 9, finding 6), and a
read-only archive is served read-only (finding 7)."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

import pytest

from newsroom_scraper.reader.web import load_settings, make_datasette


@pytest.fixture(scope="module")
def db_path(tmp_path_factory, archive_of, sample_articles):
    return archive_of(tmp_path_factory.mktemp("limits") / "newsroom.db", sample_articles)


def get(datasette, path):
    return asyncio.run(datasette.client.get(path))


def test_a_huge_value_is_refused_at_once(db_path):
    datasette = make_datasette(db_path)
    started = time.perf_counter()
    for sql in (
        "select length(randomblob(1000000000))",
        "select length(zeroblob(1000000000))",
        "select length(printf('%.*c', 1000000000, 'x'))",
        "select length(replace(hex(zeroblob(1000)), '0', hex(zeroblob(1000000))))",
    ):
        response = get(datasette, f"/newsroom.json?sql={quote(sql)}")
        assert response.status_code in (400, 403), sql
    assert time.perf_counter() - started < 1.0  # refused before a byte is made, not cut off by the time limit
    doubling = (
        "with recursive d(s, n) as (select 'x', 0 union all select s || s, n + 1 from d where n < 40) "
        "select length(s) as n from d order by n desc limit 1"
    )
    response = get(datasette, f"/newsroom.json?sql={quote(doubling)}&_shape=array")
    assert response.status_code == 400 and "too big" in response.text  # stopped at SQLite's 1 MB, not 1 TB


def test_sql_for_researchers_still_works_within_bounds(db_path):
    datasette = make_datasette(db_path)
    rows = get(datasette, "/newsroom.json?sql=select+count(*)+as+n+from+articles&_shape=array").json()
    assert rows == [{"n": 5}]
    many = "with recursive n(i) as (select 1 union all select i + 1 from n limit 5000) select i from n"
    data = get(datasette, f"/newsroom.json?sql={quote(many)}").json()
    assert len(data["rows"]) == load_settings()["max_returned_rows"] and data["truncated"]
    attach = get(datasette, "/newsroom.json?sql=attach+database+'/etc/passwd'+as+x")
    assert attach.status_code in (400, 403)


@pytest.mark.parametrize("page", ["allow-debug", "messages", "threads", "databases", "databases.json", "patterns"])
def test_debug_pages_are_off(db_path, page):
    assert get(make_datasette(db_path), f"/-/{page}").status_code == 404


def test_no_memory_database_and_no_file_path(db_path):
    datasette = make_datasette(db_path)
    assert list(datasette.databases) == ["_internal", "newsroom"]
    assert get(datasette, "/_memory.json?sql=select+1").status_code == 404
    pages = ("/", "/.json", "/newsroom", "/newsroom.json", "/-/versions.json", "/-/settings.json")
    listed = "/newsroom.json?sql=" + quote("select * from pragma_database_list") + "&_shape=array"
    assert get(datasette, listed).json() == [{"seq": 0, "name": "main", "file": None}]  # issue 17, 7
    for page in (*pages, listed, "/newsroom.json?sql=" + quote("select file from pragma_database_list")):
        response = get(datasette, page)
        assert response.status_code == 200 and str(db_path.parent) not in response.text, page


def test_a_read_only_archive_is_served_immutable(db_path, monkeypatch):
    import newsroom_scraper.reader.web as web

    monkeypatch.setattr(web.os, "access", lambda path, mode: False)  # as for a user without write access
    datasette = make_datasette(db_path)
    assert datasette.databases["newsroom"].is_mutable is False
    assert get(datasette, "/newsroom/articles.json").status_code == 200


@pytest.mark.parametrize("path", ["/newsroom/articles/-/insert", "/newsroom/articles", "/newsroom", "/newsroom/search"])
def test_a_write_is_refused_with_405_not_a_server_error(db_path, path):
    """Issue 17, 7: a POST to a table answered 500 (Datasette 0.65's assertion)."""
    datasette = make_datasette(db_path)
    response = asyncio.run(datasette.client.post(path, json={"row": {"title": "x"}}))
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
    assert get(datasette, "/newsroom/articles.json?_shape=array&_size=1").status_code == 200  # reading goes on
