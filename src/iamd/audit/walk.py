"""The accounts that have events, for the walks over the whole trail (the export, the prune): the trail
keeps no index on time alone (each index costs every event's insert), so they walk each account's
ix_events_account_time in turn."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from iamd.store.schema import events

_FIRST = select(func.min(events.c.account_id))


def trail_accounts(tx: Connection) -> list[str]:
    """Each account id in the trail, in order, found by one index seek each (a skip scan: a few accounts
    over millions of events)."""
    found: list[str] = []
    account_id = tx.scalar(_FIRST)
    while account_id is not None:
        found.append(account_id)
        account_id = tx.scalar(_FIRST.where(events.c.account_id > account_id))
    return found
