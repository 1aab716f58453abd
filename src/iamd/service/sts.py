"""STS: GetCallerIdentity, GetAccessKeyInfo, GetSessionToken."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import Connection

from iamd.errors import AccessDenied, InvalidAuthorizationMessage
from iamd.security import ids
from iamd.security.session_tokens import SessionClaims, seal
from iamd.service.context import Call
from iamd.service.declare import Operation, sts

USER_MAX_SECONDS = 129_600  # 36 hours
ROOT_MAX_SECONDS = 3_600  # AWS caps the root user's sessions at one hour
DEFAULT_SECONDS = 43_200


def get_caller_identity(tx: Connection, call: Call, params: dict) -> dict:
    principal = call.principal
    return {"UserId": principal.id, "Account": principal.account_id, "Arn": principal.arn}


def get_access_key_info(tx: Connection, call: Call, params: dict) -> dict:
    # As in AWS, the account is read from the key id itself, so any key (even a deleted one) answers.
    return {"Account": ids.account_of_access_key(params["AccessKeyId"])}


def issue_credentials(call: Call, claims: SessionClaims, seconds: int) -> dict:
    """Temporary credentials: an ASIA key id, a secret, and the claims sealed into the session token."""
    key_id, secret = ids.access_key_id(claims.account_id, temporary=True), ids.secret_access_key()
    issued = call.now
    expires = issued + timedelta(seconds=seconds)
    token = seal(call.env.sessions, key_id, dataclasses.replace(
        claims, secret=secret, issued_at=int(issued.timestamp()), expires_at=int(expires.timestamp())))
    return {"AccessKeyId": key_id, "SecretAccessKey": secret, "SessionToken": token, "Expiration": expires}


def get_session_token(tx: Connection, call: Call, params: dict) -> dict:
    principal = call.principal
    if call.session is not None:
        raise AccessDenied("Cannot call GetSessionToken with session credentials")
    seconds = params.get("DurationSeconds", DEFAULT_SECONDS)
    if principal.is_root:
        seconds = min(seconds, ROOT_MAX_SECONDS)
    mfa = _check_mfa(tx, call, params)
    claims = SessionClaims(account_id=principal.account_id, kind=principal.kind, id=principal.id,
                           name=principal.name, arn=principal.arn, path=principal.path, user_id=principal.user_id,
                           mfa=mfa, mfa_at=int(call.now.timestamp()) if mfa else None)
    return {"Credentials": issue_credentials(call, claims, seconds)}


def _check_mfa(tx: Connection, call: Call, params: dict) -> bool:
    serial, code = params.get("SerialNumber"), params.get("TokenCode")
    if serial is None and code is None:
        return False
    from iamd.service import mfa  # MFA devices build on users; imported where needed

    if serial is None or code is None or not mfa.verify_code(tx, call, serial, code):
        raise AccessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code.")
    return True


def decode_authorization_message(tx: Connection, call: Call, params: dict) -> dict:
    """Neither IAM nor STS encodes its denials (only other services do, with keys only AWS holds), so no
    message a client of iamd can hold decodes here: each is refused as AWS refuses a foreign one, after
    the caller's permission for sts:DecodeAuthorizationMessage was checked."""
    raise InvalidAuthorizationMessage("The encoded authorization message is invalid or was not issued by "
                                      "this service.")


def _assume_role(tx: Connection, call: Call, params: dict) -> dict:
    from iamd.service.assume_role import assume_role  # roles build on STS's credentials

    return assume_role(tx, call, params)


def _role_arn(call: Call, params: dict) -> str:
    return params["RoleArn"]


def _get_federation_token(tx: Connection, call: Call, params: dict) -> dict:
    from iamd.service.federation import get_federation_token  # federation builds on STS's credentials

    return get_federation_token(tx, call, params)


def _federated_user_arn(call: Call, params: dict) -> str:
    from iamd.service.federation import federated_user_arn

    return federated_user_arn(call.account_id, params["Name"])


OPERATIONS = (
    sts("GetCallerIdentity", get_caller_identity),
    Operation("sts", "AssumeRole", _assume_role, _role_arn, writes=True, changes_access=False),
    sts("GetAccessKeyInfo", get_access_key_info),
    sts("GetSessionToken", get_session_token),
    sts("DecodeAuthorizationMessage", decode_authorization_message),
    Operation("sts", "GetFederationToken", _get_federation_token, _federated_user_arn, writes=False,
              changes_access=False),
)
