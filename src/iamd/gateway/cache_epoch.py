"""What the gateway caches of the upstream (resource policies, tags, lookups), kept true across every
iamd process sharing the database.

Each process caches for a few seconds and drops an entry when it forwards a change to it; another
process would keep its copy until it expires. So a forwarding process that forwarded such a change
bumps ``gateway_state.cache_epoch`` (one UPDATE, after the upstream answered and before its client
gets the answer), and every decision reads the counter in its own transaction (one primary-key read):
a process that sees a value other than the one it last saw drops all of its gateway caches and
decides again with fresh reads. A request that begins after a change's answer is therefore decided
by the new state in every process, as in the process that forwarded it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select, update

from iamd.store.fastpath import HotQuery
from iamd.store.schema import gateway_state

_READ = HotQuery(select(gateway_state.c.cache_epoch).where(gateway_state.c.id == bindparam("id")))
_BUMP = (update(gateway_state).where(gateway_state.c.id == 1)
         .values(cache_epoch=gateway_state.c.cache_epoch + 1).returning(gateway_state.c.cache_epoch))


class CacheEpoch:
    def __init__(self, clear: Callable[[], None]):
        """``clear``: drops every gateway cache of this process."""
        self._clear = clear
        self._seen: int | None = None  # None: not read yet, so whatever is cached may predate a change
        self._lock = threading.Lock()

    @staticmethod
    def reads() -> list[tuple[HotQuery, dict[str, int]]]:
        """The read fresh() makes, for ``store.fastpath.read_ahead`` (on PostgreSQL, in the same round
        trip as the caller's key: service/authenticate.py key_reads)."""
        return [(_READ, {"id": 1})]

    def fresh(self, tx: Any) -> bool:
        """Whether this process's caches may serve the transaction's decision. False when another
        process forwarded a change since this one last looked: the caches have been cleared, and the
        request's policies and tags must be read again."""
        return self.seen(_READ.scalar(tx, {"id": 1}))

    @staticmethod
    def column() -> Any:
        """The counter as a column of another statement (the caller's key: one read for both)."""
        return (select(gateway_state.c.cache_epoch).where(gateway_state.c.id == 1).scalar_subquery()
                .label("cache_epoch"))

    def seen(self, value: int | None) -> bool:
        """fresh() with the counter read by the caller (``column()``)."""
        value = value or 0
        with self._lock:
            if value == self._seen:
                return True
            self._seen = value
        self._clear()
        return False

    def bump(self, tx: Any) -> None:
        """Tell every process that a forwarded request changed something they may cache (this process
        has dropped its own entries already)."""
        value = tx.execute(_BUMP).scalar() or 0
        with self._lock:
            if self._seen == value - 1:  # no other process's change in between: nothing else to drop
                self._seen = value
