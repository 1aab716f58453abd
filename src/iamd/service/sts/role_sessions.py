"""A role session, however it was asked for: AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML.

Each operation checks its own credential (a caller's key, a token, an assertion) and the role's trust
policy; then the same steps follow: session policies that exist and fit, the session's sealed claims,
STS's answer. AWS answers all three alike: ``Credentials``, ``AssumedRoleUser``, ``PackedPolicySize``
when session policies or tags were passed, ``SourceIdentity`` when one was set.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass, field

from sqlalchemy import Connection

from iamd.errors import NoSuchEntity, PackedPolicyTooLarge
from iamd.service import policy_lookup
from iamd.service.context import Call
from iamd.service.identities import roles
from iamd.service.sts.claims import issue_credentials

# Compressed bytes of session policies and tags that fill 100%: an approximation under which a small
# policy packs to about the 16% AWS reports for it.
_PACKED_LIMIT = 600


@dataclass
class SessionRequest:
    session_name: str
    seconds: int
    tags: dict = field(default_factory=dict)  # every session tag, inherited transitive ones included
    transitive: list = field(default_factory=list)
    session_policy: str | None = None
    policy_arns: list = field(default_factory=list)
    source_identity: str | None = None
    mfa: bool = False
    chained: bool = False
    extra_claims: dict = field(default_factory=dict)  # what only one kind of session carries


def packed_size(policy_text: str | None, policy_arns: list[str], session_tags: dict) -> int:
    """AWS reports how full the packed session policies and tags are, in percent; an approximation."""
    packed = json.dumps([json.loads(policy_text) if policy_text else None, policy_arns, session_tags],
                        separators=(",", ":")).encode()
    return max(1, math.ceil(len(zlib.compress(packed, 9)) * 100 / _PACKED_LIMIT))


def start(tx: Connection, call: Call, role, request: SessionRequest) -> dict:
    """Check the session policies, seal the session's claims, and answer as STS does."""
    for arn in request.policy_arns:
        if not policy_lookup.exists(tx, role.account_id, arn):
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
    packed = None
    if request.session_policy is not None or request.policy_arns or request.tags:
        packed = packed_size(request.session_policy, request.policy_arns, request.tags)
        if packed > 100:
            raise PackedPolicyTooLarge(f"Packed policy consumes {packed}% of allotted space, please use "
                                       "smaller policy.")
    name = request.session_name
    session_arn = f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{name}"
    assumed_id = f"{role.id}:{name}"
    claims = {"a": role.account_id, "k": "assumed-role", "id": assumed_id, "n": name, "p": role.path,
              "arn": session_arn, "rid": role.id, "rn": role.name, "mfa": request.mfa, "chain": request.chained,
              "tags": request.tags, "tt": request.transitive,
              "sp": [request.session_policy] if request.session_policy else [], "spa": request.policy_arns,
              **request.extra_claims}
    if request.source_identity is not None:
        claims["si"] = request.source_identity
    roles.record_role_use(tx, role.id, call.now, call.region)
    result = {"Credentials": issue_credentials(call, claims, request.seconds),
              "AssumedRoleUser": {"AssumedRoleId": assumed_id, "Arn": session_arn}}
    if packed is not None:
        result["PackedPolicySize"] = packed
    if request.source_identity is not None:
        result["SourceIdentity"] = request.source_identity
    return result
