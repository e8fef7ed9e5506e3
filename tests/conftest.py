"""Shared test fixtures: the real page from ../shared (skipped cleanly when absent), the Hypothesis
profile, archives of stored articles, a served archive, and Debian's Chromium through Playwright."""

from __future__ import annotations

import dataclasses
import http.server
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from newsroom_replica.markup import render_article
from newsroom_replica.samples import sample_pages
from newsroom_scraper import parse_article
from newsroom_scraper.items import Article, Image, RelatedLink
from newsroom_scraper.store import Archive

from evidence_helpers import free_port

REAL_PAGE = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "dortmund-article-2025-07-07-fabido.html"

# Property tests explore the same examples on every run, so CI is as repeatable as a
# developer's machine; HYPOTHESIS_PROFILE=explore searches afresh.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(scope="session")
def real_page() -> bytes:
    """The real article page of 2025-07-07, kept in ../shared (never copied into the repo)."""
    if not REAL_PAGE.exists():
        pytest.skip("../shared/real-pages is not available")
    return REAL_PAGE.read_bytes()


# -- archives and servers ---------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that would reach out to Google's hosts from this closed network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def store_articles(path: Path, articles: Iterable[Article], fetched_at: str = "2026-11-25T10:00:00+00:00") -> Path:
    """An archive at ``path`` holding ``articles``, stored in one finished crawl run."""
    with Archive(path) as archive:
        run = archive.start_run("http://127.0.0.1:1/newsroom/", {})
        count = 0
        for article in articles:
            archive.save_article(
                article, run_id=run, fetched_url=article.url, fetched_at=fetched_at, etag=None, last_modified=None
            )
            count += 1
        archive.finish_run(run, "finished", {}, {"new": count}, {})
    return path


@pytest.fixture(scope="session")
def sample_articles() -> list[Article]:
    """The named samples, parsed."""
    return [parse_article(render_article(page), "") for page in sample_pages().values()]


@contextmanager
def serving(db: Path) -> Iterator[str]:
    """`newsroom-archive serve` on the archive ``db`` in a child process; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "newsroom_scraper", "serve", "--db", str(db), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


@pytest.fixture(scope="session")
def archive_of() -> Callable[..., Path]:
    """``archive_of(path, articles)``: see ``store_articles``."""
    return store_articles


@pytest.fixture(scope="session")
def serve_archive() -> Callable[[Path], Any]:
    """``with serve_archive(db) as base_url:`` see ``serving``."""
    return serving


@pytest.fixture(scope="module")  # not longer: Playwright's loop must not outlive the module's tests
def chromium() -> Iterator[Callable[[], Any]]:
    """A factory of Debian's headless Chromium browsers (Playwright, never its own download);
    skips the test, with the reason, where either is missing."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it as root: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        browsers = []

        def launch() -> Any:
            browsers.append(playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS))
            return browsers[-1]

        try:
            yield launch
        finally:
            for browser in browsers:
                browser.close()


# -- the reader's archive (tests/test_reader.py, tests/test_browser.py) --

BASE = "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/"


def article(slug: str, title: str, body: str, **changes: object) -> Article:
    """A synthetic article (text written for these tests)."""
    made = Article(
        url=BASE + slug + ".html",
        title=title,
        published_at="2025-03-10T09:30:00+01:00",
        layout="dtm-2023",
        section="news",
        lead=None,
        body_text=body,
        body_html="".join(f"<p>{p}</p>" for p in body.split("\n\n")),
    )
    return dataclasses.replace(made, **changes)  # type: ignore[arg-type]


# Words chosen so that whole-word hits must rank above substring-only ones.
EXTRA = [
    article("rat-tagt", "Sitzung im Rathaus", "Der Rat der Stadt tagt am Montagabend.", published_at="2024-11-05"),
    article("strategie", "Neue Strategie für Parks", "Die Strategie sieht mehr Beratung vor.", tags=["Parkpflege"]),
    article("apparat", "Alter Apparat im Museum", "Ein Apparat aus dem Jahr 1900 wird gezeigt."),
    article("kita-eroeffnet", "Kita am Westpark eröffnet", "Die neue Kita bietet 60 Plätze."),
    article("ob-besucht", "OB besucht die EU-Kommission", "Der OB reist nach Brüssel zur EU."),
    article(
        "partnerschaft",
        "Jubiläum der Städtepartnerschaft",
        "Die Städtepartnerschaft mit Leeds wird gefeiert. Die Straße vor dem Rathaus ist gesperrt.",
        tags=["Internationales"],
        images=[
            Image(
                src="https://www.dortmund.de/bild/fest.jpg",
                alt="Festzelt vor dem Rathaus",
                caption="Das Fest zum Jubiläum",
                credit="Stadt Dortmund / Erika Beispielfoto",
                credit_by="Erika Beispielfoto",
                credit_agency="Stadt Dortmund",
            )
        ],
        related=[RelatedLink(url=BASE + "kita-eroeffnet.html", title="Kita am Westpark eröffnet", district="Hörde")],
    ),
]


class ReaderClient:
    """Datasette's in-process client on an archive, called synchronously (the reader's tests)."""

    def __init__(self, db_path: Path) -> None:
        from newsroom_scraper.reader.web import make_datasette

        self.datasette = make_datasette(db_path)

    def get(self, path: str, status: int = 200) -> Any:
        import asyncio

        response = asyncio.run(self.datasette.client.get(path))
        assert response.status_code == status, (path, response.text[:800])
        return response


@pytest.fixture(scope="session")
def reader_client() -> type[ReaderClient]:
    """``reader_client(db_path)``: a ReaderClient on that archive."""
    return ReaderClient


@pytest.fixture(scope="session")
def reader_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive for the reader's pages: the sample pages, articles made for search, two versions of one."""
    path = tmp_path_factory.mktemp("reader") / "archive.db"
    with Archive(path) as archive:
        run = archive.start_run("http://127.0.0.1:1/newsroom/", {})
        pages = [parse_article(render_article(page), "") for page in sample_pages().values()]
        for item in pages + EXTRA:
            archive.save_article(
                item,
                run_id=run,
                fetched_url=item.url,
                fetched_at="2026-11-20T10:00:00+00:00",
                etag=None,
                last_modified=None,
            )
        archive.finish_run(run, "finished", {}, {"new": len(pages) + len(EXTRA)}, {})
        second = archive.start_run("http://127.0.0.1:1/newsroom/", {})
        changed = dataclasses.replace(
            EXTRA[0],
            body_text="Der Rat der Stadt tagt am Dienstagabend, nicht am Montagabend.",
            title="Sitzung im Rathaus!",
        )
        archive.save_article(
            changed,
            run_id=second,
            fetched_url=changed.url,
            fetched_at="2026-11-21T10:00:00+00:00",
            etag=None,
            last_modified=None,
        )
        archive.finish_run(second, "finished", {}, {"changed": 1}, {})
    return path


# -- fast and end-to-end tests ------------------------------------------------------------------
#
# `@pytest.mark.e2e` (registered in pyproject.toml) marks a test that runs a command in a child
# process (a crawl, `newsroom-archive serve`, pip, wget …) or serves HTTP on loopback (ReplicaServer,
# the Wayback stub), itself or through its fixtures; `make test-fast` leaves these out (`-m "not e2e"`).
# So that the mark stays true, a test without it fails when it, or a fixture set up for it, starts
# either. (A module-scoped fixture is set up for the first test that needs it, so a test sharing an
# e2e test's server is caught only when it happens to run first.)

E2E_HINT = "{item} starts {what}: mark it @pytest.mark.e2e (see tests/conftest.py)"


@contextmanager
def refusing_processes_and_servers(item: pytest.Item) -> Iterator[None]:
    """Outside e2e tests: starting a child process or binding an HTTP server fails the test."""
    if item.get_closest_marker("e2e") is not None:
        yield
        return

    def no_process(*args: Any, **kwargs: Any) -> Any:
        raise pytest.fail.Exception(E2E_HINT.format(item=item.nodeid, what="a child process"), pytrace=False)

    def no_server(self: Any) -> None:
        raise pytest.fail.Exception(E2E_HINT.format(item=item.nodeid, what="an HTTP server"), pytrace=False)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess, "Popen", no_process)
        patch.setattr(http.server.HTTPServer, "server_bind", no_server)
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with refusing_processes_and_servers(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with refusing_processes_and_servers(item):
        return (yield)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """pytest-randomly prints its seed in the header, which -q (make test) hides: repeat it at the end."""
    if config.pluginmanager.hasplugin("randomly"):
        seed = config.getoption("randomly_seed")
        terminalreporter.write_line(
            f"Random test order: --randomly-seed={seed} replays it (-p no:randomly: file order)"
        )
