"""The decision on a forwarded request: every item the mapping names, through iamd's one engine.

The caller's policies come from ``Authorizer.policies_of`` (identity, boundary, session policies, cached
per principal and dropped on any change in the account), the global keys from
``service/request_context.py``, the item's own keys from the mapping, the resource's policy from the
upstream (``resource_policies.py``): ``service/decide.py`` weighs them with AWS's same-account and
cross-account rules.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iamd import telemetry
from iamd.gateway.authz import AuthorizationItem
from iamd.gateway.resource_tags import needs_tags
from iamd.policy import Decision
from iamd.service.authorize import Authorizer, denial_reason
from iamd.service.context import Call
from iamd.service.decide import decide


@dataclass(frozen=True)
class Refusal:
    action: str
    resource: str
    decision: Decision

    def message(self, principal_arn: str, service: str) -> str:
        """AWS's wording ("Troubleshoot access denied error messages", IAM User Guide); Amazon S3
        quotes the resource ("Access denied message examples", Amazon S3 User Guide) and tells an
        anonymous caller only "Access Denied"."""
        if not principal_arn:
            if service == "s3":
                return "Access Denied"
            principal_arn = "anonymous"
        shown = f'"{self.resource}"' if service == "s3" else self.resource
        return (f"User: {principal_arn} is not authorized to perform: {self.action} on resource: {shown} "
                f"{denial_reason(self.action, self.decision)}")


@dataclass(frozen=True)
class Undecided:
    """authorize()'s answer when a decision depends on resource tags it does not have."""

    reason: str


_ALLOWED, _DENIED = telemetry.DECISIONS.labels("allowed"), telemetry.DECISIONS.labels("denied")  # looked up once
NEEDS_TAGS = Undecided("the tags are to be read")
TAGS_UNAVAILABLE = Undecided("the tags could not be read")


def authorize(tx: Any, authorizer: Authorizer, call: Call, items: Sequence[AuthorizationItem],
              policies: Mapping[int, tuple[str | None, str | None]], settled: Container[int] | None = None,
              unavailable: Container[int] = ()) -> Refusal | Undecided | None:
    """The first item refused (None: all allowed). ``policies``: item index → (the resource's policy
    text or None, its owner account or None when unknown).

    Tags: ``settled`` holds the indexes whose resource tags are in their context or have none to read
    (None: all); ``unavailable`` those whose tags the upstream would not give. A statement that applies
    to an item's action and resource and uses a tag key (aws:ResourceTag/*, s3:ExistingObjectTag/*)
    gives NEEDS_TAGS for an item not settled (its decision could change once they are read), and
    TAGS_UNAVAILABLE when the item would be allowed without its unreadable tags (fail closed: a Deny on
    a tag could be missed). An item refused without them is refused: no tag could make it less so
    than a refusal."""
    for index, item in enumerate(items):
        policy, owner = policies.get(index, (None, None))
        decision = decide(tx, authorizer, call, item.action, item.resource, item.context, policy,
                          owner or item.resource_owner, explain=False)
        if needs_tags(decision.missing_context_values):
            if settled is not None and index not in settled:
                return NEEDS_TAGS
            if index in unavailable and decision.allowed:
                return TAGS_UNAVAILABLE
        if call.trail is not None:
            context = _recorded_context(call, item.context)
        if call.trail is not None and index == 0:
            call.trail.update(resource=item.resource, context=context, decision=decision)
        elif call.trail is not None:
            call.trail.setdefault("additional", []).append((item.action, item.resource, context))
        if not decision.allowed:
            _DENIED.inc()
            return Refusal(item.action, item.resource, decision)
    _ALLOWED.inc()
    return None


def _recorded_context(call: Call, context: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit record keeps of the context (audit/record.py SUGGESTIBLE_KEYS), built cheaply."""
    recorded = dict(context)
    recorded["aws:SecureTransport"] = "true" if call.secure_transport else "false"
    recorded["aws:RequestedRegion"] = call.region
    if call.source_ip:
        recorded["aws:SourceIp"] = call.source_ip
    if call.session_context.get("aws:MultiFactorAuthPresent"):
        recorded["aws:MultiFactorAuthPresent"] = call.session_context["aws:MultiFactorAuthPresent"]
    return recorded
