"""The gateway signs its forwards with iamd's own SigV4 (protocol/sigv4.py): the same Authorization header as
botocore's SigV4Auth and S3SigV4Auth give the same request (botocore is the reference: it is what the AWS
SDK for Python signs with). Cases: Amazon S3 with UNSIGNED-PAYLOAD and with a payload hash, the Query
protocol (a form body), the JSON protocol, a REST path that other services normalize and encode twice.

Reference: AWS General Reference / IAM User Guide, "Create a signed AWS API request" (canonical request,
string to sign, signing key) and Amazon S3 API Reference, "Signature Calculations for the Authorization
Header: Transferring Payload in a Single Chunk" (x-amz-content-sha256, UNSIGNED-PAYLOAD)."""

from __future__ import annotations

import hashlib

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from iamd.gateway.upstream import Upstream
from iamd.protocol import sigv4

KEY, SECRET = "AKIDUPSTREAM", "upstream-secret"
BASE = "http://127.0.0.1:5000"
ACCOUNT = "111111111111"


def _botocore(method: str, url: str, headers: dict[str, str], body: bytes | None, service: str) -> dict[str, str]:
    """What the gateway sent before: botocore's signer over the headers AWS requires signed."""
    request = AWSRequest(method=method, url=url, headers=headers, data=body if body is not None else b"")
    if service == "s3" or body is None:
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
        request.context["payload_signing_enabled"] = False
        S3SigV4Auth(Credentials(KEY, SECRET), service, "eu-west-1").add_auth(request)
    else:
        SigV4Auth(Credentials(KEY, SECRET), service, "eu-west-1").add_auth(request)
    return {name.lower(): value for name, value in request.headers.items()}


def _both(method: str, url: str, headers: dict[str, str], body: bytes | None, service: str):
    upstream = Upstream.from_settings(BASE, f"*={KEY}:{SECRET}")
    for _ in range(5):  # both date their signature now: again if a second passed in between
        ours = upstream.sign(method, url, dict(headers), body, service=service, region="eu-west-1",
                             account_id=ACCOUNT)
        theirs = _botocore(method, url, {**headers, "x-moto-account-id": ACCOUNT}, body, service)
        if ours["X-Amz-Date"] == theirs["x-amz-date"]:
            return {name.lower(): value for name, value in ours.items()}, theirs
    raise AssertionError("the clock kept moving")


CASES = {
    "s3 GetObject": ("GET", "/bucket/photos/2024%20trip/a%2Bb.jpg", "", {"x-amz-checksum-mode": "ENABLED"},
                     None, "s3"),
    "s3 ListObjectsV2": ("GET", "/bucket", "list-type=2&prefix=a%2Fb&max-keys=10", {}, None, "s3"),
    "s3 PutObject whole": ("PUT", "/bucket/k", "", {"content-type": "text/plain", "content-md5": "abc==",
                                                   "x-amz-meta-colour": "  blue   green ", "user-agent": "x"},
                           b"hello", "s3"),
    "query SendMessage": ("POST", "/", "", {"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
                          b"Action=SendMessage&MessageBody=hi%20there&QueueUrl=http%3A%2F%2Fq", "sqs"),
    "json GetItem": ("POST", "/", "", {"content-type": "application/x-amz-json-1.0",
                                       "x-amz-target": "DynamoDB_20120810.GetItem"}, b'{"TableName":"t"}',
                     "dynamodb"),
    "rest-json twice encoded": ("GET", "/2015-03-31/functions/my%3Afn/./x/../invocations", "Qualifier=%241",
                                {}, b"", "lambda"),
    "streamed non-S3 body": ("POST", "/2015-03-31/functions/f/invocations", "", {"content-type": "x/y"}, None,
                             "lambda"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_forward_s_signature_is_botocore_s(case):
    method, path, query, headers, body, service = CASES[case]
    url = BASE + path + (f"?{query}" if query else "")
    ours, theirs = _both(method, url, headers, body, service)
    assert ours["authorization"] == theirs["authorization"]
    assert ours.get("x-amz-content-sha256") == theirs.get("x-amz-content-sha256")
    assert ours["x-moto-account-id"] == ACCOUNT and "user-agent" not in ours["authorization"]
    assert ours == theirs  # every header the same, the unsigned ones (user-agent) passed on as they came


def test_s3_with_a_payload_hash_is_botocore_s():
    """botocore hashes an S3 payload over plain HTTP: the hash in x-amz-content-sha256, signed."""
    body = b"some bytes"
    request = AWSRequest(method="PUT", url=BASE + "/bucket/key", headers={"content-type": "a/b"}, data=body)
    S3SigV4Auth(Credentials(KEY, SECRET), "s3", "us-east-1").add_auth(request)
    amz_date = request.headers["X-Amz-Date"]
    payload_hash = hashlib.sha256(body).hexdigest()
    assert request.headers["X-Amz-Content-SHA256"] == payload_hash
    headers = {"content-type": "a/b", "host": "127.0.0.1:5000", "x-amz-date": amz_date,
               "x-amz-content-sha256": payload_hash}
    ours = sigv4.authorization_header("PUT", "/bucket/key", "", headers, payload_hash, access_key_id=KEY,
                                      secret=SECRET, region="us-east-1", service="s3", amz_date=amz_date, s3=True)
    assert ours == request.headers["Authorization"]


def test_the_signed_host_drops_a_default_port():
    assert Upstream.from_settings("http://moto:80").host == "moto"
    assert Upstream.from_settings("https://s3.example.com:443/").host == "s3.example.com"
    assert Upstream.from_settings("http://127.0.0.1:5000").host == "127.0.0.1:5000"
