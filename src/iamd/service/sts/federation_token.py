"""STS GetFederationToken: a federated user's session, whose permissions are the calling user's
narrowed by the session policies passed (none passed: no permissions at all, as AWS documents)."""

from __future__ import annotations

from sqlalchemy import Connection

from iamd.errors import AccessDenied, NoSuchEntity
from iamd.service import policy_documents, policy_lookup
from iamd.service.context import Call
from iamd.service.declare import Operation
from iamd.service.sts.claims import issue_credentials
from iamd.service.sts.role_sessions import packed_size

ROOT_MAX_SECONDS = 3_600


def federated_user_arn(account_id: str, name: str) -> str:
    return f"arn:aws:sts::{account_id}:federated-user/{name}"


def get_federation_token(tx: Connection, call: Call, params: dict) -> dict:
    caller = call.principal
    if call.session is not None:
        raise AccessDenied("Cannot call GetFederationToken with session credentials")
    name = params["Name"]
    policy_text, policy_arns = policy_documents.session_policies(params)
    for arn in policy_arns:
        if not policy_lookup.exists(tx, caller.account_id, arn):
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
    seconds = params.get("DurationSeconds", 43_200)
    if caller.is_root:
        seconds = min(seconds, ROOT_MAX_SECONDS)
    tags = {tag["Key"]: tag.get("Value", "") for tag in params.get("Tags", [])}
    federated_id = f"{caller.account_id}:{name}"
    arn = federated_user_arn(caller.account_id, name)
    claims = {"a": caller.account_id, "k": "federated-user", "id": federated_id, "n": name, "p": "/",
              "arn": arn, "uid": caller.user_id, "mfa": False, "tags": tags,
              "sp": [policy_text] if policy_text else [], "spa": policy_arns}
    return {
        "Credentials": issue_credentials(call, claims, seconds),
        "FederatedUser": {"FederatedUserId": federated_id, "Arn": arn},
        "PackedPolicySize": packed_size(policy_text, policy_arns, tags) if (policy_text or policy_arns or tags) else 0,
    }


def _federated_user_arn(call: Call, params: dict) -> str:
    return federated_user_arn(call.account_id, params["Name"])


OPERATIONS = (
    Operation("sts", "GetFederationToken", get_federation_token, _federated_user_arn, writes=False,
              changes_access=False),
)
