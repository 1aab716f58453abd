"""Session claims: typed outside the token, short keys inside it, sealed to one access key id."""

import dataclasses
import os

import pytest

from iamd.security.principal_kind import PrincipalKind
from iamd.security.secrets import SecretBox
from iamd.security.session_tokens import SessionClaims, open_claims, open_session, seal, seal_claims

BOX = SecretBox(os.urandom(32))
KEY = "ASIAEXAMPLEEXAMPLE01"

ROLE_SESSION = SessionClaims(
    account_id="123456789012", kind=PrincipalKind.ASSUMED_ROLE, id="AROAEXAMPLE:s", name="s",
    arn="arn:aws:sts::123456789012:assumed-role/r/s", path="/team/", secret="x" * 40, issued_at=1_700_000_000,
    expires_at=1_700_003_600, mfa=True, mfa_at=1_699_999_990, role_id="AROAEXAMPLE", role_name="r", chained=True,
    tags={"team": "blue"}, transitive_tag_keys=("team",), session_policies=('{"Version":"2012-10-17"}',),
    session_policy_arns=("arn:aws:iam::aws:policy/ReadOnlyAccess",), source_identity="alice",
    federated_provider="arn:aws:iam::123456789012:oidc-provider/example.com", context={"saml:sub": "a"},
    scope=("{}",), pad="..")


def test_claims_survive_the_seal_with_every_field():
    assert open_session(BOX, KEY, seal(BOX, KEY, ROLE_SESSION)) == ROLE_SESSION


def test_inside_the_token_the_keys_are_the_short_ones_of_the_format():
    wire = open_claims(BOX, KEY, seal(BOX, KEY, ROLE_SESSION))
    assert set(wire) == {"a", "k", "id", "n", "arn", "p", "s", "iat", "exp", "mfa", "mfa_at", "rid", "rn", "chain",
                         "tags", "tt", "sp", "spa", "si", "fed", "ctx", "scope", "pad"}
    assert wire["k"] == "assumed-role" and wire["tt"] == ["team"] and wire["ctx"] == {"saml:sub": "a"}


def test_fields_at_their_default_stay_out_of_the_token():
    user = SessionClaims(account_id="123456789012", kind=PrincipalKind.USER, id="AIDAEXAMPLE", name="u",
                         arn="arn:aws:iam::123456789012:user/u", user_id="AIDAEXAMPLE", secret="y" * 40,
                         issued_at=1, expires_at=2)
    assert open_claims(BOX, KEY, seal(BOX, KEY, user)) == {
        "a": "123456789012", "k": "user", "id": "AIDAEXAMPLE", "n": "u", "arn": "arn:aws:iam::123456789012:user/u",
        "uid": "AIDAEXAMPLE", "s": "y" * 40, "iat": 1, "exp": 2}


def test_a_token_of_the_wire_form_as_older_servers_wrote_it_opens_typed():
    # GetSessionToken's tokens carried "uid": null and "mfa": false explicitly.
    token = seal_claims(BOX, KEY, {"a": "123456789012", "k": "root", "id": "123456789012", "n": "123456789012",
                                   "uid": None, "p": "/", "arn": "arn:aws:iam::123456789012:root", "mfa": False,
                                   "s": "z" * 40, "iat": 5, "exp": 6})
    claims = open_session(BOX, KEY, token)
    assert claims.kind is PrincipalKind.ROOT and claims.user_id is None and claims.mfa is False
    assert claims.tags == {} and claims.scope == () and claims.expires_at == 6


def test_a_token_opens_only_with_its_own_key_id_and_box():
    token = seal(BOX, KEY, ROLE_SESSION)
    assert open_session(BOX, "ASIAEXAMPLEEXAMPLE02", token) is None
    assert open_session(SecretBox(os.urandom(32)), KEY, token) is None
    assert open_session(BOX, KEY, token[:-4]) is None
    assert open_session(BOX, KEY, "not a token") is None


def test_claims_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ROLE_SESSION.secret = "changed"  # type: ignore[misc]
