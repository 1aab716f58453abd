"""web/api.py _whole_second: what ``now.replace(microsecond=0)`` gives, from the last second it kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from iamd.web import api


def test_every_instant_truncates_as_replace_does():
    start = datetime(2026, 11, 26, 7, 0, 58, 999_998, tzinfo=UTC)
    others = [timezone(timedelta(hours=2)), None, UTC]
    for step in range(0, 3_000_000, 99_991):  # across three second boundaries, back and forth
        for moment in (start + timedelta(microseconds=step), start - timedelta(microseconds=step)):
            for tz in others:
                now = moment.replace(tzinfo=tz)
                kept = api._whole_second(now)
                assert kept == now.replace(microsecond=0)
                assert kept.tzinfo is now.tzinfo and kept.fold == now.fold and kept.microsecond == 0
                assert repr(kept) == repr(now.replace(microsecond=0))


def test_a_later_second_and_an_earlier_one_are_not_the_kept_one():
    now = datetime(2026, 11, 26, 7, 0, 5, 10, tzinfo=UTC)
    assert api._whole_second(now) == datetime(2026, 11, 26, 7, 0, 5, tzinfo=UTC)
    assert api._whole_second(now + timedelta(seconds=1)) == datetime(2026, 11, 26, 7, 0, 6, tzinfo=UTC)
    assert api._whole_second(now - timedelta(microseconds=11)) == datetime(2026, 11, 26, 7, 0, 4, tzinfo=UTC)
    assert api._whole_second(datetime.max.replace(tzinfo=UTC)) == datetime.max.replace(microsecond=0, tzinfo=UTC)
