"""A PostgreSQL request run in the event loop, without a hop to a thread and back.

A synchronous handler (the Query API's) runs in a greenlet of its own inside the event loop. Where the
store would wait on the network it switches back to the loop instead: libpq's pipeline (store.pipeline)
waits for its socket with ``loop.add_reader``, and what cannot wait that way (SQLAlchemy's execute, a
new connection, a write's whole transaction) runs in the thread pool, the greenlet waiting for it.
A warm read (one pipeline) then needs no thread at all: the hop there and back cost ~5 voluntary
context switches a request, and on an idle machine a wake-up each.

    status, content, request_id = await evented.run(executor, handle, request, body)

    evented.in_loop()                 # whether the caller runs in such a greenlet
    evented.wait(fd, readable=True)   # in one: until the socket is ready (the loop serves others)
    evented.in_thread(fn, *args)      # in one: fn(*args) in the pool; elsewhere: fn(*args) here
    evented.hops()                    # in one: how many calls it made in the pool so far

Outside such a greenlet (a thread, a tool, the tests) each of these does what it did before.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import Executor
from functools import partial
from typing import Any, TypeVar

from greenlet import getcurrent, greenlet

T = TypeVar("T")

_READ, _WRITE, _THREAD = 0, 1, 2


class _Request(greenlet):
    """One request's handler, run in the event loop; its parent is the coroutine that runs it."""

    hops = 0  # calls it made in the thread pool (in_thread), one-offs apart


def in_loop() -> bool:
    return isinstance(getcurrent(), _Request)


def wait(fd: int, readable: bool = True) -> None:
    """In a request's greenlet: until ``fd`` is readable (or writable), serving other requests meanwhile."""
    getcurrent().parent.switch((_READ if readable else _WRITE, fd))


def in_thread(fn: Callable[..., T], *args: Any, counted: bool = True) -> T:
    """``fn(*args)`` in the thread pool when called in a request's greenlet (it may block), else here.
    The thread runs in a copy of the greenlet's context. ``counted``: whether ``hops`` counts it (not
    a one-off such as opening a connection, which says nothing of what the request needs)."""
    current = getcurrent()
    if not isinstance(current, _Request):
        return fn(*args)
    current.hops += counted
    return current.parent.switch((_THREAD, partial(contextvars.copy_context().run, fn, *args)))


def hops() -> int:
    """How many calls the request running here made in the thread pool so far, one-offs apart (0 outside
    a request's greenlet)."""
    current = getcurrent()
    return current.hops if isinstance(current, _Request) else 0


async def run(executor: Executor, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a greenlet in the running event loop (in a copy of the caller's context, as
    a thread pool's call would run), its waits served by the loop and its blocking parts by ``executor``."""
    loop = asyncio.get_running_loop()
    child = _Request(partial(contextvars.copy_context().run, fn))
    request = child.switch(*args)
    while not child.dead:  # the handler asked for something: a socket to wait for, or a thread
        kind, what = request
        try:
            if kind == _THREAD:
                value = await _in_pool(executor, what)
            else:
                await _ready(loop, what, kind == _READ)
                value = None
        except BaseException as error:  # a thread's exception, or this task cancelled: the handler's own
            request = child.throw(error)
        else:
            request = child.switch(value)
    return request


async def _in_pool(executor: Executor, call: Callable[[], T]) -> T:
    """``call()`` in the pool. Cancelled meanwhile, this still waits for the call to end before the
    cancellation reaches the handler: its clean-up (a connection put back) must not run while the
    thread still uses what it holds."""
    done = asyncio.wrap_future(executor.submit(call))
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError:
        while not done.done():
            try:
                await asyncio.shield(done)
            except asyncio.CancelledError:  # cancelled once more: keep waiting
                continue
            except BaseException:  # the call's own failure: the cancellation goes on
                break
        raise


async def _ready(loop: asyncio.AbstractEventLoop, fd: int, readable: bool) -> None:
    ready = loop.create_future()
    (loop.add_reader if readable else loop.add_writer)(fd, _done, ready)
    try:
        await ready
    finally:
        (loop.remove_reader if readable else loop.remove_writer)(fd)


def _done(ready: asyncio.Future) -> None:
    if not ready.done():
        ready.set_result(None)
