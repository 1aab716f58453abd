"""An ASGI ``receive()`` under a timeout that costs no timer when the message is already there.

A small request's body arrives with its headers, and uvicorn's ``receive()`` then returns without ever
suspending; ``asyncio.timeout`` around it still sets and cancels a timer, a few microseconds a request
(more than reading the body). ``receive_within`` starts the call by hand: finished at once, its message
is the answer; suspended, the rest of it is awaited under ``asyncio.timeout`` as before, where it stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Generator
from types import CoroutineType
from typing import Any


async def receive_within(receive: Callable[[], Awaitable[Any]], seconds: float) -> Any:
    """``await receive()``, raising TimeoutError when it takes longer than ``seconds``."""
    started = receive()
    # uvicorn's receive() is a coroutine function: its type, checked first, spares the ABC's isinstance.
    if type(started) is not CoroutineType and not isinstance(started, Coroutine):  # nothing to start by hand
        async with asyncio.timeout(seconds):
            return await started
    try:
        waiting_on = started.send(None)
    except StopIteration as done:  # answered without suspending
        return done.value
    async with asyncio.timeout(seconds):
        return await _Rest(started, waiting_on)


class _Rest:
    """The rest of a coroutine started by hand and suspended on ``waiting_on`` (what it yielded to the
    event loop): awaiting it goes on where it stopped, as ``yield from`` would, cancellation included."""

    def __init__(self, coroutine: Coroutine, waiting_on: Any):
        self.coroutine, self.waiting_on = coroutine, waiting_on

    def __await__(self) -> Generator[Any, Any, Any]:
        coroutine, yielded = self.coroutine, self.waiting_on
        while True:
            try:
                sent = yield yielded
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as error:  # a cancellation (the timeout's, the server's): into it
                try:
                    yielded = coroutine.throw(error)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    yielded = coroutine.send(sent)
                except StopIteration as done:
                    return done.value
