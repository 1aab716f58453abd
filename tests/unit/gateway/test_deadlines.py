"""gateway/deadlines.py: many waits' deadlines kept by one timer, with asyncio.timeout's outcome (a wait past
its deadline raises TimeoutError; a cancellation from elsewhere stays a cancellation), and the upstream
client's and the client body's reads timing out through it."""

from __future__ import annotations

import asyncio

import pytest

from iamd.gateway import deadlines as deadlines_module, http1
from iamd.gateway.deadlines import PERIOD, Deadlines


def test_a_wait_past_its_deadline_raises_timeout_error_within_a_sweep_and_others_go_on():
    async def main():
        deadlines = Deadlines()
        loop = asyncio.get_running_loop()

        async def short():
            started = loop.time()
            with pytest.raises(TimeoutError):
                with deadlines.within(0.1):
                    await asyncio.sleep(10)
            return loop.time() - started

        async def long():
            with deadlines.within(10):
                await asyncio.sleep(0.5)
            return "done"

        waited, finished = await asyncio.gather(short(), long())
        assert 0.1 <= waited <= 0.1 + PERIOD + 0.2
        assert finished == "done"
        assert not deadlines._waiting
        await asyncio.sleep(PERIOD * 2)
        assert deadlines._sweep_handle is None  # no wait running: no timer
        assert asyncio.current_task().cancelling() == 0
    asyncio.run(main())


def test_a_wait_that_ends_in_time_is_left_alone_and_the_task_is_not_cancelled_later():
    async def main():
        deadlines = Deadlines()
        for _ in range(3):
            with deadlines.within(PERIOD / 2):
                await asyncio.sleep(0)
        await asyncio.sleep(PERIOD * 3)  # sweeps pass: nothing of the ended waits is cancelled
        return "still running"
    assert asyncio.run(main()) == "still running"


def test_a_cancellation_from_elsewhere_stays_a_cancellation():
    async def main():
        deadlines = Deadlines()

        async def waiting():
            with deadlines.within(30):
                await asyncio.sleep(10)

        task = asyncio.create_task(waiting())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not deadlines._waiting
    asyncio.run(main())


def test_a_deadlines_object_serves_one_event_loop_after_another():
    deadlines = Deadlines()

    async def main():
        with pytest.raises(TimeoutError):
            with deadlines.within(0.05):
                await asyncio.sleep(10)

    asyncio.run(main())
    asyncio.run(main())  # the first loop's sweep is gone with it: the second schedules its own


def test_an_upstream_that_never_answers_times_out_at_the_read_timeout(monkeypatch):
    monkeypatch.setattr(deadlines_module, "PERIOD", 0.05)

    async def main():
        held = []

        async def silent(reader, writer):
            held.append(writer)  # reads nothing, answers nothing
        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = http1.Client(f"http://127.0.0.1:{port}", read_timeout=0.2)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            with pytest.raises(TimeoutError):
                await client.send("GET", "/", "upstream", {}, b"")
            assert 0.2 <= loop.time() - started < 1.0
            assert client._slots._value == 256  # the connection's slot is free again
        finally:
            await client.aclose()
            for writer in held:
                writer.close()
            server.close()
    asyncio.run(main())


def test_a_client_body_that_stops_coming_is_a_request_timeout(monkeypatch):
    from iamd.gateway.edge import _Receiver
    from iamd.gateway.errors import RequestTimeout
    monkeypatch.setattr(deadlines_module, "PERIOD", 0.05)

    async def main():
        async def receive():
            if not sent:
                sent.append(1)
                return {"type": "http.request", "body": b"part", "more_body": True}
            await asyncio.sleep(10)  # the client sends no more
        sent: list[int] = []
        source = _Receiver(receive, 0.2, Deadlines())
        with pytest.raises(RequestTimeout):
            await source.read_all(1024)
    asyncio.run(main())
