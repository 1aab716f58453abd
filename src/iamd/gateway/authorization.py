"""The decision on a forwarded request: every item the mapping names, through iamd's one engine.

The caller's policies come from ``Authorizer.policies_of`` (identity, boundary, session policies, cached
per principal and dropped on any change in the account), the global keys from
``service/request_context.py``, the item's own keys from the mapping, the resource's policy from the
upstream (``resource_policies.py``): ``service/decide.py`` weighs them with AWS's same-account and
cross-account rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from iamd import telemetry
from iamd.policy import Decision
from iamd.service.authorize import Authorizer, denial_reason
from iamd.service.context import Call
from iamd.service.request_context import request_context

try:  # gw-respol's weighing of the resource's policy; until it lands, the identity side alone
    from iamd.service.decide import decide
except ImportError:  # pragma: no cover - replaced at the merge
    from iamd.policy import PolicySet, Request, authorize as _evaluate
    from iamd.service.authorize import scope_refusal

    def decide(tx, authorizer, call, action, resource, context, resource_policy, resource_owner) -> Decision:
        if call.principal.kind == "anonymous":
            return Decision(False, "implicitDeny", "resource")
        if call.principal.is_root:
            return Decision(True, "allowed", None)
        loaded = authorizer.policies_of(tx, call)
        request = Request(action=action, resource=resource, context=context, principal_arn=call.principal.arn,
                          principal_account=call.account_id, explain=False)
        decision = _evaluate(request, loaded.policy_set)
        if decision.allowed:
            decision = scope_refusal(call, request) or decision
        return decision

    _ = PolicySet


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


def principal_tags(tx, authorizer: Authorizer, call: Call) -> tuple[tuple[str, str], ...]:
    if call.principal.kind in ("anonymous", "root"):
        return ()
    return authorizer.policies_of(tx, call).tags


def authorize(tx, authorizer: Authorizer, call: Call, items: Sequence, policies: Mapping[int, tuple[str, str]]
              ) -> Refusal | None:
    """The first item refused (None: all allowed). ``policies``: item index → (policy text, owner account)."""
    tags = principal_tags(tx, authorizer, call)
    base = request_context(call, {}, tags) if call.principal.kind != "anonymous" else _anonymous_context(call)
    for index, item in enumerate(items):
        context = {**base, **item.context}
        policy, owner = policies.get(index, (None, item.resource_owner))
        decision = decide(tx, authorizer, call, item.action, item.resource, context, policy,
                          owner or item.resource_owner)
        if call.trail is not None and index == 0:
            call.trail.update(resource=item.resource, context=context, decision=decision)
        elif call.trail is not None:
            call.trail.setdefault("additional", []).append((item.action, item.resource, context))
        if not decision.allowed:
            telemetry.DECISIONS.labels("denied").inc()
            return Refusal(item.action, item.resource, decision)
    telemetry.DECISIONS.labels("allowed").inc()
    return None


def _anonymous_context(call: Call) -> dict:
    context = {"aws:CurrentTime": call.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
               "aws:EpochTime": str(int(call.now.timestamp())),
               "aws:SecureTransport": "true" if call.secure_transport else "false",
               "aws:RequestedRegion": call.region}
    if call.source_ip:
        context["aws:SourceIp"] = call.source_ip
    if call.user_agent:
        context["aws:UserAgent"] = call.user_agent
    return context
