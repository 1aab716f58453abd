"""gateway/resource_policies.py against moto's server (a real upstream, a process of its own): for each
service with resource-based policies, a policy present, absent, changed (stale until forgotten, or
until the TTL ends), and the resource deleted and re-created under the same name.

Which call reads each policy, and what an absent one answers, is AWS's: S3 GetBucketPolicy
(NoSuchBucketPolicy), SQS GetQueueAttributes (no Policy attribute), SNS GetTopicAttributes, KMS
GetKeyPolicy (PolicyName "default"), Lambda GetPolicy (ResourceNotFoundException), Secrets Manager
GetResourcePolicy (no ResourcePolicy member).
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any

import pytest

from iamd.gateway.resource_policies import (
    UNKNOWN_OWNER,
    ResourcePolicies,
    ResourcePolicy,
    ResourcePolicyUnavailable,
)
from iamd.service.decide import compile_resource_policy
from tests.api.gateway.upstream import MotoServer

A, B = "111111111111", "222222222222"
REGION = "us-east-1"


@dataclass(frozen=True)
class Identified:
    service: str
    operation: str


@dataclass(frozen=True)
class Forwarded:
    """The shape of gateway/classify.py's ServiceRequest that forget() reads."""

    identified: Identified
    params: dict = field(default_factory=dict)
    region: str = REGION


def forwarded(service: str, operation: str, **params: Any) -> Forwarded:
    return Forwarded(Identified(service, operation), params)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def policy(resource: str, action: str, principal: str = A, sid: str = "S") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{principal}:root"},
         "Action": action, "Resource": resource}]})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    with MotoServer(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture
def upstream(moto):
    return moto.upstream()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def policies(upstream, clock):
    return ResourcePolicies(upstream, ttl=60.0, accounts=lambda: [A, B], clock=clock)


def reads(upstream, before: int) -> list:
    return upstream.requests[before:]


def sid_of(found: ResourcePolicy | None) -> str | None:
    if found is None or found.document is None:
        return None
    return json.loads(found.document)["Statement"][0]["Sid"]


# ---------------------------------------------------------------------------------------------- S3

def test_s3_bucket_policy_present_absent_changed_and_forgotten(moto, upstream, policies, clock):
    s3 = moto.client("s3", A)
    bucket = unique("bucket")
    s3.create_bucket(Bucket=bucket)
    arn = f"arn:aws:s3:::{bucket}"
    assert policies.policy_for("s3", arn, A) is None  # NoSuchBucketPolicy
    assert policies.lookup("s3", arn, A) == ResourcePolicy(None, A)  # the owner is known without a policy

    s3.put_bucket_policy(Bucket=bucket, Policy=policy(arn + "/*", "s3:GetObject", sid="One"))
    assert policies.policy_for("s3", arn, A) is None  # the absence is cached ...
    policies.forget(forwarded("s3", "PutBucketPolicy", Bucket=bucket))  # ... until iamd forwards a change
    found = policies.policy_for("s3", arn + "/some/key.txt", A)  # an object's ARN: its bucket's policy
    assert found is not None and found.owner_account == A and sid_of(found) == "One"

    before = len(upstream.requests)
    assert sid_of(policies.policy_for("s3", arn, A)) == "One"
    assert reads(upstream, before) == []  # warm: no upstream call
    assert sid_of(policies.cached("s3", arn, A)) == "One"

    s3.put_bucket_policy(Bucket=bucket, Policy=policy(arn + "/*", "s3:GetObject", sid="Two"))
    assert sid_of(policies.policy_for("s3", arn, A)) == "One"  # changed behind iamd's back: stale ...
    clock.now += 61  # ... until the TTL ends
    assert sid_of(policies.policy_for("s3", arn, A)) == "Two"

    s3.delete_bucket_policy(Bucket=bucket)
    policies.forget(forwarded("s3", "DeleteBucketPolicy", Bucket=bucket))
    assert policies.policy_for("s3", arn, A) is None


def test_s3_bucket_deleted_and_recreated_by_another_account_is_judged_afresh(moto, policies):
    bucket = unique("reused")
    arn = f"arn:aws:s3:::{bucket}"
    moto.client("s3", A).create_bucket(Bucket=bucket)
    moto.client("s3", A).put_bucket_policy(Bucket=bucket, Policy=policy(arn + "/*", "s3:GetObject", B, sid="Old"))
    old = policies.policy_for("s3", arn, B)
    assert old is not None and old.owner_account == A and sid_of(old) == "Old"  # found in A, asked for by B

    moto.client("s3", A).delete_bucket_policy(Bucket=bucket)
    moto.client("s3", A).delete_bucket(Bucket=bucket)
    policies.forget(forwarded("s3", "DeleteBucket", Bucket=bucket))
    assert policies.lookup("s3", arn, B) == ResourcePolicy(None, None)  # gone: no owner, no policy

    moto.client("s3", B).create_bucket(Bucket=bucket)  # the name taken again, by another account
    policies.forget(forwarded("s3", "CreateBucket", Bucket=bucket))
    assert policies.lookup("s3", arn, A) == ResourcePolicy(None, B)


def test_s3_bucket_owned_by_no_known_account(moto, upstream, clock):
    bucket = unique("foreign")
    moto.client("s3", "333333333333").create_bucket(Bucket=bucket)
    policies = ResourcePolicies(upstream, accounts=lambda: [A, B], clock=clock)
    assert policies.lookup("s3", f"arn:aws:s3:::{bucket}", A) == ResourcePolicy(None, UNKNOWN_OWNER)
    only_caller = ResourcePolicies(upstream, clock=clock)  # no accounts given: only the caller's is asked
    assert only_caller.lookup("s3", f"arn:aws:s3:::{bucket}", A).owner_account == UNKNOWN_OWNER


def test_an_owner_unknown_to_one_caller_is_not_passed_on_to_another(moto, upstream, clock):
    bucket = unique("theirs")
    arn = f"arn:aws:s3:::{bucket}"
    moto.client("s3", B).create_bucket(Bucket=bucket)
    only_caller = ResourcePolicies(upstream, ttl=60.0, clock=clock)  # asks the caller's account only
    assert only_caller.lookup("s3", arn, A).owner_account == UNKNOWN_OWNER
    assert only_caller.cached("s3", arn, A) == ResourcePolicy(None, UNKNOWN_OWNER)
    assert only_caller.cached("s3", arn, B) is None  # A's answer is not B's
    assert only_caller.lookup("s3", arn, B).owner_account == B
    assert only_caller.lookup("s3", arn, A).owner_account == B  # once found, the owner is everyone's


# ---------------------------------------------------------------------------------------------- SQS

def test_sqs_queue_policy(moto, policies, clock):
    sqs = moto.client("sqs", A)
    name = unique("queue")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:{A}:{name}"
    assert policies.policy_for("sqs", arn) is None

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy(arn, "sqs:SendMessage", B, sid="One")})
    assert policies.policy_for("sqs", arn) is None  # cached absence
    policies.forget(forwarded("sqs", "SetQueueAttributes", QueueUrl=url, Attributes={}))
    found = policies.policy_for("sqs", arn)
    assert found is not None and found.owner_account == A and sid_of(found) == "One"

    sqs.delete_queue(QueueUrl=url)
    policies.forget(forwarded("sqs", "DeleteQueue", QueueUrl=url))
    assert policies.policy_for("sqs", arn) is None  # the queue is gone
    sqs.create_queue(QueueName=name)  # re-created under the same name, without a policy
    policies.forget(forwarded("sqs", "CreateQueue", QueueName=name))
    assert policies.policy_for("sqs", arn) is None
    assert policies.lookup("sqs", arn) == ResourcePolicy(None, A)


def test_sqs_queue_recreated_behind_iamds_back_is_seen_after_the_ttl(moto, policies, clock):
    sqs = moto.client("sqs", A)
    name = unique("queue")
    arn = f"arn:aws:sqs:{REGION}:{A}:{name}"
    url = sqs.create_queue(QueueName=name, Attributes={"Policy": policy(arn, "sqs:*", B, sid="Old")})["QueueUrl"]
    assert sid_of(policies.policy_for("sqs", arn)) == "Old"
    sqs.delete_queue(QueueUrl=url)
    sqs.create_queue(QueueName=name, Attributes={"Policy": policy(arn, "sqs:*", B, sid="New")})
    clock.now += 61
    assert sid_of(policies.policy_for("sqs", arn)) == "New"


# ---------------------------------------------------------------------------------------------- SNS

def test_sns_topic_policy(moto, policies):
    sns = moto.client("sns", A)
    name = unique("topic")
    arn = sns.create_topic(Name=name)["TopicArn"]
    default = policies.policy_for("sns", arn)  # SNS gives every topic a default policy
    assert default is not None and default.owner_account == A
    compile_resource_policy(default.document)  # the engine reads it (Version 2008-10-17, AWS:SourceOwner)

    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy(arn, "sns:Publish", B, "Mine"))
    assert sid_of(policies.policy_for("sns", arn)) != "Mine"  # cached
    policies.forget(forwarded("sns", "SetTopicAttributes", TopicArn=arn, AttributeName="Policy"))
    assert sid_of(policies.policy_for("sns", arn)) == "Mine"

    sns.delete_topic(TopicArn=arn)
    policies.forget(forwarded("sns", "DeleteTopic", TopicArn=arn))
    assert policies.policy_for("sns", arn) is None
    sns.create_topic(Name=name)
    policies.forget(forwarded("sns", "CreateTopic", Name=name))
    again = policies.policy_for("sns", arn)
    assert again is not None and sid_of(again) != "Mine"  # the new topic's own (default) policy


# ---------------------------------------------------------------------------------------------- KMS

def test_kms_key_policy_by_key_arn_and_alias(moto, upstream, policies):
    kms = moto.client("kms", A)
    default = policies.policy_for("kms", kms.create_key()["KeyMetadata"]["Arn"])  # AWS's default key policy
    assert default is not None and compile_resource_policy(default.document).statements[0].principals.accounts == {A}
    key = kms.create_key(Policy=policy("*", "kms:*", sid="One"))["KeyMetadata"]
    alias = f"alias/{unique('key')}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    assert sid_of(policies.policy_for("kms", key["Arn"])) == "One"
    by_alias = policies.policy_for("kms", f"arn:aws:kms:{REGION}:{A}:{alias}")
    assert by_alias is not None and by_alias.owner_account == A and sid_of(by_alias) == "One"

    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy("*", "kms:*", sid="Two"))
    assert sid_of(policies.policy_for("kms", key["Arn"])) == "One"  # cached
    policies.forget(forwarded("kms", "PutKeyPolicy", KeyId=key["Arn"], PolicyName="default"))
    assert sid_of(policies.policy_for("kms", key["Arn"])) == "Two"
    assert sid_of(policies.cached("kms", f"arn:aws:kms:{REGION}:{A}:{alias}")) == "Two"  # alias → same entry

    # For the mapping: which key an alias names (so that an alias request is weighed against its key).
    assert policies.kms_alias_cached(A, REGION, alias) == (True, key["KeyId"])
    assert policies.kms_alias(A, REGION, alias) == key["KeyId"]
    assert policies.kms_alias(B, REGION, alias) is None  # aliases are per account

    # The alias moved to a new key (a key id is never reused: the new key has entries of its own).
    other = kms.create_key(Policy=policy("*", "kms:*", sid="Other"))["KeyMetadata"]
    kms.update_alias(AliasName=alias, TargetKeyId=other["KeyId"])
    policies.forget(forwarded("kms", "UpdateAlias", AliasName=alias, TargetKeyId=other["KeyId"]))
    assert policies.kms_alias_cached(A, REGION, alias) == (False, None)
    assert sid_of(policies.policy_for("kms", f"arn:aws:kms:{REGION}:{A}:{alias}")) == "Other"
    assert policies.kms_alias(A, REGION, alias) == other["KeyId"]
    assert policies.policy_for("kms", f"arn:aws:kms:{REGION}:{A}:alias/{unique('missing')}") is None
    assert policies.policy_for("kms", f"arn:aws:kms:{REGION}:{A}:key/{uuid.uuid4()}") is None


# ---------------------------------------------------------------------------------------------- Lambda

def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def test_lambda_function_policy(moto, policies):
    iam = moto.client("iam", A)
    role_name = unique("lambda-role")
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]
    lam = moto.client("lambda", A)
    name = unique("fn")

    def create() -> str:
        return lam.create_function(FunctionName=name, Runtime="python3.11", Role=role["Arn"],
                                   Handler="handler.handler", Code={"ZipFile": _zip()})["FunctionArn"]

    arn = create()
    assert policies.policy_for("lambda", arn) is None  # ResourceNotFoundException: no policy yet
    lam.add_permission(FunctionName=name, StatementId="One", Action="lambda:InvokeFunction", Principal=B)
    policies.forget(forwarded("lambda", "AddPermission", FunctionName=name, StatementId="One"))
    found = policies.policy_for("lambda", arn)
    assert found is not None and found.owner_account == A and sid_of(found) == "One"
    # AddPermission's Principal "222222222222" reads as AWS's GetPolicy shows it (moto keeps the bare
    # string, which the policy grammar refuses): the engine can weigh it.
    assert json.loads(found.document)["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{B}:root"}
    assert compile_resource_policy(found.document).statements[0].principals.accounts == frozenset({B})

    lam.delete_function(FunctionName=name)
    policies.forget(forwarded("lambda", "DeleteFunction", FunctionName=arn))
    assert policies.policy_for("lambda", arn) is None
    create()
    policies.forget(forwarded("lambda", "CreateFunction", FunctionName=name))
    assert policies.policy_for("lambda", arn) is None  # the new function has no permission yet


# ---------------------------------------------------------------------------------------------- Secrets Manager

def test_secrets_manager_resource_policy(moto, policies):
    secrets = moto.client("secretsmanager", A)
    name = unique("secret")
    arn = secrets.create_secret(Name=name, SecretString="s3cr3t")["ARN"]
    wildcard = f"arn:aws:secretsmanager:{REGION}:{A}:secret:{name}-??????"  # as an ARN format builds it
    assert policies.policy_for("secretsmanager", arn) is None
    secrets.put_resource_policy(SecretId=name, ResourcePolicy=policy("*", "secretsmanager:GetSecretValue", B, "One"))
    policies.forget(forwarded("secretsmanager", "PutResourcePolicy", SecretId=arn))
    assert sid_of(policies.policy_for("secretsmanager", arn)) == "One"
    found = policies.policy_for("secretsmanager", wildcard)
    assert found is not None and found.owner_account == A and sid_of(found) == "One"

    secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    policies.forget(forwarded("secretsmanager", "DeleteSecret", SecretId=name))
    assert policies.policy_for("secretsmanager", wildcard) is None
    secrets.create_secret(Name=name, SecretString="again")
    policies.forget(forwarded("secretsmanager", "CreateSecret", Name=name))
    assert policies.policy_for("secretsmanager", wildcard) is None  # the new secret has no policy


def test_a_secret_whose_name_looks_like_it_ends_in_a_suffix(moto, policies):
    # "…-secret" ends like an ARN's random suffix ("-AbC123"): the name must still be read as a name.
    secrets = moto.client("secretsmanager", A)
    name = f"{unique('db')}-secret"
    arn = secrets.create_secret(Name=name, SecretString="s3cr3t")["ARN"]
    secrets.put_resource_policy(SecretId=name, ResourcePolicy=policy("*", "secretsmanager:*", B, "Named"))
    by_name = f"arn:aws:secretsmanager:{REGION}:{A}:secret:{name}"  # as the mapping builds it from a name
    assert sid_of(policies.policy_for("secretsmanager", by_name)) == "Named"
    assert sid_of(policies.policy_for("secretsmanager", arn)) == "Named"  # the full ARN, suffix and all
    secrets.put_resource_policy(SecretId=name, ResourcePolicy=policy("*", "secretsmanager:*", B, "Changed"))
    policies.forget(forwarded("secretsmanager", "PutResourcePolicy", SecretId=name))  # by name: both go
    assert sid_of(policies.policy_for("secretsmanager", by_name)) == "Changed"
    assert sid_of(policies.policy_for("secretsmanager", arn)) == "Changed"


# ---------------------------------------------------------------------------------------------- the rest

def test_services_without_resource_policies_and_bare_resources(policies, upstream):
    before = len(upstream.requests)
    assert policies.lookup("dynamodb", f"arn:aws:dynamodb:{REGION}:{A}:table/t", A) == ResourcePolicy(None, None)
    assert policies.lookup("s3", "*", A) == ResourcePolicy(None, None)
    assert reads(upstream, before) == []


def test_a_read_that_fails_is_an_error_not_an_absent_policy(tmp_path):
    class Unreachable:
        def client(self, service: str, account_id: str, region: str) -> Any:
            import boto3
            from botocore.config import Config

            return boto3.session.Session().client(
                service, endpoint_url="http://127.0.0.1:9", region_name=region, aws_access_key_id="x",
                aws_secret_access_key="x", config=Config(retries={"total_max_attempts": 1}, connect_timeout=1))

    policies = ResourcePolicies(Unreachable())
    with pytest.raises(ResourcePolicyUnavailable, match="could not be read"):
        policies.policy_for("sqs", f"arn:aws:sqs:{REGION}:{A}:q")


def test_a_read_racing_a_forget_is_not_kept(moto, upstream, clock):
    sqs = moto.client("sqs", A)
    name = unique("queue")
    arn = f"arn:aws:sqs:{REGION}:{A}:{name}"
    url = sqs.create_queue(QueueName=name, Attributes={"Policy": policy(arn, "sqs:*", B, sid="Old")})["QueueUrl"]
    policies = ResourcePolicies(upstream, ttl=60.0, clock=clock)
    # The change is forwarded (and forgotten) while a read of the old policy is under way.
    original = upstream.client

    def client_then_change(service: str, account_id: str, region: str) -> Any:
        made = original(service, account_id, region)
        if service == "sqs" and not getattr(client_then_change, "done", False):
            client_then_change.done = True  # type: ignore[attr-defined]
            policies.forget(forwarded("sqs", "SetQueueAttributes", QueueUrl=url))
        return made

    upstream.client = client_then_change
    try:
        assert sid_of(policies.policy_for("sqs", arn)) == "Old"  # the read itself answers what it saw
    finally:
        upstream.client = original
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy(arn, "sqs:*", B, sid="New")})
    assert sid_of(policies.policy_for("sqs", arn)) == "New"  # but did not stay cached


def test_the_cache_is_bounded(moto, upstream, clock):
    sqs = moto.client("sqs", A)
    policies = ResourcePolicies(upstream, ttl=60.0, max_entries=3, clock=clock)
    arns = []
    for _ in range(5):
        name = unique("queue")
        sqs.create_queue(QueueName=name)
        arns.append(f"arn:aws:sqs:{REGION}:{A}:{name}")
        policies.policy_for("sqs", arns[-1])
    assert policies.cached("sqs", arns[0]) is None  # evicted
    assert policies.cached("sqs", arns[-1]) == ResourcePolicy(None, A)
    assert [policies.cached("sqs", arn) is not None for arn in arns] == [False, False, True, True, True]


@pytest.mark.parametrize(("service", "operation", "params", "dropped"), [
    ("s3", "PutBucketPolicy", {"Bucket": "b"}, [("s3", "b")]),
    ("sqs", "DeleteQueue", {"QueueUrl": "http://h/111111111111/q"}, [("sqs", "q")]),
    ("sqs", "CreateQueue", {"QueueName": "q"}, [("sqs", "q")]),
    ("sns", "AddPermission", {"TopicArn": "arn:aws:sns:us-east-1:111111111111:t"}, [("sns", "t")]),
    ("kms", "ScheduleKeyDeletion", {"KeyId": "arn:aws:kms:us-east-1:111111111111:key/k-1"}, [("kms", "k-1")]),
    ("kms", "PutKeyPolicy", {"KeyId": "k-1"}, [("kms", "k-1")]),
    ("kms", "DeleteAlias", {"AliasName": "alias/a"}, [("kms-alias", "alias/a")]),
    ("kms", "CreateKey", {}, []),
    ("lambda", "RemovePermission", {"FunctionName": "111111111111:function:f:live"}, [("lambda", "f")]),
    ("lambda", "DeleteFunction", {"FunctionName": "arn:aws:lambda:us-east-1:111111111111:function:f"},
     [("lambda", "f")]),
    ("secretsmanager", "DeleteResourcePolicy",
     {"SecretId": "arn:aws:secretsmanager:us-east-1:111111111111:secret:my-secret-AbC123"},
     [("secretsmanager", "my-secret-AbC123"), ("secretsmanager", "my-secret")]),
    ("secretsmanager", "DeleteSecret", {"SecretId": "db-secret"}, [("secretsmanager", "db-secret")]),
    ("s3", "GetObject", {"Bucket": "b", "Key": "k"}, []),  # reads change nothing
    ("dynamodb", "PutResourcePolicy", {"ResourceArn": "arn:aws:dynamodb:us-east-1:1:table/t"}, []),
])
def test_which_forwarded_requests_drop_what(service, operation, params, dropped):
    from iamd.gateway.resource_policies import _changed

    assert _changed(service, operation, params) == dropped


def test_arns_that_name_no_bucket_have_no_policy(policies, upstream):
    before = len(upstream.requests)
    assert policies.lookup("s3", f"arn:aws:s3:{REGION}:{A}:accesspoint/ap", A) == ResourcePolicy(None, None)
    assert reads(upstream, before) == []
