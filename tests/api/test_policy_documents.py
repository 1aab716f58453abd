"""Policy documents come back exactly as they were written, from every operation that returns one.

AWS keeps a document's text: a single-string Action or Principal.Service stays a string, a Statement
object stays an object, whitespace and key order stay as sent; the response only percent-encodes it
(aws-recorded-errors.md, "Response shapes worth noticing": documents are URL-encoded in the XML and
stored as sent, a literal %3A comes back as %3A after one decode). boto3 decodes the JSON into a dict,
so these tests read the raw XML through botocore's after-call event and compare the text.
"""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from tests.api.conftest import ACCOUNT_ID, aws_json

# Key order, spacing, tabs, CR LF, single strings, a literal %3A, XML's special characters, non-ASCII.
TRUST = ('{ "Statement" :{"Action":"sts:AssumeRole" ,\r\n\t"Principal":{"Service":"ec2.amazonaws.com"},'
         '"Effect":"Allow", "Sid":"a%3Ab"},\n  "Version":"2012-10-17"}')
POLICY = ('{"Statement": {"Resource":"arn:aws:s3:::b/k%3A\\u00e9 +&<>/é", "Action":"s3:GetObject",\n'
          '   "Effect":"Allow"},\t"Version" : "2012-10-17" }\n')
DOCUMENT_ELEMENTS = re.compile(r"<(AssumeRolePolicyDocument|PolicyDocument|Document)>([^<]*)</")


@pytest.fixture
def wire(iam):
    """The documents in the raw XML of each response, percent-decoded once: {operation: [text, ...]}."""
    seen: dict = {}

    def record(http_response, model, **_):
        found = [urllib.parse.unquote(text) for _, text in DOCUMENT_ELEMENTS.findall(http_response.text)]
        seen.setdefault(model.name, []).extend(found)

    iam.meta.events.register("after-call.iam", record)
    return seen


def test_every_operation_returns_the_text_as_written(iam, unique, wire):
    role, user, group, profile, managed = (unique(p) for p in ("role", "user", "group", "profile", "pol"))
    path = f"/{role}/"  # the server is shared: listings look at this test's own path
    iam.create_role(RoleName=role, Path=path, AssumeRolePolicyDocument=TRUST)
    iam.get_role(RoleName=role)
    iam.list_roles(PathPrefix=path)
    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=POLICY)
    iam.get_role_policy(RoleName=role, PolicyName="inline")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=POLICY)
    iam.get_user_policy(UserName=user, PolicyName="inline")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="inline", PolicyDocument=POLICY)
    iam.get_group_policy(GroupName=group, PolicyName="inline")
    arn = iam.create_policy(PolicyName=managed, PolicyDocument=POLICY)["Policy"]["Arn"]
    iam.get_policy_version(PolicyArn=arn, VersionId="v1")
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=POLICY)
    iam.get_policy_version(PolicyArn=arn, VersionId="v2")
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    iam.get_instance_profile(InstanceProfileName=profile)
    iam.list_instance_profiles_for_role(RoleName=role)
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["Role", "User", "Group", "LocalManagedPolicy"])
    for _ in pages:
        pass

    assert wire["CreateRole"] == wire["GetRole"] == wire["ListRoles"] == [TRUST]
    for operation in ("GetRolePolicy", "GetUserPolicy", "GetGroupPolicy"):
        assert wire[operation] == [POLICY], operation
    assert wire["GetPolicyVersion"] == [POLICY, POLICY]
    assert wire["GetInstanceProfile"] == wire["ListInstanceProfilesForRole"] == [TRUST]
    details = wire["GetAccountAuthorizationDetails"]
    assert details.count(TRUST) >= 2  # the role's trust policy, and again in its instance profile
    assert details.count(POLICY) >= 5  # three inline policies and the managed policy's two versions
    assert not [text for text in details if "a%3Ab" in text and text != TRUST]
    # Neither CreatePolicyVersion nor ListPolicyVersions returns a document (AWS's response shapes).
    iam.list_policy_versions(PolicyArn=arn)
    assert wire["CreatePolicyVersion"] == wire["ListPolicyVersions"] == []


def test_update_assume_role_policy_keeps_the_new_text(iam, unique, wire):
    role = unique("role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    changed = TRUST.replace('"sts:AssumeRole"', '[ "sts:AssumeRole","sts:TagSession" ]').replace("a%3Ab", "c")
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=changed)
    iam.get_role(RoleName=role)
    assert wire["GetRole"] == [changed]
    decoded = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    assert decoded["Statement"]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert decoded["Statement"]["Action"] == ["sts:AssumeRole", "sts:TagSession"]


def test_a_single_string_stays_a_string_for_boto3_and_the_cli(server, iam, unique):
    role = unique("role")
    trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com",'
             f'"AWS":"arn:aws:iam::{ACCOUNT_ID}:root"}},"Action":"sts:AssumeRole"}}]}}')
    created = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]
    for got in (created, iam.get_role(RoleName=role)["Role"]):
        (statement,) = got["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Principal"] == {"Service": "lambda.amazonaws.com", "AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    listed = aws_json(server, "iam", "get-role", "--role-name", role, "--query", "Role.AssumeRolePolicyDocument")
    assert listed == json.loads(trust)
    assert listed["Statement"][0]["Action"] == "sts:AssumeRole"
