"""When each access key, and each principal, last used what.

Recorded on every authenticated request, but written in batches: a write per request would cost
more than the request itself. Pending records are flushed about once a second, and before anything
reads them (GetAccessKeyLastUsed, ListAccessKeys' callers, the credential report, the service last
accessed reports).

Two things are kept:

- per long-term access key, its latest use (time, service, region), in the access_keys row, as AWS
  reports it (GetAccessKeyLastUsed, the credential report). Temporary credentials have no row.
- per principal and service, the latest use (principal_last_used), whatever credentials were used: a
  user's keys and session credentials, a federated user's for the user who federated, a role's
  sessions, the root user's. The service last accessed reports read it.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, update

from iamd.security.principal_kind import PrincipalKind
from iamd.security.session_tokens import SessionClaims
from iamd.service.context import Principal
from iamd.store.schema import access_keys, principal_last_used


def principal_of(principal: Principal, session: SessionClaims | None) -> tuple[str, str] | None:
    """(kind, id) whose use a request counts as: ("user", user id), ("role", role id), ("root", account id)."""
    kind = principal.kind
    if kind is PrincipalKind.USER:
        return "user", principal.user_id or principal.id
    if kind is PrincipalKind.ASSUMED_ROLE:
        role_id = session.role_id if session else None
        return ("role", role_id) if role_id else None
    if kind is PrincipalKind.ROOT:
        return "root", principal.account_id
    if kind is PrincipalKind.FEDERATED_USER:
        user_id = session.user_id if session else None
        return ("user", user_id) if user_id else None
    return None


# The flush's statements, built once: building and compiling them anew cost ~2 million instructions a
# flush (once a second under load), more than a thousand requests' recording.
_KEY_USED = (update(access_keys).where(access_keys.c.id == bindparam("key_id"))
             .values(last_used_at=bindparam("used_at"), last_used_service=bindparam("used_service"),
                     last_used_region=bindparam("used_region")))
_PRINCIPAL_USED: dict[str, Any] = {}  # by dialect name: the upsert of principal_last_used


class LastUsedRecorder:
    def __init__(self) -> None:
        self._pending: dict[str, tuple[datetime, str, str]] = {}
        # (principal id, service) → (account id, principal kind, when, region)
        self._principals: dict[tuple[str, str], tuple[str, str, datetime, str]] = {}
        self._lock = threading.Lock()

    def record(self, access_key_id: str, principal: Principal, session: SessionClaims | None, when: datetime,
               service: str, region: str) -> None:
        """A request signed with ``access_key_id`` by ``principal`` (``session``: the claims of temporary
        credentials, None for a long-term key)."""
        who = principal_of(principal, session)
        with self._lock:
            if session is None:
                self._pending[access_key_id] = (when, service, region)
            if who is not None:
                key = (who[1], service)
                known = self._principals.get(key)
                if known is None or when >= known[2]:
                    self._principals[key] = (principal.account_id, who[0], when, region)

    def flush(self, tx: Connection) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            principals, self._principals = self._principals, {}
        if pending:
            # One statement, a row each, in key order, as before.
            tx.execute(_KEY_USED, [{"key_id": key_id, "used_at": when, "used_service": service, "used_region": region}
                                   for key_id, (when, service, region) in sorted(pending.items())])
        if principals:
            # In key order, so that two processes flushing at once take their row locks in one order.
            rows = [{"principal_id": principal_id, "service": service, "account_id": account_id,
                     "principal_kind": kind, "last_used_at": when, "region": region}
                    for (principal_id, service), (account_id, kind, when, region) in sorted(principals.items())]
            tx.execute(_principal_upsert(tx.dialect.name), rows)

    def __bool__(self) -> bool:
        return bool(self._pending) or bool(self._principals)


def _principal_upsert(dialect_name: str) -> Any:
    """principal_last_used's upsert for this dialect: a later use replaces an earlier one, never the reverse."""
    statement = _PRINCIPAL_USED.get(dialect_name)
    if statement is None:
        insert = _upsert_dialect(dialect_name).insert(principal_last_used)
        statement = _PRINCIPAL_USED[dialect_name] = insert.on_conflict_do_update(
            index_elements=[principal_last_used.c.principal_id, principal_last_used.c.service],
            set_={"last_used_at": insert.excluded.last_used_at, "region": insert.excluded.region},
            where=principal_last_used.c.last_used_at < insert.excluded.last_used_at,
        )
    return statement


def _upsert_dialect(name: str):
    """The dialect module whose insert() has on_conflict_do_update; imported at the first flush, off
    the way to a server's first answer (PostgreSQL's dialect alone costs 50 ms to import)."""
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql
    from sqlalchemy.dialects import sqlite

    return sqlite
