"""End to end: a crawl of a replica writes WARC; reparse rebuilds the same archive from it.

One module-scoped crawl history (a first run, an edit on the site, a second run that re-checks
every article), read by every test; a test that writes copies the archive first.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders

from newsroom_replica import ReplicaServer, ReplicaSite, quote_path
from newsroom_replica.markup import render_article
from newsroom_scraper.evidence import reparse as reparse_module
from newsroom_scraper.evidence.reparse import reparse
from newsroom_scraper.evidence.warc import archive_files, iter_captures, read_record_at
from newsroom_scraper.items import WarcLocation
from newsroom_scraper.reader.plugins.citation import check_commands
from newsroom_scraper.store import Archive

from evidence_helpers import (
    assert_answers,
    backfill_older_captures,
    copy_db,
    crawl,
    issued_versions,
    rows,
    wget_warc,
)

pytestmark = pytest.mark.e2e  # crawls a replica in child processes (tests/conftest.py: e2e)

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = 25
EDIT = "Ein Absatz, den die Redaktion für den Test nachgetragen hat."


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Two crawls with WARC: all articles new, then one edited and the others answering 304."""
    site = ReplicaSite(articles=ARTICLES, seed=11, newest=date.today())
    db = tmp_path_factory.mktemp("archival") / "newsroom.db"
    with ReplicaServer(site) as server:
        first = crawl(server, db)
        # WARC-Date has whole seconds (wget's too): the edit's captures come in a later second
        # than the first crawl's, or a wget capture of the edited page, tied with the first
        # crawl's and read first (imports/ sorts before newsroom-…), would be taken for the older.
        time.sleep(1.0 - time.time() % 1.0)
        edited = site.article_paths()[3]
        site.edit_article(edited, EDIT)
        second = crawl(server, db)
        wget_warc(server, site.article_paths()[:4], db.parent / "wget")
    return site, db, db.parent / "warc", first, second


def dump(db: Path) -> dict[str, list[tuple]]:
    """Both archives' contents, keyed by URL and record id instead of row ids and run ids."""
    article_columns = [c["name"] for c in rows(db, "pragma table_info(articles)") if c["name"] != "id"]
    return {
        "articles": sorted(tuple(r[c] for c in article_columns) for r in rows(db, "select * from articles")),
        "images": sorted(  # row ids left out: the crawl stores in the order its parses end
            tuple(v for k, v in r.items() if k != "article_id")
            for r in rows(db, "select a.url, i.* from images i join articles a on a.id = i.article_id")
        ),
        "tags": sorted(
            (r["url"], r["position"], r["tag"])
            for r in rows(db, "select a.url, t.* from tags t join articles a on a.id = t.article_id")
        ),
        "versions": sorted(
            (
                r["url"],
                r["version"],
                r["content_hash"],
                r["fetched_at"],
                r["title"],
                r["body_text"],
                r["data"],
                r["rid"],
            )
            for r in rows(
                db,
                "select a.url, v.*, c.record_id as rid from article_versions v join articles a on a.id = v.article_id "
                "left join captures c on c.id = v.capture_id",
            )
        ),
        "captures": sorted(
            (r["aurl"], r["url"], r["version"], r["captured_at"], r["status"], r["warc_file"], r["warc_offset"])
            + (r["warc_length"], r["record_id"], r["payload_digest"], r["source"])
            + (r["payload_sha256"], r["decoded_sha256"])
            for r in rows(db, "select a.url as aurl, c.* from captures c join articles a on a.id = c.article_id")
        ),
    }


def exact(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows with their ids, in id order: two rebuilds from the same files are the same
    bytes (the full-text indexes aside: their segments depend on how the rows were written)."""
    names = [r["name"] for r in rows(db, "select name from sqlite_master where type = 'table' order by name")]
    skip = ("articles_fts", "version_words", "crawl_runs", "_sqlite_migrations", "sqlite_")
    return {
        name: [tuple(r.values()) for r in rows(db, f"select * from {name} order by rowid")]
        for name in names
        if not name.startswith(skip)
    }


def test_crawl_writes_valid_warc_of_every_exchange(crawled):
    site, db, warc, first, second = crawled
    files = archive_files(warc)
    assert files and all(p.name.startswith("newsroom-") and p.name.endswith(".warc.gz") for p in files)
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, files)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    every = list(iter_captures(warc))
    paths = {c.url.split("/", 3)[3] for c in every}
    assert {"robots.txt", "api/search/proxy/search", "newsroom/"} <= paths
    assert any(p.startswith("sitemap") for p in paths)
    assert f"{ARTICLES} new" in first and f"{ARTICLES - 1} not modified" in second and "1 changed" in second
    assert sum(c.status == 304 for c in every) == ARTICLES - 1
    index = (warc / "index.cdxj").read_text()
    assert '"status": "304"' not in index and "__wb_method=post" in index


def test_every_article_response_is_a_capture_that_points_at_its_record(crawled):
    _, db, warc, _, _ = crawled
    captures = rows(db, "select * from captures order by id")
    assert len(captures) == 2 * ARTICLES and {c["source"] for c in captures} == {"crawl"}
    for capture in captures[:5]:
        location = WarcLocation(capture["warc_file"], capture["warc_offset"], 0, capture["record_id"], None)
        body = read_record_at(warc, location)
        assert (b"<html" in body) == (capture["status"] == 200)
    versions = rows(
        db,
        "select v.version, c.captured_at, v.fetched_at from article_versions v join captures c on c.id = v.capture_id",
    )
    assert len(versions) == ARTICLES + 1 and all(v["captured_at"] == v["fetched_at"] for v in versions)


def test_reparse_into_an_empty_archive_rebuilds_the_crawls_archive(crawled, tmp_path):
    _, db, warc, _, _ = crawled
    rebuilt = tmp_path / "rebuilt.db"
    report = reparse(warc, rebuilt)
    assert report.outcomes["new"] == ARTICLES and report.captures == 2 * ARTICLES
    assert dump(rebuilt) == dump(db)
    again = reparse(warc, rebuilt)
    assert again.outcomes["unchanged"] == ARTICLES
    assert dump(rebuilt) == dump(db)


@pytest.mark.parametrize("here_bytes", [0, 15_000, 10**9])  # the first parts read in this process, or none, or all
def test_reparse_in_worker_processes_rebuilds_the_same_archive_in_capture_order(
    crawled, tmp_path, monkeypatch, here_bytes
):
    _, db, warc, _, _ = crawled
    monkeypatch.setattr(reparse_module, "PART_BYTES", 3_000)  # many parts, more than the few allowed in flight
    monkeypatch.setattr(reparse_module, "HERE_BYTES", here_bytes)
    here = reparse(warc, tmp_path / "here.db", workers=0)
    pooled = reparse(warc, tmp_path / "pooled.db", workers=2)
    assert pooled.outcomes == here.outcomes and pooled.outcomes["new"] == ARTICLES
    assert pooled.captures == here.captures == 2 * ARTICLES and pooled.not_articles == here.not_articles
    assert dump(tmp_path / "pooled.db") == dump(db) == dump(tmp_path / "here.db")
    assert exact(tmp_path / "pooled.db") == exact(tmp_path / "here.db")
    assert reparse(warc, tmp_path / "pooled.db", workers=2).outcomes["unchanged"] == ARTICLES


def test_a_damaged_file_is_reported_and_the_others_are_read_in_workers_as_in_process(crawled, tmp_path, monkeypatch):
    """Issue 19, 5: one bad file stopped the whole reparse (exit 2) and left its run row without a status."""
    _, _, warc, _, _ = crawled
    monkeypatch.setattr(reparse_module, "PART_BYTES", 3_000)
    folder = shutil.copytree(warc, tmp_path / "warc")
    (path,) = [p for p in archive_files(folder) if p.stat().st_size > 20_000][:1]
    data = path.read_bytes()
    path.write_bytes(data[: data.find(b"\x1f\x8b\x08", len(data) // 2) + 5])  # cut in a record's gzip header
    reports = []
    for workers in (0, 2):
        report = reparse(folder, tmp_path / f"{workers}.db", workers=workers)
        reports.append((report.unreadable, report.files, report.outcomes, report.captures))
        (message,) = report.unreadable.values()
        assert message.startswith(f"{path.name}: cannot read: ")
        assert 0 < report.captures < 2 * ARTICLES and report.outcomes["new"] > 0  # the records before, the other file
        assert not report.damaged and not report.not_articles
        (run,) = rows(tmp_path / f"{workers}.db", "select finish_reason, error_count, stats from crawl_runs")
        assert run["finish_reason"] == "finished" and run["error_count"] == 1 and path.name in run["stats"]
        assert any(line.startswith(f"  ! {path.name}: cannot read") for line in report.lines())
    assert reports[0] == reports[1]
    assert exact(tmp_path / "0.db") == exact(tmp_path / "2.db")


def test_reading_goes_on_past_damaged_bytes_from_the_next_record(crawled, tmp_path, monkeypatch):
    """Garbage between two records stopped warcio, and every later record of the file was lost."""
    _, db, warc, _, _ = crawled
    monkeypatch.setattr(reparse_module, "PART_BYTES", 3_000)
    folder = shutil.copytree(warc, tmp_path / "warc")
    (path,) = [p for p in archive_files(folder) if p.stat().st_size > 20_000][:1]
    data = path.read_bytes()
    between = data.find(b"\x1f\x8b\x08", len(data) // 2)  # a gzip member that opens a record
    path.write_bytes(data[:between] + bytes(range(256)) * 8 + data[between:])
    for workers in (0, 2):
        report = reparse(folder, tmp_path / f"{workers}.db", workers=workers)
        (messages,) = report.damaged.values()
        expected = f"{path.name}: bytes {between}–{between + 2048} cannot be read ("
        assert len(messages) == 1 and messages[0].startswith(expected), messages
        assert messages[0].endswith(f"read on from the record at byte {between + 2048}") and messages[0].isprintable()
        assert not report.unreadable and not report.not_articles
        assert report.captures == 2 * ARTICLES and report.outcomes["new"] == ARTICLES  # nothing lost
        (run,) = rows(tmp_path / f"{workers}.db", "select error_count from crawl_runs")
        assert run["error_count"] == 1
    assert dump(tmp_path / "0.db") == dump(tmp_path / "2.db")
    rebuilt, crawled_db = dump(tmp_path / "0.db"), dump(db)  # the same, but for the offsets after the garbage
    assert len(rebuilt.pop("captures")) == len(crawled_db.pop("captures")) and rebuilt == crawled_db


def test_a_damaged_gzip_member_is_named_and_reading_goes_on_after_it(crawled, tmp_path, monkeypatch):
    """A flipped byte in one record's gzip member: warcio stopped there, and the file's later records
    were lost. Now the bytes of that member are named (from the record's offset), and not taken."""
    _, db, warc, _, _ = crawled
    monkeypatch.setattr(reparse_module, "PART_BYTES", 3_000)
    folder = shutil.copytree(warc, tmp_path / "warc")
    (capture,) = rows(db, "select url, warc_file, warc_offset, warc_length from captures where status = 200 limit 1")
    path = folder / capture["warc_file"]
    data = bytearray(path.read_bytes())
    start, end = capture["warc_offset"], capture["warc_offset"] + capture["warc_length"]
    middle = (start + end) // 2
    data[middle : middle + 4] = bytes(b ^ 0x5A for b in data[middle : middle + 4])  # the file keeps its length
    path.write_bytes(bytes(data))
    for workers in (0, 2):
        report = reparse(folder, tmp_path / f"{workers}.db", workers=workers)
        (messages,) = report.damaged.values()
        # where the damage falls among warcio's 16 KB reads decides which: the member's bytes, or its record cut
        as_bytes = f"{capture['warc_file']}: bytes {start}–{end} cannot be read ("
        as_record = f"{capture['warc_file']}: record at byte {start} ({capture['url']}): "
        assert len(messages) == 1 and len(messages[0]) < 400, messages
        assert messages[0].startswith((as_bytes, as_record)), messages
        assert messages[0].endswith((f"read on from the record at byte {end}", "; not taken"))
        assert not report.unreadable and not report.not_articles  # the other records are read, none parsed cut
        # that page's only full capture: its 304 of the next crawl has nothing to confirm
        assert report.captures == 2 * ARTICLES - 2 and report.outcomes["new"] == ARTICLES - 1
        assert report.total("skipped: a 304 of a page with no full capture") == 1
        (run,) = rows(tmp_path / f"{workers}.db", "select error_count, stats from crawl_runs")
        assert run["error_count"] == 1 and str(start) in run["stats"]
        assert any(line.startswith(f"  ! {messages[0]}") for line in report.lines())
    command = [sys.executable, "-m", "newsroom_scraper", "reparse", "--warc-dir", str(folder), "--quiet"]
    done = subprocess.run([*command, "--db", str(tmp_path / "cli.db")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1 and "1 damaged records or spans of bytes were not taken" in done.stderr, done.stderr


def test_a_response_whose_sha256_payload_digest_is_wrong_is_not_taken(crawled, tmp_path):
    """A SHA-256 WARC-Payload-Digest is checked (the hash is taken anyway); a wrong one is damage."""
    from warcio.warcwriter import WARCWriter

    site = crawled[0]
    folder = tmp_path / "warc"
    folder.mkdir()
    with open(folder / "other.warc", "wb") as out:
        writer = WARCWriter(out, gzip=False)
        for n, path in enumerate(site.article_paths()[:2]):
            body = render_article(site.page(path)).encode()
            digest = hashlib.sha256(body).hexdigest() if n == 0 else "0" * 64
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                "https://www.dortmund.de" + quote_path(path),
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http,
                warc_headers_dict={"WARC-Payload-Digest": f"sha256:{digest}", "WARC-Date": "2026-01-01T00:00:00Z"},
            )
            writer.write_record(record)
    report = reparse(folder, tmp_path / "r.db", workers=0)
    (messages,) = report.damaged.values()
    assert len(messages) == 1 and quote_path(site.article_paths()[1]) in messages[0]
    assert "WARC-Payload-Digest" in messages[0]
    assert report.captures == 1


def test_reparse_parses_in_this_process_below_the_pool_threshold_and_in_workers_above(crawled, tmp_path, monkeypatch):
    _, db, warc, _, _ = crawled
    seen: list[int] = []
    parsed = reparse_module._parsed

    def spy(folder, wanted, workers):
        seen.append(workers)
        return parsed(folder, wanted, workers)

    monkeypatch.setattr(reparse_module, "_parsed", spy)
    reparse(warc, tmp_path / "small.db")
    monkeypatch.setattr(reparse_module, "POOL_MIN_BYTES", 0)
    reparse(warc, tmp_path / "large.db")
    assert seen[0] == 0 and seen[1] >= 1
    assert dump(tmp_path / "large.db") == dump(db)


def test_a_parser_fix_reparsed_into_the_archive_changes_versions_not_their_number(crawled, tmp_path, monkeypatch):
    _, db, warc, _, _ = crawled
    archive = copy_db(db, tmp_path / "fixed.db")
    before = {r["url"]: r["version_count"] for r in rows(archive, "select url, version_count from articles")}
    parse = reparse_module.parse_article

    def fixed_parser(html, url, fetched_at=None, *, content_type=None):
        article = parse(html, url, fetched_at, content_type=content_type)
        article.title = article.title + " (fixed)"
        return article

    monkeypatch.setattr(reparse_module, "parse_article", fixed_parser)
    report = reparse(warc, archive)
    assert report.outcomes["rebuilt"] == ARTICLES
    after = rows(archive, "select url, title, version_count from articles")
    assert {r["url"]: r["version_count"] for r in after} == before
    assert sorted(before.values()) == [1] * (ARTICLES - 1) + [2]
    assert all(r["title"].endswith(" (fixed)") for r in after)
    assert all(v["title"].endswith(" (fixed)") for v in rows(archive, "select title from article_versions"))
    with Archive(archive) as opened:  # the full-text index follows the rebuilt texts (written at each batch's end)
        opened.check_integrity()
        assert len(opened.search("fixed", limit=100)) == ARTICLES
    assert len(rows(archive, "select * from captures")) == 2 * ARTICLES
    assert [r["tag"] for r in rows(archive, "select tag from tags")] == [
        r["tag"] for r in rows(db, "select tag from tags")
    ]


def test_reparse_leaves_articles_alone_whose_versions_have_no_capture(crawled, tmp_path):
    _, db, warc, _, _ = crawled
    archive = copy_db(db, tmp_path / "old.db")
    with closing(sqlite3.connect(archive)) as conn, conn:
        conn.execute("update article_versions set capture_id = null where version = 1")
    report = reparse(warc, archive)
    assert report.outcomes["kept"] == ARTICLES
    assert dump(archive)["articles"] == dump(db)["articles"]


def test_no_warc_writes_no_files_and_no_captures(crawled, tmp_path):
    site, *_ = crawled
    with ReplicaServer(ReplicaSite(articles=3, seed=2, newest=site.newest)) as server:
        crawl(server, tmp_path / "n.db", "--no-warc")
    assert not (tmp_path / "warc").exists()
    assert rows(tmp_path / "n.db", "select count(*) as n from captures") == [{"n": 0}]


def test_reparse_command_prints_its_report_and_refuses_a_missing_folder(crawled, tmp_path):
    _, _, warc, _, _ = crawled
    shutil.copytree(warc, tmp_path / "w")
    command = [sys.executable, "-m", "newsroom_scraper", "reparse", "--warc-dir"]
    done = subprocess.run(
        [*command, str(tmp_path / "w"), "--db", str(tmp_path / "r.db")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert f"{ARTICLES} new" in done.stdout and "articles/s" in done.stdout and "ETA" in done.stderr
    missing = subprocess.run(
        [*command, str(tmp_path / "nope"), "--db", str(tmp_path / "r.db")], capture_output=True, text=True
    )
    assert missing.returncode == 2 and "is not a folder" in missing.stderr


def test_a_wget_warc_imports_as_captures_of_the_same_articles(crawled, tmp_path):
    _, db, warc, _, _ = crawled
    wget = db.parent / "wget"
    if not wget.exists():
        pytest.skip("GNU wget is not installed (make test installs it with apt-get when run as root)")
    alone = reparse(wget, tmp_path / "wget.db")
    assert alone.outcomes["new"] == 4
    imported = {r["url"]: r for r in rows(tmp_path / "wget.db", "select * from articles")}
    crawled_rows = {r["url"]: r for r in rows(db, "select * from articles")}
    for url, row in imported.items():
        assert (row["title"], row["body_text"]) == (crawled_rows[url]["title"], crawled_rows[url]["body_text"])
    assert {r["source"] for r in rows(tmp_path / "wget.db", "select source from captures")} == {"import"}
    # Into the crawl's archive: put the file under its WARC folder; same text, so no new version.
    archive = copy_db(db, tmp_path / "merged.db")
    folder = shutil.copytree(warc, tmp_path / "warc")
    shutil.copytree(wget, folder / "imports")
    merged = reparse(folder, archive)
    assert merged.outcomes["rebuilt"] == 4 and merged.outcomes["unchanged"] == ARTICLES - 4
    counts = rows(archive, "select source, count(*) as n from captures group by source order by source")
    assert counts == [{"source": "crawl", "n": 2 * ARTICLES}, {"source": "import", "n": 4}]
    assert rows(archive, "select sum(version_count) as n from articles") == [{"n": ARTICLES + 1}]
    assert reparse(folder, archive).outcomes["unchanged"] == ARTICLES  # the same files again add nothing


def test_a_wacz_of_the_crawls_warc_rebuilds_the_same_archive(crawled, tmp_path):
    _, db, warc, _, _ = crawled
    (tmp_path / "w").mkdir()
    files = [str(p) for p in archive_files(warc)]
    pack = [sys.executable, "-m", "wacz", "create", "-o", str(tmp_path / "w" / "crawl.wacz"), *files]
    subprocess.run(pack, check=True, capture_output=True, timeout=120)
    report = reparse(tmp_path / "w", tmp_path / "wacz.db")
    assert report.outcomes["new"] == ARTICLES
    assert reparse(tmp_path / "w", tmp_path / "pooled.db", workers=2).outcomes == report.outcomes
    assert exact(tmp_path / "pooled.db") == exact(tmp_path / "wacz.db")
    ours, theirs = dump(db), dump(tmp_path / "wacz.db")
    assert ours["articles"] == theirs["articles"] and ours["images"] == theirs["images"]
    assert [v[:7] for v in ours["versions"]] == [v[:7] for v in theirs["versions"]]
    assert {c[5].split("#")[0] for c in theirs["captures"]} == {"crawl.wacz"}
    assert [c[8] for c in ours["captures"]] == [c[8] for c in theirs["captures"]]  # the same records


def test_every_issued_permalink_answers_with_its_version_after_a_reparse_an_import_and_a_backfill(
    crawled, tmp_path, monkeypatch
):
    """Issue 19, 1. Before: each rebuild renumbered the versions (a wget import 1,358 of 1,508)."""
    site, db, warc, _, _ = crawled
    archive = copy_db(db, tmp_path / "cited.db")
    issued = issued_versions(archive)
    assert len(issued) == ARTICLES + 1
    folder = shutil.copytree(warc, tmp_path / "warc")

    # 1. A parser fix, reparsed from the archive's own WARC: every history rebuilt, every text changed.
    parse = reparse_module.parse_article

    def fixed_parser(html, url, fetched_at=None, *, content_type=None):
        article = parse(html, url, fetched_at, content_type=content_type)
        article.title = article.title + " (fixed)"
        return article

    with monkeypatch.context() as patch:
        patch.setattr(reparse_module, "parse_article", fixed_parser)
        assert reparse(folder, archive).outcomes["rebuilt"] == ARTICLES
    assert_answers(archive, issued, title_suffix=" (fixed)")
    changed = rows(
        archive,
        "select count(*) as n from version_permalinks p join article_versions v on v.id = p.id "
        "where p.content_hash != v.content_hash",
    )
    assert changed == [{"n": ARTICLES + 1}]  # the fix is recorded as a change of content, not of address

    # 2. Another tool's WARC (GNU wget) imported beside the crawl's.
    if (db.parent / "wget").exists():
        shutil.copytree(db.parent / "wget", folder / "imports")
    assert reparse(folder, archive).outcomes["rebuilt"] == ARTICLES  # the fix undone, wget's captures added
    assert_answers(archive, issued)

    # 3. A Wayback backfill of captures older than the crawl's: one with other content (a new version 1
    # before the crawl's), one with the content of the edited article's first version (it joins it).
    first, edited = site.article_paths()[0], site.article_paths()[3]
    report = backfill_older_captures(site, archive, folder, first, edited)
    assert report.fetched == 2 and report.reparsed is not None and report.reparsed.outcomes["rebuilt"] == 2
    history = rows(
        archive,
        """select v.id, v.version, c.source from article_versions v join captures c on c.id = v.capture_id
        join articles a on a.id = v.article_id where a.url like ? order by v.version""",
        "%" + quote_path(first).rsplit("/", 1)[-1],
    )
    assert [(h["version"], h["source"]) for h in history] == [(1, "wayback"), (2, "crawl")]
    assert history[1]["id"] in issued and history[0]["id"] > max(issued)  # renumbered place, same address
    assert_answers(archive, issued)


def test_the_cite_blocks_commands_recompute_each_payload_sha256_from_the_warc(crawled):
    """Issue 19, 6: the SHA-256 the cite block shows, recomputed by the command it shows (warcio, coreutils)."""
    _, db, warc, _, _ = crawled
    responses = rows(db, "select * from captures where status = 200 order by id")
    assert responses and all(r["payload_sha256"] and r["decoded_sha256"] for r in responses)
    assert all(r["payload_sha256"] is None for r in rows(db, "select * from captures where status = 304"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for capture in responses[:2]:
        checks = check_commands(capture)
        assert checks and all(c["expect"] in (capture["payload_sha256"], capture["decoded_sha256"]) for c in checks)
        for check in checks:
            done = subprocess.run(
                ["bash", "-c", check["command"]], cwd=warc, env=env, capture_output=True, text=True, timeout=60
            )
            assert done.stdout.split()[0] == check["expect"], (check, done.stderr)


def response_records(warc: Path) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """Each response's URL, its HTTP headers and its request's, from the WARC files (lower-case names)."""
    from warcio.archiveiterator import ArchiveIterator

    found, requests = [], {}
    for path in archive_files(warc):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                heads = {k.lower(): v for k, v in record.http_headers.headers} if record.http_headers else {}
                if record.rec_type == "response":
                    found.append((record.rec_headers.get_header("WARC-Record-ID"), record, heads))
                elif record.rec_type == "request":
                    requests[record.rec_headers.get_header("WARC-Concurrent-To")] = heads
    return [(r.rec_headers.get_header("WARC-Target-URI"), heads, requests[rid]) for rid, r, heads in found]


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_compressed_answers_are_crawled_indexed_and_reparsed(tmp_path, encoding):
    """Issue 19, 2: with br the index was never written and reparse stopped; zstd pages were "binary".
    Issue 19, 6: the cite block's command to check the decoded payload failed for br and zstd."""
    site = ReplicaSite(articles=4, seed=5, newest=date.today())
    db = tmp_path / "newsroom.db"
    every = '{"Accept-Encoding": "gzip, deflate, br, zstd"}'  # what Scrapy asks for on its own
    with ReplicaServer(site, encoding=encoding) as server:
        report = crawl(server, db, "-s", f"DEFAULT_REQUEST_HEADERS={every}")
    assert "4 new" in report and "0 errors" in report and "index not written" not in report, report
    articles = [(url, heads) for url, heads, _ in response_records(tmp_path / "warc") if "/nachrichten" in url]
    assert len(articles) == 4 and {heads.get("content-encoding") for _, heads in articles} == {encoding}
    index = (tmp_path / "warc" / "index.cdxj").read_text()
    assert all(f'"url": "{url}"' in index for url, _ in articles)
    rebuilt = reparse(tmp_path / "warc", tmp_path / "rebuilt.db")
    assert rebuilt.outcomes["new"] == 4 and not rebuilt.not_articles
    assert dump(tmp_path / "rebuilt.db") == dump(db)
    # The cite block's commands recompute both SHA-256 of each: warcio's CLI stopped at br (warcio
    # #73) and wrote zstd undecoded, so the decoded check failed for both before captures kept the coding.
    captures = rows(tmp_path / "rebuilt.db", "select * from captures where status = 200 order by id")
    assert {c["content_encoding"] for c in captures} == {encoding}
    assert rows(db, "select content_encoding from captures where status = 200 order by id") == [
        {"content_encoding": encoding} for _ in captures
    ]
    with closing(sqlite3.connect(db)) as conn, conn:  # rows written before the column: the next reparse fills it
        conn.execute("update captures set content_encoding = null")
    reparse(tmp_path / "warc", db)
    assert {r["content_encoding"] for r in rows(db, "select content_encoding from captures where status = 200")} == {
        encoding
    }
    decoder = {"br": "brotli", "zstd": "zstd"}.get(encoding)
    if decoder and shutil.which(decoder) is None:
        pytest.skip(f"{decoder}'s command is not installed (make test installs it with apt-get when run as root)")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for check in check_commands(captures[0]):
        done = subprocess.run(["bash", "-c", check["command"]], cwd=tmp_path / "warc", env=env, capture_output=True)
        assert done.stdout.split()[:1] == [check["expect"].encode()], (check, done.stderr[-300:])


def test_the_crawl_asks_only_for_encodings_that_every_warc_reader_reads(tmp_path):
    """Issue 19, 2: gzip and deflate, not br or zstd (settings.py says why); what it writes passes
    ``warcio check``, which stops at a brotli record."""
    site = ReplicaSite(articles=2, seed=5, newest=date.today())
    for encoding in ("br", "gzip"):
        with ReplicaServer(site, encoding=encoding) as server:
            crawl(server, tmp_path / f"{encoding}.db", "--warc-dir", str(tmp_path / encoding))
        records = response_records(tmp_path / encoding)
        assert {request.get("accept-encoding") for _, _, request in records} == {"gzip, deflate"}
        codings = {heads.get("content-encoding") for _, heads, _ in records}
        assert codings == ({None} if encoding == "br" else {"gzip"})
    files = [str(p) for p in archive_files(tmp_path / "gzip")]
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *files], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_crawls_records_refer_name_and_date_as_warc_1_1_allows(crawled):
    """Issue 19, 3 and 9: each 304 refers to the response it confirmed; every record names its
    warcinfo and the server's address; dates to the microsecond; warcinfo names the run."""
    from warcio.archiveiterator import ArchiveIterator

    _, db, warc, _, _ = crawled
    confirmed = {r["url"]: r["record_id"] for r in rows(db, "select url, record_id from captures where run_id = 1")}
    refers, infos, dates = {}, [], set()
    for path in archive_files(warc):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                headers = record.rec_headers
                if record.rec_type == "warcinfo":
                    info = dict(line.split(": ", 1) for line in record.content_stream().read().decode().splitlines())
                    infos.append(info)
                    continue
                assert headers.get_header("WARC-Warcinfo-ID") and headers.get_header("WARC-IP-Address") == "127.0.0.1"
                dates.add(headers.get_header("WARC-Date"))
                if record.rec_type == "metadata":
                    assert headers.get_header("WARC-Payload-Digest") is None
                    refers[headers.get_header("WARC-Target-URI")] = headers.get_header("WARC-Refers-To")
    assert len(refers) == ARTICLES - 1 and all(refers[url] == confirmed[url] for url in refers)
    assert [(i["run-id"], i["robots"]) for i in infos] == [("1", "classic"), ("2", "classic")]
    assert all(i["start-url"].endswith("/newsroom/") and i["operator"] and i["hostname"] for i in infos)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", date) for date in dates)


def test_a_whole_file_gzipped_warc_is_read_as_its_records_are(crawled, tmp_path, monkeypatch):
    """Issue 19, 5: a WARC gzipped as one member (valid; ``warcio recompress`` splits it) stopped reparse."""
    _, db, warc, _, _ = crawled
    folder = shutil.copytree(warc, tmp_path / "warc")
    second = archive_files(folder)[1]
    second.write_bytes(gzip.compress(gzip.decompress(second.read_bytes())))
    monkeypatch.setattr(reparse_module, "PART_BYTES", 3_000)
    for workers in (0, 2):
        report = reparse(folder, tmp_path / f"{workers}.db", workers=workers)
        assert not report.unreadable and report.captures == 2 * ARTICLES
        assert report.files[second.name]["metadata"]["taken"] == ARTICLES - 1
        ours, theirs = dump(db), dump(tmp_path / f"{workers}.db")
        assert ours["articles"] == theirs["articles"] and ours["versions"] == theirs["versions"]
        assert [c[:6] + c[8:] for c in ours["captures"]] == [c[:6] + c[8:] for c in theirs["captures"]]
    edited = rows(tmp_path / "0.db", "select * from captures where warc_file = ? and status = 200", second.name)
    location = WarcLocation(second.name, edited[0]["warc_offset"], 0, edited[0]["record_id"], None)
    assert EDIT.encode() in read_record_at(folder, location)


def test_the_report_counts_per_file_and_kind_what_was_taken_skipped_and_already_present(crawled, tmp_path):
    """Issue 19, 5: a WACZ of WARC files already in the folder counted its records again, silently."""
    _, _, warc, _, _ = crawled
    folder = shutil.copytree(warc, tmp_path / "warc")
    files = [str(p) for p in archive_files(folder)]
    pack = [sys.executable, "-m", "wacz", "create", "-o", str(folder / "zz-copy.wacz"), *files]
    subprocess.run(pack, check=True, capture_output=True, timeout=120)
    (folder / "broken.wacz").write_bytes(b"not a zip")
    command = [sys.executable, "-m", "newsroom_scraper", "reparse", "--warc-dir", str(folder)]
    done = subprocess.run([*command, "--db", str(tmp_path / "r.db")], capture_output=True, text=True)
    assert done.returncode == 1 and "1 files could not be read" in done.stderr, done.stderr
    first, second = (Path(f).name for f in files)
    lines = {line.split(": ", 1)[0].strip(): line for line in done.stdout.splitlines()[3:]}
    assert f"{2 * ARTICLES} captures taken, {2 * ARTICLES} already present" in done.stdout
    assert f"response {ARTICLES} taken" in lines[first] and "skipped (not an article URL " in lines[first]
    assert f"metadata {ARTICLES - 1} taken" in lines[second]
    copy = lines["zz-copy.wacz"]
    assert (
        f"metadata 0 taken, {ARTICLES - 1} already present" in copy and f"same records as in {first}, {second}" in copy
    )
    assert "! broken.wacz: cannot read: BadZipFile" in done.stdout


def test_a_package_of_the_archives_own_warc_beside_it_leaves_every_capture_in_the_warc_files(crawled, tmp_path):
    """A WACZ of the crawl's WARC put under imports/ (which sorts before newsroom-…) became the
    location of every capture rebuilt from the folder, a copy: removed again, replay and the cite
    block's commands named a file no longer there. A record held by a WARC file is located there."""
    _, db, warc, _, _ = crawled
    folder = shutil.copytree(warc, tmp_path / "warc")
    (folder / "imports").mkdir()
    package = folder / "imports" / "copy.wacz"
    pack = [sys.executable, "-m", "wacz", "create", "-o", str(package), *map(str, archive_files(warc))]
    subprocess.run(pack, check=True, capture_output=True, timeout=120)
    report = reparse(folder, tmp_path / "rebuilt.db")
    assert report.outcomes["new"] == ARTICLES and report.total("already present") == 2 * ARTICLES
    assert report.copies_of == {"imports/copy.wacz": {p.name for p in archive_files(warc)}}
    assert dump(tmp_path / "rebuilt.db")["captures"] == dump(db)["captures"]  # where the crawl wrote them
    package.unlink()
    assert reparse(folder, tmp_path / "rebuilt.db").outcomes["unchanged"] == ARTICLES


def test_a_reparse_that_fails_still_ends_its_run_row(crawled, tmp_path, monkeypatch):
    """Issue 19, 5: a failed reparse left a crawl_runs row that printed "None … None new"."""
    _, _, warc, _, _ = crawled

    def broken(*args: object, **kwargs: object) -> str:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Archive, "replace_history", broken)
    with pytest.raises(sqlite3.OperationalError):
        reparse(warc, tmp_path / "r.db")
    (run,) = rows(tmp_path / "r.db", "select finish_reason, finished_at from crawl_runs")
    assert run["finish_reason"] == "failed: OperationalError: disk I/O error" and run["finished_at"]


def test_revisits_of_identical_payloads_are_captures_of_the_version_they_repeat(crawled, tmp_path):
    """Issue 19, 4: revisit records were ignored, so a day the page was unchanged left no trace."""
    from warcio.warcwriter import WARCWriter

    _, db, warc, _, _ = crawled
    folder = shutil.copytree(warc, tmp_path / "warc")
    (target,) = rows(db, "select * from captures where status = 200 order by id limit 1")
    with open(folder / "zz-revisits.warc.gz", "wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        for digest in (target["payload_digest"], "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"):  # by digest, no Refers-To
            record = writer.create_revisit_record(
                target["url"], digest, target["url"], "2026-01-01T00:00:00Z", http_headers=http
            )
            record.rec_headers.replace_header("WARC-Date", "2099-01-01T00:00:00Z")
            writer.write_record(record)
    archive = copy_db(db, tmp_path / "merged.db")
    report = reparse(folder, archive)
    assert report.outcomes["rebuilt"] == 1
    assert report.files["zz-revisits.warc.gz"]["revisit"] == {
        "taken": 1,
        "skipped: revisit of no article capture in the folder": 1,
    }
    assert report.outcomes["rebuilt"] == 1 and report.outcomes["unchanged"] == ARTICLES - 1
    (article,) = rows(archive, "select * from articles where id = ?", target["article_id"])
    revisit = rows(archive, "select * from captures where article_id = ? and captured_at like '2099%'", article["id"])
    assert [(c["status"], c["payload_digest"], c["source"]) for c in revisit] == [
        (200, target["payload_digest"], "import")
    ]
    assert revisit[0]["version"] == article["version_count"] and article["last_checked_at"].startswith("2099")
    assert rows(archive, "select sum(version_count) as n from articles") == [{"n": ARTICLES + 1}]


def test_a_wget_dedup_warc_adds_its_revisits_as_captures(tmp_path):
    """Issue 19, 4: wget's ``--warc-dedup`` WARC added 0 captures."""
    if shutil.which("wget") is None:
        pytest.skip("GNU wget is not installed (make test installs it with apt-get when run as root)")
    site = ReplicaSite(articles=3, seed=5, newest=date.today())
    with ReplicaServer(site) as server:
        urls = [server.url + path for path in site.article_paths()[:2]]
        wget = ["wget", "-q", "--no-warc-keep-log", "-O", "/dev/null"]
        subprocess.run([*wget, "--warc-cdx", "--warc-file=one", *urls], check=True, timeout=60, cwd=tmp_path)
        time.sleep(1.0 - time.time() % 1.0)  # the revisits a second later
        subprocess.run([*wget, "--warc-dedup=one.cdx", "--warc-file=two", *urls], check=True, timeout=60, cwd=tmp_path)
    report = reparse(tmp_path, tmp_path / "wget.db")
    assert report.captures == 4 and report.outcomes["new"] == 2
    assert report.files["two.warc.gz"]["revisit"] == {"taken": 2}
    captures = rows(tmp_path / "wget.db", "select article_id, version, payload_digest from captures order by id")
    assert len(captures) == 4 and {(c["article_id"], c["version"]) for c in captures} == {(1, 1), (2, 1)}


def test_reparse_lets_each_pages_body_go_once_parsed(tmp_path):
    """Reparse in this process kept every page's body until it stored: 0.4 MB for each 430 KB
    page (469 MB peak for 1,000 articles; 62 MB now: bench/reparse_floor.py)."""
    import tracemalloc

    from newsroom_scraper.evidence.warc import Exchange, WarcWriter

    site = ReplicaSite(articles=30, seed=5, newest=date(2026, 11, 30), menu_bytes=1_000_000)
    writer = WarcWriter(tmp_path / "warc", started="20261130120000")
    for n, path in enumerate(site.article_paths()):
        answer = site.render(path, "https://www.dortmund.de")
        headers = [("Content-Type", answer.content_type)]
        url = "https://www.dortmund.de" + quote_path(path)
        at = f"2026-11-30T12:00:{n:02d}+00:00"
        writer.write_exchange(Exchange(url, "GET", [], b"", 200, headers, answer.body, at))
    writer.close()
    tracemalloc.start()
    try:
        report = reparse(tmp_path / "warc", tmp_path / "r.db", workers=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.outcomes["new"] == 30, report.lines()
    assert peak < 12_000_000, f"{peak:,} bytes at peak for 30 pages of 1 MB"  # the bodies held: over 30 MB


def test_reparse_says_how_far_its_reading_is_in_bytes_with_rate_and_time_left(crawled, tmp_path, monkeypatch):
    """Reading said only "read 1000 captures (410/s)": no total, no time left."""
    _, _, warc, _, _ = crawled
    monkeypatch.setattr(reparse_module, "PART_BYTES", 3_000)
    lines: list[str] = []
    reparse(warc, tmp_path / "r.db", progress=lines.append, workers=0)
    total = sum(p.stat().st_size for p in archive_files(warc)) / 1e6
    reading = [line for line in lines if line.startswith("  read ")]
    last = f"  read {total:.1f}/{total:.1f} MB (100%): {2 * ARTICLES} captures, {ARTICLES} articles stored"
    assert reading and reading[-1].startswith(last)
    assert "captures/s, ETA 0 s)" in reading[-1]
    line = r"  read [\d.]+/[\d.]+ MB \(\d+%\): \d+ captures, \d+ articles stored \(\d+ captures/s, ETA \d+ s\)"
    assert all(re.fullmatch(line, x) for x in reading)
