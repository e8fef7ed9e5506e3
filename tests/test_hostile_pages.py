"""Pages that try to take over the archive: a foreign canonical URL, unsafe link schemes, huge
fields, a wrong charset, markup that swallows the article (issue 9, findings 4, 5 and 8)."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import fields, replace
from datetime import date
from pathlib import Path

import pytest

import newsroom_scraper
from newsroom_replica.markup import ArticlePage, BodyBlock, render_article
from newsroom_replica.samples import sample_pages
from newsroom_scraper import ParseError, parse_article
from newsroom_scraper.errors import Reason
from newsroom_scraper.items import MAX_ITEMS, Article
from newsroom_scraper.parser.page import MAX_PAGE_BYTES

HOST = "https://www.dortmund.de"
NEWS = "/newsroom/nachrichten-dortmund.de/"
PAGE = ArticlePage(
    path=NEWS + "eigener-artikel.html",
    title="Ein eigener Artikel",
    day=date(2025, 3, 4),
    lead="Ein Vorspann.",
    blocks=[BodyBlock("text", paragraphs=["Ein Absatz des Artikels."])],
)
FETCHED = "http://127.0.0.1:8000" + PAGE.path


def with_canonical(href: str) -> str:
    return render_article(PAGE).replace(
        f'<link rel="canonical" href="{HOST}{PAGE.path}">', f'<link rel="canonical" href="{href}">'
    )


@pytest.mark.parametrize(
    ("href", "problem"),
    [
        (HOST + NEWS + "ein-anderer-artikel.html", "names another article"),
        ("https://evil.example" + PAGE.path, "another host"),
        ("javascript:alert(1)", "not an http(s) URL"),
        (HOST + "/newsroom/", "not an article path"),
    ],
)
def test_an_untrusted_canonical_is_never_the_key(href, problem):
    page = with_canonical(href)
    assert f'href="{href}"' in page
    warnings: list[str] = []
    article = parse_article(page, FETCHED, warnings=warnings)
    assert article.url == FETCHED
    assert len(warnings) == 1 and problem in warnings[0]


@pytest.mark.parametrize(
    "href",
    [
        HOST + PAGE.path,  # the live site's canonical host
        "http://127.0.0.1:8000" + PAGE.path,  # the host the crawl fetched from
        HOST + "/newsroom/pressemitteilungen/eigener-artikel.html",  # the other spelling of a section, same page
    ],
)
def test_a_canonical_of_the_same_page_is_trusted(href):
    warnings: list[str] = []
    assert parse_article(with_canonical(href), FETCHED, warnings=warnings).url == href
    assert warnings == []


def test_only_http_urls_are_stored_for_images_links_videos_and_teasers():
    hostile = replace(
        PAGE,
        blocks=[
            BodyBlock("text", paragraphs=["Text."]),
            BodyBlock("cta", url="javascript:alert(1)", label="Klick"),
            BodyBlock("cta", url="mailto:presse@example.org", label="Schreiben"),
            BodyBlock("video", url="data:text/html,<script>alert(1)</script>", label="Film"),
        ],
    )
    html = render_article(hostile).replace('src="/', 'src="javascript:alert(1)//')
    article = parse_article(html, FETCHED)
    urls = [link.url for link in article.links] + [v.url for v in article.videos] + [i.src for i in article.images]
    urls += [r.url for r in article.related] + [r.image or "" for r in article.related]
    assert [link.url for link in article.links] == ["mailto:presse@example.org"]
    assert not [url for url in urls if url and not url.startswith(("http://", "https://", "mailto:"))]


def test_huge_fields_are_capped():
    limits = {f.name: f.metadata["max_chars"] for f in fields(Article)}
    huge = replace(
        PAGE,
        title="T" * 1_000_000,
        lead="L" * 50_000,
        blocks=[BodyBlock("text", paragraphs=["Absatz " * 10_000]) for _ in range(50)],
        tags=[f"Schlagwort {n}" for n in range(MAX_ITEMS * 2)],
    )
    article = parse_article(render_article(huge), FETCHED)
    assert len(article.title) == limits["title"] and len(article.lead or "") == limits["lead"]
    assert 0 < len(article.body_html) <= limits["body_html"] and article.body_html.endswith("</p>")
    assert len(article.body_text) <= limits["body_text"]
    assert len(article.tags) == MAX_ITEMS


def test_a_page_beyond_any_article_size_says_so():
    with pytest.raises(ParseError) as raised:
        parse_article(render_article(PAGE).encode() + b" " * MAX_PAGE_BYTES, FETCHED)
    assert raised.value.reason == Reason.TOO_LARGE


def test_utf8_declared_as_latin1_is_read_as_utf8_with_a_warning():
    umlauts = replace(PAGE, title="Größere Übergänge für Fußgänger")
    html = render_article(umlauts).replace("charset=UTF-8", "charset=ISO-8859-1").encode("utf-8")
    warnings: list[str] = []
    assert parse_article(html, FETCHED, warnings=warnings).title == "Größere Übergänge für Fußgänger"
    assert warnings and "UTF-8" in warnings[0]
    real_latin1 = render_article(umlauts).replace("charset=UTF-8", "charset=ISO-8859-1").encode("latin-1")
    warnings.clear()
    assert parse_article(real_latin1, FETCHED, warnings=warnings).title == "Größere Übergänge für Fußgänger"
    assert warnings == []


@pytest.mark.parametrize("swallower", ["<iframe>", "<style>", "<textarea>", "<title>"])
def test_an_unclosed_element_in_the_headline_is_no_article(swallower):
    page = sample_pages()["full-summer-news"]
    html = render_article(page).replace("<h1 >", f"<h1 >{swallower}", 1)
    with pytest.raises(ParseError) as raised:
        parse_article(html, FETCHED)
    assert raised.value.reason in (Reason.NO_BODY, Reason.NO_TITLE, Reason.NO_PUBLISHED_AT)


def test_replica_json_ld_cannot_be_closed_by_a_headline():
    page = replace(PAGE, title="Vorsicht </script><script>alert(1)</script>")
    html = render_article(page)
    start = html.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
    data = json.loads(html[start : html.index("</script>", start)])
    assert data["headline"] == page.title
    assert parse_article(html, FETCHED).title == page.title


def reader_pages():
    """The reader's page plugin, loaded from its file as Datasette loads it (``--plugins-dir``)."""
    path = Path(newsroom_scraper.__file__).parent / "reader" / "plugins" / "pages.py"
    spec = importlib.util.spec_from_file_location("newsroom_reader_pages", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reader_cleans_hostile_body_html_and_keeps_the_allowed():
    safe_body = reader_pages().safe_body
    allowed = (
        '<h2>Termine</h2>\n<p>Ein <strong>fetter</strong> und <em>schräger</em> Satz, <a href="https://www.dortmund.de/">'
        'ein Link</a>, <a href="mailto:presse@dortmund.de">Post</a><br>H<sub>2</sub>O</p>\n<ul><li>eins</li></ul>'
        "\n<ol><li>zwei</li></ol>\n<blockquote>Zitat</blockquote>\n"
        "<table><thead><tr><th>Tag</th></tr></thead><tbody><tr><td>Mo</td></tr></tbody></table>"
    )
    assert str(safe_body(allowed)) == allowed  # nothing added (no rel), nothing lost
    hostile = (
        '<p onclick="steal()" title="t" style="color:red">Text<script>alert(1)</script></p>'
        '<a href="javascript:alert(2)" target="_blank">j</a><a href="data:text/html,x">d</a>'
        '<img src="x" onerror="alert(3)"><iframe src="https://example.org/"></iframe>'
        "<style>p { color: red }</style><svg><script>alert(4)</script></svg><!-- note -->"
    )
    cleaned = str(safe_body(hostile))
    assert cleaned == "<p>Text</p><a>j</a><a>d</a>"
    assert str(safe_body(None)) == ""
