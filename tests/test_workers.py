"""Worker processes (workers.py): calls answered in order, errors carried back, ends clean."""

from __future__ import annotations

import asyncio
import signal

import pytest

from newsroom_scraper.workers import LocalWorker, WorkerDied, WorkerProcess, worker


def test_calls_are_answered_in_order_and_errors_come_back_as_raised():
    async def scenario():
        process = WorkerProcess("builtins:dict", [("a", 1), ("b", 2)], name="test worker")
        answers = await asyncio.gather(*(process.call("get", key) for key in "abcab"))
        assert answers == [1, 2, None, 1, 2]
        with pytest.raises(KeyError, match="z"):  # raised in the child, raised here
            await process.call("__getitem__", "z")
        assert await process.call("__len__") == 2  # the worker goes on after an error
        await process.stop()
        assert process.process.returncode == 0

    asyncio.run(scenario())


def test_a_factory_that_fails_makes_every_call_fail_with_its_error():
    async def scenario():
        process = WorkerProcess("builtins:int", "not a number")
        with pytest.raises(ValueError, match="invalid literal"):
            await process.call("bit_length")
        await process.stop()

    asyncio.run(scenario())


def test_a_killed_worker_fails_its_pending_calls_and_every_later_one():
    async def scenario():
        process = WorkerProcess("builtins:dict", [("a", 1)])
        assert await process.call("get", "a") == 1
        process.process.send_signal(signal.SIGKILL)
        with pytest.raises(WorkerDied, match="exit code -9|ended"):
            await process.call("get", "a")
        with pytest.raises(WorkerDied):
            await process.call("get", "a")
        await process.stop()

    asyncio.run(scenario())


def test_in_process_or_without_asyncio_reactor_the_same_calls_reach_the_object_itself():
    assert isinstance(worker("builtins:dict"), LocalWorker)  # no reactor installed in this test
    local = worker("builtins:dict", [("a", 1)], in_process=True)
    assert isinstance(local, LocalWorker) and local.busy == 0
    assert asyncio.run(local.call("get", "a")) == 1
    asyncio.run(local.stop())
