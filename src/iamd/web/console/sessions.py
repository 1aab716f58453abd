"""Console sessions and sign-in throttling, kept in the store so that every server process shares them.

Sessions live on the server, keyed by a random 256-bit token that is the only thing the cookie holds
(HttpOnly, SameSite=Lax, Secure over HTTPS, Path=/console). We chose this over a cookie signed with a
key derived from the master key because sign-out and expiry must really end a session: a signed cookie
stays valid until its own expiry whatever the server does, unless the server keeps a list of revoked
ones, which is a session store again.

The rows are in ``console_sessions`` (``store/console_sessions.py`` reads and writes them), so a
session made by one server process is honoured by every other one on the same database, and survives a
restart. Only the SHA-256 of the token is stored: a copy of the table signs no one in. The per-page
state (``data``: the wizards, flashes, the passwords and secret keys shown once, a new MFA device's
seed) is sealed by the SecretBox under a key of its own, bound to the token's hash.

A session expires 12 hours after sign-in, or after 1 hour without a request. Each carries its own
CSRF token, which every form posts back. Visitors who have not signed in yet get a session too (stage
``anonymous``) so that the sign-in form itself is protected against login CSRF.

Cost per console request: one lookup by primary key. ``last_seen`` is written at most once a minute
(so the idle limit holds to the minute), and the session's row only when the request changed it.
Expired rows are deleted when met, and by a sweep each process runs at most every 10 minutes.

Throttling (``Throttle``) counts sign-in attempts per account and user name (the root user counts as
one name), in ``console_signin_failures``. An attempt is reserved, counted and committed before its
password is checked (``reserve``), one reservation at a time per name, whichever thread or process makes
it: parallel guesses are counted like sequential ones. After ``FREE_FAILURES`` attempts each further one
must wait, doubling from 1 second up to 30 seconds; the ``LOCK_FAILURES``-th locks the sign-in for
``LOCK_SECONDS``. A successful sign-in clears the count (and a lock its own attempt set). Counts are
shared by every process; one left alone for a day (and no longer waiting or locked) is forgotten by the sweep.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from iamd.store import console_sessions as rows

ABSOLUTE_SECONDS = 12 * 3600
IDLE_SECONDS = 3600
TOUCH_SECONDS = 60  # last_seen is written at most this often
SWEEP_SECONDS = 600
FAILURES_KEPT_SECONDS = 24 * 3600
COOKIE = "iamd-console"
DATA_PURPOSE = "console-session-data"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


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
    ended: bool = False
    _saved: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def signed_in(self) -> bool:
        return self.stage == "ready"

    @property
    def is_root(self) -> bool:
        return self.user_id is None

    @property
    def token_hash(self) -> str:
        return token_hash(self.token)

    def _state(self) -> tuple:
        return (self.csrf, self.stage, self.account_id, self.user_id, self.user_name, self.mfa_serial,
                self.mfa_at, self.reset_reason, json.dumps(self.data, sort_keys=True))


class SessionStore:
    """Sessions in the store. ``tx``: run inside the caller's write transaction instead of one's own."""

    def __init__(self, store, box, clock=time.time):
        self.store = store
        self.box = box.derived(DATA_PURPOSE)
        self.clock = clock
        self._sweep_lock = threading.Lock()
        self._last_sweep = float("-inf")

    @contextmanager
    def _write(self, tx):
        if tx is not None:
            yield tx
        else:
            with self.store.transaction(write=True) as own:
                yield own

    def create(self, tx=None) -> Session:
        now = self.clock()
        session = Session(token=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32), created=now,
                          last_seen=now)
        with self._write(tx) as t:
            rows.insert_session(t, self._row(session))
            self._maybe_sweep(t, now)
        session._saved = session._state()
        return session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        now = self.clock()
        hashed = token_hash(token)
        with self.store.transaction(write=False) as tx:
            row = rows.find_session(tx, hashed)
        if row is None:
            return None
        session = self._session(token, row)
        if session is None or now - session.created > ABSOLUTE_SECONDS or now - session.last_seen > IDLE_SECONDS:
            with self.store.transaction(write=True) as tx:
                rows.delete_session(tx, hashed)
                self._maybe_sweep(tx, now)
            return None
        if now - session.last_seen >= TOUCH_SECONDS:
            session.last_seen = now
            with self.store.transaction(write=True) as tx:
                rows.update_session(tx, hashed, {"last_seen_at": _at(now), "expires_at": self._expires(session)})
                self._maybe_sweep(tx, now)
        session._saved = session._state()
        return session

    def renew(self, session: Session, tx=None) -> Session:
        """A new token for the same session (at sign-in, against session fixation)."""
        with self._write(tx) as t:
            rows.delete_session(t, session.token_hash)
            session.token = secrets.token_urlsafe(32)
            session.csrf = secrets.token_urlsafe(32)
            session.created = session.last_seen = self.clock()
            rows.insert_session(t, self._row(session))
        session._saved = session._state()
        return session

    def save(self, session: Session, tx=None) -> None:
        """Write what this request changed in the session; nothing when it changed nothing."""
        if session.ended or session._saved == session._state():
            return
        row = self._row(session)
        for unchanged in ("token_hash", "created_at", "last_seen_at", "expires_at"):
            row.pop(unchanged)
        with self._write(tx) as t:
            rows.update_session(t, session.token_hash, row)  # a row ended meanwhile elsewhere stays ended
        session._saved = session._state()

    def end(self, session: Session, tx=None) -> None:
        with self._write(tx) as t:
            rows.delete_session(t, session.token_hash)
        session.ended = True

    def sweep(self, tx=None) -> None:
        now = self.clock()
        with self._write(tx) as t:
            rows.delete_expired_sessions(t, _at(now))
            rows.delete_stale_failures(t, _at(now - FAILURES_KEPT_SECONDS), _at(now))

    def _maybe_sweep(self, tx, now: float) -> None:
        with self._sweep_lock:
            if now - self._last_sweep < SWEEP_SECONDS:
                return
            self._last_sweep = now
        self.sweep(tx)

    @staticmethod
    def _expires(session: Session) -> datetime:
        return _at(min(session.created + ABSOLUTE_SECONDS, session.last_seen + IDLE_SECONDS))

    def _row(self, session: Session) -> dict:
        hashed = session.token_hash
        data = self.box.seal(json.dumps(session.data), bound_to=hashed) if session.data else None
        return {"token_hash": hashed, "account_id": session.account_id or None, "user_id": session.user_id,
                "user_name": session.user_name, "stage": session.stage, "csrf": session.csrf,
                "mfa_serial": session.mfa_serial, "reset_reason": session.reset_reason,
                "mfa_at": _at(session.mfa_at) if session.mfa_at is not None else None, "data": data,
                "created_at": _at(session.created), "last_seen_at": _at(session.last_seen),
                "expires_at": self._expires(session)}

    def _session(self, token: str, row) -> Session | None:
        data = {}
        if row["data"] is not None:
            try:
                data = json.loads(self.box.open(bytes(row["data"]), bound_to=row["token_hash"]))
            except Exception:  # sealed under another master key, or tampered with: the session is void
                return None
        return Session(token=token, csrf=row["csrf"], created=row["created_at"].timestamp(),
                       last_seen=row["last_seen_at"].timestamp(), stage=row["stage"],
                       account_id=row["account_id"] or "", user_id=row["user_id"], user_name=row["user_name"],
                       mfa_serial=row["mfa_serial"], reset_reason=row["reset_reason"],
                       mfa_at=row["mfa_at"].timestamp() if row["mfa_at"] is not None else None, data=data)


FREE_FAILURES = 3
LOCK_FAILURES = 10
LOCK_SECONDS = 15 * 60
MAX_DELAY = 30.0


class Throttle:
    """Failed sign-ins per (account id, user name lower-cased), in the store."""

    def __init__(self, store, clock=time.time):
        self.store = store
        self.clock = clock

    @staticmethod
    def _key(key: tuple[str, str]) -> tuple[str, str]:
        return key[0][:64], key[1][:128]

    def wait_seconds(self, key: tuple[str, str], tx=None) -> int:
        """Seconds before this account+user may try again; 0 when it may try now (reserves nothing)."""
        if tx is None:
            with self.store.transaction(write=False) as own:
                return self.wait_seconds(key, own)
        return self._wait(rows.find_failures(tx, *self._key(key)), self.clock())

    @staticmethod
    def _wait(row, now: float) -> int:
        if row is None:
            return 0
        until = max((when.timestamp() for when in (row["not_before"], row["locked_until"]) if when is not None),
                    default=0.0)
        return max(0, int(until - now + 0.999))

    def reserve(self, key: tuple[str, str]) -> int:
        """Count one attempt before its password is checked; 0 when it may go ahead, else the seconds to wait.

        Its own transaction, committed before the (slow) password check, so that every other attempt,
        in any thread or process, sees it; the row is locked while it is read and written.
        """
        with self.store.transaction(write=True) as tx:
            now = self.clock()
            account_key, user_key = self._key(key)
            row = rows.lock_failures(tx, account_key, user_key, _at(now))
            wait = self._wait(row, now)
            if wait:
                return wait
            attempts = row["failures"] + 1
            values = {"failures": attempts, "updated_at": _at(now)}
            if attempts >= LOCK_FAILURES:
                values.update(failures=0, locked_until=_at(now + LOCK_SECONDS))
            elif attempts >= FREE_FAILURES:
                values["not_before"] = _at(now + min(MAX_DELAY, 2.0 ** (attempts - FREE_FAILURES)))
            rows.set_failures(tx, account_key, user_key, values)
            return 0

    def succeeded(self, key: tuple[str, str], tx=None) -> None:
        if tx is None:
            with self.store.transaction(write=True) as own:
                return self.succeeded(key, own)
        rows.clear_failures(tx, *self._key(key))
