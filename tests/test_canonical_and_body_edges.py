"""Canonical and body edge cases (issue 17, 9): a canonical anywhere in <head>, no query in a key
the site's URLs never have, and body_text and body_html cut together, with a warning."""

from __future__ import annotations

import html
import re
from dataclasses import fields, replace
from datetime import date

from newsroom_replica.markup import ArticlePage, BodyBlock, render_article
from newsroom_scraper import parse_article
from newsroom_scraper.items import Article

HOST = "https://www.dortmund.de"
PAGE = ArticlePage(
    path="/newsroom/nachrichten-dortmund.de/eigener-artikel.html",
    title="Ein eigener Artikel",
    day=date(2025, 3, 4),
    lead="Ein Vorspann.",
    blocks=[BodyBlock("text", paragraphs=["Ein Absatz des Artikels."])],
)
FETCHED = "http://127.0.0.1:8000" + PAGE.path
LIMITS = {f.name: f.metadata["max_chars"] for f in fields(Article)}


def test_a_canonical_after_a_1_mb_title_is_seen():
    """The head was searched for </head> in its first 64 KB only: the canonical after a 1 MB
    <title> was not seen, and the page was keyed on its fetched URL without a warning."""
    page = render_article(PAGE).replace("<title>", "<title>" + "Titel " * 200_000, 1)
    assert page.index('rel="canonical"') > 1_000_000
    warnings: list[str] = []
    assert parse_article(page, FETCHED, warnings=warnings).url == HOST + PAGE.path
    assert warnings == []


def test_a_canonical_with_a_query_the_sites_article_urls_never_have_is_not_the_key():
    """``?dup=1`` on the same slug was trusted silently: the key gained a query."""
    page = render_article(PAGE).replace(f'href="{HOST}{PAGE.path}"', f'href="{HOST}{PAGE.path}?dup=1"', 1)
    warnings: list[str] = []
    assert parse_article(page, FETCHED, warnings=warnings).url == FETCHED
    assert len(warnings) == 1 and "a query" in warnings[0] and "?dup=1" in warnings[0]


def test_the_pre_2023_articles_keep_their_nid_query():
    old = "https://www.dortmund.de/de/leben_in_dortmund/nachrichtenportal/nachricht.jsp?nid=4711"
    page = render_article(PAGE).replace(f'href="{HOST}{PAGE.path}"', f'href="{old}"', 1)
    warnings: list[str] = []
    assert parse_article(page, old, warnings=warnings).url == old
    assert warnings == []
    dup = page.replace(f'href="{old}"', f'href="{old}&amp;dup=1"', 1)
    assert parse_article(dup, old, warnings=warnings).url == old and "a query" in warnings[0]


def text_of(body_html: str) -> str:
    """What body_html says, as body_text writes it (blocks apart by a blank line)."""
    blocks = [re.sub(r"<[^>]+>", "", block.replace("<br>", "\n")) for block in body_html.split("\n")]
    return html.unescape("\n\n".join(blocks))


def test_one_2_mb_paragraph_gives_a_text_and_html_cut_alike_with_a_warning():
    """body_text was cut to 100,000 characters, body_html (cut between blocks only) was empty."""
    huge = replace(PAGE, blocks=[BodyBlock("text", paragraphs=["Ein Wort & noch eins. " * 95_000])])
    warnings: list[str] = []
    article = parse_article(render_article(huge), FETCHED, warnings=warnings)
    assert 90_000 < len(article.body_text) <= LIMITS["body_text"]
    assert 0 < len(article.body_html) <= LIMITS["body_html"]
    assert text_of(article.body_html) == article.body_text
    assert len(warnings) == 1 and warnings[0].startswith("body: cut at ")


def test_whole_blocks_are_kept_until_one_does_not_fit():
    blocks = [BodyBlock("text", paragraphs=[f"Absatz {n}: " + "Wort " * 5_000]) for n in range(30)]
    warnings: list[str] = []
    article = parse_article(render_article(replace(PAGE, blocks=blocks)), FETCHED, warnings=warnings)
    assert text_of(article.body_html) == article.body_text
    assert article.body_html.count("<p>") == len(article.body_text.split("\n\n"))
    assert "Absatz 3:" in article.body_text and "Absatz 29:" not in article.body_text
    assert len(warnings) == 1 and "body: cut at" in warnings[0]


def test_a_body_within_the_limits_is_not_cut_and_not_warned_of():
    warnings: list[str] = []
    article = parse_article(render_article(PAGE), FETCHED, warnings=warnings)
    assert article.body_text == "Ein Absatz des Artikels." and warnings == []
