"""Account settings: the alias, GetAccountSummary and GetAccountAuthorizationDetails, each in a fresh account."""

import json

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import aws_json, client, error_of, run_aws

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
DOC2 = {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": ["s3:*"], "Resource": "*"}}
S3_FULL = "arn:aws:iam::aws:policy/AmazonS3FullAccess"

SUMMARY_KEYS = {
    "Users", "UsersQuota", "Groups", "GroupsQuota", "ServerCertificates", "ServerCertificatesQuota",
    "UserPolicySizeQuota", "GroupPolicySizeQuota", "GroupsPerUserQuota", "SigningCertificatesPerUserQuota",
    "AccessKeysPerUserQuota", "MFADevices", "MFADevicesInUse", "AccountMFAEnabled", "AccountAccessKeysPresent",
    "AccountPasswordPresent", "AccountSigningCertificatesPresent", "AttachedPoliciesPerGroupQuota",
    "AttachedPoliciesPerRoleQuota", "AttachedPoliciesPerUserQuota", "Policies", "PoliciesQuota", "PolicySizeQuota",
    "PolicyVersionsInUse", "PolicyVersionsInUseQuota", "VersionsPerPolicyQuota", "GlobalEndpointTokenVersion",
    "AssumeRolePolicySizeQuota", "InstanceProfiles", "InstanceProfilesQuota", "Providers", "RolePolicySizeQuota",
    "Roles", "RolesQuota",
}
QUOTAS = {
    "AccessKeysPerUserQuota": 2, "AssumeRolePolicySizeQuota": 2048, "AttachedPoliciesPerGroupQuota": 10,
    "AttachedPoliciesPerRoleQuota": 10, "AttachedPoliciesPerUserQuota": 10, "GroupPolicySizeQuota": 5120,
    "GroupsPerUserQuota": 10, "GroupsQuota": 300, "InstanceProfilesQuota": 1000, "PoliciesQuota": 1500,
    "PolicySizeQuota": 6144, "PolicyVersionsInUseQuota": 10000, "RolePolicySizeQuota": 10240, "RolesQuota": 1000,
    "ServerCertificatesQuota": 20, "SigningCertificatesPerUserQuota": 2, "UserPolicySizeQuota": 2048,
    "UsersQuota": 5000, "VersionsPerPolicyQuota": 5, "GlobalEndpointTokenVersion": 1,
}


@pytest.fixture
def account(server, new_account):
    """A fresh account: (its id, an IAM client with its root key, its root key pair)."""
    fresh = new_account()
    key = (fresh["aws_access_key_id"], fresh["aws_secret_access_key"])
    return fresh["account_id"], client(server, "iam", *key), key


# ---------------------------------------------------------------------------------------------- alias


def test_alias_lifecycle(account, unique):
    _, iam, _ = account
    assert iam.list_account_aliases()["AccountAliases"] == []
    alias = unique("corp")
    iam.create_account_alias(AccountAlias=alias)
    listed = iam.list_account_aliases()
    assert listed["AccountAliases"] == [alias] and listed["IsTruncated"] is False
    iam.create_account_alias(AccountAlias=alias)  # the same alias again: nothing changes
    assert iam.list_account_aliases()["AccountAliases"] == [alias]
    iam.delete_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_a_new_alias_replaces_the_old_one(account, unique):
    _, iam, _ = account
    first, second = unique("one"), unique("two")
    iam.create_account_alias(AccountAlias=first)
    iam.create_account_alias(AccountAlias=second)
    assert iam.list_account_aliases()["AccountAliases"] == [second]


def test_alias_is_unique_across_accounts(server, account, new_account, unique):
    _, iam, _ = account
    alias = unique("taken")
    iam.create_account_alias(AccountAlias=alias)
    other = new_account()
    other_iam = client(server, "iam", other["aws_access_key_id"], other["aws_secret_access_key"])
    with pytest.raises(ClientError) as excinfo:
        other_iam.create_account_alias(AccountAlias=alias)
    assert error_of(excinfo) == ("EntityAlreadyExists", f"The account alias {alias} already exists.", 409)
    iam.delete_account_alias(AccountAlias=alias)
    other_iam.create_account_alias(AccountAlias=alias)  # free again


def test_alias_errors(account):
    _, iam, _ = account
    with pytest.raises(ClientError) as excinfo:
        iam.delete_account_alias(AccountAlias="not-mine")
    assert error_of(excinfo) == ("NoSuchEntity", "The account alias not-mine cannot be found.", 404)
    for bad in ("Upper-Case", "double--dash", "-leading", "trailing-"):
        with pytest.raises(ClientError) as excinfo:
            iam.create_account_alias(AccountAlias=bad)
        code, message, status = error_of(excinfo)
        assert (code, status) == ("ValidationError", 400) and "accountAlias" in message


def test_alias_through_the_aws_cli(server, account, unique):
    _, _, (key_id, secret) = account
    alias = unique("cli")
    aws_json(server, "iam", "create-account-alias", "--account-alias", alias, key_id=key_id, secret=secret)
    listed = aws_json(server, "iam", "list-account-aliases", key_id=key_id, secret=secret)
    assert listed["AccountAliases"] == [alias]
    aws_json(server, "iam", "delete-account-alias", "--account-alias", alias, key_id=key_id, secret=secret)
    assert aws_json(server, "iam", "list-account-aliases", key_id=key_id, secret=secret)["AccountAliases"] == []


# -------------------------------------------------------------------------------------------- summary


def test_summary_of_a_fresh_account(account):
    _, iam, _ = account
    summary = iam.get_account_summary()["SummaryMap"]
    assert set(summary) == SUMMARY_KEYS
    assert {key: summary[key] for key in QUOTAS} == QUOTAS
    counts = {key: value for key, value in summary.items() if key not in QUOTAS}
    assert counts == {
        "Users": 0, "Groups": 0, "Roles": 0, "Policies": 0, "PolicyVersionsInUse": 0, "InstanceProfiles": 0,
        "ServerCertificates": 0, "Providers": 0, "MFADevices": 0, "MFADevicesInUse": 0, "AccountMFAEnabled": 0,
        "AccountAccessKeysPresent": 1, "AccountPasswordPresent": 0, "AccountSigningCertificatesPresent": 0}


def test_summary_counts(account, unique):
    _, iam, _ = account
    users = [unique("u") for _ in range(2)]
    for name in users:
        iam.create_user(UserName=name)
    group = unique("g")
    iam.create_group(GroupName=group)
    arn = iam.create_policy(PolicyName=unique("p"), PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=users[0], PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_user_policy(UserName=users[1], PolicyArn=S3_FULL)
    iam.create_login_profile(UserName=users[0], Password="Corr3ct-Horse!")  # a user's password, not the root's
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["Users"], summary["Groups"], summary["Policies"], summary["PolicyVersionsInUse"]) == (2, 1, 1, 3)
    assert summary["AccountPasswordPresent"] == 0


# ------------------------------------------------------------------------------ authorization details


def _populate(iam, unique) -> dict:
    names = {"user": unique("u-a"), "bare": unique("u-b"), "group": unique("g"), "policy": unique("p")}
    iam.create_user(UserName=names["user"], Path="/team/", Tags=[{"Key": "k1", "Value": "v1"}])
    iam.create_user(UserName=names["bare"])
    iam.create_group(GroupName=names["group"])
    iam.add_user_to_group(GroupName=names["group"], UserName=names["user"])
    policy = iam.create_policy(PolicyName=names["policy"], PolicyDocument=json.dumps(DOC),
                               Description="described")["Policy"]
    iam.create_policy_version(PolicyArn=policy["Arn"], PolicyDocument=json.dumps(DOC2), SetAsDefault=True)
    names["policy_arn"], names["policy_id"] = policy["Arn"], policy["PolicyId"]
    iam.put_user_policy(UserName=names["user"], PolicyName="inline-u", PolicyDocument=json.dumps(DOC))
    iam.put_group_policy(GroupName=names["group"], PolicyName="inline-g", PolicyDocument=json.dumps(DOC2))
    iam.attach_user_policy(UserName=names["user"], PolicyArn=policy["Arn"])
    iam.attach_group_policy(GroupName=names["group"], PolicyArn=policy["Arn"])
    iam.attach_user_policy(UserName=names["user"], PolicyArn=S3_FULL)
    iam.put_user_permissions_boundary(UserName=names["user"], PermissionsBoundary=policy["Arn"])
    return names


def test_authorization_details(account, unique):
    account_id, iam, _ = account
    n = _populate(iam, unique)
    details = iam.get_account_authorization_details()
    assert details["IsTruncated"] is False and "Marker" not in details
    users = {u["UserName"]: u for u in details["UserDetailList"]}
    assert set(users) == {n["user"], n["bare"]}
    user = users[n["user"]]
    assert user["Path"] == "/team/" and user["Arn"] == f"arn:aws:iam::{account_id}:user/team/{n['user']}"
    assert user["GroupList"] == [n["group"]]
    assert user["UserPolicyList"] == [{"PolicyName": "inline-u", "PolicyDocument": DOC}]
    assert user["AttachedManagedPolicies"] == [
        {"PolicyName": n["policy"], "PolicyArn": n["policy_arn"]},
        {"PolicyName": "AmazonS3FullAccess", "PolicyArn": S3_FULL}]
    assert user["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy",
                                           "PermissionsBoundaryArn": n["policy_arn"]}
    assert user["Tags"] == [{"Key": "k1", "Value": "v1"}]
    bare = users[n["bare"]]
    assert set(bare) == {"Path", "UserName", "UserId", "Arn", "CreateDate", "GroupList", "AttachedManagedPolicies",
                         "Tags"}
    assert bare["GroupList"] == [] and bare["Tags"] == [] and bare["AttachedManagedPolicies"] == []
    (group,) = details["GroupDetailList"]
    assert group["GroupName"] == n["group"]
    assert group["GroupPolicyList"] == [{"PolicyName": "inline-g", "PolicyDocument": DOC2}]
    assert group["AttachedManagedPolicies"] == [{"PolicyName": n["policy"], "PolicyArn": n["policy_arn"]}]
    assert details["RoleDetailList"] == []
    local, aws = details["Policies"]
    assert local["Arn"] == n["policy_arn"] and local["PolicyId"] == n["policy_id"]
    assert (local["AttachmentCount"], local["PermissionsBoundaryUsageCount"], local["IsAttachable"]) == (2, 1, True)
    assert local["DefaultVersionId"] == "v2" and local["Description"] == "described"
    assert [(v["VersionId"], v["IsDefaultVersion"], v["Document"]) for v in local["PolicyVersionList"]] == [
        ("v2", True, DOC2), ("v1", False, DOC)]
    assert aws["Arn"] == S3_FULL and aws["PolicyName"] == "AmazonS3FullAccess"
    assert aws["AttachmentCount"] == 1 and aws["DefaultVersionId"] == "v2" and "Description" not in aws
    versions = aws["PolicyVersionList"]
    assert [v["VersionId"] for v in versions] == ["v2", "v1"] and versions[0]["IsDefaultVersion"] is True
    assert isinstance(versions[0]["Document"], dict) and versions[0]["Document"]["Version"] == "2012-10-17"


def test_authorization_details_filters(account, unique):
    _, iam, _ = account
    n = _populate(iam, unique)

    def lists(*filters):
        got = iam.get_account_authorization_details(Filter=list(filters))
        return {key: len(got[key]) for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")}

    assert lists("User") == {"UserDetailList": 2, "GroupDetailList": 0, "RoleDetailList": 0, "Policies": 0}
    assert lists("Group") == {"UserDetailList": 0, "GroupDetailList": 1, "RoleDetailList": 0, "Policies": 0}
    assert lists("Role") == {"UserDetailList": 0, "GroupDetailList": 0, "RoleDetailList": 0, "Policies": 0}
    assert lists("LocalManagedPolicy", "Group") == {"UserDetailList": 0, "GroupDetailList": 1,
                                                    "RoleDetailList": 0, "Policies": 1}
    aws_only = iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])["Policies"]
    assert [p["Arn"] for p in aws_only] == [S3_FULL]
    local_only = iam.get_account_authorization_details(Filter=["LocalManagedPolicy"])["Policies"]
    assert [p["Arn"] for p in local_only] == [n["policy_arn"]]


def test_authorization_details_pages_across_lists(account, unique):
    _, iam, _ = account
    _populate(iam, unique)
    whole = iam.get_account_authorization_details()
    first = iam.get_account_authorization_details(MaxItems=1)
    assert first["IsTruncated"] is True and len(first["UserDetailList"]) == 1
    third = iam.get_account_authorization_details(MaxItems=2, Marker=first["Marker"])
    assert len(third["UserDetailList"]) == 1 and len(third["GroupDetailList"]) == 1 and third["IsTruncated"] is True
    paged = iam.get_paginator("get_account_authorization_details").paginate(
        PaginationConfig={"PageSize": 1}).build_full_result()
    for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
        assert paged[key] == whole[key]
    with pytest.raises(ClientError) as excinfo:
        iam.get_account_authorization_details(Marker="not-a-marker")
    assert error_of(excinfo)[0] == "ValidationError"


def test_authorization_details_through_the_aws_cli(server, account, unique):
    _, iam, (key_id, secret) = account
    n = _populate(iam, unique)
    details = aws_json(server, "iam", "get-account-authorization-details", key_id=key_id, secret=secret)
    user = next(u for u in details["UserDetailList"] if u["UserName"] == n["user"])
    assert user["UserPolicyList"][0]["PolicyDocument"] == DOC  # printed as JSON, not as a string
    local = next(p for p in details["Policies"] if p["Arn"] == n["policy_arn"])
    assert local["PolicyVersionList"][0]["Document"] == DOC2
    done = run_aws(server, "iam", "get-account-authorization-details", "--filter", "User", "--max-items", "1",
                   key_id=key_id, secret=secret)
    assert done.returncode == 0, done.stderr
    page = json.loads(done.stdout)
    assert len(page["UserDetailList"]) == 1 and "NextToken" in page


def test_roles_in_authorization_details_and_summary(server, new_account):
    created = new_account()
    iam_b = client(server, "iam", created["aws_access_key_id"], created["aws_secret_access_key"])
    trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
             '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}')
    iam_b.create_role(RoleName="app", AssumeRolePolicyDocument=trust, Tags=[{"Key": "tier", "Value": "web"}])
    iam_b.put_role_policy(RoleName="app", PolicyName="inline", PolicyDocument=trust.replace(
        '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"', '"Action":"s3:*","Resource":"*"'))
    iam_b.attach_role_policy(RoleName="app", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam_b.create_instance_profile(InstanceProfileName="app-profile")
    iam_b.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")
    details = iam_b.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    assert len(details) == 1
    role = details[0]
    assert role["RoleName"] == "app" and role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"}
    assert [p["PolicyName"] for p in role["RolePolicyList"]] == ["inline"]
    assert role["AttachedManagedPolicies"] == [{"PolicyName": "ReadOnlyAccess",
                                                "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]
    assert [p["InstanceProfileName"] for p in role["InstanceProfileList"]] == ["app-profile"]
    assert role["Tags"] == [{"Key": "tier", "Value": "web"}]
    assert "MaxSessionDuration" not in role
    summary = iam_b.get_account_summary()["SummaryMap"]
    assert summary["Roles"] == 1 and summary["InstanceProfiles"] == 1
