"""Console sessions and sign-in throttling, both in this process's memory.

Sessions live on the server, keyed by a random 256-bit token that is the only thing the cookie holds
(HttpOnly, SameSite=Lax, Secure over HTTPS, Path=/console). We chose this over a cookie signed with a
key derived from the master key because sign-out and expiry must really end a session: a signed cookie
stays valid until its own expiry whatever the server does, unless the server keeps a list of revoked
ones, which is a session store again. The price: sessions end when the server restarts, and several
server processes (PostgreSQL deployments) need sticky routing for the console.

A session expires 12 hours after sign-in, or after 1 hour without a request. Each carries its own
CSRF token, which every form posts back. Visitors who have not signed in yet get a session too (stage
``anonymous``) so that the sign-in form itself is protected against login CSRF.

Throttling (``Throttle``) counts failed sign-ins per account and user name (the root user counts as
one name): after ``FREE_FAILURES`` failures each further attempt must wait, doubling from 1 second up
to 30 seconds; after ``LOCK_FAILURES`` failures in a row the sign-in is locked for ``LOCK_SECONDS``.
A successful sign-in clears the count. Counts are in memory, per process, forgotten on restart.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

ABSOLUTE_SECONDS = 12 * 3600
IDLE_SECONDS = 3600
MAX_SESSIONS = 20_000
COOKIE = "iamd-console"


@dataclass
class Session:
    token: str
    csrf: str
    created: float
    last_seen: float
    stage: str = "anonymous"  # anonymous | mfa | password | ready
    account_id: str = ""
    user_id: str | None = None  # None: the root user
    user_name: str = ""
    mfa_serial: str = ""  # the device to ask a code of (stage "mfa")
    mfa_at: float | None = None  # when the MFA code was accepted; None: signed in without MFA
    reset_reason: str = ""  # why the password must change (stage "password")
    data: dict = field(default_factory=dict)  # per-page state: the wizard, one-time secrets, flashes

    @property
    def signed_in(self) -> bool:
        return self.stage == "ready"

    @property
    def is_root(self) -> bool:
        return self.user_id is None


class SessionStore:
    def __init__(self, clock=time.time):
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()
        self.clock = clock

    def create(self) -> Session:
        now = self.clock()
        session = Session(token=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32), created=now,
                          last_seen=now)
        with self._lock:
            self._sessions[session.token] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        now = self.clock()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if now - session.created > ABSOLUTE_SECONDS or now - session.last_seen > IDLE_SECONDS:
                del self._sessions[token]
                return None
            session.last_seen = now
            self._sessions.move_to_end(token)
            return session

    def renew(self, session: Session) -> Session:
        """A new token for the same session (at sign-in, against session fixation)."""
        with self._lock:
            self._sessions.pop(session.token, None)
            session.token = secrets.token_urlsafe(32)
            session.csrf = secrets.token_urlsafe(32)
            session.created = session.last_seen = self.clock()
            self._sessions[session.token] = session
        return session

    def end(self, session: Session) -> None:
        with self._lock:
            self._sessions.pop(session.token, None)


FREE_FAILURES = 3
LOCK_FAILURES = 10
LOCK_SECONDS = 15 * 60
MAX_DELAY = 30.0


@dataclass
class _Record:
    failures: int = 0
    not_before: float = 0.0


class Throttle:
    def __init__(self, clock=time.time):
        self._records: dict[tuple[str, str], _Record] = {}
        self._lock = threading.Lock()
        self.clock = clock

    def wait_seconds(self, key: tuple[str, str]) -> int:
        """Seconds before this account+user may try again; 0 when it may try now."""
        with self._lock:
            record = self._records.get(key)
            if record is None:
                return 0
            return max(0, int(record.not_before - self.clock() + 0.999))

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            if len(self._records) > 100_000:
                self._records.clear()
            record = self._records.setdefault(key, _Record())
            record.failures += 1
            if record.failures >= LOCK_FAILURES:
                record.not_before = self.clock() + LOCK_SECONDS
                record.failures = 0
            elif record.failures > FREE_FAILURES:
                record.not_before = self.clock() + min(MAX_DELAY, 2.0 ** (record.failures - FREE_FAILURES - 1))

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._records.pop(key, None)
