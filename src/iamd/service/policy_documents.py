"""Policy documents as the API receives them: checked by the engine, measured against AWS's limits.

AWS counts a policy's size without whitespace, so a pretty-printed document costs what its compact
form does.
"""

from __future__ import annotations

from iamd.errors import LimitExceeded, MalformedPolicyDocument, ValidationError
from iamd.policy import check_policy
from iamd.policy.checks import KINDS
from iamd.service import policy_lookup

# Limits on the characters of policy documents (whitespace not counted), as AWS's quotas name them.
USER_INLINE_LIMIT = 2048  # all of a user's inline policies together
GROUP_INLINE_LIMIT = 5120  # all of a group's inline policies together
ROLE_INLINE_LIMIT = 10240  # all of a role's inline policies together
MANAGED_POLICY_LIMIT = 6144  # one managed policy version
TRUST_POLICY_LIMIT = 2048


def size(text: str) -> int:
    return sum(1 for char in text if not char.isspace())


def check_document(text: str, kind: str = "identity") -> None:
    """Raise MalformedPolicyDocument with AWS's message for the first problem, if any.

    ``kind`` "managed" for CreatePolicy/CreatePolicyVersion (Version 2012-10-17 required); "identity"
    for inline, session and simulator policies, which AWS takes without Version.
    """
    problems = check_policy(text, kind)
    if problems:
        raise MalformedPolicyDocument(problems[0].message)


def problems(text: str, kind: str = "identity") -> list[dict]:
    """Every problem of a document, each with its line and column (the console's editor shows them all);
    ``kind`` one of the engine's kinds, any other taken as "identity"."""
    return [{"message": problem.message, "line": problem.line, "column": problem.column}
            for problem in check_policy(text, kind if kind in KINDS else "identity")]


def check_managed_size(text: str) -> None:
    if size(text) > MANAGED_POLICY_LIMIT:
        raise LimitExceeded(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_LIMIT}")


def check_inline_total(kind: str, name: str, total: int, limit: int) -> None:
    """``total``: the size of all the entity's inline policies together after the change."""
    if total > limit:
        raise LimitExceeded(f"Maximum policy size of {limit} bytes exceeded for {kind} {name}")


def session_policies(params: dict) -> tuple[str | None, list[str]]:
    """The session policies an STS request passes (AssumeRole*, GetFederationToken): ``Policy``
    checked as an inline policy, each of ``PolicyArns`` an ARN of a policy (whether it exists is the
    caller's next check, in the account the session will be in)."""
    text = params.get("Policy")
    if text is not None:
        check_document(text)
    arns = [entry["arn"] for entry in params.get("PolicyArns", [])]
    for arn in arns:
        if not policy_lookup.is_policy_arn(arn):
            raise ValidationError(f"ARN {arn} is not valid.")
    return text, arns
