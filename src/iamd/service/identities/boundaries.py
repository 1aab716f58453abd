"""Permissions boundaries: which ARNs may be one, and how GetUser and GetRole show them."""

from __future__ import annotations

from sqlalchemy import Connection

from iamd.errors import InvalidInput, NoSuchEntity, ValidationError
from iamd.service import policy_lookup
from iamd.service.context import Call


def describe(arn: str) -> dict:
    # AWS answers "Policy" (its API reference: "can only have a value of Policy"), not the model's enum
    # value "PermissionsBoundaryPolicy".
    return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}


def check_attachable(tx: Connection, call: Call, arn: str) -> None:
    if not arn.startswith("arn:"):
        raise ValidationError(f"ARN {arn} is not valid.")
    if not policy_lookup.is_policy_arn(arn):
        raise InvalidInput(f"ARN {arn} is not valid.")
    if not policy_lookup.exists(tx, call.account_id, arn):
        raise NoSuchEntity(f"Scope ARN: {arn} does not exist or is not attachable.")
