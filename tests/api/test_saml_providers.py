"""SAML providers through boto3 and the aws CLI: metadata checks, ValidUntil, shapes, AWS's errors."""

import datetime
import re

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, aws_json, client, error_of, run_aws

UTC = datetime.UTC
CERTIFICATE = "MIIC" + "A" * 1200


def metadata(valid_until: str | None = None, entity: str = "https://idp.example.org/saml") -> str:
    valid = f' validUntil="{valid_until}"' if valid_until else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity}"{valid}>'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
        f'<ds:X509Certificate>{CERTIFICATE}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        'Location="https://idp.example.org/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>'
    )


def _error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def missing_arn(unique) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{unique('nobody')}"


def test_create_and_get(iam, unique):
    name = unique("saml")
    document = metadata()
    created = iam.create_saml_provider(Name=name, SAMLMetadataDocument=document,
                                       Tags=[{"Key": "dept", "Value": "it"}])
    arn = created["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{name}"
    assert created["Tags"] == [{"Key": "dept", "Value": "it"}]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == document
    assert re.fullmatch(r"[A-Z0-9]{22,64}", got["SAMLProviderUUID"])
    assert got["AssertionEncryptionMode"] == "Allowed" and got["PrivateKeyList"] == []
    assert got["Tags"] == [{"Key": "dept", "Value": "it"}]
    created_at = got["CreateDate"]
    assert abs(created_at - datetime.datetime.now(UTC)) < datetime.timedelta(minutes=5)
    assert got["ValidUntil"] == created_at.replace(year=created_at.year + 100)  # AWS's default: a century


def test_create_without_tags(iam, unique):
    created = iam.create_saml_provider(Name=unique("saml"), SAMLMetadataDocument=metadata())
    assert set(created) == {"SAMLProviderArn", "ResponseMetadata"}
    assert iam.get_saml_provider(SAMLProviderArn=created["SAMLProviderArn"])["Tags"] == []


def test_valid_until_comes_from_the_metadata(iam, unique):
    arn = iam.create_saml_provider(Name=unique("saml"), SAMLMetadataDocument=metadata("2031-05-04T03:02:01Z"))[
        "SAMLProviderArn"]
    assert iam.get_saml_provider(SAMLProviderArn=arn)["ValidUntil"] == datetime.datetime(2031, 5, 4, 3, 2, 1,
                                                                                        tzinfo=UTC)


@pytest.mark.parametrize("document", [
    "x" * 1000,
    "<root>" + "x" * 1000 + "</root>",
    metadata().replace("IDPSSODescriptor", "SPSSODescriptor"),
    metadata().replace("urn:oasis:names:tc:SAML:2.0:metadata", "urn:example:not-saml"),
    metadata("not-a-date"),
])
def test_create_rejects_what_is_not_saml_idp_metadata(iam, unique, document):
    assert _error(iam.create_saml_provider, Name=unique("saml"), SAMLMetadataDocument=document) == (
        "InvalidInput", "Could not parse metadata", 400)


def test_create_constraints(iam):
    assert _error(iam.create_saml_provider, Name="bad name", SAMLMetadataDocument=metadata()) == ("ValidationError", (
        "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: [\\w._-]+"), 400)


def test_create_twice(iam, unique):
    name = unique("saml")
    iam.create_saml_provider(Name=name, SAMLMetadataDocument=metadata())
    assert _error(iam.create_saml_provider, Name=name, SAMLMetadataDocument=metadata()) == (
        "EntityAlreadyExists", f"Provider with name {name} already exists.", 409)


def test_missing_provider(iam, unique):
    arn = missing_arn(unique)
    not_found = ("NoSuchEntity", f"Manifest not found for arn {arn}", 404)
    assert _error(iam.get_saml_provider, SAMLProviderArn=arn) == not_found
    assert _error(iam.delete_saml_provider, SAMLProviderArn=arn) == not_found
    assert _error(iam.update_saml_provider, SAMLProviderArn=arn, SAMLMetadataDocument=metadata()) == not_found
    assert _error(iam.tag_saml_provider, SAMLProviderArn=arn, Tags=[{"Key": "k", "Value": "v"}]) == not_found
    assert _error(iam.untag_saml_provider, SAMLProviderArn=arn, TagKeys=["k"]) == not_found
    assert _error(iam.list_saml_provider_tags, SAMLProviderArn=arn) == not_found


def test_update_replaces_the_document(iam, unique):
    arn = iam.create_saml_provider(Name=unique("saml"), SAMLMetadataDocument=metadata())["SAMLProviderArn"]
    before = iam.get_saml_provider(SAMLProviderArn=arn)
    newer = metadata("2040-01-01T00:00:00.000Z", entity="https://idp.example.org/v2")
    assert iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=newer)["SAMLProviderArn"] == arn
    after = iam.get_saml_provider(SAMLProviderArn=arn)
    assert after["SAMLMetadataDocument"] == newer
    assert after["ValidUntil"] == datetime.datetime(2040, 1, 1, tzinfo=UTC)
    assert after["SAMLProviderUUID"] == before["SAMLProviderUUID"] and after["CreateDate"] == before["CreateDate"]
    assert _error(iam.update_saml_provider, SAMLProviderArn=arn, SAMLMetadataDocument="<a>" + "b" * 1000 + "</a>") == (
        "InvalidInput", "Could not parse metadata", 400)


def test_delete(iam, unique):
    arn = iam.create_saml_provider(Name=unique("saml"), SAMLMetadataDocument=metadata(),
                                   Tags=[{"Key": "k", "Value": "v"}])["SAMLProviderArn"]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    assert _error(iam.delete_saml_provider, SAMLProviderArn=arn) == (
        "NoSuchEntity", f"Manifest not found for arn {arn}", 404)


def test_tags(iam, unique):
    arn = iam.create_saml_provider(Name=unique("saml"), SAMLMetadataDocument=metadata())["SAMLProviderArn"]
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": f"k{i:02}", "Value": str(i)} for i in range(50)])
    first = iam.list_saml_provider_tags(SAMLProviderArn=arn, MaxItems=40)
    assert first["IsTruncated"] is True and len(first["Tags"]) == 40
    rest = iam.list_saml_provider_tags(SAMLProviderArn=arn, Marker=first["Marker"])
    assert rest["IsTruncated"] is False and len(rest["Tags"]) == 10
    assert _error(iam.tag_saml_provider, SAMLProviderArn=arn, Tags=[{"Key": "one-more", "Value": ""}]) == (
        "LimitExceeded", "The number of tags has reached the maximum limit.", 409)
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=[f"k{i:02}" for i in range(1, 50)])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "k00", "Value": "0"}]


def test_list_and_summary_in_a_fresh_account(server, new_account):
    fresh = new_account()
    iam = client(server, "iam", fresh["aws_access_key_id"], fresh["aws_secret_access_key"])
    assert iam.list_saml_providers()["SAMLProviderList"] == []
    arns = [iam.create_saml_provider(Name=name, SAMLMetadataDocument=metadata())["SAMLProviderArn"]
            for name in ("okta", "adfs")]
    iam.create_open_id_connect_provider(Url="https://oidc.example.org")
    listed = iam.list_saml_providers()["SAMLProviderList"]
    assert [entry["Arn"] for entry in listed] == sorted(arns)
    assert all(set(entry) == {"Arn", "ValidUntil", "CreateDate"} for entry in listed)
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == 3  # SAML and OIDC together


def test_assertion_encryption_is_not_served_yet(iam, unique):
    code, _, status = _error(iam.create_saml_provider, Name=unique("saml"), SAMLMetadataDocument=metadata(),
                             AssertionEncryptionMode="Required")
    assert (code, status) == ("NotImplemented", 501)


def test_through_the_aws_cli(server, unique, tmp_path):
    name = unique("cli")
    document = tmp_path / "metadata.xml"
    document.write_text(metadata())
    arn = aws_json(server, "iam", "create-saml-provider", "--name", name,
                   "--saml-metadata-document", f"file://{document}")["SAMLProviderArn"]
    got = aws_json(server, "iam", "get-saml-provider", "--saml-provider-arn", arn)
    assert got["SAMLMetadataDocument"] == metadata() and got["Tags"] == []
    assert any(entry["Arn"] == arn for entry in aws_json(server, "iam", "list-saml-providers")["SAMLProviderList"])
    aws_json(server, "iam", "delete-saml-provider", "--saml-provider-arn", arn)
    done = run_aws(server, "iam", "get-saml-provider", "--saml-provider-arn", arn)
    assert done.returncode != 0
    assert f"(NoSuchEntity) when calling the GetSAMLProvider operation: Manifest not found for arn {arn}" in done.stderr
