"""What makes the reader's pages fast at 100,000 articles (issue 16) gives the answer the whole
archive would: ``credit_counts`` (the credits page) after any sequence of saves, edits and rebuilt
histories; the changes page reads its own index; first mentions as the SQL first written."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsroom_scraper.items import Article, Capture, Image
from newsroom_scraper.search.sql import (
    _SEARCH_FILTERS,
    FIRST_MENTIONS_SQL,
    FIRST_MENTIONS_TOTAL_SQL,
    FIRST_MENTIONS_WALK_SQL,
)
from newsroom_scraper.store import Archive
from newsroom_scraper.store.schema import optimize_search_indexes
from tests.test_store import make_article

# What the credits page showed before credit_counts: every image of the archive, counted per request.
CREDITS_FROM_IMAGES = """select json_array(credit_by, credit_agency), credit_by, credit_agency, count(*),
  count(distinct article_id), min(a.published_date), max(a.published_date)
from images join articles a on a.id = images.article_id
group by credit_by, credit_agency order by 1"""
CREDITS_KEPT = """select credit_key, credit_by, credit_agency, images, articles, first_date, last_date
from credit_counts order by 1"""

CREDITS = [(None, None), ("Erika Muster", "Stadt Beispiel"), ("Erika Muster", None), ("Max Bild", "Stadt Beispiel")]
images = st.lists(st.sampled_from(CREDITS), max_size=3).map(
    lambda credits: [
        Image(src=f"https://img.example.de/{n}.jpg", credit_by=by, credit_agency=agency)
        for n, (by, agency) in enumerate(credits)
    ]
)
# One save: which of three articles, its images, its publication date (None: a date-less page).
saves = st.tuples(st.integers(0, 2), images, st.sampled_from([None, "2024-03-05", "2025-07-07", "2026-01-02"]))


def article_of(number: int, article_images: list[Image], date: str | None, text: str) -> Article:
    return make_article(
        url=f"https://presse.example.de/news/{number}",
        images=article_images,
        published_at=f"{date}T12:00:00+02:00" if date else None,
        body_text=f"Text {number} {text}",
    )


def saved(archive: Archive, run_id: int, article: Article, at: str) -> Capture:
    """Save ``article`` as fetched ``at`` with its capture; return the capture (a reparse reads it again)."""
    capture = Capture(url=article.url, captured_at=at, status=200, record_id=f"urn:uuid:{at}")
    archive.save_article(
        article, run_id=run_id, fetched_at=at, fetched_url=article.url, etag=None, last_modified=None, capture=capture
    )
    return capture


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(saves, min_size=1, max_size=8), images, st.sampled_from([None, "2023-12-31"]))
def test_credit_counts_equal_the_images_after_any_saves_and_rebuilds(steps, fixed_images, fixed_date) -> None:
    with tempfile.TemporaryDirectory() as folder, Archive(Path(folder) / "archive.db") as archive:
        run_id = archive.start_run("https://presse.example.de/", {})
        captures: dict[int, list[Capture]] = {}
        for second, (number, article_images, date) in enumerate(steps):
            article = article_of(number, article_images, date, f"{second} {len(article_images)}")
            captures.setdefault(number, []).append(saved(archive, run_id, article, f"2026-03-01T08:00:{second:02d}Z"))
        assert archive.db.execute(CREDITS_KEPT).fetchall() == archive.db.execute(CREDITS_FROM_IMAGES).fetchall()
        # a reparse with a parser fix: the first article's captures read with other images and date
        number = steps[0][0]
        fixed = article_of(number, fixed_images, fixed_date, "neu gelesen")
        reread = [dataclasses.replace(capture, article=fixed) for capture in captures[number]]
        assert archive.replace_history(fixed.url, reread, run_id) in ("rebuilt", "unchanged")
        assert archive.db.execute(CREDITS_KEPT).fetchall() == archive.db.execute(CREDITS_FROM_IMAGES).fetchall()


def test_credit_counts_of_an_older_archive_are_counted_when_it_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        run_id = archive.start_run("https://presse.example.de/", {})
        for number, date in ((1, "2025-07-07"), (2, "2024-01-02")):
            article = article_of(number, [Image(src="a", credit_by="Erika Muster")], date, "")
            saved(archive, run_id, article, f"2026-03-01T08:00:0{number}Z")
        expected = archive.db.execute(CREDITS_FROM_IMAGES).fetchall()
        archive.db.executescript(
            """DROP TABLE credit_counts; DROP INDEX idx_images_credit_article; DROP TRIGGER credit_counts_image_ai;
            DROP TRIGGER credit_counts_image_ad; DROP TRIGGER credit_counts_article_au;
            DELETE FROM _sqlite_migrations WHERE name = '0017_credit_counts'"""
        )
    with Archive(path) as archive:
        assert archive.db.execute(CREDITS_KEPT).fetchall() == expected
        assert expected[0][1:] == ("Erika Muster", None, 2, 2, "2024-01-02", "2025-07-07")


def test_the_changes_page_reads_its_index_not_every_version(tmp_path: Path) -> None:
    from newsroom_scraper.reader.plugins.changes import CHANGES_SQL, prepare_connection

    with Archive(tmp_path / "archive.db") as archive:
        prepare_connection(archive.db.conn)
        plan = " ".join(
            row[3] for row in archive.db.execute("explain query plan " + CHANGES_SQL, {"trivial": "", "page": ""})
        )
    assert "idx_article_versions_changes" in plan and "SCAN v\b" not in plan


# FIRST_MENTIONS_SQL as first written (issue 16, before the speed work at 100,000 articles).
REFERENCE_FIRST_MENTIONS_SQL = f"""with word_versions as (
  select v.article_id as id, min(v.version) as first_version
  from version_words join article_versions v on v.id = version_words.rowid
  where version_words match word_match(:q)
  group by v.article_id
),
substring_only as (
  select f.article_id as id, f.version_count as first_version
  from articles_fts join search_facts f on f.article_id = articles_fts.rowid
  where articles_fts match substring_match(:q) and f.article_id not in (select id from word_versions)
),
found as (
  select w.*, 'word' as match from word_versions w union all select s.*, 'substring' from substring_only s
),
answer as (
  select found.id, found.first_version, found.match, f.published_at, count(*) over () as total
  from found join search_facts f on f.article_id = found.id
  where {_SEARCH_FILTERS}
  order by f.published_at, found.id
  limit cast(:size as integer) + 1 offset (max(cast(:page as integer), 1) - 1) * cast(:size as integer)
)
select articles.id, articles.title, articles.published_at, answer.first_version,
  v.fetched_at as first_captured_at, articles.first_seen_at, articles.version_count, answer.match,
  answer.total, articles.url
from answer join articles on articles.id = answer.id
left join article_versions v on v.article_id = answer.id and v.version = answer.first_version
order by answer.published_at, answer.id
"""


@pytest.mark.parametrize("query", ["Rat", "Stadt", "partnerschaft", "Dienstagabend", "Strasse", "Rat -Strasse", "OB"])
@pytest.mark.parametrize("filters", [{}, {"since": "2025"}, {"section": "press"}, {"until": "2025-06"}])
def test_first_mentions_answer_as_the_sql_first_written(reader_archive: Path, query: str, filters: dict) -> None:
    with Archive(reader_archive) as archive:
        for size, page in ((1000, 1), (2, 1), (2, 2), (1, 3)):
            params = {"q": query, "since": "", "until": "", "section": "", "tag": "", "district": "", **filters}
            params |= {"size": size, "page": page}
            expected = archive.db.execute(REFERENCE_FIRST_MENTIONS_SQL, params).fetchall()
            assert archive.db.execute(FIRST_MENTIONS_SQL, params).fetchall() == expected


WALK_QUERIES = ["Rat", "Stadt", "der", "partnerschaft", "Dienstagabend", "Montagabend", "Strasse", "Rat -Strasse"]
WALK_QUERIES += ["OB", "Stadt OR Rat", "Sommer*", '"Rat der Stadt"', "Dortmund"]


@pytest.mark.parametrize(
    "filters", [{}, {"since": "2025"}, {"section": "press"}, {"until": "2025-06"}, {"tag": "rathaus"}]
)
def test_first_mentions_walked_are_the_rows_of_the_whole_answer(reader_archive: Path, filters: dict) -> None:
    """A page walked in publication order (FIRST_MENTIONS_WALK_SQL) has the rows, order, first version
    and match of FIRST_MENTIONS_SQL's page, or no row at all (the caller then runs FIRST_MENTIONS_SQL);
    FIRST_MENTIONS_TOTAL_SQL counts what FIRST_MENTIONS_SQL's total says."""
    walked = 0
    with Archive(reader_archive) as archive:
        for query in WALK_QUERIES:
            for size, page in ((1000, 1), (2, 1), (2, 2), (1, 3), (1, 1)):
                params = {"q": query, "since": "", "until": "", "section": "", "tag": "", "district": "", **filters}
                params |= {"size": size, "page": page}
                whole = archive.db.execute(FIRST_MENTIONS_SQL, params).fetchall()
                walk = archive.db.execute(FIRST_MENTIONS_WALK_SQL, params).fetchall()
                if walk:
                    walked += 1
                    assert walk == [(*row[:8], None, row[9]) for row in whole], (query, size, page)
                (total,) = archive.db.execute(FIRST_MENTIONS_TOTAL_SQL, params).fetchone()
                if whole or page == 1:  # a page after the last has no row to carry the total
                    assert total == (whole[0][8] if whole else 0)
    assert walked >= 3 or filters  # the walk answered pages of the common words (a filter may leave too few)


def test_first_mentions_walk_answers_nothing_for_a_word_in_few_articles(reader_archive: Path) -> None:
    params = {"q": "Dienstagabend", "since": "", "until": "", "section": "", "tag": "", "district": ""}
    with Archive(reader_archive) as archive:
        assert archive.db.execute(FIRST_MENTIONS_SQL, params | {"size": 1, "page": 1}).fetchall()
        assert archive.db.execute(FIRST_MENTIONS_WALK_SQL, params | {"size": 1, "page": 1}).fetchall() == []


def test_a_finished_run_merges_what_it_added_to_the_search_indexes_and_not_the_rest(tmp_path: Path) -> None:
    """A probe of FIRST_MENTIONS_WALK_SQL seeks in every segment of an index: a run's saves (one
    segment each, until FTS5 merges some) are merged when it finishes (schema.merge_search_indexes),
    and the segment the archive held before stays as it is ('optimize' rewrote it every night)."""
    with Archive(tmp_path / "archive.db") as archive:
        run = archive.start_run("http://127.0.0.1:1/newsroom/", {})
        for n in range(40):
            old = make_article(f"https://www.dortmund.de/newsroom/old-{n}.html", title=f"Alte Meldung {n}")
            saved(archive, run, old, f"2026-11-19T10:00:{n:02d}+00:00")
        optimize_search_indexes(archive.db)
        held = {index: _segment_ids(archive, index) for index in ("version_words", "articles_fts")}
        assert all(len(ids) == 1 for ids in held.values())
        for n in range(12):
            new = make_article(f"https://www.dortmund.de/newsroom/{n}.html", title=f"Meldung {n}")
            saved(archive, run, new, f"2026-11-20T10:00:{n:02d}+00:00")
        assert len(_segment_ids(archive, "version_words")) > 3
        archive.finish_run(run, "finished", {}, {"new": 12}, {})
        for index, before in held.items():
            after = _segment_ids(archive, index)
            assert before <= after and len(after) <= 3, (index, before, after)  # the old segment untouched


def _segment_ids(archive: Archive, index: str) -> set[int]:
    """The segments an FTS5 index holds (its %_idx table has rows for each segment's leaves)."""
    return {segid for (segid,) in archive.db.execute(f"select distinct segid from {index}_idx")}


def test_every_page_of_the_articles_table_newest_first_is_read_in_its_index_order(
    reader_archive: Path, reader_client
) -> None:
    """The articles table's export (``_stream=on``: 100 rows a page) pages through it with Datasette's keyset SQL: each
    page is read in the order of an index, never by sorting every article (at 100,000 articles that
    took ~5 s a page and the full CSV export stopped after its first page)."""
    client = reader_client(reader_archive)
    first = client.get("/newsroom/articles.json?_size=3").json()
    assert first["next"]
    page = client.get(f"/newsroom/articles.json?_size=100&_next={first['next']}").json()
    with Archive(reader_archive) as archive:
        plan = [
            row[3] for row in archive.db.execute("explain query plan " + page["query"]["sql"], page["query"]["params"])
        ]
    assert plan == ["SCAN articles USING INDEX idx_articles_newest_first"], plan


def test_a_csv_export_of_the_whole_archive_is_not_cut_at_100_mb(reader_archive: Path, reader_client) -> None:
    """Datasette ends a CSV at max_csv_mb (100 MB unless set) with the line "CSV contains more than …":
    at 100,000 articles articles.csv?_stream=on stopped after 54,394 rows. The reader sets no limit (the
    export streams in constant memory: bench/export.py)."""
    assert reader_client(reader_archive).datasette.setting("max_csv_mb") == 0
