"""Every field of the real page in ../shared/real-pages, asserted exactly."""

from __future__ import annotations

import pytest

from newsroom_scraper import parse_article

URL = "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/jetzt-anmelden-fabido-eroeffnet-drei-neue-kitas.html"
IMG = "https://www.dortmund.de/dortmund/"


@pytest.fixture(scope="module")
def article(real_page):
    # The fetched URL differs (a mirror host): the canonical link must win.
    return parse_article(real_page, "https://application.dortmund.de/whatever.html")


def test_identity_fields(article):
    assert article.url == URL
    assert article.page_id == "25512"
    assert article.layout == "dtm-2023"
    assert article.section == "news"
    assert article.description == (
        "FABIDO baut aus: In den Bezirken Innenstadt Nord, Lütgendortmund und Scharnhorst entstehen "
        "drei neue FABIDO-Kitas. Eltern können ihre Kinder anmelden."
    )
    assert (
        article.og_image
        == IMG
        + "bilder-fuer-news/news-2025/04_2025/03_fabido_bewegungsraum_kita_hacheney_gorecki_07042025_w1200h630.webp"
    )


def test_heading_and_time(article):
    assert article.title == "Jetzt anmelden: FABIDO eröffnet drei neue Kitas"
    assert article.topline == "Familie"
    # The time is only in <time>; July is summer time in Berlin.
    assert article.published_at == "2025-07-07T12:52:00+02:00"


def test_lead(article):
    assert article.lead.startswith("FABIDO baut aus: Das Betreuungsangebot von Dortmunds größtem Anbieter")
    assert article.lead.endswith("Eltern können ihre Kinder jetzt schon anmelden.")


def test_body_text_in_order_without_page_furniture(article):
    paragraphs = article.body_text.split("\n\n")
    assert len(paragraphs) == 7
    assert paragraphs[0].startswith("Noch steht kein einziger Stuhl")
    assert paragraphs[1] == "Kita Burgweg wird die bislang größte Einrichtung von FABIDO"
    assert paragraphs[2].startswith("Endspurt in drei FABIDO-Einrichtungen: „Das geht jetzt Schlag auf Schlag.")
    assert "pädagogischen Finetuning. Zum Start" in paragraphs[2]
    assert paragraphs[4].startswith("Die Kita Burgweg in der Innenstadt Nord wird")
    assert paragraphs[6].endswith("acht Wochen bis sechs Jahren.")
    for furniture in (
        "Weitere Nachrichten",
        "Schlagwörter",
        "Datenschutz",
        "Mehr Nachrichten",
        "Fabido Dortmund feiert Geburtstag",
        "Kinder, Jugendliche",
        "zurück",
        "Lassen Sie uns",
    ):
        assert furniture not in article.body_text
    assert article.lead not in article.body_text
    assert "FABIDO" not in paragraphs  # the call-to-action button is not a paragraph


def test_body_html_is_sanitised(article):
    assert article.body_html.startswith("<p>Noch steht kein einziger Stuhl")
    assert "<h2>Kita Burgweg wird die bislang größte Einrichtung von FABIDO</h2>" in article.body_html
    assert "<strong>380 weitere Betreuungsplätze für Dortmunds Kita-Landschaft</strong>" in article.body_html
    assert "<span" not in article.body_html and "slot=" not in article.body_html
    assert article.body_html.count("<p>") == 6


def test_tags_videos_links(article):
    assert article.tags == ["Kinder, Jugendliche & Familie"]
    assert [v.__dict__ for v in article.videos] == [
        {
            "url": "https://www.youtube-nocookie.com/embed/IHuaY7gTQag",
            "title": "Fabido Dortmund feiert Geburtstag: Nola stellt ihre Kita Hainallee vor",
        }
    ]
    assert [link.__dict__ for link in article.links] == [
        {"url": "https://www.dortmund.de/themen/bildung/fabido/", "text": "FABIDO"}
    ]
    assert article.images == []  # the page has no in-body image; teaser images are not article images


def test_related_teasers(article):
    related = article.related
    assert len(related) == 15
    first = related[0]
    assert first.url == (
        "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/"
        "%E2%80%9Elassen-sie-uns-zusammenhalten-ob-kalouti-im-video-zum-tag-der-deutschen-einheit.html"
    )
    assert first.title == '„Lassen Sie uns zusammenhalten": OB Kalouti im Video zum Tag der Deutschen Einheit'
    assert (first.date, first.district, first.image_alt) == ("2026-10-03", None, None)
    assert first.credit == "Stadt Dortmund / Roland Gorecki"
    assert (
        first.image
        == IMG + "bilder-fuer-news/news-2025/11_2025/28-amtsantritt-alaexander-kalouti_roland-gorecki_w460h192.webp"
    )
    # the four credit shapes: plain text, <span>, text / <span>, external link / <span>
    credits = [r.credit for r in related]
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
    assert related[9].title == "Sicherheit fährt vor: Hier entsteht Dortmunds erste Fahrradzone"
    assert related[11].url.endswith("/kein-olympia-zuschlag-%E2%80%9Edortmund-wird-starke-sportstadt-bleiben.html")
    assert all(r.text is None for r in related)


def test_str_input_gives_the_same_record(real_page, article):
    assert parse_article(real_page.decode("utf-8"), "https://x.invalid/").to_dict() == article.to_dict()
