"""Quotas hold under concurrent writes: 20 clients at once (retries off) never get past a quota.

Limits: "IAM and AWS STS quotas", IAM User Guide
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). Messages and the 409
status: the team's aws-recorded-errors.md where recorded (AccessKeysPerUser, CertificatesPerUser,
VersionsPerPolicy, tags), else AWS's "Cannot exceed quota for <Name>: <limit>" as its LimitExceeded
answers word it (PoliciesPerUser/Group/Role, RolesPerAccount, InstanceProfilesPerAccount ...).
"""

from __future__ import annotations

import json

import pytest

from tests.api.concurrency.burst import burst, tally
from tests.api.conftest import client
from tests.api.test_server_certificates import upload
from tests.api.test_signing_certificates import certificate
from tests.api.test_ssh_keys import rsa_key, ssh_body

N = 20


def limit(name: str, value: int) -> tuple:
    return ("LimitExceeded", f"Cannot exceed quota for {name}: {value}", 409)


@pytest.fixture
def user(iam, unique):
    name = unique("quota")
    iam.create_user(UserName=name)
    return name


def test_access_keys_per_user(server, iam, user):
    outcomes = burst(server, [lambda c: c.create_access_key(UserName=user)] * N)
    assert tally(outcomes) == {("ok",): 2, limit("AccessKeysPerUser", 2): N - 2}
    assert len(iam.list_access_keys(UserName=user)["AccessKeyMetadata"]) == 2


def aws_policy_arns(iam, count: int) -> list[str]:
    policies = iam.list_policies(Scope="AWS", MaxItems=count)["Policies"]
    assert len(policies) == count
    return [policy["Arn"] for policy in policies]


TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.mark.parametrize("kind", ["User", "Group", "Role"])
def test_managed_policies_attached_per_entity(server, iam, unique, kind):
    name = unique(kind.lower())
    if kind == "User":
        iam.create_user(UserName=name)
    elif kind == "Group":
        iam.create_group(GroupName=name)
    else:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    calls = [lambda c, arn=arn: getattr(c, f"attach_{kind.lower()}_policy")(**{f"{kind}Name": name, "PolicyArn": arn})
             for arn in aws_policy_arns(iam, N)]
    outcomes = burst(server, calls)
    assert tally(outcomes) == {("ok",): 10, limit(f"PoliciesPer{kind}", 10): N - 10}
    listed = getattr(iam, f"list_attached_{kind.lower()}_policies")(**{f"{kind}Name": name})["AttachedPolicies"]
    assert len(listed) == 10


def test_groups_per_user(server, iam, user, unique):
    groups = [unique("g") for _ in range(N)]
    for group in groups:
        iam.create_group(GroupName=group)
    outcomes = burst(server, [lambda c, g=g: c.add_user_to_group(UserName=user, GroupName=g)
                                       for g in groups])
    assert tally(outcomes) == {("ok",): 10, limit("GroupsPerUser", 10): N - 10}
    assert len(iam.list_groups_for_user(UserName=user)["Groups"]) == 10


def test_service_specific_credentials_per_user_and_service(server, iam, user):
    outcomes = burst(server, [lambda c: c.create_service_specific_credential(
        UserName=user, ServiceName="codecommit.amazonaws.com")] * N)
    assert tally(outcomes) == {("ok",): 2, limit("ServiceSpecificCredentialsPerUserPerService", 2): N - 2}


def test_signing_certificates_per_user(server, iam, user):
    bodies = [certificate(100 + index) for index in range(8)]
    outcomes = burst(server, [lambda c, b=b: c.upload_signing_certificate(UserName=user, CertificateBody=b)
                                       for b in bodies])
    assert tally(outcomes) == {("ok",): 2, limit("CertificatesPerUser", 2): 6}


def test_ssh_public_keys_per_user(server, iam, user):
    bodies = [ssh_body(rsa_key(index)) for index in range(8)]
    outcomes = burst(server, [lambda c, b=b: c.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=b)
                                       for b in bodies])
    assert tally(outcomes) == {("ok",): 5, limit("PublicKeysPerUser", 5): 3}


def test_versions_per_policy(server, iam, unique):
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                                  "Resource": "*"}]})
    arn = iam.create_policy(PolicyName=unique("versions"), PolicyDocument=document)["Policy"]["Arn"]
    outcomes = burst(server, [lambda c: c.create_policy_version(PolicyArn=arn, PolicyDocument=document)] * N)
    full = ("LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, "
            "you must delete an existing version.", 409)
    assert tally(outcomes) == {("ok",): 4, full: N - 4}
    versions = sorted(v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"])
    assert versions == ["v1", "v2", "v3", "v4", "v5"], "each version got its own number"


def test_tags_per_user(server, iam, user):
    iam.tag_user(UserName=user, Tags=[{"Key": f"k{index}", "Value": "v"} for index in range(45)])
    outcomes = burst(server, [lambda c, i=i: c.tag_user(UserName=user, Tags=[{"Key": f"new{i}", "Value": "v"}])
                                       for i in range(10)])
    full = ("LimitExceeded", "The number of tags has reached the maximum limit.", 409)
    assert tally(outcomes) == {("ok",): 5, full: 5}
    assert len(iam.list_user_tags(UserName=user)["Tags"]) == 50


def test_an_account_wide_quota(server, new_account):
    """ServerCertificatesPerAccount (20), in an account of its own: 17 uploaded, then 10 at once."""
    account = new_account()
    credentials = {"key_id": account["aws_access_key_id"], "secret": account["aws_secret_access_key"]}
    own = client(server, "iam", **credentials)
    for index in range(17):
        upload(own, f"before-{index}", 9)
    outcomes = burst(server, [lambda c, i=i: upload(c, f"race-{i}", 9) for i in range(10)], **credentials)
    assert tally(outcomes) == {("ok",): 3, limit("ServerCertificatesPerAccount", 20): 7}
    assert len(own.list_server_certificates()["ServerCertificateMetadataList"]) == 20
