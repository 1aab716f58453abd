"""STS GetFederationToken: the caller's permissions narrowed by the session policy."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, client, error_of


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_federated_session_is_the_intersection(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="user", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["sts:GetFederationToken", "iam:ListUsers", "iam:ListGroups"], "Resource": "*"}))
    sts = client(server, "sts", key_id, secret)
    response = sts.get_federation_token(Name="bob", DurationSeconds=900, Policy=doc(
        {"Effect": "Allow", "Action": ["iam:ListUsers", "iam:CreateUser"], "Resource": "*"}))
    assert response["FederatedUser"] == {"FederatedUserId": f"{ACCOUNT_ID}:bob",
                                         "Arn": f"arn:aws:sts::{ACCOUNT_ID}:federated-user/bob"}
    assert response["PackedPolicySize"] > 0
    credentials = response["Credentials"]
    federated = client(server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                       credentials["SessionToken"])
    federated.list_users(MaxItems=1)  # allowed by both
    for call in (lambda: federated.list_groups(), lambda: federated.create_user(UserName="nope-fed")):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo)[0] == "AccessDenied"
    identity = client(server, "sts", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                      credentials["SessionToken"]).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/bob"


def test_session_policy_may_omit_version(server, iam, new_user):
    """STS API Reference, GetFederationToken, parameter Policy: it is an inline session policy, and inline
    policies may omit Version ("IAM JSON policy elements: Version"). It still narrows the session."""
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "*", "Resource": "*"}))
    credentials = client(server, "sts", key_id, secret).get_federation_token(
        Name="old", DurationSeconds=900, Policy=json.dumps({"Statement": [
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))["Credentials"]
    federated = client(server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                       credentials["SessionToken"])
    federated.list_users(MaxItems=1)
    with pytest.raises(ClientError) as excinfo:
        federated.list_groups(MaxItems=1)
    assert error_of(excinfo)[0] == "AccessDenied"


def test_no_session_policy_means_no_permissions(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "*", "Resource": "*"}))
    response = client(server, "sts", key_id, secret).get_federation_token(Name="empty", DurationSeconds=900)
    assert response["PackedPolicySize"] == 0
    credentials = response["Credentials"]
    with pytest.raises(ClientError) as excinfo:
        client(server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
               credentials["SessionToken"]).list_users()
    assert "because no session policy allows the iam:ListUsers action" in error_of(excinfo)[1]


def test_the_caller_needs_permission(server, new_user):
    name, key_id, secret = new_user()
    with pytest.raises(ClientError) as excinfo:
        client(server, "sts", key_id, secret).get_federation_token(Name="carol")
    assert error_of(excinfo) == (
        "AccessDenied", f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: "
        f"sts:GetFederationToken on resource: arn:aws:sts::{ACCOUNT_ID}:federated-user/carol because no "
        "identity-based policy allows the sts:GetFederationToken action", 403)


def test_policy_too_long_is_echoed(sts):
    long_policy = doc({"Effect": "Allow", "Action": [f"iam:Get{i:04d}" for i in range(200)], "Resource": "*"})
    with pytest.raises(ClientError) as excinfo:
        sts.get_federation_token(Name="long", Policy=long_policy)
    assert error_of(excinfo) == ("ValidationError", f"1 validation error detected: Value '{long_policy}' at 'policy' "
                                 "failed to satisfy constraint: Member must have length less than or equal to 2048",
                                 400)


def test_principal_type_of_a_federated_user_session(server, iam, new_user):
    """AWS global condition context keys, aws:PrincipalType, and its table "Principal key values": a
    federated user session (GetFederationToken) is "FederatedUser"; the IAM user who made it is "User"."""
    name, key_id, secret = new_user()
    by_type = {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
               "Condition": {"StringEquals": {"aws:PrincipalType": "FederatedUser"}}}
    iam.put_user_policy(UserName=name, PolicyName="by-type", PolicyDocument=doc(
        by_type, {"Effect": "Allow", "Action": "sts:GetFederationToken", "Resource": "*"}))
    with pytest.raises(ClientError) as excinfo:  # the user itself: "User", the condition fails
        client(server, "iam", key_id, secret).list_users(MaxItems=1)
    assert error_of(excinfo)[0] == "AccessDenied"
    credentials = client(server, "sts", key_id, secret).get_federation_token(
        Name="typed", DurationSeconds=900, Policy=doc({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}),
    )["Credentials"]
    federated = client(server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                       credentials["SessionToken"])
    federated.list_users(MaxItems=1)  # "FederatedUser": allowed
