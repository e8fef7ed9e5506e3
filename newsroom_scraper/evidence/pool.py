"""``process_pool``: the stdlib's process pool, the one way this project uses more than one core.

Only bulk work takes it (``reparse``, and through it the Wayback backfill and imports): there a
second core reads and parses WARC while this process stores (docs/benchmarks.md: a pool wins
above a few MB of captures). The crawl does not: at the nightly run's pace (one request a
second) worker processes cost CPU and memory and won nothing (docs/benchmarks.md, "the crawl in
one process").

Workers are *spawned*, never forked: a fork would hand them this process's open SQLite
connection and its lock bookkeeping. A worker that dies, or whose answer cannot be read back
(an exception that pickles but does not unpickle), fails the call at once with ``PoolFailed``
naming the job; nothing waits forever.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")


class PoolFailed(RuntimeError):
    """A worker process ended, or its answer could not be read back: the job named did not run."""


def process_pool(
    workers: int, initializer: Callable[..., object] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes, each set up once by ``initializer(*initargs)``."""
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=initargs)


def result_of(future: Future[T], job: str) -> T:
    """The future's result, or ``PoolFailed`` naming ``job`` when its worker broke; the job's
    own exceptions (those that come back whole) are raised as they are."""
    try:
        return future.result()
    except BrokenProcessPool as error:
        cause = error.__cause__ or error
        raise PoolFailed(f"a worker process failed on {job}: {_last_line(cause)}") from error


def _last_line(error: BaseException) -> str:
    """The informative line of a worker's failure (the remote traceback's last line, if any)."""
    lines = [line for line in str(error).strip().splitlines() if line.strip() and line.strip() != "'''"]
    return lines[-1].strip() if lines else type(error).__name__
