"""TEMPORARY STAND-IN for gw-respol's ``service/decide.py`` (branch decide-ready): same signature, so that
the authorization API can be built and tested before it lands. Deleted when decide-ready is merged."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Connection

from iamd.policy import Decision, Policy, PolicySet, Request, authorize as evaluate, parse_policy
from iamd.service.authorize import Authorizer, scope_refusal
from iamd.service.context import Call


@lru_cache(maxsize=256)
def _resource_policy(text: str) -> Policy:
    return parse_policy(text, policy_id="ResourcePolicy", policy_type="Resource Policy")


def decide(tx: Connection, authorizer: Authorizer, call: Call, action: str, resource: str, context: dict,
           resource_policy: str | None = None, resource_owner: str | None = None) -> Decision:
    owner = resource_owner or call.account_id
    if call.principal.is_root and owner == call.account_id and resource_policy is None:
        return Decision(True, "allowed", None)
    loaded = authorizer.policies_of(tx, call)
    base = loaded.policy_set
    policy_set = base
    if resource_policy is not None:
        policy_set = PolicySet(identity=base.identity, boundary=base.boundary, session=base.session,
                               resource=(_resource_policy(resource_policy),),
                               resource_alone_grants=owner == call.account_id)
    aliases: tuple[str, ...] = ()
    if call.principal.kind == "assumed-role" and call.session:
        aliases = (f"arn:aws:iam::{call.account_id}:role{call.principal.path}{call.session.get('rn', '')}",)
    request = Request(action=action, resource=resource, context=context, principal_arn=call.principal.arn,
                      principal_account=call.account_id, principal_aliases=aliases)
    decision = evaluate(request, policy_set)
    if decision.allowed:
        refused = scope_refusal(call, request)
        if refused is not None:
            return refused
    return decision
