"""security/ids.py: the request id's shape."""

from __future__ import annotations

import uuid

from iamd.security import ids


def test_request_id_is_a_version_4_uuid_in_its_canonical_form():
    seen = {ids.request_id() for _ in range(2000)}
    assert len(seen) == 2000
    for value in seen:
        assert str(uuid.UUID(value)) == value  # 8-4-4-4-12, lower-case hex
        assert uuid.UUID(value).version == 4 and uuid.UUID(value).variant == uuid.RFC_4122
