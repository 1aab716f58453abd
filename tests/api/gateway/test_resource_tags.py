"""Tag-based conditions on the resource a request names, through iamd in front of moto:
s3:ExistingObjectTag/<key> on S3 objects and aws:ResourceTag/<key> on SQS queues, KMS keys and
Secrets Manager secrets, with tags read from the upstream, cached, and dropped when iamd forwards a
change to them (a re-tag, a deletion and re-creation), so that the next request sees the new tags.

Sources: Amazon S3 User Guide, "Tagging and access control policies" (s3:ExistingObjectTag/<tag-key>
on GetObject and the object-tagging actions); IAM User Guide, "Controlling access to AWS resources
using tags" (aws:ResourceTag/<tag-key>); Amazon SQS Developer Guide, "Attribute-based access control
(ABAC) for Amazon SQS"; AWS KMS Developer Guide, "Using tags to control access to KMS keys"; AWS Secrets
Manager User Guide, "Control access to secrets using tags"; Service Authorization Reference for each
(which actions and resource types carry the keys); IAM User Guide, "Troubleshoot access denied error
messages" (the refusals' wording).
"""

from __future__ import annotations

import io
import json
import zipfile

import botocore.exceptions
import pytest

from tests.api.conftest import error_of
from tests.api.gateway.conftest import ACCOUNT_ID, as_user, gw_client


def _allow_if(action: str, key: str, value: str, resource: str = "*", *extra: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resource,
         "Condition": {"StringEquals": {key: value}}}, *extra]}


def _denied(user: dict, action: str, resource: str, quote: bool = False) -> str:
    shown = f'"{resource}"' if quote else resource
    return (f"User: {user['arn']} is not authorized to perform: {action} on resource: {shown} "
            f"because no identity-based policy allows the {action} action")


def test_s3_existing_object_tag_allows_blue_refuses_red_and_sees_a_re_tag_at_once(gateway, moto, principal, unique):
    bucket = unique("tagged")
    root = gw_client(gateway, "s3")
    root.create_bucket(Bucket=bucket)
    root.put_object(Bucket=bucket, Key="blue.txt", Body=b"blue", Tagging="team=blue")
    root.put_object(Bucket=bucket, Key="red.txt", Body=b"red", Tagging="team=red")
    user = principal(_allow_if("s3:GetObject", "s3:ExistingObjectTag/team", "blue", f"arn:aws:s3:::{bucket}/*"))
    s3 = as_user(gateway, user, "s3")

    assert s3.get_object(Bucket=bucket, Key="blue.txt")["Body"].read() == b"blue"
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.get_object(Bucket=bucket, Key="red.txt")
    assert error_of(refused) == ("AccessDenied", _denied(user, "s3:GetObject", f"arn:aws:s3:::{bucket}/red.txt",
                                                         quote=True), 403)

    # Re-tagged through iamd: the cached "red" is dropped, the next read is allowed at once.
    root.put_object_tagging(Bucket=bucket, Key="red.txt", Tagging={"TagSet": [{"Key": "team", "Value": "blue"}]})
    assert s3.get_object(Bucket=bucket, Key="red.txt")["Body"].read() == b"red"
    # And back to red: refused again at once; then the object replaced by an untagged one: still refused.
    root.delete_object_tagging(Bucket=bucket, Key="red.txt")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.head_object(Bucket=bucket, Key="red.txt")  # HeadObject is s3:GetObject
    assert error_of(refused)[2] == 403
    root.put_object(Bucket=bucket, Key="blue.txt", Body=b"new, untagged")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.get_object(Bucket=bucket, Key="blue.txt")
    assert error_of(refused)[0] == "AccessDenied"


def test_s3_existing_object_tag_in_a_deny(gateway, moto, principal, unique):
    bucket = unique("tagdeny")
    root = gw_client(gateway, "s3")
    root.create_bucket(Bucket=bucket)
    root.put_object(Bucket=bucket, Key="doc.txt", Body=b"d", Tagging="class=public")
    user = principal({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"StringEquals": {"s3:ExistingObjectTag/class": "secret"}}}]})
    s3 = as_user(gateway, user, "s3")
    assert s3.get_object(Bucket=bucket, Key="doc.txt")["Body"].read() == b"d"
    root.put_object_tagging(Bucket=bucket, Key="doc.txt", Tagging={"TagSet": [{"Key": "class", "Value": "secret"}]})
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.get_object(Bucket=bucket, Key="doc.txt")
    assert error_of(refused) == (
        "AccessDenied", f"User: {user['arn']} is not authorized to perform: s3:GetObject on resource: "
        f"\"arn:aws:s3:::{bucket}/doc.txt\" with an explicit deny in an identity-based policy", 403)


def test_sqs_resource_tag_allow_deny_re_tag_and_re_creation(gateway, moto, principal, unique):
    root = gw_client(gateway, "sqs")
    blue = root.create_queue(QueueName=unique("blue"), tags={"team": "blue"})["QueueUrl"]
    red_name = unique("red")
    red = root.create_queue(QueueName=red_name, tags={"team": "red"})["QueueUrl"]
    user = principal(_allow_if("sqs:SendMessage", "aws:ResourceTag/team", "blue", "*", {
        "Effect": "Deny", "Action": "sqs:*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/locked": "true"}}}))
    sqs = as_user(gateway, user, "sqs")

    sqs.send_message(QueueUrl=blue, MessageBody="to blue")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        sqs.send_message(QueueUrl=red, MessageBody="to red")
    assert error_of(refused) == ("AccessDenied", _denied(
        user, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{red_name}"), 403)
    assert "Messages" not in moto.client("sqs").receive_message(QueueUrl=red, WaitTimeSeconds=0)

    root.tag_queue(QueueUrl=red, Tags={"team": "blue"})  # through iamd: seen at once
    sqs.send_message(QueueUrl=red, MessageBody="now blue")
    root.tag_queue(QueueUrl=blue, Tags={"locked": "true"})  # a Deny on a tag, seen at once
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        sqs.send_message(QueueUrl=blue, MessageBody="locked")
    assert error_of(refused)[0] == "AccessDenied"
    assert "with an explicit deny in an identity-based policy" in error_of(refused)[1]
    root.untag_queue(QueueUrl=blue, TagKeys=["locked"])
    sqs.send_message(QueueUrl=blue, MessageBody="unlocked")

    # Deleted and re-created under the same name with other tags: the new queue's tags decide.
    root.delete_queue(QueueUrl=red)
    red = root.create_queue(QueueName=red_name, tags={"team": "red"})["QueueUrl"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        sqs.send_message(QueueUrl=red, MessageBody="to the new red")
    assert error_of(refused)[0] == "AccessDenied"


def test_kms_resource_tag_allow_and_re_tag(gateway, moto, principal):
    root = gw_client(gateway, "kms")
    blue = root.create_key(Tags=[{"TagKey": "team", "TagValue": "blue"}])["KeyMetadata"]["KeyId"]
    red = root.create_key(Tags=[{"TagKey": "team", "TagValue": "red"}])["KeyMetadata"]["KeyId"]
    user = principal(_allow_if("kms:Encrypt", "aws:ResourceTag/team", "blue"))
    kms = as_user(gateway, user, "kms")

    assert kms.encrypt(KeyId=blue, Plaintext=b"p")["CiphertextBlob"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        kms.encrypt(KeyId=red, Plaintext=b"p")
    assert error_of(refused) == ("AccessDeniedException", _denied(
        user, "kms:Encrypt", f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/{red}"), 400)

    root.tag_resource(KeyId=red, Tags=[{"TagKey": "team", "TagValue": "blue"}])
    assert kms.encrypt(KeyId=red, Plaintext=b"p")["CiphertextBlob"]
    root.untag_resource(KeyId=blue, TagKeys=["team"])
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        kms.encrypt(KeyId=blue, Plaintext=b"p")
    assert error_of(refused)[0] == "AccessDeniedException"


def test_secrets_manager_resource_tag_allow_deny_and_re_tag(gateway, moto, principal, unique):
    root = gw_client(gateway, "secretsmanager")
    blue, red = unique("blue"), unique("red")
    root.create_secret(Name=blue, SecretString="b", Tags=[{"Key": "team", "Value": "blue"}])
    red_arn = root.create_secret(Name=red, SecretString="r", Tags=[{"Key": "team", "Value": "red"}])["ARN"]
    user = principal(_allow_if("secretsmanager:GetSecretValue", "aws:ResourceTag/team", "blue", "*", {
        "Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*",
        "Condition": {"StringEquals": {"secretsmanager:ResourceTag/frozen": "yes"}}}))
    secrets = as_user(gateway, user, "secretsmanager")

    assert secrets.get_secret_value(SecretId=blue)["SecretString"] == "b"
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        secrets.get_secret_value(SecretId=red)
    assert error_of(refused) == ("AccessDeniedException", _denied(
        user, "secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT_ID}:secret:{red}"), 400)

    root.tag_resource(SecretId=red_arn, Tags=[{"Key": "team", "Value": "blue"}])  # by ARN, read by name
    assert secrets.get_secret_value(SecretId=red)["SecretString"] == "r"
    assert secrets.get_secret_value(SecretId=red_arn)["SecretString"] == "r"
    root.tag_resource(SecretId=blue, Tags=[{"Key": "frozen", "Value": "yes"}])
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        secrets.get_secret_value(SecretId=blue)
    assert "with an explicit deny in an identity-based policy" in error_of(refused)[1]


def test_sns_dynamodb_and_ssm_resource_tags(gateway, moto, principal, unique):
    """Amazon SNS, DynamoDB and Systems Manager: aws:ResourceTag on topics, tables and parameters
    (Service Authorization Reference for each: the resource types list the key)."""
    sns, dynamodb, ssm = (gw_client(gateway, name) for name in ("sns", "dynamodb", "ssm"))
    blue_topic = sns.create_topic(Name=unique("blue"), Tags=[{"Key": "team", "Value": "blue"}])["TopicArn"]
    red_topic = sns.create_topic(Name=unique("red"), Tags=[{"Key": "team", "Value": "red"}])["TopicArn"]
    tables = {}
    for team in ("blue", "red"):
        tables[team] = unique(team)
        dynamodb.create_table(TableName=tables[team], KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST", Tags=[{"Key": "team", "Value": team}])
        ssm.put_parameter(Name=f"/{tables[team]}/p", Value=team, Type="String", Tags=[{"Key": "team", "Value": team}])
    user = principal(_allow_if(["sns:Publish", "dynamodb:GetItem", "ssm:GetParameter"], "aws:ResourceTag/team",
                               "blue"))
    as_sns, as_dynamodb, as_ssm = (as_user(gateway, user, name) for name in ("sns", "dynamodb", "ssm"))

    as_sns.publish(TopicArn=blue_topic, Message="m")
    as_dynamodb.get_item(TableName=tables["blue"], Key={"id": {"S": "1"}})
    assert as_ssm.get_parameter(Name=f"/{tables['blue']}/p")["Parameter"]["Value"] == "blue"
    for call in (lambda: as_sns.publish(TopicArn=red_topic, Message="m"),
                 lambda: as_dynamodb.get_item(TableName=tables["red"], Key={"id": {"S": "1"}}),
                 lambda: as_ssm.get_parameter(Name=f"/{tables['red']}/p")):
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            call()
        assert error_of(refused)[0] in ("AuthorizationError", "AccessDeniedException")
        assert "because no identity-based policy allows" in error_of(refused)[1]
    # Re-tagged through iamd: seen at once.
    sns.tag_resource(ResourceArn=red_topic, Tags=[{"Key": "team", "Value": "blue"}])
    as_sns.publish(TopicArn=red_topic, Message="m")
    red_table = dynamodb.describe_table(TableName=tables["red"])["Table"]["TableArn"]
    dynamodb.tag_resource(ResourceArn=red_table, Tags=[{"Key": "team", "Value": "blue"}])
    as_dynamodb.get_item(TableName=tables["red"], Key={"id": {"S": "1"}})
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=f"/{tables['red']}/p",
                             Tags=[{"Key": "team", "Value": "blue"}])
    assert as_ssm.get_parameter(Name=f"/{tables['red']}/p")["Parameter"]["Value"] == "red"


def test_lambda_resource_tag_allow_and_re_tag(gateway, moto, principal, unique):
    """AWS Lambda: aws:ResourceTag on functions, read by ListTags (AWS Lambda Developer Guide, "Secure your
    functions by tag": lambda:GetFunction allowed on a function's tag; Service Authorization Reference for
    AWS Lambda: the function resource type lists aws:ResourceTag/${TagKey})."""
    role = moto.client("iam").create_role(RoleName=unique("fn-role"), AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]
    root = gw_client(gateway, "lambda")
    names = {}
    for team in ("blue", "red"):
        names[team] = unique(team)
        root.create_function(FunctionName=names[team], Runtime="python3.11", Role=role["Arn"], Handler="fn.handler",
                             Code={"ZipFile": _zip()}, Tags={"team": team})
    user = principal(_allow_if("lambda:GetFunction", "aws:ResourceTag/team", "blue"))
    lam = as_user(gateway, user, "lambda")

    assert lam.get_function(FunctionName=names["blue"])["Configuration"]["FunctionName"] == names["blue"]
    red_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:{names['red']}"
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        lam.get_function(FunctionName=names["red"])
    assert error_of(refused) == ("AccessDeniedException", _denied(user, "lambda:GetFunction", red_arn), 403)

    # Re-tagged through iamd: the cached "red" is dropped, the next read is allowed at once; untagged, refused.
    root.tag_resource(Resource=red_arn, Tags={"team": "blue"})
    assert lam.get_function(FunctionName=names["red"])["Configuration"]["FunctionName"] == names["red"]
    root.untag_resource(Resource=red_arn, TagKeys=["team"])
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        lam.get_function(FunctionName=names["red"])
    assert error_of(refused)[0] == "AccessDeniedException"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("fn.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()
