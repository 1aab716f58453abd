"""Console passwords at rest: argon2id, as argon2-cffi encodes it (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``).

The idea is Django's ``hashers.py``: ``verify`` answers whether the password is right *and* whether the
stored hash should be replaced (it was made with weaker parameters than today's), and a check against a
missing hash still costs one full verification, so that a caller cannot tell "no such login profile"
from "wrong password" by the time the answer takes. Comparison in constant time is argon2's own.

Parameters (``PARAMETERS``): argon2id, 2 passes over 19 MiB with one lane, 16-byte salt, 32-byte tag:
OWASP's first recommended argon2id setting. One hash or verify costs roughly 15-40 ms of one core and
19 MiB of memory, which a server can afford per console sign-in or password change while keeping an
offline guess expensive. Raise them here; existing hashes are upgraded on their next successful verify
(``needs_rehash``).

Nothing here logs, and no error raised here carries the password.
"""

from __future__ import annotations

import threading

from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PREFIX = "$argon2id$"

PARAMETERS = Parameters(type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=2,
                        memory_cost=19 * 1024, parallelism=1)  # memory in KiB
_hasher = PasswordHasher.from_parameters(PARAMETERS)
_dummy_lock = threading.Lock()
_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    """A fresh argon2id hash of ``password`` (random salt), as text for the store."""
    return _hasher.hash(password)


def _dummy() -> str:
    """A hash of nothing in particular, made once, to verify against when there is no real hash."""
    global _dummy_hash
    if _dummy_hash is None:
        with _dummy_lock:
            if _dummy_hash is None:
                _dummy_hash = _hasher.hash("iamd: no password is set here")
    return _dummy_hash


def verify(password: str, encoded: str | None) -> tuple[bool, bool]:
    """(is the password right, should the stored hash be replaced by ``hash_password(password)``).

    ``encoded`` None (no such user, no login profile) still runs one verification against a dummy hash
    and answers (False, False). A stored value that is not an argon2 hash never matches.
    """
    if encoded is None:
        _verify_quietly(password, _dummy())
        return False, False
    if not encoded.startswith("$argon2"):
        _verify_quietly(password, _dummy())
        return False, False
    if not _verify_quietly(password, encoded):
        return False, False
    return True, needs_rehash(encoded)


def needs_rehash(encoded: str) -> bool:
    """True when ``encoded`` was not made with today's type and parameters."""
    if not encoded.startswith(PREFIX):
        return True
    try:
        return _hasher.check_needs_rehash(encoded)
    except (InvalidHashError, ValueError):
        return True


def _verify_quietly(password: str, encoded: str) -> bool:
    try:
        return _hasher.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
