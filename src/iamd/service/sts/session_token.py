"""STS GetSessionToken: a user's (or the root user's) own permissions in temporary credentials, with
MFA recorded when the request proves it."""

from __future__ import annotations

from sqlalchemy import Connection

from iamd.errors import AccessDenied
from iamd.service.context import Call
from iamd.service.declare import sts
from iamd.service.sts.claims import check_mfa, issue_credentials

USER_MAX_SECONDS = 129_600  # 36 hours
ROOT_MAX_SECONDS = 3_600  # AWS caps the root user's sessions at one hour
DEFAULT_SECONDS = 43_200


def get_session_token(tx: Connection, call: Call, params: dict) -> dict:
    principal = call.principal
    if call.session is not None:
        raise AccessDenied("Cannot call GetSessionToken with session credentials")
    seconds = params.get("DurationSeconds", DEFAULT_SECONDS)
    if principal.is_root:
        seconds = min(seconds, ROOT_MAX_SECONDS)
    mfa = check_mfa(tx, call, params)
    claims: dict[str, object] = {
        "a": principal.account_id, "k": principal.kind, "id": principal.id, "n": principal.name,
        "uid": principal.user_id, "p": principal.path, "arn": principal.arn, "mfa": mfa,
    }
    if mfa:
        claims["mfa_at"] = int(call.now.timestamp())
    return {"Credentials": issue_credentials(call, claims, seconds)}


OPERATIONS = (sts("GetSessionToken", get_session_token),)
