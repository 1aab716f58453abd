"""An identity provider's trusted identity propagation settings: CreateOpenIDConnectProvider and
UpdateOpenIDConnectProvider set them, GetOpenIDConnectProvider shows them; the SAML operations likewise.

Sources: IAM API Reference, "UpdateOpenIDConnectProvider" (set, change or remove the context provider
and the IAM Identity Center association; a value and its Remove flag never together; one of the two
settings per request; the association removed before the context provider; thumbprints untouched),
"CreateOpenIDConnectProvider" (IdentityCenterInstanceArn needs ContextProvider), "ContextProvider"
and "ContextProviderKeyDefinition" (the key syntax; SubjectTypeValue and SubjectTypeSourceKey exclude
each other), "GetOpenIDConnectProvider" (ContextProvider returned only when one is set). Instance ARN
syntax: IAM Identity Center API Reference, "InstanceMetadata".
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, error_of
from tests.api.test_saml_providers import metadata

INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
CONTEXT = {"SubjectSourceKey": "sub", "SubjectTypeValue": "workload",
           "KeyDefinitionList": [{"SourceKey": "email", "TargetKey": "Email"}, {"SourceKey": "team name"}]}


def _provider(iam, unique, **extra) -> str:
    return iam.create_open_id_connect_provider(Url=f"https://{unique('tip')}.example.org", **extra)[
        "OpenIDConnectProviderArn"]


def _get(iam, arn) -> dict:
    return iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def _refused(call, **kwargs) -> tuple:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return error_of(raised)


def test_set_change_and_remove(iam, unique):
    arn = _provider(iam, unique, ThumbprintList=["a" * 40])
    got = _get(iam, arn)
    assert "ContextProvider" not in got and "IdentityCenterInstanceArn" not in got
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, ContextProvider=CONTEXT)
    assert _get(iam, arn)["ContextProvider"] == CONTEXT
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, IdentityCenterInstanceArn=INSTANCE)
    got = _get(iam, arn)
    assert (got["ContextProvider"], got["IdentityCenterInstanceArn"]) == (CONTEXT, INSTANCE)
    assert got["ThumbprintList"] == ["a" * 40]   # not this operation's to change
    changed = {"SubjectSourceKey": "oid", "SubjectTypeSourceKey": "idtyp"}
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, ContextProvider=changed)
    assert _get(iam, arn)["ContextProvider"] == changed
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, RemoveIdentityCenterInstance=True)
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, RemoveContextProvider=True)
    got = _get(iam, arn)
    assert "ContextProvider" not in got and "IdentityCenterInstanceArn" not in got


def test_created_with_both(iam, unique):
    arn = _provider(iam, unique, ContextProvider=CONTEXT, IdentityCenterInstanceArn=INSTANCE)
    got = _get(iam, arn)
    assert (got["ContextProvider"], got["IdentityCenterInstanceArn"]) == (CONTEXT, INSTANCE)
    code, message, status = _refused(iam.update_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                                     RemoveContextProvider=True)
    assert (code, status) == ("InvalidInput", 400) and "Identity Center" in message


def test_instance_needs_a_context_provider(iam, unique):
    code, _, status = _refused(iam.create_open_id_connect_provider, Url=f"https://{unique('tip')}.example.org",
                               IdentityCenterInstanceArn=INSTANCE)
    assert (code, status) == ("InvalidInput", 400)
    arn = _provider(iam, unique)
    assert _refused(iam.update_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                    IdentityCenterInstanceArn=INSTANCE)[0::2] == ("InvalidInput", 400)
    assert "IdentityCenterInstanceArn" not in _get(iam, arn)


@pytest.mark.parametrize("change", [
    {"ContextProvider": CONTEXT, "RemoveContextProvider": True},
    {"IdentityCenterInstanceArn": INSTANCE, "RemoveIdentityCenterInstance": True},
    {"ContextProvider": CONTEXT, "IdentityCenterInstanceArn": INSTANCE},
    {"ContextProvider": CONTEXT, "RemoveIdentityCenterInstance": True},
    {},
    {"ContextProvider": {"SubjectSourceKey": "sub", "SubjectTypeValue": "user", "SubjectTypeSourceKey": "t"}},
    {"ContextProvider": {"SubjectSourceKey": " sub"}},
    {"ContextProvider": {"SubjectSourceKey": "a  b"}},
    {"ContextProvider": {"SubjectSourceKey": "sub", "KeyDefinitionList": [{"SourceKey": "bad!"}]}},
    {"ContextProvider": {"SubjectSourceKey": "sub", "KeyDefinitionList": [{"SourceKey": "ok", "TargetKey": "é"}]}},
    {"IdentityCenterInstanceArn": "arn:aws:iam::123456789012:role/not-an-instance"},
])
def test_refused_changes_leave_the_provider_as_it_was(iam, unique, change):
    arn = _provider(iam, unique, ContextProvider=CONTEXT)
    code, message, status = _refused(iam.update_open_id_connect_provider, OpenIDConnectProviderArn=arn, **change)
    assert (code, status) == ("InvalidInput", 400) and message
    got = _get(iam, arn)
    assert got["ContextProvider"] == CONTEXT and "IdentityCenterInstanceArn" not in got


def test_too_many_key_definitions(iam, unique):
    arn = _provider(iam, unique)
    many = {"SubjectSourceKey": "sub", "KeyDefinitionList": [{"SourceKey": f"k{i}"} for i in range(11)]}
    code, _, status = _refused(iam.update_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                               ContextProvider=many)
    assert (code, status) == ("ValidationError", 400)


def test_missing_provider(iam, unique):
    arn = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{unique('nobody')}.example.org"
    assert _refused(iam.update_open_id_connect_provider, OpenIDConnectProviderArn=arn, ContextProvider=CONTEXT) == (
        "NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}", 404)



SAML_METADATA = metadata()


def test_saml_providers_follow_the_same_rules(iam, unique):
    """IAM API Reference, "ContextProvider": the same settings on CreateSAMLProvider, UpdateSAMLProvider
    and GetSAMLProvider."""
    arn = iam.create_saml_provider(Name=unique("tip"), SAMLMetadataDocument=SAML_METADATA,
                                   ContextProvider=CONTEXT)["SAMLProviderArn"]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["ContextProvider"] == CONTEXT and "IdentityCenterInstanceArn" not in got
    iam.update_saml_provider(SAMLProviderArn=arn, IdentityCenterInstanceArn=INSTANCE)
    assert iam.get_saml_provider(SAMLProviderArn=arn)["IdentityCenterInstanceArn"] == INSTANCE
    assert _refused(iam.update_saml_provider, SAMLProviderArn=arn, RemoveContextProvider=True)[0::2] == (
        "InvalidInput", 400)
    iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=SAML_METADATA)   # no TIP change: fine
    iam.update_saml_provider(SAMLProviderArn=arn, RemoveIdentityCenterInstance=True)
    iam.update_saml_provider(SAMLProviderArn=arn, RemoveContextProvider=True)
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert "ContextProvider" not in got and "IdentityCenterInstanceArn" not in got
