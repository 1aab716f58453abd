"""federation/saml.py and saml_keys.py, pure: responses signed by a real key (tests/saml_idp.py), checked
without a server. Signature wrapping variants are here in full; the API tests hold one of them."""

from __future__ import annotations

import base64
import copy
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from iamd.errors import AwsError, ExpiredTokenException, InvalidIdentityToken
from iamd.federation import saml, saml_keys
from tests.saml_idp import SAML, IdentityProvider, _drop_placeholder, encoded

PROVIDER = "arn:aws:iam::123456789012:saml-provider/Corp"
READER = ("arn:aws:iam::123456789012:role/Reader", PROVIDER)
ADMIN = ("arn:aws:iam::123456789012:role/Admin", PROVIDER)


@pytest.fixture(scope="module")
def idp():
    return IdentityProvider()


@pytest.fixture(scope="module")
def metadata(idp):
    return saml.parse_metadata(idp.metadata())


def now():
    return datetime.now(UTC)


def verify(xml: bytes, metadata, at=None) -> saml.Assertion:
    return saml.verify_response(encoded(xml), metadata, at or now())


def forged(idp, **args):
    assertion = idp.assertion(roles=[ADMIN], subject="mallory", session_name="mallory", **args)
    _drop_placeholder(assertion)
    return assertion


def wrapped_variants(idp):
    """Signed responses rearranged the ways signature wrapping attacks do."""
    signed_assertion = etree.fromstring(idp.response(roles=[READER], sign="assertion"))
    original_id = signed_assertion.find(f"{{{SAML}}}Assertion").get("ID")
    out = {}
    for name in ("before-new-id", "before-same-id", "after", "nested-in-forged"):
        response = copy.deepcopy(signed_assertion)
        original = response.find(f"{{{SAML}}}Assertion")
        fake = forged(idp, assertion_id=original_id if "same-id" in name or "nested" in name else None)
        if name.startswith("before"):
            original.addprevious(fake)
        elif name == "after":
            original.addnext(fake)
        else:
            response.remove(original)
            fake.find(f"{{{SAML}}}Subject").append(original)
            response.append(fake)
        out[name] = etree.tostring(response)
    signed_response = etree.fromstring(idp.response(roles=[READER], sign="response"))
    signed_response.append(forged(idp))
    out["second-assertion-in-signed-response"] = etree.tostring(signed_response)
    outer = etree.fromstring(idp.response(roles=[ADMIN], sign="none", subject="mallory"))
    outer.find(f"{{{SAML}}}Assertion").append(etree.fromstring(idp.response(roles=[READER], sign="response")))
    out["signed-response-inside-forged"] = etree.tostring(outer)
    return out


@pytest.mark.parametrize("variant", ["before-new-id", "before-same-id", "after", "nested-in-forged",
                                     "second-assertion-in-signed-response", "signed-response-inside-forged"])
def test_signature_wrapping_never_yields_the_forged_assertion(idp, metadata, variant):
    xml = wrapped_variants(idp)[variant]
    try:
        assertion = verify(xml, metadata)
    except InvalidIdentityToken:
        return  # refused outright
    assert assertion.name_id == "alice-1234"
    assert assertion.role_pairs() == {READER}


def test_a_dtd_is_refused_before_anything_else(metadata):
    lol = b'<!DOCTYPE r [<!ENTITY x "xxxxxxxx">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>'
    with pytest.raises(InvalidIdentityToken, match="Invalid SAML response"):
        verify(lol, metadata)


def test_random_corruption_only_ever_answers_aws_errors(idp, metadata):
    import random

    base = idp.response(roles=[READER], sign="both")
    rnd = random.Random(7)
    for _ in range(150):
        mutated = bytearray(base)
        position = rnd.randrange(len(mutated))
        mutated[position:position + rnd.randint(0, 20)] = rnd.choice([b"<", b"&amp;", b"<x/>", b'"', b""])
        try:
            verify(bytes(mutated), metadata)
        except AwsError:
            pass


def test_clock_skew_of_five_minutes_either_way(idp, metadata):
    issued = now() - timedelta(minutes=10)
    xml = idp.response(roles=[READER], issued=issued, lifetime=timedelta(minutes=6))
    assert verify(xml, metadata).name_id  # 4 minutes past NotOnOrAfter
    with pytest.raises(ExpiredTokenException, match="Response has expired"):
        verify(xml, metadata, at=now() + timedelta(minutes=2))
    early = idp.response(roles=[READER], not_before=now() + timedelta(minutes=4))
    assert verify(early, metadata).name_id
    with pytest.raises(InvalidIdentityToken, match="not yet valid"):
        verify(early, metadata, at=now() - timedelta(minutes=2))


def test_claimed_providers_reads_the_role_attribute(idp):
    xml = idp.response(roles=[READER, ("arn:aws:iam::123456789012:role/X", "arn:aws:iam::1:saml-provider/B")])
    assert saml.claimed_providers(encoded(xml)) == [PROVIDER, "arn:aws:iam::1:saml-provider/B"]


def test_name_qualifier_is_the_api_references_example():
    """API reference, AssumeRoleWithSAML, NameQualifier: BASE64(SHA1("https://example.com/saml" +
    "123456789012" + "/MySAMLIdP"))."""
    expected = base64.b64encode(hashlib.sha1(b"https://example.com/saml123456789012/MySAMLIdP").digest()).decode()
    assert saml_keys.name_qualifier("https://example.com/saml", "123456789012", "MySAMLIdP") == expected


def test_trust_keys_follow_the_mapping_table(idp, metadata):
    """SAML assertions, "Mapping SAML attributes to AWS trust policy context keys": lists stay lists."""
    xml = idp.response(roles=[READER], subject_format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                       attributes={"urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["staff", "member"],
                                   "urn:oid:1.3.6.1.4.1.5923.1.1.1.3": "o=Example",
                                   "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": "a@b.c"})
    assertion = verify(xml, metadata)
    keys = saml_keys.trust_context(assertion, "123456789012", "Corp")
    assert keys["saml:edupersonaffiliation"] == ["staff", "member"]
    assert keys["saml:edupersonorgdn"] == "o=Example"
    assert keys["saml:mail"] == "a@b.c"
    assert keys["saml:doc"] == "123456789012/Corp"
    assert keys["saml:aud"] == "https://signin.aws.amazon.com/saml"
    # Neither persistent nor transient: the full Format URI (SAML keys, saml:sub_type); SubjectType
    # keeps a Format of another prefix unchanged (API reference).
    assert keys["saml:sub_type"] == "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    assert assertion.subject_type == "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
