"""store.evented: a synchronous handler run in the event loop, its waits served by the loop and its
blocking parts by a thread pool. No database here (tests/unit/test_postgresql_store.py runs it on one)."""

from __future__ import annotations

import asyncio
import contextvars
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from iamd.store import evented

NAME: contextvars.ContextVar[str] = contextvars.ContextVar("name", default="none")


@pytest.fixture
def executor():
    with ThreadPoolExecutor(2) as pool:
        yield pool


def test_a_handler_runs_in_the_loops_thread_in_a_copy_of_the_callers_context(executor):
    def handler(x):
        NAME.set("changed")
        return evented.in_loop(), threading.get_ident(), x * 2

    async def main():
        NAME.set("caller")
        result = await evented.run(executor, handler, 21)
        return result, NAME.get(), threading.get_ident()

    (inside, handler_thread, doubled), after, loop_thread = asyncio.run(main())
    assert inside and doubled == 42 and handler_thread == loop_thread
    assert after == "caller"  # the handler's context was a copy
    assert not evented.in_loop() and evented.hops() == 0


def test_in_thread_runs_in_the_pool_and_gives_back_its_result_or_its_exception(executor):
    def handler():
        NAME.set("handler's")
        ident, name = evented.in_thread(lambda: (threading.get_ident(), NAME.get()))
        with pytest.raises(KeyError, match="gone"):
            evented.in_thread(_raise, KeyError("gone"))
        assert evented.in_thread(threading.get_ident, counted=False) != threading.get_ident()  # a one-off
        return ident, name, threading.get_ident(), evented.hops()

    pool_thread, seen_name, loop_thread, hops = asyncio.run(evented.run(executor, handler))
    assert pool_thread != loop_thread and seen_name == "handler's" and hops == 2


def test_outside_a_requests_greenlet_in_thread_calls_here():
    assert evented.in_thread(threading.get_ident) == threading.get_ident()


def test_a_handler_waiting_for_its_socket_lets_the_loop_serve_others(executor):
    left, right = socket.socketpair()
    order = []

    def reader():
        order.append("reader waits")
        evented.wait(left.fileno())
        order.append("reader woken")
        return left.recv(10)

    def writer():
        order.append("writer writes")
        right.send(b"hello")
        return "sent"

    async def main():
        waiting = asyncio.create_task(evented.run(executor, reader))
        await asyncio.sleep(0)  # the reader starts, and waits
        sent = await evented.run(executor, writer)
        return await waiting, sent

    try:
        assert asyncio.run(main()) == (b"hello", "sent")
    finally:
        left.close()
        right.close()
    assert order == ["reader waits", "writer writes", "reader woken"]


def test_a_cancelled_request_ends_its_handler_where_it_waits(executor):
    left, right = socket.socketpair()
    cleaned = []

    def handler():
        try:
            evented.wait(left.fileno())  # nothing ever arrives
        finally:
            cleaned.append(True)

    async def main():
        task = asyncio.create_task(evented.run(executor, handler))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    try:
        asyncio.run(main())
    finally:
        left.close()
        right.close()
    assert cleaned == [True]


def test_a_request_cancelled_while_its_thread_works_unwinds_once_the_thread_is_done(executor):
    release = threading.Event()
    events = []

    def slow():
        release.wait(5)
        events.append("thread done")

    def handler():
        try:
            evented.in_thread(slow)
        finally:
            events.append("handler unwound")

    async def main():
        task = asyncio.create_task(evented.run(executor, handler))
        await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.sleep(0.01)
        assert events == []  # the handler waits for its thread, cancelled or not
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert events == ["thread done", "handler unwound"]


def test_a_handlers_exception_reaches_the_caller(executor):
    with pytest.raises(ValueError, match="bad"):
        asyncio.run(evented.run(executor, _raise, ValueError("bad")))


def _raise(error):
    raise error
