"""SAML assertions are single use: an ID seen is refused until the assertion would have expired.

The IDs live in the database (``saml_assertions_seen``), written in the request's own transaction, so
every server process on the same database refuses a replay, and an assertion whose request failed
(and rolled back) was not spent. Two concurrent redemptions of one assertion race on the primary
key: the second waits for the first and then finds the row.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete

from iamd.errors import InvalidIdentityToken
from iamd.store.schema import saml_assertions_seen

REPLAYED = "SAML Assertion ID already used"


def _key(issuer: str, assertion_id: str) -> str:
    return hashlib.sha256(f"{issuer}\n{assertion_id}".encode()).hexdigest()


def _insert(dialect: str) -> Any:
    """The dialect's own INSERT (with ON CONFLICT), imported here: PostgreSQL's dialect is not imported
    at a start on SQLite (tests/unit/test_start_imports.py)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def spend(tx: Connection, issuer: str, assertion_id: str, expires_at: datetime, now: datetime) -> None:
    """Record the assertion as used; InvalidIdentityToken when it was used already."""
    tx.execute(delete(saml_assertions_seen).where(saml_assertions_seen.c.expires_at < now))
    done = tx.execute(_insert(tx.dialect.name)(saml_assertions_seen)
                      .values(key=_key(issuer, assertion_id), expires_at=expires_at)
                      .on_conflict_do_nothing(index_elements=["key"])
                      .returning(saml_assertions_seen.c.key)).first()
    if done is None:  # the row was there already
        raise InvalidIdentityToken(REPLAYED)
