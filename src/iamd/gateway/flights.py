"""One upstream read per cache key at a time, for the gateway's caches of the upstream (resource
policies, table key schemas).

When a cache entry expires under load, every request in flight for it misses at once, and each would
read the upstream (a botocore call: milliseconds of CPU, in a worker thread). A request that misses while
a read of its key is in flight takes that read's answer instead, but only when nothing was forgotten
since the read began: the cache's ``generation`` (its count of ``forget`` and ``clear`` calls) is the
same. A read that began before a forwarded change thus never answers a request that came after it.

A waiter waits for the read in flight and no longer: that read is bounded by the upstream client's own
timeouts (``upstream.READ_DEADLINE_SECONDS``), and its failure is the waiter's too (the same question,
asked of the same upstream at the same moment): reading again after it would double the wait. Waiting
happens in worker threads only (decision.py never reads the upstream in the event loop).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from iamd.gateway.upstream import READ_DEADLINE_SECONDS


class _Flight:
    __slots__ = ("generation", "done", "value", "error")

    def __init__(self, generation: int):
        self.generation = generation
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class Flights:
    def __init__(self, timed_out: Callable[[str], Exception], wait_seconds: float = READ_DEADLINE_SECONDS):
        """``timed_out(message)``: what a waiter raises when the read it waits for outlives the upstream's
        own timeouts (the caller's usual failure of a read); ``wait_seconds``: that bound."""
        self._timed_out, self._wait = timed_out, wait_seconds
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}

    def read(self, key: Hashable, generation: int, load: Callable[[], Any]) -> Any:
        """``load()``'s answer, or that of the read of ``key`` in flight since ``generation``."""
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None or flight.generation != generation
            if leader:
                flight = self._flights[key] = _Flight(generation)
        assert flight is not None
        if not leader:
            if not flight.done.wait(self._wait):
                raise self._timed_out(f"the upstream did not answer within {self._wait:g} seconds")
            if flight.error is not None:
                raise flight.error
            return flight.value
        try:
            flight.value = load()
            return flight.value
        except Exception as error:
            flight.error = error
            raise
        finally:
            flight.done.set()
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]
