"""The Wayback backfill against a loopback stub of the CDX API and the id_ memento endpoint."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import zlib
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsroom_replica import ReplicaSite, quote_path
from newsroom_replica.markup import render_article
from newsroom_replica.wayback_stub import StubCapture, WaybackStub, render_old_article
from newsroom_scraper.evidence.warc import archive_files
from newsroom_scraper.evidence.wayback import backfill, wayback_client
from newsroom_scraper.parser.text.urls import canonical_url

pytestmark = pytest.mark.e2e  # backfills from the Wayback stub on loopback (tests/conftest.py: e2e)

OLD = "https://www.dortmund.de/de/leben_in_dortmund/nachrichtenportal/nachricht.jsp?nid="


def rows(db: Path, sql: str) -> list[dict]:
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql)]


def stub_captures() -> tuple[list[StubCapture], str]:
    site = ReplicaSite(articles=3, seed=5, newest=date(2025, 6, 30))
    path = site.article_paths()[0]
    page = render_article(site.page(path)).encode()
    new_url = "https://www.dortmund.de" + quote_path(path)
    old = render_old_article(
        4711,
        "Neue Radwege am See",
        "2019-03-04T10:00:00+01:00",
        ["Ein erfundener Absatz über neue Radwege.", "Ein zweiter erfundener Absatz."],
        "https://www.dortmund.de/media/radweg.jpg",
        "Stadt Dortmund / Erika Beispiel",
    ).encode()
    return [
        StubCapture(OLD + "4711", "20190305080000", old),
        StubCapture(new_url, "20250701090000", page),
        StubCapture(new_url, "20250801090000", page),  # unchanged: a capture, no new version
        StubCapture("https://www.dortmund.de/newsroom/", "20250701090000", b"<html>listing</html>"),  # no article
        StubCapture(OLD + "4712", "20190306080000", b"gone", status=404),  # filtered out by the CDX query
    ], new_url


def test_backfill_writes_warc_reparses_and_fetches_nothing_twice(tmp_path: Path) -> None:
    captures, new_url = stub_captures()
    new_url = canonical_url(new_url)
    db, warc = tmp_path / "newsroom.db", tmp_path / "warc"
    with WaybackStub(captures, page_size=2) as stub:  # page_size: the resume key is followed
        client = wayback_client(stub.url, search_per_second=0, mementos_per_second=0)
        first = backfill(db, warc, client=client)
        assert (first.listed, first.fetched, first.failed) == (3, 3, [])
        fetched = len(stub.mementos_fetched())
        second = backfill(db, warc, client=wayback_client(stub.url, search_per_second=0, mementos_per_second=0))
        assert (second.listed, second.held, second.fetched) == (3, 3, 0)
        assert len(stub.mementos_fetched()) == fetched == 3
        assert all(path.startswith(("/cdx/search/cdx", "/web/")) for path in stub.log)
    articles = {r["url"]: r for r in rows(db, "select * from articles")}
    old = articles[OLD + "4711"]
    assert (old["layout"], old["title"], old["published_at"]) == (
        "generic",
        "Neue Radwege am See",
        "2019-03-04T10:00:00+01:00",
    )
    assert old["credits_text"] == "Stadt Dortmund / Erika Beispiel"
    assert articles[new_url]["layout"] == "dtm-2023" and articles[new_url]["version_count"] == 1
    caps = rows(db, "select url, captured_at, source, source_uri, version from captures order by captured_at")
    assert [c["captured_at"] for c in caps] == [
        "2019-03-05T08:00:00+00:00",
        "2025-07-01T09:00:00+00:00",
        "2025-08-01T09:00:00+00:00",
    ]
    assert {c["source"] for c in caps} == {"wayback"}
    assert caps[1]["source_uri"] == f"https://web.archive.org/web/20250701090000id_/{new_url}"
    files = archive_files(warc)
    assert files and all(p.parent.name == "wayback" for p in files)
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *map(str, files)], capture_output=True)
    assert check.returncode == 0


def test_the_wayback_command_reads_dates_and_reports(tmp_path: Path) -> None:
    captures, _ = stub_captures()
    with WaybackStub(captures) as stub:
        command = [sys.executable, "-m", "newsroom_scraper", "wayback", "--db", str(tmp_path / "a.db")]
        done = subprocess.run(
            [*command, "--from", "2020-01-01", "--wayback-url", stub.url, "--mementos-per-second", "0"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "2 article captures listed, 0 already held, 2 fetched, 0 too large, 0 failed" in done.stdout
        bad = subprocess.run([*command, "--from", "gestern"], capture_output=True, text=True, timeout=60)
        assert bad.returncode == 2 and "gestern" in bad.stderr


def gzip_of_zeros(size: int) -> bytes:
    """A gzip member inflating to ``size`` zero bytes, compressed a MiB at a time (a bomb, ~1000:1)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    block = bytes(1 << 20)
    return b"".join(compressor.compress(block) for _ in range(size >> 20)) + compressor.flush()


BACKFILL_IN_A_CHILD = """
import resource, sys
from newsroom_scraper.evidence.wayback import backfill, wayback_client
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
client = wayback_client(sys.argv[1], search_per_second=0, mementos_per_second=0)
report = backfill(sys.argv[2], sys.argv[3], client=client)
print("\\n".join(report.lines()))
print("grown_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_a_memento_that_is_a_gzip_bomb_is_a_too_large_skip_in_bounded_memory(tmp_path: Path) -> None:
    """Issue 17, 4: a memento served as an HTTP gzip bomb was inflated whole (2 GiB: 6,236 MB peak,
    exit 0); now it is read to the crawl's DOWNLOAD_MAXSIZE and reported as too-large."""
    captures, new_url = stub_captures()
    bomb = gzip_of_zeros(256 << 20)  # 256 MiB inflated, ~250 KB on the wire
    bombed = OLD + "4713"
    captures.append(StubCapture(bombed, "20190307080000", bomb, headers=(("Content-Encoding", "gzip"),)))
    with WaybackStub(captures) as stub:
        done = subprocess.run(
            [sys.executable, "-c", BACKFILL_IN_A_CHILD, stub.url, str(tmp_path / "a.db"), str(tmp_path / "warc")],
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert done.returncode == 0, done.stderr
    assert "4 article captures listed, 0 already held, 3 fetched, 1 too large, 0 failed" in done.stdout
    assert f"too-large: {bombed} 2019-03-07T08:00:00+00:00: more than 8388608 bytes decoded" in done.stdout
    grown_mb = int(done.stdout.rsplit("grown_kib ", 1)[1]) / 1024
    assert grown_mb < 96  # a few times the 8 MiB cap, not the bomb's 256 MiB
    assert bombed not in {r["url"] for r in rows(tmp_path / "a.db", "select url from captures")}


def test_each_memento_is_checked_against_the_cdx_digest_and_the_result_kept_in_its_record(tmp_path: Path) -> None:
    captures, _ = stub_captures()
    damaged = OLD + "4713"
    captures.append(StubCapture(damaged, "20190308080000", captures[0].body, cdx_digest="A" * 32))
    with WaybackStub(captures) as stub:
        report = backfill(
            tmp_path / "a.db",
            tmp_path / "warc",
            client=wayback_client(stub.url, search_per_second=0, mementos_per_second=0),
        )
    assert report.digests == {"matches": 3, "differs": 1}
    assert report.differing == [f"{damaged} 2019-03-08T08:00:00+00:00: CDX sha1:{'A' * 32}"]
    assert "  CDX digest check: 1 differs, 3 matches" in report.lines()
    checks = {}
    for path in archive_files(tmp_path / "warc"):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    checks[uri] = (
                        record.rec_headers.get_header("WARC-Wayback-Digest-Check"),
                        record.rec_headers.get_header("WARC-Wayback-CDX-Digest"),
                    )
    assert checks[damaged] == ("differs", "sha1:" + "A" * 32)
    assert {check for uri, (check, _) in checks.items() if uri != damaged} == {"matches"}
