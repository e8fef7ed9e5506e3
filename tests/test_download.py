"""The whole archive as one SQLite file from the home page (issue 16, 4): a consistent snapshot,
made again when the archive changed, sent whole, while the archive is served mutable."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from newsroom_scraper.reader.plugins.download import snapshot_path
from newsroom_scraper.reader.web import make_datasette


def fetch(db: Path, path: str):
    async def get():
        return await make_datasette(db).client.get(path)

    return asyncio.run(get())


def count(path: Path, sql: str = "select count(*) from articles") -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_the_home_page_offers_the_file_and_it_is_the_whole_archive_as_of_the_request(reader_archive, tmp_path):
    db = tmp_path / "archive.db"
    shutil.copy(reader_archive, db)
    assert 'href="/newsroom.db"' in fetch(db, "/").text
    first = fetch(db, "/newsroom.db")
    assert first.status_code == 200 and first.headers["content-type"] == "application/octet-stream"
    assert 'filename="newsroom.db"' in first.headers["content-disposition"]
    saved = tmp_path / "downloaded.db"
    saved.write_bytes(first.content)
    assert count(saved) == count(db) > 0
    assert count(saved, "select count(*) from article_versions") == count(db, "select count(*) from article_versions")
    with closing(sqlite3.connect(saved)) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    with closing(sqlite3.connect(db)) as conn:  # a crawl changes the archive: the next download shows it
        conn.execute("delete from tags")
        conn.commit()
    second = fetch(db, "/newsroom.db")
    again = tmp_path / "again.db"
    again.write_bytes(second.content)
    assert count(again, "select count(*) from tags") == 0 < count(saved, "select count(*) from tags")
    snapshot_path(db).unlink()


def test_a_missing_page_is_a_german_404_not_a_500(reader_archive):
    """Datasette renders error pages without the plugins' variables: base.html names the database
    itself (a missing version id answered 500 once the cite block needed it)."""
    for path in ("/newsroom/article_versions/999999", "/newsroom/articles/999999", "/nothing-here"):
        response = fetch(reader_archive, path)
        assert response.status_code == 404 and '<html lang="de">' in response.text, path
