"""federation.keys.KeySource against a real HTTPS issuer (tests/api/oidc_issuer.py): the cache keeps the
JWKS for its max-age (clamped), refetches for an unknown kid at most once per REFRESH_GAP, and turns
network and trust failures into AWS's errors. The clock is KeySource's parameter."""

from __future__ import annotations

import pytest

from iamd.errors import IDPCommunicationError, InvalidIdentityToken
from iamd.federation import keys
from tests.api.oidc_issuer import Issuer, TestCA


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def issuer(tmp_path, monkeypatch):
    ca = TestCA(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.path))
    running = Issuer(ca, max_age=120)
    yield running
    running.stop()


def test_cached_for_max_age(issuer):
    clock = Clock()
    source = keys.KeySource(clock=clock)
    kid = issuer.keys[0].kid
    assert [key["kid"] for key in source.keys(issuer.url, [], kid)] == [kid]
    clock.now += 119
    source.keys(issuer.url, [], kid)
    assert issuer.jwks_requests == 1
    clock.now += 2  # past max-age=120
    source.keys(issuer.url, [], kid)
    assert issuer.jwks_requests == 2


def test_max_age_is_clamped(issuer):
    issuer.max_age = 1  # below MIN_TTL
    clock = Clock()
    source = keys.KeySource(clock=clock)
    source.keys(issuer.url, [], None)
    clock.now += keys.MIN_TTL - 1
    source.keys(issuer.url, [], None)
    assert issuer.jwks_requests == 1


def test_unknown_kid_refetch_is_rate_limited(issuer):
    clock = Clock()
    source = keys.KeySource(clock=clock)
    source.keys(issuer.url, [], issuer.keys[0].kid)
    new = issuer.rotate()
    assert new.kid in [key["kid"] for key in source.keys(issuer.url, [], new.kid)]  # first unknown kid: fetched
    assert issuer.jwks_requests == 2
    source.keys(issuer.url, [], "forged-1")
    source.keys(issuer.url, [], "forged-2")
    assert issuer.jwks_requests == 2  # within the gap after a refetch: the cached set answers
    clock.now += keys.REFRESH_GAP
    source.keys(issuer.url, [], "forged-3")
    source.keys(issuer.url, [], "forged-4")
    assert issuer.jwks_requests == 3


def test_failures(issuer, monkeypatch, tmp_path):
    source = keys.KeySource()
    with pytest.raises(IDPCommunicationError):
        source.keys("https://127.0.0.1:9/none", [], None)
    with pytest.raises(InvalidIdentityToken) as raised:
        source.keys(issuer.url, ["0" * 40], None)
    assert raised.value.message == keys.THUMBPRINT_MISMATCH
    # No discovery document there (HTTP 404): not a passing network failure.
    with pytest.raises(InvalidIdentityToken) as raised:
        source.keys(issuer.url + "-other", [], None)
    assert raised.value.message.startswith("Couldn't retrieve verification key")
    # The discovery document must name exactly the issuer asked about (here: without the trailing slash).
    with pytest.raises(InvalidIdentityToken):
        source.keys(issuer.url + "/", [], None)
    monkeypatch.setenv("SSL_CERT_FILE", str(TestCA(tmp_path / "other").path))
    with pytest.raises(IDPCommunicationError):  # a CA the bundle does not hold, and no thumbprint
        keys.KeySource().keys(issuer.url, [], None)
