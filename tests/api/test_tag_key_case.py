"""Tag keys that differ only in case, in one request, for every IAM operation that takes Tags.

Sources: IAM User Guide, "Tags for AWS Identity and Access Management resources", sections "Rules for
tagging in IAM and AWS STS" and "Case sensitivity" (an IAM entity cannot carry two keys that differ only
in case); the messages and the exception for customer managed policies (their keys are case-sensitive:
`a` and `A` coexist, only identical keys are duplicates) are from shared aws-recorded-errors.md, tables
CreateRole, TagRole, CreatePolicy, TagPolicy and "Response shapes worth noticing".
"""

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, error_of
from tests.api.test_saml_providers import metadata
from tests.api.test_server_certificates import material

INSENSITIVE = ("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400)
TRUST = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
         '"Action":"sts:AssumeRole"}]}')
DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}'
CASED = [{"Key": "mykey", "Value": "1"}, {"Key": "MyKey", "Value": "2"}]


def _name() -> str:
    return f"case-{uuid.uuid4().hex[:10]}"


def _oidc_url() -> str:
    return f"https://{uuid.uuid4().hex[:10]}.example.org"


# operation → a call that sends `tags` with a fresh entity (created untagged first for the Tag* operations)
CALLS = {
    "CreateUser": lambda iam, tags: iam.create_user(UserName=_name(), Tags=tags),
    "TagUser": lambda iam, tags: iam.tag_user(
        UserName=iam.create_user(UserName=_name())["User"]["UserName"], Tags=tags),
    "CreateRole": lambda iam, tags: iam.create_role(RoleName=_name(), AssumeRolePolicyDocument=TRUST, Tags=tags),
    "TagRole": lambda iam, tags: iam.tag_role(
        RoleName=iam.create_role(RoleName=_name(), AssumeRolePolicyDocument=TRUST)["Role"]["RoleName"], Tags=tags),
    "CreateInstanceProfile": lambda iam, tags: iam.create_instance_profile(InstanceProfileName=_name(), Tags=tags),
    "TagInstanceProfile": lambda iam, tags: iam.tag_instance_profile(
        InstanceProfileName=iam.create_instance_profile(InstanceProfileName=_name())["InstanceProfile"][
            "InstanceProfileName"], Tags=tags),
    "CreateVirtualMFADevice": lambda iam, tags: iam.create_virtual_mfa_device(VirtualMFADeviceName=_name(), Tags=tags),
    "TagMFADevice": lambda iam, tags: iam.tag_mfa_device(
        SerialNumber=iam.create_virtual_mfa_device(VirtualMFADeviceName=_name())["VirtualMFADevice"]["SerialNumber"],
        Tags=tags),
    "CreateOpenIDConnectProvider": lambda iam, tags: iam.create_open_id_connect_provider(Url=_oidc_url(), Tags=tags),
    "TagOpenIDConnectProvider": lambda iam, tags: iam.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=iam.create_open_id_connect_provider(Url=_oidc_url())["OpenIDConnectProviderArn"],
        Tags=tags),
    "CreateSAMLProvider": lambda iam, tags: iam.create_saml_provider(
        Name=_name(), SAMLMetadataDocument=metadata(), Tags=tags),
    "TagSAMLProvider": lambda iam, tags: iam.tag_saml_provider(
        SAMLProviderArn=iam.create_saml_provider(Name=_name(), SAMLMetadataDocument=metadata())["SAMLProviderArn"],
        Tags=tags),
    "UploadServerCertificate": lambda iam, tags: iam.upload_server_certificate(
        ServerCertificateName=_name(), CertificateBody=material()[0], PrivateKey=material()[1], Tags=tags),
    "TagServerCertificate": lambda iam, tags: iam.tag_server_certificate(
        ServerCertificateName=iam.upload_server_certificate(
            ServerCertificateName=_name(), CertificateBody=material()[0], PrivateKey=material()[1])[
            "ServerCertificateMetadata"]["ServerCertificateName"], Tags=tags),
    "CreatePolicy": lambda iam, tags: iam.create_policy(PolicyName=_name(), PolicyDocument=DOCUMENT, Tags=tags),
    "TagPolicy": lambda iam, tags: iam.tag_policy(
        PolicyArn=iam.create_policy(PolicyName=_name(), PolicyDocument=DOCUMENT)["Policy"]["Arn"], Tags=tags),
}
CASE_INSENSITIVE = sorted(set(CALLS) - {"CreatePolicy", "TagPolicy"})


def _error(call, iam, tags) -> tuple:
    with pytest.raises(ClientError) as excinfo:
        call(iam, tags)
    return error_of(excinfo)


@pytest.mark.parametrize("operation", CASE_INSENSITIVE)
def test_keys_equal_ignoring_case_are_duplicates(iam, operation):
    assert _error(CALLS[operation], iam, CASED) == INSENSITIVE
    identical = [{"Key": "dupkey", "Value": "1"}, {"Key": "dupkey", "Value": "2"}]
    assert _error(CALLS[operation], iam, identical) == INSENSITIVE


@pytest.mark.parametrize("operation", ["CreatePolicy", "TagPolicy"])
def test_policy_tag_keys_are_case_sensitive(iam, operation):
    assert _error(CALLS[operation], iam, [{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}]) == (
        "InvalidInput", "Duplicate tag keys found.", 400)
    CALLS[operation](iam, CASED)


def test_a_refused_create_leaves_nothing_behind(iam):
    name = _name()
    with pytest.raises(ClientError):
        iam.create_user(UserName=name, Tags=CASED)
    with pytest.raises(ClientError) as excinfo:
        iam.get_user(UserName=name)
    assert error_of(excinfo)[0] == "NoSuchEntity"


def test_both_policy_keys_are_kept(iam):
    arn = iam.create_policy(PolicyName=_name(), PolicyDocument=DOCUMENT, Tags=CASED)["Policy"]["Arn"]
    assert arn.startswith(f"arn:aws:iam::{ACCOUNT_ID}:policy/")
    keys = sorted(tag["Key"] for tag in iam.list_policy_tags(PolicyArn=arn)["Tags"])
    assert keys == ["MyKey", "mykey"]
