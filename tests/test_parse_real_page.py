"""Every field of the real page in ../shared/real-pages, asserted exactly — without its text.

The page's article text belongs to the city, not to this repository: each field is pinned by a
fingerprint (SHA-256 of its JSON) of the value that was checked against the page by eye when the
parser was written, and the structure (counts, dates, the time zone, what is left out) is asserted
in the open. A failing field prints its value as parsed now (from ../shared, never stored here).
"""

from __future__ import annotations

import hashlib
import json

import pytest

from newsroom_scraper import parse_article

# sha256(json.dumps(value, ensure_ascii=False, sort_keys=True))[:16] of every field
FINGERPRINTS = {
    "url": "a2d3328f184a78da",
    "title": "c4027d7c185c3b4a",
    "published_at": "f9bdbaf69ef8a349",
    "layout": "8e8b1e3cebe4297b",
    "page_id": "004d3115284355a0",
    "section": "8ff97a4f9c08a83e",
    "description": "95d731710fd58665",
    "og_image": "1925b3a1ecef2c5d",
    "topline": "9878eaf0aad025c4",
    "lead": "1fac84c786baa600",
    "body_text": "9510c3c29a6eb0c7",
    "body_html": "53f9f157c51e120d",
    "tags": "d38458d12d33839e",
    "images": "4f53cda18c2baa0c",
    "videos": "6164a9fa6ade8439",
    "links": "87a525d1a2a3d35d",
    "related": "49bdd1021a8ceff6",
}


def fingerprint(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


@pytest.fixture(scope="module")
def article(real_page):
    # The fetched URL differs (a mirror host): the canonical link must win.
    return parse_article(real_page, "https://application.dortmund.de/whatever.html")


def test_every_field_is_pinned():
    from dataclasses import fields

    from newsroom_scraper.items import Article

    assert list(FINGERPRINTS) == [f.name for f in fields(Article)]


@pytest.mark.parametrize("name", list(FINGERPRINTS))
def test_field_is_exactly_what_the_page_says(article, name):
    value = article.to_dict()[name]
    assert fingerprint(value) == FINGERPRINTS[name], f"{name} is now {value!r}"


def test_identity_and_time(article):
    assert article.url.startswith("https://www.dortmund.de/newsroom/nachrichten-dortmund.de/")
    assert (article.layout, article.section, article.page_id) == ("dtm-2023", "news", "25512")
    # The time is only in <time>; July is summer time in Berlin.
    assert article.published_at == "2025-07-07T12:52:00+02:00"
    assert article.og_image.startswith("https://www.dortmund.de/dortmund/") and article.og_image.endswith(".webp")


def test_body_in_order_without_page_furniture(article):
    paragraphs = article.body_text.split("\n\n")
    assert len(paragraphs) == 7 and all(paragraphs)
    assert article.body_html.count("<p>") == 6 and article.body_html.count("<h2>") == 1
    assert "<strong>" in article.body_html
    assert "<span" not in article.body_html and "slot=" not in article.body_html
    # the introduction, the lead, tags, videos, buttons and the slider stay out of the text
    for furniture in ("Weitere Nachrichten", "Schlagwörter", "Datenschutz", "Mehr Nachrichten", "zurück"):
        assert furniture not in article.body_text
    assert article.lead not in article.body_text and article.title not in article.body_text
    for left_out in [*article.tags, *(v.title for v in article.videos), *(r.title for r in article.related)]:
        assert left_out not in article.body_text
    assert all(link.text not in paragraphs for link in article.links)


def test_tags_videos_links_images(article):
    assert len(article.tags) == 1
    assert [v.url for v in article.videos] == ["https://www.youtube-nocookie.com/embed/IHuaY7gTQag"]
    assert [link.url for link in article.links] == ["https://www.dortmund.de/themen/bildung/fabido/"]
    assert article.images == []  # the page has no in-body image; teaser images are not article images


def test_related_teasers_and_the_four_credit_shapes(article):
    related = article.related
    assert len(related) == 15 and all(r.url.startswith("https://www.dortmund.de/newsroom/") for r in related)
    assert related[0].url.split("/")[-1].startswith("%E2%80%9E")  # a „ in the slug, percent-encoded once
    assert all(r.title and r.date and r.text is None for r in related)
    # plain text, <span>, text / <span>, external link / <span>: credits are names, not article text
    credits = [r.credit for r in related]
    assert credits[0] == "Stadt Dortmund / Roland Gorecki"
    assert credits[3] == "Stephan Schütze"
    assert credits[4] == "Stadt Dortmund / Oliver Scharper"
    assert credits[9] == "Adobe Stock / Pink Badger"
    assert credits[14] == "Adobe Stock / vegefox.com"
    assert credits[5] == "Stahm Architekten, Braunschweig"
    # districts nested in the date box
    assert [(r.date, r.district) for r in related if r.district] == [
        ("2026-10-01", "Innenstadt-Nord"),
        ("2026-10-01", "Brackel"),
        ("2026-09-25", "Innenstadt-Ost"),
    ]


def test_str_input_gives_the_same_record(real_page, article):
    assert parse_article(real_page.decode("utf-8"), "https://x.invalid/").to_dict() == article.to_dict()
