"""Answers a journalist can trust (issue 16, findings 1–5): one search everywhere, dates understood or
refused out loud, first mentions by publication date and paged, feeds newest first that name what they
follow, exports that hold every row once. Datasette's in-process client on two archives: the reader's
(conftest.reader_archive) and a bigger one of 130 articles made here (more than a page, more than
Datasette's max_returned_rows)."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import feedparser
import pytest

from newsroom_scraper.items import Article
from newsroom_scraper.search.sql import MAX_QUERY_CHARS, READER_PAGE_SIZE
from newsroom_scraper.search.words import excerpt
from newsroom_scraper.store import Archive

BASE = "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/"
ATOM = "{http://www.w3.org/2005/Atom}"
MANY = 130  # articles of the big archive, each holding "Sommerfest"

if TYPE_CHECKING:  # the one client of the reader's tests (tests/conftest.py)
    from conftest import ReaderClient as Client


@pytest.fixture(scope="module")
def client(reader_archive: Path, reader_client):
    return reader_client(reader_archive)


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MANY articles with "Sommerfest", one a day from 2024-01-01, every third tagged "Feste"."""
    path = tmp_path_factory.mktemp("answers") / "archive.db"
    with Archive(path) as archive:
        run = archive.start_run("http://127.0.0.1:1/newsroom/", {})
        for n in range(MANY):
            day = f"2024-{1 + n // 28:02d}-{1 + n % 28:02d}"
            item = Article(
                url=f"{BASE}fest-{n}.html",
                title=f"Sommerfest Nummer {n}",
                published_at=f"{day}T10:00:00+01:00",
                layout="dtm-2023",
                section="news",
                body_text=f"Das Sommerfest {n} im Park. Musik und Spiele.",
                body_html=f"<p>Das Sommerfest {n} im Park.</p>",
                tags=["Feste"] if n % 3 == 0 else [],
            )
            archive.save_article(
                item,
                run_id=run,
                fetched_url=item.url,
                fetched_at="2026-11-20T10:00:00+00:00",
                etag=None,
                last_modified=None,
            )
        archive.finish_run(run, "finished", {}, {"new": MANY}, {})
    return path


@pytest.fixture(scope="module")
def big(big_archive: Path, reader_client) -> Client:
    return reader_client(big_archive)


def hits(client: Client, query: str, extra: str = "") -> list[dict]:
    """Every hit of search.json (streamed: the whole answer)."""
    return client.get(f"/newsroom/search.json?q={quote(query)}{extra}&_stream=on").json()["rows"]


def ids(rows: list[dict]) -> list[int]:
    return [row["id"] for row in rows]


# -- 5: one search ------------------------------------------------------------------------------

QUERIES = [
    "Rat",
    "OB",
    "Räte",
    "Rat OR Kita",
    "Rat -Beratung",
    "Rat NOT Beratung",
    '"Rat der Stadt"',
    "Kita*",
    "partnerschaft",
    "(Rat OR Kita) -Montagabend",
    "Jubila\u0308um",  # NFD
    "Städte\u00adpartnerschaft",  # soft hyphen
    "Stadt",
]


@pytest.mark.parametrize("query", QUERIES)
def test_every_way_in_returns_the_same_ids(client: Client, reader_archive: Path, query: str) -> None:
    """The page, .json, .csv, ?_search=, the feed, first mentions and Archive.search() agree."""
    everything = ids(hits(client, query))
    assert everything, query
    paged = ids(client.get(f"/newsroom/search.json?q={quote(query)}&page=1").json()["rows"])
    html = client.get(f"/newsroom/search?q={quote(query)}").text
    on_page = [int(i) for i in re.findall(r'class="hit-title" href="/newsroom/articles/(\d+)"', html)]
    assert paged == on_page == everything[:READER_PAGE_SIZE]
    as_csv = [
        int(row["id"]) for row in csv.DictReader(io.StringIO(client.get(f"/newsroom/search.csv?q={quote(query)}").text))
    ]
    assert as_csv == everything
    table = client.get(f"/newsroom/articles.json?_search={quote(query)}&_shape=objects&_size=max").json()["rows"]
    assert sorted(ids(table)) == sorted(everything)
    feed = feedparser.parse(client.get(f"/newsroom/search_feed.atom?q={quote(query)}").content)
    from_feed = [int(link.href.rsplit("/", 1)[1]) for e in feed.entries for link in e.links if link.rel == "alternate"]
    assert sorted(from_feed) == sorted(everything)
    firsts = client.get(f"/newsroom/first_mentions.json?q={quote(query)}").json()["rows"]
    assert set(everything) <= set(ids(firsts))
    with Archive(reader_archive) as archive:
        assert ids(archive.search(query, limit=1000)) == everything


def test_measured_failures_of_the_old_dialects(client: Client, reader_archive: Path) -> None:
    with Archive(reader_archive) as archive:
        assert "OB besucht die EU-Kommission" in [r["title"] for r in archive.search("OB")]
        assert "Sitzung im Rathaus!" in [r["title"] for r in archive.search("Räte")]
    either = {r["title"] for r in hits(client, "Rat OR Kita")}
    assert {"Sitzung im Rathaus!", "Kita am Westpark eröffnet"} <= either
    assert hits(client, "Rat Kita") == []  # side by side: both
    for pasted in ("Jubila\u0308um", "Städte\u00adpartnerschaft", "Städte\u200bpartnerschaft"):
        assert "Jubiläum der Städtepartnerschaft" in [r["title"] for r in hits(client, pasted)], repr(pasted)
    assert {r["title"] for r in hits(client, "Rat NOT Beratung")} == {r["title"] for r in hits(client, "Rat -Beratung")}
    assert "Neue Strategie für Parks" not in {r["title"] for r in hits(client, "Rat NOT Beratung")}
    assert "Kita am Westpark eröffnet" in [r["title"] for r in hits(client, "Kit*")]


@pytest.mark.parametrize("query", ["(" * 5000 + "Rat", "-" * 3000 + "Rat", "NOT " * 3000 + "Rat", "(Rat OR " * 2000])
def test_deeply_nested_queries_are_no_error(client: Client, query: str) -> None:
    within = query[-MAX_QUERY_CHARS:]  # issue 17, 1: longer queries are refused in one line (400 or 414)
    client.get(f"/newsroom/search?q={quote(within)}")
    client.get(f"/newsroom/articles.json?_search={quote(within)}")
    for path in (f"/newsroom/search?q={quote(query)}", f"/newsroom/articles.json?_search={quote(query)}"):
        refused = asyncio.run(client.datasette.client.get(path))
        assert refused.status_code in (400, 414) and refused.text.count("\n") == 1


def test_phrase_excerpts_mark_the_phrase() -> None:
    text = "Die Kinder der Innenstadt fragen den Rat der Stadt."
    assert excerpt(text, '"Rat der Stadt"') == "Die Kinder der Innenstadt fragen den «Rat der Stadt»."


def test_phrase_excerpt_on_the_page(client: Client) -> None:
    (row,) = [r for r in hits(client, '"Rat der Stadt"') if r["title"] == "Sitzung im Rathaus!"]
    assert "«Rat der Stadt»" in row["excerpt"] and "«der»" not in row["excerpt"]


@pytest.mark.parametrize(
    ("extra", "title"),
    [
        ("&district=horde", "Kita am Westpark eröffnet"),
        ("&district=HÖRDE", "Kita am Westpark eröffnet"),
        ("&tag=parkpflege", "Neue Strategie für Parks"),
    ],
)
def test_district_and_tag_filters_ignore_case_and_accents(client: Client, extra: str, title: str) -> None:
    assert [r["title"] for r in hits(client, "Kita OR Strategie", extra)] == [title]


def test_filter_fields_suggest_what_the_archive_holds(client: Client) -> None:
    html = client.get("/newsroom/search?q=Kita").text
    assert '<datalist id="district-suggestions"><option value="Hörde">' in html
    assert '<option value="Parkpflege">' in html


def test_tag_feed_ignores_case(client: Client) -> None:
    feed = feedparser.parse(client.get("/newsroom/tag_feed.atom?tag=parkpflege").content)
    assert [e.title for e in feed.entries] == ["Neue Strategie für Parks"]


@pytest.mark.parametrize(("sort", "descending"), [("newest", True), ("oldest", False)])
def test_sort_by_date_both_directions(big: Client, sort: str, descending: bool) -> None:
    rows = hits(big, "Sommerfest", f"&sort={sort}")
    dates = [r["published_at"] for r in rows]
    assert len(rows) == MANY and dates == sorted(dates, reverse=descending)
    page = big.get(f"/newsroom/search?q=Sommerfest&sort={sort}").text
    assert f'<option value="{sort}" selected>' in page


# -- 2: dates understood or refused out loud ------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["2024", "2024-11", "2024-11-05", "5.11.2024", "05.11.2024", "November 2024", "11.2024"]
)
def test_dates_in_german_and_iso_forms(client: Client, typed: str) -> None:
    assert [r["title"] for r in hits(client, "Rat", f"&until={quote(typed)}")] == ["Sitzung im Rathaus!"]


def test_a_german_month_name(big: Client) -> None:
    rows = hits(big, "Sommerfest", f"&since={quote('März 2024')}&until={quote('März 2024')}")
    assert rows and all(r["published_at"].startswith("2024-03") for r in rows)


@pytest.mark.parametrize("field", ["since", "until"])
@pytest.mark.parametrize("typed", ["garbage", "2026-13", "31.02.2024", "01.11.26"])
def test_a_date_that_is_no_date_is_refused_out_loud(client: Client, field: str, typed: str) -> None:
    response = client.get(f"/newsroom/search.json?q=Rat&{field}={quote(typed)}&_stream=on")
    assert ids(response.json()["rows"]) == ids(hits(client, "Rat"))  # not applied
    (message,) = response.json()["messages"]
    assert message["field"] == field and typed in message["message"] and "kein Datum" in message["message"]
    html = client.get(f"/newsroom/search?q=Rat&{field}={quote(typed)}").text
    assert f'id="{field}-message"' in html and "kein Datum" in html and "Keine Treffer" not in html


def test_a_since_after_the_until_says_so(client: Client) -> None:
    response = client.get("/newsroom/search.json?q=Rat&since=01.11.2026&until=2025").json()
    assert "liegt nach" in response["messages"][0]["message"]
    assert "liegt nach" in client.get("/newsroom/search?q=Rat&since=01.11.2026&until=2025").text


def test_a_german_since_is_applied(client: Client) -> None:
    assert hits(client, "Rat", "&since=01.11.2026") == []  # every article is older
    assert hits(client, "Rat", "&since=01.11.2024")


# -- 1: first mentions ---------------------------------------------------------------------------


def test_first_mentions_find_what_the_search_finds(client: Client) -> None:
    rows = client.get("/newsroom/first_mentions.json?q=partnerschaft").json()["rows"]
    assert [r["title"] for r in rows] == ["Jubiläum der Städtepartnerschaft"]


def test_first_mentions_earliest_publication_first_and_paged(big: Client) -> None:
    first = big.get("/newsroom/first_mentions.json?q=Sommerfest&page=1").json()
    assert len(first["rows"]) == 50 and first["total"] == MANY and first["next"]
    dates = [r["published_at"] for r in first["rows"]]
    assert dates == sorted(dates) and dates[0].startswith("2024-01-01")
    whole = big.get("/newsroom/first_mentions.json?q=Sommerfest").json()["rows"]
    assert len(whole) == MANY and len(set(ids(whole))) == MANY
    html = big.get("/newsroom/first_mentions?q=Sommerfest&page=3").text
    assert '<html lang="de">' in html and "130 Artikel" in html and 'rel="prev"' in html and 'rel="next"' not in html
    assert html.count('href="/newsroom/articles/') == MANY - 100


def test_first_mentions_of_a_word_in_most_articles_are_walked_and_counted_apart(big: Client) -> None:
    """The page of a word in many articles finds its rows without counting every hit (at 100,000
    articles that count was most of the page's time): the page says the total is counted apart and
    loads it as its own request; its rows are those of the whole answer, page by page."""
    whole = big.get("/newsroom/first_mentions.json?q=Sommerfest").json()["rows"]
    for page in (1, 2):
        html = big.get(f"/newsroom/first_mentions?q=Sommerfest&page={page}").text
        assert "Die Gesamtzahl wird gesondert gezählt" in html and not re.search(r"\d Artikel", html)
        assert 'src="/newsroom/first_mentions_total?q=Sommerfest"' in html and 'rel="next"' in html
        shown = [int(n) for n in re.findall(r'href="/newsroom/articles/(\d+)"', html)]
        assert shown == ids(whole)[(page - 1) * 50 : page * 50]
    total = big.get("/newsroom/first_mentions_total?q=Sommerfest")
    assert total.status_code == 200 and '<html lang="de">' in total.text
    assert f"{MANY} Artikel insgesamt" in total.text
    filtered = big.get("/newsroom/first_mentions_total?q=Sommerfest&tag=feste").text
    assert f"{len(range(0, MANY, 3))} Artikel insgesamt" in filtered


def test_first_mentions_show_a_term_first_captured_in_a_later_version(client: Client) -> None:
    (row,) = client.get("/newsroom/first_mentions.json?q=Dienstagabend").json()["rows"]
    assert row["first_version"] == 2 and row["first_captured_at"].startswith("2026-11-21")
    assert "erst in <strong>Fassung 2</strong>" in client.get("/newsroom/first_mentions?q=Dienstagabend").text


# -- 3: feeds ------------------------------------------------------------------------------------


def test_search_feed_is_newest_first_and_names_the_query(big: Client) -> None:
    response = big.get("/newsroom/search_feed.atom?q=Sommerfest")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert "Sommerfest" in feed.feed.title and "Sommerfest" in feed.feed.id
    updated = [e.updated for e in feed.entries]
    assert updated == sorted(updated, reverse=True) and updated[0].startswith("2024-05-18")  # the newest match
    entry = feed.entries[0]
    links = {link.rel: link.href for link in entry.links}
    assert re.fullmatch(r"http://[^/]+/newsroom/articles/\d+", links["alternate"]) and links["via"] == entry.id
    assert entry.author


@pytest.mark.parametrize(
    "path",
    [
        "/newsroom/search_feed.atom?q=Rat",
        "/newsroom/tag_feed.atom?tag=Internationales",
        "/newsroom/new_articles.atom",
        "/newsroom/article_history.atom?id=1",
        "/newsroom/search_feed.atom?q=nichtsdergleichen",
    ],
)
def test_feeds_are_valid_atom(client: Client, path: str) -> None:
    """RFC 4287: atom:feed has id, title, updated, and an author unless every entry has one; each
    entry has id, title, updated and a link or content; served as application/atom+xml."""
    response = client.get(path)
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert not feedparser.parse(response.content).bozo
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    entries = root.findall(f"{ATOM}entry")
    assert root.find(f"{ATOM}author/{ATOM}name") is not None or all(
        e.find(f"{ATOM}author") is not None for e in entries
    )
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert entry.find(f"{ATOM}content") is not None or entry.find(f"{ATOM}link[@rel='alternate']") is not None


def test_tag_feed_names_the_tag(client: Client) -> None:
    feed = feedparser.parse(client.get("/newsroom/tag_feed.atom?tag=Internationales").content)
    assert "Internationales" in feed.feed.title and "Internationales" in feed.feed.id


# -- 4: complete exports -------------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["json", "csv"])
def test_search_exports_every_hit_once(big: Client, extension: str) -> None:
    response = big.get(f"/newsroom/search.{extension}?q=Sommerfest&_stream=on")
    found = response.json()["rows"] if extension == "json" else list(csv.DictReader(io.StringIO(response.text)))
    assert len(found) == MANY and len({str(r["id"]) for r in found}) == MANY


def test_search_pages_do_not_repeat_a_row(big: Client) -> None:
    seen: list[int] = []
    url = "/newsroom/search.json?q=Sommerfest"
    while url:
        page = big.get(url).json()
        assert len(page["rows"]) <= READER_PAGE_SIZE
        seen += ids(page["rows"])
        url = page["next"]
    assert len(seen) == len(set(seen)) == MANY


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/newsroom/articles.csv?_stream=on", MANY),
        ("/newsroom/articles.csv?_stream=on&published_month=2024-01", 28),
        ("/newsroom/tags.csv?_stream=on&tag=Feste", 44),
    ],
)
def test_tables_and_facet_filters_export_every_row(big: Client, path: str, expected: int) -> None:
    rows = list(csv.DictReader(io.StringIO(big.get(path).text)))
    assert len(rows) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/newsroom/articles.json?_stream=on", MANY), ("/newsroom/articles.json?_stream=on&published_month=2024-01", 28)],
)
def test_table_json_streams_every_row_once(big: Client, path: str, expected: int) -> None:
    rows = big.get(path).json()
    assert len(rows) == expected and len({row["id"] for row in rows}) == expected


def test_arbitrary_sql_says_it_was_truncated(big: Client) -> None:
    sql = quote("select id from articles")
    page = big.get(f"/newsroom?sql={sql}").text
    assert "truncated at 100 rows" in page.replace("abgeschnitten", "truncated")
    body = big.get(f"/newsroom.csv?sql={sql}").text
    assert body.rstrip().splitlines()[-1].startswith("# truncated at 100 rows")
    assert big.get(f"/newsroom.json?sql={sql}").json()["truncated"] is True


def test_a_feed_says_it_holds_the_newest_entries_only(client: Client) -> None:
    import xml.etree.ElementTree as ET

    feed = ET.fromstring(client.get("/newsroom/search_feed.atom?q=Rat").content)
    entries = feed.findall(f"{ATOM}entry")
    assert entries and feed.findtext(f"{ATOM}subtitle") == (
        f"Die {len(entries)} neuesten Artikel nach Veröffentlichung; alle im Archiv."
    )
