"""Old events pruned in small batches, each its own short transaction, so that requests (which write
events too) wait for a batch at most, never for the whole prune."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from iamd.audit.walk import trail_accounts
from iamd.store.schema import event_resources, events

BATCH = 2000


def prune(store, retention_days: int, now: datetime, batch: int = BATCH) -> int:
    """Delete events older than ``retention_days`` (0: keep all); the number deleted. Account by account,
    each on its time index (there is none on time alone)."""
    if retention_days <= 0:
        return 0
    cutoff = int((now - timedelta(days=retention_days)).timestamp() * 1000)
    with store.transaction(write=False) as tx:
        accounts = trail_accounts(tx)
    deleted = 0
    for account_id in accounts:
        while True:
            with store.transaction(write=True) as tx:
                seqs = list(tx.scalars(select(events.c.seq)
                                       .where(events.c.account_id == account_id, events.c.event_ms < cutoff)
                                       .order_by(events.c.event_ms).limit(batch)))
                if seqs:
                    tx.execute(delete(event_resources).where(event_resources.c.seq.in_(seqs)))
                    tx.execute(delete(events).where(events.c.seq.in_(seqs)))
            deleted += len(seqs)
            if len(seqs) < batch:
                break
    return deleted
