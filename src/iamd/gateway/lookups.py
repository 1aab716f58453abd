"""What the mapping needs to know of the upstream's resources: a DynamoDB table's partition key name
(for dynamodb:LeadingKeys); the key a KMS alias points to is resource_policies.py's kms_alias(). Read
with the account's upstream credentials, cached briefly, dropped when iamd forwards the table's
creation or deletion.

The edge asks ``cached_*`` first (in the event loop: no I/O; ``Cold`` when unknown), and on ``Cold``
computes the items again in a worker thread with the reading functions.

Table names can be reused after a deletion, and the upstream exposes no identity that
could be read without the call the cache saves: so entries live ``ttl`` seconds (default 5) and every
forwarded CreateTable and DeleteTable drops its name's entries; a read that began before such a drop does
not store its answer. One read per table at a time (flights.py).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from iamd.gateway.flights import Flights

_FORGET = {("dynamodb", "CreateTable"), ("dynamodb", "DeleteTable")}


class _ReadTimedOut(Exception):
    """A read of the upstream in flight outlived the upstream's own timeouts (flights.py)."""


class Cold(Exception):
    """Not cached: the lookup needs the upstream."""


class UpstreamLookups:
    def __init__(self, upstream: Any, *, ttl: float = 5.0, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        self._upstream, self._ttl, self._max, self._clock = upstream, ttl, max_entries, clock
        self._entries: OrderedDict[tuple[str, ...], tuple[float, str | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._forgets = 0  # bumped by forget() and clear(): a read that began before does not store
        self._flights = Flights(_ReadTimedOut)  # one read per key at a time

    def _peek(self, key: tuple[str, ...]) -> str | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] < self._clock():
                raise Cold(key[0])
            return found[1]

    def _store(self, key: tuple[str, ...], value: str | None, forgets: int) -> str | None:
        with self._lock:
            if self._forgets != forgets:  # a table created or deleted meanwhile: the answer may predate it
                return value
            self._entries[key] = (self._clock() + self._ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value

    # -- DynamoDB ----------------------------------------------------------------------------------

    def cached_key_schema(self, account: str, region: str, table: str) -> str | None:
        return self._peek(("table", account, region, table))

    def key_schema(self, account: str, region: str, table: str) -> str | None:
        """The table's partition (HASH) key name; None when the table does not exist (or cannot be read)."""
        try:
            return self.cached_key_schema(account, region, table)
        except Cold:
            pass
        key = ("table", account, region, table)
        with self._lock:
            forgets = self._forgets
        try:
            name = self._flights.read(key, forgets, lambda: self._read_key_schema(account, region, table))
        except (ClientError, BotoCoreError, KeyError, _ReadTimedOut):
            return None  # not stored: the table may be being created
        return self._store(key, name, forgets)

    def _read_key_schema(self, account: str, region: str, table: str) -> str | None:
        described = self._upstream.client("dynamodb", account, region).describe_table(TableName=table)
        schema = described["Table"]["KeySchema"]
        return next((key["AttributeName"] for key in schema if key["KeyType"] == "HASH"), None)

    def forget(self, service: str, operation: str, params: Mapping[str, Any]) -> bool:
        """Drop what a forwarded request may have changed; True when it may have changed something."""
        if (service, operation) not in _FORGET:
            return False
        name = params.get("TableName")
        with self._lock:
            self._forgets += 1
            for key in [key for key in self._entries if key[-1] == name]:
                del self._entries[key]
        return True

    def clear(self) -> None:
        with self._lock:
            self._forgets += 1
            self._entries.clear()
