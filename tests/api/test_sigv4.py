"""SigV4 through real HTTP: what AWS refuses, with AWS's codes and messages, and never a 500."""

from __future__ import annotations

import contextlib
import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import botocore.auth
import httpx
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.api.server import ROOT_KEY_ID, ROOT_SECRET

FORM = "application/x-www-form-urlencoded; charset=utf-8"


@contextlib.contextmanager
def signing_time(when: datetime | None):
    """Make botocore's signer believe it is ``when``: the way to sign a request dated in the past."""
    if when is None:
        yield
        return
    real = botocore.auth.datetime.datetime

    class Frozen(real):
        @classmethod
        def utcnow(cls):
            return when.replace(tzinfo=None)

        @classmethod
        def now(cls, tz=None):
            return when if tz else when.replace(tzinfo=None)

    botocore.auth.datetime.datetime = Frozen
    try:
        yield
    finally:
        botocore.auth.datetime.datetime = real


def signed(server, params: dict, *, key=ROOT_KEY_ID, secret=ROOT_SECRET, service="iam", region="us-east-1",
           when: datetime | None = None, method="POST") -> AWSRequest:
    body = urlencode(params)
    if method == "POST":
        request = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers={"Content-Type": FORM})
    else:
        request = AWSRequest(method="GET", url=f"{server.endpoint}/?{body}")
    with signing_time(when):
        SigV4Auth(Credentials(key, secret), service, region).add_auth(request)
    return request


def send(request: AWSRequest) -> httpx.Response:
    prepared = request.prepare()
    return httpx.request(prepared.method, prepared.url, headers=dict(prepared.headers), content=prepared.body)


def error(response: httpx.Response) -> tuple[int, str, str]:
    import xml.etree.ElementTree as ET
    root = ET.fromstring(response.content)
    code = root.find(".//{*}Code")
    message = root.find(".//{*}Message")
    return response.status_code, code.text, message.text if message is not None else None


LIST = {"Action": "ListUsers", "Version": "2010-05-08"}


def test_a_signed_post_and_get_work(server):
    assert send(signed(server, LIST)).status_code == 200
    assert send(signed(server, LIST, method="GET")).status_code == 200


def test_any_region_in_the_scope(server):
    assert send(signed(server, LIST, region="ap-southeast-2")).status_code == 200


def test_missing_authentication(server):
    response = httpx.post(server.endpoint + "/", content=urlencode(LIST), headers={"Content-Type": FORM})
    assert error(response) == (403, "MissingAuthenticationToken", "Request is missing Authentication Token")


def test_tampered_body(server):
    request = signed(server, LIST)
    request.data = urlencode({**LIST, "MaxItems": "5"})
    prepared = request.prepare()
    response = httpx.post(prepared.url, headers=dict(prepared.headers), content=request.data)
    status, code, message = error(response)
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert message.startswith("The request signature we calculated does not match the signature you provided.")


def test_tampered_signature(server):
    request = signed(server, LIST)
    header = request.headers["Authorization"]
    request.headers.replace_header("Authorization", header[:-4] + ("0000" if not header.endswith("0000") else "1111"))
    assert error(send(request))[:2] == (403, "SignatureDoesNotMatch")


def test_wrong_secret(server):
    assert error(send(signed(server, LIST, secret="x" * 40)))[:2] == (403, "SignatureDoesNotMatch")


def test_unknown_key(server):
    assert error(send(signed(server, LIST, key="AKIAUNKNOWNUNKNOWN00"))) == (
        403, "InvalidClientTokenId", "The security token included in the request is invalid.")


@pytest.mark.parametrize("minutes, prefix", [(-20, "Signature expired: "), (20, "Signature not yet current: ")])
def test_request_dated_too_far_off(server, minutes, prefix):
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes)
    status, code, message = error(send(signed(server, LIST, when=when)))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    assert message.startswith(prefix + stamp)
    assert message.endswith("15 min.)")


def test_a_request_ten_minutes_old_is_accepted(server):
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    assert send(signed(server, LIST, when=when)).status_code == 200


def test_incomplete_authorization_header(server):
    request = signed(server, LIST)
    header = request.headers["Authorization"]
    request.headers.replace_header("Authorization", header.split(", Signature=")[0])
    status, code, message = error(send(request))
    assert (status, code) == (403, "IncompleteSignature")
    assert message.startswith("Authorization header requires 'Signature' parameter.")


@pytest.mark.parametrize("params, scope, expected", [
    (LIST, "s3", "iam"),
    (LIST, "sts", "iam"),
    ({"Action": "GetCallerIdentity", "Version": "2011-06-15"}, "iam", "sts"),
    ({"Action": "MakeCoffee", "Version": "2011-06-15"}, "ec2", "sts"),
])
def test_credential_scoped_to_another_service(server, params, scope, expected):
    """AWS names the service the endpoint expects, not the one the client wrote in its scope."""
    assert error(send(signed(server, params, service=scope))) == (
        403, "SignatureDoesNotMatch", f"Credential should be scoped to correct service: '{expected}'. ")


class _WithoutHost(SigV4Auth):
    """A correct signature over every header but Host: only AWS's rule can refuse it."""

    def headers_to_sign(self, request):
        headers = super().headers_to_sign(request)
        del headers["host"]
        return headers


def test_host_must_be_a_signed_header(server):
    """IAM User Guide, "Create a signed AWS API request": the host header must be signed; AWS answers a
    request that leaves it out with this message."""
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=urlencode(LIST), headers={"Content-Type": FORM})
    _WithoutHost(Credentials(ROOT_KEY_ID, ROOT_SECRET), "iam", "us-east-1").add_auth(request)
    assert "host" not in request.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    assert error(send(request)) == (
        403, "SignatureDoesNotMatch", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")


def test_presigned_url_must_sign_host(server):
    request = AWSRequest(method="GET", url=f"{server.endpoint}/?{urlencode(LIST)}")
    SigV4QueryAuth(Credentials(ROOT_KEY_ID, ROOT_SECRET), "iam", "us-east-1", expires=60).add_auth(request)
    url = request.prepare().url.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date")
    assert error(httpx.get(url))[:2] == (403, "SignatureDoesNotMatch")
    assert error(httpx.get(url))[2].startswith("'Host' or ':authority' must be a 'SignedHeader'")


@pytest.mark.parametrize("tamper", [False, True])
def test_unsigned_payload_is_not_honoured(server, tamper):
    """IAM User Guide, "Create a signed AWS API request": the canonical request ends with the hash of
    the payload; UNSIGNED-PAYLOAD is Amazon S3's option alone (S3 API Reference, "Signature Calculations
    for the Authorization Header"). A Query request's parameters are its body, so IAM and STS hash the
    body received: a signature over UNSIGNED-PAYLOAD does not match, and a changed body cannot pass."""
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=urlencode(LIST),
                         headers={"Content-Type": FORM, "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(ROOT_KEY_ID, ROOT_SECRET), "iam", "us-east-1").add_auth(request)
    assert "x-amz-content-sha256" in request.headers["Authorization"]
    smuggled = urlencode({"Action": "CreateUser", "Version": "2010-05-08", "UserName": "smuggled"})
    body = smuggled if tamper else request.data
    prepared = request.prepare()
    headers = {k: v for k, v in prepared.headers.items() if k.lower() != "content-length"}
    status, code, message = error(httpx.post(prepared.url, headers=headers, content=body))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert message.startswith("The request signature we calculated does not match")


def test_a_signed_content_hash_header_still_works(server):
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=urlencode(LIST), headers={"Content-Type": FORM})
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(request.data.encode()).hexdigest()
    SigV4Auth(Credentials(ROOT_KEY_ID, ROOT_SECRET), "iam", "us-east-1").add_auth(request)
    assert send(request).status_code == 200


@pytest.mark.parametrize("minutes, accepted", [(10, True), (30, False)])
def test_presigned_url_dated_in_the_future(server, minutes, accepted):
    """A presigned URL is held to the same 15-minute clock skew as a signed header ("Signature not yet
    current"); its X-Amz-Expires counts from X-Amz-Date (IAM User Guide, "Elements of an AWS API
    request signature"), so one dated ahead must not live for its expiry plus the offset."""
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes)
    request = AWSRequest(method="GET", url=f"{server.endpoint}/?{urlencode(LIST)}")
    with signing_time(when):
        SigV4QueryAuth(Credentials(ROOT_KEY_ID, ROOT_SECRET), "iam", "us-east-1", expires=3600).add_auth(request)
    response = httpx.get(request.prepare().url)
    if accepted:
        assert response.status_code == 200
    else:
        status, code, message = error(response)
        assert (status, code) == (403, "SignatureDoesNotMatch")
        assert message.startswith("Signature not yet current: " + when.strftime("%Y%m%dT%H%M%SZ"))


def test_presigned_url(server):
    request = AWSRequest(method="GET", url=f"{server.endpoint}/?{urlencode(LIST)}")
    SigV4QueryAuth(Credentials(ROOT_KEY_ID, ROOT_SECRET), "iam", "us-east-1", expires=60).add_auth(request)
    url = request.prepare().url
    assert httpx.get(url).status_code == 200
    assert error(httpx.get(url.replace("ListUsers", "ListGroups")))[:2] == (403, "SignatureDoesNotMatch")


def test_expired_presigned_url(server):
    request = AWSRequest(method="GET", url=f"{server.endpoint}/?{urlencode(LIST)}")
    with signing_time(datetime.now(UTC) - timedelta(minutes=5)):
        SigV4QueryAuth(Credentials(ROOT_KEY_ID, ROOT_SECRET), "iam", "us-east-1", expires=60).add_auth(request)
    status, code, message = error(httpx.get(request.prepare().url))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert message.startswith("Signature expired")


def test_unknown_action_and_unbuilt_operation(server):
    assert error(send(signed(server, {"Action": "MakeCoffee", "Version": "2010-05-08"})))[:2] == (400, "InvalidAction")
    unbuilt = {"Action": "AcceptDelegationRequest", "Version": "2010-05-08", "DelegationRequestId": "abcdefghijklmnop"}
    status, code, message = error(send(signed(server, unbuilt)))
    assert code == "NotImplemented" and "AcceptDelegationRequest" in message and status == 501


@pytest.mark.parametrize("body", [
    b"Action=ListUsers&Version=2010-05-08&MaxItems=abc",
    b"Action=ListUsers&Version=2010-05-08&MaxItems=0",
    b"Action=ListUsers&Version=2010-05-08&MaxItems=99999999999999999999999",
    b"Action=CreateUser&Version=2010-05-08",
    b"Action=CreateUser&Version=2010-05-08&UserName=%ZZ",
    b"Action=CreateUser&Version=2010-05-08&UserName=%FF%FE",
    b"Action=CreateUser&Version=2010-05-08&UserName=" + b"a" * 5000,
    b"Action=CreateUser&Version=2010-05-08&UserName=x&Tags.member.1.Key=k",
    b"Action=CreateUser&Version=2010-05-08&UserName=x&Tags.member.abc.Key=k&Tags.member.abc.Value=v",
    b"Action=TagUser&Version=2010-05-08&UserName=x&Tags.member.99999999999.Key=k&Tags.member.99999999999.Value=v",
    b"Action=&Version=",
    b"&&&==&=",
    b"Action=ListUsers&Version=1999-01-01",
    b"\xff\xfe\x00garbage",
    b"Action=GetUser&Version=2010-05-08&UserName=\xe2\x98\x83",
    b"Action=ListUsers&Version=2010-05-08&PathPrefix=" + "/日本/".encode(),
])
def test_malformed_bodies_never_give_a_500(server, body):
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers={"Content-Type": FORM})
    SigV4Auth(Credentials(ROOT_KEY_ID, ROOT_SECRET), "iam", "us-east-1").add_auth(request)
    response = send(request)
    assert response.status_code < 500 or response.status_code == 501, response.text
    if response.status_code != 200:
        assert error(response)[1]  # a well-formed AWS error document with a code


def test_response_envelope(server):
    response = send(signed(server, LIST))
    text = response.text
    assert text.startswith("<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">")
    assert "<ListUsersResult>" in text
    assert f"<RequestId>{response.headers['x-amzn-RequestId']}</RequestId>" in text


def test_error_envelope(server):
    response = send(signed(server, {"Action": "GetUser", "Version": "2010-05-08", "UserName": "nobody-x"}))
    assert response.status_code == 404
    text = response.text
    assert text.startswith("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">")
    assert "<Type>Sender</Type><Code>NoSuchEntity</Code>" in text
    assert f"<RequestId>{response.headers['x-amzn-RequestId']}</RequestId>" in text
