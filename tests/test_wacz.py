"""WACZ per month (issue 19, 6): the crawl's WARC files packed with their index, one page per
article capture, SHA-256 of every file and an anonymous ECDSA signature that ReplayWeb.page's
rules verify; py-wacz's own `wacz validate` accepts it and reparse reads it back."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import stat
import subprocess
import sys
import time
import zipfile
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from newsroom_replica import ReplicaServer, ReplicaSite
from newsroom_scraper.evidence.reparse import reparse
from newsroom_scraper.evidence.warc.wacz import verify_signed_data
from newsroom_scraper.items import memento_timestamp

from evidence_helpers import replayed_text, stage_replaywebpage

pytestmark = pytest.mark.e2e  # crawls a replica and runs commands in child processes

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = 7
FAST = ["--delay", "0", "--concurrency", "8", "--log-level", "WARNING", "--refresh-days", "36500"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "newsroom_scraper", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=ROOT)


EDIT = "Ein Satz, den die Redaktion für den WACZ-Test nachgetragen hat."


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A crawl, an edit of one article, a re-check of all (one changed capture, 304s), one export."""
    site = ReplicaSite(articles=ARTICLES, seed=3, newest=date.today())
    db = tmp_path_factory.mktemp("wacz") / "newsroom.db"
    with ReplicaServer(site) as server:
        crawled = run("crawl", "--start-url", f"{server.url}/newsroom/", "--db", str(db), *FAST)
        assert crawled.returncode == 0, crawled.stdout + crawled.stderr
        time.sleep(1.0 - time.time() % 1.0)  # the re-check's captures in a later second
        site.edit_article(site.article_paths()[0], EDIT)
        again = run("crawl", "--start-url", f"{server.url}/newsroom/", "--db", str(db), *FAST, "--recheck-all")
        assert again.returncode == 0, again.stdout + again.stderr
    first = run("export-wacz", "--db", str(db))
    assert first.returncode == 0, first.stderr
    packages = sorted((db.parent / "wacz").glob("*.wacz"))
    assert len(packages) == 1
    return db, packages[0], first.stdout


def members(package: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(package) as wacz:
        return {name: wacz.read(name) for name in wacz.namelist()}


def test_the_package_holds_the_months_warc_index_pages_and_digests(exported):
    db, package, stdout = exported
    files = members(package)
    warcs = sorted(p.name for p in (db.parent / "warc").glob("newsroom-*.warc.gz"))
    assert sorted(n.removeprefix("archive/") for n in files if n.startswith("archive/")) == warcs
    assert {"indexes/index.cdxj", "pages/pages.jsonl", "datapackage.json", "datapackage-digest.json"} <= set(files)
    package_json = json.loads(files["datapackage.json"])
    assert package_json["profile"] == "data-package" and package_json["wacz_version"] == "1.1.1"
    listed = {r["path"]: r for r in package_json["resources"]}
    assert set(listed) == set(files) - {"datapackage.json", "datapackage-digest.json"}
    for path, resource in listed.items():
        assert resource["hash"] == "sha256:" + hashlib.sha256(files[path]).hexdigest()
        assert resource["bytes"] == len(files[path])
    for line in files["indexes/index.cdxj"].decode().splitlines():  # the index names archive/ members
        assert f"archive/{json.loads(line.split(' ', 2)[2])['filename']}" in files
    digest = json.loads(files["datapackage-digest.json"])
    assert digest["hash"] == "sha256:" + hashlib.sha256(files["datapackage.json"]).hexdigest()
    assert f"{package}: {len(warcs)} WARC file(s), {ARTICLES + 1} page(s)" in stdout  # + the changed one


def test_every_article_capture_is_a_page_with_its_title(exported):
    db, package, _ = exported
    lines = members(package)["pages/pages.jsonl"].decode().splitlines()
    assert json.loads(lines[0])["format"] == "json-pages-1.0"
    pages = [json.loads(line) for line in lines[1:]]
    with closing(sqlite3.connect(db)) as conn:
        titles = dict(conn.execute("select fetched_url, title from articles").fetchall())
        captures = conn.execute("select count(*) from captures where status = 200 and kind = 'article'").fetchone()[0]
    assert {p["url"]: p["title"] for p in pages} == titles and len(pages) == captures == ARTICLES + 1
    assert all(p["ts"].endswith("Z") and len(p["ts"]) == 20 for p in pages)


def test_the_signature_verifies_with_the_archives_public_key_and_fails_when_tampered(exported):
    db, package, _ = exported
    signed = json.loads(members(package)["datapackage-digest.json"])["signedData"]
    assert verify_signed_data(signed)
    public = (db.parent / "wacz-signing-key.pem.pub").read_text().strip()
    assert signed["publicKey"] == public and len(base64.b64decode(signed["signature"])) == 96
    assert not verify_signed_data({**signed, "hash": "sha256:" + "0" * 64})
    key_mode = stat.S_IMODE((db.parent / "wacz-signing-key.pem").stat().st_mode)
    assert key_mode == 0o600


def test_py_wacz_validates_the_package(exported):
    _, package, _ = exported
    checked = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(package)], capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "valid" in checked.stdout


def test_reparse_of_the_package_rebuilds_the_articles(exported, tmp_path):
    db, package, _ = exported
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / package.name).write_bytes(package.read_bytes())
    report = reparse(folder, tmp_path / "from-wacz.db")
    assert report.outcomes["new"] == ARTICLES


def test_a_current_package_is_not_rewritten_and_an_unknown_month_is_one_line(exported):
    db, package, _ = exported
    before = package.stat().st_mtime_ns
    again = run("export-wacz", "--db", str(db))
    assert again.returncode == 0 and again.stdout.strip() == f"{package}: up to date"
    assert package.stat().st_mtime_ns == before
    missing = run("export-wacz", "--db", str(db), "--month", "1999-01")
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0 and "no WARC file of 1999-01" in missing.stderr


@pytest.mark.e2e
def test_replayweb_page_replays_the_first_the_changed_and_a_304_time_capture(exported, chromium, tmp_path):
    db, package, _ = exported
    stage_replaywebpage(tmp_path, package)
    with closing(sqlite3.connect(db)) as conn:
        edited = conn.execute(
            "select c.url, c.captured_at, a.title from captures c join articles a on a.id = c.article_id"
            " where a.version_count = 2 and c.kind = 'article' order by c.captured_at"
        ).fetchall()
        unchanged = conn.execute(
            "select c.url, c.captured_at, a.title from captures c join articles a on a.id = c.article_id"
            " where c.status = 304 order by c.captured_at limit 1"
        ).fetchone()
    (url, first_at, title), (_, changed_at, _) = edited
    first = replayed_text(chromium, tmp_path, url, memento_timestamp(first_at))
    assert title in first and EDIT not in first
    changed = replayed_text(chromium, tmp_path, url, memento_timestamp(changed_at))
    assert title in changed and EDIT in changed
    # At a 304's time the last full capture is shown (the 304 is no record of the index).
    assert unchanged[2] in replayed_text(chromium, tmp_path, unchanged[0], memento_timestamp(unchanged[1]))
