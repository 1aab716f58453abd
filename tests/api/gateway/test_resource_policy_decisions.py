"""The two halves together: policies read from moto's server by gateway/resource_policies.py, weighed
by service/decide.py against principals in a real (SQLite) store, as the gateway does for each request.

AWS's rules, from the IAM User Guide ("Cross-account policy evaluation logic": both sides must allow;
"How AWS enforcement code logic evaluates requests": within an account a resource-based policy naming
the user grants alone) and the AWS KMS Developer Guide ("Key policies in AWS KMS": without the key
policy's permission, IAM policies have no effect).
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from iamd.gateway.resource_policies import ResourcePolicies
from iamd.store import migrate
from iamd.store.database import Store
from tests.api.gateway.test_resource_policies import Forwarded, Identified, unique
from tests.api.gateway.upstream import MotoServer
from tests.unit.test_decide import A, B, World, allow, document

REGION = "us-east-1"


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    with MotoServer(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('decisions') / 'iamd.db'}")
    migrate.upgrade(store)
    yield World(store)
    store.dispose()


@pytest.fixture
def policies(moto):
    return ResourcePolicies(moto.upstream(), accounts=lambda: [A, B])


def decided(world, policies, principal, action, resource, caller_account):
    """What the gateway does for one item: the resource's policy and owner, then the decision."""
    service = action.split(":", 1)[0]
    found = policies.lookup(service, resource, caller_account)
    return world.decide(principal, action, resource, policy=found.document, owner=found.owner_account)


def test_cross_account_queue_policy(moto, world, policies):
    name = unique("queue")
    arn = f"arn:aws:sqs:{REGION}:{A}:{name}"
    sqs = moto.client("sqs", A)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sender = world.user(B, unique("sender"), document(allow("sqs:SendMessage", "*")))
    refused = decided(world, policies, sender, "sqs:SendMessage", arn, B)
    assert not refused.allowed and refused.denied_by == "resource"  # no queue policy: no way in

    sqs.add_permission(QueueUrl=url, Label="b", AWSAccountIds=[B], Actions=["SendMessage"])
    policies.forget(Forwarded(Identified("sqs", "AddPermission"), {"QueueUrl": url}))
    assert decided(world, policies, sender, "sqs:SendMessage", arn, B).allowed
    idle = world.user(B, unique("idle"))  # the queue policy alone does not do across accounts
    assert decided(world, policies, idle, "sqs:SendMessage", arn, B).denied_by == "identity"


def test_same_account_bucket_policy_naming_the_user_grants_alone(moto, world, policies):
    bucket = unique("bucket")
    moto.client("s3", A).create_bucket(Bucket=bucket)
    reader = world.user(A, unique("reader"))
    obj = f"arn:aws:s3:::{bucket}/report.csv"
    assert decided(world, policies, reader, "s3:GetObject", obj, A).denied_by == "identity"
    moto.client("s3", A).put_bucket_policy(Bucket=bucket, Policy=document(
        allow(resource=f"arn:aws:s3:::{bucket}/*", Principal={"AWS": reader.arn})))
    policies.forget(Forwarded(Identified("s3", "PutBucketPolicy"), {"Bucket": bucket}))
    assert decided(world, policies, reader, "s3:GetObject", obj, A).allowed
    # From another account, the owner is found by listing, and the same policy does not name it.
    stranger = world.user(B, unique("stranger"), document(allow("s3:*", "*")))
    refused = decided(world, policies, stranger, "s3:GetObject", obj, B)
    assert not refused.allowed and refused.denied_by == "resource" and refused.row == 4


def test_lambda_permission_for_another_account(moto, world, policies):
    iam = moto.client("iam", A)
    role = iam.create_role(RoleName=unique("role"), AssumeRolePolicyDocument="{}")["Role"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    lam = moto.client("lambda", A)
    name = unique("fn")
    arn = lam.create_function(FunctionName=name, Runtime="python3.11", Role=role["Arn"], Handler="handler.handler",
                              Code={"ZipFile": buffer.getvalue()})["FunctionArn"]
    lam.add_permission(FunctionName=name, StatementId="b", Action="lambda:InvokeFunction", Principal=B)
    invoker = world.user(B, unique("invoker"), document(allow("lambda:InvokeFunction", "*")))
    assert decided(world, policies, invoker, "lambda:InvokeFunction", arn, B).allowed
    assert not decided(world, policies, invoker, "lambda:GetFunction", arn, B).allowed


def test_kms_key_policy_must_let_iam_policies_work(moto, world, policies):
    kms = moto.client("kms", A)
    key = kms.create_key()["KeyMetadata"]  # the default key policy names the account: IAM policies work
    user = world.user(A, unique("crypto"), document(allow("kms:Encrypt", "*")))
    assert decided(world, policies, user, "kms:Encrypt", key["Arn"], A).allowed
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                                                "Principal": {"AWS": f"arn:aws:iam::{A}:user/key-admin"}}]}))
    policies.forget(Forwarded(Identified("kms", "PutKeyPolicy"), {"KeyId": key["KeyId"]}))
    refused = decided(world, policies, user, "kms:Encrypt", key["Arn"], A)
    assert not refused.allowed and refused.denied_by == "resource"
