"""The one decision for a request to another service than IAM: the gateway and the authorization API call it.

``decide()`` weighs the caller's policies (identity, permissions boundary, session policies: loaded and
cached by ``service/authorize.py Authorizer.policies_of``, as for IAM's own calls) together with the
resource's own policy, under AWS's documented rules (IAM User Guide, "Policy evaluation logic",
"How AWS enforcement code logic evaluates requests to allow or deny access", "Cross-account policy
evaluation logic", "How IAM roles differ from resource-based policies"):

* An explicit Deny anywhere (identity, boundary, session or resource policy) wins.
* Same account (the resource's owner is the caller's account): an Allow in the resource policy that
  names the caller itself (the IAM user's ARN, the assumed-role *session* ARN, the federated-user
  session ARN, or ``"*"``) is enough on its own, even with no identity-based Allow, and an implicit
  deny in the permissions boundary or a session policy does not limit it. An Allow naming the *role*
  of an assumed-role session (or the IAM user behind a GetFederationToken session) stands in for an
  identity-based Allow, so the boundary and the session policies still limit it. An Allow naming the
  account (its id or root ARN) delegates to the identity-based policies. (policy/evaluate.py, row 3.)
* Cross-account: the caller's identity-based policies (within its boundary and session policies) and
  the resource policy must both allow (row 4); a resource without a policy cannot be reached from
  another account.
* KMS key policies are the documented exception: like a role's trust policy, the key policy must allow
  even within the account: naming the caller grants, naming the account defers to identity policies
  (row 5). A key whose policy could not be read (none given) is decided as AWS's default key policy
  decides, which names the account: identity policies alone.
* An anonymous caller (an unsigned request) has no policies: only a resource policy whose Allow names
  ``"*"`` or ``{"AWS": "*"}`` lets it in.
* The account's root user has every permission of its own account (an allow-all identity side), but
  an explicit Deny in a resource policy still refuses it and, across accounts, the resource policy must
  still allow it.

The request context is the one IAM's own calls evaluate (``service/request_context.py``: aws:PrincipalArn,
aws:PrincipalTag/*, aws:SourceIp, aws:CurrentTime, aws:SecureTransport, the session's MFA keys ...)
merged with the service's own keys given by the caller. The given context cannot replace a key that
describes the authenticated principal (aws:Principal*, aws:userid, aws:username, the session's keys):
those always come from the credentials.

``resource_owner`` None means the owner is unknown: the resource is taken to be in the caller's
account (the gateway reaches the upstream with the caller's account's credentials, so that is where an
ARN without an account resolves, and where a resource being created will be). Any other value that is
not the caller's account id (gateway/resource_policies.py says "unknown" for a bucket no iamd account
owns) is another account. A resource policy the engine cannot read refuses the request
(fail closed: a Deny in it would otherwise be missed).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from sqlalchemy import Connection, bindparam, select

from iamd.policy import Decision, Policy, PolicyError, PolicySet, Request, authorize as evaluate, parse_policy
from iamd.security.principal_kind import PrincipalKind
from iamd.service.authorize import Authorizer, scope_refusal
from iamd.service.context import Call
from iamd.service.request_context import request_context, time_keys
from iamd.store.schema import users

__all__ = ["decide", "Decider", "compile_resource_policy", "RESOURCE_POLICY_TYPE", "MUST_BE_NAMED_BY_RESOURCE_POLICY"]

RESOURCE_POLICY_TYPE = "Resource Policy"
# Services whose resource policy must allow even within its account (IAM User Guide, "How AWS
# enforcement code logic evaluates requests": "IAM role trust policies and KMS key policies are
# exceptions to this logic, because they must explicitly allow access for principals").
MUST_BE_NAMED_BY_RESOURCE_POLICY = frozenset({"kms"})

_ALLOW_ALL = parse_policy('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}',
                          policy_id="RootUser", policy_type="IAM Policy")
_ROOT = PolicySet(identity=(_ALLOW_ALL,))
_NOBODY = PolicySet()
# Across accounts a resource without a policy grants nothing: an empty resource part makes the engine
# require a resource-side Allow that cannot come (row 4), while Denies elsewhere still decide first.
_NO_RESOURCE_POLICY = parse_policy('{"Version":"2012-10-17","Statement":[]}', policy_id="ResourcePolicy",
                                   policy_type=RESOURCE_POLICY_TYPE)
# Keys that describe the authenticated caller: taken from its credentials, never from the given context.
_PRINCIPAL_PREFIXES = ("aws:principal", "aws:userid", "aws:username", "aws:multifactorauth", "aws:tokenissuetime",
                       "aws:federatedprovider", "aws:sourceidentity", "aws:assumedroot", "aws:viaawsservice")
_USER_ARN = select(users.c.path, users.c.name).where(users.c.id == bindparam("user_id"))


@lru_cache(maxsize=1024)
def compile_resource_policy(text: str) -> Policy:
    """A resource policy compiled once per text (its content is its key, so it cannot go stale).
    Raises PolicyError when the text is not a policy the engine can read."""
    return parse_policy(text, policy_id="ResourcePolicy", policy_type=RESOURCE_POLICY_TYPE)


def decide(tx: Connection, authorizer: Authorizer, call: Call, action: str, resource: str,
           context: Mapping[str, object], resource_policy: str | None, resource_owner: str | None,
           *, explain: bool = True) -> Decision:
    """Whether ``call``'s principal may perform ``action`` ("s3:GetObject") on ``resource`` (an ARN or "*").

    ``context``: the service's condition keys for this request (s3:prefix, aws:RequestTag/*, ...).
    ``resource_policy``: the resource's own policy document (text), None when it has none.
    ``resource_owner``: the account that owns the resource, None when unknown (taken as the caller's).
    ``explain``: False when only the decision matters (the gateway's enforcement): the engine may stop
    early, and ``Decision.matched`` is then partial. With True, ``matched`` holds the deciding
    statements, each with its policy id, type ("IAM Policy", "Resource Policy", ...) and part.

    The denial's wording is ``service/authorize.py denial_message(principal_arn, action, resource, decision)``.
    The caller counts decisions (telemetry) and records them in ``call.trail``: one request may need
    several decisions, and it knows which of them its audit record names."""
    return Decider(tx, authorizer, call, context, resource_policy).decide(action, resource, resource_owner,
                                                                          explain=explain)


class Decider:
    """``decide()`` for one call's several decisions (the authorization API's pairs, its caller's own
    permissions): the caller's policies and aliases loaded once, its request context built and normalised
    once per resource owner, each decision then only the engine's pass. The same rules as ``decide()``,
    which is this with one decision."""

    def __init__(self, tx: Connection, authorizer: Authorizer, call: Call, context: Mapping[str, object],
                 resource_policy: str | None):
        self.tx, self.authorizer, self.call = tx, authorizer, call
        self.context, self.resource_policy = context, resource_policy
        self._loaded: tuple[PolicySet, tuple[tuple[str, str], ...]] | None = None
        self._aliases: tuple[str, ...] | None = None
        self._requests: dict[str, Request] = {}  # owner → the request asked with its context, normalised

    def decide(self, action: str, resource: str, resource_owner: str | None, *, explain: bool = True) -> Decision:
        call = self.call
        principal = call.principal
        anonymous = principal.kind == PrincipalKind.ANONYMOUS
        owner = resource_owner or ("" if anonymous else call.account_id)
        same_account = anonymous or owner == call.account_id
        service = action.split(":", 1)[0].lower()

        resource_part: tuple[Policy, ...] = ()
        if self.resource_policy is not None:
            try:
                resource_part = (compile_resource_policy(self.resource_policy),)
            except PolicyError:
                return Decision(False, "implicitDeny", "resource", row=0)
        elif not same_account:
            resource_part = (_NO_RESOURCE_POLICY,)

        loaded = self._policies()
        if loaded is None:  # the user or role behind these credentials is gone: they are no one
            return Decision(False, "implicitDeny", "identity", row=0)
        base, tags = loaded
        aliases = self._principal_aliases() if resource_part and not anonymous and not principal.is_root else ()
        policy_set = _combined(base, resource_part, same_account, service in MUST_BE_NAMED_BY_RESOURCE_POLICY)
        asked = self._requests.get(owner)
        if asked is None:
            full_context = _context(call, self.context, tags, anonymous)
            if len(owner) == 12 and owner.isdigit():  # a global key AWS sets for requests to a resource
                full_context.setdefault("aws:ResourceAccount", owner)
            asked = _asked(full_context, principal.arn, principal.account_id)
            self._requests[owner] = asked
        request = asked.about(action, resource, principal_aliases=aliases, explain=explain)
        decision = evaluate(request, policy_set)
        if decision.allowed and not anonymous:
            refused = scope_refusal(call, request)  # GetScopedCredentials scope-down policies narrow everything
            if refused is not None:
                decision = refused
        return decision

    def _policies(self) -> tuple[PolicySet, tuple[tuple[str, str], ...]] | None:
        """The caller's policy set and principal tags; None when the principal is gone."""
        if self._loaded is None:
            principal = self.call.principal
            if principal.kind == PrincipalKind.ANONYMOUS:
                self._loaded = (_NOBODY, ())
            elif principal.is_root:
                self._loaded = (_ROOT, ())
            else:
                loaded = self.authorizer.policies_of(self.tx, self.call)
                if not loaded.exists:
                    return None
                self._loaded = (loaded.policy_set, loaded.tags)
        return self._loaded

    def principal_tags(self) -> tuple[tuple[str, str], ...] | None:
        """The caller's principal tags, as loaded for its decisions (the principal's description shows them
        without asking the Authorizer again); None when the principal is gone."""
        loaded = self._policies()
        return None if loaded is None else loaded[1]

    def _principal_aliases(self) -> tuple[str, ...]:
        if self._aliases is None:
            self._aliases = _aliases(self.tx, self.call)
        return self._aliases


# Requests already asked, by their caller and context's content: see _asked.
_ASKED: dict[tuple, Request] = {}
_MAX_ASKED = 4096


def _asked(context: dict, principal_arn: str, principal_account: str) -> Request:
    """A request of this caller with this context normalised (then asked about each action and resource by
    ``Request.about``), made once per distinct context across calls: a service asks for the same client,
    connection and second thousands of times, and normalising a dozen keys costs more than looking them
    up. Keyed by the context's content itself, in order (a request is a function of it), so it cannot go
    stale. Only a context of strings is kept: a list (aws:TagKeys ...) is not hashable, and True, 1 and
    1.0 are one key but three texts."""
    if not all(type(value) is str for value in context.values()):
        return Request(action="", resource="", context=context, principal_arn=principal_arn,
                       principal_account=principal_account)
    key = (principal_arn, principal_account, *context.items())
    found = _ASKED.get(key)
    if found is None:
        found = Request(action="", resource="", context=context, principal_arn=principal_arn,
                        principal_account=principal_account)
        if len(_ASKED) >= _MAX_ASKED:
            _ASKED.clear()
        _ASKED[key] = found
    return found


@lru_cache(maxsize=4096)
def _combined(base: PolicySet, resource_part: tuple[Policy, ...], same_account: bool, trust: bool) -> PolicySet:
    """The caller's policy set with the resource's policy, made once per combination so that the
    engine's per-action memo (kept inside the PolicySet) serves the next request too. Keyed by the
    compiled objects themselves (they hash by identity): a caller whose policies changed has a new
    base, a changed resource policy a new compiled Policy."""
    if not resource_part:
        return base
    return PolicySet(identity=base.identity, boundary=base.boundary, session=base.session, resource=resource_part,
                     resource_alone_grants=same_account, trust=trust)


def _context(call: Call, given: Mapping[str, object], tags: tuple[tuple[str, str], ...], anonymous: bool) -> dict:
    """The service's keys, then the caller's (which the service's cannot replace)."""
    own = {key: value for key, value in given.items() if not key.lower().startswith(_PRINCIPAL_PREFIXES)}
    if anonymous:  # no principal: only the connection's keys
        own["aws:CurrentTime"], own["aws:EpochTime"] = time_keys(call.now, call.now.tzinfo)
        own["aws:SecureTransport"] = "true" if call.secure_transport else "false"
        own["aws:RequestedRegion"] = call.region
        if call.source_ip:
            own["aws:SourceIp"] = call.source_ip
        if call.user_agent:
            own["aws:UserAgent"] = call.user_agent
        return own
    caller = request_context(call, {}, tags)
    return {**own, **caller}


def _aliases(tx: Connection, call: Call) -> tuple[str, ...]:
    """The other ARNs a session answers to in a resource policy: the role of an assumed-role session,
    the IAM user behind a federated-user session (AWS: grants to these are limited by the boundary and
    the session policies, unlike grants to the session's own ARN)."""
    principal, session = call.principal, call.session
    if session is None:
        return ()
    if principal.kind == PrincipalKind.ASSUMED_ROLE and session.role_name:
        return (f"arn:aws:iam::{principal.account_id}:role{session.path}{session.role_name}",)
    if principal.kind == PrincipalKind.FEDERATED_USER and session.user_id:
        # Looked up by the user's unique id: a namesake created after the session began is not it.
        row = tx.execute(_USER_ARN, {"user_id": session.user_id}).first()
        if row is not None:
            return (f"arn:aws:iam::{principal.account_id}:user{row.path}{row.name}",)
    return ()
