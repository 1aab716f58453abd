"""aws:CurrentTime and aws:EpochTime are written once per moment (service/request_context.py time_keys), and
a moment equal to a cached one but given in another zone gets its own text, as it did before the cache.
IAM User Guide, "AWS global condition context keys": aws:CurrentTime (ISO 8601), aws:EpochTime (seconds
since the epoch)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from iamd.service.request_context import time_keys


def test_a_moment_s_time_keys_and_the_same_moment_elsewhere():
    moment = datetime(2026, 11, 25, 23, 30, 5, tzinfo=UTC)
    assert time_keys(moment, moment.tzinfo) == ("2026-11-25T23:30:05Z", "1795649405")
    assert time_keys(moment, moment.tzinfo) == ("2026-11-25T23:30:05Z", "1795649405")  # cached, the same
    elsewhere = moment.astimezone(timezone(timedelta(hours=1)))
    assert elsewhere == moment  # equal moments, hashed alike: the zone in the key keeps them apart
    assert time_keys(elsewhere, elsewhere.tzinfo) == ("2026-11-26T00:30:05Z", "1795649405")
