"""The saml:* condition keys a role's trust policy sees for AssumeRoleWithSAML.

IAM User Guide, "Available keys for SAML-based AWS STS federation" (the keys) and "Configure SAML
assertions for the authentication response", section "Mapping SAML attributes to AWS trust policy
context keys" (which attribute fills which key, and whether it is a list). saml:aud is the
SubjectConfirmationData's Recipient, not the Audience; saml:doc is "<account>/<provider name>";
saml:namequalifier is BASE64(SHA1(issuer + account + "/" + provider name)).
"""

from __future__ import annotations

import base64
import hashlib

from iamd.federation.saml import Assertion

_EDU = "urn:oid:1.3.6.1.4.1.5923."
# Attribute Name → (key, whether the key holds a list of strings).
ATTRIBUTE_KEYS: dict[str, tuple[str, bool]] = {
    _EDU + "1.1.1.1": ("saml:edupersonaffiliation", True),
    _EDU + "1.1.1.2": ("saml:edupersonnickname", True),
    _EDU + "1.1.1.3": ("saml:edupersonorgdn", False),
    _EDU + "1.1.1.4": ("saml:edupersonorgunitdn", True),
    _EDU + "1.1.1.5": ("saml:edupersonprimaryaffiliation", False),
    _EDU + "1.1.1.6": ("saml:edupersonprincipalname", False),
    _EDU + "1.1.1.7": ("saml:edupersonentitlement", True),
    _EDU + "1.1.1.8": ("saml:edupersonprimaryorgunitdn", False),
    _EDU + "1.1.1.9": ("saml:edupersonscopedaffiliation", True),
    _EDU + "1.1.1.10": ("saml:edupersontargetedid", True),
    _EDU + "1.1.1.11": ("saml:edupersonassurance", True),
    _EDU + "1.2.1.2": ("saml:eduorghomepageuri", True),
    _EDU + "1.2.1.3": ("saml:eduorgidentityauthnpolicyuri", True),
    _EDU + "1.2.1.4": ("saml:eduorglegalname", True),
    _EDU + "1.2.1.5": ("saml:eduorgsuperioruri", True),
    _EDU + "1.2.1.6": ("saml:eduorgwhitepagesuri", True),
    "urn:oid:2.5.4.3": ("saml:cn", True),
    # Active Directory claims.
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": ("saml:name", False),
    "http://schemas.xmlsoap.org/claims/CommonName": ("saml:commonName", False),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": ("saml:givenName", False),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname": ("saml:surname", False),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": ("saml:mail", False),
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid": ("saml:uid", False),
    # X.500 attributes, named by their bare OIDs in the guide's table.
    "2.5.4.3": ("saml:commonName", False),
    "2.5.4.4": ("saml:surname", False),
    "2.5.4.42": ("saml:givenName", False),
    "2.5.4.45": ("saml:x500UniqueIdentifier", False),
    "0.9.2342.19200300.100.1.1": ("saml:uid", False),
    "0.9.2342.19200300.100.1.3": ("saml:mail", False),
    "0.9.2342.19200300.100.1.45": ("saml:organizationStatus", False),
}


def name_qualifier(issuer: str, account_id: str, provider_name: str) -> str:
    """The response's NameQualifier (API reference, AssumeRoleWithSAML: BASE64(SHA1(...)))."""
    return base64.b64encode(hashlib.sha1(f"{issuer}{account_id}/{provider_name}".encode()).digest()).decode()


def trust_context(assertion: Assertion, account_id: str, provider_name: str) -> dict:
    """The saml:* keys of a verified assertion. Only one claim maps to each key (the guide's note):
    the first attribute met wins."""
    context: dict = {
        "saml:aud": assertion.recipient,
        "saml:iss": assertion.issuer,
        "saml:sub": assertion.name_id,
        "saml:sub_type": assertion.sub_type,
        "saml:doc": f"{account_id}/{provider_name}",
        "saml:namequalifier": name_qualifier(assertion.issuer, account_id, provider_name),
    }
    for name, values in assertion.attributes.items():
        mapped = ATTRIBUTE_KEYS.get(name)
        if mapped is None or not values or mapped[0] in context:
            continue
        key, is_list = mapped
        context[key] = list(values) if is_list else values[0]
    return context


def session_keys(assertion: Assertion, account_id: str, provider_name: str) -> dict:
    """The keys the session's own requests carry (the guide's "Permission (access) policies" list)."""
    return {"saml:sub": assertion.name_id, "saml:sub_type": assertion.sub_type,
            "saml:namequalifier": name_qualifier(assertion.issuer, account_id, provider_name)}
