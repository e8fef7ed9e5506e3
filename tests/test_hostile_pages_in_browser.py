"""Hostile pages are stored sanitised and rendered inert (issue 9): an article whose every field
carries scripts, event handlers, javascript:/data: URLs, iframes, SVG, CSS expressions, bidi
overrides, zero-width characters and NUL is archived, served by Datasette, and opened in headless
Chromium (Debian's, driven by Playwright): no dialog opens and no injected script runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import quote

import lxml.html
import pytest

from newsroom_replica.markup import ArticlePage, BodyBlock, PhotoCredit, Picture, Teaser, render_article
from newsroom_scraper import parse_article
from newsroom_scraper.store import Archive

ROOT = Path(__file__).resolve().parents[1]
# Every payload, if it ran, would set window.__pwned or open a dialog.
RUN = "window.__pwned=1;alert(1)"
RAW = (
    f'<script>{RUN}</script><img src=x onerror="{RUN}"><svg onload="{RUN}"><circle/></svg>'
    f'<iframe src="javascript:{RUN}"></iframe><iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>'
    f'<a href="javascript:{RUN}">Klick</a><a href="data:text/html,<script>{RUN}</script>">Daten</a>'
    '<p style="background:expression(alert(1));background-image:url(javascript:alert(1))">Stil</p>'
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=1"></style></mglyph></table></mtext></math>'
)
TEXT = f"Rat\u202ehaus\u200b&#0; \"'><script>{RUN}</script><img src=x onerror={RUN}>"
SLUG = "/newsroom/nachrichten-dortmund.de/gefaehrlicher-artikel.html"
CREDIT_BY = f"Fotograf<img src=x onerror={RUN}>"
PAGES = [
    "/newsroom/articles/1",
    "/newsroom/articles",
    "/newsroom/articles?_search=Rathaus",
    "/newsroom/search?q=Rathaus",
    "/newsroom/article_versions",
    "/newsroom/article_versions/1",
    "/newsroom/images",
    "/newsroom/links",
    "/newsroom/videos",
    "/newsroom/tags",
    "/newsroom/related_links",
    "/newsroom/crawl_errors",
    "/newsroom/crawl_runs",
    "/newsroom",
    "/",
    # the reader's pages (issue 7): browsing, credits and history, with hostile values in them
    "/newsroom/credits",
    "/newsroom/credit?by=" + quote(CREDIT_BY) + "&agency=",
    "/newsroom/credit?by=&agency=" + quote(TEXT),
    "/newsroom/tags?tag=Rathaus",
    "/newsroom/first_mentions?q=Rathaus",
    "/newsroom/search_months?q=Rathaus",
    "/newsroom/coverage",
    "/newsroom/search?q=" + quote(TEXT),
]


def hostile_page() -> str:
    picture = Picture("/bild.jpg", TEXT, caption=TEXT, credit=PhotoCredit(by=CREDIT_BY, agency=TEXT, shape="text-span"))
    page = ArticlePage(
        path=SLUG,
        title="Rathaus " + TEXT,
        day=date(2025, 5, 6),
        topline=TEXT,
        lead=TEXT,
        description=TEXT,
        blocks=[
            BodyBlock("text", paragraphs=["Rathaus MARKER"]),
            BodyBlock("image", picture=picture, paragraphs=[TEXT]),
            BodyBlock("cta", url=f"javascript:{RUN}", label=TEXT),
            BodyBlock("video", url=f"data:text/html,<script>{RUN}</script>", label=TEXT),
        ],
        tags=[TEXT, "Rathaus"],
        related=[Teaser("/newsroom/nachrichten-dortmund.de/x.html", TEXT, date(2025, 5, 5), text=TEXT)],
    )
    html = render_article(page).replace("Rathaus MARKER", "Rathaus " + RAW)
    return html.replace("<h1 >", f'<h1 ><span onmouseover="{RUN}">', 1)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "newsroom.db"
    with Archive(path) as archive:
        run = archive.start_run("http://127.0.0.1:1/newsroom/", {})
        warnings: list[str] = []
        html = hostile_page().replace(
            'rel="canonical" href="https://www.dortmund.de', 'rel="canonical" href="javascript:'
        )
        article = parse_article(html, "http://127.0.0.1:1" + SLUG, warnings=warnings)
        archive.save_article(
            article,
            run_id=run,
            fetched_url=article.url,
            fetched_at="2026-11-25T10:00:00+00:00",
            etag=None,
            last_modified=None,
        )
        archive.record_error(run, f"javascript:{RUN}", "warning", TEXT)
        for warning in warnings:
            archive.record_error(run, article.url, "warning", warning)
        archive.finish_run(run, "finished", {"note": TEXT}, {"new": 1}, {})
    return path


def test_hostile_fields_are_stored_sanitised(archive):
    with Archive(archive) as opened:
        row = opened.get_article("http://127.0.0.1:1" + SLUG)
        links = opened.db.execute(
            "select url from links union all select url from videos union all select src from images"
        ).fetchall()
    assert row is not None and row["url"].startswith("http://127.0.0.1:1/")  # the javascript: canonical was refused
    # the sanitised HTML holds only allowed elements, and no attribute but an http(s)/mailto href
    body = lxml.html.fragment_fromstring(row["body_html"], create_parent="div")
    allowed = {"div", "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "table", "tr", "td"}
    assert {element.tag for element in body.iter()} <= allowed | {"strong", "em", "sub", "sup", "br", "a"}
    for element in body.iter():
        assert set(element.attrib) <= {"href"}, element.attrib
        assert element.get("href", "https://").startswith(("http://", "https://", "mailto:"))
    assert "<script>" in row["body_text"]  # the payloads are kept as the text they were, escaped in the HTML
    for name in ("title", "topline", "lead", "body_text", "description", "tags_text"):
        assert not any(ch in (row[name] or "") for ch in "\u202e\u200b\x00"), name
    assert all(url.startswith(("http://", "https://", "mailto:")) for (url,) in links), links


@pytest.fixture(scope="module")
def served(archive, serve_archive):
    with serve_archive(archive) as base:
        yield base


@pytest.mark.e2e
def test_hostile_pages_render_inert_in_chromium(served, chromium):
    dialogs: list[str] = []
    opened = []
    browser = chromium()  # closed by the fixture
    page = browser.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # only the served archive is reachable: any other request (an injected URL) is refused
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(served) else route.abort())
    for path in PAGES:
        response = page.goto(served + path, wait_until="load")
        assert response is not None and response.status == 200, path
        page.mouse.move(200, 150)  # over the headline: an onmouseover would fire
        page.wait_for_timeout(50)
        assert page.evaluate("() => window.__pwned === undefined"), path
        opened.append(path)
    assert dialogs == []
    assert opened == PAGES
