"""The process pool (evidence/pool.py): a worker's failure fails the call at once, loudly, naming the job."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from newsroom_scraper.evidence.pool import PoolFailed, process_pool, result_of
from newsroom_scraper.evidence.reparse import reparse
from newsroom_scraper.evidence.warc import Exchange, WarcWriter


class PathAndLine(Exception):
    """The common shape that pickles but does not unpickle: ``__init__`` takes two arguments."""

    def __init__(self, path: str, line: int) -> None:
        super().__init__(f"{path}:{line}")


def raise_unpicklable(_: int) -> None:
    raise PathAndLine("page.html", 3)


def raise_plain(_: int) -> None:
    raise ValueError("bad value")


def test_an_exception_that_cannot_come_back_fails_the_call_within_a_second():
    started = time.monotonic()
    with process_pool(1) as pool, pytest.raises(PoolFailed, match="a worker process failed on job 7: .*PathAndLine"):
        result_of(pool.submit(raise_unpicklable, 7), "job 7")
    assert time.monotonic() - started < 5  # spawning the worker included; the failure itself takes ~0.05 s


def test_an_exception_that_comes_back_whole_is_raised_as_it_is():
    with process_pool(1) as pool, pytest.raises(ValueError, match="bad value"):
        result_of(pool.submit(raise_plain, 1), "job 1")


class DiesInWorker:
    """A URL filter that ends the process reading the captures, as the OOM killer would."""

    def __init__(self, parent: int) -> None:
        self.parent = parent

    def __call__(self, url: str) -> bool:
        if os.getpid() != self.parent:
            os._exit(3)
        return True


def test_a_reparse_worker_that_dies_fails_the_reparse_with_the_part_it_read(tmp_path: Path):
    writer = WarcWriter(tmp_path / "warc", started="20260102030405")
    for n in range(3):
        url = f"http://127.0.0.1:1/newsroom/nachrichten-dortmund.de/a{n}.html"
        writer.write_exchange(
            Exchange(
                url, "GET", [], b"", 200, [("Content-Type", "text/html")], b"<html></html>", "2026-01-02T03:04:05+00:00"
            )
        )
    writer.finish()
    started = time.monotonic()
    with pytest.raises(PoolFailed, match=r"a worker process failed on newsroom-20260102030405-00000\.warc\.gz"):
        reparse(tmp_path / "warc", tmp_path / "a.db", wanted=DiesInWorker(os.getpid()), workers=1)
    assert time.monotonic() - started < 10


@pytest.mark.e2e
def test_a_reparse_while_another_process_writes_stops_at_once_and_says_so(tmp_path: Path):
    """Issue 17, 6: a reparse during a crawl died with "database is locked" after reading all."""
    import subprocess
    import sys

    from click.testing import CliRunner

    from newsroom_scraper.cli import main
    from newsroom_scraper.errors import ArchiveBusy

    (tmp_path / "warc").mkdir()
    db = tmp_path / "a.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from newsroom_scraper.store import write_lock\nwith write_lock({str(db)!r}):\n    input()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "a.db.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # the lock is taken right after the file is opened
        with pytest.raises(ArchiveBusy, match="another crawl or reparse is writing"):
            reparse(tmp_path / "warc", db)
        result = CliRunner().invoke(main, ["reparse", "--warc-dir", str(tmp_path / "warc"), "--db", str(db)])
        assert result.exit_code == 2 and result.output.startswith("reparse: another crawl or reparse is writing")
    finally:
        holder.communicate(b"\n", timeout=30)
    assert not db.exists()  # nothing was written
    assert reparse(tmp_path / "warc", db).articles == 0  # the lock went with the process


@pytest.mark.e2e
def test_the_write_lock_is_reentrant_within_a_process(tmp_path: Path):
    from newsroom_scraper.store import write_lock

    db = tmp_path / "a.db"
    with write_lock(db):
        with write_lock(db):  # as a backfill's closing reparse takes it again
            pass
        # still held: another process is refused
        import subprocess
        import sys

        code = f"from newsroom_scraper.store import write_lock\nwith write_lock({str(db)!r}): pass"
        refused = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert refused.returncode != 0 and "ArchiveBusy" in refused.stderr


def test_a_gzip_bomb_in_a_warc_is_read_to_the_parsers_limit_and_refused_as_too_large(tmp_path: Path):
    """Issue 17, 4: a 2 MB record holding an HTTP gzip bomb drove reparse to 4 GB of memory;
    now at most one byte more than any page the parser takes is read of it."""
    import gzip
    import resource

    from newsroom_scraper.evidence.warc import iter_captures
    from newsroom_scraper.parser.page import MAX_PAGE_BYTES

    bomb = gzip.compress(b"<html><body>" + b" " * (16 * MAX_PAGE_BYTES), compresslevel=9)  # 128 MiB inflated
    assert len(bomb) < 1_000_000
    writer = WarcWriter(tmp_path / "warc", started="20260102030405")
    url = "http://127.0.0.1:1/newsroom/nachrichten-dortmund.de/bombe.html"
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    writer.write_exchange(Exchange(url, "GET", [], b"", 200, headers, bomb, "2026-01-02T03:04:05+00:00"))
    writer.finish()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    (capture,) = iter_captures(tmp_path / "warc")
    assert len(capture.body) == MAX_PAGE_BYTES + 1
    report = reparse(tmp_path / "warc", tmp_path / "a.db", workers=0)
    assert report.not_articles == {"too-large": 1} and report.articles == 0
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024  # Linux: KiB
    assert grown_mb < 100  # a few times the page limit, not the bomb's 128 MiB
