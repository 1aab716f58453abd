"""S3's ways of carrying a payload and a signature through the gateway: presigned URLs, streamed signed
chunks, trailing checksums, payload hashes, time skew. Whatever is refused never reaches moto.

Sources: Amazon S3 API Reference, "Authenticating Requests: Using Query Parameters (AWS Signature
Version 4)" (presigned URLs, X-Amz-Expires), "Signature calculations for the Authorization Header:
Transferring payload in multiple chunks (chunked upload)", "... including trailing headers", and
"Error responses" (RequestTimeTooSkewed, XAmzContentSHA256Mismatch, BadDigest)."""

from __future__ import annotations

import datetime
import time
import xml.etree.ElementTree as ET

import boto3
import botocore.auth
import botocore.crt.auth
import botocore.exceptions
import httpx
import pytest
from botocore.config import Config

from tests.api.conftest import error_of, run_aws
from tests.api.gateway import s3_wire
from tests.api.gateway.conftest import ACCOUNT_ID, ROOT_KEY_ID, ROOT_SECRET, allow, as_user, gw_client


def _error(response: httpx.Response) -> tuple[str, str]:
    root = ET.fromstring(response.content)
    return root.findtext("Code"), root.findtext("Message")


def presign(s3, bucket: str, key: str, expires: int = 300) -> str:
    return s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires)


def _absent(moto, bucket: str, key: str) -> bool:
    return key not in [o["Key"] for o in moto.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]


@pytest.fixture
def bucket(gateway, unique):
    name = unique("pay")
    gw_client(gateway, "s3").create_bucket(Bucket=name)
    return name


def test_presigned_get_works_with_a_plain_http_client(gateway, moto, bucket):
    moto.client("s3").put_object(Bucket=bucket, Key="shared.txt", Body=b"for anyone with the link")
    url = presign(gw_client(gateway, "s3", signature_version="s3v4"), bucket, "shared.txt")
    answer = httpx.get(url)
    assert answer.status_code == 200
    assert answer.content == b"for anyone with the link"


def test_presigned_url_of_a_user_without_permission_is_refused(gateway, moto, bucket, principal):
    moto.client("s3").put_object(Bucket=bucket, Key="secret.txt", Body=b"s")
    user = principal(allow(("s3:ListBucket", "*")))
    url = presign(as_user(gateway, user, "s3", signature_version="s3v4"), bucket, "secret.txt")
    answer = httpx.get(url)
    assert answer.status_code == 403
    code, message = _error(answer)
    assert code == "AccessDenied"
    assert message == (f'User: {user["arn"]} is not authorized to perform: s3:GetObject on resource: '
                       f'"arn:aws:s3:::{bucket}/secret.txt" because no identity-based policy allows the '
                       "s3:GetObject action")


def test_expired_presigned_url_is_refused(gateway, moto, bucket):
    moto.client("s3").put_object(Bucket=bucket, Key="old.txt", Body=b"o")
    url = presign(gw_client(gateway, "s3", signature_version="s3v4"), bucket, "old.txt", expires=1)
    time.sleep(2.1)
    answer = httpx.get(url)
    assert answer.status_code == 403
    assert _error(answer) == ("AccessDenied", "Request has expired")


def test_signature_version_2_is_refused_with_s3_s_words(gateway, bucket):
    url = gw_client(gateway, "s3").generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    assert "AWSAccessKeyId=" in url  # boto3's default presigned URL for us-east-1: Signature Version 2
    answer = httpx.get(url)
    assert answer.status_code == 400
    assert _error(answer) == ("InvalidRequest", "The authorization mechanism you have provided is not supported. "
                                                "Please use AWS4-HMAC-SHA256.")
    header = httpx.get(f"{gateway.endpoint}/{bucket}/k", headers={"Authorization": "AWS AKIAEXAMPLE:c2lnbmF0dXJl"})
    assert header.status_code == 400
    assert _error(header)[0] == "InvalidRequest"


def test_a_tampered_presigned_url_is_refused(gateway, moto, bucket):
    moto.client("s3").put_object(Bucket=bucket, Key="a.txt", Body=b"a")
    moto.client("s3").put_object(Bucket=bucket, Key="b.txt", Body=b"b")
    url = presign(gw_client(gateway, "s3", signature_version="s3v4"), bucket, "a.txt")
    answer = httpx.get(url.replace("/a.txt?", "/b.txt?"))
    assert answer.status_code == 403
    assert _error(answer)[0] == "SignatureDoesNotMatch"


def test_a_request_dated_20_minutes_ago_is_too_skewed(gateway, bucket, monkeypatch):
    past = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: past)
    # With awscrt installed (iamd needs it for CRC32C/CRC64NVME) botocore signs with its CRT signers.
    monkeypatch.setattr(botocore.crt.auth, "get_current_datetime", lambda **_: past.replace(tzinfo=datetime.UTC))
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        gw_client(gateway, "s3").head_bucket(Bucket=bucket)
    assert error_of(refused)[2] == 403
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        gw_client(gateway, "s3").list_objects_v2(Bucket=bucket)
    assert error_of(refused)[0:2] == ("RequestTimeTooSkewed",
                                      "The difference between the request time and the current time is too large.")


@pytest.mark.parametrize("declared", [s3_wire.SIGNED, s3_wire.SIGNED_TRAILER, s3_wire.UNSIGNED_TRAILER])
def test_streamed_chunks_are_decoded_for_the_upstream(gateway, moto, bucket, declared):
    data = bytes(range(256)) * 1000  # 256,000 bytes: four chunks of 64 KiB
    url = f"{gateway.endpoint}/{bucket}/streamed.bin"
    headers, body = s3_wire.chunked_put(url, data, ROOT_KEY_ID, ROOT_SECRET, declared=declared)
    answer = httpx.put(url, headers=headers, content=body)
    assert answer.status_code == 200, answer.text
    assert moto.client("s3").get_object(Bucket=bucket, Key="streamed.bin")["Body"].read() == data


def test_a_bad_chunk_signature_is_refused_and_the_object_never_stored(gateway, moto, bucket):
    data = b"x" * 200_000
    url = f"{gateway.endpoint}/{bucket}/tampered.bin"
    headers, body = s3_wire.chunked_put(url, data, ROOT_KEY_ID, ROOT_SECRET, bad_chunk=2)
    answer = httpx.put(url, headers=headers, content=body)
    assert answer.status_code == 403
    assert _error(answer)[0] == "SignatureDoesNotMatch"
    assert _absent(moto, bucket, "tampered.bin")


def test_a_bad_last_chunk_signature_is_refused_too(gateway, moto, bucket):
    """The last (empty) chunk is signed as well: the data must still not be stored whole."""
    data = b"y" * 70_000
    url = f"{gateway.endpoint}/{bucket}/last.bin"
    headers, body = s3_wire.chunked_put(url, data, ROOT_KEY_ID, ROOT_SECRET, bad_chunk=2)  # 2 chunks + empty
    answer = httpx.put(url, headers=headers, content=body)
    assert answer.status_code == 403
    assert _absent(moto, bucket, "last.bin")


def test_a_bad_trailer_signature_or_checksum_is_refused(gateway, moto, bucket):
    url = f"{gateway.endpoint}/{bucket}/trailer.bin"
    headers, body = s3_wire.chunked_put(url, b"z" * 1000, ROOT_KEY_ID, ROOT_SECRET, declared=s3_wire.SIGNED_TRAILER,
                                        bad_trailer_signature=True)
    answer = httpx.put(url, headers=headers, content=body)
    assert answer.status_code == 403
    assert _error(answer)[0] == "SignatureDoesNotMatch"
    headers, body = s3_wire.chunked_put(url, b"z" * 1000, ROOT_KEY_ID, ROOT_SECRET, declared=s3_wire.UNSIGNED_TRAILER,
                                        checksum=s3_wire.crc32(b"something else"))
    answer = httpx.put(url, headers=headers, content=body)
    assert answer.status_code == 400
    assert _error(answer) == ("BadDigest", "The CRC32 you specified did not match the calculated checksum.")
    assert _absent(moto, bucket, "trailer.bin")


def test_a_payload_that_does_not_match_its_hash_is_refused(gateway, moto, bucket):
    url = f"{gateway.endpoint}/{bucket}/hashed.bin"
    headers = s3_wire.signed_headers("PUT", url, ROOT_KEY_ID, ROOT_SECRET, "a" * 64, {})
    answer = httpx.put(url, headers=headers, content=b"not what was hashed")
    assert answer.status_code == 400
    assert _error(answer)[0] == "XAmzContentSHA256Mismatch"
    assert _absent(moto, bucket, "hashed.bin")


def test_an_anonymous_request_is_refused_without_a_resource_policy(gateway, moto, bucket):
    moto.client("s3").put_object(Bucket=bucket, Key="private.txt", Body=b"p")
    answer = httpx.get(f"{gateway.endpoint}/{bucket}/private.txt")
    assert answer.status_code == 403
    assert _error(answer) == ("AccessDenied", "Access Denied")


def test_boto3_default_uploads_and_downloads(gateway, moto, bucket):
    """boto3 as it comes (≥ 1.36: checksums by default), a body of several megabytes each way."""
    s3 = gw_client(gateway, "s3")
    data = bytes(range(256)) * 40_000  # 10 MB
    s3.put_object(Bucket=bucket, Key="big.bin", Body=data)
    assert moto.client("s3").head_object(Bucket=bucket, Key="big.bin")["ContentLength"] == len(data)
    assert s3.get_object(Bucket=bucket, Key="big.bin")["Body"].read() == data


def _trailer_over_http(params, **_):
    """botocore sends its trailing checksum only over HTTPS ("We only use trailers over TLS"); the
    gateway's tests talk plain HTTP, so the trailer is asked for here: botocore's own aws-chunked body."""
    algorithm = params["context"].get("checksum", {}).get("request_algorithm")
    if isinstance(algorithm, dict):
        algorithm["in"] = "trailer"


@pytest.mark.parametrize("algorithm", ["CRC32C", "CRC64NVME"])
def test_boto3_uploads_with_crc32c_and_crc64nvme_trailers_pass(gateway, moto, bucket, algorithm):
    """Amazon S3 User Guide, "Checking object integrity in Amazon S3": CRC32C and CRC64NVME are S3's
    checksum algorithms, sent by the SDKs as a trailing checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER)."""
    s3 = gw_client(gateway, "s3")
    s3.meta.events.register("before-call.s3.PutObject", _trailer_over_http)
    data = bytes(range(256)) * 4096  # 1 MiB, several chunks
    sent: list = []
    s3.meta.events.register("before-send.s3.PutObject", lambda request, **_: sent.append(
        {name.lower(): value.decode() if isinstance(value, bytes) else value
         for name, value in request.headers.items()}))
    s3.put_object(Bucket=bucket, Key=f"{algorithm}.bin", Body=data, ChecksumAlgorithm=algorithm)
    assert sent[0]["x-amz-trailer"] == f"x-amz-checksum-{algorithm.lower()}"  # the trailer was sent
    assert sent[0]["x-amz-content-sha256"] == s3_wire.UNSIGNED_TRAILER
    assert _stored(moto, bucket, f"{algorithm}.bin") == data


def _stored(moto, bucket: str, key: str) -> bytes:
    """The object's bytes at moto, its checksum not validated: moto computes CRC32C without the
    optional crc32c package (its documentation says so), and boto3 would refuse its x-amz-checksum-crc32c."""
    client = boto3.session.Session().client(
        "s3", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="moto", aws_secret_access_key="moto",
        config=Config(response_checksum_validation="when_required", s3={"addressing_style": "path"}))
    client.meta.events.register_first("before-sign.*.*",
                                      lambda request, **_: request.headers.__setitem__("x-moto-account-id", ACCOUNT_ID))
    return client.get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.mark.parametrize("algorithm", ["crc32c", "crc64nvme"])
def test_a_crc32c_or_crc64nvme_trailer_that_does_not_match_is_refused(gateway, moto, bucket, algorithm):
    """Amazon S3 API Reference, "Error responses": BadDigest. The body is refused before its last byte
    reaches the upstream, which then stores nothing."""
    url = f"{gateway.endpoint}/{bucket}/{algorithm}-bad.bin"
    data = b"q" * 150_000
    for declared in (s3_wire.UNSIGNED_TRAILER, s3_wire.SIGNED_TRAILER):
        headers, body = s3_wire.chunked_put(url, data, ROOT_KEY_ID, ROOT_SECRET, declared=declared,
                                            algorithm=algorithm,
                                            checksum=s3_wire.checksum_of(algorithm, b"something else"))
        answer = httpx.put(url, headers=headers, content=body)
        assert answer.status_code == 400
        assert _error(answer) == ("BadDigest", f"The {algorithm.upper()} you specified did not match the "
                                               "calculated checksum.")
        assert _absent(moto, bucket, f"{algorithm}-bad.bin")
    # The same body with its right checksum is stored: the refusal was the checksum's.
    headers, body = s3_wire.chunked_put(url, data, ROOT_KEY_ID, ROOT_SECRET, declared=s3_wire.UNSIGNED_TRAILER,
                                        algorithm=algorithm)
    assert httpx.put(url, headers=headers, content=body).status_code == 200
    assert _stored(moto, bucket, f"{algorithm}-bad.bin") == data


def test_aws_cli_upload_with_crc32c(gateway, moto, bucket, tmp_path):
    """`aws s3 cp --checksum-algorithm CRC32C` (AWS CLI Command Reference, s3 cp) through the gateway."""
    source = tmp_path / "upload.bin"
    source.write_bytes(b"c" * 300_000)
    done = run_aws(gateway, "s3", "cp", str(source), f"s3://{bucket}/cli-crc32c.bin", "--checksum-algorithm", "CRC32C")
    assert done.returncode == 0, done.stderr
    assert moto.client("s3").head_object(Bucket=bucket, Key="cli-crc32c.bin")["ContentLength"] == 300_000
