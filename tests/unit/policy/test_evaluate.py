"""authorize() against the case table (evaluation_cases.py) and the truth table's rows."""

from dataclasses import FrozenInstanceError

import pytest

from iamd.policy import PolicySet, Request, authorize, parse_policy

from .evaluation_cases import CASES
from .helpers import build


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case):
    request, policy_set = build(case)
    decision = authorize(request, policy_set)
    assert decision.decision == case["expect"]
    assert decision.allowed == (case["expect"] == "allowed")
    assert decision.denied_by == case["denied_by"]
    if case["matched"] is not None:
        assert [m.sid for m in decision.matched] == case["matched"]
    if case["expect"] == "implicitDeny":
        assert decision.matched == ()
    if case.get("row") is not None:
        assert decision.row == case["row"]


POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowRead",
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::b/*",
      "Condition": {"StringEquals": {"s3:ExistingObjectTag/team": "${aws:PrincipalTag/team}"}}
    },
    {"Sid": "DenyDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}
  ]
}"""


def test_matched_statement_carries_policy_and_position():
    policy = parse_policy(POLICY, "user-policy", "user")
    ctx = {"s3:ExistingObjectTag/team": "red", "aws:PrincipalTag/team": "red"}
    decision = authorize(Request("s3:GetObject", "arn:aws:s3:::b/k", ctx), PolicySet(identity=(policy,)))
    assert decision.allowed
    (m,) = decision.matched
    assert ((m.policy_id, m.policy_type, m.sid, m.effect, m.part)
            == ("user-policy", "user", "AllowRead", "Allow", "identity"))
    assert m.start == (4, 5) and m.end == (10, 6)
    denied = authorize(Request("s3:DeleteObject", "arn:aws:s3:::b/k"), PolicySet(identity=(policy,)))
    assert denied.decision == "explicitDeny" and denied.matched[0].start == (11, 5)


def test_missing_context_values():
    policy = parse_policy(POLICY)
    decision = authorize(Request("s3:GetObject", "arn:aws:s3:::b/k"), PolicySet(identity=(policy,)))
    assert decision.decision == "implicitDeny"
    assert decision.missing_context_values == ("aws:PrincipalTag/team", "s3:ExistingObjectTag/team")
    other = authorize(Request("iam:GetUser", "*"), PolicySet(identity=(policy,)))
    assert other.missing_context_values == ()


def test_flags_for_the_simulator():
    allow_all = parse_policy('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}')
    boundary = parse_policy('{"Version":"2012-10-17",'
                            '"Statement":{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}}')
    decision = authorize(Request("iam:CreateUser", "*"), PolicySet(identity=(allow_all,), boundary=(boundary,)))
    assert (decision.identity_allowed, decision.boundary_allowed, decision.session_allowed) == (True, False, None)
    assert decision.boundary_decision == "implicitDeny" and decision.row == 2


def test_policies_hash_by_identity_and_policy_sets_cache():
    a = parse_policy(POLICY)
    b = parse_policy(POLICY)
    assert a != b and hash(a) != hash(b)
    cache = {PolicySet(identity=(a,)): "x"}
    assert cache[PolicySet(identity=(a,))] == "x"
    with pytest.raises(FrozenInstanceError):
        a.version = "x"
