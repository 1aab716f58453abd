"""A real SAML 2.0 identity provider for the tests: its own RSA key and certificate (cryptography), its
metadata document, and responses signed with signxml, as an IdP posts them to AWS's SAML endpoint."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner, methods

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
DS = "http://www.w3.org/2000/09/xmldsig#"
AWS_SAML = "https://signin.aws.amazon.com/saml"
ROLE = "https://aws.amazon.com/SAML/Attributes/Role"
ROLE_SESSION_NAME = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
SESSION_DURATION = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
PRINCIPAL_TAG = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
TRANSITIVE_TAG_KEYS = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
SOURCE_IDENTITY = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_key_and_certificate(common_name: str):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=365)).sign(key, hashes.SHA256()))
    return key, certificate


@dataclass
class IdentityProvider:
    entity_id: str = field(default_factory=lambda: f"https://idp-{uuid.uuid4().hex[:8]}.example.test/saml")

    def __post_init__(self):
        self.key, self.certificate = new_key_and_certificate("iamd test IdP")

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def metadata(self, certificates=None) -> str:
        """SAML 2.0 IdP metadata naming the signing certificate(s)."""
        keys = ""
        for certificate in certificates or [self.certificate]:
            der = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
            keys += (f'<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="{DS}"><ds:X509Data>'
                     f'<ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>')
        return (f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{self.entity_id}">'
                f'<md:IDPSSODescriptor protocolSupportEnumeration="{SAMLP}">{keys}'
                '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
                'Location="https://idp.example.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>')

    def assertion(self, *, roles=(), session_name: str | None = "alice", subject: str = "alice-1234",
                  subject_format: str = PERSISTENT, recipient: str = AWS_SAML, audience: str | None = AWS_SAML,
                  issued: datetime | None = None, lifetime: timedelta = timedelta(minutes=5),
                  not_before: datetime | None = None, attributes: dict | None = None, issuer: str | None = None,
                  session_not_on_or_after: datetime | None = None, assertion_id: str | None = None):
        """An unsigned <saml:Assertion> (lxml element) with AWS's attributes."""
        issued = issued or datetime.now(UTC)
        assertion_id = assertion_id or "_" + uuid.uuid4().hex
        a = etree.Element(f"{{{SAML}}}Assertion", nsmap={"saml": SAML},
                          ID=assertion_id, Version="2.0", IssueInstant=_stamp(issued))
        etree.SubElement(a, f"{{{SAML}}}Issuer").text = issuer or self.entity_id
        etree.SubElement(a, f"{{{DS}}}Signature", nsmap={"ds": DS}, Id="placeholder")
        subj = etree.SubElement(a, f"{{{SAML}}}Subject")
        etree.SubElement(subj, f"{{{SAML}}}NameID", Format=subject_format).text = subject
        confirmation = etree.SubElement(subj, f"{{{SAML}}}SubjectConfirmation",
                                        Method="urn:oasis:names:tc:SAML:2.0:cm:bearer")
        etree.SubElement(confirmation, f"{{{SAML}}}SubjectConfirmationData",
                         NotOnOrAfter=_stamp(issued + lifetime), Recipient=recipient)
        conditions = etree.SubElement(a, f"{{{SAML}}}Conditions", NotOnOrAfter=_stamp(issued + lifetime),
                                      NotBefore=_stamp(not_before or issued - timedelta(seconds=5)))
        if audience is not None:
            restriction = etree.SubElement(conditions, f"{{{SAML}}}AudienceRestriction")
            etree.SubElement(restriction, f"{{{SAML}}}Audience").text = audience
        authn = etree.SubElement(a, f"{{{SAML}}}AuthnStatement", AuthnInstant=_stamp(issued))
        if session_not_on_or_after is not None:
            authn.set("SessionNotOnOrAfter", _stamp(session_not_on_or_after))
        context = etree.SubElement(authn, f"{{{SAML}}}AuthnContext")
        etree.SubElement(context, f"{{{SAML}}}AuthnContextClassRef").text = \
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        values = dict(attributes or {})
        if roles:
            values[ROLE] = [f"{role},{provider}" for role, provider in roles]
        if session_name is not None:
            values[ROLE_SESSION_NAME] = [session_name]
        statement = etree.SubElement(a, f"{{{SAML}}}AttributeStatement")
        for name, listed in values.items():
            attribute = etree.SubElement(statement, f"{{{SAML}}}Attribute", Name=name)
            for value in ([listed] if isinstance(listed, str) else listed):
                etree.SubElement(attribute, f"{{{SAML}}}AttributeValue").text = value
        return a

    def sign(self, element, key=None, certificate=None):
        """``element`` signed (enveloped, RSA-SHA256, exclusive c14n) where its placeholder stands."""
        signer = XMLSigner(method=methods.enveloped, signature_algorithm="rsa-sha256", digest_algorithm="sha256",
                           c14n_algorithm=EXC_C14N)
        cert = (certificate or self.certificate).public_bytes(serialization.Encoding.PEM)
        pem = (key or self.key).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())
        return signer.sign(element, key=pem, cert=cert, reference_uri=element.get("ID"))

    def response(self, assertion=None, *, sign: str = "assertion", destination: str = AWS_SAML, key=None,
                 certificate=None, status: str = "urn:oasis:names:tc:SAML:2.0:status:Success", **assertion_args):
        """A <samlp:Response> as bytes: ``sign`` "assertion", "response", "both" or "none"."""
        assertion = assertion if assertion is not None else self.assertion(**assertion_args)
        if sign in ("assertion", "both"):
            assertion = self.sign(assertion, key, certificate)
        else:
            _drop_placeholder(assertion)
        response = etree.Element(f"{{{SAMLP}}}Response", nsmap={"samlp": SAMLP, "saml": SAML},
                                 ID="_" + uuid.uuid4().hex, Version="2.0", Destination=destination,
                                 IssueInstant=_stamp(datetime.now(UTC)))
        etree.SubElement(response, f"{{{SAML}}}Issuer").text = self.entity_id
        if sign in ("response", "both"):
            etree.SubElement(response, f"{{{DS}}}Signature", nsmap={"ds": DS}, Id="placeholder")
        status_element = etree.SubElement(response, f"{{{SAMLP}}}Status")
        etree.SubElement(status_element, f"{{{SAMLP}}}StatusCode", Value=status)
        response.append(assertion)
        if sign in ("response", "both"):
            response = self.sign(response, key, certificate)
        return etree.tostring(response)


def _drop_placeholder(element) -> None:
    for placeholder in element.findall(f"{{{DS}}}Signature"):
        if placeholder.get("Id") == "placeholder":
            element.remove(placeholder)


def encoded(xml: bytes) -> str:
    return base64.b64encode(xml).decode()
