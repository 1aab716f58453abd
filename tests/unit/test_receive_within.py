"""web/receive.py receive_within: receive() under a timeout, with no timer when it answers at once."""

from __future__ import annotations

import asyncio

import pytest

from iamd.web import receive as receive_module
from iamd.web.receive import receive_within


def test_a_message_already_there_is_answered_without_a_timer(monkeypatch):
    def no_timer(_seconds):
        raise AssertionError("no timeout needed")

    monkeypatch.setattr(receive_module.asyncio, "timeout", no_timer)

    async def receive():
        event = asyncio.Event()
        event.set()
        await event.wait()  # set: returns without suspending, as uvicorn's does with a body read
        return {"type": "http.request", "body": b"Action=GetUser"}

    assert asyncio.run(receive_within(receive, 1.0))["body"] == b"Action=GetUser"


def test_a_message_that_comes_later_is_awaited_where_it_stopped():
    async def main():
        event, steps = asyncio.Event(), []

        async def receive():
            steps.append("started")
            await event.wait()
            steps.append("resumed")
            await asyncio.sleep(0)  # suspends once more
            return {"type": "http.request", "body": b"late"}

        asyncio.get_running_loop().call_later(0.05, event.set)
        message = await receive_within(receive, 2.0)
        assert message["body"] == b"late" and steps == ["started", "resumed"]
    asyncio.run(main())


def test_a_message_that_does_not_come_times_out_and_the_receive_is_cancelled():
    async def main():
        cleaned = []

        async def receive():
            try:
                await asyncio.Event().wait()  # never
            finally:
                cleaned.append("cancelled")

        with pytest.raises(TimeoutError):
            await receive_within(receive, 0.05)
        assert cleaned == ["cancelled"]
    asyncio.run(main())


def test_the_caller_s_own_cancellation_goes_through():
    async def main():
        cancelled = []

        async def receive():
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        task = asyncio.create_task(receive_within(receive, 10.0))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert cancelled == [True]
    asyncio.run(main())


def test_an_awaitable_that_is_no_coroutine_is_awaited_under_the_timeout():
    async def main():
        future = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.01, future.set_result, {"type": "http.disconnect"})
        assert (await receive_within(lambda: future, 1.0)) == {"type": "http.disconnect"}
        never = asyncio.get_running_loop().create_future()
        with pytest.raises(TimeoutError):
            await receive_within(lambda: never, 0.02)
    asyncio.run(main())
