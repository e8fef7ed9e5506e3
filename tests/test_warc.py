"""evidence.warc and the WARC capture middleware in-process: records, headers, rotation, the index."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import random
import re
import shutil
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsroom_scraper.crawl.run import project_settings
from newsroom_scraper.crawl.warc_capture import WarcCaptureMiddleware
from newsroom_scraper.evidence.warc import (
    ConfirmedRecord,
    Damaged,
    Exchange,
    WarcCapture,
    WarcError,
    WarcWriter,
    iter_captures,
    iter_part,
    read_record_at,
    warc_parts,
    write_index,
)


def exchange(url: str = "http://127.0.0.1:1/newsroom/a.html?b=2&a=1", status: int = 200, **kw) -> Exchange:
    values = {
        "url": url,
        "method": "GET",
        "request_headers": [("User-Agent", "test")],
        "request_body": b"",
        "status": status,
        "response_headers": [("Content-Type", "text/html"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
        "body": b"<html>page</html>" if status != 304 else b"",
        "captured_at": "2026-01-02T03:04:05+00:00",
        **kw,
    }
    return Exchange(**values)


def records(path: Path) -> list:
    with open(path, "rb") as stream:
        return [(r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read()) for r in ArchiveIterator(stream)]


@pytest.mark.e2e
def test_a_file_opens_with_warcinfo_and_keeps_status_query_and_repeated_headers(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, started="20260102030405")
    location = writer.write_exchange(exchange())
    writer.close()
    (path,) = writer.files
    assert path.name == "newsroom-20260102030405-00000.warc.gz"
    kinds = [(kind, headers.protocol) for kind, headers, _, _ in records(path)]
    assert kinds == [("warcinfo", "WARC/1.1"), ("response", "WARC/1.1"), ("request", "WARC/1.1")]
    _, info, _, fields = records(path)[0]
    assert b"software: newsroom-archive" in fields
    _, response, http, body = records(path)[1]
    assert response.get_header("WARC-Target-URI").endswith("a.html?b=2&a=1")
    assert response.get_header("WARC-Date") == "2026-01-02T03:04:05Z"
    assert http.statusline == "200 OK" and http.protocol == "HTTP/1.1"
    assert [v for k, v in http.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert body == b"<html>page</html>"
    _, request, request_http, _ = records(path)[2]
    assert request.get_header("WARC-Concurrent-To") == location.record_id
    assert request_http.protocol == "GET" and request_http.statusline == "/newsroom/a.html?b=2&a=1 HTTP/1.1"
    assert ("Host", "127.0.0.1:1") in request_http.headers
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_record_is_its_own_gzip_member_at_any_level(tmp_path: Path) -> None:
    body = b"<html>" + b"menu " * 20_000 + b"</html>"
    for level in (1, 6, 9):
        writer = WarcWriter(tmp_path / str(level), gzip_level=level)
        location = writer.write_exchange(exchange(body=body))
        writer.close()
        data = writer.files[0].read_bytes()
        member = gzip.decompress(data[location.offset : location.offset + location.length])
        assert member.startswith(b"WARC/1.1\r\n") and member.endswith(body + b"\r\n\r\n")
        assert read_record_at(tmp_path / str(level), location) == body
        assert [kind for kind, *_ in records(writer.files[0])] == ["warcinfo", "response", "request"]
    assert WarcWriter(tmp_path).gzip_level == 6  # gzip's default: warcio's 9 cost 2x the time for <1 % of bytes


def test_post_bodies_are_kept_in_the_request_record(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path)
    body = json.dumps({"query": "*", "from": 0, "size": 100}).encode()
    writer.write_exchange(exchange("http://127.0.0.1:1/api/search/proxy/search", method="POST", request_body=body))
    writer.close()
    kind, _, http, content = records(writer.files[0])[2]
    assert kind == "request" and http.protocol == "POST" and content == body
    assert ("Content-Length", str(len(body))) in http.headers


def test_a_304_is_a_metadata_record_that_stays_out_of_the_replay_index(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path)
    writer.write_exchange(exchange())
    writer.write_exchange(exchange(status=304, captured_at="2026-02-01T00:00:00+00:00"))
    writer.close()
    kinds = [kind for kind, *_ in records(writer.files[0])]
    assert kinds == ["warcinfo", "response", "request", "metadata", "request"]
    index = write_index(tmp_path).read_text().splitlines()
    assert len(index) == 1 and '"status": "200"' in index[0] and " 20260102030405 " in index[0]
    captures = list(iter_captures(tmp_path))
    assert [(c.status, c.captured_at) for c in captures] == [
        (200, "2026-01-02T03:04:05+00:00"),
        (304, "2026-02-01T00:00:00+00:00"),
    ]
    assert captures[1].header("set-cookie") == "a=1"


def test_files_rotate_by_size_with_serials_and_records_are_found_again(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, max_size=1, started="20260102030405")
    locations = [writer.write_exchange(exchange(f"http://127.0.0.1:1/newsroom/{n}.html")) for n in range(3)]
    writer.close()
    assert [p.name for p in writer.files] == [f"newsroom-20260102030405-{n:05d}.warc.gz" for n in range(3)]
    for path in writer.files:
        assert records(path)[0][0] == "warcinfo"
    for location in locations:
        assert read_record_at(tmp_path, location) == b"<html>page</html>"
    again = WarcWriter(tmp_path, started="20260102030405")  # a second writer in the same second
    again.write_exchange(exchange())
    again.close()
    assert again.files[0].name == "newsroom-20260102030405-00003.warc.gz"


def test_the_middleware_records_what_scrapy_sent_and_received(tmp_path: Path) -> None:
    crawler = get_crawler(
        settings_dict=project_settings(NEWSROOM_WARC_DIR=str(tmp_path), NEWSROOM_DB=str(tmp_path / "x.db"))
    )
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    request = Request("http://127.0.0.1:1/newsroom/x.html?z=1", headers={"Cookie": "s=1"})
    response = Response(
        request.url,
        status=200,
        headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("ETag", '"v1"')],
        body=b"<html/>",
        request=request,
    )

    assert middleware.process_response(request, response) is response
    middleware.spider_closed(_Spider())  # type: ignore[arg-type]
    capture = request.meta["capture"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", capture.captured_at)
    (found,) = iter_captures(tmp_path)
    assert found.location == capture.location and found.url == request.url
    assert [v for k, v in found.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert (tmp_path / "index.cdxj").read_text().count("\n") == 1


class _Spider:
    class logger:  # noqa: N801 - stands in for a spider's logger
        @staticmethod
        def info(*args: object) -> None:
            pass

        @staticmethod
        def error(*args: object) -> None:
            pass


def mixed_file(tmp_path: Path) -> Path:
    """One .warc.gz of our records, then another tool's (its own warcinfo), then ours again: what
    ``cat`` of three files gives. 40 responses and 304s of varied sizes, every record a gzip member."""
    parts = []
    for name, count in (("ours-a", 15), ("theirs", 10), ("ours-b", 15)):
        folder = tmp_path / name
        if name == "theirs":
            folder.mkdir()
            with open(folder / "theirs.warc.gz", "wb") as out:
                writer = WARCWriter(out, gzip=True)
                writer.write_record(writer.create_warcinfo_record("theirs.warc.gz", {"software": "other/1.0"}))
                for n in range(count):
                    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
                    body = b"<html>" + bytes(range(256)) * n + b"</html>"
                    record = writer.create_warc_record(
                        f"http://127.0.0.1:1/newsroom/t{n}.html",
                        "response",
                        payload=BytesIO(body),
                        length=len(body),
                        http_headers=http,
                    )
                    writer.write_record(record)
            parts.append((folder / "theirs.warc.gz").read_bytes())
            continue
        writer = WarcWriter(folder, started="20260102030405")
        for n in range(count):
            body = b"<html>" + f"{name} page {n} ".encode() * (n * 97 % 600) + b"</html>"
            url = f"http://127.0.0.1:1/newsroom/{name}-{n}.html"
            writer.write_exchange(exchange(url, status=304 if n % 5 == 4 else 200, body=body))
        writer.close()
        parts.append(writer.files[0].read_bytes())
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "mixed.warc.gz"
    path.write_bytes(b"".join(parts))
    return path


def readings(folder: Path, sizes=(1, 700, 3_000, 20_000, None)) -> dict:
    """Each capture as a tuple, then the error if any, read whole and in parts of each size."""
    found = {}
    for size in sizes:
        captures: list = []
        try:
            for c in iter_captures(folder, part_size=size):
                captures.append((c.url, c.status, c.captured_at, c.headers, c.body, c.location, c.order, c.by_us))
        except WarcError as error:
            captures.append(str(error))
        found[size] = captures
    return found


def test_a_file_read_in_parts_gives_exactly_the_records_of_one_reading_in_order(tmp_path: Path) -> None:
    path = mixed_file(tmp_path)
    assert len(warc_parts(path.parent, 3_000)) >= 8
    found = readings(path.parent)
    whole = found.pop(None)
    assert len(whole) == 40 and not any(isinstance(c, str) for c in whole)
    assert [by_us for *_, by_us in whole] == [True] * 15 + [False] * 10 + [True] * 15
    assert [order for *_, order, _ in whole] == sorted(order for *_, order, _ in whole)
    for size, captures in found.items():
        assert captures == whole, size


def test_a_damaged_file_read_in_parts_fails_or_reads_as_one_reading_does(tmp_path: Path) -> None:
    """warcio fails on some damage and reads on over other (a member that does not inflate ends the
    file for it): in parts, the same error or the same captures, wherever the damage lies; and
    every damage is said, as the file's error or a damaged record's."""
    path = mixed_file(tmp_path)
    data = path.read_bytes()
    sound = [capture[:5] for capture in readings(path.parent, (None,))[None]]  # url, status, date, headers, body
    middle = len(data) // 2
    damaged = {
        "garbage": data[:middle] + bytes(range(256)) * 8 + data[middle:],
        "cut": data[: middle + 1000],
        "gap": data[:middle] + data[middle + 1500 :],
        "cut in a record's head": data[: data.find(b"\x1f\x8b\x08", middle) + 5],  # in a gzip header
    }
    for at in range(len(data) // 3, 2 * len(data) // 3, 97):  # around a 16 KB block boundary of warcio's
        damaged[f"flipped at {at}"] = data[:at] + bytes(b ^ 0x5A for b in data[at : at + 4]) + data[at + 4 :]
    outcomes = set()
    for name, content in damaged.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "x.warc.gz").write_bytes(content)
        found = readings(folder, (700, 3_000, None))
        whole = found.pop(None)
        for size, captures in found.items():
            assert captures == whole, (name, size)
        error = whole[-1] if whole and isinstance(whole[-1], str) else None
        if error is not None:
            assert re.match(r"x\.warc\.gz: (cannot read: |record at byte \d+ \(http://\S+\): |bytes \d+–\d+ )", error)
            assert error.isprintable(), error
        outcomes.add(("error" if error else "quiet") + (", fewer" if len(whole) - bool(error) < 40 else ""))
        if error is None:  # damage that changed nothing read (e.g. a gzip header's MTIME)
            assert [capture[:5] for capture in whole] == sound, name
        if name == "cut in a record's head":  # warcio ends quietly there: reading says so (issue 19, 5)
            assert error is not None and "a cut or damaged record follows" in error
    # warcio reads on quietly over some damage (a member that stops inflating cuts its record short):
    # that record is named as damaged, so no damage to what is read passes unsaid
    assert "error, fewer" in outcomes and outcomes <= {"error, fewer", "quiet"}


def test_a_folder_splits_into_parts_in_capture_order_and_a_wacz_member_is_one_part(tmp_path: Path) -> None:
    path = mixed_file(tmp_path)
    (tmp_path / "in" / "plain.warc").write_bytes(gzip.decompress(path.read_bytes()))
    with zipfile.ZipFile(tmp_path / "in" / "pack.wacz", "w") as wacz:
        wacz.write(path, "archive/b.warc.gz")
        wacz.write(path, "archive/a.warc.gz")
    parts = warc_parts(tmp_path / "in", 5_000)
    assert [(p.file, p.member, p.number) for p in parts if p.file != "mixed.warc.gz"] == [
        ("plain.warc", None, 1),  # WARC files first, then packages (read.archive_files says why)
        ("pack.wacz", "archive/a.warc.gz", 2),
        ("pack.wacz", "archive/b.warc.gz", 3),
    ]
    cut = [p for p in parts if p.file == "mixed.warc.gz"]
    assert len(cut) > 5 and {p.number for p in cut} == {0} and cut[0].start == 0 and cut[-1].end is None
    assert all(a.end == b.start for a, b in itertools.pairwise(cut))
    found = readings(tmp_path / "in", (5_000, None))
    assert found[5_000] == found[None] and len(found[None]) == 4 * 40


def test_an_article_whose_record_cannot_be_written_is_recorded_not_stored(tmp_path: Path) -> None:
    """Issue 17, 5: with the WARC disk full, articles were stored without a capture and, being
    archived, never fetched again; now each is a ``store`` failure, retried next run."""
    from scrapy.exceptions import IgnoreRequest
    from twisted.python.failure import Failure as TwistedFailure

    from newsroom_scraper.crawl.failures import describe
    from newsroom_scraper.errors import Failure

    crawler = get_crawler(
        settings_dict=project_settings(NEWSROOM_WARC_DIR=str(tmp_path), NEWSROOM_DB=str(tmp_path / "x.db"))
    )
    closed: list[str] = []

    async def close_spider_async(*, reason: str) -> None:
        closed.append(reason)

    crawler.spider = _Spider()  # type: ignore[assignment]
    crawler._engine = type("Engine", (), {"close_spider_async": staticmethod(close_spider_async)})  # type: ignore[attr-defined]
    middleware = WarcCaptureMiddleware.from_crawler(crawler)

    def full_disk(exchange: object) -> None:
        raise OSError(28, "No space left on device")

    middleware.writer.write_exchange = full_disk  # type: ignore[method-assign,assignment]
    url = "http://127.0.0.1:1/newsroom/nachrichten-dortmund.de/a.html"

    async def two_responses() -> None:  # in a running event loop, as in a crawl
        for n in range(2):  # the one that failed, and one arriving while the crawl closes
            request = Request(f"{url}?{n}", meta={"source": "listing"})
            with pytest.raises(IgnoreRequest) as raised:
                middleware.process_response(request, Response(request.url, status=200, body=b"<>", request=request))
            failure = TwistedFailure(raised.value)
            failure.request = request
            recorded = describe(failure)
            assert (recorded.url, recorded.kind) == (request.url, Failure.STORE)
            assert "WARC could not be written" in recorded.reason and "capture" not in request.meta
        await asyncio.sleep(0)

    asyncio.run(two_responses())
    assert closed == ["storage-error"]
    assert "No space left on device" in crawler.stats.get_value("newsroom/storage_error")


@pytest.mark.e2e
def test_records_carry_a_microsecond_date_the_servers_address_and_their_warcinfo_id(tmp_path: Path) -> None:
    """Issue 19, 9: WARC-Date as precise as known (WARC 1.1), WARC-IP-Address, WARC-Warcinfo-ID."""
    writer = WarcWriter(tmp_path, max_size=1)  # every exchange in a file of its own
    for n in range(2):
        at = f"2026-01-02T03:04:05.{n}12345+00:00"
        writer.write_exchange(exchange(captured_at=at, ip_address="127.0.0.1"))
    writer.write_response("http://127.0.0.1:1/newsroom/w.html", "2026-01-02T03:04:05+00:00", 200, [], b"<>", "memento")
    writer.close()
    for n, path in enumerate(writer.files):
        (_, info, _, _), *others = records(path)
        assert {headers.get_header("WARC-Warcinfo-ID") for _, headers, _, _ in others} == {
            info.get_header("WARC-Record-ID")
        }
        if n < 2:
            assert [h.get_header("WARC-Date") for _, h, _, _ in others] == [f"2026-01-02T03:04:05.{n}12345Z"] * 2
            assert [h.get_header("WARC-IP-Address") for _, h, _, _ in others] == ["127.0.0.1"] * 2
    (_, wayback, _, _) = records(writer.files[2])[1]
    assert wayback.get_header("WARC-Date") == "2026-01-02T03:04:05Z"  # known to the second only: no false digits
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, writer.files)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.e2e
def test_a_304_is_warc_fields_metadata_that_refers_to_the_response_it_confirmed(tmp_path: Path) -> None:
    """Issue 19, 3: pywb and cdxj-indexer indexed the old ``application/http`` metadata and replayed
    the bare 304 head; WARC fields referring to the confirmed response are indexed by neither."""
    from cdxj_indexer.main import write_cdx_index

    writer = WarcWriter(tmp_path)
    confirmed = writer.write_exchange(exchange())
    url = "http://127.0.0.1:1/newsroom/a.html?b=2&a=1"
    writer.write_exchange(
        exchange(
            status=304, captured_at="2026-02-01T00:00:00+00:00", confirms=ConfirmedRecord(confirmed.record_id, url)
        )
    )
    writer.close()
    kind, headers, _, block = records(writer.files[0])[3]
    assert kind == "metadata" and headers.get_header("Content-Type") == "application/warc-fields"
    assert headers.get_header("WARC-Refers-To") == confirmed.record_id
    assert headers.get_header("WARC-Refers-To-Target-URI") == url
    assert headers.get_header("WARC-Payload-Digest") is None and headers.get_header("WARC-Block-Digest")
    assert block.startswith(b"http-status-line: HTTP/1.1 304 Not Modified\r\n")
    default_index = tmp_path / "default.cdxj"  # cdxj-indexer as anyone runs it: every record type
    write_cdx_index(str(default_index), [str(writer.files[0])], {})
    assert [json.loads(line.split(" ", 2)[2])["status"] for line in default_index.read_text().splitlines()] == ["200"]
    (_, not_modified) = iter_captures(tmp_path)
    assert (not_modified.status, not_modified.captured_at) == (304, "2026-02-01T00:00:00+00:00")
    assert not_modified.header("set-cookie") == "a=1" and not_modified.header("ETag") is None
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(writer.files[0])], capture_output=True)
    assert check.returncode == 0


def test_a_304_written_before_issue_19_is_still_read(tmp_path: Path) -> None:
    with open(tmp_path / "old.warc.gz", "wb") as out:
        writer = WARCWriter(out, gzip=True)
        block = b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n'
        record = writer.create_warc_record(
            "http://127.0.0.1:1/newsroom/a.html",
            "metadata",
            payload=BytesIO(block),
            length=len(block),
            warc_content_type="application/http; msgtype=response",
            warc_headers_dict={"WARC-Date": "2026-02-01T00:00:00Z"},
        )
        writer.write_record(record)
    (found,) = iter_captures(tmp_path)
    assert (found.status, found.header("etag")) == (304, '"v1"')


def test_the_warcinfo_names_operator_host_start_url_run_and_the_specs_robots_value(tmp_path: Path) -> None:
    """Issue 19, 9: warcinfo had no operator, hostname, start URL or run id, and said ``robots: obey``."""
    import socket

    crawler = get_crawler(
        settings_dict=project_settings(
            NEWSROOM_WARC_DIR=str(tmp_path), NEWSROOM_DB=str(tmp_path / "x.db"), NEWSROOM_WARC_OPERATOR="Jane Doe"
        )
    )
    crawler.spider = type("Spider", (), {"start_url": "http://127.0.0.1:1/newsroom/"})()  # type: ignore[assignment]
    crawler.stats.set_value("newsroom/run_id", 7)
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    request = Request("http://127.0.0.1:1/newsroom/x.html")
    middleware.process_response(request, Response(request.url, status=200, body=b"<html/>", request=request))
    middleware.writer.close()
    fields = dict(
        line.split(": ", 1) for line in records(middleware.writer.files[0])[0][3].decode().splitlines() if line
    )
    assert fields["operator"] == "Jane Doe" and fields["hostname"] == socket.gethostname()
    assert (fields["start-url"], fields["run-id"], fields["robots"]) == ("http://127.0.0.1:1/newsroom/", "7", "classic")


def test_an_index_that_cannot_be_written_fails_the_run_instead_of_a_traceback(tmp_path: Path, monkeypatch) -> None:
    """Issue 19, 2: a brotli record made cdxj-indexer raise in spider_closed after "finished, 0 errors"."""
    from newsroom_scraper.ops.report import format_report, run_failed

    crawler = get_crawler(
        settings_dict=project_settings(NEWSROOM_WARC_DIR=str(tmp_path), NEWSROOM_DB=str(tmp_path / "x.db"))
    )
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    request = Request("http://127.0.0.1:1/newsroom/x.html")
    middleware.process_response(request, Response(request.url, status=200, body=b"<html/>", request=request))

    def broken(*args: object, **kwargs: object) -> None:
        raise AttributeError("'brotli.Decompressor' object has no attribute 'unused_data'")

    monkeypatch.setattr("cdxj_indexer.main.write_cdx_index", broken)
    middleware.spider_closed(_Spider())  # type: ignore[arg-type]
    error = crawler.stats.get_value("newsroom/warc_index_error")
    assert error.startswith("index.cdxj not written: AttributeError")
    assert sorted(p.name for p in tmp_path.iterdir()) == [middleware.writer.files[0].name]  # no .partial left
    stats = {"downloader/response_count": 1, "newsroom/warc_index_error": error}
    run = {"finish_reason": "finished", "stats": json.dumps(stats)}
    assert run_failed(run) and "WARC replay index not written" in format_report(run)


def test_brotli_and_zstd_payloads_are_indexed_and_read_decoded(tmp_path: Path) -> None:
    """Issue 19, 2: a brotli record stopped the index and reparse; a zstd page came back encoded."""
    import brotli

    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd

    page = b"<html><body>" + "Grüße aus Dortmund ".encode() * 500 + b"</body></html>"
    encoded = {"br": brotli.compress(page), "zstd": zstd.compress(page), "gzip": gzip.compress(page)}
    writer = WarcWriter(tmp_path)
    for name, body in encoded.items():
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", name)]
        writer.write_exchange(exchange(f"http://127.0.0.1:1/newsroom/{name}.html", body=body, response_headers=headers))
    writer.finish()
    index = (tmp_path / "index.cdxj").read_text().splitlines()
    assert len(index) == 3
    found = {c.url.rsplit("/", 1)[1]: c for c in iter_captures(tmp_path)}
    assert {name: c.body == page for name, c in found.items()} == {f"{n}.html": True for n in encoded}
    for capture in found.values():
        assert read_record_at(tmp_path, capture.location) == page


def test_a_file_gzipped_as_a_whole_stays_out_of_the_index_instead_of_failing_it(tmp_path: Path) -> None:
    """Issue 19, 5: an import gzipped as one member stopped cdxj-indexer, so every crawl's index failed."""
    writer = WarcWriter(tmp_path, started="20260102030405")
    writer.write_exchange(exchange())
    writer.close()
    whole = tmp_path / "imports" / "whole.warc.gz"
    whole.parent.mkdir()
    whole.write_bytes(gzip.compress(gzip.decompress(writer.files[0].read_bytes())))
    lines = write_index(tmp_path).read_text().splitlines()
    assert len(lines) == 1 and '"filename": "newsroom-20260102030405-00000.warc.gz"' in lines[0]
    assert [c.location.warc_file for c in iter_captures(tmp_path)] == ["imports/whole.warc.gz", writer.files[0].name]
    for capture in iter_captures(tmp_path):
        assert read_record_at(tmp_path, capture.location) == b"<html>page</html>"


def test_a_run_indexes_only_its_new_files_and_the_index_stays_byte_identical(tmp_path: Path, monkeypatch) -> None:
    """Issue 18, 8: the nightly index step costs what the night wrote, not the archive's age."""
    import cdxj_indexer.main

    indexed: list[list[str]] = []
    real = cdxj_indexer.main.write_cdx_index
    monkeypatch.setattr(
        cdxj_indexer.main,
        "write_cdx_index",
        lambda out, inputs, opts: indexed.append(inputs) or real(out, inputs, opts),
    )
    folder, rebuilt = tmp_path / "warc", tmp_path / "rebuilt"
    pages = itertools.count()
    for night, started in enumerate(["20260101030000", "20260102030000", "20260103030000"]):
        writer = WarcWriter(folder, started=started, max_size=1 if night == 1 else 10**9)  # night 1: three files
        for hour in range(3):  # the same URL night after night: lines that sort between the old ones
            writer.write_exchange(exchange(captured_at=f"2026-01-0{night + 1}T0{hour}:00:00+00:00"))
            writer.write_exchange(exchange(f"http://127.0.0.1:1/newsroom/{next(pages)}.html"))
        writer.write_exchange(exchange(status=304))
        indexed.clear()
        writer.finish()
        if night:
            assert [Path(p).name for inputs in indexed for p in inputs] == [p.name for p in writer.files]
        shutil.rmtree(rebuilt, ignore_errors=True)
        shutil.copytree(folder, rebuilt)
        (rebuilt / "index.cdxj").unlink()
        assert (folder / "index.cdxj").read_bytes() == write_index(rebuilt).read_bytes()
    assert len((folder / "index.cdxj").read_text().splitlines()) == 3 * 6


def test_the_index_is_rebuilt_whole_when_its_files_changed_under_it(tmp_path: Path) -> None:
    for started in ("20260101030000", "20260102030000"):
        writer = WarcWriter(tmp_path, started=started)
        writer.write_exchange(exchange(captured_at=f"{started[:4]}-01-0{started[7]}T03:00:00+00:00"))
        writer.finish()
    first = sorted(tmp_path.glob("*.warc.gz"))[0]
    first.unlink()  # e.g. moved away by an operator: its lines must go too
    writer = WarcWriter(tmp_path, started="20260103030000")
    writer.write_exchange(exchange(captured_at="2026-01-03T03:00:00+00:00"))
    writer.finish()
    assert "newsroom-20260101030000" not in (tmp_path / "index.cdxj").read_text()
    assert len((tmp_path / "index.cdxj").read_text().splitlines()) == 2
    (tmp_path / ".index.cdxj.files").write_text("not json")  # a damaged manifest: a full rebuild, no error
    writer = WarcWriter(tmp_path, started="20260104030000")
    writer.write_exchange(exchange(captured_at="2026-01-04T03:00:00+00:00"))
    writer.finish()
    assert len((tmp_path / "index.cdxj").read_text().splitlines()) == 3


@pytest.mark.parametrize("at", [0.3, 0.6, 0.95])
def test_a_record_whose_gzip_member_stops_inflating_is_named_and_the_next_is_read(tmp_path: Path, at: float) -> None:
    """warcio prints zlib's error and reads on: the record, cut short or with bytes its CRC refutes,
    passed as sound. Now it is named, and the record after it is read."""
    writer = WarcWriter(tmp_path, started="20260102030405")
    big = b"<html>" + random.Random(7).randbytes(120_000) + b"</html>"  # a gzip member of ~120 KB
    writer.write_exchange(exchange("http://127.0.0.1:1/newsroom/big.html", body=big))
    writer.write_exchange(exchange("http://127.0.0.1:1/newsroom/after.html", body=b"<html>after</html>"))
    writer.close()
    path = writer.files[0]
    (big_record,) = [c for c in iter_captures(tmp_path) if c.url.endswith("big.html")]
    data = bytearray(path.read_bytes())
    flip = big_record.location.offset + int(big_record.location.length * at)
    data[flip : flip + 4] = bytes(b ^ 0x5A for b in data[flip : flip + 4])
    path.write_bytes(bytes(data))
    (part,) = warc_parts(tmp_path)
    items = list(iter_part(tmp_path, part, lambda url: True))
    (damaged,) = [item for item in items if isinstance(item, Damaged)]
    assert damaged.message.startswith(f"{path.name}: record at byte {big_record.location.offset} (")
    assert "big.html" in damaged.message and damaged.message.endswith("; not taken")
    assert ("does not inflate" in damaged.message) or ("before its Content-Length" in damaged.message)
    captures = [item.url for item in items if isinstance(item, WarcCapture)]
    assert captures == ["http://127.0.0.1:1/newsroom/after.html"]
