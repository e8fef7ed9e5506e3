"""A page's bytes become text as a browser reads them (the WHATWG order, through w3lib.encoding):
a byte order mark, then the HTTP ``Content-Type`` charset, then the page's ``<meta>``, else UTF-8;
iso-8859-1 and ascii are read as windows-1252. The header travels from the response (the crawl) or
the WARC record (reparse) to the parser. Fixtures are synthetic: replica markup with text of ours."""

from __future__ import annotations

import asyncio
import codecs
import sqlite3
from dataclasses import replace
from datetime import date

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from w3lib.encoding import html_to_unicode

from newsroom_replica.markup import ArticlePage, BodyBlock, Teaser, render_article, render_listing
from newsroom_scraper import ParseError, parse_article, parse_listing
from newsroom_scraper.cli import main
from newsroom_scraper.evidence.reparse import reparse
from newsroom_scraper.evidence.warc import Exchange, WarcWriter
from newsroom_scraper.items import FetchedPage, ParsedPage
from newsroom_scraper.middlewares import ParseMiddleware
from newsroom_scraper.parser.page import Page
from newsroom_scraper.spiders.newsroom import NewsroomSpider

ORIGIN = "http://127.0.0.1:8000"
NEWS = "/newsroom/nachrichten-dortmund.de/"
# „ “ € are 0x84, 0x93, 0x80 in windows-1252: C1 controls in iso-8859-1, where browsers read
# windows-1252 all the same; the umlauts are the same byte in both.
TITLE = "Sommerfest „neu“ gedacht: 5 € für Größere"
TEXT = "Der Eintritt kostet 5 €; Kinder zahlen nichts, sagen die Veranstalter."
PAGE = ArticlePage(
    path=NEWS + "sommerfest-neu-gedacht.html",
    title=TITLE,
    day=date(2025, 8, 9),
    topline="Freizeit",
    lead="Ein Fest für alle Stadtteile.",
    blocks=[BodyBlock("text", paragraphs=[TEXT])],
)
FETCHED = ORIGIN + PAGE.path
META = '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">\n'
WINDOWS_1252 = "text/html; charset=windows-1252"


def page(meta: str | None) -> str:
    """The article with ``<meta charset=meta>``, or with no charset declaration at all."""
    html = render_article(PAGE)
    assert META in html
    return html.replace(META, f'<meta charset="{meta}">\n' if meta else "")


def parsed(body: bytes, content_type: str | None = None) -> tuple[str, list[str]]:
    warnings: list[str] = []
    header = {"content_type": content_type} if content_type else {}  # the API without one is as before
    article = parse_article(body, FETCHED, warnings=warnings, **header)
    assert TEXT in article.body_text
    return article.title, warnings


def test_a_charset_only_in_the_http_header_is_used():
    body = page(None).encode("windows-1252")
    assert parsed(body, WINDOWS_1252) == (TITLE, [])
    with pytest.raises(ParseError) as raised:  # without the header: UTF-8, which these bytes are not
        parse_article(body, FETCHED)
    assert raised.value.reason == "undecodable"


@pytest.mark.parametrize("where", ["meta", "header"])
def test_iso_8859_1_is_read_as_windows_1252_as_browsers_do(where):
    body = page("iso-8859-1" if where == "meta" else None).encode("windows-1252")
    title, warnings = parsed(body, "text/html; charset=ISO-8859-1" if where == "header" else None)
    assert (title, warnings) == (TITLE, [])  # „neu“ 5 €, not \x84neu\x93 5 \x80


def test_a_utf8_byte_order_mark_wins_over_a_wrong_header_and_meta():
    body = codecs.BOM_UTF8 + page("windows-1252").encode("utf-8")
    assert parsed(body, WINDOWS_1252) == (TITLE, [])
    assert parsed(body) == (TITLE, [])


def test_the_http_header_wins_over_the_meta():
    body = page("utf-8").encode("windows-1252")  # the meta lies, the server says the truth
    assert parsed(body, WINDOWS_1252) == (TITLE, [])


@pytest.mark.parametrize("where", ["meta", "header"])
def test_utf8_declared_single_byte_is_read_as_utf8_with_a_warning(where):
    """w3lib (and a browser) would read these bytes as windows-1252: "GrÃ¶ÃŸere". Valid UTF-8 with
    non-ASCII in it is practically never windows-1252 by chance, so it is read as UTF-8, noted."""
    body = page("iso-8859-1" if where == "meta" else "utf-8").encode("utf-8")
    header = "text/html; charset=iso-8859-1" if where == "header" else None
    assert "GrÃ¶ÃŸere" in html_to_unicode(header, body)[1]
    title, warnings = parsed(body, header)
    assert title == TITLE
    assert len(warnings) == 1 and "cp1252" in warnings[0] and "UTF-8" in warnings[0]


def test_a_header_charset_the_bytes_break_gives_way_to_the_meta_with_a_warning():
    """The Wayback Machine answers with a charset of its own guess; the page's meta may know better."""
    body = page("windows-1252").encode("windows-1252")
    title, warnings = parsed(body, "text/html; charset=utf-8")
    assert title == TITLE
    assert len(warnings) == 1 and "header" in warnings[0] and "cp1252" in warnings[0]


def test_bytes_windows_1252_leaves_undefined_are_read_as_browsers_do():
    """0x81, 0x8d, 0x8f, 0x90, 0x9d have no character in Python's cp1252; WHATWG's windows-1252
    maps them to the C1 controls of the same number. A page holding one is no undecodable page,
    and the control, which shows nothing, is dropped from the text as the C0 controls are."""
    body = page("windows-1252").encode("windows-1252").replace(b"Veranstalter", b"Veranstalter\x81")
    title, _ = parsed(body)
    assert title == TITLE


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (None, page(None).encode()),
        (WINDOWS_1252, page(None).encode("windows-1252")),
        ("text/html; charset=ISO-8859-1", page(None).encode("windows-1252")),
        ('text/html; charset="iso-8859-15"', page(None).replace("„", "»").replace("“", "«").encode("iso-8859-15")),
        ('text/html; foo="charset=utf-8"; charset=windows-1252', page(None).encode("windows-1252")),
        ("text/html", page("windows-1252").encode("windows-1252")),
        ("text/html; charset=nonsense", page("latin1").encode("windows-1252")),
        (WINDOWS_1252, page("utf-8").encode("windows-1252")),
        (WINDOWS_1252, codecs.BOM_UTF8 + page(None).encode()),
        (None, page("utf-16").encode("utf-16")),
        ("text/html; charset=utf-8", codecs.BOM_UTF16_BE + page(None).encode("utf-16-be")),
    ],
)
def test_the_charset_chosen_is_w3libs(content_type, body):
    """Where the bytes are valid in it, the charset is the one html_to_unicode chooses, and the
    article is the one its text gives."""
    expected, text = html_to_unicode(content_type, body)
    decoded = Page(body, FETCHED, content_type=content_type)
    assert (decoded.encoding, decoded.warnings) == (codecs.lookup(expected).name, [])
    article = parse_article(body, FETCHED, content_type=content_type)
    assert article == parse_article(text, FETCHED)
    assert article.title in (TITLE, TITLE.replace("„", "»").replace("“", "«"))


def test_a_listing_takes_the_header_too():
    teaser = Teaser(NEWS + "sommerfest-neu-gedacht.html", TITLE, PAGE.day)
    body = render_listing("Dortmund aktuell", [teaser]).replace(META, "").encode("windows-1252")
    listing = parse_listing(body, ORIGIN + "/newsroom/", content_type=WINDOWS_1252)
    assert [t.title for t in listing.teasers] == [TITLE]


def test_the_cli_takes_the_content_type(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(page(None).encode("windows-1252"))
    result = CliRunner().invoke(main, ["parse", str(path), "--content-type", WINDOWS_1252])
    assert result.exit_code == 0, result.output
    assert TITLE in result.output


def through_the_middleware(crawler, fetched: FetchedPage) -> list:
    """One page through ParseMiddleware's async path, as a crawl's spider output goes."""

    async def pages():
        yield fetched

    async def outputs() -> list:
        response = HtmlResponse(fetched.url, body=b"", request=Request(fetched.url))
        return [out async for out in ParseMiddleware(crawler).process_spider_output_async(response, pages())]

    return asyncio.run(outputs())


def test_the_spider_hands_the_content_type_to_the_parse(tmp_path):
    crawler = get_crawler(NewsroomSpider, {"NEWSROOM_DB": str(tmp_path / "newsroom.db")})
    crawler.spider = spider = crawler._create_spider(start_url=ORIGIN + "/newsroom/")
    body = page(None).encode("windows-1252")
    headers = {"Content-Type": WINDOWS_1252}
    response = HtmlResponse(FETCHED, body=body, headers=headers, request=Request(FETCHED, meta={"source": "listing"}))
    (fetched,) = spider.parse_article_page(response)
    assert fetched.content_type == WINDOWS_1252

    parsed_page, *_ = through_the_middleware(crawler, fetched)
    assert isinstance(parsed_page, ParsedPage) and parsed_page.error is None
    assert parsed_page.article.title == TITLE and TEXT in parsed_page.article.body_text
    plain = replace(fetched, content_type=None)  # the same page without the header is refused
    (refused, *_) = through_the_middleware(crawler, plain)
    assert isinstance(refused, ParsedPage) and (refused.error or "").startswith("undecodable")


@pytest.mark.parametrize("workers", [0, 1])
def test_reparse_reads_the_charset_of_the_warc_records_http_header(tmp_path, workers):
    writer = WarcWriter(tmp_path / "warc", started="20250809100000")
    headers = [("Content-Type", WINDOWS_1252), ("Content-Length", "0")]
    body = page(None).encode("windows-1252")
    headers[1] = ("Content-Length", str(len(body)))
    writer.write_exchange(Exchange(FETCHED, "GET", [], b"", 200, headers, body, "2025-08-09T10:00:00+00:00"))
    writer.finish()
    report = reparse(tmp_path / "warc", tmp_path / "fresh.db", workers=workers)
    assert report.outcomes["new"] == 1 and not report.not_articles
    with sqlite3.connect(tmp_path / "fresh.db") as db:
        ((title, body_text),) = db.execute("select title, body_text from articles").fetchall()
    assert title == TITLE and TEXT in body_text


CODECS = ["utf-8", "utf-16", "windows-1252", "iso-8859-1", "base64", "zlib", "idna", "punycode", "rot13", "hex"]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.none(), st.sampled_from(CODECS)),
    st.one_of(st.none(), st.sampled_from(CODECS), st.text(max_size=40)),
    st.binary(max_size=300),
    st.booleans(),
)
def test_a_declaration_naming_no_charset_is_passed_over_never_a_crash(meta, header, data, head_closed):
    """w3lib resolves any codec's name ("base64", "idna"): such a declaration is passed over."""
    head = f'<html><head><meta charset="{meta}">' if meta else "<html><head>"
    html = (head + ("</head>" if head_closed else "") + "<body><main>").encode() + data + b"</main></body></html>"
    content_type = f"text/html; charset={header}" if header in CODECS else header
    for parse in (parse_article, parse_listing):
        try:
            parse(html, FETCHED, content_type=content_type)
        except ParseError as error:
            assert error.reason != "internal", str(error)
