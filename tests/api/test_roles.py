"""Roles through boto3 and the aws CLI: ids, ARNs, trust policies, response shapes, inline and attached
policies, boundaries, tags, quotas and AWS's errors."""

import json
import re

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, aws_json, error_of

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}'
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def raises(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def missing_role(name: str) -> tuple[str, str, int]:
    return ("NoSuchEntity", f"The role with name {name} cannot be found.", 404)


@pytest.fixture
def new_role(iam, unique):
    def make(**args):
        name = unique("role")
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST, **args)
        return name
    return make


def test_create_and_get_role(iam, unique):
    name = unique("Role")
    created = iam.create_role(RoleName=name, Path="/app/", AssumeRolePolicyDocument=TRUST,
                              Description="for the app")["Role"]
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", created["RoleId"])
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/app/{name}"
    assert created["Path"] == "/app/" and created["RoleName"] == name
    assert created["AssumeRolePolicyDocument"] == json.loads(TRUST)
    for absent in ("MaxSessionDuration", "RoleLastUsed", "Description", "Tags", "PermissionsBoundary"):
        assert absent not in created
    fetched = iam.get_role(RoleName=name.lower())["Role"]
    assert fetched["MaxSessionDuration"] == 3600 and fetched["RoleLastUsed"] == {}
    assert fetched["Description"] == "for the app" and "Tags" not in fetched
    assert {k: fetched[k] for k in created} == created


def test_role_names_are_unique_ignoring_case(iam, new_role):
    name = new_role()
    assert raises(iam.create_role, RoleName=name.upper(), AssumeRolePolicyDocument=TRUST) == (
        "EntityAlreadyExists", f"Role with name {name.upper()} already exists.", 409)


def test_get_missing_role(iam):
    assert raises(iam.get_role, RoleName="no-such-role") == missing_role("no-such-role")


@pytest.mark.parametrize("document, message", [
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
     '"Action":"sts:AssumeRole"},]}', "This policy contains invalid Json"),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},'
     '"Action":"sts:AssumeRole","Resource":"arn:aws:s3:::example_bucket"}]}', "Has prohibited field Resource"),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},'
     '"Action":"sts:InvalidAction"}]}', "AssumeRole policy may only specify STS AssumeRole actions."),
])
def test_bad_trust_policies(iam, new_role, unique, document, message):
    assert raises(iam.create_role, RoleName=unique(), AssumeRolePolicyDocument=document) == (
        "MalformedPolicyDocument", message, 400)
    name = new_role()
    assert raises(iam.update_assume_role_policy, RoleName=name, PolicyDocument=document) == (
        "MalformedPolicyDocument", message, 400)


def test_trust_policy_size_quota(iam, new_role, unique):
    principals = [f"arn:aws:iam::{ACCOUNT_ID}:role/some-long-role-name-{i:04d}" for i in range(40)]
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}]})
    quota = ("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048", 409)
    assert raises(iam.create_role, RoleName=unique(), AssumeRolePolicyDocument=big) == quota
    name = new_role()
    assert raises(iam.update_assume_role_policy, RoleName=name, PolicyDocument=big) == quota


def test_update_assume_role_policy(iam, new_role):
    name = new_role()
    document = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": ACCOUNT_ID},
                                                       "Action": ["sts:AssumeRole", "sts:TagSession"]}}
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(document))
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == document
    assert raises(iam.update_assume_role_policy, RoleName="ghost-role", PolicyDocument=TRUST) == \
        missing_role("ghost-role")


@pytest.mark.parametrize("head", ["", '"Version":"2008-10-17",'])
def test_trust_and_inline_role_policies_need_no_version(iam, unique, new_role, head):
    """IAM User Guide, "IAM JSON policy elements: Version": 2008-10-17, or no Version, is the earlier
    policy language; AWS refuses it for managed policies only (aws-recorded-errors.md, CreatePolicy)."""
    trust = ("{" + head + '"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
             '"Action":"sts:AssumeRole"}}')
    name = unique("old")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == json.loads(trust)
    other = new_role()
    iam.update_assume_role_policy(RoleName=other, PolicyDocument=trust)
    assert iam.get_role(RoleName=other)["Role"]["AssumeRolePolicyDocument"] == json.loads(trust)
    inline = "{" + head + '"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
    iam.put_role_policy(RoleName=name, PolicyName="all", PolicyDocument=inline)
    assert iam.get_role_policy(RoleName=name, PolicyName="all")["PolicyDocument"] == json.loads(inline)


def test_max_session_duration_range(iam, unique, new_role):
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName=unique(), AssumeRolePolicyDocument=TRUST, MaxSessionDuration=43201)
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationError", 400) and "'maxSessionDuration'" in message
    name = new_role(MaxSessionDuration=43200)
    assert iam.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 43200


def test_update_role_and_description(iam, new_role):
    name = new_role(Description="first")
    iam.update_role(RoleName=name)
    role = iam.get_role(RoleName=name)["Role"]
    assert role["Description"] == "first" and role["MaxSessionDuration"] == 3600
    iam.update_role(RoleName=name, Description="second", MaxSessionDuration=7200)
    role = iam.get_role(RoleName=name)["Role"]
    assert role["Description"] == "second" and role["MaxSessionDuration"] == 7200
    updated = iam.update_role_description(RoleName=name, Description="third")["Role"]
    assert updated["Description"] == "third" and updated["RoleName"] == name
    assert raises(iam.update_role, RoleName="ghost-role", Description="x") == missing_role("ghost-role")
    assert raises(iam.update_role_description, RoleName="ghost-role", Description="x") == missing_role("ghost-role")


def test_list_roles_by_path_prefix_and_pages(iam, unique):
    path = f"/{unique('p')}/"
    names = sorted(unique("r") for _ in range(5))
    for name in names:
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=TRUST, Description="d",
                        PermissionsBoundary=READ_ONLY, Tags=[{"Key": "k", "Value": "v"}])
    first = iam.list_roles(PathPrefix=path, MaxItems=3)
    assert [r["RoleName"] for r in first["Roles"]] == names[:3] and first["IsTruncated"] is True
    entry = first["Roles"][0]
    assert entry["MaxSessionDuration"] == 3600 and entry["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert entry["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role{path}{names[0]}"
    for absent in ("RoleLastUsed", "Tags", "PermissionsBoundary"):
        assert absent not in entry
    second = iam.list_roles(PathPrefix=path, MaxItems=3, Marker=first["Marker"])
    assert [r["RoleName"] for r in second["Roles"]] == names[3:] and second["IsTruncated"] is False
    paginated = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2}) for r in page["Roles"]]
    assert paginated == names


def test_role_tags_are_case_insensitive(iam, new_role):
    name = new_role(Tags=[{"Key": "somekey", "Value": "1"}, {"Key": "other", "Value": "2"}])
    assert iam.get_role(RoleName=name)["Role"]["Tags"] == [{"Key": "somekey", "Value": "1"},
                                                           {"Key": "other", "Value": "2"}]
    iam.tag_role(RoleName=name, Tags=[{"Key": "Somekey", "Value": "3"}, {"Key": "new", "Value": ""}])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [
        {"Key": "Somekey", "Value": "3"}, {"Key": "other", "Value": "2"}, {"Key": "new", "Value": ""}]
    iam.untag_role(RoleName=name, TagKeys=["SOMEKEY", "absent"])
    page = iam.list_role_tags(RoleName=name, MaxItems=1)
    assert page["Tags"] == [{"Key": "other", "Value": "2"}] and page["IsTruncated"] is True
    rest = iam.list_role_tags(RoleName=name, Marker=page["Marker"])
    assert rest["Tags"] == [{"Key": "new", "Value": ""}] and rest["IsTruncated"] is False


def test_role_tag_errors(iam, new_role, unique):
    duplicate = ("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400)
    assert raises(iam.create_role, RoleName=unique(), AssumeRolePolicyDocument=TRUST,
                  Tags=[{"Key": "mykey", "Value": "a"}, {"Key": "MyKey", "Value": "b"}]) == duplicate
    name = new_role()
    assert raises(iam.tag_role, RoleName=name, Tags=[{"Key": "dupkey", "Value": "a"},
                                                     {"Key": "dupkey", "Value": "b"}]) == duplicate
    assert raises(iam.tag_role, RoleName=name, Tags=[{"Key": "k" * 129, "Value": "a"}]) == (
        "ValidationError", "1 validation error detected: Value at 'tags.1.member.key' failed to satisfy "
        "constraint: Member must have length less than or equal to 128", 400)
    assert raises(iam.create_role, RoleName=unique(), AssumeRolePolicyDocument=TRUST,
                  Tags=[{"Key": "k", "Value": "v" * 257}]) == (
        "ValidationError", "1 validation error detected: Value at 'tags.1.member.value' failed to satisfy "
        "constraint: Member must have length less than or equal to 256", 400)
    assert raises(iam.create_role, RoleName=unique(), AssumeRolePolicyDocument=TRUST,
                  Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]) == (
        "ValidationError", "1 validation error detected: Value at 'tags' failed to satisfy constraint: "
        "Member must have length less than or equal to 50", 400)
    assert raises(iam.untag_role, RoleName=name, TagKeys=["bad!"]) == (
        "ValidationError", "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member "
        "must satisfy constraint: [Member must have length less than or equal to 128, Member must have length "
        "greater than or equal to 1, Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+, "
        "Member must not be null]", 400)
    for call, params in ((iam.tag_role, {"Tags": [{"Key": "a", "Value": "b"}]}),
                         (iam.untag_role, {"TagKeys": ["a"]}), (iam.list_role_tags, {})):
        assert raises(call, RoleName="ghost-role", **params) == missing_role("ghost-role")


def test_permissions_boundary(iam, new_role, unique):
    """PermissionsBoundaryType is "Policy" (IAM API Reference, AttachedPermissionsBoundary)."""
    name = new_role(PermissionsBoundary=READ_ONLY)
    assert iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": READ_ONLY}
    iam.delete_role_permissions_boundary(RoleName=name)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=name)["Role"]
    iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary="arn:aws:iam::aws:policy/PowerUserAccess")
    assert iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == \
        "arn:aws:iam::aws:policy/PowerUserAccess"
    entities = iam.list_entities_for_policy(PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess",
                                            PolicyUsageFilter="PermissionsBoundary", EntityFilter="Role")
    assert name in [r["RoleName"] for r in entities["PolicyRoles"]]
    assert raises(iam.put_role_permissions_boundary, RoleName="ghost-role", PermissionsBoundary=READ_ONLY) == \
        missing_role("ghost-role")
    assert raises(iam.delete_role_permissions_boundary, RoleName="ghost-role") == missing_role("ghost-role")


@pytest.mark.parametrize("arn, expected", [
    ("arn:aws:iam::aws:policy/NoSuchPolicyHere",
     ("NoSuchEntity", "Scope ARN: arn:aws:iam::aws:policy/NoSuchPolicyHere does not exist or is not attachable.", 404)),
    (f"arn:aws:iam::{ACCOUNT_ID}:not_a_policy/invalid",
     ("InvalidInput", f"ARN arn:aws:iam::{ACCOUNT_ID}:not_a_policy/invalid is not valid.", 400)),
])
def test_bad_permissions_boundary(iam, new_role, unique, arn, expected):
    assert raises(iam.create_role, RoleName=unique(), AssumeRolePolicyDocument=TRUST,
                  PermissionsBoundary=arn) == expected
    assert raises(iam.put_role_permissions_boundary, RoleName=new_role(), PermissionsBoundary=arn) == expected
    # The boundary is checked before the role.
    assert raises(iam.put_role_permissions_boundary, RoleName="ghost-role", PermissionsBoundary=arn) == expected


def test_inline_role_policies(iam, new_role):
    name = new_role()
    iam.put_role_policy(RoleName=name, PolicyName="b-policy", PolicyDocument=POLICY)
    iam.put_role_policy(RoleName=name, PolicyName="a-policy", PolicyDocument=POLICY)
    got = iam.get_role_policy(RoleName=name.upper(), PolicyName="b-policy")
    assert got["RoleName"] == name and got["PolicyName"] == "b-policy"
    assert got["PolicyDocument"] == json.loads(POLICY)
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["a-policy", "b-policy"]
    page = iam.list_role_policies(RoleName=name, MaxItems=1)
    assert page["PolicyNames"] == ["a-policy"] and page["IsTruncated"] is True
    iam.delete_role_policy(RoleName=name, PolicyName="a-policy")
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["b-policy"]
    gone = ("NoSuchEntity", "The role policy with name a-policy cannot be found.", 404)
    assert raises(iam.get_role_policy, RoleName=name, PolicyName="a-policy") == gone
    assert raises(iam.delete_role_policy, RoleName=name, PolicyName="a-policy") == gone
    for call, params in ((iam.put_role_policy, {"PolicyName": "p", "PolicyDocument": POLICY}),
                         (iam.get_role_policy, {"PolicyName": "p"}), (iam.delete_role_policy, {"PolicyName": "p"}),
                         (iam.list_role_policies, {})):
        assert raises(call, RoleName="ghost-role", **params) == missing_role("ghost-role")
    assert raises(iam.put_role_policy, RoleName=name, PolicyName="bad", PolicyDocument="{")[:2] == (
        "MalformedPolicyDocument", "Syntax errors in policy.")


def test_inline_role_policies_share_10240_characters(iam, new_role):
    name = new_role()
    def document(size: int) -> str:
        head = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket",'
                '"Resource":"arn:aws:s3:::')
        tail = '"}]}'
        return head + "b" * (size - len(head) - len(tail)) + tail
    iam.put_role_policy(RoleName=name, PolicyName="one", PolicyDocument=document(5120))
    iam.put_role_policy(RoleName=name, PolicyName="two", PolicyDocument=document(5120))
    assert raises(iam.put_role_policy, RoleName=name, PolicyName="three", PolicyDocument=document(200)) == (
        "LimitExceeded", f"Maximum policy size of 10240 bytes exceeded for role {name}", 409)


def test_attached_role_policies(iam, new_role):
    name = new_role()
    iam.attach_role_policy(RoleName=name, PolicyArn=READ_ONLY)
    iam.attach_role_policy(RoleName=name, PolicyArn=READ_ONLY)  # twice changes nothing
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
    listed = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    view_only = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"
    assert listed == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY},
                      {"PolicyName": "ViewOnlyAccess", "PolicyArn": view_only}]
    filtered = iam.list_attached_role_policies(RoleName=name, PathPrefix="/job-function/")["AttachedPolicies"]
    assert [p["PolicyName"] for p in filtered] == ["ViewOnlyAccess"]
    entities = iam.list_entities_for_policy(PolicyArn=READ_ONLY, EntityFilter="Role")["PolicyRoles"]
    assert any(r["RoleName"] == name and r["RoleId"].startswith("AROA") for r in entities)
    iam.detach_role_policy(RoleName=name, PolicyArn=READ_ONLY)
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]] == \
        ["ViewOnlyAccess"]
    assert raises(iam.detach_role_policy, RoleName=name, PolicyArn=READ_ONLY) == (
        "NoSuchEntity", f"Policy {READ_ONLY} was not found.", 404)


def test_attach_role_policy_errors(iam, new_role):
    name = new_role()
    assert raises(iam.attach_role_policy, RoleName=name, PolicyArn="longpolicynamebutnoarn") == (
        "ValidationError", "ARN longpolicynamebutnoarn is not valid.", 400)
    assert raises(iam.attach_role_policy, RoleName=name, PolicyArn=READ_ONLY + "Extra") == (
        "NoSuchEntity", f"Policy {READ_ONLY}Extra does not exist or is not attachable.", 404)
    for call in (iam.attach_role_policy, iam.detach_role_policy):
        assert raises(call, RoleName="ghost-role", PolicyArn=READ_ONLY) == missing_role("ghost-role")
    assert raises(iam.list_attached_role_policies, RoleName="ghost-role") == missing_role("ghost-role")


def test_ten_policies_per_role(iam, new_role, unique):
    name = new_role()
    prefix = unique("pol")
    arns = [iam.create_policy(PolicyName=f"{prefix}-{i}", PolicyDocument=POLICY)["Policy"]["Arn"] for i in range(11)]
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    assert raises(iam.attach_role_policy, RoleName=name, PolicyArn=arns[10]) == (
        "LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10", 409)
    page = iam.list_attached_role_policies(RoleName=name, MaxItems=4)
    assert len(page["AttachedPolicies"]) == 4 and page["IsTruncated"] is True
    for arn in arns[:10]:
        iam.detach_role_policy(RoleName=name, PolicyArn=arn)
    iam.delete_role(RoleName=name)
    for arn in arns:
        iam.delete_policy(PolicyArn=arn)


def test_delete_role_conflicts(iam, new_role, unique):
    name = new_role()
    profile = unique("ip")
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=name)
    iam.attach_role_policy(RoleName=name, PolicyArn=READ_ONLY)
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=POLICY)
    assert raises(iam.delete_role, RoleName=name) == (
        "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=name)
    assert raises(iam.delete_role, RoleName=name) == (
        "DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    iam.detach_role_policy(RoleName=name, PolicyArn=READ_ONLY)
    assert raises(iam.delete_role, RoleName=name) == (
        "DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_role_policy(RoleName=name, PolicyName="inline")
    iam.delete_role(RoleName=name)
    assert raises(iam.get_role, RoleName=name) == missing_role(name)
    assert raises(iam.delete_role, RoleName=name) == missing_role(name)
    iam.delete_instance_profile(InstanceProfileName=profile)


def test_deleted_role_name_is_free_again(iam, unique):
    name = unique()
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "a", "Value": "b"}])
    iam.delete_role(RoleName=name)
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]
    assert "Tags" not in iam.get_role(RoleName=name)["Role"] and role["RoleName"] == name


def test_roles_through_the_aws_cli(server, unique):
    name = unique("cli")
    created = aws_json(server, "iam", "create-role", "--role-name", name, "--path", "/cli/",
                       "--assume-role-policy-document", TRUST, "--description", "from the CLI",
                       "--tags", "Key=team,Value=core")["Role"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/cli/{name}"
    assert created["Tags"] == [{"Key": "team", "Value": "core"}]
    fetched = aws_json(server, "iam", "get-role", "--role-name", name)["Role"]
    assert fetched["Description"] == "from the CLI" and fetched["MaxSessionDuration"] == 3600
    aws_json(server, "iam", "put-role-policy", "--role-name", name, "--policy-name", "p", "--policy-document", POLICY)
    assert aws_json(server, "iam", "get-role-policy", "--role-name", name, "--policy-name", "p")[
        "PolicyDocument"] == json.loads(POLICY)
    aws_json(server, "iam", "attach-role-policy", "--role-name", name, "--policy-arn", READ_ONLY)
    attached = aws_json(server, "iam", "list-attached-role-policies", "--role-name", name)["AttachedPolicies"]
    assert attached == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY}]
    listed = aws_json(server, "iam", "list-roles", "--path-prefix", "/cli/")["Roles"]
    assert name in [r["RoleName"] for r in listed]
    aws_json(server, "iam", "detach-role-policy", "--role-name", name, "--policy-arn", READ_ONLY)
    aws_json(server, "iam", "delete-role-policy", "--role-name", name, "--policy-name", "p")
    aws_json(server, "iam", "delete-role", "--role-name", name)
