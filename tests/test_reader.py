"""The reader's archive through Datasette's in-process client: search, article and version pages,
browsing, credits, districts, coverage, feeds, the home page; and search input that can never fail."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote
from xml.etree import ElementTree

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsroom_scraper.search.sql import MAX_QUERY_CHARS, READER_PAGE_SIZE
from newsroom_scraper.store import Archive

if TYPE_CHECKING:  # the one client of the reader's tests (tests/conftest.py)
    from conftest import ReaderClient as Client


@pytest.fixture(scope="module")
def db_path(reader_archive: Path) -> Path:
    return reader_archive


@pytest.fixture(scope="module")
def client(db_path: Path, reader_client) -> Client:
    return reader_client(db_path)


BASE = "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/"


def article_id(db_path: Path, slug: str) -> int:
    with Archive(db_path) as archive:
        row = archive.get_article(BASE + slug + ".html")
    assert row is not None
    return int(row["id"])


def search(client: Client, query: str, extra: str = "") -> list[dict]:
    return client.get(f"/newsroom/search.json?q={quote(query)}{extra}&_shape=objects").json()["rows"]


# -- search -----------------------------------------------------------------------


def test_whole_word_ranks_above_substrings(client: Client) -> None:
    rows = search(client, "Rat")
    assert rows[0]["title"] == "Sitzung im Rathaus!" and rows[0]["match"] == "word"
    substring_only = {r["title"] for r in rows if r["match"] == "substring"}
    assert {"Neue Strategie für Parks", "Alter Apparat im Museum"} <= substring_only
    assert [r["match"] for r in rows] == sorted((r["match"] for r in rows), key="word substring".split().index)
    assert "«Rat»" in rows[0]["excerpt"]


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("Kitas", "Kita am Westpark eröffnet"),
        ("OB", "OB besucht die EU-Kommission"),
        ("EU", "OB besucht die EU-Kommission"),
        ("Strasse", "Jubiläum der Städtepartnerschaft"),
        ("Staedtepartnerschaft", "Jubiläum der Städtepartnerschaft"),
        ("partnerschaft", "Jubiläum der Städtepartnerschaft"),
        ("Beispielfoto", "Jubiläum der Städtepartnerschaft"),  # credits are searched too
        ('"Rat der Stadt"', "Sitzung im Rathaus!"),
    ],
)
def test_search_finds(client: Client, query: str, title: str) -> None:
    assert title in [r["title"] for r in search(client, query)]


def test_phrase_and_exclusion(client: Client) -> None:
    assert search(client, '"Stadt der Rat"') == []
    titles = [r["title"] for r in search(client, "Strategie -Beratung")]
    assert "Neue Strategie für Parks" not in titles


def test_filters_and_paging(client: Client, db_path: Path) -> None:
    assert [r["title"] for r in search(client, "Rat", "&until=2024")] == ["Sitzung im Rathaus!"]
    assert all(r["published_at"] >= "2025" for r in search(client, "Rat", "&since=2025-01"))
    assert [r["title"] for r in search(client, "Strategie", "&tag=Parkpflege")] == ["Neue Strategie für Parks"]
    assert [r["title"] for r in search(client, "Kita", "&district=H%C3%B6rde")] == ["Kita am Westpark eröffnet"]
    assert search(client, "Rat", "&page=2") == []
    with Archive(db_path) as archive:  # the page size is what the store says
        assert len(archive.search_articles("Rat")) <= READER_PAGE_SIZE + 1


def test_search_page_shows_hits_chart_and_links(client: Client) -> None:
    html = client.get("/newsroom/search?q=Rat").text
    assert '<html lang="de">' in html
    assert "<mark>Rat</mark>" in html and "search_months.svg?q=Rat" in html and "Treffer je Monat" in html
    assert "nur als Wortteil" in html and "/newsroom/search_feed.atom?q=Rat" in html
    chart = client.get("/newsroom/search_months.svg?q=Rat").text
    assert "<svg" in chart and "2024-11: 1" in chart  # the first month with a hit, then every month to the last
    months = client.get("/newsroom/search_months.json?q=Rat&_shape=objects").json()["rows"]
    assert sum(m["hits"] for m in months) == len(search(client, "Rat"))
    # the total is drawn whole: its text ("N insgesamt", 9px, at most 6px a character) ends inside the chart
    width = float(re.search(r'<svg[^>]* width="([\d.]+)"', chart)[1])
    x, text = re.search(r'<text x="([\d.]+)" y="74">(\d+ insgesamt)</text>', chart).groups()
    assert float(x) + 6 * len(text) <= width, (x, text, width)


def test_first_mentions_search_every_version(client: Client) -> None:
    rows = client.get("/newsroom/first_mentions.json?q=Montagabend&_shape=objects").json()["rows"]
    assert [(r["title"], r["first_version"]) for r in rows] == [("Sitzung im Rathaus!", 1)]
    assert (
        client.get("/newsroom/first_mentions.json?q=Dienstagabend&_shape=objects").json()["rows"][0]["first_version"]
        == 2
    )


PIECES = [*'"*()-^:+ abcäß\x00😀', "NEAR", "AND", "OR", "NOT", "NEAR(", " -"]
AWKWARD = st.lists(st.sampled_from(PIECES), max_size=20).map("".join)


@settings(max_examples=40, deadline=None)
@given(query=st.one_of(AWKWARD, st.text(max_size=5), st.just("x" * 1000), st.just('"' * 3)))
def test_no_input_is_an_error_page(client: Client, query: str) -> None:
    encoded = quote(query, safe="")
    status = 200 if len(query) <= MAX_QUERY_CHARS else 400  # issue 17, 1: longer ones refused in one line
    client.get(f"/newsroom/search?q={encoded}", status)
    client.get(f"/newsroom/search.json?q={encoded}", status)
    client.get(f"/newsroom/articles.json?_search={encoded}", status)


def test_table_search_uses_the_same_spelling_rules(client: Client) -> None:
    rows = client.get("/newsroom/articles.json?_search=Strasse+-Leeds&_shape=objects").json()["rows"]
    assert "Jubiläum der Städtepartnerschaft" not in [r["title"] for r in rows]
    rows = client.get("/newsroom/articles.json?_search=Staedtepartnerschaft&_shape=objects").json()["rows"]
    assert [r["title"] for r in rows] == ["Jubiläum der Städtepartnerschaft"]


# -- pages ------------------------------------------------------------------------


def test_home_page_is_german_without_memory_database(client: Client) -> None:
    html = client.get("/").text
    assert '<html lang="de">' in html and "Das Archiv bewahrt" in html
    assert 'action="/newsroom/search"' in html and "new_articles.atom" in html
    assert "_memory" not in html
    assert [name for name in client.datasette.databases if not name.startswith("_")] == ["newsroom"]
    assert "_memory" not in client.datasette.databases
    client.get("/_memory.json?sql=select+1", status=404)


def test_article_page_shows_credits_tags_history(client: Client, db_path: Path) -> None:
    html = client.get(f"/newsroom/articles/{article_id(db_path, 'partnerschaft')}").text
    assert "Mo 10. März 2025, 09:30 Uhr" in html
    assert "Festzelt vor dem Rathaus" in html and "Das Fest zum Jubiläum" in html
    assert 'href="/newsroom/credit?by=Erika%20Beispielfoto"' in html
    assert 'href="/newsroom/credit?agency=Stadt%20Dortmund"' in html
    assert 'href="/newsroom/tags?tag=Internationales"' in html
    assert "Fassung 1" in html and "Kita am Westpark eröffnet" in html  # teaser as captured
    changed = client.get(f"/newsroom/articles/{article_id(db_path, 'rat-tagt')}").text
    assert "Fassung 2" in changed and "geändert Überschrift (nur Leer-/Satzzeichen), Text" in changed
    assert client.get(f"/newsroom/articles/{article_id(db_path, 'rat-tagt')}.json").json()["rows"]


def test_version_page_word_diff_and_cite_block(client: Client, db_path: Path) -> None:
    with Archive(db_path) as archive:
        (version_id,) = archive.db.execute(
            "select id from article_versions where article_id = ? and version = 2", [article_id(db_path, "rat-tagt")]
        ).fetchone()
    html = client.get(f"/newsroom/article_versions/{version_id}").text
    assert 'tagt am <ins><span class="visually-hidden">[+ </span>Dienstagabend, nicht am <span' in html
    assert "nur Leer- oder Satzzeichen" in html
    assert "Zitieren" in html and f"/newsroom/article_versions/{version_id}" in html
    assert "2026-11-21T10:00:00+00:00 (UTC)" in html and "WARC" not in html  # no captures table yet


def test_district_from_teasers_is_stored_and_faceted(client: Client) -> None:
    rows = client.get("/newsroom/articles.json?district=H%C3%B6rde&_shape=objects").json()["rows"]
    assert [r["title"] for r in rows] == ["Kita am Westpark eröffnet"]
    facets = client.get("/newsroom/articles.json").json()["facet_results"]
    assert {"section", "topline", "district", "published_month"} <= set(facets)


def test_credits_pages(client: Client) -> None:
    credits = client.get("/newsroom/credits.json?_shape=objects").json()["rows"]
    mine = next(r for r in credits if r["photographer"] == "Erika Beispielfoto")
    assert (mine["images"], mine["first"], mine["last"]) == (1, "2025-03-10", "2025-03-10")
    images = client.get("/newsroom/credit.json?by=Erika+Beispielfoto&_shape=objects").json()["rows"]
    assert [(i["caption"], i["article"]) for i in images] == [
        ("Das Fest zum Jubiläum", "Jubiläum der Städtepartnerschaft")
    ]


def test_coverage_page(client: Client) -> None:
    runs = client.get("/newsroom/runs.json?_shape=objects").json()["rows"]
    assert [r["id"] for r in runs] == [2, 1] and runs[0]["hours_since_previous"] is not None


# -- feeds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/newsroom/new_articles.atom",
        "/newsroom/tag_feed.atom?tag=Internationales",
        "/newsroom/search_feed.atom?q=Rat",
        "/newsroom/article_history.atom?id=1",
        "/newsroom/search_feed.atom?q=nichtsdergleichen",
    ],
)
def test_feeds_parse(client: Client, path: str) -> None:
    feed = feedparser.parse(client.get(path).content)
    assert not feed.bozo, feed.bozo_exception
    for entry in feed.entries:
        assert entry.id.startswith(("https://", "tag:")), entry.id
        assert dt.datetime.fromisoformat(entry.updated).tzinfo is not None, entry.updated


def test_feeds_hold_the_right_entries(client: Client, db_path: Path) -> None:
    history = feedparser.parse(
        client.get(f"/newsroom/article_history.atom?id={article_id(db_path, 'rat-tagt')}").content
    )
    assert sorted(e.title for e in history.entries) == [
        "Fassung 1: Sitzung im Rathaus",
        "Fassung 2: Sitzung im Rathaus!",
    ]
    tagged = feedparser.parse(client.get("/newsroom/tag_feed.atom?tag=Parkpflege").content)
    assert [e.title for e in tagged.entries] == ["Neue Strategie für Parks"]
    dated = feedparser.parse(client.get("/newsroom/new_articles.atom").content)
    assert "2024-11-05T00:00:00+00:00" in [e.updated for e in dated.entries]  # a date-only article


# -- the search at scale (issue 11): the same results as the plain query, the chart capped ---------

# The search as first written (issue 7): every hit ranked and joined to articles, then one sort.
# SEARCH_SQL must return exactly this, page by page, only faster (search_facts, bounded tiers).
REFERENCE_SEARCH_SQL = """with word_hits as (
  select v.article_id as id, 0 as tier, version_words.rank as score
  from version_words join article_versions v on v.id = version_words.rowid
  join articles a on a.id = v.article_id and a.version_count = v.version
  where version_words match word_match(:q)
),
substring_hits as (
  select rowid as id, 1 as tier, rank as score from articles_fts
  where articles_fts match substring_match(:q) and rowid not in (select id from word_hits)
),
hits as (select * from word_hits union all select * from substring_hits)
select articles.id, hits.tier from hits join articles on articles.id = hits.id
where (:section = '' or articles.section = :section)
  and (:since = '' or articles.published_date >= :since)
  and (:until = '' or substr(articles.published_date, 1, length(:until)) <= :until)
  and (:tag = '' or articles.id in (select article_id from tags where tag = :tag))
  and (:district = '' or articles.district = :district)
order by hits.tier, hits.score, articles.published_at desc, articles.id"""


@pytest.mark.parametrize(
    "query", ["Rat", "Stadt", "Kita", "Strasse", "partnerschaft", "OB", '"Rat der Stadt"', "x -Rat"]
)
@pytest.mark.parametrize("filters", [{}, {"since": "2025"}, {"section": "news"}, {"until": "2025-06"}])
def test_search_returns_what_the_plain_query_returns(db_path: Path, query: str, filters: dict) -> None:
    from newsroom_scraper.search.sql import SEARCH_MONTHS_SQL, SEARCH_SQL

    with Archive(db_path) as archive:
        params = {
            "q": query,
            "sort": "",
            **{name: filters.get(name, "") for name in ("since", "until", "section", "tag", "district")},
        }
        expected = [tuple(row) for row in archive.db.execute(REFERENCE_SEARCH_SQL, params).fetchall()]
        for page in (1, 2):
            found = archive.db.execute(SEARCH_SQL, {**params, "page": page}).fetchall()
            start = (page - 1) * READER_PAGE_SIZE
            assert [(row[0], {"word": 0, "substring": 1}[row[6]]) for row in found] == expected[
                start : start + READER_PAGE_SIZE + 1
            ]
        months = archive.db.execute(SEARCH_MONTHS_SQL, params).fetchall()
        assert sum(hits for _, hits in months) == len(expected)


# A very common word: more hits of the query in the word index than search.sql.SEARCH_RANK_MAX_HITS (here
# :cap; counted before filters): the word tier ranks by bm25 only the hits whose title, topline or
# lead hold the words, then the other word hits newest first. More substring-only hits than the cap
# (after filters): the substring tier is newest first. The same hits as REFERENCE_SEARCH_SQL.
_FILTERS = """(:section = '' or articles.section = :section)
  and (:since = '' or articles.published_date >= :since)
  and (:until = '' or substr(articles.published_date, 1, length(:until)) <= :until)
  and (:tag = '' or articles.id in (select article_id from tags where tag = :tag))
  and (:district = '' or articles.district = :district)"""
REFERENCE_CAPPED_SEARCH_SQL = f"""with common as (
  select (select count(*) from version_words where version_words match word_match(:q)) > :cap as words
),
current as (
  select v.id as version_id, a.id from article_versions v join articles a on a.id = v.article_id
  and a.version_count = v.version
),
word_hits as (
  select current.id, 0 as tier, version_words.rank as score
  from version_words join current on current.version_id = version_words.rowid
  where version_words match (case when (select words from common) then lead_word_match(:q) else word_match(:q) end)
  union all
  select current.id, 1 as tier, 0 as score
  from version_words join current on current.version_id = version_words.rowid
  where (select words from common) and version_words match body_word_match(:q)
),
substring_hits as (
  select articles_fts.rowid as id, articles_fts.rank as score
  from articles_fts join articles on articles.id = articles_fts.rowid
  where articles_fts match substring_match(:q) and articles_fts.rowid not in (select id from word_hits)
    and {_FILTERS}
),
hits as (
  select * from word_hits
  union all
  select id, 2 as tier, case when (select count(*) from substring_hits) > :cap then 0 else score end
  from substring_hits
)
select articles.id, hits.tier from hits join articles on articles.id = hits.id
where {_FILTERS}
order by hits.tier, hits.score, articles.published_at desc, articles.id"""


@pytest.mark.parametrize("cap", [0, 1, 3])
@pytest.mark.parametrize(
    "query", ["Rat", "Stadt", "Kita", "Strasse", "partnerschaft", "OB", '"Rat der Stadt"', "x -Rat", "Stadt -Rat"]
)
@pytest.mark.parametrize("filters", [{}, {"since": "2025"}, {"section": "news"}])
def test_search_of_a_very_common_word_ranks_a_bounded_candidate_set(
    db_path: Path, cap: int, query: str, filters: dict
) -> None:
    from newsroom_scraper.search.sql import search_sql

    with Archive(db_path) as archive:
        params = {
            "q": query,
            "sort": "",
            **{name: filters.get(name, "") for name in ("since", "until", "section", "tag", "district")},
        }
        expected = archive.db.execute(REFERENCE_CAPPED_SEARCH_SQL, {**params, "cap": cap}).fetchall()
        plain = archive.db.execute(REFERENCE_SEARCH_SQL, params).fetchall()
        assert sorted(row[0] for row in expected) == sorted(row[0] for row in plain)  # the same hits
        for page in (1, 2):
            found = archive.db.execute(search_sql(cap), {**params, "page": page}).fetchall()
            start = (page - 1) * READER_PAGE_SIZE
            assert [(row[0], row[6]) for row in found] == [
                (id, "substring" if tier == 2 else "word")
                for id, tier in expected[start : start + READER_PAGE_SIZE + 1]
            ]


def test_common_word_hits_in_title_topline_or_lead_come_first_then_the_newest(db_path: Path) -> None:
    from newsroom_scraper.search.sql import search_sql
    from newsroom_scraper.search.words import stems

    params = {"q": "Stadt", "page": 1, "since": "", "until": "", "section": "", "tag": "", "district": "", "sort": ""}
    with Archive(db_path) as archive:
        plain = [row[0] for row in archive.db.execute(REFERENCE_SEARCH_SQL, params)]
        found = archive.db.execute(search_sql(1), params).fetchall()
        assert sorted(row[0] for row in found) == sorted(plain) and len(plain) > 2

        def in_lead(article_id: int) -> bool:
            row = archive.db.execute("select title, topline, lead from articles where id = ?", [article_id]).fetchone()
            return "stadt" in stems(" ".join(part or "" for part in row)).split()

        words = [row for row in found if row[6] == "word"]
        leading = [in_lead(row[0]) for row in words]
        assert leading == sorted(leading, reverse=True) and True in leading and False in leading
        rest = [row[1] for row in words if not in_lead(row[0])]
        assert len(rest) > 1 and rest == sorted(rest, reverse=True)  # newest first
        # under the cap, the order is bm25's over every hit, as before
        assert [row[0] for row in archive.db.execute(search_sql(1000), params)] == plain


def test_search_page_loads_its_chart_as_its_own_request_for_every_search(client: Client) -> None:
    """Issue 16 at 100,000 articles: the page shows its hits without counting every hit per month;
    the chart (search_months.svg) counts them all, however many (no "more than 5,000" any more)."""
    html = client.get("/newsroom/search?q=Rat&since=2024").text
    assert "<rect" not in html and "<mark>Rat</mark>" in html
    assert 'src="/newsroom/search_months.svg?q=Rat&amp;since=2024"' in html
    assert 'href="/newsroom/search_months?q=Rat&amp;since=2024"' in html
    response = client.get("/newsroom/search_months.svg?q=Rat&since=2024")
    assert response.headers["content-type"].startswith("image/svg+xml")
    chart = ElementTree.fromstring(response.text)  # well-formed XML
    months = client.get("/newsroom/search_months.json?q=Rat&since=2024&_shape=array").json()
    bars = chart.findall("{http://www.w3.org/2000/svg}rect")
    assert len(bars) >= len(months) > 0
    assert sum(int(bar.find("{http://www.w3.org/2000/svg}title").text.split(": ")[1]) for bar in bars) == sum(
        month["hits"] for month in months
    )
    assert "Keine Treffer" in client.get("/newsroom/search_months.svg?q=Zzzqx").text


def test_a_chart_whose_count_runs_out_of_time_says_so(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from datasette.database import QueryInterrupted

    async def interrupted(*args: object, **kwargs: object) -> None:
        raise QueryInterrupted(None, "select …", {})

    monkeypatch.setattr(client.datasette.get_database("newsroom"), "execute", interrupted)
    chart = client.get("/newsroom/search_months.svg?q=Rat").text
    assert "nicht gezählt" in chart and "<rect" not in chart


def test_table_search_computes_facets_only_when_asked(client: Client) -> None:
    plain = client.get("/newsroom/articles.json").json()
    assert {"section", "topline", "district", "published_month"} <= set(plain["facet_results"])
    searched = client.get("/newsroom/articles.json?_search=Rat").json()
    assert searched["facet_results"] == {} and searched["rows"] and searched["filtered_table_rows_count"]
    asked = client.get("/newsroom/articles.json?_search=Rat&_facet=district").json()
    assert {"section", "district"} <= set(asked["facet_results"]) and asked["rows"] == searched["rows"]
    assert "Rat" in client.get("/newsroom/articles?_search=Rat").text


def test_lead_columns_are_the_word_index_columns_of_title_topline_and_lead() -> None:
    from newsroom_scraper.search.words import LEAD_COLUMNS
    from newsroom_scraper.store import WORD_COLUMNS

    assert LEAD_COLUMNS == "{" + " ".join(WORD_COLUMNS[:3]) + "}" == "{title topline lead}"
