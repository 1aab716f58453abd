"""Time-based one-time passwords (RFC 6238) for virtual MFA devices, as authenticator apps compute them.

Parameters are those of AWS's virtual MFA and of every common authenticator app: HMAC-SHA-1, 6 digits,
30-second steps counted from the Unix epoch. A seed is 40 random bytes written in RFC 4648 Base32
without padding: 64 characters, the length of AWS's ``Base32StringSeed``.

Codes are judged by time step, not by "now": ``match_step`` answers *which* step a code belongs to, so
that the caller can store the newest accepted step and refuse any code at or before it (a code is
good once). ``match_pair`` does the same for the two consecutive codes of EnableMFADevice and
ResyncMFADevice. Comparison is in constant time.

The provisioning URI follows Google Authenticator's key-URI format:
``otpauth://totp/<issuer>:<account>?secret=<seed>&issuer=<issuer>``. iamd's issuer is ``iamd`` and the
account part is ``<device-name>@<account-alias-or-id>``, as AWS shows ``<device>@<alias-or-id>`` under
"Amazon Web Services". ``qr_png`` draws that URI as a PNG (segno), what CreateVirtualMFADevice returns
as ``QRCodePNG``.
"""

from __future__ import annotations

import base64
import hmac
import io
import secrets
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote

import pyotp

DIGITS = 6
STEP_SECONDS = 30
SEED_BYTES = 40  # 64 Base32 characters, as AWS's Base32StringSeed
ISSUER = "iamd"
WINDOW = 1  # steps either side of now that a single code may come from (clock skew)
PAIR_WINDOW = 2  # steps either side of now that the second code of a pair may come from


def new_seed() -> str:
    """A fresh random seed, Base32 without padding."""
    return base64.b32encode(secrets.token_bytes(SEED_BYTES)).decode("ascii").rstrip("=")


def time_step(when: datetime | float) -> int:
    """The RFC 6238 counter for an instant."""
    seconds = when.timestamp() if isinstance(when, datetime) else float(when)
    return int(seconds // STEP_SECONDS)


def code_at(seed: str, step: int) -> str:
    """The 6-digit code of ``seed`` for time step ``step``."""
    return pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _candidates(now_step: int, window: int, after: int | None) -> Iterable[int]:
    """Steps to try, nearest to now first, never at or before ``after``."""
    order = sorted(range(now_step - window, now_step + window + 1), key=lambda s: (abs(s - now_step), s))
    return [s for s in order if after is None or s > after]


def match_step(seed: str, code: str, now: datetime, after: int | None = None, window: int = WINDOW) -> int | None:
    """The time step ``code`` belongs to, within ``window`` steps of ``now`` and after ``after``; else None."""
    if not (isinstance(code, str) and len(code) == DIGITS and code.isdigit()):
        return None
    for step in _candidates(time_step(now), window, after):
        if _equal(code_at(seed, step), code):
            return step
    return None


def match_pair(seed: str, code1: str, code2: str, now: datetime, after: int | None = None,
               window: int = PAIR_WINDOW) -> int | None:
    """The step of ``code2`` when ``code1`` is the code of step t and ``code2`` of step t+1.

    t+1 must lie within ``window`` steps of ``now`` (so a pair typed over the last minute or so passes)
    and t must come after ``after``. None when no such t exists.
    """
    for code in (code1, code2):
        if not (isinstance(code, str) and len(code) == DIGITS and code.isdigit()):
            return None
    for second in _candidates(time_step(now), window, None if after is None else after + 1):
        if _equal(code_at(seed, second), code2) and _equal(code_at(seed, second - 1), code1):
            return second
    return None


def provisioning_uri(seed: str, device_name: str, account_label: str, issuer: str = ISSUER) -> str:
    """``otpauth://totp/iamd:<device>@<account>?secret=...&issuer=iamd`` for authenticator apps."""
    label = quote(f"{issuer}:{device_name}@{account_label}", safe=":@")
    return (f"otpauth://totp/{label}?secret={seed}&issuer={quote(issuer, safe='')}"
            f"&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}")


def qr_png(uri: str, scale: int = 5) -> bytes:
    """A PNG of the QR code holding ``uri``."""
    import segno  # at CreateVirtualMFADevice only, not at every server start

    out = io.BytesIO()
    segno.make_qr(uri, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
