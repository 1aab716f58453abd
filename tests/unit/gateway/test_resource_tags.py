"""gateway/resource_tags.py's pure parts: which items get which tag keys (Service Authorization
Reference: s3:ExistingObjectTag on the actions listing it, aws:ResourceTag on the resource types listing
it), where the tags are read, and which forwarded requests drop which cached tags."""

from __future__ import annotations

from iamd.gateway.authz import AuthorizationItem
from iamd.gateway.resource_tags import changed, needs_tags, source_of

ACCOUNT = "123456789012"


def test_an_object_read_gets_existing_object_tags_and_a_bucket_none() -> None:
    source = source_of(AuthorizationItem("s3:GetObject", "arn:aws:s3:::b/k/x.txt", {"s3:VersionId": "v1"}),
                       ACCOUNT, ACCOUNT)
    assert source is not None
    assert source.prefixes == ("s3:ExistingObjectTag/",) and source.key[-1] == "v1"
    assert ("s3-object", "b/k/x.txt") in source.names and ("s3-bucket", "b") in source.names
    assert source.context({"team": "blue"}) == {"s3:ExistingObjectTag/team": "blue"}
    # PutObject does not list the key (the object's tags are the request's: s3:RequestObjectTag).
    assert source_of(AuthorizationItem("s3:PutObject", "arn:aws:s3:::b/k"), ACCOUNT, ACCOUNT) is None
    # A bucket: ABAC is off by default for general purpose buckets.
    assert source_of(AuthorizationItem("s3:ListBucket", "arn:aws:s3:::b"), ACCOUNT, ACCOUNT) is None


def test_resource_tags_for_each_service_and_none_for_star() -> None:
    cases = {
        "sqs:SendMessage": (f"arn:aws:sqs:us-east-1:{ACCOUNT}:q1", ("sqs", "q1")),
        "sns:Publish": (f"arn:aws:sns:us-east-1:{ACCOUNT}:t1", ("sns", "t1")),
        "kms:Encrypt": (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-1", ("kms", "k-1")),
        "lambda:InvokeFunction": (f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f1:live", ("lambda", "f1")),
        "secretsmanager:GetSecretValue": (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbC123",
                                          ("secretsmanager", "db-AbC123")),
        "dynamodb:Query": (f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/T/index/I", ("dynamodb", "T")),
        "ssm:GetParameter": (f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/db", ("ssm", "app/db")),
    }
    for action, (arn, name) in cases.items():
        source = source_of(AuthorizationItem(action, arn), None, ACCOUNT)
        assert source is not None and name in source.names, action
        assert "aws:ResourceTag/" in source.prefixes
    secret = source_of(AuthorizationItem("secretsmanager:GetSecretValue", cases["secretsmanager:GetSecretValue"][0]),
                       None, ACCOUNT)
    assert secret is not None and ("secretsmanager", "db") in secret.names  # the name without the suffix too
    assert secret.prefixes == ("aws:ResourceTag/", "secretsmanager:ResourceTag/")
    assert source_of(AuthorizationItem("sqs:ListQueues", "*"), None, ACCOUNT) is None
    alias = AuthorizationItem("kms:Encrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/a")
    assert source_of(alias, None, ACCOUNT) is None


def test_a_remembered_source_is_the_one_its_item_and_accounts_make() -> None:
    """source_of is remembered by action, resource, version id and accounts: each of them tells sources apart."""
    def key(version: object = None, owner: str | None = ACCOUNT, caller: str = ACCOUNT, resource: str = "b/k"):
        context = {} if version is None else {"s3:VersionId": version}
        source = source_of(AuthorizationItem("s3:GetObject", f"arn:aws:s3:::{resource}", context), owner, caller)
        return source.key if source is not None else None

    for _ in range(2):
        assert key() == ("s3-object", ACCOUNT, "b", "k", "")
        assert key("v2") == ("s3-object", ACCOUNT, "b", "k", "v2")
        assert key(owner="210987654321") == ("s3-object", "210987654321", "b", "k", "")
        assert key(owner=None, caller="111111111111") == ("s3-object", "111111111111", "b", "k", "")
        assert key(resource="b/other") == ("s3-object", ACCOUNT, "b", "other", "")
        assert key(resource="b/" + "k" * 2000)[3] == "k" * 2000  # too long to remember: made each time
    assert key(["not", "a", "string"])[-1] == "['not', 'a', 'string']"  # unhashable: made each time


def test_forwarded_changes_name_the_tags_they_drop() -> None:
    assert changed("s3", "PutObjectTagging", {"Bucket": "b", "Key": "k"}) == [("s3-object", "b/k")]
    assert changed("s3", "DeleteObjects", {"Bucket": "b"}) == [("s3-bucket", "b")]
    assert changed("sqs", "TagQueue", {"QueueUrl": f"http://h/{ACCOUNT}/q1"}) == [("sqs", "q1")]
    assert changed("kms", "UntagResource", {"KeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-1"}) == [("kms", "k-1")]
    assert changed("lambda", "TagResource", {"Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f1"}) == [
        ("lambda", "f1")]
    assert changed("secretsmanager", "TagResource", {
        "SecretId": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbC123"}) == [
        ("secretsmanager", "db-AbC123"), ("secretsmanager", "db")]
    assert changed("ssm", "DeleteParameters", {"Names": ["/app/db", "x"]}) == [("ssm", "app/db"), ("ssm", "x")]
    assert changed("s3", "GetObject", {"Bucket": "b", "Key": "k"}) == []


def test_only_tag_keys_call_for_tags() -> None:
    assert needs_tags(["aws:ResourceTag/team"]) and needs_tags(["s3:ExistingObjectTag/x"])
    assert needs_tags(["secretsmanager:ResourceTag/x"])
    assert not needs_tags(["aws:RequestTag/team", "aws:SourceIp"])
