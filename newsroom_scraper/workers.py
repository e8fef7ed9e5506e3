"""Worker processes: the crawl's heavy steps (parsing, storing, WARC) run beside Scrapy.

Scrapy runs in one thread, so a crawl uses one core. A worker is a child process that builds
one object (``factory``) and runs calls of its methods, one at a time and in order, sending back
what each returns (or raises). The crawl talks to it over two pipes from its asyncio event loop
(Scrapy's default reactor): a call is a frame written without blocking, its answer a future
the loop resolves. No thread is added to the crawl, on purpose: a thread that stored articles
made the crawl 1.17x *slower*, fighting Scrapy for the GIL after every SQLite call.

``worker(factory, *args, in_process=...)`` gives a ``WorkerProcess`` or, with ``in_process``
(the settings that keep a step in the crawl) or without asyncio's reactor (another reactor, tests
that call a component directly), a ``LocalWorker`` with the same ``call``: the code that uses a
worker is the same either way.

A child is started with ``python -m newsroom_scraper.workers`` (a fresh interpreter: forking a
crawl that holds SQLite connections would hand the child SQLite's lock bookkeeping of the
parent), ends when its pipe closes or a stop frame comes, and on Linux dies with the crawl
(``PR_SET_PDEATHSIG``): a killed crawl leaves no worker behind.
"""

from __future__ import annotations

import asyncio
import ctypes
import fcntl
import importlib
import os
import pickle
import signal
import struct
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import IO, Any

FRAME = struct.Struct("!Q")  # each message: its length, then a pickle


class WorkerDied(RuntimeError):
    """The worker process ended (killed, out of memory, a crash in C code) before answering."""


class LocalWorker:
    """The object itself, called in this process with a worker's interface."""

    def __init__(self, factory: str, *args: Any) -> None:
        self.target = _build(factory, args)

    async def call(self, method: str, *args: Any) -> Any:
        return getattr(self.target, method)(*args)

    @property
    def busy(self) -> int:
        return 0

    async def stop(self) -> None:
        close = getattr(self.target, "close", None)
        if close is not None:
            close()


class WorkerProcess:
    """A child process running ``factory(*args)``'s methods; see the module's doc.

    ``call`` is a coroutine on the running asyncio loop (the first call connects the pipes to
    it); answers come in call order.
    """

    def __init__(self, factory: str, *args: Any, name: str = "worker") -> None:
        self.name = name
        jobs_read, self._jobs = os.pipe()
        self._results, results_write = os.pipe()
        for pipe in (self._jobs, results_write):
            _widen(pipe)
        command = [sys.executable, "-m", "newsroom_scraper.workers", factory, str(jobs_read), str(results_write)]
        self.process = subprocess.Popen(
            [*command, str(os.getpid())], pass_fds=(jobs_read, results_write), stdin=subprocess.DEVNULL
        )
        os.close(jobs_read)
        os.close(results_write)
        self._pending: deque[asyncio.Future[Any]] = deque()
        self._transport: asyncio.WriteTransport | None = None
        self._connected: asyncio.Future[None] | None = None
        self._reader: asyncio.ReadTransport | None = None
        self._buffer = bytearray()
        self._dead: str | None = None
        self._send_blocking(args)

    # -- calls -------------------------------------------------------------------------------
    async def call(self, method: str, *args: Any) -> Any:
        """``method(*args)`` in the worker; its result, or the exception it raised."""
        if self._dead:
            raise WorkerDied(f"{self.name}: {self._dead}")
        if self._transport is None:
            if self._connected is None:  # the first call connects; the calls meanwhile wait for it
                self._connected = asyncio.ensure_future(self._connect())
            await asyncio.shield(self._connected)
        if self._dead:  # it ended before or while connecting
            raise WorkerDied(f"{self.name}: {self._dead}")
        assert self._transport is not None
        answer = asyncio.get_running_loop().create_future()
        self._pending.append(answer)
        self._transport.write(_frame((method, args)))
        return _unwrap(await answer)

    @property
    def busy(self) -> int:
        """Calls sent and not answered yet."""
        return len(self._pending)

    async def stop(self, timeout: float = 30.0) -> None:
        """Let the worker finish what it was sent, then end it (killed after ``timeout`` s)."""
        if self._connected is not None:
            await asyncio.shield(self._connected)  # the pipes are the loop's from here on
        if self._transport is not None:
            if not self._transport.is_closing() and not self._dead:
                self._transport.write(_frame(None))
            self._transport.close()  # flushes what is buffered (the loop runs on), then EOF
        else:
            try:
                self._send_blocking(None)
            except OSError:  # already gone
                pass
            os.close(self._jobs)
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                break
            await asyncio.sleep(0.005)
        if self._reader is not None:
            self._reader.close()
        else:
            os.close(self._results)

    # -- plumbing ----------------------------------------------------------------------------
    def _send_blocking(self, message: Any) -> None:
        data = _frame(message)
        view = memoryview(data)
        while view:
            view = view[os.write(self._jobs, view) :]

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        os.set_blocking(self._jobs, False)
        os.set_blocking(self._results, False)
        self._reader, _ = await loop.connect_read_pipe(lambda: _Answers(self), os.fdopen(self._results, "rb"))
        transport, _ = await loop.connect_write_pipe(asyncio.BaseProtocol, os.fdopen(self._jobs, "wb"))
        self._transport = transport

    def _received(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= FRAME.size:
            (size,) = FRAME.unpack_from(self._buffer)
            if len(self._buffer) < FRAME.size + size:
                return
            frame = bytes(self._buffer[FRAME.size : FRAME.size + size])
            del self._buffer[: FRAME.size + size]
            answer = self._pending.popleft()
            if not answer.cancelled():
                answer.set_result(pickle.loads(frame))

    def _lost(self) -> None:
        code = self.process.poll()
        self._dead = "ended" if code is None else f"ended with exit code {code}"
        while self._pending:
            answer = self._pending.popleft()
            if not answer.done():
                answer.set_exception(WorkerDied(f"{self.name}: {self._dead}"))


class _Answers(asyncio.Protocol):
    def __init__(self, worker: WorkerProcess) -> None:
        self.worker = worker

    def data_received(self, data: bytes) -> None:
        self.worker._received(data)

    def eof_received(self) -> bool | None:
        self.worker._lost()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.worker._lost()


def on_asyncio_reactor() -> bool:
    """Whether this process runs Twisted's asyncio reactor (Scrapy's default), whose loop a
    ``WorkerProcess`` needs; False in tests that call components without a crawl."""
    from scrapy.utils.reactor import is_asyncio_reactor_installed  # only the crawl's side asks

    try:
        return is_asyncio_reactor_installed()
    except RuntimeError:  # no reactor installed at all
        return False


def worker(factory: str, *args: Any, in_process: bool = False, name: str = "worker") -> LocalWorker | WorkerProcess:
    """A worker process running ``factory(*args)``; the object itself, in this process, with
    ``in_process`` or when there is no asyncio reactor to talk to a process from."""
    if in_process or not on_asyncio_reactor():
        return LocalWorker(factory, *args)
    return WorkerProcess(factory, *args, name=name)


PIPE_BYTES = 1 << 20  # Linux's default pipe-max-size


def _widen(pipe: int) -> None:
    """Let a pipe hold a whole real page (~430 KB) instead of 64 KB (Linux): one write instead of
    seven, each waiting for the other side to read (that made a parse worker slower than none)."""
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        try:
            fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:  # a lower limit (/proc/sys/fs/pipe-max-size): keep what the system gives
            pass


def _frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME.pack(len(data)) + data


def _read_frame(stream: IO[bytes]) -> bytes | None:
    head = stream.read(FRAME.size)
    if len(head) < FRAME.size:
        return None
    (size,) = FRAME.unpack(head)
    data = stream.read(size)
    return data if len(data) == size else None


def _unwrap(reply: tuple[bool, Any]) -> Any:
    ok, value = reply
    if not ok:
        raise value
    return value


def _build(factory: str, args: tuple[Any, ...]) -> Any:
    module, _, name = factory.partition(":")
    build: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return build(*args)


def _reply(target: Any, job: tuple[str, tuple[Any, ...]]) -> bytes:
    method, args = job
    try:
        return _frame((True, getattr(target, method)(*args)))
    except Exception as error:  # sent back to the caller, raised there
        try:
            return _frame((False, error))
        except Exception:  # an exception that does not pickle: its text does
            return _frame((False, RuntimeError(f"{type(error).__name__}: {error}")))


def _die_with(parent: int) -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    if os.getppid() != parent:  # the crawl ended before the call: nobody is left to signal
        os._exit(0)


def main(argv: list[str]) -> None:
    """The child: ``python -m newsroom_scraper.workers FACTORY JOBS_FD RESULTS_FD PARENT_PID``."""
    factory, jobs_fd, results_fd, parent = argv
    _die_with(int(parent))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the crawl, which then stops us
    with os.fdopen(int(jobs_fd), "rb") as jobs, os.fdopen(int(results_fd), "wb") as results:
        first = _read_frame(jobs)
        if first is None:
            return
        try:
            target = _build(factory, pickle.loads(first))
        except Exception as error:  # every call answers with it: the caller learns why
            target = _Broken(error)
        while (frame := _read_frame(jobs)) is not None:
            job = pickle.loads(frame)
            if job is None:
                break
            results.write(_reply(target, job))
            results.flush()
    close = getattr(target, "close", None)
    if close is not None:
        close()


class _Broken:
    """Stands for an object whose factory failed: every method raises that failure."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def fail(*args: Any) -> Any:
            raise self.error

        return fail


if __name__ == "__main__":
    main(sys.argv[1:])
