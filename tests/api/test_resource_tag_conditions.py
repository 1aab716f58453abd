"""Conditions on the target resource's tags, for every kind of IAM resource that has tags.

AWS sources:
- Service Authorization Reference, "Actions, resources, and condition keys for AWS Identity and Access
  Management (IAM)" › "Resource types defined by IAM": aws:ResourceTag/${TagKey} is listed for
  instance-profile, mfa, oidc-provider, policy, role, saml-provider, server-certificate and user;
  iam:ResourceTag/${TagKey} for role and user only. The same reference for AWS STS lists both keys
  on the role resource of sts:AssumeRole. (The data ships with iamd: src/iamd/reference.)
- IAM User Guide, "Controlling access to and for IAM users and roles using tags" (resource tags of
  users and roles in conditions) and "Tags for AWS Identity and Access Management resources" (which
  IAM resources can be tagged).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, client, error_of
from tests.api.test_saml_providers import metadata
from tests.api.test_server_certificates import material


def policy(action: str, key: str, value: str = "a") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": "*", "Condition": {"StringEquals": {key: value}}}]})


def tagged(team: str) -> list[dict]:
    return [{"Key": "team", "Value": team}]


@dataclass
class Kind:
    action: str
    create: Callable  # (iam, unique, team) → what call needs
    call: Callable  # (client, made) → a read of the resource
    iam_key: bool  # whether iam:ResourceTag/* is defined for the resource type


def _server_certificate(iam, unique, team):
    body, key, _ = material(0)
    name = unique("cert")
    iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=key,
                                  Tags=tagged(team))
    return name


KINDS = {
    "user": Kind("iam:GetUser",
                 lambda iam, unique, team: iam.create_user(UserName=unique("u"), Tags=tagged(team))["User"]["UserName"],
                 lambda c, name: c.get_user(UserName=name), True),
    "role": Kind("iam:GetRole",
                 lambda iam, unique, team: iam.create_role(
                     RoleName=unique("r"), Path="/tagged/", Tags=tagged(team),
                     AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                         "Effect": "Allow", "Principal": {"AWS": ACCOUNT_ID}, "Action": "sts:AssumeRole"}]}),
                 )["Role"]["RoleName"],
                 lambda c, name: c.get_role(RoleName=name), True),
    "policy": Kind("iam:GetPolicy",
                   lambda iam, unique, team: iam.create_policy(
                       PolicyName=unique("p"), Tags=tagged(team), PolicyDocument=json.dumps({
                           "Version": "2012-10-17",
                           "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}),
                   )["Policy"]["Arn"],
                   lambda c, arn: c.get_policy(PolicyArn=arn), False),
    "instance-profile": Kind("iam:GetInstanceProfile",
                             lambda iam, unique, team: iam.create_instance_profile(
                                 InstanceProfileName=unique("ip"), Path="/ip/", Tags=tagged(team),
                             )["InstanceProfile"]["InstanceProfileName"],
                             lambda c, name: c.get_instance_profile(InstanceProfileName=name), False),
    "oidc-provider": Kind("iam:GetOpenIDConnectProvider",
                          lambda iam, unique, team: iam.create_open_id_connect_provider(
                              Url=f"https://{unique('idp')}.example.com", Tags=tagged(team),
                          )["OpenIDConnectProviderArn"],
                          lambda c, arn: c.get_open_id_connect_provider(OpenIDConnectProviderArn=arn), False),
    "saml-provider": Kind("iam:GetSAMLProvider",
                          lambda iam, unique, team: iam.create_saml_provider(
                              Name=unique("saml"), SAMLMetadataDocument=metadata(), Tags=tagged(team),
                          )["SAMLProviderArn"],
                          lambda c, arn: c.get_saml_provider(SAMLProviderArn=arn), False),
    "server-certificate": Kind("iam:GetServerCertificate", _server_certificate,
                               lambda c, name: c.get_server_certificate(ServerCertificateName=name), False),
    "mfa": Kind("iam:ListMFADeviceTags",
                lambda iam, unique, team: iam.create_virtual_mfa_device(
                    VirtualMFADeviceName=unique("mfa"), Path="/mfa/", Tags=tagged(team),
                )["VirtualMFADevice"]["SerialNumber"],
                lambda c, serial: c.list_mfa_device_tags(SerialNumber=serial), False),
}


@pytest.fixture
def caller(server, iam, new_user):
    def make(document: str):
        name, key_id, secret = new_user()
        iam.put_user_policy(UserName=name, PolicyName="tags", PolicyDocument=document)
        return client(server, "iam", key_id, secret)
    return make


def outcome(call) -> str:
    try:
        call()
        return "allowed"
    except ClientError as error:
        response = error.response
        assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDenied", 403)
        assert "because no identity-based policy allows" in response["Error"]["Message"]
        return "denied"


@pytest.mark.parametrize("kind", list(KINDS))
def test_aws_resource_tag_allows_only_the_resource_tagged_so(iam, caller, unique, kind):
    spec = KINDS[kind]
    team_a, team_b = spec.create(iam, unique, "a"), spec.create(iam, unique, "b")
    own = caller(policy(spec.action, "aws:ResourceTag/team"))
    assert outcome(lambda: spec.call(own, team_a)) == "allowed"
    assert outcome(lambda: spec.call(own, team_b)) == "denied"


@pytest.mark.parametrize("kind", list(KINDS))
def test_iam_resource_tag_is_defined_for_users_and_roles_only(iam, caller, unique, kind):
    spec = KINDS[kind]
    team_a, team_b = spec.create(iam, unique, "a"), spec.create(iam, unique, "b")
    own = caller(policy(spec.action, "iam:ResourceTag/team"))
    expected = "allowed" if spec.iam_key else "denied"  # an undefined key is absent: the condition fails
    assert outcome(lambda: spec.call(own, team_a)) == expected
    assert outcome(lambda: spec.call(own, team_b)) == "denied"


def test_a_changed_tag_holds_at_once(iam, caller, unique):
    role = KINDS["role"].create(iam, unique, "a")
    own = caller(policy("iam:GetRole", "aws:ResourceTag/team"))
    assert outcome(lambda: own.get_role(RoleName=role)) == "allowed"
    iam.tag_role(RoleName=role, Tags=tagged("b"))
    assert outcome(lambda: own.get_role(RoleName=role)) == "denied"
    iam.untag_role(RoleName=role, TagKeys=["team"])
    assert outcome(lambda: own.get_role(RoleName=role)) == "denied"
    iam.tag_role(RoleName=role, Tags=tagged("a"))
    assert outcome(lambda: own.get_role(RoleName=role)) == "allowed"


@pytest.mark.parametrize("key", ["aws:ResourceTag/team", "iam:ResourceTag/team"])
def test_assume_role_sees_the_roles_tags(server, iam, new_user, unique, key):
    """The role's trust policy names the account, so the caller's own policy must allow sts:AssumeRole."""
    team_a, team_b = KINDS["role"].create(iam, unique, "a"), KINDS["role"].create(iam, unique, "b")
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="assume", PolicyDocument=policy("sts:AssumeRole", key))
    sts = client(server, "sts", key_id, secret)
    sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/tagged/{team_a}", RoleSessionName="s1")
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/tagged/{team_b}", RoleSessionName="s1")
    message = (f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: sts:AssumeRole "
               f"on resource: arn:aws:iam::{ACCOUNT_ID}:role/tagged/{team_b}")
    assert error_of(excinfo) == ("AccessDenied", message, 403)


# ---- a resource deleted and re-created under its name: its new tags decide at once ------------------
# Every cache on the authorization path is keyed on unique ids (docs/architecture.md, "Why the caches are
# correct"), and a target's tags are read by its row's id at each request (service/resource_tags.py): a
# namesake is another resource. Each kind: (make(iam, name, tags) → what call needs, drop(iam, made)).

def _make_certificate(iam, name, tags):
    body, key, _ = material(0)
    iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=key, Tags=tags)
    return name


_REMADE = {
    "user": (lambda iam, name, tags: iam.create_user(UserName=name, Tags=tags)["User"]["UserName"],
             lambda iam, made: iam.delete_user(UserName=made)),
    "role": (lambda iam, name, tags: iam.create_role(
                 RoleName=name, Tags=tags, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                     "Effect": "Allow", "Principal": {"AWS": ACCOUNT_ID}, "Action": "sts:AssumeRole"}]}),
             )["Role"]["RoleName"],
             lambda iam, made: iam.delete_role(RoleName=made)),
    "policy": (lambda iam, name, tags: iam.create_policy(PolicyName=name, Tags=tags, PolicyDocument=json.dumps({
                   "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser",
                                                           "Resource": "*"}]}))["Policy"]["Arn"],
               lambda iam, made: iam.delete_policy(PolicyArn=made)),
    "instance-profile": (lambda iam, name, tags: iam.create_instance_profile(
                             InstanceProfileName=name, Tags=tags)["InstanceProfile"]["InstanceProfileName"],
                         lambda iam, made: iam.delete_instance_profile(InstanceProfileName=made)),
    "oidc-provider": (lambda iam, name, tags: iam.create_open_id_connect_provider(
                          Url=f"https://{name}.example.com", Tags=tags)["OpenIDConnectProviderArn"],
                      lambda iam, made: iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=made)),
    "saml-provider": (lambda iam, name, tags: iam.create_saml_provider(
                          Name=name, SAMLMetadataDocument=metadata(), Tags=tags)["SAMLProviderArn"],
                      lambda iam, made: iam.delete_saml_provider(SAMLProviderArn=made)),
    "server-certificate": (_make_certificate,
                           lambda iam, made: iam.delete_server_certificate(ServerCertificateName=made)),
    "mfa": (lambda iam, name, tags: iam.create_virtual_mfa_device(
                VirtualMFADeviceName=name, Tags=tags)["VirtualMFADevice"]["SerialNumber"],
            lambda iam, made: iam.delete_virtual_mfa_device(SerialNumber=made)),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_namesake_is_decided_by_its_own_tags(iam, caller, unique, kind):
    """aws:ResourceTag/team on each kind (Service Authorization Reference, IAM, "Resource types defined
    by IAM": the key is listed for user, role, policy, instance-profile, server-certificate, oidc-provider,
    saml-provider and mfa, and GetUser, GetRole, GetPolicy, GetInstanceProfile, GetServerCertificate,
    GetOpenIDConnectProvider, GetSAMLProvider, ListMFADeviceTags act on that resource type): tagged so,
    allowed; untagged, refused; deleted and re-created under the same name, the new one's tags decide."""
    spec, (make, drop) = KINDS[kind], _REMADE[kind]
    name = unique("same")
    own = caller(policy(spec.action, "aws:ResourceTag/team"))
    made = make(iam, name, tagged("a"))
    assert outcome(lambda: spec.call(own, made)) == "allowed"  # the caller's policies now cached
    drop(iam, made)
    again = make(iam, name, [])
    assert again == made  # the same name, ARN or serial number
    assert outcome(lambda: spec.call(own, again)) == "denied"  # untagged
    drop(iam, again)
    make(iam, name, tagged("b"))
    assert outcome(lambda: spec.call(own, again)) == "denied"  # tagged otherwise
    drop(iam, again)
    make(iam, name, tagged("a"))
    assert outcome(lambda: spec.call(own, again)) == "allowed"
