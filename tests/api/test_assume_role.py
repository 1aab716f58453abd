"""STS AssumeRole: trust policies, the caller's own policies, session policies, chaining, accounts."""

from __future__ import annotations

import json
import re
import time

import pytest
from botocore.exceptions import ClientError

from iamd.security import ids
from iamd.security.secrets import SecretBox, load_master_key
from iamd.security.session_tokens import PURPOSE as SESSION_TOKENS, seal_claims
from tests.api.conftest import ACCOUNT_ID, client, error_of


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal, **condition) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return doc(statement)


def creds(response) -> dict:
    return response["Credentials"]


def as_session(server, service, credentials):
    return client(server, service, credentials["AccessKeyId"], credentials["SecretAccessKey"],
                  credentials["SessionToken"])


@pytest.fixture
def account_b(server, new_account):
    created = new_account()
    b = created["account_id"]
    return b, client(server, "iam", created["aws_access_key_id"], created["aws_secret_access_key"])


def allow_assume(iam, user, role_arn):
    iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}))


def test_cross_account_with_external_id(server, iam, new_user, account_b, unique):
    b, iam_b = account_b
    role_name = unique("xacct")
    role = iam_b.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT_ID}:root", StringEquals={"sts:ExternalId": "s3cret-42"}))["Role"]
    iam_b.put_role_policy(RoleName=role_name, PolicyName="list", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}))
    name, key_id, secret = new_user()
    sts_a = client(server, "sts", key_id, secret)
    refused = (f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: sts:AssumeRole "
               f"on resource: {role['Arn']}")
    # A's own policy does not allow sts:AssumeRole yet: refused even with the external id.
    with pytest.raises(ClientError) as excinfo:
        sts_a.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="s3cret-42")
    assert error_of(excinfo) == ("AccessDenied", refused, 403)
    allow_assume(iam, name, role["Arn"])
    with pytest.raises(ClientError) as excinfo:
        sts_a.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert error_of(excinfo) == ("AccessDenied", refused, 403)
    response = sts_a.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="s3cret-42")
    session_arn = f"arn:aws:sts::{b}:assumed-role/{role_name}/s1"
    assert response["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:s1", "Arn": session_arn}
    assert "PackedPolicySize" not in response
    identity = as_session(server, "sts", creds(response)).get_caller_identity()
    assert identity == {**identity, "Account": b, "Arn": session_arn, "UserId": f"{role['RoleId']}:s1"}
    session_iam = as_session(server, "iam", creds(response))
    assert role_name in [r["RoleName"] for r in session_iam.list_roles()["Roles"]]
    with pytest.raises(ClientError) as excinfo:
        session_iam.list_users()
    assert error_of(excinfo)[1] == (f"User: {session_arn} is not authorized to perform: iam:ListUsers on resource: "
                                    f"arn:aws:iam::{b}:user/ because no identity-based policy allows the "
                                    "iam:ListUsers action") or error_of(excinfo)[0] == "AccessDenied"
    assert iam_b.get_role(RoleName=role_name)["Role"]["RoleLastUsed"]["Region"] == "us-east-1"


def test_same_account_trust_naming_the_user_needs_no_identity_policy(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    role = iam.create_role(RoleName=unique("direct"), AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"))["Role"]
    response = client(server, "sts", key_id, secret).assume_role(RoleArn=role["Arn"], RoleSessionName="direct")
    assert response["AssumedRoleUser"]["Arn"].endswith(f"/{role['RoleName']}/direct")


def test_same_account_trust_naming_the_account_needs_an_identity_policy(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    role = iam.create_role(RoleName=unique("acct"), AssumeRolePolicyDocument=trust(ACCOUNT_ID))["Role"]
    sts = client(server, "sts", key_id, secret)
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="xx")
    allow_assume(iam, name, role["Arn"])
    sts.assume_role(RoleArn=role["Arn"], RoleSessionName="xx")


def test_session_policy_narrows(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    role = iam.create_role(RoleName=unique("narrow"), AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="both", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["iam:ListUsers", "iam:ListGroups"], "Resource": "*"}))
    response = client(server, "sts", key_id, secret).assume_role(
        RoleArn=role["Arn"], RoleSessionName="narrow",
        Policy=doc({"Effect": "Allow", "Action": "iam:ListGroups", "Resource": "*"}))
    assert response["PackedPolicySize"] > 0
    session = as_session(server, "iam", creds(response))
    session.list_groups(MaxItems=1)
    with pytest.raises(ClientError) as excinfo:
        session.list_users(MaxItems=1)
    assert error_of(excinfo)[1].endswith("because no session policy allows the iam:ListUsers action")


def test_session_policy_without_version(server, iam, new_user, unique):
    """STS API Reference, AssumeRole, parameter Policy: it is an inline session policy, and
    like other inline policies it may omit Version ("IAM JSON policy elements: Version")."""
    name, key_id, secret = new_user()
    role = iam.create_role(RoleName=unique("old"), AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="both", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["iam:ListUsers", "iam:ListGroups"], "Resource": "*"}))
    session = as_session(server, "iam", creds(client(server, "sts", key_id, secret).assume_role(
        RoleArn=role["Arn"], RoleSessionName="old",
        Policy='{"Statement":{"Effect":"Allow","Action":"iam:ListGroups","Resource":"*"}}')))
    session.list_groups(MaxItems=1)
    with pytest.raises(ClientError) as excinfo:
        session.list_users(MaxItems=1)
    assert error_of(excinfo)[0] == "AccessDenied"


def test_role_permissions_boundary(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    role = iam.create_role(RoleName=unique("bounded"), AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"),
        PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess")["Role"]
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess")
    session = as_session(server, "iam", creds(client(server, "sts", key_id, secret).assume_role(
        RoleArn=role["Arn"], RoleSessionName="bb")))
    session.list_users(MaxItems=1)
    with pytest.raises(ClientError) as excinfo:
        session.create_user(UserName=unique())
    assert "because no permissions boundary allows the iam:CreateUser action" in error_of(excinfo)[1]


def test_role_chaining(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    first = iam.create_role(RoleName=unique("first"), AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"), MaxSessionDuration=7200)["Role"]
    second = iam.create_role(RoleName=unique("second"), AssumeRolePolicyDocument=trust(first["Arn"]),
                             MaxSessionDuration=7200)["Role"]
    iam.put_role_policy(RoleName=first["RoleName"], PolicyName="chain", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": second["Arn"]}))
    first_session = as_session(server, "sts", creds(client(server, "sts", key_id, secret).assume_role(
        RoleArn=first["Arn"], RoleSessionName="one", DurationSeconds=7200)))
    with pytest.raises(ClientError) as excinfo:
        first_session.assume_role(RoleArn=second["Arn"], RoleSessionName="two", DurationSeconds=7200)
    assert error_of(excinfo) == ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit "
                                 "for roles assumed by role chaining.", 400)
    chained = first_session.assume_role(RoleArn=second["Arn"], RoleSessionName="two")
    assert chained["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{second['RoleName']}/two"


def test_duration_beyond_the_roles_maximum(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    role = iam.create_role(RoleName=unique("short"), AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"))["Role"]
    with pytest.raises(ClientError) as excinfo:
        client(server, "sts", key_id, secret).assume_role(RoleArn=role["Arn"], RoleSessionName="ss",
                                                         DurationSeconds=7200)
    assert error_of(excinfo) == ("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration "
                                 "set for this role.", 400)


def test_session_tags_and_transitive_keys(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    role = iam.create_role(RoleName=unique("tagged"), AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"},
         "Action": ["sts:AssumeRole", "sts:TagSession"]}))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="tagged", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/project": "apollo"}}}))
    sts = client(server, "sts", key_id, secret)
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="tt", Tags=[{"Key": "project", "Value": "apollo"}],
                        TransitiveTagKeys=["team"])
    assert error_of(excinfo) == ("InvalidParameterValue", "The specified transitive tag key must be included in the "
                                 "requested tags.", 400)
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="tt", Tags=[{"Key": "a", "Value": "1"},
                                                                           {"Key": "A", "Value": "2"}])
    assert error_of(excinfo)[0] == "InvalidParameterValue"
    tagged = as_session(server, "iam", creds(sts.assume_role(
        RoleArn=role["Arn"], RoleSessionName="tt", Tags=[{"Key": "project", "Value": "apollo"}])))
    tagged.list_users(MaxItems=1)
    untagged = as_session(server, "iam", creds(sts.assume_role(RoleArn=role["Arn"], RoleSessionName="uu")))
    with pytest.raises(ClientError):
        untagged.list_users(MaxItems=1)


def test_errors(server, sts, iam, new_user, unique):
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn="nothing-valid-in-here", RoleSessionName="ss")
    assert error_of(excinfo) == ("ValidationError", "nothing-valid-in-here is invalid", 400)
    role = iam.create_role(RoleName=unique("root"), AssumeRolePolicyDocument=trust(ACCOUNT_ID))["Role"]
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ss")
    assert error_of(excinfo) == ("AccessDenied", "Roles may not be assumed by root accounts.", 403)
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="Session1:2")
    assert error_of(excinfo) == ("ValidationError", "1 validation error detected: Value 'Session1:2' at "
                                 "'roleSessionName' failed to satisfy constraint: Member must satisfy regular "
                                 "expression pattern: [\\w+=,.@-]*", 400)
    name, key_id, secret = new_user()
    missing = f"arn:aws:iam::{ACCOUNT_ID}:role/no-such-role-here"
    with pytest.raises(ClientError) as excinfo:
        client(server, "sts", key_id, secret).assume_role(RoleArn=missing, RoleSessionName="ss")
    assert error_of(excinfo) == ("AccessDenied", f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized "
                                 f"to perform: sts:AssumeRole on resource: {missing}", 403)


def test_an_expired_role_session_is_refused(server, iam, unique):
    role = iam.create_role(RoleName=unique("exp"), AssumeRolePolicyDocument=trust(ACCOUNT_ID))["Role"]
    box = SecretBox(load_master_key(server.data_dir, None)).derived(SESSION_TOKENS)
    key = ids.access_key_id(ACCOUNT_ID, temporary=True)
    now = int(time.time())
    token = seal_claims(box, key, {"a": ACCOUNT_ID, "k": "assumed-role", "id": f"{role['RoleId']}:old", "n": "old",
                                   "p": "/", "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role['RoleName']}/old",
                                   "rid": role["RoleId"], "rn": role["RoleName"], "mfa": False, "s": "y" * 40,
                                   "iat": now - 7200, "exp": now - 1})
    with pytest.raises(ClientError) as excinfo:
        client(server, "sts", key, "y" * 40, token).get_caller_identity()
    assert error_of(excinfo)[0] == "ExpiredToken"


def test_session_ids_have_aws_shapes(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    role = iam.create_role(RoleName=unique("shape"), AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"))["Role"]
    response = client(server, "sts", key_id, secret).assume_role(RoleArn=role["Arn"], RoleSessionName="shape")
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", response["Credentials"]["AccessKeyId"])
    assert re.fullmatch(r"AROA[A-Z2-7]{17}:shape", response["AssumedRoleUser"]["AssumedRoleId"])
