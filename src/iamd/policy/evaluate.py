"""authorize(request, policy_set) -> Decision: AWS's evaluation logic as one truth table.

Everything comes in as arguments; nothing is fetched (the service layer loads the policies).

A statement *applies* to a request when its Action/NotAction covers the action, its
Resource/NotResource covers the resource (a statement without either, as in a trust policy, covers
any), its Principal/NotPrincipal covers the caller (resource-based policies only) and every
condition holds. Then, for each part of the policy set:

    I  = an identity-based Allow applies            D = a Deny applies anywhere (any part)
    B  = no boundary given, or a boundary Allow applies
    S  = no session policy given, or a session-policy Allow applies
    Rd = a resource-based Allow applies that names the caller itself (its ARN, or "*")
    Ra = a resource-based Allow applies that names the caller by an alias (a role, for its session)
    Rc = a resource-based Allow applies that names the caller's account (its id or root ARN)
    R  = Rd or Ra or Rc
    (with ``trust``, the resource part is a role's trust policy and these are Td, Ta, Tc, T)

    row | D | resource policies            | decision       | denied_by
    ----+---+------------------------------+----------------+------------------------------------
     1  | 1 | any                          | explicitDeny   | the first part with a Deny, in the
        |   |                              |                | order identity, resource, boundary,
        |   |                              |                | session
     2  | 0 | none given                   | allowed iff I and B and S; else implicitDeny,
        |   |                              | denied_by = first of identity (not I), boundary
        |   |                              | (not B), session (not S)
     3  | 0 | given, resource_alone_grants | allowed iff Rd or ((I or Ra) and B and S)
        |   | (same account: AWS documents | else implicitDeny, denied_by as in row 2 with
        |   | that a resource policy naming| "identity" meaning neither I nor Ra
        |   | a user or session directly is|
        |   | not limited by the boundary  |
        |   | or session policy; one naming|
        |   | a role is; one naming the    |
        |   | account delegates to identity|
        |   | policies)                    |
     4  | 0 | given, not resource_alone_   | allowed iff R and I and B and S (cross-account:
        |   | grants (cross-account; also  | both sides must allow); else implicitDeny,
        |   | a trust policy across        | denied_by as in row 2, then "resource" (not R)
        |   | accounts)                    |
     5  | 0 | trust, resource_alone_grants | allowed iff T and (Td or Ta or I) and B and S;
        |   | (a role's trust policy, same | else implicitDeny, denied_by "resource" (not T),
        |   | account: unlike other        | then "identity" (only Tc, not I), "boundary",
        |   | resource policies it must    | "session"
        |   | name the caller itself; one  |
        |   | naming the caller or its role|
        |   | grants without I, one naming |
        |   | the account defers to I; the |
        |   | boundary and session policies|
        |   | limit every grant)           |

``Decision.matched`` holds the statements that decided: every applying Deny for an explicit deny,
the applying Allows of the parts that granted for an allow, nothing for an implicit deny.
``missing_context_values`` lists the condition keys (and variable keys) of the statements whose
action and resource matched that the request context does not carry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypedDict

from .document import MEMO_LIMIT, MatchedStatement, Policy, Statement, parse_policy
from .values import normalise_context

__all__ = ["Request", "PolicySet", "MatchedStatement", "Decision", "authorize", "context_keys"]

ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "allowed", "explicitDeny", "implicitDeny"

# A statement whose actions cover the request's, and how the simulator reports it.
Candidate = tuple[Statement, MatchedStatement]


@dataclass(frozen=True, eq=False)
class Request:
    """What is asked: ``action`` ("iam:CreateUser"), ``resource`` (an ARN), the request context
    (keys as AWS names them, matched case-insensitively; a value is a string for a single-valued key
    or a list of strings for a multivalued one, even of one member: see values.py),
    and the caller for Principal matching: ``principal_arn`` (a user, assumed-role session, federated
    user or service), ``principal_account`` and ``principal_aliases`` (other ARNs the caller answers
    to, such as the role ARN of an assumed-role session: matched, but limited by boundary and
    session policies as AWS documents)."""

    action: str
    resource: str
    context: Mapping[str, object] = field(default_factory=dict)
    principal_arn: str = ""
    principal_account: str = ""
    principal_aliases: tuple[str, ...] = ()
    # False when only the decision matters (enforcement): the scan of a part stops at its first
    # applying Allow once every Deny has been seen; matched statements and missing keys are partial.
    explain: bool = True
    _context: dict[str, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_context", normalise_context(self.context))

    def about(self, action: str, resource: str, *, principal_aliases: tuple[str, ...], explain: bool) -> Request:
        """The same caller and context asked about another action and resource: the context is not
        normalised again (a caller with several decisions to make builds it once)."""
        asked = object.__new__(Request)  # a copy of the fields, the normalised context among them
        asked.__dict__.update(self.__dict__, action=action, resource=resource, principal_aliases=principal_aliases,
                              explain=explain)
        return asked


@dataclass(frozen=True)
class PolicySet:
    """The policies that bear on one caller. ``boundary``/``session`` None = not in force (as
    opposed to an empty tuple: a boundary that allows nothing). Cache one per principal."""

    identity: tuple[Policy, ...] = ()
    boundary: tuple[Policy, ...] | None = None
    session: tuple[Policy, ...] | None = None
    resource: tuple[Policy, ...] = ()
    resource_alone_grants: bool = False
    # The resource part is a role's trust policy (row 5): it must name the caller, even in its account.
    trust: bool = False
    _memo: dict[tuple[str, str], tuple[Candidate, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def candidates(self, part: str, action_lower: str) -> tuple[Candidate, ...]:
        """((statement, MatchedStatement), ...) of one part whose actions cover the action, memoised."""
        key = (part, action_lower)
        found = self._memo.get(key)
        if found is None:
            policies: tuple[Policy, ...] = getattr(self, part) or ()
            found = tuple(
                (s, p.matched_statement(s, part)) for p in policies for s in p.candidates(action_lower)
            )
            # Denies first (order otherwise kept): a scan that needs only the decision can stop at
            # the first applying Allow once it has seen every Deny.
            found = tuple(sorted(found, key=lambda pair: pair[0].effect == "Allow"))
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = found
        return found


@dataclass(frozen=True)
class Decision:
    allowed: bool
    decision: str  # "allowed" | "explicitDeny" | "implicitDeny"
    denied_by: str | None  # "identity" | "resource" | "boundary" | "session" | None
    matched: tuple[MatchedStatement, ...] = ()
    missing_context_values: tuple[str, ...] = ()
    identity_allowed: bool = False
    boundary_allowed: bool | None = None  # None: no boundary in force
    session_allowed: bool | None = None  # None: no session policy in force
    resource_allowed: bool | None = None  # None: no resource-based policy given
    row: int = 0  # the truth-table row that decided

    @property
    def boundary_decision(self) -> str | None:
        """For the simulator's PermissionsBoundaryDecisionDetail."""
        if self.boundary_allowed is None:
            return None
        return ALLOWED if self.boundary_allowed else IMPLICIT_DENY


class _Scan:
    """Applying statements of one part: MatchedStatements of Allows and Denies, principal kinds."""

    __slots__ = ("allows", "denies", "kinds", "direct")

    def __init__(self) -> None:
        self.allows: list[MatchedStatement] = []
        self.denies: list[MatchedStatement] = []
        self.kinds: set[str] = set()  # how resource-based Allows named the caller (Principals.match)
        self.direct: list[MatchedStatement] = []


class _Flags(TypedDict):
    """Decision's per-part answers, the same in every row."""

    identity_allowed: bool
    boundary_allowed: bool | None
    session_allowed: bool | None
    resource_allowed: bool | None


def _scan(policy_set: PolicySet, part: str, request: Request, action: str, missing: set[str]) -> _Scan:
    scan = _Scan()
    context = request._context
    resource = request.resource
    principal = part == "resource"
    stop_at_allow = not request.explain and not principal
    for statement, matched in policy_set.candidates(part, action):
        if stop_at_allow and scan.allows:
            break  # denies come first: everything left is an Allow, and one applying Allow decides
        if statement.resources and not statement.matches_resource(resource, context):
            continue
        for lowered, key in statement._keys_lower:
            if lowered not in context:
                missing.add(key)
        kind = None  # how a resource-based statement names the caller; None in other parts
        if principal:
            kind = _principal_kind(statement, request)
            if kind is None:
                continue
        if statement.conditions and not statement.conditions_hold(context):
            continue
        if statement.effect == "Allow":
            scan.allows.append(matched)
            if kind is not None:
                scan.kinds.add(kind)
                if kind == "direct":
                    scan.direct.append(matched)
        else:
            scan.denies.append(matched)
    return scan


def _principal_kind(statement: Statement, request: Request) -> str | None:
    principals = statement.principals
    if principals is None:
        return None
    if statement.not_principal:
        return None if principals.excludes(request.principal_arn) else "direct"
    return principals.match(request.principal_arn, request.principal_account, request.principal_aliases)


def authorize(request: Request, policy_set: PolicySet) -> Decision:
    """Decide ``request`` against ``policy_set`` (see the truth table in this module's docstring)."""
    action = request.action.lower()
    missing: set[str] = set()
    parts = [("identity", _scan(policy_set, "identity", request, action, missing))]
    if policy_set.resource:
        parts.append(("resource", _scan(policy_set, "resource", request, action, missing)))
    if policy_set.boundary is not None:
        parts.append(("boundary", _scan(policy_set, "boundary", request, action, missing)))
    if policy_set.session is not None:
        parts.append(("session", _scan(policy_set, "session", request, action, missing)))
    scans = dict(parts)
    missing_values = tuple(sorted(missing, key=str.lower)) if missing else ()

    identity = scans["identity"]
    resource = scans.get("resource")
    boundary = scans.get("boundary")
    session = scans.get("session")
    i_ok = bool(identity.allows)
    b_ok = None if boundary is None else bool(boundary.allows)
    s_ok = None if session is None else bool(session.allows)
    r_ok = None if resource is None else bool(resource.allows)
    flags = _Flags(identity_allowed=i_ok, boundary_allowed=b_ok, session_allowed=s_ok, resource_allowed=r_ok)

    denies = [(name, scan.denies) for name, scan in parts if scan.denies]
    if denies:  # row 1
        matched = tuple(m for _name, found in denies for m in found)
        return Decision(False, EXPLICIT_DENY, denies[0][0], matched, missing_values, row=1, **flags)

    bounded = b_ok is not False and s_ok is not False
    limited = True  # whether boundary and session policies took part in an allow
    if resource is None:  # row 2
        row, allowed, identity_side = 2, i_ok and bounded, i_ok
        granted = [("identity", identity.allows)]
    elif policy_set.trust and policy_set.resource_alone_grants:  # row 5
        row = 5
        named = bool(resource.direct) or "alias" in resource.kinds
        identity_side = named or i_ok
        allowed = bool(r_ok) and identity_side and bounded
        granted = [("resource", resource.allows)] + ([] if named else [("identity", identity.allows)])
        if not allowed and not r_ok:
            return Decision(False, IMPLICIT_DENY, "resource", (), missing_values, row=row, **flags)
    elif policy_set.resource_alone_grants:  # row 3
        row = 3
        direct = resource.direct
        alias = "alias" in resource.kinds
        identity_side = i_ok or alias
        if direct:
            allowed = True
            granted = [("resource", direct)]
            limited = False
        else:
            allowed = identity_side and bounded
            granted = [("identity", identity.allows), ("resource", resource.allows)]
    else:  # row 4
        row, identity_side = 4, i_ok
        allowed = bool(r_ok) and i_ok and bounded
        granted = [("identity", identity.allows), ("resource", resource.allows)]

    if allowed:
        if limited:
            if boundary is not None:
                granted.append(("boundary", boundary.allows))
            if session is not None:
                granted.append(("session", session.allows))
        matched = tuple(m for _name, found in granted for m in found)
        return Decision(True, ALLOWED, None, matched, missing_values, row=row, **flags)

    if not identity_side:
        denied_by = "identity"
    elif b_ok is False:
        denied_by = "boundary"
    elif s_ok is False:
        denied_by = "session"
    else:
        denied_by = "resource"
    return Decision(False, IMPLICIT_DENY, denied_by, (), missing_values, row=row, **flags)


def context_keys(policies: Iterable[Policy | str]) -> list[str]:
    """The condition keys and variable keys used by ``policies`` (compiled or text), sorted
    case-insensitively, each once (first spelling kept), as GetContextKeysFor*Policy lists them."""
    seen: dict[str, str] = {}
    for policy in policies:
        if isinstance(policy, str):
            policy = parse_policy(policy)
        for statement in policy.statements:
            for key in statement.context_keys:
                seen.setdefault(key.lower(), key)
    return sorted(seen.values(), key=str.lower)
