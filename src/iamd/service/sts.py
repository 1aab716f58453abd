"""STS operations that need no role: GetCallerIdentity, GetAccessKeyInfo."""

from __future__ import annotations

from sqlalchemy import Connection

from iamd.security import ids
from iamd.service.context import Call
from iamd.service.declare import sts


def get_caller_identity(tx: Connection, call: Call, params: dict) -> dict:
    principal = call.principal
    return {"UserId": principal.id, "Account": principal.account_id, "Arn": principal.arn}


def get_access_key_info(tx: Connection, call: Call, params: dict) -> dict:
    # As in AWS, the account is read from the key id itself, so any key (even a deleted one) answers.
    return {"Account": ids.account_of_access_key(params["AccessKeyId"])}


OPERATIONS = (
    sts("GetCallerIdentity", get_caller_identity),
    sts("GetAccessKeyInfo", get_access_key_info),
)
