"""The Authorization header's head (all before ``, Signature=``) is parsed once and remembered
(protocol/sigv4.py ``_head_claims``): every header, well-formed or not, must read exactly as the general
parse reads it (the same claims, or the same error, code and message), and the cache holds no signature."""

from __future__ import annotations

import pytest

from iamd.errors import AwsError
from iamd.protocol import sigv4

SIGNATURE = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
GOOD = ("AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261126/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, Signature=" + SIGNATURE)

HEADERS = [
    GOOD,
    "  " + GOOD + "  \t",
    GOOD.replace(", Signature=", ",Signature="),
    GOOD.replace("Signature=" + SIGNATURE, "Signature= " + SIGNATURE),
    GOOD.replace("Signature=" + SIGNATURE, "Signature=ab cd"),
    GOOD.replace("Signature=" + SIGNATURE, "Signature=ab,cd"),
    GOOD.replace("Signature=" + SIGNATURE, "Signature="),
    GOOD.replace("Signature=" + SIGNATURE, "Signature=x, Signature=" + SIGNATURE),
    GOOD.replace("Credential=", "Signature=early, Credential="),
    GOOD.replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256,"),
    GOOD.replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA1 "),
    "AWS4-HMAC-SHA256, Signature=" + SIGNATURE,
    ", Signature=" + SIGNATURE,
    GOOD.replace("Credential=AKIAEXAMPLE/", "Credential="),
    GOOD.replace("aws4_request", "aws5_request"),
    GOOD.replace("/iam/", "/sts/"),
    GOOD.replace("/20261126/", "/20261125/"),
    GOOD.replace("SignedHeaders=content-type;host;x-amz-date", "SignedHeaders=content-type;x-amz-date"),
    GOOD.replace("SignedHeaders=content-type;host;x-amz-date", "SignedHeaders=content-type;host;x-amz-date;x-missing"),
    GOOD.replace("SignedHeaders=content-type;host;x-amz-date, ", ""),
    GOOD.replace("SignedHeaders=content-type;host;x-amz-date", "SignedHeaders="),
    GOOD.replace("Credential=AKIAEXAMPLE/20261126/us-east-1/iam/aws4_request, ", ""),
    GOOD.replace(", SignedHeaders", ", SignedHeaders=a, SignedHeaders"),
    GOOD.replace("Credential=", "Credential=x, Credential="),
]


def _read(authorization: str, date: str | None) -> tuple:
    headers = {"authorization": authorization, "host": "127.0.0.1", "content-type": "text/plain"}
    if date is not None:
        headers["x-amz-date"] = date
    try:
        signed = sigv4.parse_signature("POST", "/", "", headers, b"Action=GetUser", {}, ("iam",))
    except AwsError as error:
        return type(error).__name__, error.code, str(error)
    return tuple(getattr(signed, name) for name in signed.__slots__)


@pytest.mark.parametrize("authorization", HEADERS)
@pytest.mark.parametrize("date", ["20261126T111547Z", None, "Thu, 26 Nov 2026 11:15:47 GMT"])
def test_the_remembered_head_reads_every_header_as_the_general_parse_does(authorization, date, monkeypatch):
    sigv4._head_claims.cache_clear()
    quick = _read(authorization, date)
    again = _read(authorization, date)   # from the cache this time
    monkeypatch.setattr(sigv4, "_header_claims", lambda authorization, headers: None)
    assert quick == again == _read(authorization, date)


def test_the_cache_is_keyed_on_the_head_and_never_sees_the_signature(monkeypatch):
    sigv4._head_claims.cache_clear()
    _read(GOOD, "20261126T111547Z")
    _read(GOOD.replace(SIGNATURE, "0" * 64), "20261126T111547Z")   # another request, the same head
    info = sigv4._head_claims.cache_info()
    assert (info.hits, info.currsize) == (1, 1)
    keys = []
    cached = sigv4._head_claims
    monkeypatch.setattr(sigv4, "_head_claims", lambda head: keys.append(head) or cached(head))
    _read(GOOD, "20261126T111547Z")
    assert keys == [GOOD.split(", Signature=")[0]]
