"""Row locks for read-modify-write transactions: what makes a quota or an "add if absent" hold when
several transactions (threads or server processes) write at once.

PostgreSQL runs our transactions at READ COMMITTED: a count or an existence check sees only what was
committed before it, so two transactions can both see 1 of 2 keys and both insert. Locking the row of
the entity that owns what is counted (``SELECT ... FOR UPDATE``) makes such writers queue; each
statement after the lock sees everything committed before the lock was granted.

SQLite needs none of this: a write transaction begins with ``BEGIN IMMEDIATE``, so writers are already
serialized, and SQLAlchemy's SQLite dialect leaves ``FOR UPDATE`` out of the SQL.

Order, against deadlocks: the owner's row (user, then group; or role, policy, profile) before the
account's row. ``service.authorize.record_change`` updates the account's row at the end of most writes,
so the account row is always taken last, except by account-wide quotas, which take it first and
nothing else.
"""

from __future__ import annotations

import zlib

from sqlalchemy import Connection, Table, bindparam, func, select

from iamd.store.fastpath import HotQuery

# One statement per (table, column), built once: SQLAlchemy's statement building and execution cost
# several times the lookup itself, and every CreateUser (an account-wide quota) takes a lock.
_LOCKS: dict[tuple[str, str], HotQuery] = {}


def lock_row(tx: Connection, table: Table, key: str, column: str = "id") -> bool:
    """Lock the row of ``table`` whose ``column`` is ``key`` until the transaction ends.

    False when the row is gone (deleted by a transaction that committed while we waited).
    """
    query = _LOCKS.get((table.name, column))
    if query is None:
        query = _LOCKS[(table.name, column)] = HotQuery(
            select(table.c[column]).where(table.c[column] == bindparam("key")).with_for_update())
    return query.first(tx, {"key": key}) is not None


def lock_key(tx: Connection, namespace: str, key: str) -> None:
    """Lock a name rather than a row (for things whose owner may sit in one of several tables).

    PostgreSQL: a transaction-scoped advisory lock on a 64-bit hash of the name; two names that
    collide only queue behind each other. SQLite: nothing to do (writers are serialized).
    """
    if tx.dialect.name != "postgresql":
        return
    digest = zlib.crc32(namespace.encode()) << 32 | zlib.crc32(key.encode())
    if digest >= 1 << 63:
        digest -= 1 << 64  # pg_advisory_xact_lock takes a signed bigint
    tx.execute(select(func.pg_advisory_xact_lock(digest)))
