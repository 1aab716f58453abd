"""A bucket or queue deleted and re-created under the same name through iamd: the gateway's caches of the
upstream (resource policies, their owners: 5 s) are keyed by names the upstream reuses, so the forwarded
deletion and creation drop them at once, and the next request is decided by the new resource's policy,
never by its predecessor's (nor by a cached "no such resource" from between the two).

Each step's request comes right after the change it follows (well within the caches' 5 s). Between
the deletion and the re-creation a request is made on purpose, so that the resource's absence is what
the cache holds when the new one is created. The new S3 policy is put straight on the upstream (moto)
after iamd forwarded the CreateBucket, so that only that forwarded creation can have dropped the cache.
A change made only on the upstream, bypassing iamd, is seen within the TTL (test_resource_policies.py's
test_sqs_queue_recreated_behind_iamds_back_is_seen_after_the_ttl; docs/gateway.md).

Sources: Amazon S3 User Guide, "Bucket policy examples"; Amazon SQS Developer Guide, "Basic examples of
Amazon SQS policies"; IAM User Guide, "Policy evaluation logic" (within an account, a resource-based policy
naming the user allows on its own)."""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

from tests.api.conftest import error_of
from tests.api.gateway.conftest import ACCOUNT_ID, allow, as_user, gw_client

_NOTHING_ON_S3_OR_SQS = allow(("iam:GetUser", "*"))  # the user's own policy grants nothing here


def _allow(user_arn: str, action: str, resource: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": action, "Resource": resource}]})


def _refused(call) -> tuple[str, int]:
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        call()
    code, _, status = error_of(refused)
    return code, status


def test_a_bucket_deleted_and_re_created_with_another_policy_is_decided_by_the_new_one(gateway, moto, principal,
                                                                                        unique):
    bucket = unique("recreated")
    owner = gw_client(gateway, "s3")
    user = principal(_NOTHING_ON_S3_OR_SQS)
    reader = as_user(gateway, user, "s3")

    owner.create_bucket(Bucket=bucket)
    owner.put_object(Bucket=bucket, Key="old", Body=b"old")
    owner.put_bucket_policy(Bucket=bucket, Policy=_allow(user["arn"], "s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    assert reader.get_object(Bucket=bucket, Key="old")["Body"].read() == b"old"  # the first policy, now cached

    owner.delete_object(Bucket=bucket, Key="old")
    owner.delete_bucket(Bucket=bucket)
    # The first policy dropped with its bucket: no policy allows the user now (a stale one would have let
    # the request through to moto, whose answer is NoSuchBucket). This caches the bucket's absence.
    assert _refused(lambda: reader.get_object(Bucket=bucket, Key="old")) == ("AccessDenied", 403)

    owner.create_bucket(Bucket=bucket)  # forwarded by iamd: drops the cached absence
    direct = moto.client("s3", ACCOUNT_ID)
    direct.put_bucket_policy(Bucket=bucket, Policy=_allow(user["arn"], "s3:GetObject",
                                                          f"arn:aws:s3:::{bucket}/new/*"))
    direct.put_object(Bucket=bucket, Key="new/k", Body=b"new")
    direct.put_object(Bucket=bucket, Key="old", Body=b"old again")
    assert reader.get_object(Bucket=bucket, Key="new/k")["Body"].read() == b"new"  # the second policy allows
    assert _refused(lambda: reader.get_object(Bucket=bucket, Key="old")) == ("AccessDenied", 403)  # the first did


def test_a_queue_deleted_and_re_created_with_another_policy_is_decided_by_the_new_one(gateway, principal, unique):
    queue = unique("recreated")
    queue_arn = f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{queue}"
    owner = gw_client(gateway, "sqs")
    user = principal(_NOTHING_ON_S3_OR_SQS)
    sqs = as_user(gateway, user, "sqs")

    url = owner.create_queue(QueueName=queue, Attributes={
        "Policy": _allow(user["arn"], "sqs:SendMessage", queue_arn)})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="to the first queue")  # the first policy, now cached
    assert _refused(lambda: sqs.receive_message(QueueUrl=url)) == ("AccessDenied", 403)

    owner.delete_queue(QueueUrl=url)
    # Dropped with its queue: no policy allows the user now. This caches the queue's absence.
    assert _refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x")) == ("AccessDenied", 403)

    again = owner.create_queue(QueueName=queue, Attributes={
        "Policy": _allow(user["arn"], "sqs:ReceiveMessage", queue_arn)})["QueueUrl"]
    assert again == url
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []  # the second policy allows
    assert _refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x")) == ("AccessDenied", 403)  # not this
