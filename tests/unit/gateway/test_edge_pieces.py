"""The gateway edge's pure pieces: its settings, the routing decision, the upstream's accounts and
signature, the refusal shapes, and S3's aws-chunked decoding (AWS's example from "Signature
calculations for the Authorization Header: Transferring payload in multiple chunks (chunked upload)")."""

from __future__ import annotations

import asyncio
import json

import pytest

from iamd.cli.main import build_parser
from iamd.cli.settings_flags import settings_from
from iamd.errors import AccessDenied, SignatureDoesNotMatch
from iamd.gateway import body as bodies
from iamd.gateway.forward import forwarded_headers, forwarded_query
from iamd.gateway.refusals import render
from iamd.gateway.upstream import Upstream, parse_credentials
from iamd.web.gateway import for_gateway


def test_serve_takes_upstream_as_a_flag(monkeypatch):
    monkeypatch.delenv("IAMD_UPSTREAM_URL", raising=False)
    args = build_parser().parse_args(["serve", "--upstream", "http://127.0.0.1:5000"])
    assert settings_from(args).upstream_url == "http://127.0.0.1:5000"
    with pytest.raises(SystemExit):
        settings_from(build_parser().parse_args(["serve", "--upstream", "ftp://x/y"]))


def _scope(path: str, headers: dict[str, str], query: str = "") -> dict:
    return {"type": "http", "path": path, "query_string": query.encode(),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}


def _auth(service: str) -> dict[str, str]:
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/{service}/aws4_request, "
                             "SignedHeaders=host, Signature=00"}


def test_routing_keeps_iamd_s_own_requests():
    assert not for_gateway(_scope("/", _auth("iam")))
    assert not for_gateway(_scope("/", _auth("sts")))
    cloudtrail = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
    assert not for_gateway(_scope("/", {"X-Amz-Target": cloudtrail}))
    assert not for_gateway(_scope("/", {"X-Amz-Target": "IamdAuthorization.VerifyAndAuthorize", **_auth("iamd")}))
    assert not for_gateway(_scope("/health", {}))
    assert not for_gateway(_scope("/console/signin/x", {}))
    assert not for_gateway(_scope("/oidc/abc/.well-known/openid-configuration", {}))
    assert for_gateway(_scope("/", _auth("s3")))
    assert for_gateway(_scope("/health", _auth("s3")))   # a signed request for a bucket named "health"
    assert for_gateway(_scope("/", {"X-Amz-Target": "DynamoDB_20120810.GetItem"}))
    assert for_gateway(_scope("/bucket/key", {}))          # anonymous S3
    assert for_gateway(_scope("/b/k", {}, "X-Amz-Credential=AKIA%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"))


def test_upstream_credentials_per_account():
    upstream = Upstream.from_settings("http://u:5000/", "111111111111=AKIDA:sa,*=AKIDX:sx")
    assert upstream.url == "http://u:5000"
    assert upstream.credentials_for("111111111111") == ("AKIDA", "sa")
    assert upstream.credentials_for("222222222222") == ("AKIDX", "sx")
    with pytest.raises(SystemExit):
        parse_credentials("bob=AKID:secret")


def test_upstream_signature_names_the_account_and_never_hashes_s3_bodies():
    upstream = Upstream.from_settings("http://u:5000")
    headers = upstream.sign("PUT", "http://u:5000/b/k", {"content-type": "text/plain", "user-agent": "x"}, None,
                            service="s3", region="us-east-1", account_id="111111111111")
    assert headers["x-moto-account-id"] == "111111111111"
    assert headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    assert "x-moto-account-id" in headers["Authorization"] and "user-agent" not in headers["Authorization"]


def test_forwarded_headers_drop_the_client_s_signature_and_account():
    kept = forwarded_headers({"authorization": "a", "x-amz-date": "d", "x-moto-account-id": "999999999999",
                              "content-encoding": "aws-chunked,gzip", "connection": "keep-alive", "x-amz-meta-a": "1"},
                             "x-moto-account-id", 10)
    assert kept == {"content-encoding": "gzip", "x-amz-meta-a": "1", "content-length": "10"}
    assert forwarded_query("a=1&X-Amz-Signature=s&X-Amz-Credential=c&b=2") == "a=1&b=2"


def test_refusal_shapes():
    status, headers, content = render("json", "dynamodb", AccessDenied("no"), "rid")
    assert status == 400 and (b"x-amzn-errortype", b"AccessDeniedException") in headers
    assert json.loads(content) == {"__type": "com.amazon.coral.service#AccessDeniedException", "message": "no"}
    status, headers, content = render("json", "sqs", AccessDenied("no"), "rid")
    assert status == 403 and (b"x-amzn-query-error", b"AccessDenied;Sender") in headers
    status, _, content = render("rest-xml", "s3", AccessDenied("no"), "rid")
    assert status == 403 and b"<Code>AccessDenied</Code>" in content and b"<RequestId>rid</RequestId>" in content
    status, _, content = render("query", "sns", AccessDenied("no"), "rid")
    assert status == 403 and b"<Code>AuthorizationError</Code>" in content
    assert render("rest-xml", "s3", AccessDenied("no"), "rid", head=True)[2] == b""


# AWS's worked example: 66,560 bytes of "a" in chunks of 64 KiB and 1 KiB, secret
# wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, 20130524T000000Z, seed signature below.
_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
_CHUNK_SIGNATURES = ("ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                     "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                     "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9")


def _aws_example(third_signature: str = _CHUNK_SIGNATURES[2]) -> bytes:
    sizes = (65536, 1024, 0)
    signatures = (*_CHUNK_SIGNATURES[:2], third_signature)
    return b"".join(f"{size:x};chunk-signature={signature}\r\n".encode() + b"a" * size + b"\r\n"
                    for size, signature in zip(sizes, signatures, strict=True))


def _decode(payload: bytes) -> bytes:
    from iamd.protocol import sigv4

    signing = bodies.ChunkSigning(sigv4.signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524",
                                                    "us-east-1", "s3"),
                                  "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", _SEED)

    async def source():
        for start in range(0, len(payload), 1000):  # arrives in pieces that cut across chunk headers
            yield payload[start:start + 1000]

    async def collect() -> bytes:
        return b"".join([piece async for piece in bodies.chunked(source(), signing, 66560, None)])
    return asyncio.run(collect())


def test_aws_s_chunked_upload_example_decodes():
    assert _decode(_aws_example()) == b"a" * 66560


def test_a_bad_final_chunk_signature_holds_back_the_last_byte():
    passed: list[bytes] = []

    async def run():
        from iamd.protocol import sigv4
        signing = bodies.ChunkSigning(sigv4.signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524",
                                                        "us-east-1", "s3"),
                                      "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", _SEED)

        async def source():
            yield _aws_example("0" * 64)
        async for piece in bodies.chunked(source(), signing, 66560, None):
            passed.append(piece)
    with pytest.raises(SignatureDoesNotMatch):
        asyncio.run(run())
    assert sum(len(p) for p in passed) == 66559  # never the whole payload
