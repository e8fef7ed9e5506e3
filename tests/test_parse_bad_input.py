"""Bad input gives ParseError with a reason, never another exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsroom_replica.markup import Teaser, render_article, render_error_page, render_listing
from newsroom_replica.samples import sample_pages
from newsroom_scraper import ParseError, parse_article

PAGE = render_article(sample_pages()["full-summer-news"]).encode("utf-8")
MAIN_END = PAGE.index(b"</main>")


def reason_of(html, url=""):
    with pytest.raises(ParseError) as caught:
        parse_article(html, url)
    return caught.value.reason


@pytest.mark.parametrize(
    "html, reason",
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        ("", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        (b"Just a line of text, not a page.", "not-html"),
        (render_error_page(404).encode(), "no-article"),
    ],
)
def test_not_an_article(html, reason):
    assert reason_of(html) == reason


def test_listing_page_is_not_an_article():
    teaser = Teaser("/newsroom/nachrichten-dortmund.de/a.html", "Ein Titel", sample_pages()["full-summer-news"].day)
    assert reason_of(render_listing("Dortmund aktuell", [teaser] * 3)) == "no-article"


def test_undecodable_bytes():
    broken = PAGE.replace("Stadtbibliothek verlängert".encode(), b"Stadtbibliothek verl\xe4\xffngert")
    assert reason_of(broken) == "undecodable"


@pytest.mark.parametrize(
    "cut", [20, 100, 1000, len(PAGE) // 3, len(PAGE) // 2, MAIN_END - 500, MAIN_END - 1, MAIN_END + 3]
)
def test_truncated_before_the_article_ends(cut):
    assert reason_of(PAGE[:cut]) in {"truncated", "not-html"}


def test_truncated_after_the_article_still_parses():
    assert (
        parse_article(PAGE[: MAIN_END + len(b"</main>") + 10], "").title == "Stadtbibliothek verlängert Öffnungszeiten"
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=MAIN_END + 6))
def test_any_cut_inside_the_article_is_a_parse_error(cut):
    assert reason_of(PAGE[:cut]) in {"truncated", "not-html", "empty"}


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000))
def test_random_bytes_never_crash(data):
    try:
        parse_article(data, "http://127.0.0.1/")
    except ParseError as error:
        assert error.reason


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=2000))
def test_random_text_never_crashes(text):
    try:
        parse_article("<html><body><main>" + text, "http://127.0.0.1/")
    except ParseError as error:
        assert error.reason


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=len(PAGE) - 1), st.binary(min_size=1, max_size=20))
def test_corrupted_pages_never_crash(position, junk):
    try:
        parse_article(PAGE[:position] + junk + PAGE[position + len(junk) :], "")
    except ParseError as error:
        assert error.reason


@pytest.mark.parametrize("depth", [300, 5000, 100_000])
def test_absurdly_deep_nesting(depth):
    html = PAGE.replace(b"<main>", b"<main>" + b"<div>" * depth + b"x" + b"</div>" * depth)
    assert reason_of(html) == "too-deep"
