"""The authorization API's decisions on the record: Verify, Authorize and VerifyAndAuthorize made with
iamd.client, then read back with CloudTrail's LookupEvents (boto3) from the same server.

Sources: AWS CloudTrail User Guide, "CloudTrail record contents for management, data, and network
activity events" (the fields; readOnly), "CloudTrail userIdentity element", and "LookupEvents" (AWS
CloudTrail API Reference: LookupAttributes EventSource, EventName); docs/authorization-api.md (the
operations and their answers).
"""

from __future__ import annotations

import json

import pytest

from iamd.client import AuthorizationApiError, AuthorizationClient
from tests.api.conftest import ACCOUNT_ID, client
from tests.api.test_authorization_api import SERVICE_POLICY, allow, presigned_request, signed_request


def _events(server, name: str) -> list[dict]:
    trail = client(server, "cloudtrail")
    pages = trail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])
    return [json.loads(event["CloudTrailEvent"]) for page in pages for event in page["Events"]]


def _of_service(server, name: str, service_user: str) -> list[dict]:
    return [r for r in _events(server, name) if r["userIdentity"].get("userName") == service_user]


@pytest.fixture
def keys(server, unique):
    iam = client(server, "iam")
    service, alice = unique("svc"), unique("alice")
    iam.create_user(UserName=service)
    iam.put_user_policy(UserName=service, PolicyName="authz", PolicyDocument=SERVICE_POLICY)
    service_key = iam.create_access_key(UserName=service)["AccessKey"]
    iam.create_user(UserName=alice)
    iam.put_user_policy(UserName=alice, PolicyName="orders",
                        PolicyDocument=allow("orders:GetOrder", f"arn:aws:orders:us-east-1:{ACCOUNT_ID}:order/*"))
    alice_key = iam.create_access_key(UserName=alice)["AccessKey"]
    return {"service": service, "service_key": service_key, "alice": alice, "alice_key": alice_key}


def test_decisions_are_recorded_with_their_answers_and_no_secret(server, keys):
    service_key, alice_key = keys["service_key"], keys["alice_key"]
    alice_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{keys['alice']}"
    order = f"arn:aws:orders:us-east-1:{ACCOUNT_ID}:order/o-9"
    material = signed_request(alice_key["AccessKeyId"], alice_key["SecretAccessKey"])
    with AuthorizationClient(server.endpoint, service_key["AccessKeyId"], service_key["SecretAccessKey"]) as iamd:
        assert iamd.verify(material, service="orders")["Authenticated"] is True
        decided = iamd.authorize(alice_arn, ["orders:GetOrder", "orders:CancelOrder"], [order],
                                 context={"aws:SourceIp": "10.0.0.7"})
        fused = iamd.verify_and_authorize(presigned_request(alice_key["AccessKeyId"], alice_key["SecretAccessKey"]),
                                          ["orders:GetOrder"], [order], service="orders")
        forged = iamd.verify(signed_request(alice_key["AccessKeyId"], "not the secret"), service="orders")
    assert [r["Allowed"] for r in decided["Results"]] == [True, False] and fused["Results"][0]["Allowed"]
    assert forged["Authenticated"] is False

    verify = _of_service(server, "Verify", keys["service"])
    assert len(verify) == 2
    bad, good = verify  # newest first
    assert good["eventSource"] == "iamd.amazonaws.com" and good["eventName"] == "Verify"
    assert good["readOnly"] is True and good["eventType"] == "AwsApiCall"
    assert good["userIdentity"]["accessKeyId"] == service_key["AccessKeyId"]
    assert good["requestParameters"] == {"service": "orders", "request": {"method": "GET", "path": "/orders/o-1"}}
    assert good["iamdAuthorization"]["verified"] == {"authenticated": True, "arn": alice_arn,
                                                     "accountId": ACCOUNT_ID,
                                                     "accessKeyId": alice_key["AccessKeyId"]}
    assert bad["iamdAuthorization"]["verified"] == {"authenticated": False, "errorCode": "SignatureDoesNotMatch"}

    (authorize,) = _of_service(server, "Authorize", keys["service"])
    assert authorize["readOnly"] is True
    assert authorize["requestParameters"]["principalArn"] == alice_arn
    assert authorize["iamdAuthorization"]["decisions"] == [
        {"action": "orders:GetOrder", "resource": order, "decision": "allowed"},
        {"action": "orders:CancelOrder", "resource": order, "decision": "implicitDeny", "deniedBy": "IAM Policy"}]

    (both,) = _of_service(server, "VerifyAndAuthorize", keys["service"])
    assert both["iamdAuthorization"]["verified"]["arn"] == alice_arn
    assert both["iamdAuthorization"]["decisions"] == [
        {"action": "orders:GetOrder", "resource": order, "decision": "allowed"}]

    # Neither secret nor signature nor a presigned URL's query string is anywhere in the records.
    text = json.dumps(verify + [authorize, both])
    assert alice_key["SecretAccessKey"] not in text and service_key["SecretAccessKey"] not in text
    signature = dict(material["Headers"])["Authorization"].rsplit("Signature=", 1)[1]
    assert signature not in text
    assert "X-Amz-Signature" not in text and '"Authorization"' not in text and "AWS4-HMAC-SHA256" not in text


def test_a_refused_decision_call_is_recorded_too(server, keys, unique):
    iam = client(server, "iam")
    nobody = unique("nobody")
    iam.create_user(UserName=nobody)
    key = iam.create_access_key(UserName=nobody)["AccessKey"]
    with AuthorizationClient(server.endpoint, key["AccessKeyId"], key["SecretAccessKey"]) as iamd:
        with pytest.raises(AuthorizationApiError) as refused:
            iamd.authorize(f"arn:aws:iam::{ACCOUNT_ID}:user/{keys['alice']}", ["orders:GetOrder"])
    assert refused.value.code == "AccessDeniedException"
    (record,) = _of_service(server, "Authorize", nobody)
    assert record["errorCode"] == "AccessDenied" and record["readOnly"] is True
    assert "iamd:Authorize" in record["errorMessage"]
    assert "decisions" not in record["iamdAuthorization"]
