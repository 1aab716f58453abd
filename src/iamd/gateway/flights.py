"""One upstream read per cache key at a time, for the gateway's caches of the upstream (resource
policies, table key schemas).

When a cache entry expires under load, every request in flight for it misses at once, and each would
read the upstream (a botocore call: milliseconds of CPU, in a worker thread). A request that misses while
a read of its key is in flight takes that read's answer instead, but only when nothing was forgotten
since the read began: the cache's ``generation`` (its count of ``forget`` and ``clear`` calls) is the
same. A read that began before a forwarded change thus never answers a request that came after it. A
failed read is not shared: each waiter then reads for itself, and says what it finds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

WAIT_SECONDS = 30.0  # a waiter reads for itself after this (the upstream's own read timeout)


class _Flight:
    __slots__ = ("generation", "done", "value", "ok")

    def __init__(self, generation: int):
        self.generation = generation
        self.done = threading.Event()
        self.value: Any = None
        self.ok = False


class Flights:
    def __init__(self) -> None:
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
            if flight.done.wait(WAIT_SECONDS) and flight.ok:
                return flight.value
            return load()
        try:
            flight.value = load()
            flight.ok = True
            return flight.value
        finally:
            flight.done.set()
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]
