"""The layout registry (explicit, in order), dated versions, the generic fallback."""

from __future__ import annotations

import json
from datetime import date

import pytest
from lxml.etree import XPath

from newsroom_replica.markup import render_article
from newsroom_replica.samples import sample_pages
from newsroom_scraper import parse_article
from newsroom_scraper.errors import LayoutError
from newsroom_scraper.parser.layouts import (
    FAMILIES,
    DtmLayout,
    GenericLayout,
    LayoutFamily,
    capture_date,
    choose_layout,
)
from newsroom_scraper.parser.page import Page


def test_registry_is_explicit_and_in_order():
    assert [family.name for family in FAMILIES] == ["dtm", "generic"]
    assert [v.version for v in DtmLayout.versions()] == ["dtm-2023"]


def test_a_subclass_defined_elsewhere_does_not_register_itself():
    class Experiment(DtmLayout.V2023):
        version = "dtm-experiment"

    assert Experiment not in DtmLayout.versions()
    page = Page(render_article(sample_pages()["full-summer-news"]), "")
    assert choose_layout(page).version == "dtm-2023"


# A synthetic redesign: from 2026-02-01 the topline moves into <p class="kicker">.
class RedesignedDtm(LayoutFamily):
    name = "dtm-redesigned"

    class V2023(DtmLayout.V2023):
        valid_until = date(2026, 1, 31)

    class V2026(DtmLayout.V2023):
        version = "dtm-2026"
        TOPLINE = XPath("descendant::p[@class='kicker'][1]")


def redesigned(html: str) -> str:
    return html.replace('<p class="heading__topline" >', '<p class="kicker">')


def test_layout_version_is_chosen_by_capture_date_not_publication_date():
    page_2024 = sample_pages()["date-only-no-tags"]  # published 2024-05-14, topline "Bürgerdienste"
    old_markup = render_article(page_2024)
    new_markup = redesigned(old_markup)
    families = (RedesignedDtm, GenericLayout)
    # captured after the redesign, served in the new markup: the new parser, the topline found
    chosen = choose_layout(Page(new_markup, ""), capture_date("2026-03-01T08:00:00+00:00"), families)
    assert chosen is RedesignedDtm.V2026
    assert chosen(Page(new_markup, "")).parse().topline == "Bürgerdienste"
    # the same 2024 article captured in 2025, in the old markup: the old parser
    assert choose_layout(Page(old_markup, ""), date(2025, 6, 1), families) is RedesignedDtm.V2023
    # the boundary day belongs to the older version
    assert RedesignedDtm.version_for(date(2026, 1, 31)) is RedesignedDtm.V2023
    assert RedesignedDtm.version_for(date(2026, 2, 1)) is RedesignedDtm.V2026
    assert RedesignedDtm.version_for(None) is RedesignedDtm.V2026


def test_parse_article_passes_the_capture_date(monkeypatch):
    import newsroom_scraper.parser.layouts as layouts

    monkeypatch.setattr(layouts, "FAMILIES", (RedesignedDtm, GenericLayout))
    html = redesigned(render_article(sample_pages()["date-only-no-tags"]))
    assert parse_article(html, "", fetched_at="2026-02-01T00:30:00+00:00").layout == "dtm-2026"
    assert parse_article(html, "", fetched_at=date(2026, 1, 31)).layout == "dtm-2023"
    assert parse_article(html, "").layout == "dtm-2026"  # no capture date: the newest


def test_valid_until_is_not_inherited():
    class Family(LayoutFamily):
        class Old(DtmLayout.V2023):
            valid_until = date(2025, 1, 1)

        class New(Old):  # a newer version built on the older one
            version = "new"

    assert Family.New.valid_until == date(2025, 1, 1)  # Python inherits it...
    assert Family.New.own_valid_until() is None  # ...the registry does not
    assert Family.version_for(date(2030, 1, 1)) is Family.New


@pytest.mark.parametrize(
    "dates, message",
    [
        ((None, None), "give it valid_until"),
        ((date(2025, 1, 1), date(2025, 1, 1), None), "oldest first"),
        ((date(2025, 1, 1), date(2024, 1, 1), None), "oldest first"),
        ((date(2025, 1, 1),), "newest version"),
    ],
)
def test_inconsistent_families_are_an_error(dates, message):
    versions = {f"V{n}": type(f"V{n}", (DtmLayout.V2023,), {"valid_until": day}) for n, day in enumerate(dates)}
    for version in versions.values():
        if version.valid_until is None:
            del version.valid_until
    family = type("Broken", (LayoutFamily,), versions)
    with pytest.raises(LayoutError, match=message):
        family.versions()


def test_generic_fallback_parses_an_unknown_layout():
    body = (
        "<p>" + "Ein Absatz mit genug Text, um als Artikeltext zu gelten. " * 3 + "</p>"
        "<h2>Was sich ändert</h2><p>" + "Ein zweiter Absatz erklärt die Änderungen im Einzelnen. " * 3 + "</p>"
        "<ul><li>Erster Punkt der Liste</li><li>Zweiter Punkt der Liste</li></ul>"
    )
    ld = {
        "@type": "NewsArticle",
        "keywords": "Verkehr, Umwelt,Verkehr",
        "headline": "Ein Artikel woanders",
        "datePublished": "2022-03-04T10:00:00+01:00",
        "image": {"url": "/bild.jpg"},
    }
    html = (
        f'<html><head><link rel="canonical" href="https://example.org/a.html">'
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head>'
        f"<body><nav><p>{'Menü ' * 20}</p></nav><article><h1>Ein Artikel woanders</h1>{body}</article></body></html>"
    )
    article = parse_article(html, "https://example.org/x")
    assert article.layout == "generic"
    assert article.url == "https://example.org/a.html"
    assert article.title == "Ein Artikel woanders"
    assert article.published_at == "2022-03-04T10:00:00+01:00"
    assert article.body_text.startswith("Ein Absatz mit genug Text") and "Menü" not in article.body_text
    assert "\n\nWas sich ändert\n\nEin zweiter Absatz" in article.body_text
    assert article.body_text.endswith("- Erster Punkt der Liste\n- Zweiter Punkt der Liste")
    assert "<h2>Was sich ändert</h2>" in article.body_html and "<li>Zweiter Punkt der Liste</li>" in article.body_html
    assert article.images[0].src == "https://example.org/bild.jpg"
    assert article.tags == ["Verkehr", "Umwelt"]
    assert (article.videos, article.links, article.related) == ([], [], [])


def test_generic_article_body_is_escaped():
    ld = {
        "@type": "Article",
        "headline": "Titel",
        "datePublished": "2021-05-06",
        "articleBody": "Erster Absatz <img src=x onerror=alert(1)>\nZweiter & letzter Absatz",
    }
    html = f'<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head><body></body></html>'
    article = parse_article(html, "https://example.org/a")
    assert article.published_at == "2021-05-06"
    assert article.body_text == "Erster Absatz <img src=x onerror=alert(1)>\n\nZweiter & letzter Absatz"
    assert (
        article.body_html
        == "<p>Erster Absatz &lt;img src=x onerror=alert(1)&gt;</p>\n<p>Zweiter &amp; letzter Absatz</p>"
    )


def test_the_generic_fallback_never_reads_teaser_sliders_as_article_text():
    """Issue 18, 1: a relaunched page read by the fallback held the "Weitere Nachrichten" slider in
    its text, which changes every day: a new version every night. Teaser blocks are never text."""
    from newsroom_replica.markup import relaunched

    page = next(page for page in sample_pages().values() if page.related and any(t.text for t in page.related))
    article = parse_article(relaunched(render_article(page)), "https://www.dortmund.de" + page.path)
    assert article.layout == "generic" and article.body_text
    assert "Weitere Nachrichten" not in article.body_text
    for teaser in page.related:
        assert teaser.title not in article.body_text
        assert not teaser.text or teaser.text not in article.body_text
    aside = "<aside><h2>Mehr zum Thema</h2><p>Ein anderer Artikel, jeden Tag ein anderer.</p></aside>"
    html = relaunched(render_article(page)).replace("</main>", aside + "</main>")
    assert "jeden Tag ein anderer" not in parse_article(html, "https://www.dortmund.de" + page.path).body_text
