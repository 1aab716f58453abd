"""What narrows a caller's permissions holds at the gateway as at IAM: session policies of an assumed
role, permissions boundaries; the audit trail records forwarded and refused calls alike.

Sources: IAM User Guide, "Policy evaluation logic" (session policies and boundaries intersect the identity
policies) and "Troubleshoot access denied error messages" (the policy type named in the message)."""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

from tests.api.conftest import client, error_of
from tests.api.gateway.conftest import ACCOUNT_ID, allow, as_user, gw_client


def test_a_session_policy_narrows_an_assumed_role(gateway, moto, principal, unique):
    bucket, role = unique("sess"), unique("role")
    gw_client(gateway, "s3").create_bucket(Bucket=bucket)
    iam = client(gateway, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}}]}
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="s3", PolicyDocument=json.dumps(allow(("s3:*", "*"))))
    user = principal(allow(("sts:AssumeRole", role_arn)))
    credentials = as_user(gateway, user, "sts").assume_role(
        RoleArn=role_arn, RoleSessionName="narrow",
        Policy=json.dumps(allow(("s3:GetObject", "*"), ("s3:ListBucket", "*"))))["Credentials"]
    s3 = gw_client(gateway, "s3", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                   credentials["SessionToken"])
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="k", Body=b"no")
    code, message, status = error_of(refused)
    assert (code, status) == ("AccessDenied", 403)
    assert message == (f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/narrow is not authorized to perform: "
                       f's3:PutObject on resource: "arn:aws:s3:::{bucket}/k" because no session policy allows the '
                       "s3:PutObject action")
    assert "Contents" not in moto.client("s3").list_objects_v2(Bucket=bucket)


def test_a_boundary_caps_an_s3_admin(gateway, moto, principal, unique):
    bucket = unique("bnd")
    gw_client(gateway, "s3").create_bucket(Bucket=bucket)
    boundary = client(gateway, "iam").create_policy(
        PolicyName=unique("cap"), PolicyDocument=json.dumps(allow(("s3:GetObject", "*"), ("s3:ListBucket", "*"))),
    )["Policy"]["Arn"]
    admin = principal(allow(("s3:*", "*")), boundary=boundary)
    s3 = as_user(gateway, admin, "s3")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.delete_bucket(Bucket=bucket)
    code, message, _ = error_of(refused)
    assert code == "AccessDenied"
    assert message.endswith("because no permissions boundary allows the s3:DeleteBucket action")
    assert bucket in [b["Name"] for b in moto.client("s3").list_buckets()["Buckets"]]


def test_a_revoked_permission_stops_at_once(gateway, principal, unique):
    """The gateway's decisions use the same cached policy sets as IAM's, dropped on any change."""
    bucket = unique("rev")
    gw_client(gateway, "s3").create_bucket(Bucket=bucket)
    user = principal(allow(("s3:ListBucket", "*")))
    s3 = as_user(gateway, user, "s3")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    client(gateway, "iam").delete_user_policy(UserName=user["name"], PolicyName="p")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.list_objects_v2(Bucket=bucket)
    assert error_of(refused)[0] == "AccessDenied"


def test_a_deactivated_or_deleted_key_and_a_re_created_user_hold_at_once(gateway, principal, unique):
    """The gateway reads the caller's key and its cache epoch in one statement (gateway/decision.py): a key
    made inactive or deleted is refused on its next forward, and a user deleted and re-created under its
    name is a new principal, with its new key and only its new policies."""
    bucket = unique("keys")
    gw_client(gateway, "s3").create_bucket(Bucket=bucket)
    iam = client(gateway, "iam")
    user = principal(allow(("s3:ListBucket", "*")))
    s3 = as_user(gateway, user, "s3")
    for _ in range(2):  # warm: the caller's policies cached, the key read on every request
        assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    iam.update_access_key(UserName=user["name"], AccessKeyId=user["key_id"], Status="Inactive")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.list_objects_v2(Bucket=bucket)
    assert error_of(refused)[0] == "InvalidAccessKeyId"
    iam.update_access_key(UserName=user["name"], AccessKeyId=user["key_id"], Status="Active")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    iam.delete_access_key(UserName=user["name"], AccessKeyId=user["key_id"])
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.list_objects_v2(Bucket=bucket)
    assert error_of(refused)[0] == "InvalidAccessKeyId"
    iam.delete_user_policy(UserName=user["name"], PolicyName="p")
    iam.delete_user(UserName=user["name"])
    iam.create_user(UserName=user["name"])  # the same name and ARN, a new principal without policies
    key = iam.create_access_key(UserName=user["name"])["AccessKey"]
    again = gw_client(gateway, "s3", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        again.list_objects_v2(Bucket=bucket)
    code, message, _ = error_of(refused)
    assert code == "AccessDenied" and "because no identity-based policy allows the s3:ListBucket action" in message
    iam.put_user_policy(UserName=user["name"], PolicyName="p", PolicyDocument=json.dumps(allow(("s3:ListBucket", "*"))))
    assert again.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_forwarded_and_refused_calls_are_in_the_audit_trail(gateway, principal, unique):
    table = unique("aud")
    user = principal(allow(("dynamodb:ListTables", "*")))
    dynamodb = as_user(gateway, user, "dynamodb")
    dynamodb.list_tables()
    with pytest.raises(botocore.exceptions.ClientError):
        dynamodb.describe_table(TableName=table)
    trail = client(gateway, "cloudtrail")
    events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": user["name"]}],
                                 MaxResults=50)["Events"]
    records = {event["EventName"]: json.loads(event["CloudTrailEvent"]) for event in events}
    assert records["ListTables"]["eventSource"] == "dynamodb.amazonaws.com"
    assert records["ListTables"]["readOnly"] is True
    assert "errorCode" not in records["ListTables"]
    refused = records["DescribeTable"]
    assert refused["errorCode"] == "AccessDenied"
    assert refused["errorMessage"].startswith(
        f"User: {user['arn']} is not authorized to perform: dynamodb:DescribeTable")
    assert refused["requestParameters"] == {"tableName": table}
    assert user["secret"] not in json.dumps(records)


def test_dynamodb_leading_keys_bound_a_user_to_its_own_items(gateway, moto, principal, unique):
    """DynamoDB Developer Guide, "Using IAM policy conditions for fine-grained access control": a policy
    allowing items whose partition key is the caller's user name (dynamodb:LeadingKeys)."""
    table = unique("lead")
    gw_client(gateway, "dynamodb").create_table(
        TableName=table, KeySchema=[{"AttributeName": "owner", "KeyType": "HASH"},
                                    {"AttributeName": "item", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "owner", "AttributeType": "S"},
                              {"AttributeName": "item", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/{table}"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": arn,
        "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}}}]}
    user = principal(policy)
    dynamodb = as_user(gateway, user, "dynamodb")
    dynamodb.put_item(TableName=table, Item={"owner": {"S": user["name"]}, "item": {"S": "1"}})
    key = {"owner": {"S": user["name"]}, "item": {"S": "1"}}
    assert moto.client("dynamodb").get_item(TableName=table, Key=key)["Item"] == key
    assert dynamodb.get_item(TableName=table, Key=key)["Item"] == key
    other = {"owner": {"S": "someone-else"}, "item": {"S": "1"}}
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        dynamodb.put_item(TableName=table, Item=other)
    code, message, _ = error_of(refused)
    assert code == "AccessDeniedException"
    assert message == (f"User: {user['arn']} is not authorized to perform: dynamodb:PutItem on resource: {arn} "
                       "because no identity-based policy allows the dynamodb:PutItem action")
    assert "Item" not in moto.client("dynamodb").get_item(TableName=table, Key=other)
