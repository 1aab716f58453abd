"""The pure parts of federation/: time rules, audience, condition keys, session tags, static JWKS names.

Sources: STS API reference "AssumeRoleWithWebIdentity" (integer timestamps; RSA and ECDSA algorithms);
IAM User Guide "Available keys for AWS OIDC federation" (aud/azp/oaud), "Passing session tags using
AssumeRoleWithWebIdentity" (the tags claim's shape, case-insensitive keys, transitive keys).
"""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from iamd.errors import (
    ExpiredTokenException,
    IDPRejectedClaim,
    InvalidIdentityToken,
    InvalidParameterValue,
)
from iamd.federation import claims, keys, tokens

NOW = 1_800_000_000


def test_exp_is_strict():
    tokens.check_times({"exp": NOW + 1}, NOW)
    with pytest.raises(ExpiredTokenException) as raised:
        tokens.check_times({"exp": NOW}, NOW)
    assert raised.value.message == (f"Token expired: current date/time {NOW} must be before the expiration "
                                    f"date/time{NOW}")


def test_exp_is_required_and_an_integer():
    for bad in ({}, {"exp": float(NOW + 60)}, {"exp": str(NOW + 60)}, {"exp": True}):
        with pytest.raises(InvalidIdentityToken):
            tokens.check_times(bad, NOW)


@pytest.mark.parametrize("name", ["nbf", "iat"])
def test_nbf_and_iat_tolerate_skew(name):
    tokens.check_times({"exp": NOW + 900, name: NOW + tokens.SKEW_SECONDS}, NOW)
    with pytest.raises(InvalidIdentityToken):
        tokens.check_times({"exp": NOW + 900, name: NOW + tokens.SKEW_SECONDS + 1}, NOW)


def test_hmac_and_none_are_not_accepted():
    for token in (jwt.encode({"iss": "https://x"}, "secret-key-long-enough-for-hmac-256", algorithm="HS256"),
                  jwt.encode({"iss": "https://x"}, None, algorithm="none")):
        with pytest.raises(InvalidIdentityToken):
            tokens.read(token)


def test_key_of_another_type_never_verifies():
    private = ec.generate_private_key(ec.SECP256R1())
    raw = jwt.encode({"iss": "https://x", "exp": int(time.time()) + 60}, private, algorithm="ES256",
                     headers={"kid": "k"})
    token = tokens.read(raw)
    rsa_key = {"kty": "RSA", "kid": "k", "n": "AQAB", "e": "AQAB"}
    assert tokens.matching_keys(token, [rsa_key]) == []
    with pytest.raises(InvalidIdentityToken) as raised:
        tokens.verify_signature(raw, token, [])
    assert raised.value.message == tokens.NO_KEY


def test_audience_prefers_azp():
    assert claims.audience({"azp": "app", "aud": "api"}, ["app"], ["api"]) == "app"
    assert claims.audience({"aud": ["x", "sts.amazonaws.com"]}, ["sts.amazonaws.com"], ["x", "sts.amazonaws.com"]) \
        == "sts.amazonaws.com"
    with pytest.raises(InvalidIdentityToken) as raised:
        claims.audience({"aud": "other"}, ["sts.amazonaws.com"], ["other"])
    assert raised.value.message == "Incorrect token audience"


def test_condition_keys():
    keys_ = claims.condition_keys("idp.example.org:8443/r", {"azp": "app", "sub": "u-1", "amr": "mfa",
                                                             "email": "a@example.org"}, ["api"], "app")
    assert keys_ == {"idp.example.org:8443/r:aud": "app", "idp.example.org:8443/r:azp": "app",
                     "idp.example.org:8443/r:oaud": "api", "idp.example.org:8443/r:sub": "u-1",
                     "idp.example.org:8443/r:email": "a@example.org", "idp.example.org:8443/r:amr": ["mfa"]}
    # aud is single-valued ("Available keys for AWS OIDC federation"): the client id the token was
    # accepted for, so that StringEquals matches it even when the aud claim lists several.
    assert claims.condition_keys("p", {"sub": "s"}, ["a", "b"], "b")["p:aud"] == "b"


def test_session_tags():
    shaped = {claims.TAGS_CLAIM: {"principal_tags": {"Team": ["blue"]}, "transitive_tag_keys": ["team"]}}
    assert claims.session_tags(shaped) == {"tags": {"Team": "blue"}, "transitive": ["team"]}
    assert claims.session_tags({}) == {"tags": {}, "transitive": []}
    with pytest.raises(InvalidParameterValue):
        claims.session_tags({claims.TAGS_CLAIM: {"principal_tags": {"a": ["1"], "A": ["2"]}}})
    with pytest.raises(InvalidParameterValue):
        claims.session_tags({claims.TAGS_CLAIM: {"principal_tags": {"a": ["1"]}, "transitive_tag_keys": ["b"]}})
    with pytest.raises(IDPRejectedClaim):
        claims.session_tags({claims.TAGS_CLAIM: {"principal_tags": {"a": ["1", "2"]}}})
    with pytest.raises(IDPRejectedClaim):
        claims.session_tags({claims.TAGS_CLAIM: "team=blue"})


def test_source_identity():
    assert claims.source_identity({claims.SOURCE_IDENTITY_CLAIM: "alice@example.org"}) == "alice@example.org"
    for bad in ("a", "aws:alice", "has space", 7):
        with pytest.raises(IDPRejectedClaim):
            claims.source_identity({claims.SOURCE_IDENTITY_CLAIM: bad})


def test_static_jwks_names():
    assert keys.static_name("https://10.0.0.1:6443/cluster-a") == "10.0.0.1_6443_cluster-a.json"
    assert keys.static_name("https://kubernetes.default.svc") == "kubernetes.default.svc.json"
    assert keys.static_name("https://idp.example.org/realms/a/") == "idp.example.org_realms_a.json"
