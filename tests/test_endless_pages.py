"""A page without Content-Length beyond DOWNLOAD_MAXSIZE, and an endless stream, are recorded as
too-large (not network) and not asked for again every run (issue 17, 8)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # crawls a loopback server in child processes

ROOT = Path(__file__).resolve().parents[1]
NEWS = "/newsroom/nachrichten-dortmund.de/"
HUGE, ENDLESS = NEWS + "riesig.html", NEWS + "endlos.html"
SITEMAP = "".join(f"<url><loc>{{origin}}{path}</loc></url>" for path in (HUGE, ENDLESS))
SITEMAP = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{SITEMAP}</urlset>'


@contextmanager
def streaming_site() -> Iterator[tuple[str, list[str]]]:
    """A sitemap of two articles: one of 50 MB and one without end, both without Content-Length
    (HTTP/1.0, the body ends when the connection closes). Yields its URL and the paths asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            asked.append(self.path)
            origin = f"http://127.0.0.1:{server.server_address[1]}"
            small = {"/robots.txt": f"Sitemap: {origin}/sitemap.xml\n", "/sitemap.xml": SITEMAP.format(origin=origin)}
            if self.path not in (*small, HUGE, ENDLESS):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8")
            self.end_headers()
            if self.path in small:
                self.wfile.write(small[self.path].encode())
                return
            chunk = b"<p>" + b"x" * (1 << 20) + b"</p>"
            try:
                self.wfile.write(b"<!DOCTYPE html><html><head><title>t</title></head><body>")
                for _ in range(50) if self.path == HUGE else iter(int, 1):  # 50 MB, or forever
                    self.wfile.write(chunk)
            except OSError:  # the crawler hung up: what it does with a body beyond its limit
                pass

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def crawl(url: str, db: Path, *options: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", f"{url}/newsroom/", "--db", str(db)]
    command += ["--delay", "0", "--log-level", "WARNING", "--no-warc", *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)


def errors(db: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("select url, kind from crawl_errors order by run_id, url").fetchall()


def test_a_50_mb_page_and_an_endless_stream_are_too_large_and_not_asked_for_every_run(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with streaming_site() as (url, asked):
        first = crawl(url, db)
        assert first.returncode == 0 and "by kind: too-large 2" in first.stdout, first.stdout + first.stderr
        assert sorted(errors(db)) == [(url + ENDLESS, "too-large"), (url + HUGE, "too-large")]
        assert asked.count(HUGE) == asked.count(ENDLESS) == 1  # not retried within the run either
        asked.clear()
        second = crawl(url, db)
        assert HUGE not in asked and ENDLESS not in asked, asked  # neither retried nor found again
        assert second.returncode == 0, second.stdout + second.stderr
        assert "too-large 2 not asked for again until a --recheck-all run" in second.stdout, second.stdout
        weekly = crawl(url, db, "--recheck-all")  # the weekly run asks again: a page may have shrunk
        assert asked.count(HUGE) == asked.count(ENDLESS) == 1
        assert weekly.returncode == 0 and "by kind: too-large 2" in weekly.stdout
