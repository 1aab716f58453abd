"""Service last accessed reports and SetSecurityTokenServicePreferences."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, ROOT_KEY_ID, aws_json, client, error_of


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions) -> dict:
    return {"Effect": "Allow", "Action": list(actions), "Resource": "*"}


def user_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"


def report(iam, arn: str, **args) -> dict:
    job_id = iam.generate_service_last_accessed_details(Arn=arn, **args)["JobId"]
    assert len(job_id) == 36
    answer = iam.get_service_last_accessed_details(JobId=job_id)
    assert answer["JobStatus"] == "COMPLETED" and answer["IsTruncated"] is False
    assert answer["JobCompletionDate"] >= answer["JobCreationDate"]
    answer["JobId"] = job_id
    answer["by_namespace"] = {entry["ServiceNamespace"]: entry for entry in answer["ServicesLastAccessed"]}
    return answer


def test_user_report_shows_iam_and_sts_use(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(
        allow("iam:List*", "s3:GetObject", "sts:GetCallerIdentity"), {"Effect": "Deny", "Action": "ec2:*",
                                                                      "Resource": "*"}))
    # One access key remembers only its latest use: STS with a second key, IAM with the first.
    second = iam.create_access_key(UserName=name)["AccessKey"]
    client(server, "sts", second["AccessKeyId"], second["SecretAccessKey"], region="us-west-2").get_caller_identity()
    client(server, "iam", key_id, secret).list_users(MaxItems=1)

    answer = report(iam, user_arn(name))
    assert answer["JobType"] == "SERVICE_LEVEL"
    assert [entry["ServiceNamespace"] for entry in answer["ServicesLastAccessed"]] == ["iam", "s3", "sts"]
    used_iam, unused_s3, used_sts = answer["ServicesLastAccessed"]
    assert used_iam["ServiceName"] == "AWS Identity and Access Management"
    assert used_iam["LastAuthenticatedEntity"] == user_arn(name)
    assert used_iam["LastAuthenticatedRegion"] == "us-east-1" and used_iam["TotalAuthenticatedEntities"] == 1
    assert used_iam["LastAuthenticated"] >= answer["JobCreationDate"].replace(microsecond=0) - timedelta(minutes=5)
    assert used_sts["LastAuthenticatedRegion"] == "us-west-2" and used_sts["LastAuthenticatedEntity"] == user_arn(name)
    assert unused_s3 == {"ServiceName": "Amazon S3", "ServiceNamespace": "s3", "TotalAuthenticatedEntities": 0}
    assert "TrackedActionsLastAccessed" not in used_iam

    entities = iam.get_service_last_accessed_details_with_entities(JobId=answer["JobId"], ServiceNamespace="iam")
    assert entities["JobStatus"] == "COMPLETED" and entities["IsTruncated"] is False
    (only,) = entities["EntityDetailsList"]
    assert only["EntityInfo"]["Arn"] == user_arn(name) and only["EntityInfo"]["Type"] == "USER"
    assert only["EntityInfo"]["Name"] == name and only["EntityInfo"]["Path"] == "/"
    assert only["LastAuthenticated"] == used_iam["LastAuthenticated"]
    s3_entities = iam.get_service_last_accessed_details_with_entities(JobId=answer["JobId"], ServiceNamespace="s3")
    assert [set(detail) for detail in s3_entities["EntityDetailsList"]] == [{"EntityInfo"}]

    action_level = report(iam, user_arn(name), Granularity="ACTION_LEVEL")
    assert action_level["JobType"] == "ACTION_LEVEL"
    assert action_level["by_namespace"]["iam"]["TrackedActionsLastAccessed"] == []
    assert "TrackedActionsLastAccessed" not in action_level["by_namespace"]["sts"]


def test_role_report_counts_assume_role_as_sts(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    role = unique("role")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": user_arn(name)}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=doc(allow("ec2:Describe*", "sts:*")))
    before = report(iam, arn)
    assert before["by_namespace"]["sts"]["TotalAuthenticatedEntities"] == 0
    client(server, "sts", key_id, secret, region="eu-west-1").assume_role(RoleArn=arn, RoleSessionName="report")
    after = report(iam, arn)
    assert sorted(after["by_namespace"]) == ["ec2", "sts"]
    assert after["by_namespace"]["sts"]["LastAuthenticatedEntity"] == arn
    assert after["by_namespace"]["sts"]["LastAuthenticatedRegion"] == iam.get_role(RoleName=role)["Role"][
        "RoleLastUsed"]["Region"]
    assert "LastAuthenticated" not in after["by_namespace"]["ec2"]


def test_one_key_used_for_sts_then_iam_shows_both(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(allow("iam:List*", "sts:*")))
    client(server, "sts", key_id, secret, region="eu-central-1").get_caller_identity()
    client(server, "iam", key_id, secret).list_users(MaxItems=1)

    answer = report(iam, user_arn(name))
    used_iam, used_sts = answer["by_namespace"]["iam"], answer["by_namespace"]["sts"]
    assert used_sts["LastAuthenticatedEntity"] == used_iam["LastAuthenticatedEntity"] == user_arn(name)
    assert used_sts["LastAuthenticatedRegion"] == "eu-central-1" and used_iam["LastAuthenticatedRegion"] == "us-east-1"
    assert used_sts["TotalAuthenticatedEntities"] == used_iam["TotalAuthenticatedEntities"] == 1
    assert used_sts["LastAuthenticated"] <= used_iam["LastAuthenticated"]
    # The key itself still reports only its latest use.
    last = iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
    assert last["ServiceName"] == "iam" and last["Region"] == "us-east-1"


def test_session_credentials_count_for_their_user(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(allow("iam:Get*", "sts:*")))
    token = client(server, "sts", key_id, secret, region="ap-south-1").get_session_token()["Credentials"]
    session = client(server, "iam", token["AccessKeyId"], token["SecretAccessKey"], token["SessionToken"],
                     region="eu-north-1")
    session.get_user(UserName=name)

    answer = report(iam, user_arn(name))
    assert answer["by_namespace"]["iam"]["LastAuthenticatedEntity"] == user_arn(name)
    assert answer["by_namespace"]["iam"]["LastAuthenticatedRegion"] == "eu-north-1"
    assert answer["by_namespace"]["sts"]["LastAuthenticatedRegion"] == "ap-south-1"
    # Temporary credentials have no access key of their own: the long-term key's last use is unchanged.
    last = iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
    assert last["ServiceName"] == "sts" and last["Region"] == "ap-south-1"


def test_role_sessions_count_for_the_role(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    role = unique("role")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": user_arn(name)}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=doc(allow("iam:Get*", "sts:*", "s3:*")))
    credentials = client(server, "sts", key_id, secret, region="eu-west-1").assume_role(
        RoleArn=arn, RoleSessionName="used")["Credentials"]
    session = client(server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                     credentials["SessionToken"], region="ca-central-1")
    session.get_role(RoleName=role)

    answer = report(iam, arn)
    assert sorted(answer["by_namespace"]) == ["iam", "s3", "sts"]
    used_iam, used_sts = answer["by_namespace"]["iam"], answer["by_namespace"]["sts"]
    assert used_iam["LastAuthenticatedEntity"] == used_sts["LastAuthenticatedEntity"] == arn
    assert used_iam["LastAuthenticatedRegion"] == "ca-central-1" and used_iam["TotalAuthenticatedEntities"] == 1
    assert used_sts["LastAuthenticatedRegion"] == iam.get_role(RoleName=role)["Role"]["RoleLastUsed"]["Region"]
    assert "LastAuthenticated" not in answer["by_namespace"]["s3"]
    entities = iam.get_service_last_accessed_details_with_entities(JobId=answer["JobId"], ServiceNamespace="iam")
    (only,) = entities["EntityDetailsList"]
    assert only["EntityInfo"]["Type"] == "ROLE" and only["EntityInfo"]["Arn"] == arn
    assert only["LastAuthenticated"] == used_iam["LastAuthenticated"]
    # The user who assumed the role used STS, not IAM.
    user_report = report(iam, user_arn(name))
    assert "iam" not in user_report["by_namespace"]


def test_total_counts_the_entities_that_used_a_service(server, iam, new_user, unique):
    policy_arn = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=doc(allow("iam:Get*")))["Policy"]["Arn"]
    first, first_key, first_secret = new_user()
    second, second_key, second_secret = new_user()
    idle, _, _ = new_user()
    for name in (first, second, idle):
        iam.attach_user_policy(UserName=name, PolicyArn=policy_arn)
    client(server, "iam", first_key, first_secret).get_user()
    client(server, "iam", second_key, second_secret, region="us-west-1").get_user()
    client(server, "iam", second_key, second_secret, region="us-west-2").get_user()

    used = report(iam, policy_arn)["by_namespace"]["iam"]
    assert used["TotalAuthenticatedEntities"] == 2
    assert used["LastAuthenticatedEntity"] == user_arn(second) and used["LastAuthenticatedRegion"] == "us-west-2"


def test_root_use_is_recorded_for_the_account(server, iam):
    client(server, "sts", region="sa-east-1").get_caller_identity()
    iam.get_access_key_last_used(AccessKeyId=ROOT_KEY_ID)  # flushes
    url = server.database_url or f"sqlite:///{Path(server.data_dir) / 'iamd.db'}"
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(sqlalchemy.text(
            "SELECT service, principal_kind, account_id, region FROM principal_last_used WHERE principal_id = :id"),
            {"id": ACCOUNT_ID}).all()
    engine.dispose()
    found = {service: (kind, account, region) for service, kind, account, region in rows}
    assert found["sts"] == ("root", ACCOUNT_ID, "sa-east-1") and found["iam"] == ("root", ACCOUNT_ID, "us-east-1")


def test_policy_report_lists_the_entities_that_use_it(server, iam, new_user, unique):
    policy_arn = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=doc(allow("iam:List*")))["Policy"]["Arn"]
    direct, key_id, secret = new_user()
    member, _, _ = new_user()
    group, role = unique("group"), unique("role")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=member)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    iam.attach_user_policy(UserName=direct, PolicyArn=policy_arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=policy_arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=policy_arn)
    client(server, "iam", key_id, secret).list_roles(MaxItems=1)

    answer = report(iam, policy_arn)
    assert [entry["ServiceNamespace"] for entry in answer["ServicesLastAccessed"]] == ["iam"]
    assert answer["by_namespace"]["iam"]["LastAuthenticatedEntity"] == user_arn(direct)
    assert answer["by_namespace"]["iam"]["TotalAuthenticatedEntities"] == 1

    pages, marker = [], None
    while True:
        args = {"Marker": marker} if marker else {}
        page = iam.get_service_last_accessed_details_with_entities(
            JobId=answer["JobId"], ServiceNamespace="iam", MaxItems=1, **args)
        pages.append(page["EntityDetailsList"])
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert [len(entries) for entries in pages] == [1, 1, 1]
    listed = [entries[0] for entries in pages]
    assert listed[0]["EntityInfo"]["Name"] == direct and "LastAuthenticated" in listed[0]
    assert {(detail["EntityInfo"]["Name"], detail["EntityInfo"]["Type"]) for detail in listed[1:]} == {
        (member, "USER"), (role, "ROLE")}
    assert all("LastAuthenticated" not in detail for detail in listed[1:])
    assert all(detail["EntityInfo"]["Id"] for detail in listed)


def test_group_report_pages_through_every_service(server, iam, new_user, unique):
    group = unique("group")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="all", PolicyDocument=doc(allow("*")))
    member, key_id, secret = new_user()
    iam.add_user_to_group(GroupName=group, UserName=member)
    client(server, "iam", key_id, secret).get_user()
    job_id = iam.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{ACCOUNT_ID}:group/{group}")["JobId"]
    namespaces, marker = [], None
    while True:
        args = {"Marker": marker} if marker else {}
        page = iam.get_service_last_accessed_details(JobId=job_id, MaxItems=200, **args)
        namespaces += [entry["ServiceNamespace"] for entry in page["ServicesLastAccessed"]]
        for entry in page["ServicesLastAccessed"]:
            if entry["ServiceNamespace"] == "iam":
                assert entry["LastAuthenticatedEntity"] == user_arn(member)
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert len(namespaces) > 200 and namespaces == sorted(set(namespaces))
    assert {"iam", "s3", "sts", "ec2"} <= set(namespaces)


def test_errors(server, iam, unique):
    unknown = str(uuid.uuid4())
    with pytest.raises(ClientError) as excinfo:
        iam.get_service_last_accessed_details(JobId=unknown)
    assert error_of(excinfo)[0::2] == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as excinfo:
        iam.get_service_last_accessed_details_with_entities(JobId=unknown, ServiceNamespace="iam")
    assert error_of(excinfo)[0::2] == ("NoSuchEntity", 404)
    nobody = unique("nobody")
    with pytest.raises(ClientError) as excinfo:
        iam.generate_service_last_accessed_details(Arn=user_arn(nobody))
    assert error_of(excinfo) == ("NoSuchEntity", f"The user with name {nobody} cannot be found.", 404)


def test_token_version_preference_is_per_account(server, iam, new_account):
    fresh = new_account()
    own = client(server, "iam", fresh["aws_access_key_id"], fresh["aws_secret_access_key"])
    assert own.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    own.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert own.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    own.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
    assert own.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1


def test_through_the_aws_cli(server, iam, new_user):
    name, _, _ = new_user()
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(allow("s3:ListBucket")))
    job = aws_json(server, "iam", "generate-service-last-accessed-details", "--arn", user_arn(name),
                   "--granularity", "ACTION_LEVEL")
    answer = aws_json(server, "iam", "get-service-last-accessed-details", "--job-id", job["JobId"])
    assert answer["JobStatus"] == "COMPLETED" and answer["JobType"] == "ACTION_LEVEL"
    assert answer["ServicesLastAccessed"] == [{"ServiceName": "Amazon S3", "ServiceNamespace": "s3",
                                               "TotalAuthenticatedEntities": 0, "TrackedActionsLastAccessed": []}]
