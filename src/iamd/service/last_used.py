"""When each access key was last used, and for what.

Recorded on every authenticated request, but written in batches: a write per request would cost
more than the request itself. Pending records are flushed about once a second, and before anything
reads them (GetAccessKeyLastUsed, ListAccessKeys' callers, the credential report).
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import Connection, update

from iamd.store.schema import access_keys


class LastUsedRecorder:
    def __init__(self) -> None:
        self._pending: dict[str, tuple[datetime, str, str]] = {}
        self._lock = threading.Lock()

    def record(self, access_key_id: str, when: datetime, service: str, region: str) -> None:
        with self._lock:
            self._pending[access_key_id] = (when, service, region)

    def flush(self, tx: Connection) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for key_id, (when, service, region) in sorted(pending.items()):
            tx.execute(
                update(access_keys)
                .where(access_keys.c.id == key_id)
                .values(last_used_at=when, last_used_service=service, last_used_region=region)
            )

    def __bool__(self) -> bool:
        return bool(self._pending)
