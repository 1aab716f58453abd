"""Properties of authorize() over generated policies (hypothesis)."""

import json
import random

from hypothesis import given, settings, strategies as st

from iamd.policy import PolicySet, Request, authorize, parse_policy

ACTIONS = ["iam:GetUser", "iam:CreateUser", "s3:GetObject", "s3:PutObject", "sts:AssumeRole"]
ACTION_PATTERNS = ACTIONS + ["iam:*", "iam:Get*", "s3:*", "*", "IAM:getuser", "s?:GetObject"]
RESOURCES = ["arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/bob", "arn:aws:s3:::b/k"]
RESOURCE_PATTERNS = RESOURCES + ["*", "arn:aws:iam::111122223333:user/*", "arn:aws:iam::*:user/${aws:username}",
                                 "arn:aws:s3:::b/*"]
CONDITIONS = [
    {"StringEquals": {"aws:username": "alice"}},
    {"StringNotEquals": {"aws:username": ["bob", "carol"]}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"ForAllValues:StringLike": {"aws:TagKeys": "team*"}},
    {"NumericLessThan": {"s3:max-keys": "10"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"Null": {"aws:TokenIssueTime": "true"}},
]



@st.composite
def statements(draw):
    statement = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    action_key = draw(st.sampled_from(["Action", "NotAction"]))
    statement[action_key] = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3))
    resource_key = draw(st.sampled_from(["Resource", "NotResource"]))
    statement[resource_key] = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))
    if draw(st.booleans()):
        statement["Condition"] = draw(st.sampled_from(CONDITIONS))
    return statement


policies = st.lists(st.lists(statements(), min_size=1, max_size=5), min_size=0, max_size=3)
contexts = st.fixed_dictionaries(
    {},
    optional={
        "aws:username": st.sampled_from(["alice", "bob"]),
        "aws:SecureTransport": st.sampled_from(["true", "false"]),
        "aws:TagKeys": st.lists(st.sampled_from(["team", "teamx", "owner"]), max_size=2),
        "s3:max-keys": st.sampled_from(["5", "50"]),
        "aws:SourceIp": st.sampled_from(["10.1.1.1", "192.0.2.1"]),
        "aws:TokenIssueTime": st.just("2020-01-01T00:00:00Z"),
    },
)
requests = st.builds(Request, st.sampled_from(ACTIONS), st.sampled_from(RESOURCES), contexts)


def compile_policies(specs, prefix="p"):
    out = []
    for n, statements_ in enumerate(specs):
        numbered = [dict(s, Sid=f"{prefix}{n}s{i}") for i, s in enumerate(statements_)]
        out.append(parse_policy(json.dumps({"Version": "2012-10-17", "Statement": numbered}), f"{prefix}{n}"))
    return tuple(out)


@settings(max_examples=300, deadline=None)
@given(policies, requests, st.lists(statements(), min_size=1, max_size=3))
def test_adding_a_deny_never_allows_more(specs, request, extra):
    before = authorize(request, PolicySet(identity=compile_policies(specs)))
    denies = [dict(s, Effect="Deny") for s in extra]
    after = authorize(request, PolicySet(identity=compile_policies(specs + [denies])))
    if not before.allowed:
        assert not after.allowed
    if before.decision == "explicitDeny":
        assert after.decision == "explicitDeny"


@settings(max_examples=300, deadline=None)
@given(policies, policies, requests)
def test_a_boundary_never_widens(identity_specs, boundary_specs, request):
    identity = compile_policies(identity_specs)
    without = authorize(request, PolicySet(identity=identity))
    with_boundary = authorize(request, PolicySet(identity=identity, boundary=compile_policies(boundary_specs, "b")))
    if with_boundary.allowed:
        assert without.allowed
    with_session = authorize(request, PolicySet(identity=identity, session=compile_policies(boundary_specs, "s")))
    if with_session.allowed:
        assert without.allowed


@settings(max_examples=300, deadline=None)
@given(policies, requests, st.randoms(use_true_random=False))
def test_order_never_matters(specs, request, rng: random.Random):
    first = authorize(request, PolicySet(identity=compile_policies(specs)))
    # shuffle statements inside each policy (keeping their Sids) and the policies themselves
    respecs = []
    for n, statements_ in enumerate(specs):
        numbered = [dict(s, Sid=f"p{n}s{i}") for i, s in enumerate(statements_)]
        rng.shuffle(numbered)
        respecs.append((n, numbered))
    rng.shuffle(respecs)
    reordered = tuple(
        parse_policy(json.dumps({"Version": "2012-10-17", "Statement": numbered}), f"p{n}") for n, numbered in respecs
    )
    second = authorize(request, PolicySet(identity=reordered))
    assert (first.decision, first.denied_by) == (second.decision, second.denied_by)
    assert sorted(m.sid for m in first.matched) == sorted(m.sid for m in second.matched)
    assert first.missing_context_values == second.missing_context_values
