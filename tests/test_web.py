"""Datasette on the archive, in-process: tables browsable, ?_search= and the ranked search work."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from newsroom_scraper.reader.web import make_datasette


@pytest.fixture(scope="module")
def db_path(tmp_path_factory, archive_of, sample_articles):
    return archive_of(tmp_path_factory.mktemp("web") / "other-name.db", sample_articles)


@pytest.fixture
def client(db_path):
    """Datasette's in-process client, called synchronously."""
    datasette = make_datasette(db_path)

    class Client:
        def get(self, path):
            return asyncio.run(datasette.client.get(path))

    return Client()


def get_json(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()


def test_database_is_named_newsroom_with_metadata(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Newsroom-Archiv der Stadt Dortmund" in response.text
    data = get_json(client, "/newsroom.json")
    tables = {table["name"] for table in data["tables"]}
    assert {"articles", "article_versions", "images", "tags", "related_links", "crawl_runs", "crawl_errors"} <= tables


def test_articles_table_browsable_newest_first(client):
    data = get_json(client, "/newsroom/articles.json?_shape=objects")
    dates = [row["published_at"] for row in data["rows"]]
    assert len(dates) == 5 and dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    "query", ["Bibliothek", "bibliothek", "Oeffnungszeiten", "Offnungszeiten", "Räumfahrzeuge", "Raeumfahrzeuge"]
)
def test_table_search(client, query):
    data = get_json(client, f"/newsroom/articles.json?_search={query}&_shape=objects")
    assert data["rows"], query


def test_ranked_search_query_handles_any_input(client):
    data = get_json(client, "/newsroom/search.json?q=Lesesaal&_shape=objects")
    assert data["rows"][0]["title"] == "Stadtbibliothek verlängert Öffnungszeiten"
    assert "«Lesesaal»" in data["rows"][0]["excerpt"]
    for awkward in ['"unbalanced', "a OR", "-minus", "NEAR(", "x"]:
        response = client.get(f"/newsroom/search.json?q={awkward}")
        assert response.status_code == 200, awkward


def test_read_only(client):
    response = client.get("/newsroom.json?sql=update+articles+set+title='x'")
    assert response.status_code in (400, 403)


def test_settings_file_is_valid_for_plain_datasette():
    """`datasette archive/` refuses unknown keys in settings.json at start-up."""
    from datasette.app import SETTINGS

    from newsroom_scraper.reader.web import load_settings

    assert set(load_settings()) <= {setting.name for setting in SETTINGS}


ARCHIVE = Path(__file__).resolve().parents[1] / "archive"


def test_archive_folder_links_to_the_packaged_configuration():
    """archive/ holds symbolic links to the package data, so the two can never drift apart."""
    from newsroom_scraper.reader.web import CONFIG_DIR

    plugins = [f"plugins/{path.name}" for path in (CONFIG_DIR / "plugins").glob("*.py")]
    for name in ("metadata.yml", "settings.json", "templates", *plugins):
        link = ARCHIVE / name
        assert link.is_symlink() and not Path(os.readlink(link)).is_absolute(), name
        assert link.resolve() == (CONFIG_DIR / name).resolve(), name


def test_datasette_config_directory_mode_reads_the_archive_folder():
    """What `datasette archive/` does: metadata, settings and the search plugin through the links."""
    from datasette.app import Datasette

    datasette = Datasette([], config_dir=ARCHIVE)

    def get(path):
        response = asyncio.run(datasette.client.get(path))
        assert response.status_code == 200, (path, response.text[:500])
        return response.json()

    assert get("/-/metadata.json")["title"] == "Newsroom archive of the City of Dortmund"
    assert get("/-/settings.json")["suggest_facets"] is False
    local = sorted(plugin["name"] for plugin in get("/-/plugins.json") if plugin["name"].endswith(".py"))
    assert local == sorted(path.name for path in (ARCHIVE / "plugins").glob("*.py"))
    assert {"feeds.py", "field_docs.py", "pages.py", "search.py", "serving_limits.py"} <= set(local)
    rows = get("/_memory.json?sql=select+substring_match('strasse')+as+q&_shape=array")
    assert rows == [{"q": '("strasse" OR "straße")'}]


def test_the_database_name_is_written_once():
    """Templates and plugins name the served database by DATABASE_NAME, never by its value."""
    from newsroom_scraper.reader import DATABASE_NAME
    from newsroom_scraper.reader.web import CONFIG_DIR

    written = [
        path.name
        for path in [*CONFIG_DIR.glob("templates/*.html"), *CONFIG_DIR.glob("plugins/*.py"), CONFIG_DIR / "web.py"]
        if f'"{DATABASE_NAME}"' in path.read_text(encoding="utf-8")
    ]
    assert written == []


def test_metadata_that_describes_another_database_is_refused(tmp_path):
    from newsroom_scraper.reader.web import load_metadata

    (tmp_path / "metadata.yml").write_text("databases:\n  other: {}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="describes no database 'newsroom'"):
        load_metadata(tmp_path / "metadata.yml")
