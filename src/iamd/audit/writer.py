"""Records into the store: in the request's own transaction, or, for a call that failed (its transaction
rolled back), in one of their own afterwards.

The insert goes straight to the driver (as store.fastpath does for the hot reads): SQLAlchemy's
execution path would cost more than the insert itself, on every request.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import Connection, insert

from iamd.audit.record import Event
from iamd.store.schema import event_resources, events

log = logging.getLogger("iamd.audit")

_COLUMNS = ("event_id", "account_id", "event_ms", "event_source", "event_name", "username", "access_key_id",
            "read_only", "principal_key", "error_code", "resource_type", "resource_name", "record")
_INSERT = insert(events).values({name: None for name in _COLUMNS})
_INSERT_RETURNING = _INSERT.returning(events.c.seq)
_RESOURCE = insert(event_resources)
# One statement, one round trip: set_config(..., true) lasts for the statement's own transaction.
_PG_RELAXED = (f"INSERT INTO events ({', '.join(_COLUMNS)}) SELECT {', '.join(f'%({c})s' for c in _COLUMNS)} "
               "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed")


class AuditTrail:
    """The server's recorder of events; ``enabled`` False (IAMD_AUDIT=false) records nothing."""

    def __init__(self, enabled: bool = True, retention_days: int = 90, prune_seconds: int = 3600):
        self.enabled = enabled
        self.retention_days = retention_days
        self.prune_seconds = max(1, prune_seconds)
        self._sql: dict[str, str] = {}

    def write(self, tx: Connection, event: Event) -> None:
        text = json.dumps(event.record, separators=(",", ":"), ensure_ascii=False)
        first = event.resources[0] if event.resources else (None, None)
        values = (event.event_id, event.account_id, event.event_ms, event.event_source, event.event_name,
                  event.username, event.access_key_id, event.read_only, event.principal_key, event.error_code,
                  first[0], first[1], text)
        if len(event.resources) > 1:  # the others need the row's seq: the ordinary (slower) way
            seq = tx.execute(_INSERT_RETURNING, dict(zip(_COLUMNS, values, strict=True))).scalar_one()
            tx.execute(_RESOURCE, [{"seq": seq, "position": position, "account_id": event.account_id,
                                    "event_ms": event.event_ms, "resource_type": kind, "resource_name": name}
                                   for position, (kind, name) in enumerate(event.resources[1:], 1)])
            return
        dialect = tx.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            tx.execute(_INSERT, dict(zip(_COLUMNS, values, strict=True)))
            return
        sql = self._sql.get(dialect)
        if sql is None:
            compiled = _INSERT.compile(dialect=tx.dialect)
            order = list(compiled.positiontup or ())
            assert order == list(_COLUMNS) or dialect == "postgresql", order
            sql = self._sql[dialect] = compiled.string
        driver = tx.connection.driver_connection
        if dialect == "sqlite":
            driver.execute(sql, values)
            return
        # A read runs without a transaction block on PostgreSQL (store.database): its event is a
        # transaction of one statement, which need not wait for the WAL flush (~ms a request). A crash
        # may lose the last fraction of a second of read events; a change's event commits with it.
        driver.execute(_PG_RELAXED if driver.autocommit else sql, dict(zip(_COLUMNS, values, strict=True)))

    def write_apart(self, store, event: Event) -> None:
        """A failed call's record, after its own transaction rolled back. Never fails the answer."""
        try:
            with store.transaction(write=True) as tx:
                self.write(tx, event)
        except Exception:
            log.exception("recording the event of request %s failed", event.record.get("requestID"))
