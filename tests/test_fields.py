"""The Article dataclass is the one list of fields: everything that stores, reports or documents
a field follows it, and each test here names what does not (as Fundus' coverage test does)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from newsroom_scraper.items import PARTS, Article, content_fields, list_fields, one_value_fields
from newsroom_scraper.ops.report import OFTEN_EMPTY
from newsroom_scraper.parser.layouts import FAMILIES
from newsroom_scraper.store import FTS_COLUMNS, PART_TABLES, Archive, content_hash
from newsroom_scraper.store.rows import PART_COLUMN

ROOT = Path(__file__).resolve().parents[1]
FIELDS = [f.name for f in fields(Article)]


def test_every_layout_version_covers_every_field():
    for family in FAMILIES:
        for version in family.versions():
            missing = [name for name in FIELDS if name != "layout" and name not in version.attributes()]
            assert not missing, (
                f"{family.__name__}.{version.__name__} does not cover the following attribute(s): {missing}"
            )


def test_every_one_value_field_is_a_column_of_articles():
    with Archive(":memory:") as archive:
        columns = archive.db.table("articles").columns_dict
        missing = [name for name in one_value_fields() if name not in columns]
    assert not missing, f"articles has no column for Article field(s) {missing}"


def test_every_list_field_has_a_table_with_a_column_per_item_field():
    with Archive(":memory:") as archive:
        for name in list_fields():
            if name not in PART_TABLES:
                continue  # stored as a JSON column of articles
            columns = archive.db.table(PART_TABLES[name]).columns_dict
            wanted = [f.name for f in fields(PARTS[name])] if name in PARTS else [PART_COLUMN[name]]
            missing = [column for column in wanted if column not in columns]
            assert not missing, f"table {PART_TABLES[name]} has no column for {name}: {missing}"


def test_a_new_field_is_stored_without_a_migration(tmp_path):
    """Simulate an archive made before a field existed: opening it adds the column."""
    path = tmp_path / "old.db"
    with Archive(path) as archive:
        archive.db.execute("ALTER TABLE articles DROP COLUMN og_image")
    with Archive(path) as archive:
        assert "og_image" in archive.db.table("articles").columns_dict


def test_content_hash_leaves_out_only_the_unversioned_fields():
    assert set(FIELDS) - set(content_fields()) == {"url", "layout", "related"}
    article = Article(url="https://www.dortmund.de/newsroom/x.html", title="T", published_at="2025-01-01", layout="a")
    moved = Article(url="https://www.dortmund.de/newsroom/y.html", title="T", published_at="2025-01-01", layout="b")
    assert content_hash(article) == content_hash(moved)
    assert content_hash(article) != content_hash(Article(**{**article.to_dict(), "title": "U"}))


def test_the_run_report_watches_only_real_fields():
    assert OFTEN_EMPTY - {"published_time"} <= set(FIELDS)


def test_every_articles_column_is_described_for_datasette(tmp_path):
    """Field columns by the field's doc (plugins/field_docs.py), derived ones by metadata.yml."""
    from newsroom_scraper.reader.web import make_datasette

    db = tmp_path / "newsroom.db"
    Archive(db).close()
    datasette = make_datasette(db)
    described = datasette.metadata("columns", database="newsroom", table="articles") or {}
    with Archive(":memory:") as archive:
        columns = [c for c in archive.db.table("articles").columns_dict if c != "id"]
    missing = [column for column in columns if not described.get(column)]
    assert not missing, f"no Datasette description for column(s) {missing} of articles (metadata.yml)"
    assert described["title"] == dict((f.name, f.metadata["doc"]) for f in fields(Article))["title"]


def test_every_field_says_what_it_holds():
    missing = [f.name for f in fields(Article) if not f.metadata.get("doc")]
    assert not missing, f"Article field(s) without a doc in items.py: {missing}"


def test_docs_fields_table_is_written_from_the_code():
    from newsroom_replica import fields_doc

    assert fields_doc.main(["--check"]) == 0, "run: python -m newsroom_replica.fields_doc"
    for name in FIELDS:
        assert f"| `{name}` |" in fields_doc.table()


def test_fts_columns_are_those_the_migrations_built():
    with Archive(":memory:") as archive:
        built = [c for c in archive.db.table("articles_fts").columns_dict if c != "articles_fts"]
    assert tuple(built[: len(FTS_COLUMNS)]) == FTS_COLUMNS
