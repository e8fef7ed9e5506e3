"""The cite block in a real headless Chromium (issue 16, 8): the copy button copies the citation with
its absolute permalink; without scripts the button is hidden and the citation is plain text."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsroom_scraper.store import Archive

pytestmark = pytest.mark.e2e  # serves the archive in a child process (tests/conftest.py: e2e)


@pytest.fixture(scope="module")
def server(reader_archive: Path, serve_archive):
    with serve_archive(reader_archive) as base:
        yield base


def version_path(db: Path) -> str:
    with Archive(db) as archive:
        (version_id,) = archive.db.execute("select max(id) from article_versions").fetchone()
    return f"/newsroom/article_versions/{version_id}"


def new_page(chromium, **options):
    context = chromium().new_context(locale="de-DE", **options)
    context.route(
        "**/*",
        lambda route: route.continue_() if urlsplit(route.request.url).hostname == "127.0.0.1" else route.abort(),
    )
    return context, context.new_page()


def test_the_copy_button_copies_the_citation_with_its_absolute_permalink(server, chromium, reader_archive) -> None:
    path = version_path(reader_archive)
    context, page = new_page(chromium)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page.goto(server + path)
    citation = page.locator("#citation-text").inner_text()
    assert f"{server}{path}" in citation and "„„" not in citation
    page.click("button.copy-citation")
    page.locator(".copy-status", has_text="Zitat kopiert.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == citation.strip()
    context.close()


def test_without_scripts_the_citation_is_text_and_no_dead_button_shows(server, chromium, reader_archive) -> None:
    context, page = new_page(chromium, java_script_enabled=False)
    page.goto(server + version_path(reader_archive))
    assert page.locator("#citation-text").is_visible()
    assert not page.locator("button.copy-citation").is_visible()
    context.close()
