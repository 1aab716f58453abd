"""What every STS operation that issues credentials shares: the claims sealed into the session token
(an ASIA key id, a secret, the claims), and the MFA check of a request that carries SerialNumber and
TokenCode (GetSessionToken, AssumeRole)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection

from iamd.errors import AccessDenied
from iamd.security import ids
from iamd.security.session_tokens import seal_claims
from iamd.service.context import Call
from iamd.service.credentials import mfa


def issue_credentials(call: Call, claims: dict, seconds: int) -> dict:
    """Temporary credentials: an ASIA key id, a secret, and the claims sealed into the session token."""
    sessions = call.env.sessions
    if sessions is None:  # every environment that serves STS has one (service/runtime.py)
        raise RuntimeError("no key to seal session tokens with")
    key_id, secret = ids.access_key_id(claims["a"], temporary=True), ids.secret_access_key()
    issued = call.now
    expires = issued + timedelta(seconds=seconds)
    token = seal_claims(sessions, key_id, {
        **claims, "s": secret, "iat": int(issued.timestamp()), "exp": int(expires.timestamp()),
    })
    return {"AccessKeyId": key_id, "SecretAccessKey": secret, "SessionToken": token, "Expiration": expires}


def check_mfa(tx: Connection, call: Call, params: dict) -> bool:
    """Whether the request proved MFA: False when it carries neither SerialNumber nor TokenCode, True
    when both verify, AccessDenied otherwise."""
    serial, code = params.get("SerialNumber"), params.get("TokenCode")
    if serial is None and code is None:
        return False
    if serial is None or code is None or not mfa.verify_code(tx, call, serial, code):
        raise AccessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code.")
    return True
