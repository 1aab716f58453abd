"""STS's questions about the caller and its credentials: GetCallerIdentity, GetAccessKeyInfo,
DecodeAuthorizationMessage."""

from __future__ import annotations

from sqlalchemy import Connection

from iamd.errors import InvalidAuthorizationMessage
from iamd.security import ids
from iamd.service.context import Call
from iamd.service.declare import sts


def get_caller_identity(tx: Connection, call: Call, params: dict) -> dict:
    principal = call.principal
    return {"UserId": principal.id, "Account": principal.account_id, "Arn": principal.arn}


def get_access_key_info(tx: Connection, call: Call, params: dict) -> dict:
    # As in AWS, the account is read from the key id itself, so any key (even a deleted one) answers.
    return {"Account": ids.account_of_access_key(params["AccessKeyId"])}


def decode_authorization_message(tx: Connection, call: Call, params: dict) -> dict:
    """Neither IAM nor STS encodes its denials (only other services do, with keys only AWS holds), so no
    message a client of iamd can hold decodes here: each is refused as AWS refuses a foreign one, after
    the caller's permission for sts:DecodeAuthorizationMessage was checked."""
    raise InvalidAuthorizationMessage("The encoded authorization message is invalid or was not issued by "
                                      "this service.")


OPERATIONS = (
    sts("GetCallerIdentity", get_caller_identity),
    sts("GetAccessKeyInfo", get_access_key_info),
    sts("DecodeAuthorizationMessage", decode_authorization_message),
)
