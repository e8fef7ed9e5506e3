"""Citations: version ids that rebuilds keep (issue 19, 1), the cite block with absolute permalinks, CSL-JSON
and BibTeX (issue 16, 8), and the payload SHA-256 with the command that checks it (issue 19, 6).

The e2e test that rebuilds a crawled archive three ways (reparse, wget import, Wayback backfill) is in
test_archival.py; here the store's rule on hand-made captures, and the reader through Datasette's client.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from newsroom_scraper.cli import main
from newsroom_scraper.items import Article, Capture
from newsroom_scraper.reader.plugins.citation import check_commands, quoted_title
from newsroom_scraper.reader.web import make_datasette
from newsroom_scraper.store import Archive
from newsroom_scraper.store.schema import MIGRATIONS

URL = "https://presse.example.de/news/rat-tagt-1"
OTHER = "https://presse.example.de/news/anderes-2"
T0, T1, T2, T3 = (f"2026-11-2{d}T10:00:00+00:00" for d in range(4))
# Written for these tests, not taken from any site.
TITLE = "„Zusammen stark“ startet im Westpark"


def article(body: str, url: str = URL, title: str = TITLE) -> Article:
    return Article(
        url=url,
        title=title,
        published_at="2026-11-19T12:52:00+01:00",
        layout="dtm-2023",
        body_text=body,
        body_html=f"<p>{body}</p>",
    )


def capture(at: str, record: str, body: str | None, status: int = 200) -> Capture:
    parsed = article(body) if body is not None else None
    digest = f"{int(record[-1]):064x}"
    return Capture(URL, at, status, record_id=f"<urn:uuid:{record}>", article=parsed, payload_sha256=digest)


def versions(archive: Archive) -> dict[int, tuple[int, str, str]]:
    """id → (version, body, record id of its first capture) of URL's versions."""
    rows = archive.db.execute(
        """select v.id, v.version, v.body_text, c.record_id from article_versions v
        join articles a on a.id = v.article_id left join captures c on c.id = v.capture_id where a.url = ?""",
        [URL],
    )
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def held_by(archive: Archive, version_id: int) -> set[str]:
    """The record ids of the captures of the version with ``version_id``."""
    rows = archive.db.execute(
        """select c.record_id from captures c join article_versions v
        on v.article_id = c.article_id and v.version = c.version where v.id = ?""",
        [version_id],
    )
    return {r for (r,) in rows}


def test_rebuilt_histories_keep_every_issued_version_id(tmp_path: Path) -> None:
    """Before: a rebuild renumbered the versions (the ids were rowids of re-inserted rows)."""
    crawl = [capture(T1, "a1", "Der Rat tagt."), capture(T2, "a2", "Der Rat tagt am Montag.")]
    with Archive(tmp_path / "a.db") as archive:
        run = archive.start_run("crawl", {})
        for c in crawl:  # as the crawl saves them, one response at a time
            assert c.article is not None
            archive.save_article(
                c.article,
                run_id=run,
                fetched_url=URL,
                fetched_at=c.captured_at,
                etag=None,
                last_modified=None,
                capture=c,
            )
        other = article("Etwas anderes.", url=OTHER)
        archive.save_article(other, run_id=run, fetched_url=OTHER, fetched_at=T2, etag=None, last_modified=None)
        issued = versions(archive)
        first, second = sorted(issued)
        (other_id,) = archive.db.execute("select max(id) from article_versions").fetchone()

        # A backfill: an older capture with other content becomes version 1, an unchanged one joins version 2.
        backfilled = [capture(T0, "w0", "Der Rat tagte früher."), *crawl, capture(T3, "w3", "Der Rat tagt am Montag.")]
        assert archive.replace_history(URL, backfilled, run) == "rebuilt"
        now = versions(archive)
        assert now[first] == (2, "Der Rat tagt.", "<urn:uuid:a1>")
        assert now[second] == (3, "Der Rat tagt am Montag.", "<urn:uuid:a2>")
        assert held_by(archive, second) == {"<urn:uuid:a2>", "<urn:uuid:w3>"}
        (new_id,) = set(now) - {first, second}
        assert new_id > other_id  # a fresh id, above every id issued

        # A parser fix that reads both crawl captures alike merges them: the later id redirects.
        merged = [dataclasses.replace(c) for c in backfilled]
        merged[2] = capture(T2, "a2", "Der Rat tagt.")
        merged[3] = capture(T3, "w3", "Der Rat tagt.")
        archive.replace_history(URL, merged, run)
        assert second not in versions(archive) and versions(archive)[first][1] == "Der Rat tagt."
        (points_to,) = archive.db.execute("select version_id from version_permalinks where id = ?", [second]).fetchone()
        assert points_to == first

        # Fixed back: the merged id is the address of its version again, not a new one.
        archive.replace_history(URL, backfilled, run)
        assert versions(archive) == now

        # The crawl's next version gets an id never issued, never that of a deleted row.
        changed = article("Der Rat tagt am Dienstag.")
        archive.save_article(changed, run_id=run, fetched_url=URL, fetched_at=T3, etag=None, last_modified=None)
        (latest,) = archive.db.execute("select max(id) from article_versions").fetchone()
        (issued_max,) = archive.db.execute("select max(id) from version_permalinks").fetchone()
        assert latest == issued_max > new_id


def test_ids_of_an_older_archive_are_registered_as_issued(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    MIGRATIONS.apply(db, stop_before="0012_version_permalinks")
    db.close()
    with Archive(path) as archive:  # the migrations from 0012 on run on this open
        run = archive.start_run("crawl", {})
        c = capture(T1, "a1", "Der Rat tagt.")
        assert c.article is not None
        archive.save_article(
            c.article, run_id=run, fetched_url=URL, fetched_at=T1, etag=None, last_modified=None, capture=c
        )
    with closing(sqlite3.connect(path)) as conn:  # make it look as an archive written before 0012
        conn.execute("drop table version_permalinks")
        conn.execute("alter table captures drop column payload_sha256")
        conn.execute("alter table captures drop column decoded_sha256")
        conn.execute("delete from _sqlite_migrations where name in ('0012_version_permalinks', '0013_capture_sha256')")
        conn.commit()
    with Archive(path) as archive:
        (version_id,) = archive.db.execute("select id from article_versions").fetchone()
        row = archive.db.execute("select id, record_id, version_id from version_permalinks").fetchall()
        assert row == [(version_id, "<urn:uuid:a1>", version_id)]
        run = archive.start_run("reparse", {})
        # a reparse of the same capture fills the new digest column of the old row
        assert archive.replace_history(URL, [capture(T1, "a1", "Der Rat tagt.")], run) == "unchanged"
        (digest,) = archive.db.execute("select payload_sha256 from captures").fetchone()
        assert digest == f"{1:064x}"


# -- the reader -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """An archive of one article in two versions, the first with a capture in a WARC file, then merged."""
    path = tmp_path_factory.mktemp("cite") / "archive.db"
    with Archive(path) as archive:
        run = archive.start_run("crawl", {})
        first = capture(T1, "a1", "Der Rat tagt.")
        first = dataclasses.replace(
            first, warc_file="newsroom-1-00000.warc.gz", warc_offset=1234, decoded_sha256="d" * 64
        )
        second = capture(T2, "a2", "Der Rat tagt am Montag.")
        archive.replace_history(URL, [first, second], run)
        ids = sorted(versions(archive))
        archive.replace_history(URL, [first, capture(T2, "a2", "Der Rat tagt.")], run)  # a fix merges them
        (article_id,) = archive.db.execute("select id from articles").fetchone()
    return path, {"first": ids[0], "merged": ids[1], "article": article_id}


def get(path: Path, url: str, public_url: str | None = None, status: int = 200):
    datasette = make_datasette(path, public_url=public_url)
    response = asyncio.run(datasette.client.get(url))
    assert response.status_code == status, (url, response.text[:500])
    return response


def test_version_and_article_pages_cite_with_an_absolute_permalink_a_copy_button_and_downloads(cited) -> None:
    path, ids = cited
    page = get(path, f"/newsroom/article_versions/{ids['first']}").text
    assert f'class="permalink" href="http://localhost/newsroom/article_versions/{ids["first"]}"' in page
    assert "„‚Zusammen stark‘ startet im Westpark“" in page and "„„" not in page
    assert re.search(r"<h1>Fassung 1 von „<a [^>]*>‚Zusammen stark‘ startet im Westpark</a>“</h1>", page)
    assert re.search(r'<button type="button" class="copy-citation"[^>]*hidden>Zitat kopieren</button>', page)
    assert f'href="/newsroom/article_versions/{ids["first"]}.csl.json"' in page
    assert f'href="/newsroom/article_versions/{ids["first"]}.bib"' in page
    article_page = get(path, f"/newsroom/articles/{ids['article']}", "https://archiv.example.org/").text
    assert f'href="https://archiv.example.org/newsroom/article_versions/{ids["first"]}"' in article_page
    assert "Zitat kopieren" in article_page


def test_csl_json_and_bibtex_carry_the_citation(cited) -> None:
    path, ids = cited
    response = get(path, f"/newsroom/article_versions/{ids['first']}.csl.json", "https://archiv.example.org")
    assert response.headers["content-type"].startswith("application/vnd.citationstyles.csl+json")
    (item,) = json.loads(response.text)
    assert {"type", "title", "URL", "issued", "accessed", "container-title"} <= set(item)
    assert item["type"] == "webpage" and item["title"] == TITLE
    assert item["URL"] == f"https://archiv.example.org/newsroom/article_versions/{ids['first']}"
    assert item["issued"] == {"date-parts": [[2026, 11, 19]]} and item["accessed"] == {"date-parts": [[2026, 11, 21]]}
    bib = get(path, f"/newsroom/article_versions/{ids['first']}.bib", "https://archiv.example.org").text
    assert re.match(r"@(online|misc)\{newsroom-archive-\d+,\n", bib)
    assert f"url = {{https://archiv.example.org/newsroom/article_versions/{ids['first']}}}" in bib
    assert "urldate = {2026-11-21}" in bib and "date = {2026-11-19}" in bib
    assert bib.count("{") == bib.count("}")


def test_a_merged_version_id_redirects_to_the_version_holding_its_capture(cited) -> None:
    path, ids = cited
    response = get(path, f"/newsroom/article_versions/{ids['merged']}", status=301)
    assert response.headers["location"] == f"/newsroom/article_versions/{ids['first']}"
    as_json = get(path, f"/newsroom/article_versions/{ids['merged']}.json", status=301)
    assert as_json.headers["location"] == f"/newsroom/article_versions/{ids['first']}.json"
    as_bibtex = get(path, f"/newsroom/article_versions/{ids['merged']}.bib", status=301)
    assert as_bibtex.headers["location"] == f"/newsroom/article_versions/{ids['first']}.bib"
    assert get(path, f"/newsroom/article_versions/{ids['first']}.bib").text.startswith(
        f"@online{{newsroom-archive-{ids['first']},"
    )


def test_the_cite_block_shows_the_payload_sha256_and_the_command_that_checks_it(cited) -> None:
    path, ids = cited
    page = get(path, f"/newsroom/article_versions/{ids['first']}").text
    assert "<code>newsroom-1-00000.warc.gz</code> ab Byte 1234" in page and "&lt;urn:uuid:a1&gt;" in page
    assert "warcio extract --payload newsroom-1-00000.warc.gz 1234 | sha256sum" in page
    assert f"{1:064x}" in page and "d" * 64 in page


def test_check_commands_name_the_member_of_a_wacz_and_skip_the_headers_for_the_received_payload() -> None:
    checks = check_commands(
        {"warc_file": "c.wacz#archive/x.warc.gz", "warc_offset": 7, "payload_sha256": "a", "decoded_sha256": "b"}
    )
    assert [c["expect"] for c in checks] == ["b", "a"]
    assert checks[0]["command"].startswith("unzip -p c.wacz archive/x.warc.gz > record.warc.gz && ")
    assert (
        "warcio extract record.warc.gz 7 | tail -c +$(( $(warcio extract --headers record.warc.gz 7"
        in checks[1]["command"]
    )
    same = check_commands({"warc_file": "x.warc.gz", "warc_offset": 0, "payload_sha256": "a", "decoded_sha256": "a"})
    assert len(same) == 1
    assert quoted_title("Ohne Anführungszeichen") == "„Ohne Anführungszeichen“"


def test_check_commands_decode_br_and_zstd_with_their_own_commands_as_warcio_cannot() -> None:
    """Issue 19, 6: ``warcio extract --payload`` stops at br (warcio #73) and writes zstd undecoded."""
    for coding, decoder in (("br", "brotli -d"), ("zstd", "zstd -d")):
        capture = {"warc_file": "x.warc.gz", "warc_offset": 7, "payload_sha256": "a", "decoded_sha256": "b"}
        decoded, received = check_commands({**capture, "content_encoding": coding})
        assert decoded["expect"] == "b" and decoded["command"] == received["command"].replace(
            "| sha256sum", f"| {decoder} | sha256sum"
        )
        assert "--payload" not in decoded["command"] and received["expect"] == "a"
    gzip = check_commands({**capture, "content_encoding": "gzip"})  # warcio decodes it
    assert gzip[0]["command"] == "warcio extract --payload x.warc.gz 7 | sha256sum"


def test_serve_refuses_a_base_url_that_is_no_public_address(cited) -> None:
    path, _ = cited
    result = CliRunner().invoke(main, ["serve", "--db", str(path), "--base-url", "archiv.example.org"])
    assert result.exit_code == 2 and "--base-url 'archiv.example.org'" in result.output
    assert len(result.output.strip().splitlines()) == 1
