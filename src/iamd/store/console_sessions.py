"""Storage of console sessions and sign-in failure counts: plain functions on one transaction.

The rules (lifetimes, the throttle's waits) live in ``service/console_sessions.py``; these functions only
read and write the rows of ``console_sessions`` and ``console_signin_failures``, so that every server
process sharing the database sees the same sessions and the same counts. Sessions are found by the
SHA-256 of their token (the primary key): one indexed lookup per console request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from iamd.store.schema import console_sessions, console_signin_failures


def _insert_unless_present(tx: Connection, values: dict) -> None:
    """INSERT ... ON CONFLICT DO NOTHING of a failure count, in the dialect's own words."""
    if tx.dialect.name == "postgresql":
        tx.execute(postgresql.insert(console_signin_failures).values(**values).on_conflict_do_nothing())
    else:
        tx.execute(sqlite.insert(console_signin_failures).values(**values).on_conflict_do_nothing())


def insert_session(tx: Connection, row: dict) -> None:
    tx.execute(console_sessions.insert().values(**row))


def find_session(tx: Connection, token_hash: str):
    """The row (a mapping), or None."""
    return tx.execute(select(console_sessions).where(console_sessions.c.token_hash == token_hash)).mappings().first()


def update_session(tx: Connection, token_hash: str, values: dict) -> bool:
    """Write ``values``; False when the row is gone (signed out or swept meanwhile)."""
    result = tx.execute(update(console_sessions).where(console_sessions.c.token_hash == token_hash).values(**values))
    return result.rowcount > 0


def delete_session(tx: Connection, token_hash: str) -> None:
    tx.execute(delete(console_sessions).where(console_sessions.c.token_hash == token_hash))


def delete_expired_sessions(tx: Connection, now: datetime) -> int:
    return tx.execute(delete(console_sessions).where(console_sessions.c.expires_at <= now)).rowcount


def find_failures(tx: Connection, account_key: str, user_key: str):
    return tx.execute(select(console_signin_failures).where(
        console_signin_failures.c.account_key == account_key,
        console_signin_failures.c.user_key == user_key)).mappings().first()


def lock_failures(tx: Connection, account_key: str, user_key: str, now: datetime):
    """The count's row, created if missing and locked until the transaction ends (a mapping).

    Whichever process gets the lock first reads and writes the count before the next one reads it.
    """
    _insert_unless_present(tx, {"account_key": account_key, "user_key": user_key, "failures": 0, "updated_at": now})
    return tx.execute(select(console_signin_failures).where(
        console_signin_failures.c.account_key == account_key,
        console_signin_failures.c.user_key == user_key).with_for_update()).mappings().one()


def set_failures(tx: Connection, account_key: str, user_key: str, values: dict) -> None:
    tx.execute(update(console_signin_failures).where(
        console_signin_failures.c.account_key == account_key,
        console_signin_failures.c.user_key == user_key).values(**values))


def clear_failures(tx: Connection, account_key: str, user_key: str) -> None:
    tx.execute(delete(console_signin_failures).where(
        console_signin_failures.c.account_key == account_key,
        console_signin_failures.c.user_key == user_key))


def delete_stale_failures(tx: Connection, before: datetime, now: datetime) -> int:
    """Forget counts untouched since ``before`` whose waits and locks are over."""
    table = console_signin_failures
    return tx.execute(delete(table).where(
        table.c.updated_at < before,
        or_(table.c.locked_until.is_(None), table.c.locked_until <= now),
        or_(table.c.not_before.is_(None), table.c.not_before <= now))).rowcount
