"""The reader's archive in a real headless Chromium (Debian's, driven by Playwright; never `playwright install`).

`make test` installs Debian's chromium when it is missing, and axe-core (npm) into tests/.axe/, whose
accessibility rules every page of the journey must pass without a serious or critical violation. The server is `newsroom-archive serve` on
loopback; every request the page makes elsewhere is aborted (the article pages link the site's
images, they never load them). NEWSROOM_SCREENSHOTS=docs/screenshots writes the README's screenshots.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e  # serves the archive in a child process (tests/conftest.py: e2e)

AXE = Path(__file__).parent / ".axe" / "node_modules" / "axe-core" / "axe.min.js"  # Makefile: $(AXE)


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
    chart = page.frame_locator("figure.months iframe")  # its own request, after the page (issue 16)
    chart.locator("rect").first.wait_for()
    assert chart.locator("rect").count() >= 1
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
    assert "[+ Dienstagabend, nicht am  +]" in page.locator(".diff ins").all_text_contents()
    shoot(page, "diff")
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_reader_follows_the_changes_page_to_a_comparison(page, server: str) -> None:
    page.goto(server + "/")
    page.locator("a", has_text="geändert").first.click()
    page.wait_for_url("**/newsroom/changes")
    assert page.locator("h1").inner_text() == "Änderungen"
    assert "Überschrift (nur Leer-/Satzzeichen), Text" in page.locator("ol.changes").inner_text()
    shoot(page, "changes")

    page.locator("a.compare").first.click()
    page.wait_for_url("**/newsroom/compare?from=*&to=*")
    assert page.locator("h1").inner_text().startswith("Fassung 1 und 2 von")
    assert "[+ Dienstagabend, nicht am  +]" in page.locator(".diff ins").all_text_contents()
    # Without colour the change still shows: underlined insertions, struck-through deletions.
    assert page.locator(".diff ins").first.evaluate("e => getComputedStyle(e).textDecorationLine") == "underline"
    shoot(page, "compare")

    page.locator("a", has_text="Fassung 2").first.click()
    page.select_option("#compare-from", label="1")
    page.click(".compare-form input[type=submit]")
    page.wait_for_url("**/newsroom/compare?from=*&to=*")
    assert page.locator(".diff ins").count() >= 1
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_journalist_dates_a_search_finds_its_first_mention_compares_cites_and_subscribes(page, server: str) -> None:
    """Issue 16's journey: a German date filter → first mention → changes → compare two versions →
    copy the citation → the search's feed."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page.goto(server + "/newsroom/search?q=Rat")
    page.fill("#since", "1.11.2024")
    page.fill("#until", "März 2025")
    page.press("#until", "Enter")  # submits the search form with both dates
    page.wait_for_url("**/newsroom/search?*since=1.11.2024*")
    assert page.locator(".message-error").count() == 0  # both dates understood
    assert page.locator("a.hit-title", has_text="Sitzung im Rathaus!").count() == 1
    shoot(page, "journey-search-dated")

    page.locator("a", has_text="Wann zuerst?").click()
    page.wait_for_url("**/newsroom/first_mentions?*")
    assert page.locator("td a", has_text="Sitzung im Rathaus!").count() == 1
    shoot(page, "journey-first-mention")

    page.goto(server + "/newsroom/changes")
    page.locator("a.compare").first.click()
    page.wait_for_url("**/newsroom/compare?from=*&to=*")
    assert page.locator(".diff ins").count() >= 1
    page.locator("a", has_text="Fassung 2").first.click()
    page.locator("#citation-text").wait_for()
    citation = page.locator("#citation-text").inner_text()
    page.click("button.copy-citation")
    page.locator(".copy-status", has_text="Zitat kopiert.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == citation.strip()
    assert server + "/newsroom/article_versions/" in citation
    shoot(page, "journey-citation")

    page.goto(server + "/newsroom/search?q=Rat&since=1.11.2024")
    feed_url = page.locator("a", has_text="Als Feed").get_attribute("href")
    feed = page.request.get(server + feed_url if feed_url.startswith("/") else feed_url)
    assert feed.status == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    assert "Sitzung im Rathaus!" in feed.text() and "<author>" in feed.text()
    assert page.errors == []  # type: ignore[attr-defined]


def test_clicking_in_the_article_keeps_its_teasers_open(page, server: str) -> None:
    page.goto(server + "/newsroom/search?q=Städtepartnerschaft")
    page.locator("a.hit-title").first.click()
    teasers = page.locator("ul.related")
    teasers.wait_for(state="visible")  # the article page has loaded (is_visible() does not wait for it)
    page.locator(".body").click()
    page.wait_for_timeout(200)  # what the click would set off (Datasette's menu script closed every list)
    assert teasers.is_visible() and "Kita am Westpark eröffnet" in teasers.inner_text()


PAGES = {
    "home": "/",
    "search": "/newsroom/search?q=Rat",
    "article": "/newsroom/search?q=Städtepartnerschaft >> a.hit-title",
    "version": "/newsroom/search?q=Rat >> a.hit-title:has-text('Sitzung im Rathaus!') >> .history a:has-text('Fassung 2')",
    "credits": "/newsroom/credits",
    "credit": "/newsroom/credit?by=Erika+Beispielfoto",
    "changes": "/newsroom/changes",
    "compare": "/newsroom/changes >> a.compare",
    "coverage": "/newsroom/coverage",
    "table": "/newsroom/articles",
}


def open_page(page, server: str, how: str) -> None:
    """Go to a path, then click each link after it (">>"-separated selectors)."""
    path, *clicks = how.split(" >> ")
    page.goto(server + path)
    for selector in clicks:
        page.locator(selector).first.click()
        page.wait_for_load_state()


@pytest.fixture(scope="module")
def phone(server: str, chromium):
    """A 390 px wide phone screen (an iPhone 12-15's CSS width)."""
    browser = chromium()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    context.route(
        "**/*",
        lambda route: route.continue_() if urlsplit(route.request.url).hostname == "127.0.0.1" else route.abort(),
    )
    yield context.new_page()


@pytest.mark.parametrize("name", [name for name in PAGES if name != "table"])  # Datasette's filter form: unlabelled
def test_every_page_passes_axe_without_serious_violations(page, server: str, name: str) -> None:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}: `make test` installs it with npm)")
    open_page(page, server, PAGES[name])
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("main").count() == 1 and page.locator("a.skip-link[href='#inhalt']").count() == 1
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], json.dumps(serious, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("name", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(phone, server: str, name: str) -> None:
    open_page(phone, server, PAGES[name])
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{name} is {width} px wide at 390 px"
