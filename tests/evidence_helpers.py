"""Helpers the evidence tests share (tests/test_archival.py, tests/test_wacz.py, tests/test_held_out.py):
crawling the replica with WARC, the permalinks an archive has issued and what they answer, GNU wget's
WARC, a Wayback backfill of older captures, and replay by ReplayWeb.page (Chromium) and pywb.

Importable by name because pyproject.toml's pytest ``pythonpath`` holds tests/; the fixtures
(``chromium``) stay in conftest.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import importlib.util
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from newsroom_replica import ReplicaServer, ReplicaSite, quote_path
from newsroom_replica.markup import render_article
from newsroom_replica.wayback_stub import StubCapture, WaybackStub
from newsroom_scraper.evidence.wayback import BackfillReport, backfill, wayback_client
from newsroom_scraper.reader.web import make_datasette

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--delay", "0", "--concurrency", "8", "--log-level", "WARNING", "--refresh-days", "36500"]


def crawl(server: ReplicaServer, db: Path, *options: str, images: bool = False) -> str:
    """`newsroom-archive crawl` of the replica into ``db`` (``FAST``, then ``options``); its report.
    Images are left out unless asked for (tests/test_images.py reparses pictures)."""
    command = [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", f"{server.url}/newsroom/"]
    command += ["--db", str(db), *FAST, *([] if images else ["--no-images"]), *options]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rows(db: Path, sql: str, *params: object) -> list[dict]:
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def copy_db(source: Path, target: Path) -> Path:
    with closing(sqlite3.connect(source)) as a, closing(sqlite3.connect(target)) as b:
        a.backup(b)
    return target


def wget_warc(server: ReplicaServer, paths: list[str], folder: Path, name: str = "wget", *options: str) -> None:
    """GNU wget's WARC ``folder/name.warc.gz`` of a few article pages (another tool's captures), when
    wget is installed; ``options`` such as ``--warc-cdx`` or ``--warc-dedup=FILE``."""
    if shutil.which("wget") is None:
        return
    folder.mkdir(exist_ok=True)
    urls = [server.url + path for path in paths]
    command = ["wget", "-q", "--no-warc-keep-log", f"--warc-file={folder}/{name}", "-O", "/dev/null", *options, *urls]
    subprocess.run(command, check=True, timeout=60, cwd=folder)


# -- permalinks ---------------------------------------------------------------------------------


def issued_versions(db: Path) -> dict[int, dict]:
    """Every version id the archive has issued, with the record of its capture, its title and text."""
    sql = """select v.id, c.record_id, v.title, v.body_text from article_versions v
        join captures c on c.id = v.capture_id"""
    return {r["id"]: r for r in rows(db, sql)}


def assert_answers(db: Path, issued: dict[int, dict], title_suffix: str = "") -> None:
    """Each issued permalink answers (the reader, through Datasette) with its version: the same text,
    and the capture it was issued for among the version's captures."""
    datasette = make_datasette(db)
    for version_id, then in issued.items():
        response = asyncio.run(datasette.client.get(f"/newsroom/article_versions/{version_id}.json?_shape=objects"))
        assert response.status_code == 200, version_id
        (now,) = response.json()["rows"]
        assert (now["title"], now["body_text"]) == (then["title"] + title_suffix, then["body_text"]), version_id
        held = rows(
            db,
            """select c.record_id from captures c join article_versions v
            on v.article_id = c.article_id and v.version = c.version where v.id = ?""",
            version_id,
        )
        assert then["record_id"] in {h["record_id"] for h in held}, version_id


def backfill_older_captures(site: ReplicaSite, db: Path, folder: Path, first: str, edited: str) -> BackfillReport:
    """A Wayback backfill (the loopback stub) of two captures older than the crawl's: of ``first``
    with another title (a new version 1 before the crawl's), of ``edited`` with the content its
    first version had before the edit's last paragraph (it joins that version)."""
    older = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).strftime("%Y%m%d%H%M%S")
    draft = dataclasses.replace(site.page(first), title="Eine frühere Überschrift")
    before_edit = site.page(edited)
    before_edit = dataclasses.replace(before_edit, blocks=before_edit.blocks[:-1])
    captures = [
        StubCapture("https://www.dortmund.de" + quote_path(first), older, render_article(draft).encode()),
        StubCapture("https://www.dortmund.de" + quote_path(edited), older, render_article(before_edit).encode()),
    ]
    with WaybackStub(captures) as stub:
        return backfill(db, folder, client=wayback_client(stub.url, search_per_second=0, mementos_per_second=0))


# -- ReplayWeb.page in Chromium -----------------------------------------------------------------

REPLAYWEBPAGE = ROOT / ".cache" / "replaywebpage" / "package"  # `make test` fetches it with npm
EMBED = """<!doctype html><html lang="de"><head><meta charset="utf-8"><script src="/ui.js"></script></head><body>
<replay-web-page style="display:block;height:600px" source="/package.wacz" url="{url}" ts="{ts}"
 replayBase="/replay/" embed="replayonly"></replay-web-page></body></html>"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # no request lines in the test output
        pass


def stage_replaywebpage(folder: Path, package: Path) -> Path:
    """``folder`` made ready to serve ReplayWeb.page on ``package`` (skips the test where it is not
    fetched); returns ``folder``."""
    if not (REPLAYWEBPAGE / "sw.js").exists():
        pytest.skip("ReplayWeb.page is not in .cache/replaywebpage (make test fetches it with npm)")
    (folder / "replay").mkdir(parents=True)
    shutil.copyfile(REPLAYWEBPAGE / "ui.js", folder / "ui.js")
    shutil.copyfile(REPLAYWEBPAGE / "sw.js", folder / "replay" / "sw.js")
    shutil.copyfile(package, folder / "package.wacz")
    return folder


def replayed_text(chromium: Any, folder: Path, url: str, ts: str) -> str:
    """The text of the page ReplayWeb.page shows for ``url`` at ``ts``, from the package in ``folder``
    (``stage_replaywebpage``)."""
    (folder / "index.html").write_text(EMBED.format(url=url, ts=ts), encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = chromium().new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text[:160]))
        page.goto(f"http://127.0.0.1:{server.server_port}/index.html")
        # The service worker indexes the package first. A load that raced its start shows nothing
        # until reloaded: the replay frame was fetched from this server (its directory listing)
        # instead of from the worker. Reload as soon as that is seen, else after a minute.
        for attempt in range(3):
            if attempt:
                page.reload()
            for _ in range(240):
                if text := _replayed(page):
                    return text
                if _raced(page):
                    break
                page.wait_for_timeout(250)
        seen = [(frame.url[:100], frame.title() if not frame.is_detached() else "detached") for frame in page.frames]
        raise AssertionError(f"ReplayWeb.page showed nothing for {url} at {ts}; frames: {seen}; console: {console}")
    finally:
        server.shutdown()
        server.server_close()


def _raced(page: Any) -> bool:
    """Whether ReplayWeb.page's frame was answered by the HTTP server, not by its service worker."""
    for frame in page.frames:
        if "/replay/?" in frame.url:
            try:
                return bool(frame.evaluate("document.title.startsWith('Directory listing')"))
            except Exception:  # the frame navigated away while being read
                return False
    return False


def _replayed(page: Any) -> str:
    """The text of the archived page inside ReplayWeb.page's frame, once it shows one."""
    for frame in page.frames:
        if "/replay/w/" in frame.url:
            try:
                text = frame.evaluate("document.querySelector('h1') ? document.body.innerText : ''")
            except Exception:  # the frame navigated away while being read
                continue
            if text:
                return str(text)
    return ""


# -- pywb ---------------------------------------------------------------------------------------

PYWB_VENV = ROOT / ".cache" / "pywb-venv"  # `make test` installs pywb there (GPL: never a dependency)


def pywb_replay() -> ModuleType:
    """bench/pywb_replay.py (its collection, server and fetch), loaded by path: bench/ is no package."""
    spec = importlib.util.spec_from_file_location("pywb_replay", ROOT / "bench" / "pywb_replay.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
