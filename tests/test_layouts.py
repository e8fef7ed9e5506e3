"""The layout registry: discovery of layout modules, dated versions, the generic fallback."""

from __future__ import annotations

import json
from datetime import date

import pytest

from newsroom_replica.markup import render_article
from newsroom_replica.samples import sample_pages
from newsroom_scraper import parse_article
from newsroom_scraper.errors import LayoutError
from newsroom_scraper.layouts import LAYOUTS, _registry, choose_layout
from newsroom_scraper.layouts.dtm import DtmLayout
from newsroom_scraper.page import Page


def test_registry_knows_dtm_and_generic_in_priority_order():
    assert list(LAYOUTS) == ["dtm", "generic"]


def test_dated_versions_pick_the_parser_of_their_time():
    class DtmBefore2024(DtmLayout):
        version = "dtm-test-old"
        valid_until = date(2023, 12, 31)

    try:
        families = _registry()
        assert [v.version for v in families["dtm"]] == ["dtm-test-old", "dtm-2023"]
        import newsroom_scraper.layouts as layouts

        saved = layouts.LAYOUTS
        layouts.LAYOUTS = families
        try:
            pages = sample_pages()
            old = Page(render_article(pages["single-part-credit-and-press-alias"]), "")  # 2023-12-31
            new = Page(render_article(pages["winter-press-no-topline"]), "")  # 2024-01-15
            assert choose_layout(old).version == "dtm-test-old"
            assert choose_layout(new).version == "dtm-2023"
        finally:
            layouts.LAYOUTS = saved
    finally:
        DtmBefore2024.version = ""  # unregister (the registry skips classes without a version)


def test_two_versions_with_the_same_date_is_an_error():
    class Twin(DtmLayout):
        version = "dtm-twin"

    try:
        with pytest.raises(LayoutError, match="valid_until"):
            _registry()
    finally:
        Twin.version = ""


def test_generic_fallback_parses_an_unknown_layout():
    body = (
        "<p>" + "Ein Absatz mit genug Text, um als Artikeltext zu gelten. " * 3 + "</p>"
        "<h2>Was sich ändert</h2><p>" + "Ein zweiter Absatz erklärt die Änderungen im Einzelnen. " * 3 + "</p>"
        "<ul><li>Erster Punkt der Liste</li><li>Zweiter Punkt der Liste</li></ul>"
    )
    ld = {
        "@type": "NewsArticle",
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
