"""Idempotent writes stay idempotent when repeated at once: ten identical calls, ten 200s, one result.

AWS answers a repeated PutUserPolicy, AttachUserPolicy, AddUserToGroup or TagUser with 200 and leaves
one policy, attachment, membership or tag (their API references list no EntityAlreadyExists); never a 5xx.
"""

from __future__ import annotations

import json

import pytest

from tests.api.concurrency.burst import burst, tally

N = 10
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                            "Resource": "*"}]})
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def user(iam, unique):
    name = unique("idem")
    iam.create_user(UserName=name)
    return name


@pytest.fixture(scope="module")
def log_offset(server) -> int:
    """Where the server's log stood before this module's races: only what they logged is checked."""
    return len(server.log_text())


@pytest.fixture(autouse=True)
def _mark_log(log_offset):
    return log_offset


def all_ok(outcomes) -> bool:
    return tally(outcomes) == {("ok",): len(outcomes)}


def test_put_user_policy(server, iam, user):
    outcomes = burst(server, [lambda c: c.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=POLICY)] * N)
    assert all_ok(outcomes), tally(outcomes)
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["p"]


def test_put_role_policy_and_attach_role_policy(server, iam, unique):
    role = unique("idem-role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    calls = [lambda c: c.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=POLICY),
             lambda c: c.attach_role_policy(RoleName=role, PolicyArn=READ_ONLY)] * (N // 2)
    outcomes = burst(server, calls)
    assert all_ok(outcomes), tally(outcomes)
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["p"]
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]] == [READ_ONLY]


def test_attach_user_policy(server, iam, user):
    outcomes = burst(server, [lambda c: c.attach_user_policy(UserName=user, PolicyArn=READ_ONLY)] * N)
    assert all_ok(outcomes), tally(outcomes)
    attached = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    assert [policy["PolicyArn"] for policy in attached] == [READ_ONLY]


def test_add_user_to_group(server, iam, user, unique):
    group = unique("idem-group")
    iam.create_group(GroupName=group)
    outcomes = burst(server, [lambda c: c.add_user_to_group(UserName=user, GroupName=group)] * N)
    assert all_ok(outcomes), tally(outcomes)
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [user]


def test_tag_user(server, iam, user):
    outcomes = burst(server, [lambda c: c.tag_user(UserName=user, Tags=[{"Key": "team", "Value": "a"},
                                                                         {"Key": "cost", "Value": "b"}])] * N)
    assert all_ok(outcomes), tally(outcomes)
    assert iam.list_user_tags(UserName=user)["Tags"] == [{"Key": "team", "Value": "a"}, {"Key": "cost", "Value": "b"}]


def test_no_client_id_added_at_once_is_lost(server, iam, unique):
    """AddClientIDToOpenIDConnectProvider rewrites the provider's list: twenty at once keep all twenty."""
    arn = iam.create_open_id_connect_provider(Url=f"https://{unique('idp')}.example.com",
                                              ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    ids = [f"client-{index}" for index in range(20)]
    outcomes = burst(server, [lambda c, i=i: c.add_client_id_to_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID=i) for i in ids])
    assert all_ok(outcomes), tally(outcomes)
    assert sorted(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"]) == sorted(ids)


def test_the_server_logged_no_failure(server, log_offset):
    """Runs after the races above (same server): no 500 was logged, no UniqueViolation, no traceback."""
    log = server.log_text()[log_offset:]
    assert "UniqueViolation" not in log and "Traceback" not in log
