"""audit.generate: a policy from records, as a pure function of them (no server needed)."""

from __future__ import annotations

import json

import pytest

from iamd.audit.generate import COLLAPSE_AT, generate
from iamd.policy import parse_policy

ACCOUNT = "123456789012"


def record(action: str, resource: str, decision: str = "allowed", context: dict | None = None,
           additional: list | None = None, matched: list | None = None) -> dict:
    service, name = action.split(":")
    decided = {"decision": decision, "resource": resource, "context": context or {"aws:RequestedRegion": "us-east-1"},
               "matchedStatements": matched or []}
    if additional:
        decided["additional"] = additional
    return {"eventSource": f"{service}.amazonaws.com", "eventName": name, "iamdAuthorization": decided}


def user(path: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user{path}{name}"


@pytest.mark.parametrize("count, collapsed", [(COLLAPSE_AT, False), (COLLAPSE_AT + 1, True)])
def test_many_resources_under_one_path_collapse_and_say_so(count, collapsed):
    records = [record("iam:GetUser", user("/ops/", f"u{i}")) for i in range(count)]
    out = generate("arn:aws:iam::123456789012:user/me", records)
    [statement] = out.policy["Statement"]
    if collapsed:
        assert statement["Resource"] == user("/ops/", "*")
        assert out.notes == [f"{count} resources under {user('/ops/', '')} collapsed to {user('/ops/', '*')}"]
    else:
        assert statement["Resource"] == sorted(user("/ops/", f"u{i}") for i in range(count))
        assert out.notes == []


def test_refused_calls_grant_nothing_and_star_stays_star():
    records = [record("iam:ListUsers", "*"), record("iam:DeleteUser", user("/", "x"), decision="implicitDeny"),
               record("iam:ListUsers", "*")]
    out = generate("p", records)
    assert out.policy["Statement"] == [{"Sid": "Generated1", "Effect": "Allow", "Action": "iam:ListUsers",
                                        "Resource": "*"}]
    assert out.calls == 2


def test_pass_role_has_its_own_statement_and_condition():
    role = f"arn:aws:iam::{ACCOUNT}:role/app"
    passed = [{"action": "iam:PassRole", "resource": role, "context": {"iam:PassedToService": "ec2.amazonaws.com"}}]
    records = [record("iam:AddRoleToInstanceProfile", f"arn:aws:iam::{ACCOUNT}:instance-profile/ip", additional=passed),
               record("iam:GetRole", role)]
    out = generate("p", records)
    by_action = {s["Action"]: s for s in out.policy["Statement"]}
    assert by_action["iam:PassRole"]["Resource"] == role
    assert by_action["iam:GetRole"]["Resource"] == role  # same resource, yet not in PassRole's statement
    assert out.suggested_conditions[by_action["iam:PassRole"]["Sid"]] == {"iam:PassedToService": "ec2.amazonaws.com"}


def test_a_condition_is_suggested_only_when_every_call_agrees():
    records = [record("iam:ListRoles", "*", context={"aws:SourceIp": "10.0.0.1", "aws:RequestedRegion": "eu-west-1"}),
               record("iam:ListRoles", "*", context={"aws:SourceIp": "10.0.0.2", "aws:RequestedRegion": "eu-west-1"})]
    out = generate("p", records)
    assert out.suggested_conditions == {"Generated1": {"aws:RequestedRegion": "eu-west-1"}}


def test_statements_that_decided_nothing_are_unused():
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Lists", "Effect": "Allow", "Action": "iam:List*", "Resource": "*"},
        {"Sid": "Deletes", "Effect": "Allow", "Action": "iam:Delete*", "Resource": "*"},
        {"Sid": "Never", "Effect": "Deny", "Action": "iam:DeleteRole", "Resource": "*"}]})
    policy = parse_policy(text, policy_id="ops", policy_type="IAM Policy")
    lists = next(s for s in policy.statements if s.sid == "Lists")
    used = [{"policyId": "ops", "sid": "Lists", "effect": "Allow", "start": list(lists.start)}]
    out = generate("p", [record("iam:ListUsers", "*", matched=used)], [policy])
    # Deny statements are not permissions
    assert [(u["policyId"], u["sid"]) for u in out.unused] == [("ops", "Deletes")]
