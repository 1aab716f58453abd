"""The store under the gateway's upstream caches (resource policies, resource tags): entries that
expire, the oldest dropped beyond a bound, each filed under the resource names a forwarded change can
drop it by. Not locked: each cache calls it under its own lock."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable
from typing import Any

MISSING = object()  # what ``get`` answers for an entry absent or expired (a cached value may be None)


class NamedEntries:
    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, Any, tuple[Hashable, ...]]] = OrderedDict()
        self._by_name: dict[Hashable, set[Hashable]] = {}

    def get(self, key: Hashable, now: float) -> Any:
        """The value at ``key`` while it has not expired at ``now``, else MISSING."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= now:
            return MISSING
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: Hashable, expires: float, value: Any, names: tuple[Hashable, ...]) -> None:
        self._entries[key] = (expires, value, names)
        self._entries.move_to_end(key)
        for name in names:
            self._by_name.setdefault(name, set()).add(key)
        while len(self._entries) > self._max:
            old, (_, _, old_names) = self._entries.popitem(last=False)
            self._unfile(old, old_names)

    def drop(self, name: Hashable) -> None:
        """Every entry filed under ``name``, and its filings under its other names (else those would
        pile up, pointing at nothing)."""
        for key in self._by_name.pop(name, ()):
            entry = self._entries.pop(key, None)
            if entry is not None:
                self._unfile(key, entry[2])

    def _unfile(self, key: Hashable, names: tuple[Hashable, ...]) -> None:
        for name in names:
            keys = self._by_name.get(name)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_name[name]

    def names(self) -> Iterable[Hashable]:
        return list(self._by_name)

    def clear(self) -> None:
        self._entries.clear()
        self._by_name.clear()
