"""The one bridge between a request and the policy engine: load, cache, decide, explain.

The account root user is never refused; sts:GetCallerIdentity is never denied. Every other caller's
policies are loaded from the store, compiled and cached per principal. The cache entry records the
account's ``auth_epoch`` (read with the access key, in the same query): every change in the account
bumps it, in this process or another sharing the database, so a revoked permission stops working on
the next request everywhere.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache

from sqlalchemy import Connection, bindparam, update

from iamd import telemetry
from iamd.errors import AccessDenied
from iamd.policy import Decision, PolicySet, Request, authorize as evaluate, parse_policy
from iamd.security.principal_kind import PrincipalKind
from iamd.service import policy_sets, resource_tags
from iamd.service.account.password_policy import load_policy
from iamd.service.context import Call
from iamd.service.declare import Operation
from iamd.service.request_context import request_context
from iamd.service.targets import Target
from iamd.store.fastpath import HotStatement
from iamd.store.schema import accounts

# AWS requires no permission for these: every authenticated caller may make them.
NEVER_DENIED = frozenset({"sts:GetCallerIdentity", "sts:GetSessionToken"})
# Decided by their handlers, which weigh a resource-based policy too (a role's trust policy).
AUTHORIZED_BY_HANDLER = frozenset({"sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"})

_EXPLICIT = {
    "identity": "with an explicit deny in an identity-based policy",
    "boundary": "with an explicit deny in a permissions boundary",
    "session": "with an explicit deny in a session policy",
    "resource": "with an explicit deny in a resource-based policy",
}
_IMPLICIT = {
    "identity": "because no identity-based policy allows the {action} action",
    "boundary": "because no permissions boundary allows the {action} action",
    "session": "because no session policy allows the {action} action",
    "resource": "because no resource-based policy allows the {action} action",
}


def denial_reason(action: str, decision: Decision) -> str:
    """The end of AWS's message: "because no identity-based policy allows the ... action", "with an explicit
    deny in a resource-based policy", ..."""
    part = decision.denied_by or "identity"
    return (_EXPLICIT if decision.decision == "explicitDeny" else _IMPLICIT)[part].format(action=action)


def denial_message(principal_arn: str, action: str, resource: str, decision: Decision) -> str:
    reason = denial_reason(action, decision)
    return f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource} {reason}"


def denied(principal_arn: str, action: str, resource: str, decision: Decision) -> AccessDenied:
    """AWS's refusal, the action, resource and decision kept (the audit record names the statement
    that denied; the console names the action)."""
    return AccessDenied(denial_message(principal_arn, action, resource, decision), action=action,
                        resource=resource, decision=decision)


_ALLOW_ALL = parse_policy('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}')


@lru_cache(maxsize=1024)
def _scope_policy(text: str) -> PolicySet:
    # Alone in the session part over an allow-all identity: it decides exactly as a session policy.
    scope = parse_policy(text, policy_id="ScopeDownPolicy", policy_type="Session Policy")
    return PolicySet(identity=(_ALLOW_ALL,), session=(scope,))


def scope_refusal(call: Call, request: Request) -> Decision | None:
    """The decision of the first GetScopedCredentials scope-down policy that refuses the request, or None.

    Each layer narrows on its own (IAM User Guide, "Permissions for GetScopedCredentials": the result is
    the intersection of the session's permissions and every scope-down policy in the chain), so each is
    evaluated apart rather than joined to the session policies, which together form one union."""
    for text in call.session.scope if call.session else ():
        decision = evaluate(request, _scope_policy(text))
        if not decision.allowed:
            return decision
    return None


# The cache counter's children, looked up once (labels() costs several µs a call).
_HIT, _MISS = telemetry.CACHE.labels("principal_policies", "hit"), telemetry.CACHE.labels("principal_policies", "miss")
_ALLOWED, _DENIED = telemetry.DECISIONS.labels("allowed"), telemetry.DECISIONS.labels("denied")


class Authorizer:
    def __init__(self, max_principals: int = 10_000):
        # (account id, principal id, a session's key id or "") → (auth_epoch loaded under, the policies)
        self._cache: OrderedDict[tuple[str, str, str], tuple[int, policy_sets.PrincipalPolicies]] = OrderedDict()
        self._max = max_principals
        self._lock = threading.Lock()
        self.compiled = policy_sets.CompiledManagedPolicies()

    def check(self, tx: Connection, call: Call, operation: Operation, params: dict) -> Decision | None:
        """Raise AccessDenied unless the caller may make this call; None when no evaluation was needed."""
        if call.principal.is_root or operation.action in NEVER_DENIED or operation.action in AUTHORIZED_BY_HANDLER:
            return None
        found = operation.resource(call, params)
        resource = found.arn if isinstance(found, Target) else found
        loaded = self.policies_of(tx, call)
        # A bare ARN names no IAM resource with tags (service/resource_tags.py): only a Target has some.
        target_tags = None
        if loaded.uses_resource_tags and isinstance(found, Target):
            target_tags = resource_tags.of_target(tx, found)
        context = request_context(call, params, loaded.tags, target_tags)
        request = Request(action=operation.action, resource=resource, context=context,
                          principal_arn=call.principal.arn, principal_account=call.account_id, explain=False)
        decision = evaluate(request, loaded.policy_set)
        if call.trail is not None:  # for the audit record: what was asked, of what, with which context
            call.trail.update(resource=resource, context=context)
        if not decision.allowed and not _granted_by_account(tx, call, operation.action, resource, decision):
            _DENIED.inc()
            raise denied(call.principal.arn, operation.action, resource, decision)
        refused = scope_refusal(call, request)
        if refused is not None:
            _DENIED.inc()
            raise denied(call.principal.arn, operation.action, resource, refused)
        for extra in operation.additional:
            self._check_additional(call, params, loaded, extra)
        _ALLOWED.inc()
        return decision

    def _check_additional(self, call: Call, params: dict, loaded, extra) -> None:
        """An action AWS evaluates besides the operation's own, on its own resource (never the
        operation's resource tags: AWS warns they are unreliable for iam:PassRole)."""
        resource = extra.resource(call, params)
        context = {**request_context(call, params, loaded.tags), **extra.context(call, params)}
        request = Request(action=extra.action, resource=resource, context=context,
                          principal_arn=call.principal.arn, principal_account=call.account_id, explain=False)
        decision = evaluate(request, loaded.policy_set)
        if call.trail is not None:
            call.trail.setdefault("additional", []).append((extra.action, resource, context))
        if not decision.allowed:
            _DENIED.inc()
            raise denied(call.principal.arn, extra.action, resource, decision)

    def policies_of(self, tx: Connection, call: Call) -> policy_sets.PrincipalPolicies:
        principal = call.principal
        # A session's policies include its own session policies: cache those per session.
        per_session = principal.is_session
        key = (principal.account_id, principal.id, principal.access_key_id if per_session else "")
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[0] == call.auth_epoch:
                self._cache.move_to_end(key)
                _HIT.inc()
                return cached[1]
        _MISS.inc()
        loaded = policy_sets.for_principal(tx, principal.account_id, principal.kind, principal.user_id, call.session,
                                           self.compiled)
        with self._lock:
            self._cache[key] = (call.auth_epoch, loaded)
            if len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return loaded


def _granted_by_account(tx: Connection, call: Call, action: str, resource: str, decision: Decision) -> bool:
    """The account password policy's AllowUsersToChangePassword lets every IAM user change its own
    password with no policy granting iam:ChangePassword; an explicit deny still wins."""
    if action != "iam:ChangePassword" or decision.decision != "implicitDeny" \
            or call.principal.kind is not PrincipalKind.USER:
        return False
    if resource != call.principal.arn:
        return False
    policy = load_policy(tx, call.account_id)
    return policy is not None and policy.allow_users_to_change_password


_BUMP = HotStatement(update(accounts).where(accounts.c.id == bindparam("account_id"))
                     .values(auth_epoch=accounts.c.auth_epoch + 1))


def record_change(tx: Connection, account_id: str) -> None:
    """A change that may alter what principals may do: every cached policy set of the account is stale."""
    _BUMP.execute(tx, {"account_id": account_id})
