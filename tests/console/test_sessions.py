"""Console sessions and sign-in throttling (no browser): expiry, renewal, the slow-down and the lock."""

from __future__ import annotations

from iamd.web.console.sessions import (
    ABSOLUTE_SECONDS,
    FREE_FAILURES,
    IDLE_SECONDS,
    LOCK_FAILURES,
    LOCK_SECONDS,
    SessionStore,
    Throttle,
)


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def test_a_session_ends_when_idle_too_long():
    clock = Clock()
    store = SessionStore(clock)
    session = store.create()
    clock.now += IDLE_SECONDS - 1
    assert store.get(session.token) is session
    clock.now += IDLE_SECONDS + 1
    assert store.get(session.token) is None


def test_a_session_ends_after_its_absolute_lifetime_even_when_busy():
    clock = Clock()
    store = SessionStore(clock)
    session = store.create()
    while clock.now + 600 < 1_000_000.0 + ABSOLUTE_SECONDS:
        clock.now += 600
        assert store.get(session.token) is session
    clock.now += 601
    assert store.get(session.token) is None


def test_renewal_and_sign_out_forget_the_old_token():
    store = SessionStore()
    session = store.create()
    old_token, old_csrf = session.token, session.csrf
    store.renew(session)
    assert store.get(old_token) is None and session.csrf != old_csrf
    assert store.get(session.token) is session
    store.end(session)
    assert store.get(session.token) is None


def test_failures_slow_down_then_lock_and_success_clears():
    clock = Clock()
    throttle = Throttle(clock)
    key = ("123456789012", "alice")
    for _ in range(FREE_FAILURES):
        throttle.failed(key)
    assert throttle.wait_seconds(key) == 0
    throttle.failed(key)
    assert throttle.wait_seconds(key) == 1
    for _ in range(LOCK_FAILURES - FREE_FAILURES - 1):
        throttle.failed(key)
    assert throttle.wait_seconds(key) == LOCK_SECONDS
    assert throttle.wait_seconds(("123456789012", "bob")) == 0
    clock.now += LOCK_SECONDS
    assert throttle.wait_seconds(key) == 0
    throttle.failed(key)
    throttle.succeeded(key)
    assert throttle.wait_seconds(key) == 0
