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
