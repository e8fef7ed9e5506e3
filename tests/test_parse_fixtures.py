"""Every named sample parses to exactly its stored record (tests/snapshots/, Fundus-style).

The snapshots are the oracle: ``python -m newsroom_replica.snapshots`` writes them from the
renderer and the parser after a deliberate change (``--check`` says whether one is due), and a
change of the parser's output is then a reviewed diff of the JSON files.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, time
from pathlib import Path

import pytest

from newsroom_replica.markup import render_article
from newsroom_replica.samples import sample_pages
from newsroom_replica.snapshots import fetched_url
from newsroom_scraper import parse_article

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "dtm-2023"
SAMPLES = sample_pages()


def stored(name: str) -> tuple[bytes, dict]:
    """A sample's stored page and its stored record."""
    return (SNAPSHOTS / f"{name}.html").read_bytes(), json.loads((SNAPSHOTS / f"{name}.json").read_text("utf-8"))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_parses_exactly_to_its_snapshot(name):
    html, record = stored(name)
    article = parse_article(html, fetched_url(name))
    assert article.to_dict() == record
    assert list(article.to_dict()) == list(record)  # the stored file keeps the fields' order


def test_every_sample_has_an_up_to_date_page_snapshot():
    """A sample changed in samples.py (or a renderer change) without `python -m newsroom_replica.snapshots` fails here."""
    names = {path.stem for path in SNAPSHOTS.iterdir()}
    assert names == set(SAMPLES)
    for name, page in SAMPLES.items():
        assert stored(name)[0] == render_article(page).encode("utf-8"), name


def test_samples_cover_the_variations():
    pages = SAMPLES.values()
    shapes = {b.picture.credit.shape for p in pages for b in p.blocks if b.picture and b.picture.credit}
    assert shapes >= {"plain", "span", "text-span", "link-span"}
    assert any(p.topline is None for p in pages) and any(p.at is None for p in pages)
    assert {p.section for p in pages} == {"news", "press"}
    assert any(not p.tags for p in pages) and any(len(p.tags) > 1 for p in pages)
    assert any(t.picture is None and t.text for p in pages for t in p.related)
    assert any(t.district for p in pages for t in p.related)


def test_winter_and_summer_offsets():
    base = SAMPLES["winter-press-no-topline"]
    for day, offset in (
        (date(2025, 1, 15), "+01:00"),
        (date(2025, 7, 15), "+02:00"),
        (date(2025, 3, 30), "+02:00"),
        (date(2025, 10, 26), "+01:00"),
    ):
        page = replace(base, day=day, at=time(12, 0))
        assert parse_article(render_article(page), "").published_at == f"{day.isoformat()}T12:00:00{offset}"


def test_images_keep_order_caption_and_credit_once():
    article = parse_article(render_article(SAMPLES["full-summer-news"]), "")
    assert [image.credit for image in article.images] == [
        "Stadt Dortmund / Erika Beispiel",
        "Jonas Muster",
        "Stadt Dortmund / Mira Probe",
        "Adobe Stock / Lichtbildnerei",
    ]
    assert article.images[0].caption == "Der Lesesaal wird zum Lernort."
    assert article.images[1].caption is None
    assert (article.images[3].credit_by, article.images[3].credit_agency) == ("Lichtbildnerei", "Adobe Stock")


def test_other_declared_charset_parses():
    page = SAMPLES["quotes-and-non-ascii-slug"]
    html = render_article(page).replace("charset=UTF-8", "charset=windows-1252")
    article = parse_article(html.encode("windows-1252"), "")
    assert article.title == page.title
    assert article.lead == page.lead
    assert article.to_dict() == stored("quotes-and-non-ascii-slug")[1]


def test_utf16_with_bom_parses():
    page = SAMPLES["date-only-no-tags"]
    article = parse_article(render_article(page).encode("utf-16"), "")
    assert article.to_dict() == stored("date-only-no-tags")[1]


def test_url_falls_back_to_the_given_url_without_canonical():
    page = SAMPLES["date-only-no-tags"]
    html = render_article(page)
    html = "\n".join(line for line in html.split("\n") if 'rel="canonical"' not in line)
    article = parse_article(html, "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/x y.html#frag")
    assert article.url == "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/x%20y.html"


def test_body_html_escapes_markup_and_drops_scripts():
    page = SAMPLES["quotes-and-non-ascii-slug"]
    html = render_article(page).replace(
        "<p>Die Jury", '<p><script>alert(1)</script><a href="javascript:alert(2)" onclick="x()">Klick</a> Die Jury'
    )
    article = parse_article(html, "")
    assert "<script" not in article.body_html and "javascript:" not in article.body_html
    assert "onclick" not in article.body_html
    assert "&lt;für&gt;" in article.body_html and "&amp;" in article.body_html
    assert article.body_text.startswith("Klick Die Jury vergibt drei Preise & eine Anerkennung <für> Engagement.")


def test_time_only_in_the_datetime_attribute():
    page = SAMPLES["winter-press-no-topline"]
    html = render_article(page).replace("<div><strong>08:05 Uhr</strong></div>", "")
    assert 'datetime="08:05"' in html
    assert parse_article(html, "").published_at == "2024-01-15T08:05:00+01:00"


def test_snapshot_command_writes_reports_and_checks(tmp_path, capsys):
    from newsroom_replica import snapshots

    assert snapshots.main(["--check"]) == 0  # the stored snapshots are what the command would write
    assert snapshots.main(["--check", "--dir", str(tmp_path)]) == 1 and not list(tmp_path.iterdir())
    assert snapshots.main(["--dir", str(tmp_path)]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(path.name for path in SNAPSHOTS.iterdir())
    (tmp_path / "full-summer-news.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "gone.html").write_text("", encoding="utf-8")
    capsys.readouterr()
    assert snapshots.main(["--check", "--dir", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"differs: {tmp_path / 'full-summer-news.json'}",
        f"no sample: {tmp_path / 'gone.html'}",
    ]
    assert snapshots.main(["--dir", str(tmp_path)]) == 0 and not (tmp_path / "gone.html").exists()
    assert snapshots.main(["--check", "--dir", str(tmp_path)]) == 0
