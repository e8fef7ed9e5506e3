"""Property-based fuzz of the parser on mutated real-markup pages (issue 9): whatever is cut,
repeated or spliced in, ``parse_article`` returns an Article or raises ParseError, quickly."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsroom_replica.markup import render_article
from newsroom_replica.samples import sample_pages
from newsroom_scraper import ParseError, parse_article
from newsroom_scraper.items import Article

PAGES = [render_article(page).encode("utf-8") for page in sample_pages().values()]
URL = "http://127.0.0.1:8000/newsroom/nachrichten-dortmund.de/x.html"
# Pieces that break pages in ways that matter: elements that swallow what follows, the markers
# the page cutter looks for, comments, quotes, bytes no charset allows.
JUNK = [
    b"<iframe>",
    b"<style>",
    b"<textarea>",
    b"<title>",
    b"<script>",
    b"</script>",
    b"<main>",
    b"</main>",
    b"</head>",
    b"</html>",
    b"<!--",
    b"-->",
    b'"',
    b"'",
    b"<",
    b">",
    b"&",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b'<meta charset="iso-8859-1">',
    b'<link rel="canonical" href="javascript:alert(1)">',
    b"<h1>",
    b"<dtm-text-image>",
    b'<script type="application/ld+json">{"@type": "Article", "headline": ',
    "\u202e".encode(),
]
mutation = st.one_of(
    st.tuples(st.just("cut"), st.floats(0, 1), st.floats(0, 0.3)),
    st.tuples(st.just("repeat"), st.floats(0, 1), st.floats(0, 0.05)),
    st.tuples(st.just("splice"), st.floats(0, 1), st.sampled_from(JUNK)),
)


def mutate(page: bytes, steps: list[tuple]) -> bytes:
    for kind, where, what in steps:
        at = int(where * len(page))
        if kind == "cut":
            page = page[:at] + page[at + int(what * len(page)) :]
        elif kind == "repeat":
            page = page[:at] + page[at : at + int(what * len(page))] * 3 + page[at:]
        else:
            page = page[:at] + what + page[at:]
    return page


@pytest.mark.timeout(120)
@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(PAGES))), st.lists(mutation, min_size=1, max_size=6))
def test_mutated_pages_give_an_article_or_a_parse_error(index, steps):
    page = mutate(PAGES[index], steps)
    try:
        article = parse_article(page, URL)
    except ParseError as error:
        assert error.reason  # one of errors.Reason
        return
    assert isinstance(article, Article) and article.title and article.url.startswith(("http://", "https://"))
