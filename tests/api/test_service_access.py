"""ListPoliciesGrantingServiceAccess: an identity's policies that allow some action of a service."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, aws_json, error_of


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_user_policies_and_its_groups(server, iam, unique):
    user, group = unique("user"), unique("group")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(UserName=user, GroupName=group)
    iam.put_user_policy(UserName=user, PolicyName="s3-read", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}))
    iam.put_user_policy(UserName=user, PolicyName="deny-only", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}))
    iam.put_group_policy(GroupName=group, PolicyName="not-iam", PolicyDocument=doc(
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    answer = iam.list_policies_granting_service_access(Arn=f"arn:aws:iam::{ACCOUNT_ID}:user/{user}",
                                                       ServiceNamespaces=["s3", "iam"])
    by_service = {entry["ServiceNamespace"]: entry["Policies"] for entry in answer["PoliciesGrantingServiceAccess"]}
    assert by_service["s3"] == [
        {"PolicyName": "s3-read", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": user},
        {"PolicyName": "not-iam", "PolicyType": "INLINE", "EntityType": "GROUP", "EntityName": group},
    ]
    assert by_service["iam"] == [{"PolicyName": "IAMReadOnlyAccess", "PolicyType": "MANAGED",
                                  "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}]
    assert answer["IsTruncated"] is False


def test_through_the_aws_cli_and_errors(server, iam, unique):
    role = unique("role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    iam.put_role_policy(RoleName=role, PolicyName="ec2", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}))
    listed = aws_json(server, "iam", "list-policies-granting-service-access", "--arn",
                      f"arn:aws:iam::{ACCOUNT_ID}:role/{role}", "--service-namespaces", "ec2", "s3")
    assert [len(entry["Policies"]) for entry in listed["PoliciesGrantingServiceAccess"]] == [1, 0]
    with pytest.raises(ClientError) as excinfo:
        iam.list_policies_granting_service_access(Arn=f"arn:aws:iam::{ACCOUNT_ID}:user/nobody-{role}",
                                                  ServiceNamespaces=["s3"])
    assert error_of(excinfo) == ("NoSuchEntity", f"The user with name nobody-{role} cannot be found.", 404)
