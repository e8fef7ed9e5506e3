"""`newsroom-archive doctor` against the replica and each of its switches: no sitemap, cookies
required, the search API down, article pages in a changed markup. The probe runs in a child
process (Scrapy's reactor runs once per process); the replica in this one, so its log is read."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from newsroom_replica import ReplicaServer, ReplicaSite

pytestmark = pytest.mark.e2e  # runs `newsroom-archive doctor` against a replica (tests/conftest.py: e2e)

ROOT = Path(__file__).resolve().parents[1]


def doctor(server: ReplicaServer, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsroom_scraper", "doctor", "--start-url", f"{server.url}/newsroom/", "--delay", "0"]
        + list(options),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def checks(completed: subprocess.CompletedProcess) -> dict[str, dict]:
    return {check["name"]: check for check in json.loads(completed.stdout)["checks"]}


def test_a_healthy_site_passes_with_a_handful_of_requests():
    site = ReplicaSite(articles=30, seed=23, newest=date.today())
    with ReplicaServer(site) as server:
        completed = doctor(server)
        requests = server.paths()
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[-1] == "OK: discovery and parsing work" and "cookies: not needed" in completed.stdout
    for name in ("robots.txt", "start page", "listing", "search API", "sitemaps", "article"):
        row = next(line for line in lines if line.startswith(f"  {name} "))
        assert row[len(name) + 2 :].split()[0] == "ok", row
    assert len(requests) <= 10  # a probe, not a crawl
    assert sum(1 for path in requests if path.endswith(".html")) == 1  # one article


def test_no_sitemap_and_cookies_required_still_pass_and_are_reported():
    site = ReplicaSite(articles=30, seed=23, newest=date.today(), sitemap=False)
    with ReplicaServer(site, require_cookie=True) as server:
        completed = doctor(server, "--json")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    diagnosis = json.loads(completed.stdout)
    assert diagnosis["ok"] and diagnosis["cookies_needed"]
    found = checks(completed)
    assert found["sitemaps"]["verdict"] == "skip" and found["listing"]["articles"] == 10


def test_a_search_api_that_is_down_is_broken_discovery():
    site = ReplicaSite(articles=30, seed=23, newest=date.today())
    site.search_down = True
    with ReplicaServer(site) as server:
        completed = doctor(server, "--json")
    assert completed.returncode == 1
    assert json.loads(completed.stdout)["broken"] == ["search API"]
    assert checks(completed)["search API"]["status"] == 503


def test_a_changed_markup_is_broken_parsing():
    site = ReplicaSite(articles=30, seed=23, newest=date.today())
    site.changed_markup = True
    with ReplicaServer(site) as server:
        completed = doctor(server)
    assert completed.returncode == 1
    assert completed.stdout.splitlines()[-1] == "BROKEN: article (exit 1)"
    assert "generic fallback" in completed.stdout


def test_a_site_without_robots_txt_is_no_failure(monkeypatch):
    site = ReplicaSite(articles=30, seed=23, newest=date.today(), sitemap=False)
    render = site.render
    monkeypatch.setattr(
        site, "render", lambda target, base: site.not_found() if target == "/robots.txt" else render(target, base)
    )
    with ReplicaServer(site) as server:
        completed = doctor(server, "--json")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    found = checks(completed)
    assert found["robots.txt"]["status"] == 404 and found["robots.txt"]["verdict"] == "ok"
    assert found["sitemaps"]["verdict"] == "skip"


def test_a_sitemap_the_archive_used_that_vanished_is_broken(tmp_path):
    """Issue 18, 2: a site without sitemaps passes, but a sitemap the archive's runs found articles
    through and that is gone now is broken discovery (it used to say "not used", exit 0)."""
    site = ReplicaSite(articles=30, seed=23, newest=date.today())
    db = tmp_path / "newsroom.db"
    with ReplicaServer(site) as server:
        crawled = subprocess.run(
            [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", f"{server.url}/newsroom/"]
            + ["--db", str(db), "--delay", "0", "--concurrency", "8", "--log-level", "WARNING"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert crawled.returncode == 0, crawled.stdout + crawled.stderr
        site.routes.sitemap = False  # robots.txt names no sitemap any more
        completed = doctor(server, "--json", "--db", str(db))
        unknown = doctor(server, "--json", "--db", str(tmp_path / "none.db"))
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert json.loads(completed.stdout)["broken"] == ["sitemaps"]
    assert "the archive's last runs found" in checks(completed)["sitemaps"]["note"]
    assert unknown.returncode == 0 and checks(unknown)["sitemaps"]["verdict"] == "skip"  # no history: not used
