"""service/authorization_api/principals.py to_the_second: the very moment ``now.replace(microsecond=0)`` gives,
by a cheaper way (the last whole second remembered by its POSIX second, in UTC only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from iamd.service.authorization_api.principals import to_the_second

_MOMENTS = [datetime(2026, 11, 26, 10, 0, 0, 1, tzinfo=UTC), datetime(2026, 11, 26, 10, 0, 0, 999_999, tzinfo=UTC),
            datetime(2026, 11, 26, 10, 0, 1, 5, tzinfo=UTC), datetime(2026, 11, 26, 10, 0, 0, 500, tzinfo=UTC),
            datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC), datetime(1970, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC),
            datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC), datetime(1970, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC),
            datetime(2026, 11, 26, 10, 0, 0, 7, tzinfo=timezone(timedelta(hours=2))),
            datetime(2026, 11, 26, 8, 0, 0, 7, tzinfo=UTC), datetime(2026, 11, 26, 10, 0, 0, 7),
            datetime(2026, 11, 26, 10, 0, 0, 8, tzinfo=timezone(timedelta(0))), datetime.now(UTC), datetime.now(UTC)]


def test_a_moment_to_the_second_is_what_replace_gives():
    for _ in range(2):  # the second time with a whole second remembered
        for moment in _MOMENTS:
            whole = to_the_second(moment)
            expected = moment.replace(microsecond=0)
            assert (whole, whole.tzinfo, whole.isoformat()) == (expected, expected.tzinfo, expected.isoformat())
