"""Managed policies through boto3 and the aws CLI: policies, versions, attachments, tags; AWS's errors.

The server is shared by many tests in one account: names are unique and listings filtered by a path of
the test's own.
"""

import json
import re

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, aws_json, error_of

DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": {
    "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}})
OTHER_DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Action": ["s3:GetObject"], "Resource": "*"}]})
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
VERSION_PATTERN_MESSAGE = ("1 validation error detected: Value at 'versionId' failed to satisfy constraint: "
                           "Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?")


def arn_of(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT_ID}:policy{path}{name}"


@pytest.fixture
def new_policy(iam, unique):
    def make(path="/", **kwargs):
        return iam.create_policy(PolicyName=unique("pol"), Path=path, PolicyDocument=DOCUMENT, **kwargs)["Policy"]
    return make


def fails(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


# ---- CreatePolicy, GetPolicy ---------------------------------------------------------------------------

def test_create_policy_response_as_aws_answers(iam, unique):
    name = unique("Pol")
    policy = iam.create_policy(PolicyName=name, PolicyDocument=DOCUMENT, Description="what it is")["Policy"]
    assert re.fullmatch(r"ANPA[A-Z2-7]{17}", policy["PolicyId"])
    assert policy["Arn"] == arn_of(name)
    assert policy["Path"] == "/"
    assert (policy["DefaultVersionId"], policy["AttachmentCount"], policy["PermissionsBoundaryUsageCount"],
            policy["IsAttachable"]) == ("v1", 0, 0, True)
    assert "Description" not in policy and "Tags" not in policy
    assert policy["CreateDate"] == policy["UpdateDate"]
    fetched = iam.get_policy(PolicyArn=policy["Arn"])["Policy"]
    assert fetched["Description"] == "what it is"
    assert fetched["Tags"] == []
    assert fetched["PolicyId"] == policy["PolicyId"]


def test_create_policy_with_path_and_tags(iam, unique):
    name = unique("pol")
    tags = [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]
    policy = iam.create_policy(PolicyName=name, Path="/team/x/", PolicyDocument=DOCUMENT, Tags=tags)["Policy"]
    assert policy["Arn"] == arn_of(name, "/team/x/")
    assert policy["Path"] == "/team/x/"
    assert policy["Tags"] == tags
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["Tags"] == tags


def test_policy_names_are_unique_ignoring_case_and_path(iam, unique):
    name = unique("Dup")
    iam.create_policy(PolicyName=name, PolicyDocument=DOCUMENT)
    assert fails(iam.create_policy, PolicyName=name.upper(), Path="/elsewhere/", PolicyDocument=DOCUMENT) == (
        "EntityAlreadyExists",
        f"A policy called {name.upper()} already exists. Duplicate names are not allowed.", 409)


def test_create_policy_errors(iam, unique):
    assert fails(iam.create_policy, PolicyName=unique(), PolicyDocument="not json") == (
        "MalformedPolicyDocument", "Syntax errors in policy.", 400)
    assert fails(iam.create_policy, PolicyName=unique(), PolicyDocument=DOCUMENT,
                 Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]) == (
        "InvalidInput", "Duplicate tag keys found.", 400)
    assert fails(iam.create_policy, PolicyName=unique(), PolicyDocument=DOCUMENT,
                 Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]) == (
        "ValidationError", "1 validation error detected: Value at 'tags' failed to satisfy constraint: "
        "Member must have length less than or equal to 50", 400)


@pytest.mark.parametrize("head", ["", '"Version":"2008-10-17",'])
def test_managed_policies_need_version_2012_10_17(iam, unique, new_policy, head):
    """Recorded from AWS (aws-recorded-errors.md, MalformedPolicyDocument rows 2 and 3, CreatePolicy);
    IAM User Guide, "IAM JSON policy elements: Version". Inline policies take such documents."""
    text = "{" + head + '"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
    refused = ("MalformedPolicyDocument", "Policy document must be version 2012-10-17 or greater.", 400)
    assert fails(iam.create_policy, PolicyName=unique(), PolicyDocument=text) == refused
    policy = new_policy()
    assert fails(iam.create_policy_version, PolicyArn=policy["Arn"], PolicyDocument=text, SetAsDefault=True) == refused
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=policy["Arn"])["Versions"]] == ["v1"]


def test_get_aws_managed_policy(iam):
    policy = iam.get_policy(PolicyArn=POWER_USER)["Policy"]
    assert policy["PolicyName"] == "PowerUserAccess"
    assert policy["Arn"] == POWER_USER
    assert policy["PolicyId"].startswith("ANPA")
    assert policy["IsAttachable"] is True
    assert policy["Tags"] == []


def test_get_missing_policy(iam):
    missing = arn_of("no-such-policy-here")
    assert fails(iam.get_policy, PolicyArn=missing) == ("NoSuchEntity", f"Policy {missing} was not found.", 404)
    missing_aws = POWER_USER + "Nope"
    assert fails(iam.get_policy, PolicyArn=missing_aws) == (
        "NoSuchEntity", f"Policy {missing_aws} was not found.", 404)


# ---- counts following attachments and boundaries --------------------------------------------------------

def test_counts_follow_attach_detach_and_boundaries(iam, unique, new_policy):
    policy = new_policy()
    arn = policy["Arn"]
    user, other, group = unique("u"), unique("u"), unique("g")
    iam.create_user(UserName=user)
    iam.create_user(UserName=other)
    iam.create_group(GroupName=group)

    def counts():
        got = iam.get_policy(PolicyArn=arn)["Policy"]
        return got["AttachmentCount"], got["PermissionsBoundaryUsageCount"]

    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)  # idempotent
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    assert counts() == (2, 0)
    iam.put_user_permissions_boundary(UserName=other, PermissionsBoundary=arn)
    iam.create_user(UserName=unique("u"), PermissionsBoundary=arn)
    assert counts() == (2, 2)
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    iam.delete_user_permissions_boundary(UserName=other)
    assert counts() == (1, 1)
    iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    assert counts() == (0, 1)


def test_aws_managed_policy_counts_are_the_accounts(iam, unique):
    before = iam.get_policy(PolicyArn=READ_ONLY)["Policy"]["AttachmentCount"]
    user = unique("u")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=READ_ONLY)
    try:
        assert iam.get_policy(PolicyArn=READ_ONLY)["Policy"]["AttachmentCount"] >= before + 1
        entities = iam.list_entities_for_policy(PolicyArn=READ_ONLY, EntityFilter="User")
        assert {"UserName": user, "UserId": iam.get_user(UserName=user)["User"]["UserId"]} in entities["PolicyUsers"]
    finally:
        iam.detach_user_policy(UserName=user, PolicyArn=READ_ONLY)


# ---- DeletePolicy ----------------------------------------------------------------------------------------

def test_delete_policy_and_its_conflicts(iam, unique, new_policy):
    arn = new_policy()["Arn"]
    user = unique("u")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    assert fails(iam.delete_policy, PolicyArn=arn) == (
        "DeleteConflict", "Cannot delete a policy attached to entities.", 409)
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=OTHER_DOCUMENT)
    assert fails(iam.delete_policy, PolicyArn=arn) == (
        "DeleteConflict", "This policy has more than one version. Before you delete a policy, you must delete the "
        "policy's versions. The default version is deleted with the policy.", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    iam.delete_policy(PolicyArn=arn)
    assert fails(iam.get_policy, PolicyArn=arn)[0] == "NoSuchEntity"
    assert fails(iam.delete_policy, PolicyArn=arn) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)


def test_delete_policy_outside_the_account(iam):
    assert fails(iam.delete_policy, PolicyArn=POWER_USER) == (
        "AccessDenied", "Cannot delete policies outside your own account.", 403)


def test_a_deleted_name_can_be_taken_again(iam, unique):
    name = unique("again")
    created = iam.create_policy(PolicyName=name, PolicyDocument=DOCUMENT, Tags=[{"Key": "k", "Value": "v"}])
    arn = created["Policy"]["Arn"]
    iam.delete_policy(PolicyArn=arn)
    again = iam.create_policy(PolicyName=name, PolicyDocument=OTHER_DOCUMENT)["Policy"]
    assert iam.get_policy(PolicyArn=again["Arn"])["Policy"]["Tags"] == []


# ---- versions --------------------------------------------------------------------------------------------

def test_versions_limit_and_ids_never_reused(iam, new_policy):
    arn = new_policy()["Arn"]
    created = iam.create_policy_version(PolicyArn=arn, PolicyDocument=OTHER_DOCUMENT)["PolicyVersion"]
    assert created["VersionId"] == "v2" and created["IsDefaultVersion"] is False
    assert "Document" not in created
    for expected in ("v3", "v4", "v5"):
        version = iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOCUMENT)["PolicyVersion"]
        assert version["VersionId"] == expected
    assert fails(iam.create_policy_version, PolicyArn=arn, PolicyDocument=DOCUMENT) == (
        "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must "
        "delete an existing version.", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
    again = iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOCUMENT, SetAsDefault=True)["PolicyVersion"]
    assert again["VersionId"] == "v6" and again["IsDefaultVersion"] is True
    listed = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in listed] == ["v6", "v4", "v3", "v2", "v1"]
    assert [v["IsDefaultVersion"] for v in listed] == [True, False, False, False, False]
    assert all("Document" not in v for v in listed)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v6"


def test_get_policy_version_keeps_the_document_as_sent(iam, new_policy):
    arn = new_policy()["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=OTHER_DOCUMENT)
    v1 = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert v1["Document"] == json.loads(DOCUMENT)
    assert v1["IsDefaultVersion"] is True
    v2 = iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]
    assert v2["Document"] == json.loads(OTHER_DOCUMENT) and v2["IsDefaultVersion"] is False


def test_set_default_policy_version(iam, new_policy):
    arn = new_policy()["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=OTHER_DOCUMENT)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["IsDefaultVersion"] is True
    assert fails(iam.delete_policy_version, PolicyArn=arn, VersionId="v2") == (
        "DeleteConflict", "Cannot delete the default version of a policy.", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v2"]


def test_version_errors(iam, new_policy):
    arn = new_policy()["Arn"]
    missing = arn_of("no-such-policy-here")
    for call in (iam.get_policy_version, iam.set_default_policy_version, iam.delete_policy_version):
        assert fails(call, PolicyArn=arn, VersionId="v9") == (
            "NoSuchEntity", f"Policy {arn} version v9 does not exist or is not attachable.", 404)
        assert fails(call, PolicyArn=missing, VersionId="v1") == (
            "NoSuchEntity", f"Policy {missing} version v1 does not exist or is not attachable.", 404)
    assert fails(iam.get_policy_version, PolicyArn=POWER_USER, VersionId="v2-does-not-exist") == (
        "ValidationError", VERSION_PATTERN_MESSAGE, 400)
    assert fails(iam.set_default_policy_version, PolicyArn=arn, VersionId="wrong_version_id") == (
        "ValidationError", VERSION_PATTERN_MESSAGE, 400)
    assert fails(iam.create_policy_version, PolicyArn=missing, PolicyDocument=DOCUMENT) == (
        "NoSuchEntity", f"Policy {missing} was not found.", 404)
    assert fails(iam.list_policy_versions, PolicyArn=missing) == (
        "NoSuchEntity", f"Policy {missing} was not found.", 404)
    assert fails(iam.create_policy_version, PolicyArn=arn, PolicyDocument="{}")[0] == "MalformedPolicyDocument"


def test_aws_managed_policy_versions_cannot_change(iam):
    assert fails(iam.set_default_policy_version, PolicyArn=POWER_USER, VersionId="v1") == (
        "AccessDenied", "Cannot update policies outside your own account.", 403)
    assert fails(iam.delete_policy_version, PolicyArn=POWER_USER, VersionId="v1") == (
        "AccessDenied", "Cannot delete policy versions for policies outside your own account.", 403)
    assert fails(iam.create_policy_version, PolicyArn=POWER_USER, PolicyDocument=DOCUMENT) == (
        "AccessDenied", "Cannot create versions for policies outside your own account.", 403)


def test_aws_managed_policy_versions_from_the_catalogue(iam):
    policy = iam.get_policy(PolicyArn=POWER_USER)["Policy"]
    versions = iam.list_policy_versions(PolicyArn=POWER_USER)["Versions"]
    assert versions[0]["VersionId"] == policy["DefaultVersionId"] and versions[0]["IsDefaultVersion"] is True
    document = iam.get_policy_version(PolicyArn=POWER_USER, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    assert document["Document"]["Version"] == "2012-10-17"
    assert fails(iam.get_policy_version, PolicyArn=POWER_USER, VersionId="v999") == (
        "NoSuchEntity", f"Policy {POWER_USER} version v999 does not exist or is not attachable.", 404)


def test_list_policy_versions_pages(iam, new_policy):
    arn = new_policy()["Arn"]
    for _ in range(3):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOCUMENT)
    first = iam.list_policy_versions(PolicyArn=arn, MaxItems=3)
    assert [v["VersionId"] for v in first["Versions"]] == ["v4", "v3", "v2"] and first["IsTruncated"] is True
    rest = iam.list_policy_versions(PolicyArn=arn, MaxItems=3, Marker=first["Marker"])
    assert [v["VersionId"] for v in rest["Versions"]] == ["v1"] and rest["IsTruncated"] is False


# ---- attachments -----------------------------------------------------------------------------------------

def test_attach_and_list_attached_user_policies(iam, unique, new_policy):
    user = unique("u")
    iam.create_user(UserName=user)
    mine = new_policy(path="/mine/")
    iam.attach_user_policy(UserName=user, PolicyArn=mine["Arn"])
    iam.attach_user_policy(UserName=user, PolicyArn=POWER_USER)
    attached = iam.list_attached_user_policies(UserName=user)
    assert attached["IsTruncated"] is False
    assert sorted(attached["AttachedPolicies"], key=lambda p: p["PolicyArn"]) == sorted([
        {"PolicyName": mine["PolicyName"], "PolicyArn": mine["Arn"]},
        {"PolicyName": "PowerUserAccess", "PolicyArn": POWER_USER}], key=lambda p: p["PolicyArn"])
    assert iam.list_attached_user_policies(UserName=user, PathPrefix="/mine/")["AttachedPolicies"] == [
        {"PolicyName": mine["PolicyName"], "PolicyArn": mine["Arn"]}]
    first = iam.list_attached_user_policies(UserName=user, MaxItems=1)
    second = iam.list_attached_user_policies(UserName=user, MaxItems=1, Marker=first["Marker"])
    assert first["IsTruncated"] is True and second["IsTruncated"] is False
    assert len({p["PolicyArn"] for p in first["AttachedPolicies"] + second["AttachedPolicies"]}) == 2
    iam.detach_user_policy(UserName=user, PolicyArn=POWER_USER)
    assert fails(iam.detach_user_policy, UserName=user, PolicyArn=POWER_USER) == (
        "NoSuchEntity", f"Policy {POWER_USER} was not found.", 404)


def test_attach_errors(iam, unique, new_policy):
    user, group = unique("u"), unique("g")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    name = iam.create_policy(PolicyName=unique("a-long-policy-name"), PolicyDocument=DOCUMENT)["Policy"]["PolicyName"]
    assert fails(iam.attach_user_policy, UserName=user, PolicyArn=name) == (
        "ValidationError", f"ARN {name} is not valid.", 400)
    assert fails(iam.attach_group_policy, GroupName=group, PolicyArn="longpolicynamebutnoarn") == (
        "ValidationError", "ARN longpolicynamebutnoarn is not valid.", 400)
    bogus = POWER_USER + "Extra"
    assert fails(iam.attach_user_policy, UserName=user, PolicyArn=bogus) == (
        "NoSuchEntity", f"Policy {bogus} does not exist or is not attachable.", 404)
    assert fails(iam.attach_group_policy, GroupName=group, PolicyArn=bogus) == (
        "NoSuchEntity", f"Policy {bogus} does not exist or is not attachable.", 404)
    assert fails(iam.attach_user_policy, UserName="no-such-user-x", PolicyArn=POWER_USER) == (
        "NoSuchEntity", "The user with name no-such-user-x cannot be found.", 404)
    assert fails(iam.attach_group_policy, GroupName="no-such-group-x", PolicyArn=POWER_USER) == (
        "NoSuchEntity", "The group with name no-such-group-x cannot be found.", 404)
    assert fails(iam.list_attached_group_policies, GroupName="no-such-group-x") == (
        "NoSuchEntity", "The group with name no-such-group-x cannot be found.", 404)
    assert fails(iam.detach_group_policy, GroupName=group, PolicyArn=POWER_USER) == (
        "NoSuchEntity", f"Policy {POWER_USER} was not found.", 404)


# Malformed in each way an ARN can be: too few fields, no "arn:" prefix, an empty resource, an empty account.
MALFORMED_ARNS = ("arn:aws:iam::123456789012", "arn:aws:iam::123456789012:", "not:aws:iam::123456789012:policy/x",
                  "arn:aws:iam:::policy/a-policy-name", "arn:aws:iam::policy/a-policy-name")


@pytest.mark.parametrize("arn", MALFORMED_ARNS)
def test_a_malformed_policy_arn_is_aws_error_never_a_500(iam, unique, arn):
    """AWS's recorded answer for AttachUserPolicy with a PolicyArn that is no ARN: ValidationError,
    "ARN <policy-arn> is not valid." (the newer of the two recorded answers). A well-formed ARN whose
    account is empty names no policy: NoSuchEntity. The operations that compare the ARN's account with
    the caller's (DeletePolicy, the version operations) answer with a client error too."""
    user = unique("u")
    iam.create_user(UserName=user)
    well_formed = arn.startswith("arn:") and len(arn.split(":", 5)) == 6 and arn.split(":", 5)[5]
    expected = ("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.", 404) if well_formed \
        else ("ValidationError", f"ARN {arn} is not valid.", 400)
    assert fails(iam.attach_user_policy, UserName=user, PolicyArn=arn) == expected
    for call, params in ((iam.delete_policy, {}), (iam.create_policy_version, {"PolicyDocument": DOCUMENT}),
                         (iam.delete_policy_version, {"VersionId": "v1"}),
                         (iam.set_default_policy_version, {"VersionId": "v1"})):
        assert fails(call, PolicyArn=arn, **params)[2] < 500


@pytest.mark.parametrize("kind", ["user", "group"])
def test_at_most_ten_managed_policies(iam, unique, new_policy, kind):
    name = unique(kind)
    if kind == "user":
        iam.create_user(UserName=name)
        attach, quota = (lambda arn: iam.attach_user_policy(UserName=name, PolicyArn=arn)), "PoliciesPerUser"
    else:
        iam.create_group(GroupName=name)
        attach, quota = (lambda arn: iam.attach_group_policy(GroupName=name, PolicyArn=arn)), "PoliciesPerGroup"
    arns = [new_policy()["Arn"] for _ in range(11)]
    for arn in arns[:10]:
        attach(arn)
    attach(arns[0])  # already attached: still fine
    assert fails(attach, arn=arns[10]) == ("LimitExceeded", f"Cannot exceed quota for {quota}: 10", 409)


def test_a_user_with_attached_policies_cannot_be_deleted(iam, unique, new_policy):
    user = unique("u")
    iam.create_user(UserName=user)
    arn = new_policy()["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    assert fails(iam.delete_user, UserName=user) == (
        "DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)


# ---- ListEntitiesForPolicy -------------------------------------------------------------------------------

def test_list_entities_for_policy(iam, unique, new_policy):
    arn = new_policy()["Arn"]
    users = sorted(unique("u") for _ in range(2))
    group, bounded = unique("g"), unique("b")
    for user in users:
        iam.create_user(UserName=user, Path="/staff/")
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.create_user(UserName=bounded, PermissionsBoundary=arn)
    ids = {name: iam.get_user(UserName=name)["User"]["UserId"] for name in users + [bounded]}
    group_id = iam.get_group(GroupName=group)["Group"]["GroupId"]

    everything = iam.list_entities_for_policy(PolicyArn=arn)
    assert everything["PolicyUsers"] == [{"UserName": u, "UserId": ids[u]} for u in users]
    assert everything["PolicyGroups"] == [{"GroupName": group, "GroupId": group_id}]
    assert everything["PolicyRoles"] == [] and everything["IsTruncated"] is False

    only_users = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="User")
    assert only_users["PolicyGroups"] == [] and len(only_users["PolicyUsers"]) == 2
    assert iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Group")["PolicyUsers"] == []
    boundary = iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsBoundary")
    assert boundary["PolicyUsers"] == [{"UserName": bounded, "UserId": ids[bounded]}]
    assert boundary["PolicyGroups"] == []
    assert iam.list_entities_for_policy(PolicyArn=arn, PathPrefix="/staff/")["PolicyGroups"] == []
    local = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="LocalManagedPolicy")
    assert (local["PolicyUsers"], local["PolicyGroups"], local["PolicyRoles"]) == ([], [], [])

    first = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2)
    assert first["IsTruncated"] is True
    assert first["PolicyGroups"] == [{"GroupName": group, "GroupId": group_id}]
    assert first["PolicyUsers"] == [{"UserName": users[0], "UserId": ids[users[0]]}]
    rest = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2, Marker=first["Marker"])
    assert rest["PolicyUsers"] == [{"UserName": users[1], "UserId": ids[users[1]]}] and rest["IsTruncated"] is False


def test_list_entities_for_missing_policy(iam):
    missing = arn_of("no-such-policy-here")
    assert fails(iam.list_entities_for_policy, PolicyArn=missing) == (
        "NoSuchEntity", f"Policy {missing} does not exist or is not attachable.", 404)


# ---- ListPolicies ----------------------------------------------------------------------------------------

def test_list_policies_by_path_and_pages(iam, unique):
    path = f"/{unique('lp')}/"
    names = sorted(unique("P") for _ in range(5))
    for name in names:
        iam.create_policy(PolicyName=name, Path=path, PolicyDocument=DOCUMENT, Description="d",
                          Tags=[{"Key": "k", "Value": "v"}])
    listed = iam.list_policies(PathPrefix=path)
    assert [p["PolicyName"] for p in listed["Policies"]] == names
    assert all("Description" not in p and "Tags" not in p for p in listed["Policies"])
    assert listed["Policies"][0]["AttachmentCount"] == 0 and listed["Policies"][0]["IsAttachable"] is True
    assert [p["PolicyName"] for p in iam.list_policies(PathPrefix=path, Scope="Local")["Policies"]] == names
    assert iam.list_policies(PathPrefix=path, Scope="AWS")["Policies"] == []
    first = iam.list_policies(PathPrefix=path, MaxItems=2)
    assert [p["PolicyName"] for p in first["Policies"]] == names[:2] and first["IsTruncated"] is True
    paginated = [p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2}) for p in page["Policies"]]
    assert paginated == names


def test_list_policies_only_attached_and_usage_filter(iam, unique, new_policy):
    path = f"/{unique('oa')}/"
    attached, boundary, idle = new_policy(path=path), new_policy(path=path), new_policy(path=path)
    user = unique("u")
    iam.create_user(UserName=user, PermissionsBoundary=boundary["Arn"])
    iam.attach_user_policy(UserName=user, PolicyArn=attached["Arn"])
    names = lambda **kw: {p["PolicyName"] for p in iam.list_policies(PathPrefix=path, **kw)["Policies"]}  # noqa: E731
    assert names() == {attached["PolicyName"], boundary["PolicyName"], idle["PolicyName"]}
    assert names(OnlyAttached=True) == {attached["PolicyName"]}
    assert names(OnlyAttached=True, PolicyUsageFilter="PermissionsPolicy") == {attached["PolicyName"]}
    assert names(PolicyUsageFilter="PermissionsBoundary") == {boundary["PolicyName"]}
    counted = {p["PolicyName"]: (p["AttachmentCount"], p["PermissionsBoundaryUsageCount"])
               for p in iam.list_policies(PathPrefix=path)["Policies"]}
    assert counted == {attached["PolicyName"]: (1, 0), boundary["PolicyName"]: (0, 1), idle["PolicyName"]: (0, 0)}


def test_list_aws_managed_policies_pages_through_the_catalogue(iam):
    first = iam.list_policies(Scope="AWS", MaxItems=50)
    second = iam.list_policies(Scope="AWS", MaxItems=50, Marker=first["Marker"])
    names = [p["PolicyName"] for p in first["Policies"] + second["Policies"]]
    assert len(names) == 100 and names == sorted(names) and len(set(names)) == 100
    assert all(p["Arn"].startswith("arn:aws:iam::aws:policy/") for p in first["Policies"])
    job_functions = iam.list_policies(Scope="AWS", PathPrefix="/job-function/")["Policies"]
    assert job_functions and all(p["Path"] == "/job-function/" for p in job_functions)


def test_list_policies_only_attached_includes_aws_managed(iam, unique):
    user = unique("u")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=POWER_USER)
    try:
        listed = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
        power = [p for p in listed if p["Arn"] == POWER_USER]
        assert power and power[0]["AttachmentCount"] >= 1
        assert all(p["AttachmentCount"] >= 1 for p in listed)
    finally:
        iam.detach_user_policy(UserName=user, PolicyArn=POWER_USER)


# ---- tags ------------------------------------------------------------------------------------------------

def test_policy_tags(iam, new_policy):
    arn = new_policy()["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": k, "Value": k.upper()} for k in ("abc", "b", "z", "a", "A")])
    assert [t["Key"] for t in iam.list_policy_tags(PolicyArn=arn)["Tags"]] == ["A", "a", "b", "z", "abc"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "a", "Value": "new"}])
    iam.untag_policy(PolicyArn=arn, TagKeys=["A", "zzz"])
    tags = iam.list_policy_tags(PolicyArn=arn)["Tags"]
    assert tags == [{"Key": "a", "Value": "new"}, {"Key": "b", "Value": "B"}, {"Key": "z", "Value": "Z"},
                    {"Key": "abc", "Value": "ABC"}]
    first = iam.list_policy_tags(PolicyArn=arn, MaxItems=3)
    assert first["IsTruncated"] is True and len(first["Tags"]) == 3
    rest = iam.list_policy_tags(PolicyArn=arn, MaxItems=3, Marker=first["Marker"])
    assert rest["Tags"] == [{"Key": "abc", "Value": "ABC"}] and rest["IsTruncated"] is False


def test_policy_tag_errors(iam, new_policy):
    arn = new_policy()["Arn"]
    missing = arn_of("no-such-policy-here")
    assert fails(iam.tag_policy, PolicyArn=arn, Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]) == (
        "InvalidInput", "Duplicate tag keys found.", 400)
    for call, extra in ((iam.tag_policy, {"Tags": [{"Key": "k", "Value": "v"}]}),
                        (iam.untag_policy, {"TagKeys": ["k"]}), (iam.list_policy_tags, {})):
        assert fails(call, PolicyArn=missing, **extra) == ("NoSuchEntity", f"Policy {missing} was not found.", 404)
    assert fails(iam.tag_policy, PolicyArn=arn, Tags=[{"Key": "bad!", "Value": "v"}]) == (
        "ValidationError", "1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", 400)


# ---- the real aws CLI ------------------------------------------------------------------------------------

def test_cli_finds_power_user_access(server):
    found = aws_json(server, "iam", "list-policies", "--scope", "AWS",
                     "--query", "Policies[?PolicyName=='PowerUserAccess'].Arn")
    assert found == [POWER_USER]


def test_cli_prints_a_policy_version_document(server, iam, new_policy):
    arn = new_policy()["Arn"]
    version = aws_json(server, "iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1")
    assert version["PolicyVersion"]["Document"] == json.loads(DOCUMENT)
    assert version["PolicyVersion"]["IsDefaultVersion"] is True
    attached = aws_json(server, "iam", "list-entities-for-policy", "--policy-arn", arn)
    assert attached == {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []}


def test_list_policies_merges_aws_and_local_by_name(iam, unique):
    # A customer policy may share an AWS managed policy's name; both are listed, AWS's first.
    path = "/job-function/"
    mine = [iam.create_policy(PolicyName=name, Path=path, PolicyDocument=DOCUMENT)["Policy"]
            for name in ("ViewOnlyAccess", unique("Pol"), unique("aaa"))]
    try:
        everything = [(p["PolicyName"], p["Arn"]) for p in iam.list_policies(PathPrefix=path)["Policies"]]
        aws = [(p["PolicyName"], p["Arn"]) for p in iam.list_policies(PathPrefix=path, Scope="AWS")["Policies"]]
        assert ("ViewOnlyAccess", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess") in aws
        expected = sorted(aws + [(p["PolicyName"], p["Arn"]) for p in mine],
                          key=lambda pair: (pair[0], not pair[1].startswith("arn:aws:iam::aws:")))
        assert everything == expected
        paged = [(p["PolicyName"], p["Arn"]) for page in iam.get_paginator("list_policies").paginate(
            PathPrefix=path, PaginationConfig={"PageSize": 1}) for p in page["Policies"]]
        assert paged == expected
    finally:
        for policy in mine:
            iam.delete_policy(PolicyArn=policy["Arn"])


def test_list_every_policy(iam):
    names = [p["Arn"] for page in iam.get_paginator("list_policies").paginate(PaginationConfig={"PageSize": 1000})
             for p in page["Policies"]]
    assert len(names) == len(set(names)) and len(names) > 1500
