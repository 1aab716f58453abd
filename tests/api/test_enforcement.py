"""Users calling with their own keys are allowed or refused by their policies, with AWS's messages."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, client, error_of
from tests.api.server import standard_server


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


@pytest.fixture
def caller(server, iam, new_user):
    """A user with the given inline policies; returns (name, its iam client)."""
    def make(*documents, **create_args):
        name, key_id, secret = new_user(**create_args)
        for index, document in enumerate(documents):
            iam.put_user_policy(UserName=name, PolicyName=f"p{index}", PolicyDocument=document)
        return name, client(server, "iam", key_id, secret)
    return make


def user_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT_ID}:user{path}{name}"


def test_allowed_action_and_implicit_deny(caller, unique):
    name, own = caller(doc(allow("iam:ListUsers")))
    assert "Users" in own.list_users(MaxItems=1)
    target = unique()
    with pytest.raises(ClientError) as excinfo:
        own.create_user(UserName=target)
    assert error_of(excinfo) == (
        "AccessDenied", f"User: {user_arn(name)} is not authorized to perform: iam:CreateUser on resource: "
        f"{user_arn(target)} because no identity-based policy allows the iam:CreateUser action", 403)


def test_explicit_deny_wins(caller, iam, unique):
    victim = unique()
    iam.create_user(UserName=victim)
    name, own = caller(doc(allow("iam:*"), deny("iam:DeleteUser")))
    with pytest.raises(ClientError) as excinfo:
        own.delete_user(UserName=victim)
    assert error_of(excinfo) == (
        "AccessDenied", f"User: {user_arn(name)} is not authorized to perform: iam:DeleteUser on resource: "
        f"{user_arn(victim)} with an explicit deny in an identity-based policy", 403)
    assert own.get_user(UserName=victim)["User"]["UserName"] == victim


def test_permissions_boundary_limits(caller, unique):
    name, own = caller(doc(allow("iam:*")), PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert own.get_user(UserName=name)["User"]["UserName"] == name
    target = unique()
    with pytest.raises(ClientError) as excinfo:
        own.create_user(UserName=target)
    assert error_of(excinfo)[1] == (
        f"User: {user_arn(name)} is not authorized to perform: iam:CreateUser on resource: {user_arn(target)} "
        "because no permissions boundary allows the iam:CreateUser action")


def test_policies_through_a_group_and_an_aws_managed_policy(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    group = unique("readers")
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    own = client(server, "iam", key_id, secret)
    with pytest.raises(ClientError):
        own.list_users(MaxItems=1)
    iam.add_user_to_group(GroupName=group, UserName=name)
    assert "Users" in own.list_users(MaxItems=1)
    with pytest.raises(ClientError) as excinfo:
        own.create_group(GroupName=unique())
    assert error_of(excinfo)[0] == "AccessDenied"


def test_a_revoked_permission_stops_working_at_once(caller, iam):
    name, own = caller(doc(allow("iam:ListUsers")))
    own.list_users(MaxItems=1)
    iam.delete_user_policy(UserName=name, PolicyName="p0")
    with pytest.raises(ClientError) as excinfo:
        own.list_users(MaxItems=1)
    assert error_of(excinfo)[0] == "AccessDenied"


def test_a_revocation_reaches_another_server_process(server, iam, new_user, tmp_path):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="list", PolicyDocument=doc(allow("iam:ListUsers")))
    second = standard_server(tmp_path, server.database_url)
    second.data_dir = server.data_dir
    second.start()
    try:
        other = client(second, "iam", key_id, secret)
        other.list_users(MaxItems=1)  # now cached in the second process
        iam.delete_user_policy(UserName=name, PolicyName="list")  # through the first process
        with pytest.raises(ClientError) as excinfo:
            other.list_users(MaxItems=1)
        assert error_of(excinfo)[0] == "AccessDenied"
    finally:
        second.stop()


def test_a_new_default_version_takes_effect(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    arn = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    own = client(server, "iam", key_id, secret)
    own.list_users(MaxItems=1)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("iam:ListGroups")), SetAsDefault=True)
    with pytest.raises(ClientError):
        own.list_users(MaxItems=1)
    own.list_groups(MaxItems=1)


def test_policy_variable_username(caller, iam, unique):
    other = unique()
    iam.create_user(UserName=other)
    name, own = caller(doc(allow(["iam:CreateAccessKey", "iam:ListAccessKeys"],
                                 f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}")))
    assert own.list_access_keys(UserName=name)["AccessKeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        own.list_access_keys(UserName=other)
    assert error_of(excinfo)[0] == "AccessDenied"


@pytest.mark.parametrize("cidr, allowed", [("127.0.0.0/8", True), ("10.0.0.0/8", False)])
def test_source_ip_condition(caller, cidr, allowed):
    _, own = caller(doc(allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": cidr}})))
    if allowed:
        own.list_users(MaxItems=1)
    else:
        with pytest.raises(ClientError):
            own.list_users(MaxItems=1)


def test_resource_tag_condition(caller, iam, unique):
    blue, red = unique("blue"), unique("red")
    iam.create_user(UserName=blue, Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName=red, Tags=[{"Key": "team", "Value": "red"}])
    _, own = caller(doc(allow("iam:GetUser", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}})))
    assert own.get_user(UserName=blue)["User"]["UserName"] == blue
    with pytest.raises(ClientError):
        own.get_user(UserName=red)


def test_request_tag_condition(caller, unique):
    _, own = caller(doc(allow("iam:CreateUser", Condition={"StringEquals": {"aws:RequestTag/cost-center": "42"}}),
                        allow("iam:TagUser")))
    own.create_user(UserName=unique(), Tags=[{"Key": "cost-center", "Value": "42"}])
    with pytest.raises(ClientError):
        own.create_user(UserName=unique(), Tags=[{"Key": "cost-center", "Value": "7"}])
    with pytest.raises(ClientError):
        own.create_user(UserName=unique())


def test_tag_keys_is_multivalued(caller, iam, unique):
    """IAM User Guide, "Single-valued vs. multivalued context keys": aws:TagKeys is multivalued and
    needs ForAllValues:/ForAnyValue:; under a plain StringEquals it never matches, even for one tag."""
    target = unique("tagged")
    iam.create_user(UserName=target)
    _, plain = caller(doc(allow("iam:TagUser", Condition={"StringEquals": {"aws:TagKeys": "team"}})))
    with pytest.raises(ClientError) as excinfo:
        plain.tag_user(UserName=target, Tags=[{"Key": "team", "Value": "red"}])
    assert error_of(excinfo)[0] == "AccessDenied"
    _, qualified = caller(doc(allow("iam:TagUser", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": "team"}})))
    qualified.tag_user(UserName=target, Tags=[{"Key": "team", "Value": "red"}])
    with pytest.raises(ClientError):
        qualified.tag_user(UserName=target, Tags=[{"Key": "team", "Value": "red"}, {"Key": "cost", "Value": "1"}])
    assert iam.list_user_tags(UserName=target)["Tags"] == [{"Key": "team", "Value": "red"}]


def test_principal_tag_variable(caller, iam, unique):
    team = unique("team")
    iam.create_user(UserName=f"{team}-member", Path="/x/")
    name, own = caller(doc(allow("iam:GetUser", f"arn:aws:iam::{ACCOUNT_ID}:user/x/${{aws:PrincipalTag/team}}-*")),
                       Tags=[{"Key": "team", "Value": team}])
    assert own.get_user(UserName=f"{team}-member")["User"]["Path"] == "/x/"


def test_get_caller_identity_is_never_denied(server, caller):
    name, own = caller(doc(deny("*")))
    with pytest.raises(ClientError):
        own.list_users()
    iam_client = own
    sts = client(server, "sts", iam_client._request_signer._credentials.access_key,
                 iam_client._request_signer._credentials.secret_key)
    assert sts.get_caller_identity()["Arn"] == user_arn(name)


def test_mfa_condition_absent_for_long_term_keys(caller):
    _, own = caller(doc(allow("iam:ListUsers"),
                        deny("*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})))
    with pytest.raises(ClientError) as excinfo:
        own.list_users()
    assert "explicit deny" in error_of(excinfo)[1]


def test_service_linked_role_condition_on_the_service_name(caller, iam):
    _, own = caller(doc(allow("iam:CreateServiceLinkedRole", Condition={
        "StringEquals": {"iam:AWSServiceName": "elasticbeanstalk.amazonaws.com"}})))
    with pytest.raises(ClientError) as excinfo:
        own.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="denied-x")
    assert error_of(excinfo)[0] == "AccessDenied"


def test_permissions_boundary_condition_on_create_user(caller, iam, unique):
    boundary = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    _, own = caller(doc(allow("iam:CreateUser", Condition={"StringEquals": {"iam:PermissionsBoundary": boundary}})))
    with pytest.raises(ClientError):
        own.create_user(UserName=unique())
    created = own.create_user(UserName=unique(), PermissionsBoundary=boundary)["User"]
    assert created["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary


def test_policy_arn_condition_on_attach(caller, iam, unique):
    target = unique()
    iam.create_user(UserName=target)
    _, own = caller(doc(allow("iam:AttachUserPolicy", Condition={
        "ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}})))
    with pytest.raises(ClientError):
        own.attach_user_policy(UserName=target, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    own.attach_user_policy(UserName=target, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")


def test_get_user_by_an_iam_user_answers_from_what_authorization_read(caller, iam, unique):
    """GetUser's authorization reads the user and its tags in one statement, and the handler answers
    from it: the tags in their order, none when it has none, the caller itself, a missing user; and a
    user deleted and made again under the same name is the new one, tags and all."""
    name, own = caller(doc(allow("iam:GetUser"), deny("iam:GetUser", f"arn:aws:iam::{ACCOUNT_ID}:user/denied-*")))
    tagged, plain = unique("tagged"), unique("plain")
    tags = [{"Key": f"k{index}", "Value": f"v{index}"} for index in (3, 1, 2)]
    iam.create_user(UserName=tagged, Tags=tags)
    iam.create_user(UserName=plain, Path="/p/")
    assert own.get_user(UserName=tagged.upper())["User"]["Tags"] == tags  # names are matched ignoring case
    fetched = own.get_user(UserName=plain)["User"]
    assert "Tags" not in fetched and fetched["Path"] == "/p/"
    assert own.get_user()["User"]["UserName"] == name
    with pytest.raises(ClientError) as excinfo:
        own.get_user(UserName=unique("missing"))
    assert error_of(excinfo)[0] == "NoSuchEntity"
    iam.untag_user(UserName=tagged, TagKeys=["k3", "k1", "k2"])
    iam.delete_user(UserName=tagged)
    again = iam.create_user(UserName=tagged, Tags=[{"Key": "new", "Value": "one"}])["User"]
    fetched = own.get_user(UserName=tagged)["User"]
    assert fetched["UserId"] == again["UserId"] and fetched["Tags"] == [{"Key": "new", "Value": "one"}]
    denied = unique("denied-")
    iam.create_user(UserName=denied, Tags=tags)
    with pytest.raises(ClientError) as excinfo:
        own.get_user(UserName=denied)
    assert error_of(excinfo)[0] == "AccessDenied"
