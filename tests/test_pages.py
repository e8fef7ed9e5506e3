"""The reader's pages beyond search (issue 16: 6, 7, 9, 10): what changed, compare, version text,
credits and coverage, the article's teasers and images, and the accessibility of every page.

Datasette's in-process client over a copy of the reader's archive with a third run: a real change
and a punctuation-only change, and the partnership article captured again with its teasers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import feedparser
import pytest

from newsroom_scraper.items import Article, RelatedLink
from newsroom_scraper.reader.web import make_datasette
from newsroom_scraper.store import Archive

BASE = "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/"
ELSEWHERE = "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/nicht-archiviert.html"


def save(archive: Archive, item, run: int, at: str) -> None:
    archive.save_article(item, run_id=run, fetched_url=item.url, fetched_at=at, etag=None, last_modified=None)


def current_article(archive: Archive, slug: str) -> Article:
    """The stored current version of an article, as the parser made it."""
    (data,) = archive.db.execute(
        "select v.data from article_versions v join articles a on a.id = v.article_id"
        " where a.url = ? and v.version = a.version_count",
        [BASE + slug + ".html"],
    ).fetchone()
    return Article.from_dict(json.loads(data))


@pytest.fixture(scope="module")
def db_path(reader_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pages") / "archive.db"
    shutil.copy(reader_archive, path)
    with Archive(path) as archive:
        items = {slug: current_article(archive, slug) for slug in ("rat-tagt", "strategie", "partnerschaft")}
        run = archive.start_run("http://127.0.0.1:1/newsroom/", {})
        at = "2026-11-22T10:00:00+00:00"
        save(archive, dataclasses.replace(items["rat-tagt"], title="Sitzung im Rathaus verlegt"), run, at)
        save(archive, dataclasses.replace(items["strategie"], title="Neue Strategie für Parks."), run, at)
        teasers = [
            RelatedLink(url=BASE + "kita-eroeffnet.html", title="Kita am Westpark eröffnet", district="Hörde"),
            RelatedLink(url=ELSEWHERE, title="Nicht im Archiv"),
            RelatedLink(url=BASE + "kita-eroeffnet.html", title="Kita am Westpark eröffnet", district="Hörde"),
        ]
        save(archive, dataclasses.replace(items["partnerschaft"], related=teasers), run, at)
        archive.finish_run(run, "finished", {}, {"changed": 2}, {})
        # The three runs on 20, 21 and 23 November: the 22nd is a day without a run.
        for run_id, day in ((1, "2026-11-20"), (2, "2026-11-21"), (3, "2026-11-23")):
            archive.db.execute(
                "update crawl_runs set started_at = ?, finished_at = ? where id = ?",
                [day + "T10:00:00+00:00", day + "T10:05:00+00:00", run_id],
            )
        archive.db.conn.commit()
    return path


@pytest.fixture(scope="module")
def get(db_path: Path):
    datasette = make_datasette(db_path)

    def fetch(path: str, status: int = 200):
        response = asyncio.run(datasette.client.get(path))
        assert response.status_code == status, (path, response.text[:800])
        return response

    return fetch


def ids(db_path: Path, slug: str) -> dict[int, int]:
    """An article's version ids by version number."""
    with Archive(db_path) as archive:
        rows = archive.db.execute(
            "select v.version, v.id from article_versions v join articles a on a.id = v.article_id where a.url = ?",
            [BASE + slug + ".html"],
        ).fetchall()
    return dict(rows)


def main_of(html: str) -> str:
    found = re.search(r"<main\b.*?</main>", html, re.S)
    assert found, "no <main>"
    return found.group(0)


# -- 6: what changed ----------------------------------------------------------------------


def test_changes_page_lists_changed_versions_newest_first_with_their_fields(get) -> None:
    rows = get("/newsroom/changes.json?_shape=objects").json()["rows"]
    assert [(r["title"], r["version"]) for r in rows] == [("Sitzung im Rathaus verlegt", 3), ("Sitzung im Rathaus!", 2)]
    assert rows[0]["fields"] == "Überschrift" and rows[1]["fields"] == "Überschrift (nur Leer-/Satzzeichen), Text"
    html = get("/newsroom/changes").text
    assert "<h1>Änderungen</h1>" in html and 'href="/newsroom/compare?from=' in html
    assert '<html lang="de">' in html and "select " not in html.lower()


def test_trivial_changes_are_hidden_by_default_and_shown_on_request(get) -> None:
    hidden = [r["title"] for r in get("/newsroom/changes.json?_shape=objects").json()["rows"]]
    shown = [r["title"] for r in get("/newsroom/changes.json?trivial=1&_shape=objects").json()["rows"]]
    assert "Neue Strategie für Parks." not in hidden and "Neue Strategie für Parks." in shown
    assert 'href="?trivial=1"' in get("/newsroom/changes").text


def test_changes_feed_names_each_change_and_links_the_comparison(get) -> None:
    feed = feedparser.parse(get("/newsroom/changes.atom").content)
    assert not feed.bozo and feed.feed.title == "Newsroom-Archiv: Änderungen"
    assert [e.title for e in feed.entries] == ["Geändert: Sitzung im Rathaus verlegt", "Geändert: Sitzung im Rathaus!"]
    assert "/newsroom/compare?from=" in feed.entries[0].link


def test_home_page_links_its_changed_count_to_the_changes_page(get) -> None:
    html = get("/").text
    assert re.search(r'<a href="/newsroom/changes">\d+ geändert</a>', html)
    assert 'href="/newsroom/changes.atom"' in html


def test_version_page_shows_its_own_text_and_previous_and_next_links(get, db_path: Path) -> None:
    versions = ids(db_path, "rat-tagt")
    html = main_of(get(f"/newsroom/article_versions/{versions[2]}").text)
    assert f'rel="prev" href="/newsroom/article_versions/{versions[1]}"' in html
    assert f'rel="next" href="/newsroom/article_versions/{versions[3]}"' in html
    assert "Text dieser Fassung" in html and "<h3>Sitzung im Rathaus!</h3>" in html
    last = main_of(get(f"/newsroom/article_versions/{versions[3]}").text)
    assert 'rel="next"' not in last and 'action="/newsroom/compare"' in last


def test_any_two_versions_compare_and_versions_of_two_articles_do_not(get, db_path: Path) -> None:
    versions = ids(db_path, "rat-tagt")
    html = main_of(get(f"/newsroom/compare?from={versions[1]}&to={versions[3]}").text)
    assert "Fassung 1 und 3" in html
    assert 'Sitzung im Rathaus<ins><span class="visually-hidden">[+ </span> verlegt' in html
    assert "Montagabend" in html and "Dienstagabend" in html  # the body's change of version 2 is in it
    other = ids(db_path, "strategie")[1]
    refused = main_of(get(f"/newsroom/compare?from={versions[1]}&to={other}").text)
    assert "zwei Fassungen desselben Artikels" in refused


def test_diffs_are_readable_without_colour(get, db_path: Path) -> None:
    html = main_of(get(f"/newsroom/article_versions/{ids(db_path, 'rat-tagt')[2]}").text)
    assert (
        '<ins><span class="visually-hidden">[+ </span>Dienstagabend, nicht am <span class="visually-hidden"> +]</span></ins>'
        in html
    )
    assert "unterstrichen</ins> = hinzugefügt" in html
    css = get("/").text
    assert "ins { background: #dcfce7; text-decoration: underline; }" in css


# -- 9: the article page ------------------------------------------------------------------


def article_page(get, db_path: Path, slug: str) -> str:
    with Archive(db_path) as archive:
        row = archive.get_article(BASE + slug + ".html")
    assert row is not None
    return main_of(get(f"/newsroom/articles/{row['id']}").text)


def test_teasers_are_distinct_and_link_to_the_archived_copy(get, db_path: Path) -> None:
    html = article_page(get, db_path, "partnerschaft")
    teasers = re.search(r'<ul class="related">(.*?)</ul>', html, re.S)
    assert teasers, "no teaser list"
    items = re.findall(r"<li>(.*?)</li>", teasers.group(1), re.S)
    assert len(items) == 2  # three teasers over two days, two distinct
    with Archive(db_path) as archive:
        kita = archive.get_article(BASE + "kita-eroeffnet.html")
    assert kita is not None
    assert f'<a href="/newsroom/articles/{kita["id"]}">Kita am Westpark eröffnet</a>' in items[0]
    assert f'href="{ELSEWHERE}"' in items[1] and "nur auf dortmund.de" in items[1]
    assert "<details" not in html  # Datasette's menu script closed every open <details> on any click


def test_images_show_a_placeholder_with_alt_caption_and_credit(get, db_path: Path) -> None:
    html = article_page(get, db_path, "partnerschaft")
    figure = re.search(r'<figure class="image">(.*?)</figure>', html, re.S)
    assert figure, "no figure"
    text = " ".join(re.sub(r"<[^>]+>", " ", figure.group(1)).split())
    assert "Bild 1 – nicht im Archiv: Festzelt vor dem Rathaus" in text
    assert "Das Fest zum Jubiläum" in text and "Bild: Stadt Dortmund / Erika Beispielfoto" in text
    assert 'class="image-placeholder"' in figure.group(1)


# -- 7: credits and coverage --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "title", "heading"),
    [
        ("/newsroom/credits", "Bildnachweise – Newsroom-Archiv", "Bildnachweise"),
        (
            "/newsroom/credit?by=Erika+Beispielfoto",
            "Bilder von Erika Beispielfoto – Newsroom-Archiv",
            "Bilder von Erika Beispielfoto",
        ),
        (
            "/newsroom/credit?agency=Stadt+Dortmund",
            "Bilder der Agentur Stadt Dortmund – Newsroom-Archiv",
            "Bilder der Agentur Stadt Dortmund",
        ),
        ("/newsroom/coverage", "Abdeckung – Newsroom-Archiv", "Abdeckung: Artikel und Abrufe je Tag"),
    ],
)
def test_credits_and_coverage_are_german_pages_named_after_their_subject(get, path, title, heading) -> None:
    html = get(path).text
    assert '<html lang="de">' in html and f"<title>{title}</title>" in html and f"<h1>{heading}</h1>" in html
    assert "select " not in html.lower() and "Custom SQL" not in html and "Run SQL" not in html


def test_credit_page_links_article_titles_to_the_archive(get, db_path: Path) -> None:
    with Archive(db_path) as archive:
        row = archive.get_article(BASE + "partnerschaft.html")
    assert row is not None
    html = main_of(get("/newsroom/credit?by=Erika+Beispielfoto").text)
    assert (
        f'<a class="article-title" href="/newsroom/articles/{row["id"]}">Jubiläum der Städtepartnerschaft</a>' in html
    )
    assert "images.csv?credit_by=Erika%20Beispielfoto&amp;_stream=on" in html
    credits = main_of(get("/newsroom/credits").text)
    assert 'href="/newsroom/credit?by=Erika%20Beispielfoto">Erika Beispielfoto</a>' in credits


def test_coverage_shows_articles_per_day_and_days_without_a_run(get, db_path: Path) -> None:
    days = {r["day"]: r for r in get("/newsroom/coverage.json?_shape=objects&page=1").json()["rows"]}
    assert days["2026-11-22"]["missed"] == 1 and days["2026-11-22"]["runs"] == 0
    assert days["2026-11-21"]["missed"] == 0 and days["2026-11-21"]["runs"] == 1
    html = main_of(get("/newsroom/coverage").text)
    assert "kein Abruf" in html and 'rel="next" href="?page=2"' in html
    page = (dt.datetime.now(dt.UTC).date() - dt.date(2025, 3, 10)).days // 60 + 1  # the page that shows 10 March 2025
    older = {r["day"]: r for r in get(f"/newsroom/coverage.json?_shape=objects&page={page}").json()["rows"]}
    with Archive(db_path) as archive:
        (expected,) = archive.db.execute("select count(*) from articles where published_date = '2025-03-10'").fetchone()
    assert expected > 1 and older["2025-03-10"]["published"] == expected


# -- 10: every page German, with a main landmark and a skip link ---------------------------


@pytest.mark.parametrize("path", ["/newsroom", "/newsroom/articles", "/newsroom/crawl_runs", "/newsroom/runs"])
def test_datasettes_own_pages_are_german_with_main_and_a_skip_link(get, path: str) -> None:
    html = get(path).text
    assert '<html lang="de">' in html and '<main id="inhalt">' in html
    assert '<a class="skip-link" href="#inhalt">Zum Inhalt springen</a>' in html


def test_the_article_history_links_each_version_to_its_comparison(get, db_path: Path) -> None:
    versions = ids(db_path, "rat-tagt")
    html = article_page(get, db_path, "rat-tagt")
    for number in (2, 3):
        assert f'href="/newsroom/compare?from={versions[number - 1]}&amp;to={versions[number]}"' in html


def test_every_change_is_classified_when_the_server_starts(db_path: Path) -> None:
    datasette = make_datasette(db_path)

    async def start() -> int:
        await datasette.invoke_startup()
        return int(await datasette._newsroom_warm_changes)  # the background task the start-up began

    assert asyncio.run(start()) == 3  # rat-tagt 1→2 and 2→3, strategie's punctuation change
