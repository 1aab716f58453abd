"""Instance profiles through boto3 and the aws CLI: ids, ARNs, the one role a profile holds, nested role
shapes, tags, pagination and AWS's errors."""

import json
import re

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, aws_json, client, error_of, run_aws

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def raises(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def missing_profile(name: str) -> tuple[str, str, int]:
    return ("NoSuchEntity", f"Instance Profile {name} cannot be found.", 404)


def missing_role(name: str) -> tuple[str, str, int]:
    return ("NoSuchEntity", f"The role with name {name} cannot be found.", 404)


@pytest.fixture
def new_role(iam, unique):
    def make():
        name = unique("role")
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST, Path="/ec2/")
        return name
    return make


def test_create_and_get_instance_profile(iam, unique):
    name = unique("Profile")
    created = iam.create_instance_profile(InstanceProfileName=name, Path="/web/")["InstanceProfile"]
    assert re.fullmatch(r"AIPA[A-Z2-7]{17}", created["InstanceProfileId"])
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/web/{name}"
    assert created["Path"] == "/web/" and created["InstanceProfileName"] == name
    assert created["Roles"] == [] and "Tags" not in created
    fetched = iam.get_instance_profile(InstanceProfileName=name.lower())["InstanceProfile"]
    assert fetched["Tags"] == [] and {k: fetched[k] for k in created} == created


def test_create_with_tags(iam, unique):
    name = unique()
    created = iam.create_instance_profile(InstanceProfileName=name, Tags=[{"Key": "a", "Value": "1"}])
    assert created["InstanceProfile"]["Tags"] == [{"Key": "a", "Value": "1"}]
    assert iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Tags"] == \
        [{"Key": "a", "Value": "1"}]


def test_duplicate_and_missing_profiles(iam, unique):
    name = unique()
    iam.create_instance_profile(InstanceProfileName=name)
    assert raises(iam.create_instance_profile, InstanceProfileName=name.upper()) == (
        "EntityAlreadyExists", f"Instance Profile {name.upper()} already exists.", 409)
    for call in (iam.get_instance_profile, iam.delete_instance_profile, iam.list_instance_profile_tags):
        assert raises(call, InstanceProfileName="ghost-profile") == missing_profile("ghost-profile")
    assert raises(iam.tag_instance_profile, InstanceProfileName="ghost-profile",
                  Tags=[{"Key": "a", "Value": "b"}]) == missing_profile("ghost-profile")
    assert raises(iam.untag_instance_profile, InstanceProfileName="ghost-profile", TagKeys=["a"]) == \
        missing_profile("ghost-profile")


def test_a_profile_holds_one_role(iam, unique, new_role):
    profile, role, other = unique("ip"), new_role(), new_role()
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    held = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"]
    assert [r["RoleName"] for r in held] == [role]
    assert held[0]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/ec2/{role}"
    assert held[0]["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert "MaxSessionDuration" not in held[0] and "RoleLastUsed" not in held[0]
    quota = ("LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", 409)
    assert raises(iam.add_role_to_instance_profile, InstanceProfileName=profile, RoleName=other) == quota
    assert raises(iam.add_role_to_instance_profile, InstanceProfileName=profile, RoleName=role) == quota
    assert raises(iam.add_role_to_instance_profile, InstanceProfileName=profile, RoleName="ghost-role") == \
        missing_role("ghost-role")
    assert raises(iam.add_role_to_instance_profile, InstanceProfileName="ghost-profile", RoleName="ghost-role") == \
        missing_profile("ghost-profile")


def test_list_instance_profiles_for_role(iam, unique, new_role):
    role = new_role()
    profiles = sorted(unique("ip") for _ in range(3))
    for profile in profiles:
        iam.create_instance_profile(InstanceProfileName=profile)
        iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    first = iam.list_instance_profiles_for_role(RoleName=role, MaxItems=2)
    assert [p["InstanceProfileName"] for p in first["InstanceProfiles"]] == profiles[:2]
    assert first["IsTruncated"] is True
    entry = first["InstanceProfiles"][0]["Roles"][0]
    assert entry["RoleName"] == role and "MaxSessionDuration" not in entry and "RoleLastUsed" not in entry
    rest = iam.list_instance_profiles_for_role(RoleName=role, Marker=first["Marker"])
    assert [p["InstanceProfileName"] for p in rest["InstanceProfiles"]] == profiles[2:]
    assert iam.list_instance_profiles_for_role(RoleName=new_role())["InstanceProfiles"] == []
    assert raises(iam.list_instance_profiles_for_role, RoleName="ghost-role") == missing_role("ghost-role")


def test_remove_role_from_instance_profile(iam, unique, new_role):
    profile, role, other = unique("ip"), new_role(), new_role()
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert raises(iam.remove_role_from_instance_profile, InstanceProfileName=profile, RoleName=other) == (
        "NoSuchEntity", f"Role {other} in Instance Profile {profile} cannot be found.", 404)
    assert raises(iam.remove_role_from_instance_profile, InstanceProfileName=profile, RoleName="ghost-role") == \
        missing_role("ghost-role")
    assert raises(iam.remove_role_from_instance_profile, InstanceProfileName="ghost-profile", RoleName=role) == \
        missing_profile("ghost-profile")
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"] == []
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=other)


def test_delete_instance_profile(iam, unique, new_role):
    profile, role = unique("ip"), new_role()
    iam.create_instance_profile(InstanceProfileName=profile, Tags=[{"Key": "a", "Value": "b"}])
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert raises(iam.delete_instance_profile, InstanceProfileName=profile) == (
        "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=profile)
    assert raises(iam.get_instance_profile, InstanceProfileName=profile) == missing_profile(profile)
    iam.create_instance_profile(InstanceProfileName=profile)
    assert iam.list_instance_profile_tags(InstanceProfileName=profile)["Tags"] == []


def test_list_instance_profiles_by_path_prefix_and_pages(iam, unique):
    path = f"/{unique('p')}/"
    names = sorted(unique("ip") for _ in range(5))
    for name in names:
        iam.create_instance_profile(InstanceProfileName=name, Path=path, Tags=[{"Key": "k", "Value": "v"}])
    first = iam.list_instance_profiles(PathPrefix=path, MaxItems=3)
    assert [p["InstanceProfileName"] for p in first["InstanceProfiles"]] == names[:3]
    assert first["IsTruncated"] is True
    second = iam.list_instance_profiles(PathPrefix=path, MaxItems=3, Marker=first["Marker"])
    assert [p["InstanceProfileName"] for p in second["InstanceProfiles"]] == names[3:]
    assert second["IsTruncated"] is False and "Marker" not in second
    paginated = [p["InstanceProfileName"] for page in iam.get_paginator("list_instance_profiles").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2}) for p in page["InstanceProfiles"]]
    assert paginated == names


def test_instance_profile_tags(iam, unique):
    name = unique()
    iam.create_instance_profile(InstanceProfileName=name)
    iam.tag_instance_profile(InstanceProfileName=name, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.tag_instance_profile(InstanceProfileName=name, Tags=[{"Key": "a", "Value": "3"}])
    assert iam.list_instance_profile_tags(InstanceProfileName=name)["Tags"] == [
        {"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}]
    iam.untag_instance_profile(InstanceProfileName=name, TagKeys=["a"])
    assert iam.list_instance_profile_tags(InstanceProfileName=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Tags"] == [
        {"Key": "b", "Value": "2"}]


def test_instance_profiles_through_the_aws_cli(server, unique, iam, new_role):
    profile, role = unique("cli"), new_role()
    created = aws_json(server, "iam", "create-instance-profile", "--instance-profile-name", profile)
    assert created["InstanceProfile"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/{profile}"
    aws_json(server, "iam", "add-role-to-instance-profile", "--instance-profile-name", profile, "--role-name", role)
    fetched = aws_json(server, "iam", "get-instance-profile", "--instance-profile-name", profile)["InstanceProfile"]
    assert [r["RoleName"] for r in fetched["Roles"]] == [role]
    listed = aws_json(server, "iam", "list-instance-profiles-for-role", "--role-name", role)["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == [profile]
    aws_json(server, "iam", "remove-role-from-instance-profile", "--instance-profile-name", profile,
             "--role-name", role)
    aws_json(server, "iam", "delete-instance-profile", "--instance-profile-name", profile)


# iam:PassRole. IAM API Reference, AddRoleToInstanceProfile: "The caller of this operation must be granted
# the PassRole permission on the IAM role by a permissions policy", and iam:AssociatedResourceArn is
# arn:aws:ec2:*:<caller account>:instance/*. IAM User Guide, "Grant a user permissions to pass a role to an
# AWS service" (iam:PassedToService, iam:AssociatedResourceArn).
PROFILE_ACTIONS = {"Effect": "Allow", "Action": ["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"],
                   "Resource": "*"}


def profile_user(iam, new_user, *statements):
    """A user allowed to create profiles and add roles to them, plus ``statements``: (name, clients' keys)."""
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="profiles", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [PROFILE_ACTIONS, *statements]}))
    return name, key_id, secret


def pass_role(resource="*", effect="Allow", **condition) -> dict:
    statement = {"Effect": effect, "Action": "iam:PassRole", "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


@pytest.fixture
def admin_role(iam, new_role):
    name = new_role()
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    return name, f"arn:aws:iam::{ACCOUNT_ID}:role/ec2/{name}"


def test_adding_a_role_needs_pass_role(server, iam, unique, new_user, admin_role):
    role, role_arn = admin_role
    name, key_id, secret = profile_user(iam, new_user, pass_role(effect="Deny"))
    caller = client(server, "iam", key_id, secret)
    profile = unique("ip")
    caller.create_instance_profile(InstanceProfileName=profile)
    prefix = f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: iam:PassRole on resource: "
    assert raises(caller.add_role_to_instance_profile, InstanceProfileName=profile, RoleName=role) == (
        "AccessDenied", prefix + f"{role_arn} with an explicit deny in an identity-based policy", 403)
    iam.put_user_policy(UserName=name, PolicyName="profiles", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [PROFILE_ACTIONS]}))
    assert raises(caller.add_role_to_instance_profile, InstanceProfileName=profile, RoleName=role) == (
        "AccessDenied", prefix + f"{role_arn} because no identity-based policy allows the iam:PassRole action", 403)
    assert iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"] == []
    # The same refusal through the aws CLI.
    done = run_aws(server, "iam", "add-role-to-instance-profile", "--instance-profile-name", profile,
                   "--role-name", role, key_id=key_id, secret=secret)
    assert done.returncode != 0 and f"(AccessDenied) when calling the AddRoleToInstanceProfile operation: {prefix}" \
        f"{role_arn} because no identity-based policy allows the iam:PassRole action" in done.stderr


@pytest.mark.parametrize("statement, allowed", [
    (pass_role(), True),
    (pass_role(f"arn:aws:iam::{ACCOUNT_ID}:role/ec2/*", StringEquals={"iam:PassedToService": "ec2.amazonaws.com"},
               ArnLike={"iam:AssociatedResourceArn": f"arn:aws:ec2:*:{ACCOUNT_ID}:instance/*"}), True),
    (pass_role(StringEquals={"iam:PassedToService": "lambda.amazonaws.com"}), False),
    (pass_role(ArnEquals={"iam:AssociatedResourceArn": f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:instance/i-0123"}), False),
    (pass_role(f"arn:aws:iam::{ACCOUNT_ID}:role/other/*"), False),
], ids=["any role", "ec2 and its instances", "to lambda only", "one instance", "another path"])
def test_pass_role_resource_and_conditions(server, iam, unique, new_user, admin_role, statement, allowed):
    role, role_arn = admin_role
    name, key_id, secret = profile_user(iam, new_user, statement)
    caller = client(server, "iam", key_id, secret)
    profile = unique("ip")
    caller.create_instance_profile(InstanceProfileName=profile)
    if allowed:
        caller.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
        roles = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"]
        assert [r["Arn"] for r in roles] == [role_arn]
    else:
        message = (f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: iam:PassRole "
                   f"on resource: {role_arn} because no identity-based policy allows the iam:PassRole action")
        assert raises(caller.add_role_to_instance_profile, InstanceProfileName=profile, RoleName=role) == (
            "AccessDenied", message, 403)


def test_removing_a_role_needs_no_pass_role(server, iam, unique, new_user, admin_role):
    role, _arn = admin_role
    profile = unique("ip")
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    _name, key_id, secret = profile_user(iam, new_user, pass_role(effect="Deny"), {
        "Effect": "Allow", "Action": "iam:RemoveRoleFromInstanceProfile", "Resource": "*"})
    client(server, "iam", key_id, secret).remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"] == []
