"""Whether a role's trust policy lets a principal take the role: the one evaluation that AssumeRole and
the federated AssumeRoleWith* operations share.

A trust policy is not like other resource-based policies: even in the role's own account it must allow
the principal (row 5 of ``policy/evaluate.py``). Naming the principal, or the role of the calling
session, is enough on its own; naming the account defers to the principal's identity policies; across
accounts both sides must allow (row 4). The caller's boundary and session policies limit every grant.
A federated principal (web identity, SAML) has no policies of its own: the trust policy alone decides.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from iamd.policy import Decision, Policy, PolicySet, Request, authorize, parse_policy


@dataclass(frozen=True)
class Principal:
    """Who asks to take the role. ``policies`` None: a federated principal with no policies of its own."""

    arn: str
    account: str = ""
    aliases: tuple = ()  # other ARNs it answers to: the role of an assumed-role session
    policies: PolicySet | None = None


@functools.lru_cache(maxsize=1024)
def compiled(trust_policy: str) -> Policy:
    """A trust policy compiled once per text (roles change rarely; many sessions share one)."""
    return parse_policy(trust_policy, policy_id="TrustPolicy", policy_type="Trust Policy")


def decide(trust_policy: str, role_arn: str, action: str, principal: Principal, context: dict) -> Decision:
    """Whether ``principal`` may perform ``action`` (sts:AssumeRole, sts:TagSession, ...) on the role."""
    own = principal.policies
    role_account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
    policy_set = PolicySet(
        identity=own.identity if own else (),
        boundary=own.boundary if own else None,
        session=own.session if own else None,
        resource=(compiled(trust_policy),),
        resource_alone_grants=own is None or principal.account == role_account,
        trust=True,
    )
    request = Request(action=action, resource=role_arn, context=context, principal_arn=principal.arn,
                      principal_account=principal.account, principal_aliases=principal.aliases)
    return authorize(request, policy_set)
