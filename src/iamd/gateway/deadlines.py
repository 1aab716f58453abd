"""Deadlines for many waits, kept by one timer: the forward's waits on the upstream and on the client's body.

``asyncio.timeout`` schedules a timer for every wait and cancels it after (~5 µs, and a cancelled handle
left in the event loop's heap), though a forward's wait all but never runs out. Here each wait is an
entry in a dict, and one sweep every ``PERIOD`` seconds, scheduled only while some wait is running,
cancels the tasks whose deadline has passed: a wait times out up to ``PERIOD`` late, which the
gateway's timeouts (the client's read timeout, at least 1 s; the upstream's 5, 30 and 300 s) allow.

What a timeout looks like is ``asyncio.timeout``'s: the task is cancelled, and the wait raises
``TimeoutError`` in its place, unless the task was also cancelled from elsewhere (then the cancellation
goes on). Only a task's own waits are watched: one task, one wait at a time.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

PERIOD = 0.25  # seconds between sweeps: how late a deadline may be kept


class Deadlines:
    """The waits of one event loop (made in the loop that uses it)."""

    __slots__ = ("_waiting", "_sweep_handle", "_loop")

    def __init__(self) -> None:
        self._waiting: dict[Wait, float] = {}  # a running wait → the loop's time it must end by
        self._sweep_handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the sweep's (a test may run several in turn)

    def within(self, seconds: float) -> Wait:
        """A context manager (``with deadlines.within(30): await ...``): the wait inside ends by then."""
        return Wait(self, seconds)

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._sweep_handle = loop.call_at(loop.time() + PERIOD, self._sweep, loop)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self._loop:  # a sweep of a loop no longer used
            return
        now = loop.time()
        late = [wait for wait, deadline in self._waiting.items() if deadline <= now and wait.task.get_loop() is loop]
        for wait in late:
            del self._waiting[wait]
            wait.expired = True
            wait.task.cancel()
        self._sweep_handle = loop.call_at(now + PERIOD, self._sweep, loop) if self._waiting else None


class Wait:
    __slots__ = ("_deadlines", "_seconds", "task", "expired", "_cancelling")

    def __init__(self, deadlines: Deadlines, seconds: float):
        self._deadlines, self._seconds = deadlines, seconds
        self.expired = False

    def __enter__(self) -> Wait:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline is kept only for a task's wait")
        self.task = task
        self._cancelling = task.cancelling()
        loop = task.get_loop()
        deadlines = self._deadlines
        deadlines._waiting[self] = loop.time() + self._seconds
        if deadlines._sweep_handle is None or deadlines._loop is not loop:  # no sweep yet in this loop
            deadlines._schedule(loop)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._deadlines._waiting.pop(self, None)
        # As asyncio.timeout: our own cancellation becomes a TimeoutError; one from elsewhere goes on.
        if self.expired and self.task.uncancel() <= self._cancelling and kind is asyncio.CancelledError:
            raise TimeoutError from error
