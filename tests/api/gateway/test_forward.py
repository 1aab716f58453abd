"""The gateway with boto3: allowed calls reach moto, refused ones are answered in the service's own shape
with AWS's wording and never reach it; IAM, STS and the operations endpoints keep working beside it.

Messages: "Troubleshoot access denied error messages" (IAM User Guide) and "Access denied message
examples" (Amazon S3 User Guide: the resource in quotes); shapes: "Error responses" (Amazon S3 API
Reference), DynamoDB's and SQS's JSON errors (botocore's parsers read __type and x-amzn-query-error)."""

from __future__ import annotations

import urllib.request

import botocore.exceptions
import pytest

from tests.api.conftest import client, error_of
from tests.api.gateway.conftest import ACCOUNT_ID, allow, as_user, gw_client


def test_root_reaches_the_upstream_for_s3_dynamodb_and_sqs(gateway, moto, unique):
    bucket, table, queue = unique("bkt"), unique("tbl"), unique("q")
    s3 = gw_client(gateway, "s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="dir/a file.txt", Body=b"hello")
    assert moto.client("s3").get_object(Bucket=bucket, Key="dir/a file.txt")["Body"].read() == b"hello"
    assert s3.get_object(Bucket=bucket, Key="dir/a file.txt")["Body"].read() == b"hello"
    assert s3.head_object(Bucket=bucket, Key="dir/a file.txt")["ContentLength"] == 5

    dynamodb = gw_client(gateway, "dynamodb")
    dynamodb.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "x"}, "v": {"N": "1"}})
    assert moto.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "x"}})["Item"]["v"] == {"N": "1"}

    sqs = gw_client(gateway, "sqs")
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m1")
    direct = moto.client("sqs")
    got = direct.receive_message(QueueUrl=direct.get_queue_url(QueueName=queue)["QueueUrl"])["Messages"]
    assert [m["Body"] for m in got] == ["m1"]


def test_the_caller_s_account_is_the_upstream_account(gateway, moto, unique):
    """Resources created through the gateway belong to the caller's iamd account at moto, no other."""
    bucket = unique("own")
    s3 = gw_client(gateway, "s3")
    # A client cannot choose another account at moto: its own x-moto-account-id is dropped.
    s3.meta.events.register_first("before-sign.s3.CreateBucket",
                                  lambda request, **_: request.headers.__setitem__("x-moto-account-id", "111122223333"))
    s3.create_bucket(Bucket=bucket)
    assert bucket in [b["Name"] for b in moto.client("s3", ACCOUNT_ID).list_buckets()["Buckets"]]
    assert bucket not in [b["Name"] for b in moto.client("s3", "111122223333").list_buckets()["Buckets"]]


def test_s3_refusal_has_s3_s_shape_and_aws_s_message(gateway, moto, principal, unique):
    bucket = unique("bkt")
    gw_client(gateway, "s3").create_bucket(Bucket=bucket)
    user = principal(allow(("s3:GetObject", f"arn:aws:s3:::{bucket}/*")))
    s3 = as_user(gateway, user, "s3")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="nope.txt", Body=b"x")
    code, message, status = error_of(refused)
    assert (code, status) == ("AccessDenied", 403)
    assert message == (f'User: {user["arn"]} is not authorized to perform: s3:PutObject on resource: '
                       f'"arn:aws:s3:::{bucket}/nope.txt" because no identity-based policy allows the '
                       "s3:PutObject action")
    assert refused.value.response["ResponseMetadata"]["RequestId"]
    assert "Contents" not in moto.client("s3").list_objects_v2(Bucket=bucket)   # never reached moto
    moto.client("s3").put_object(Bucket=bucket, Key="yes.txt", Body=b"y")
    assert s3.get_object(Bucket=bucket, Key="yes.txt")["Body"].read() == b"y"


def test_explicit_deny_is_named(gateway, principal, unique):
    bucket = unique("bkt")
    gw_client(gateway, "s3").create_bucket(Bucket=bucket)
    policy = allow(("s3:*", "*"))
    policy["Statement"].append({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"})
    user = principal(policy)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        as_user(gateway, user, "s3").delete_bucket(Bucket=bucket)
    code, message, _ = error_of(refused)
    assert code == "AccessDenied"
    assert message.endswith("with an explicit deny in an identity-based policy")


def test_dynamodb_refusal_is_an_access_denied_exception(gateway, moto, principal, unique):
    table = unique("tbl")
    gw_client(gateway, "dynamodb").create_table(
        TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/{table}"
    user = principal(allow(("dynamodb:GetItem", arn)))
    dynamodb = as_user(gateway, user, "dynamodb")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "k"}})
    code, message, status = error_of(refused)
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (f"User: {user['arn']} is not authorized to perform: dynamodb:PutItem on resource: {arn} "
                       "because no identity-based policy allows the dynamodb:PutItem action")
    assert "Item" not in moto.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "k"}})
    moto.client("dynamodb").put_item(TableName=table, Item={"pk": {"S": "k"}})
    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"] == {"pk": {"S": "k"}}


def test_sqs_refusal_keeps_sqs_s_code(gateway, moto, principal, unique):
    queue = unique("q")
    url = gw_client(gateway, "sqs").create_queue(QueueName=queue)["QueueUrl"]
    user = principal(allow(("sqs:ReceiveMessage", "*")))
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        as_user(gateway, user, "sqs").send_message(QueueUrl=url, MessageBody="no")
    code, message, status = error_of(refused)
    assert (code, status) == ("AccessDenied", 403)
    assert f"User: {user['arn']} is not authorized to perform: sqs:SendMessage" in message
    direct = moto.client("sqs")
    assert "Messages" not in direct.receive_message(QueueUrl=direct.get_queue_url(QueueName=queue)["QueueUrl"])


def test_signature_errors_in_each_shape(gateway, unique):
    bad_s3 = gw_client(gateway, "s3", secret="wrong" * 8)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        bad_s3.list_buckets()
    assert error_of(refused)[0::2] == ("SignatureDoesNotMatch", 403)
    unknown = gw_client(gateway, "s3", key_id="AKIAUNKNOWNKEY000000")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        unknown.list_buckets()
    assert error_of(refused) == ("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our "
                                 "records.", 403)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        gw_client(gateway, "dynamodb", key_id="AKIAUNKNOWNKEY000000").list_tables()
    assert error_of(refused)[0::2] == ("UnrecognizedClientException", 400)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        gw_client(gateway, "dynamodb", secret="wrong" * 8).list_tables()
    assert error_of(refused)[0::2] == ("InvalidSignatureException", 400)


def test_an_unclassified_request_is_refused_and_says_what(gateway):
    dynamodb = gw_client(gateway, "dynamodb")
    # An X-Amz-Target no service models: refused, never forwarded.
    dynamodb.meta.events.register_first(
        "before-sign.dynamodb.ListTables",
        lambda request, **_: request.headers.__setitem__("X-Amz-Target", "NoSuchService_2020.DoThings"))
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        dynamodb.list_tables()
    code, message, status = error_of(refused)
    assert (code, status) == ("UnknownOperationException", 400)
    assert "NoSuchService_2020" in message and "could not classify" in message


def test_iam_sts_and_health_keep_working(gateway):
    assert client(gateway, "sts").get_caller_identity()["Account"] == ACCOUNT_ID
    assert "Users" in client(gateway, "iam").list_users()
    with urllib.request.urlopen(f"{gateway.endpoint}/health", timeout=10) as answer:
        assert answer.status == 200
