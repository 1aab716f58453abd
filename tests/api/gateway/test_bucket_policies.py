"""Resource-based policies read from the upstream, weighed by iamd's engine at the gateway: a public
read allowed to anonymous callers, an explicit deny in a bucket policy, a cross-account read allowed by
the bucket policy and refused without it, and a policy change forwarded through iamd seen at once.

Sources: IAM User Guide, "Policy evaluation logic" and "Cross-account policy evaluation logic" (both sides
must allow across accounts); "Troubleshoot access denied error messages" ("with an explicit deny in a
resource-based policy"); Amazon S3 User Guide, "Bucket policy examples" (Principal "*")."""

from __future__ import annotations

import json

import botocore.exceptions
import httpx
import pytest

from tests.api.conftest import error_of
from tests.api.gateway.conftest import ACCOUNT_ID, allow, as_user, gw_client


def _bucket_policy(bucket: str, effect: str, principal, action: str = "s3:GetObject") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": effect, "Principal": principal, "Action": action, "Resource": f"arn:aws:s3:::{bucket}/*"}]})


def test_a_public_bucket_policy_lets_anonymous_callers_read(gateway, moto, unique):
    bucket = unique("pub")
    s3 = gw_client(gateway, "s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>hi</h1>")
    assert httpx.get(f"{gateway.endpoint}/{bucket}/index.html").status_code == 403
    s3.put_bucket_policy(Bucket=bucket, Policy=_bucket_policy(bucket, "Allow", "*"))  # forwarded: cache dropped
    answer = httpx.get(f"{gateway.endpoint}/{bucket}/index.html")
    assert answer.status_code == 200
    assert answer.content == b"<h1>hi</h1>"
    answer = httpx.put(f"{gateway.endpoint}/{bucket}/defaced.html", content=b"x")  # only GetObject is public
    assert answer.status_code == 403
    assert "Contents" in moto.client("s3").list_objects_v2(Bucket=bucket)
    assert "defaced.html" not in [o["Key"] for o in moto.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]


def test_an_explicit_deny_in_a_bucket_policy_is_named(gateway, principal, unique):
    bucket = unique("deny")
    s3 = gw_client(gateway, "s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    user = principal(allow(("s3:*", "*")))
    s3.put_bucket_policy(Bucket=bucket, Policy=_bucket_policy(bucket, "Deny", {"AWS": user["arn"]}))
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        as_user(gateway, user, "s3").get_object(Bucket=bucket, Key="k")
    code, message, status = error_of(refused)
    assert (code, status) == ("AccessDenied", 403)
    assert message == (f'User: {user["arn"]} is not authorized to perform: s3:GetObject on resource: '
                       f'"arn:aws:s3:::{bucket}/k" with an explicit deny in a resource-based policy')


def test_cross_account_read_needs_the_bucket_policy(gateway, moto, other_account, unique):
    bucket = unique("xacct")
    owner = gw_client(gateway, "s3")
    owner.create_bucket(Bucket=bucket)
    owner.put_object(Bucket=bucket, Key="shared.txt", Body=b"shared")
    # The other account's admin user: its identity policy allows s3:* on everything.
    iam_b = gw_client(gateway, "iam", other_account["key_id"], other_account["secret"])
    iam_b.create_user(UserName="reader")
    iam_b.put_user_policy(UserName="reader", PolicyName="s3", PolicyDocument=json.dumps(allow(("s3:*", "*"))))
    key = iam_b.create_access_key(UserName="reader")["AccessKey"]
    reader = gw_client(gateway, "s3", key["AccessKeyId"], key["SecretAccessKey"])
    reader_arn = f"arn:aws:iam::{other_account['account']}:user/reader"
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        reader.get_object(Bucket=bucket, Key="shared.txt")
    code, message, _ = error_of(refused)
    assert code == "AccessDenied"
    assert message == (f'User: {reader_arn} is not authorized to perform: s3:GetObject on resource: '
                       f'"arn:aws:s3:::{bucket}/shared.txt" because no resource-based policy allows the '
                       "s3:GetObject action")
    account_b = {"AWS": f"arn:aws:iam::{other_account['account']}:root"}
    owner.put_bucket_policy(Bucket=bucket, Policy=_bucket_policy(bucket, "Allow", account_b))
    assert reader.get_object(Bucket=bucket, Key="shared.txt")["Body"].read() == b"shared"
    assert ACCOUNT_ID != other_account["account"]


def test_sqs_queue_policy_granting_another_account(gateway, moto, other_account, unique):
    """Cross-account SendMessage: refused without a queue policy naming the sender's account, allowed
    with one (Amazon SQS Developer Guide, "Basic examples of Amazon SQS policies")."""
    queue = unique("xq")
    owner_sqs = gw_client(gateway, "sqs")
    url = owner_sqs.create_queue(QueueName=queue)["QueueUrl"]
    sender = gw_client(gateway, "sqs", other_account["key_id"], other_account["secret"])
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        sender.send_message(QueueUrl=url, MessageBody="from B")
    code, message, status = error_of(refused)
    assert (code, status) == ("AccessDenied", 403)
    assert message.endswith("because no resource-based policy allows the sqs:SendMessage action")
    queue_arn = f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{queue}"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other_account['account']}:root"},
        "Action": "sqs:SendMessage", "Resource": queue_arn}]}
    owner_sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sender.send_message(QueueUrl=url, MessageBody="from B")
    direct = moto.client("sqs")
    got = direct.receive_message(QueueUrl=direct.get_queue_url(QueueName=queue)["QueueUrl"])["Messages"]
    assert [m["Body"] for m in got] == ["from B"]
