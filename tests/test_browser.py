"""The reader's archive in a real headless Chromium (Debian's, driven by Playwright; never `playwright install`).

`make test` installs Debian's chromium when it is missing. The server is `newsroom-archive serve` on
loopback; every request the page makes elsewhere is aborted (the article pages link the site's
images, they never load them). NEWSROOM_SCREENSHOTS=docs/screenshots writes the README's screenshots.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(reader_archive: Path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsroom_scraper", "serve", "--db", str(reader_archive), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("the archive server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def page(server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
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
        browser.close()


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
