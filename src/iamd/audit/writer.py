"""Records into the store: a change's in the request's own transaction; a read-only call's from an
in-memory buffer, in batches, about once a second; a failed change's (its transaction rolled back) in a
transaction of its own afterwards.

Why read-only calls wait: their event was the only thing their transaction wrote, so every read became
a write transaction (on SQLite, the write lock and a commit to the WAL; ~+60 % of a GetUser's CPU). A
batch is one transaction for hundreds of events. The price: a crash (not a graceful stop, which
flushes) loses at most the last second of read-only events, and a reader in another worker process
sees them up to a second late (docs/audit.md). CloudTrail itself delivers events minutes late.

The insert goes straight to the driver (as store.fastpath does for the hot reads): SQLAlchemy's
execution path would cost more than the insert itself, on every request.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from itertools import chain, repeat, starmap
from typing import Any

from sqlalchemy import Connection, insert

from iamd import telemetry
from iamd.audit.record import JSON, Event
from iamd.store.schema import event_resources, events

log = logging.getLogger("iamd.audit")

# Read-only events held at most; at this many the request that adds one writes the batch itself
# (back-pressure: never an event dropped). A second of GetUsers at full speed is ~7,000.
PENDING_LIMIT = 20_000

_COLUMNS = ("event_id", "account_id", "event_ms", "event_source", "event_name", "username", "access_key_id",
            "read_only", "principal_key", "error_code", "resource_type", "resource_name", "record")
_INSERT = insert(events).values({name: None for name in _COLUMNS})
_INSERT_RETURNING = _INSERT.returning(events.c.seq)
_RESOURCE = insert(event_resources)
# A batch goes to PostgreSQL by binary COPY: each value is its length and its bytes. COPY's text format
# escapes every byte of every value in psycopg's C writer, ~7k instructions a GetUser's row of ~1 KB (a
# third of iamd's part of the flush). Binary COPY needs each column's type (a number's size is not the
# value's), as the schema declares them; its input checks the same lengths and encoding as text's.
_PG_COPY = f"COPY events ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_PG_COPY_TYPES = ["varchar", "varchar", "int8", "varchar", "varchar", "varchar", "varchar", "bool", "varchar",
                  "varchar", "varchar", "varchar", "text"]
# SQLite: Python's sqlite3 binds a str or an int as it is, but sends None and bool through its adapter
# registry (a tuple, a dict lookup, two attribute lookups: ~3.3k instructions a value, a GetUser's
# event had two). So read_only goes as 1 or 0 (what SQLAlchemy's Boolean stores), and the columns that
# are None in most events as "" made NULL by the statement (NULLIF: ~0.4k; none of them ever holds "").
_SQLITE_MOSTLY_NONE = ("error_code", "resource_type", "resource_name")
_SQLITE_ROW = "(" + ", ".join("NULLIF(?, '')" if c in _SQLITE_MOSTLY_NONE else "?" for c in _COLUMNS) + ")"
_SQLITE_INSERT = f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES {_SQLITE_ROW}"
# A batch goes as multi-row INSERTs of 2**k rows (at most 64), each text made once and kept in sqlite3's
# statement cache. executemany steps row by row, and sqlite3 lets go of the GIL around every step: the
# flush thread then took the GIL back from the event loop once a row, thousands of hand-offs a second
# that cost the loop's thread more CPU than the rows. 64 rows: a 64th of the hand-offs, and ~20 % fewer
# instructions a row than executemany; statements of 1,024 rows cost more to compile (and ~6 MB a
# connection to keep) than they saved.
_SQLITE_CHUNK = 64
_SQLITE_INSERTS = {size: f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES " + ", ".join([_SQLITE_ROW] * size)
                   for size in (2 ** k for k in range(_SQLITE_CHUNK.bit_length()))}
# SQLite writes a transaction's dirty pages to the WAL early ("spills") once they outgrow the page cache
# (~2 MB by default), and reads them back when the batch changes them again. A batch changes a leaf page
# of each attribute index for every caller and resource in it: on a trail of 200,000 events by 1,000
# users a batch of 5,000 events dirtied ~33 MB, and the spilling doubled the insert's system time. The
# flushing connection spills only past 16,000 pages (~64 MB at 4 KB), in place of writing and reading
# its pages twice: memory for the batch's pages (the process keeps it for the next batch, +40 MB there).
_SQLITE_SPILL = "PRAGMA cache_spill=16000"
# One statement, one round trip: set_config(..., true) lasts for the statement's own transaction.
_PG_RELAXED = (f"INSERT INTO events ({', '.join(_COLUMNS)}) SELECT {', '.join(f'%({c})s' for c in _COLUMNS)} "
               "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed")


class AuditTrail:
    """The server's recorder of events; ``enabled`` False (IAMD_AUDIT=false) records nothing."""

    def __init__(self, enabled: bool = True, retention_days: int = 90, prune_seconds: int = 3600,
                 flush_seconds: float = 1.0, pending_limit: int = PENDING_LIMIT):
        self.enabled = enabled
        self.retention_days = retention_days
        self.prune_seconds = max(1, prune_seconds)
        self.flush_seconds = flush_seconds
        self.pending_limit = pending_limit
        self._sql: dict[str, str] = {}
        self._store = None  # where deferred events go (attach); None: into the call's own transaction
        # Appended to by the requests, taken from its left end by the flush: a deque's append and popleft
        # are atomic (documented thread-safe), so a request adds its event without a lock (a lock taken and
        # released cost ~3k instructions a call), and an event added while a batch is taken stays for the
        # next one.
        self._pending: deque[Event] = deque()
        # One flush at a time: a reader's flush waits for a batch already taken from the buffer to commit.
        self._flushing = threading.Lock()

    def attach(self, store) -> None:
        """Defer read-only calls' events into ``store``, flushed by the server (web/app.py) every second."""
        self._store = store

    def write(self, tx: Connection, event: Event) -> None:
        """One event into ``tx``, the call's own transaction: a change and its event commit together."""
        self._insert(tx, [event])

    def defer(self, tx: Connection, event: Event) -> None:
        """A call that changed nothing: its event waits in memory for the next flush, so the call's
        transaction stays a read. Without a server flushing (tools), into ``tx`` as a change's would."""
        if self._store is None:
            self.write(tx, event)
            return
        pending = self._pending
        pending.append(event)
        if len(pending) >= self.pending_limit:
            try:
                self.flush("backpressure")
            except Exception:  # the call is answered all the same; the events stay pending
                log.exception("writing the pending events failed")

    def write_apart(self, store, event: Event, changed: bool = True) -> None:
        """A failed call's record, after its own transaction rolled back: a failed change's at once, in a
        transaction of its own; a failed read's deferred like any read's. Never fails the answer."""
        if not changed and self._store is not None:
            self._pending.append(event)
            return
        try:
            with store.transaction(write=True) as tx:
                self.write(tx, event)
        except Exception:
            log.exception("recording the event %s failed", event.event_id)

    def flush(self, by: str = "background") -> None:
        """Write the deferred events, oldest first, in one transaction. If it fails they stay pending,
        ahead of newer ones, for the next flush."""
        if self._store is None:
            return
        with self._flushing:  # even with nothing pending: a batch being written is waited for (a reader's)
            pending = self._pending
            # What is there now, oldest first; what requests add meanwhile goes on behind it.
            batch = list(starmap(pending.popleft, repeat((), len(pending))))  # popped in C: ~0.3k an event less
            if not batch:
                return
            try:
                with self._store.batch_transaction() as tx:  # the batch statements' connection
                    if tx.dialect.name == "sqlite":
                        tx.connection.driver_connection.execute(_SQLITE_SPILL)
                    self._insert(tx, batch)
            except BaseException:
                pending.extendleft(reversed(batch))  # one atomic step, ahead of those added since
                raise
        telemetry.DEFERRED_EVENTS.labels(by).inc(len(batch))

    @property
    def pending(self) -> int:
        return len(self._pending)

    def _insert(self, tx: Connection, batch: list[Event]) -> None:
        """The events in ``batch`` order, so their rows' seq follows their time (LookupEvents' order)."""
        sqlite = tx.dialect.name == "sqlite"
        rows: list[tuple] = []
        for event in batch:
            # Unpacked at once: an Event's fields by name cost ~150 instructions each (a tuple's getters).
            (record, event_id, account_id, event_ms, source, name, username, access_key_id, read_only, key, error,
             resources) = event
            text = record if type(record) is str else JSON(record)
            if not resources:
                kind = resource = None
            elif len(resources) == 1:
                (kind, resource), = resources
            else:  # several resources: the others need the row's seq, the ordinary (slower) way
                self._insert_rows(tx, rows)
                rows = []
                values = (event_id, account_id, event_ms, source, name, username, access_key_id, read_only, key, error,
                          *resources[0], text)
                seq = tx.execute(_INSERT_RETURNING, dict(zip(_COLUMNS, values, strict=True))).scalar_one()
                tx.execute(_RESOURCE, [{"seq": seq, "position": position, "account_id": account_id,
                                        "event_ms": event_ms, "resource_type": kind, "resource_name": name}
                                       for position, (kind, name) in enumerate(resources[1:], 1)])
                continue
            if sqlite:  # as _SQLITE_INSERT takes them
                rows.append((event_id, account_id, event_ms, source, name, username, access_key_id,
                             1 if read_only else 0, key, error or "", kind or "", resource or "", text))
            else:
                rows.append((event_id, account_id, event_ms, source, name, username, access_key_id, read_only, key,
                             error, kind, resource, text))
        self._insert_rows(tx, rows)

    def _insert_rows(self, tx: Connection, rows: list[tuple]) -> None:
        if not rows:
            return
        dialect = tx.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            tx.execute(_INSERT, [dict(zip(_COLUMNS, values, strict=True)) for values in rows])
            return
        driver: Any = tx.connection.driver_connection  # sqlite3's or psycopg's, open
        if dialect == "sqlite":
            if len(rows) == 1:
                driver.execute(_SQLITE_INSERT, rows[0])
                return
            start = 0
            while start < len(rows):  # 64 rows at a time, then the rest by its binary digits: 32, 16, ...
                size = min(_SQLITE_CHUNK, 1 << ((len(rows) - start).bit_length() - 1))
                driver.execute(_SQLITE_INSERTS[size], list(chain.from_iterable(rows[start:start + size])))
                start += size
            return
        sql = self._sql.get(dialect)
        if sql is None:
            sql = self._sql[dialect] = _INSERT.compile(dialect=tx.dialect).string
        if len(rows) == 1:
            # Without a transaction block (a read's, in a tool without a flushing server): a transaction of
            # one statement, which need not wait for the WAL flush.
            driver.execute(_PG_RELAXED if driver.autocommit else sql, dict(zip(_COLUMNS, rows[0], strict=True)))
            return
        # A batch by COPY: psycopg writes its rows in C, where executemany binds each row's parameters
        # in Python (about half of an event's cost to iamd).
        with driver.cursor() as cursor, cursor.copy(_PG_COPY) as copy:
            copy.set_types(_PG_COPY_TYPES)
            for values in rows:
                copy.write_row(values)
