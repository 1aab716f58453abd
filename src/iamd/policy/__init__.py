"""iamd's policy engine. PURE: standard library only; no I/O, no clock, no database, no HTTP.

Public API::

    check_policy(text: str, kind: str = "identity") -> list[Problem]
        Every problem in a policy document, in the order AWS reports them; [] when valid.
        kind: "identity" (inline user/group/role policies, session policies, simulator input),
        "managed" (managed policy versions and so boundaries: Version must be 2012-10-17),
        "trust" (a role's AssumeRolePolicyDocument) or "resource". problems[0].message is the
        MalformedPolicyDocument message AWS gives. Problem(message, line, column), 1-based.

    parse_policy(text: str, policy_id: str = "", policy_type: str = "IAM Policy") -> Policy
        Compile checked text into a frozen Policy (statements with sid, effect, start/end positions,
        compiled matchers). Raises PolicyError (a ValueError) on text it cannot read.

    Request(action, resource, context={}, principal_arn="", principal_account="", principal_aliases=())
        What is asked. context: keys as AWS names them (matched case-insensitively), each value a
        string (single-valued key) or a list of strings (multivalued key, even of one member: only
        ForAllValues:/ForAnyValue: operators match it). principal_*: the caller, for Principal
        in trust/resource policies.

    PolicySet(identity=(), boundary=None, session=None, resource=(), resource_alone_grants=False,
              trust=False)
        The policies that bear on a caller; None = that kind is not in force. Hashable; cache one
        per principal. resource_alone_grants: the resource is in the caller's account, where a
        resource-based Allow naming the caller is enough. trust: the resource part is a role's trust
        policy, which must allow the caller even in its own account (it names the caller or its
        role, or names the account and an identity policy allows).

    authorize(request, policy_set) -> Decision
        Decision(allowed, decision ("allowed" | "explicitDeny" | "implicitDeny"), denied_by
        ("identity" | "resource" | "boundary" | "session" | None), matched (MatchedStatement:
        policy_id, policy_type, sid, effect, start, end, part), missing_context_values,
        identity_allowed, boundary_allowed, session_allowed, resource_allowed, row).
        The truth table is in evaluate.py's docstring.

    context_keys(policies) -> list[str]
        Condition keys and policy-variable keys used by compiled policies or policy texts.

    PolicyError
        Raised by parse_policy.

Modules: jsontext (JSON with positions), document (Policy/Statement), checks (MalformedPolicyDocument
rules), wildcard (* and ?), conditions (the operator registry), dates, values (request-context
values), variables, evaluate.
"""

from .checks import Problem, check_policy
from .conditions import OPERATORS
from .document import Policy, PolicyError, Statement, parse_policy
from .evaluate import Decision, MatchedStatement, PolicySet, Request, authorize, context_keys

__all__ = [
    "check_policy",
    "Problem",
    "parse_policy",
    "Policy",
    "Statement",
    "PolicyError",
    "Request",
    "PolicySet",
    "authorize",
    "Decision",
    "MatchedStatement",
    "context_keys",
    "OPERATORS",
]
