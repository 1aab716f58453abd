"""Console sessions and sign-in throttling (no browser), on the store: expiry, renewal, the slow-down, the lock.

Run on SQLite, and on PostgreSQL when IAMD_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from iamd.security.secrets import SecretBox
from iamd.service.console_sessions import (
    ABSOLUTE_SECONDS,
    FREE_FAILURES,
    IDLE_SECONDS,
    LOCK_FAILURES,
    LOCK_SECONDS,
    TOUCH_SECONDS,
    SessionStore,
    Throttle,
    token_hash,
)
from iamd.store.database import Store
from iamd.store.migrate import upgrade
from iamd.store.schema import console_sessions, console_signin_failures
from tests.api.server import PostgresDatabase

PG_URL = os.environ.get("IAMD_TEST_DATABASE_URL", "")
BOX = SecretBox(b"k" * 32)


class Clock:
    def __init__(self):
        self.now = 1_000_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    database = None
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("IAMD_TEST_DATABASE_URL is not set (.ci/run sets it): PostgreSQL tests skipped")
        database = PostgresDatabase(PG_URL)
    opened = Store.open(database.url if database else f"sqlite:///{tmp_path / 'iamd.db'}")
    upgrade(opened)
    yield opened
    opened.dispose()
    if database:
        database.drop()


def _rows(store, table):
    with store.transaction(write=False) as tx:
        return [dict(row) for row in tx.execute(select(table)).mappings()]


def test_a_session_ends_when_idle_too_long(store):
    clock = Clock()
    sessions = SessionStore(store, BOX, clock)
    session = sessions.create()
    clock.now += IDLE_SECONDS - 1
    assert sessions.get(session.token).token == session.token
    clock.now += IDLE_SECONDS + 1
    assert sessions.get(session.token) is None
    assert _rows(store, console_sessions) == [], "an expired session's row is deleted when met"


def test_a_session_ends_after_its_absolute_lifetime_even_when_busy(store):
    clock = Clock()
    start = clock.now
    sessions = SessionStore(store, BOX, clock)
    session = sessions.create()
    while clock.now + 600 < start + ABSOLUTE_SECONDS:
        clock.now += 600
        assert sessions.get(session.token) is not None
    clock.now += 601
    assert sessions.get(session.token) is None


def test_renewal_and_sign_out_forget_the_old_token(store):
    sessions = SessionStore(store, BOX)
    session = sessions.create()
    old_token, old_csrf = session.token, session.csrf
    sessions.renew(session)
    assert sessions.get(old_token) is None and session.csrf != old_csrf
    assert sessions.get(session.token).csrf == session.csrf
    sessions.end(session)
    assert sessions.get(session.token) is None
    assert _rows(store, console_sessions) == []


def test_what_a_request_changes_is_saved_and_read_back(store):
    clock = Clock()
    sessions = SessionStore(store, BOX, clock)
    session = sessions.create()
    session.stage, session.account_id, session.user_id, session.user_name = "ready", "123456789012", "AIDAX", "bob"
    session.mfa_at = clock.now
    session.data["wizard"] = {"names": ["alice"], "secret": "shown-once"}
    sessions.save(session)
    again = sessions.get(session.token)
    assert (again.stage, again.account_id, again.user_id, again.user_name) == ("ready", "123456789012", "AIDAX", "bob")
    assert again.mfa_at == pytest.approx(clock.now) and again.data == session.data
    row = _rows(store, console_sessions)[0]
    assert b"shown-once" not in bytes(row["data"]), "the per-page state is sealed"


def test_the_token_is_stored_only_as_its_hash(store):
    sessions = SessionStore(store, BOX)
    session = sessions.create()
    [row] = _rows(store, console_sessions)
    assert row["token_hash"] == token_hash(session.token) != session.token
    assert all(session.token not in str(value) for value in row.values())


def test_last_seen_is_written_at_most_once_a_minute(store):
    clock = Clock()
    sessions = SessionStore(store, BOX, clock)
    session = sessions.create()
    clock.now += TOUCH_SECONDS - 1
    sessions.get(session.token)
    assert _rows(store, console_sessions)[0]["last_seen_at"].timestamp() == pytest.approx(clock.now - TOUCH_SECONDS + 1)
    clock.now += 1
    sessions.get(session.token)
    assert _rows(store, console_sessions)[0]["last_seen_at"].timestamp() == pytest.approx(clock.now)


def test_the_sweep_removes_expired_sessions(store):
    clock = Clock()
    sessions = SessionStore(store, BOX, clock)
    old = sessions.create()
    clock.now += IDLE_SECONDS + 1
    fresh = sessions.create()
    sessions.sweep()
    assert [row["token_hash"] for row in _rows(store, console_sessions)] == [fresh.token_hash]
    assert old.token_hash != fresh.token_hash


def test_attempts_slow_down_then_lock_and_success_clears(store):
    """docs/console.md: after 3 failed sign-ins each further attempt waits (1 s, doubling up to 30 s);
    after 10 the sign-in is locked for 15 minutes. Attempts are counted when reserved."""
    clock = Clock()
    throttle = Throttle(store, clock)
    key = ("123456789012", "alice")
    for _ in range(FREE_FAILURES):
        assert throttle.reserve(key) == 0
    assert throttle.reserve(key) == 1, "after 3 failures the 4th attempt must wait"
    assert throttle.wait_seconds(key) == 1, "a refused attempt is not counted"
    clock.now += 1
    assert throttle.reserve(key) == 0
    assert throttle.wait_seconds(key) == 2
    waits = []
    for _ in range(LOCK_FAILURES - FREE_FAILURES - 1):
        waits.append(throttle.wait_seconds(key))
        clock.now += waits[-1]
        assert throttle.reserve(key) == 0
    assert waits == [2, 4, 8, 16, 30, 30]
    assert throttle.wait_seconds(key) == LOCK_SECONDS
    assert throttle.wait_seconds(("123456789012", "bob")) == 0
    assert Throttle(store, clock).wait_seconds(key) == LOCK_SECONDS, "another process sees the same lock"
    clock.now += LOCK_SECONDS
    assert throttle.wait_seconds(key) == 0
    assert throttle.reserve(key) == 0
    throttle.succeeded(key)
    assert throttle.wait_seconds(key) == 0
    assert _rows(store, console_signin_failures) == []
