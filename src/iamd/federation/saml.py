"""A SAML 2.0 response checked as AWS checks the one posted to https://signin.aws.amazon.com/saml.

    metadata = parse_metadata(provider_metadata_xml)
    assertion = verify_response(saml_response_base64, metadata, now, endpoints=("https://iamd.example/saml",))

Sources (IAM User Guide): "Configure SAML assertions for the authentication response" (the Subject,
SubjectConfirmationData's Recipient and NotOnOrAfter, the Audience, the attributes) and "Troubleshoot
SAML 2.0 federation with AWS" (the error messages).

Signatures: the Response, its Assertion or both may be signed, by a key of a certificate in the
provider's metadata. signxml verifies the signature and hands back the element it covers; only that
element is read afterwards, so content outside the signature (the XML signature wrapping attacks) is
never used. defusedxml parses the document first and refuses DTDs and entities.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET

from iamd.errors import ExpiredTokenException, IDPRejectedClaim, InvalidIdentityToken

if TYPE_CHECKING:
    from lxml import etree

# cryptography's x509, lxml and signxml are imported where a SAML response or metadata is read: every
# server start imports this module (AssumeRoleWithSAML is one of its operations), few ever use it.

# AWS does not document its tolerance for clocks that disagree; five minutes is the usual one.
CLOCK_SKEW = timedelta(minutes=5)

AWS_AUDIENCES = ("https://signin.aws.amazon.com/saml", "urn:amazon:webservices")
# The global endpoint, a regional one (https://us-west-2.signin.aws.amazon.com/saml), and the
# /saml/acs/<IdP-ID> form used with encrypted assertions.
_AWS_ENDPOINT = re.compile(r"^https://(?:[a-z0-9-]+\.)?signin\.aws\.amazon\.com/saml(?:/acs/[A-Za-z0-9-]+)?$")

ROLE = "https://aws.amazon.com/SAML/Attributes/Role"
ROLE_SESSION_NAME = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
SESSION_DURATION = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
SOURCE_IDENTITY = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
PRINCIPAL_TAG = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
TRANSITIVE_TAG_KEYS = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"

_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
_DS = "http://www.w3.org/2000/09/xmldsig#"
_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
_NAMEID_FORMAT = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
_BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

SIGNATURE_INVALID = "Response signature invalid"
_INVALID = "Invalid SAML response"


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    certificates: tuple  # cryptography x509.Certificate, the keys that may sign


@dataclass(frozen=True)
class Assertion:
    """What a verified assertion says; every value comes from the signed element."""

    id: str
    issuer: str
    name_id: str
    name_id_format: str
    recipient: str
    audiences: tuple
    not_on_or_after: datetime  # the earliest of the assertion's limits
    session_not_on_or_after: datetime | None
    attributes: dict = field(default_factory=dict)  # Name → tuple of values

    @property
    def subject_type(self) -> str:
        """The response's SubjectType: the Format without the SAML 2.0 prefix (API reference)."""
        if self.name_id_format.startswith(_NAMEID_FORMAT):
            return self.name_id_format[len(_NAMEID_FORMAT):]
        return self.name_id_format

    @property
    def sub_type(self) -> str:
        """saml:sub_type: "persistent", "transient", or the full Format URI (IAM condition keys)."""
        kind = self.subject_type
        return kind if kind in ("persistent", "transient") else self.name_id_format

    def single(self, name: str) -> str | None:
        values = self.attributes.get(name)
        return values[0] if values else None

    def role_pairs(self) -> set[tuple[str, str]]:
        """(role ARN, provider ARN) of each Role value: "role,provider" in either order."""
        pairs = set()
        for value in self.attributes.get(ROLE, ()):
            parts = [part.strip() for part in value.split(",")]
            if len(parts) != 2:
                continue
            roles = [part for part in parts if ":role/" in part]
            providers = [part for part in parts if ":saml-provider/" in part]
            if len(roles) == 1 and len(providers) == 1:
                pairs.add((roles[0], providers[0]))
        return pairs


def parse_metadata(document: str) -> IdpMetadata:
    """The entity id and signing certificates of SAML 2.0 IdP metadata (checked at CreateSAMLProvider)."""
    from cryptography import x509

    try:
        root = SafeET.fromstring(document, forbid_dtd=True)
    except (ParseError, ValueError):  # checked at upload; a document stored before that check
        return IdpMetadata("", ())
    idp = root.find(f"{{{_MD}}}IDPSSODescriptor")
    certificates = []
    for descriptor in idp.findall(f"{{{_MD}}}KeyDescriptor") if idp is not None else ():
        if descriptor.get("use", "signing") != "signing":
            continue
        for element in descriptor.iter(f"{{{_DS}}}X509Certificate"):
            try:
                der = base64.b64decode("".join((element.text or "").split()), validate=True)
                certificates.append(x509.load_der_x509_certificate(der))
            except (ValueError, binascii.Error):
                continue  # an unreadable certificate signs nothing
    return IdpMetadata(root.get("entityID", ""), tuple(certificates))


def is_aws_endpoint(url: str) -> bool:
    return bool(_AWS_ENDPOINT.match(url))


def decode(saml_response: str) -> bytes:
    """The XML of a base64-encoded SAMLResponse, checked by defusedxml: no DTD, no entities."""
    try:
        xml = base64.b64decode("".join(saml_response.split()), validate=True)
    except (ValueError, binascii.Error):
        raise InvalidIdentityToken(_INVALID) from None
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except (ParseError, ValueError):  # defusedxml's DTDForbidden, EntitiesForbidden ... are ValueErrors
        raise InvalidIdentityToken(_INVALID) from None
    if root.tag != f"{{{_SAMLP}}}Response":
        raise InvalidIdentityToken(_INVALID)
    status = root.find(f"{{{_SAMLP}}}Status/{{{_SAMLP}}}StatusCode")
    if status is not None and status.get("Value") != _SUCCESS:
        # The IdP itself says the authentication failed (reading an unsigned part only to refuse).
        raise IDPRejectedClaim("The identity provider reported that authentication failed.")
    return xml


def claimed_providers(saml_response: str) -> list[str]:
    """The provider ARNs the (not yet verified) Role attribute names: only to choose whose metadata to
    verify a console sign-in with; everything used afterwards comes from the verified assertion."""
    root = SafeET.fromstring(decode(saml_response), forbid_dtd=True)
    found: list[str] = []
    for attribute in root.iter(f"{{{_SAML}}}Attribute"):
        if attribute.get("Name") != ROLE:
            continue
        for value in attribute.iter(f"{{{_SAML}}}AttributeValue"):
            for part in (value.text or "").split(","):
                part = part.strip()
                if ":saml-provider/" in part and part not in found:
                    found.append(part)
    return found[:10]  # a bound on the keys tried for one request


def verify_signature(xml: bytes, metadata: IdpMetadata) -> etree._Element:
    """The signed element (the Response or its Assertion), verified with a certificate of the metadata."""
    from lxml import etree
    from signxml import InvalidInput as SignxmlInvalidInput, XMLVerifier
    from signxml.exceptions import InvalidSignature as SignxmlInvalidSignature

    for certificate in metadata.certificates:
        try:
            result = XMLVerifier().verify(xml, x509_cert=certificate)
        except (SignxmlInvalidSignature, SignxmlInvalidInput, etree.LxmlError, ValueError):
            continue
        if isinstance(result, list):  # a list only when more than one reference is expected: never here
            continue
        signed = result.signed_xml
        if signed is not None and signed.tag in (f"{{{_SAMLP}}}Response", f"{{{_SAML}}}Assertion"):
            return signed
    raise InvalidIdentityToken(SIGNATURE_INVALID)


def _assertion_of(signed: etree._Element) -> etree._Element:
    if signed.tag == f"{{{_SAML}}}Assertion":
        return signed
    assertions = signed.findall(f"{{{_SAML}}}Assertion")
    if len(assertions) != 1 or signed.find(f"{{{_SAML}}}EncryptedAssertion") is not None:
        raise InvalidIdentityToken(_INVALID)
    return assertions[0]


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidIdentityToken(_INVALID) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _text(element) -> str:
    return (element.text or "").strip() if element is not None else ""


def verify_response(saml_response: str, metadata: IdpMetadata, now: datetime,
                    endpoints: tuple[str, ...] = ()) -> Assertion:
    """Check a base64 SAMLResponse: signature, issuer, recipient, audience, times. ``endpoints``: this
    server's own SAML endpoints, accepted as Recipient and Audience beside AWS's."""
    xml = decode(saml_response)
    # SAML bindings 3.5.5.2: a Destination, when the Response has one, is where it was sent. Read only
    # to refuse (a signed Response covers it; an unsigned one gives nothing else from outside its assertion).
    destination = SafeET.fromstring(xml, forbid_dtd=True).get("Destination")
    if destination is not None and not (is_aws_endpoint(destination) or destination in endpoints):
        raise InvalidIdentityToken("Invalid Destination in the SAML response")
    signed = verify_signature(xml, metadata)
    assertion = _assertion_of(signed)
    issuer = _text(assertion.find(f"{{{_SAML}}}Issuer"))
    if not issuer or issuer != metadata.entity_id:
        raise InvalidIdentityToken("Issuer not present in specified provider")
    assertion_id = assertion.get("ID") or ""
    if not assertion_id:
        raise InvalidIdentityToken(_INVALID)

    subject = assertion.find(f"{{{_SAML}}}Subject")
    name_id = subject.find(f"{{{_SAML}}}NameID") if subject is not None else None
    confirmations = subject.findall(f"{{{_SAML}}}SubjectConfirmation") if subject is not None else []
    # Exactly one SubjectConfirmation, whose data has both NotOnOrAfter and Recipient.
    if len(confirmations) != 1 or confirmations[0].get("Method", _BEARER) != _BEARER:
        raise InvalidIdentityToken(_INVALID)
    data = confirmations[0].find(f"{{{_SAML}}}SubjectConfirmationData")
    if data is None or data.get("NotOnOrAfter") is None or data.get("Recipient") is None:
        raise InvalidIdentityToken(_INVALID)
    recipient = data.get("Recipient")
    if not (is_aws_endpoint(recipient) or recipient in endpoints):
        raise InvalidIdentityToken("Invalid Recipient in the SAML response")

    conditions = assertion.find(f"{{{_SAML}}}Conditions")
    audiences: list[str] = []
    for restriction in conditions.findall(f"{{{_SAML}}}AudienceRestriction") if conditions is not None else ():
        named = [_text(element) for element in restriction.findall(f"{{{_SAML}}}Audience")]
        # Each restriction must name us (SAML core 2.5.1.4); AWS documents its two audiences.
        if not any(value in AWS_AUDIENCES or is_aws_endpoint(value) or value in endpoints for value in named):
            raise InvalidIdentityToken("The SAML response is not intended for this audience")
        audiences.extend(named)

    limits = [_time(data.get("NotOnOrAfter"))]
    starts = [_time(data.get("NotBefore"))]
    if conditions is not None:
        limits.append(_time(conditions.get("NotOnOrAfter")))
        starts.append(_time(conditions.get("NotBefore")))
    not_on_or_after = min(limit for limit in limits if limit is not None)
    if now >= not_on_or_after + CLOCK_SKEW:
        raise ExpiredTokenException("Response has expired")
    if any(start is not None and now + CLOCK_SKEW < start for start in starts):
        raise InvalidIdentityToken("Response is not yet valid")

    authn = assertion.find(f"{{{_SAML}}}AuthnStatement")
    attributes: dict[str, tuple] = {}
    for statement in assertion.findall(f"{{{_SAML}}}AttributeStatement"):
        for attribute in statement.findall(f"{{{_SAML}}}Attribute"):
            values = tuple(_text(value) for value in attribute.findall(f"{{{_SAML}}}AttributeValue"))
            name = attribute.get("Name", "")
            attributes[name] = attributes.get(name, ()) + values
    return Assertion(
        id=assertion_id, issuer=issuer, name_id=_text(name_id),
        name_id_format=name_id.get("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified")
        if name_id is not None else "",
        recipient=recipient, audiences=tuple(audiences), not_on_or_after=not_on_or_after,
        session_not_on_or_after=_time(authn.get("SessionNotOnOrAfter")) if authn is not None else None,
        attributes=attributes,
    )
