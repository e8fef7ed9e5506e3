"""The reader's archive in a real headless Chromium (Debian's, driven by Playwright; never `playwright install`).

`make test` installs Debian's chromium when it is missing. The server is `newsroom-archive serve` on
loopback; every request the page makes elsewhere is aborted (the article pages link the site's
images, they never load them). NEWSROOM_SCREENSHOTS=docs/screenshots writes the README's screenshots.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e  # serves the archive in a child process (tests/conftest.py: e2e)


@pytest.fixture(scope="module")
def server(reader_archive: Path, serve_archive):
    with serve_archive(reader_archive) as base:
        yield base


@pytest.fixture(scope="module")
def page(server: str, chromium):
    browser = chromium()
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="de-DE")
    # Loopback only: anything else (the site's image URLs, say) is aborted, never fetched.
    context.route(
        "**/*",
        lambda route: route.continue_() if urlsplit(route.request.url).hostname == "127.0.0.1" else route.abort(),
    )
    opened = context.new_page()
    opened.errors = []  # type: ignore[attr-defined]
    opened.on("console", lambda m: m.type == "error" and opened.errors.append(m.text))  # type: ignore[attr-defined]
    opened.on("pageerror", lambda e: opened.errors.append(str(e)))  # type: ignore[attr-defined]
    yield opened


def shoot(page, name: str) -> None:
    folder = os.environ.get("NEWSROOM_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def test_a_reader_finds_an_article_its_photographer_a_tag_and_a_diff(page, server: str) -> None:
    page.goto(server + "/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert "_memory" not in page.content()
    shoot(page, "home")

    page.fill("#home-q", "Staedtepartnerschaft")
    page.click(".home-search input[type=submit]")
    page.wait_for_url("**/newsroom/search?q=Staedtepartnerschaft*")
    assert page.locator("figure.months svg rect").count() >= 1
    shoot(page, "search")

    page.locator("a.hit-title").first.click()
    assert page.locator("h1").inner_text() == "Jubiläum der Städtepartnerschaft"
    assert "Bild: Stadt Dortmund / Erika Beispielfoto" in " ".join(page.locator(".credit").inner_text().split())
    shoot(page, "article")

    page.click("a.photographer")
    page.wait_for_url("**/newsroom/credit?by=Erika*")
    page.locator("td", has_text="Das Fest zum Jubiläum").wait_for()
    page.go_back()
    page.locator("a.tag", has_text="Internationales").click()
    page.wait_for_url("**/newsroom/tags?tag=Internationales")
    page.locator("td a", has_text="Jubiläum der Städtepartnerschaft").wait_for()

    page.goto(server + "/newsroom/search?q=Rat")
    page.locator("a.hit-title", has_text="Sitzung im Rathaus!").click()
    page.locator(".history a", has_text="Fassung 2").click()
    assert "Dienstagabend, nicht am " in page.locator(".diff ins").all_inner_texts()
    shoot(page, "diff")
    assert page.errors == []  # type: ignore[attr-defined]
