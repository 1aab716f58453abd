"""AWS's recorded error responses, one test per row, against the real server on both databases.

Source of every row: shared aws-recorded-errors.md ("AWS IAM and STS: recorded error responses"), the
table named in the row's id (operation, then the row's first column). Each row builds what it needs,
sends the one request the row describes and expects AWS's code, message and HTTP status exactly.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, client, error_of
from tests.api.test_server_certificates import material
from tests.api.test_signing_certificates import certificate
from tests.api.test_sigv4 import error as xml_error, send, signed

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
    "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
                                                               "Resource": "*"}]})
THUMB = "a" * 40
TAG_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"
VERSION_PATTERN = r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?"
TAG_KEYS_COMPOSITE = ("1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must "
                      "satisfy constraint: [Member must have length less than or equal to 128, Member must have "
                      "length greater than or equal to 1, Member must satisfy regular expression pattern: "
                      f"{TAG_PATTERN}, Member must not be null]")


def not_found(kind_message: str) -> tuple:
    return ("NoSuchEntity", kind_message, 404)


def invalid(message: str) -> tuple:
    return ("ValidationError", message, 400)


def one_error(at: str, constraint: str) -> tuple:
    return invalid(f"1 validation error detected: Value at '{at}' failed to satisfy constraint: {constraint}")


@dataclass
class Ctx:
    """Fresh entities for one row, made on demand and named uniquely."""

    iam: object
    server: object

    def name(self, prefix: str = "rec") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    def user(self) -> str:
        name = self.name("user")
        self.iam.create_user(UserName=name)
        return name

    def group(self) -> str:
        name = self.name("group")
        self.iam.create_group(GroupName=name)
        return name

    def role(self) -> str:
        name = self.name("role")
        self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
        return name

    def profile(self) -> str:
        name = self.name("profile")
        self.iam.create_instance_profile(InstanceProfileName=name)
        return name

    def policy(self) -> str:
        return self.iam.create_policy(PolicyName=self.name("policy"), PolicyDocument=DOCUMENT)["Policy"]["Arn"]

    def oidc(self, **extra) -> str:
        return self.iam.create_open_id_connect_provider(
            Url=f"https://{self.name('idp')}.example.org", **extra)["OpenIDConnectProviderArn"]

    def missing_policy(self) -> str:
        return f"arn:aws:iam::{ACCOUNT_ID}:policy/{self.name('ghost')}"

    def fresh_account(self):
        """An iam client of a new account: nothing set there yet."""
        values = self.server.new_account()
        key, secret, account = (values["aws_access_key_id"], values["aws_secret_access_key"], values["account_id"])
        return client(self.server, "iam", key, secret), account


# A row: (table, case) → fn(ctx) giving (call, params, expected (code, message, status)).
ROWS: dict[str, Callable] = {}


def row(table: str, case: str):
    def register(fn):
        ROWS[f"{table}: {case}"] = fn
        return fn
    return register


def ghost(ctx: Ctx) -> str:
    return ctx.name("ghost")


# ---- IAM -----------------------------------------------------------------------------------------

@row("AddRoleToInstanceProfile", "Instance profile does not exist")
def _(c):
    g = ghost(c)
    return c.iam.add_role_to_instance_profile, dict(InstanceProfileName=g, RoleName=c.role()), not_found(
        f"Instance Profile {g} cannot be found.")


@row("AddRoleToInstanceProfile", "Role does not exist (profile exists)")
def _(c):
    g = ghost(c)
    return c.iam.add_role_to_instance_profile, dict(InstanceProfileName=c.profile(), RoleName=g), not_found(
        f"The role with name {g} cannot be found.")


@row("AddRoleToInstanceProfile", "Profile already holds a role (max 1)")
def _(c):
    profile = c.profile()
    c.iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=c.role())
    return c.iam.add_role_to_instance_profile, dict(InstanceProfileName=profile, RoleName=c.role()), (
        "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", 409)


@row("AddUserToGroup", "User does not exist (group exists)")
def _(c):
    g = ghost(c)
    return c.iam.add_user_to_group, dict(UserName=g, GroupName=c.group()), not_found(
        f"The user with name {g} cannot be found.")


@row("AddUserToGroup", "Group does not exist (user exists)")
def _(c):
    g = ghost(c)
    return c.iam.add_user_to_group, dict(UserName=c.user(), GroupName=g), not_found(
        f"The group with name {g} cannot be found.")


# The newer of the two recorded answers (ARN ... is not valid.); the 2025 one ("Invalid ARN:  Could not be
# parsed!") is superseded. Group attachments answer as users' and roles' do.
for _entity, _kind in (("User", "user"), ("Role", "role"), ("Group", "group")):
    def _attach_not_arn(c, entity=_entity, kind=_kind):
        call = getattr(c.iam, f"attach_{kind}_policy")
        owner = getattr(c, kind)()
        return call, {f"{entity}Name": owner, "PolicyArn": "longpolicynamebutnoarn"}, invalid(
            "ARN longpolicynamebutnoarn is not valid.")

    def _attach_missing(c, entity=_entity, kind=_kind):
        call = getattr(c.iam, f"attach_{kind}_policy")
        arn = "arn:aws:iam::aws:policy/ReadOnlyAccessWithASuffix"
        return call, {f"{entity}Name": getattr(c, kind)(), "PolicyArn": arn}, not_found(
            f"Policy {arn} does not exist or is not attachable.")

    row(f"Attach{_entity}Policy", "PolicyArn is not an ARN")(_attach_not_arn)
    row(f"Attach{_entity}Policy", "Well-formed policy ARN, no such policy")(_attach_missing)


@row("CreateAccessKey", "User does not exist")
def _(c):
    g = ghost(c)
    return c.iam.create_access_key, dict(UserName=g), not_found(f"The user with name {g} cannot be found.")


@row("CreateAccessKey", "User already has 2 access keys")
def _(c):
    user = c.user()
    for _ in range(2):
        c.iam.create_access_key(UserName=user)
    return c.iam.create_access_key, dict(UserName=user), (
        "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)


@row("CreateGroup", "Group name already taken")
def _(c):
    group = c.group()
    return c.iam.create_group, dict(GroupName=group), (
        "EntityAlreadyExists", f"Group with name {group} already exists.", 409)


@row("CreateInstanceProfile", "Instance profile name already taken")
def _(c):
    profile = c.profile()
    return c.iam.create_instance_profile, dict(InstanceProfileName=profile), (
        "EntityAlreadyExists", f"Instance Profile {profile} already exists.", 409)


@row("CreateLoginProfile", "User does not exist")
def _(c):
    g = ghost(c)
    return c.iam.create_login_profile, dict(UserName=g, Password="Aa1!aaaaaaaaaaaa"), not_found(
        f"The user with name {g} cannot be found.")


@row("CreateLoginProfile", "User already has a login profile")
def _(c):
    user = c.user()
    c.iam.create_login_profile(UserName=user, Password="Aa1!aaaaaaaaaaaa")
    return c.iam.create_login_profile, dict(UserName=user, Password="Aa1!aaaaaaaaaaaa"), (
        "EntityAlreadyExists", f"Login Profile for user {user} already exists.", 409)


@row("CreateOpenIDConnectProvider", "Url has no https:// scheme")
def _(c):
    return c.iam.create_open_id_connect_provider, dict(Url="example.org"), invalid(
        "Invalid Open ID Connect Provider URL")


@row("CreateOpenIDConnectProvider", "A provider for this Url already exists")
def _(c):
    url = f"https://{c.name('idp')}.example.org"
    c.iam.create_open_id_connect_provider(Url=url)
    return c.iam.create_open_id_connect_provider, dict(Url=url), (
        "EntityAlreadyExists", f"Provider with url {url} already exists.", 409)


@row("CreateOpenIDConnectProvider", "6 thumbprints supplied")
def _(c):
    return c.iam.create_open_id_connect_provider, dict(
        Url=f"https://{c.name('idp')}.example.org", ThumbprintList=[str(i) * 40 for i in range(6)]), (
        "InvalidInput", "Thumbprint list must contain fewer than 5 entries.", 400)


@row("CreateOpenIDConnectProvider", "101 client IDs supplied")
def _(c):
    return c.iam.create_open_id_connect_provider, dict(
        Url=f"https://{c.name('idp')}.example.org", ClientIDList=[f"app-{i}" for i in range(101)]), (
        "LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100", 409)


@row("CreateOpenIDConnectProvider", "Url 256 chars, a 41-char thumbprint and a 256-char client ID")
def _(c):
    return c.iam.create_open_id_connect_provider, dict(
        Url="https://" + "a" * 248, ThumbprintList=["a" * 41], ClientIDList=["c" * 256]), invalid(
        "3 validation errors detected: Value at 'clientIDList' failed to satisfy constraint: Member must satisfy "
        "constraint: [Member must have length less than or equal to 255, Member must have length greater than or "
        "equal to 1]; Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: "
        "[Member must have length less than or equal to 40, Member must have length greater than or equal to 40]; "
        "Value at 'url' failed to satisfy constraint: Member must have length less than or equal to 255")


@row("CreatePolicy", "Policy name already taken")
def _(c):
    name = c.name("policy")
    c.iam.create_policy(PolicyName=name, PolicyDocument=DOCUMENT)
    return c.iam.create_policy, dict(PolicyName=name, PolicyDocument=DOCUMENT), (
        "EntityAlreadyExists", f"A policy called {name} already exists. Duplicate names are not allowed.", 409)


def _tag_rows(table: str, call_of: Callable, duplicate_message: str, tags_first: bool = True):
    """The five tag rows every tagging table records."""
    cases = {
        "51 tags": ([{"Key": f"k{i}", "Value": "v"} for i in range(51)],
                    one_error("tags", "Member must have length less than or equal to 50")),
        "Two tags with the same key": ([{"Key": "dupkey", "Value": "1"}, {"Key": "dupkey", "Value": "2"}],
                                       ("InvalidInput", duplicate_message, 400)),
        "Tag key of 129 chars": ([{"Key": "k" * 129, "Value": "v"}],
                                 one_error("tags.1.member.key", "Member must have length less than or equal to 128")),
        "Tag value of 257 chars": ([{"Key": "k", "Value": "v" * 257}], one_error(
            "tags.1.member.value", "Member must have length less than or equal to 256")),
        "Tag key with !": ([{"Key": "bad!", "Value": "v"}], one_error(
            "tags.1.member.key", f"Member must satisfy regular expression pattern: {TAG_PATTERN}")),
    }
    for case, (tags, expected) in cases.items():
        def make(c, tags=tags, expected=expected):
            call, params = call_of(c)
            return call, {**params, "Tags": tags}, expected
        row(table, case)(make)


INSENSITIVE = "Duplicate tag keys found. Please note that Tag keys are case insensitive."
_tag_rows("CreatePolicy", lambda c: (c.iam.create_policy, dict(PolicyName=c.name("policy"), PolicyDocument=DOCUMENT)),
          "Duplicate tag keys found.")
_tag_rows("TagPolicy", lambda c: (c.iam.tag_policy, dict(PolicyArn=c.policy())), "Duplicate tag keys found.")
_tag_rows("CreateRole", lambda c: (c.iam.create_role, dict(RoleName=c.name("role"), AssumeRolePolicyDocument=TRUST)),
          INSENSITIVE)
_tag_rows("TagRole", lambda c: (c.iam.tag_role, dict(RoleName=c.role())), INSENSITIVE)


@row("TagRole", "51 tags (validated before existence: also for a missing role)")
def _(c):
    return c.iam.tag_role, dict(RoleName=ghost(c), Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]), \
        one_error("tags", "Member must have length less than or equal to 50")


@row("CreatePolicyVersion", "Policy already has 5 versions")
def _(c):
    arn = c.policy()
    for _ in range(4):
        c.iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOCUMENT)
    return c.iam.create_policy_version, dict(PolicyArn=arn, PolicyDocument=DOCUMENT), (
        "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must "
        "delete an existing version.", 409)


@row("CreateRole", "Role name already taken")
def _(c):
    role = c.role()
    return c.iam.create_role, dict(RoleName=role, AssumeRolePolicyDocument=TRUST), (
        "EntityAlreadyExists", f"Role with name {role} already exists.", 409)


@row("CreateRole", "AssumeRolePolicyDocument is not valid JSON (trailing comma)")
def _(c):
    return c.iam.create_role, dict(RoleName=c.name("role"), AssumeRolePolicyDocument=TRUST[:-2] + ",]}"), (
        "MalformedPolicyDocument", "This policy contains invalid Json", 400)


@row("CreateRole", "Two tags whose keys are equal ignoring case")
def _(c):
    return c.iam.create_role, dict(RoleName=c.name("role"), AssumeRolePolicyDocument=TRUST, Tags=[
        {"Key": "mykey", "Value": "1"}, {"Key": "MyKey", "Value": "2"}]), ("InvalidInput", INSENSITIVE, 400)


@row("CreateRole", "PermissionsBoundary is an IAM ARN but not a policy ARN")
def _(c):
    arn = f"arn:aws:iam::{ACCOUNT_ID}:not_a_policy/invalid"
    return c.iam.create_role, dict(RoleName=c.name("role"), AssumeRolePolicyDocument=TRUST, PermissionsBoundary=arn), (
        "InvalidInput", f"ARN {arn} is not valid.", 400)


@row("CreateRole", "PermissionsBoundary is a well-formed policy ARN that does not exist")
def _(c):
    arn = c.missing_policy()
    return c.iam.create_role, dict(RoleName=c.name("role"), AssumeRolePolicyDocument=TRUST, PermissionsBoundary=arn), \
        not_found(f"Scope ARN: {arn} does not exist or is not attachable.")


@row("CreateServiceLinkedRole", "CustomSuffix given for a service that does not allow one")
def _(c):
    return c.iam.create_service_linked_role, dict(AWSServiceName="batch.amazonaws.com", CustomSuffix="x"), (
        "InvalidInput", "Custom suffix is not allowed for batch.amazonaws.com", 400)


@row("CreateServiceSpecificCredential", "User does not exist (reported even when the service is also invalid)")
def _(c):
    g = ghost(c)
    return c.iam.create_service_specific_credential, dict(UserName=g, ServiceName="o3on3n3onosneo"), not_found(
        f"The user with name {g} cannot be found.")


@row("CreateServiceSpecificCredential", "ServiceName unsupported")
def _(c):
    return c.iam.create_service_specific_credential, dict(UserName=c.user(), ServiceName="lambda.amazonaws.com"), \
        not_found("No such service lambda.amazonaws.com is supported for Service Specific Credentials")


@row("CreateUser", "User name already taken")
def _(c):
    user = c.user()
    return c.iam.create_user, dict(UserName=user), (
        "EntityAlreadyExists", f"User with name {user} already exists.", 409)


@row("CreateVirtualMFADevice", "Device name already exists at the same path")
def _(c):
    name = c.name("mfa")
    c.iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
    return c.iam.create_virtual_mfa_device, dict(VirtualMFADeviceName=name), (
        "EntityAlreadyExists", "MFA device already exists.", 409)


@row("CreateVirtualMFADevice", "Path missing the leading / or the trailing /")
def _(c):
    return c.iam.create_virtual_mfa_device, dict(VirtualMFADeviceName=c.name("mfa"), Path="/no-trailing"), invalid(
        "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric "
        "characters and/or / characters.")


@row("CreateVirtualMFADevice", "Path longer than 512 chars")
def _(c):
    return c.iam.create_virtual_mfa_device, dict(VirtualMFADeviceName=c.name("mfa"), Path="/" + "a" * 511 + "/"), \
        one_error("path", "Member must have length less than or equal to 512")


@row("DeactivateMFADevice", "User does not exist")
def _(c):
    g = ghost(c)
    return c.iam.deactivate_mfa_device, dict(UserName=g, SerialNumber=f"arn:aws:iam::{ACCOUNT_ID}:mfa/x"), not_found(
        f"The user with name {g} cannot be found.")


@row("DeactivateMFADevice", "User exists, serial number unknown")
def _(c):
    serial = f"arn:aws:iam::{ACCOUNT_ID}:mfa/{c.name('none')}"
    return c.iam.deactivate_mfa_device, dict(UserName=c.user(), SerialNumber=serial), not_found(
        f"MFA Device with serial number {serial} does not exist.")


@row("DeleteGroup", "Group does not exist")
def _(c):
    g = ghost(c)
    return c.iam.delete_group, dict(GroupName=g), not_found(f"The group with name {g} cannot be found.")


@row("DeleteInstanceProfile", "Instance profile does not exist")
def _(c):
    g = ghost(c)
    return c.iam.delete_instance_profile, dict(InstanceProfileName=g), not_found(
        f"Instance Profile {g} cannot be found.")


@row("DeleteInstanceProfile", "A role is still in the profile")
def _(c):
    profile = c.profile()
    c.iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=c.role())
    return c.iam.delete_instance_profile, dict(InstanceProfileName=profile), (
        "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)


@row("DeleteLoginProfile", "User does not exist")
def _(c):
    g = ghost(c)
    return c.iam.delete_login_profile, dict(UserName=g), not_found(f"The user with name {g} cannot be found.")


@row("DeleteLoginProfile", "User exists but has no login profile")
def _(c):
    user = c.user()
    return c.iam.delete_login_profile, dict(UserName=user), not_found(f"Login Profile for User {user} cannot be found.")


@row("DeleteOpenIDConnectProvider", "Provider does not exist (deleted twice)")
def _(c):
    arn = c.oidc()
    c.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    return c.iam.delete_open_id_connect_provider, dict(OpenIDConnectProviderArn=arn), not_found(
        f"OpenId connect Provider {arn} cannot be found.")


@row("DeletePolicy", "Customer policy ARN that does not exist")
def _(c):
    arn = c.missing_policy()
    return c.iam.delete_policy, dict(PolicyArn=arn), not_found(f"Policy {arn} was not found.")


@row("DeletePolicy", "AWS managed policy")
def _(c):
    return c.iam.delete_policy, dict(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"), (
        "AccessDenied", "Cannot delete policies outside your own account.", 403)


@row("DeletePolicy", "Policy still attached to a user, group or role")
def _(c):
    arn = c.policy()
    c.iam.attach_user_policy(UserName=c.user(), PolicyArn=arn)
    return c.iam.delete_policy, dict(PolicyArn=arn), ("DeleteConflict", "Cannot delete a policy attached to entities.",
                                                      409)


@row("DeletePolicyVersion", "AWS managed policy")
def _(c):
    return c.iam.delete_policy_version, dict(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess", VersionId="v1"), (
        "AccessDenied", "Cannot delete policy versions for policies outside your own account.", 403)


@row("DeletePolicyVersion", "VersionId is the default version")
def _(c):
    return c.iam.delete_policy_version, dict(PolicyArn=c.policy(), VersionId="v1"), (
        "DeleteConflict", "Cannot delete the default version of a policy.", 409)


@row("DeletePolicyVersion", "Version does not exist")
def _(c):
    arn = c.policy()
    return c.iam.delete_policy_version, dict(PolicyArn=arn, VersionId="v9"), not_found(
        f"Policy {arn} version v9 does not exist or is not attachable.")


@row("DeleteRole", "Role does not exist")
def _(c):
    g = ghost(c)
    return c.iam.delete_role, dict(RoleName=g), not_found(f"The role with name {g} cannot be found.")


@row("DeleteRole", "Managed policy still attached")
def _(c):
    role = c.role()
    c.iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    return c.iam.delete_role, dict(RoleName=role), ("DeleteConflict", "Cannot delete entity, must detach all policies "
                                                                      "first.", 409)


@row("DeleteRole", "Inline policy still present")
def _(c):
    role = c.role()
    c.iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=DOCUMENT)
    return c.iam.delete_role, dict(RoleName=role), ("DeleteConflict", "Cannot delete entity, must delete policies "
                                                                      "first.", 409)


@row("DeleteRole", "Role still in an instance profile")
def _(c):
    role = c.role()
    c.iam.add_role_to_instance_profile(InstanceProfileName=c.profile(), RoleName=role)
    return c.iam.delete_role, dict(RoleName=role), (
        "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)


@row("DeleteRolePolicy", "Role does not exist")
def _(c):
    g = ghost(c)
    return c.iam.delete_role_policy, dict(RoleName=g, PolicyName="p"), not_found(
        f"The role with name {g} cannot be found.")


@row("DeleteRolePolicy", "Role exists, inline policy does not")
def _(c):
    return c.iam.delete_role_policy, dict(RoleName=c.role(), PolicyName="nope"), not_found(
        "The role policy with name nope cannot be found.")


@row("DeleteSAMLProvider", "Provider ARN does not exist")
def _(c):
    arn = f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{c.name('none')}"
    return c.iam.delete_saml_provider, dict(SAMLProviderArn=arn), not_found(f"Manifest not found for arn {arn}")


@row("DeleteServerCertificate", "Certificate does not exist")
def _(c):
    g = ghost(c)
    return c.iam.delete_server_certificate, dict(ServerCertificateName=g), not_found(
        f"The Server Certificate with name {g} cannot be found.")


CREDENTIAL_ID_PATTERN = one_error("serviceSpecificCredentialId",
                                  r"Member must satisfy regular expression pattern: [\w]+")
UNKNOWN_CREDENTIAL = "ACCA" + "B" * 17


for _op in ("delete", "reset", "update"):
    _table = f"{_op.capitalize()}ServiceSpecificCredential"
    _extra = {"Status": "Inactive"} if _op == "update" else {}

    def _bad_id(c, op=_op, extra=_extra):
        call = getattr(c.iam, f"{op}_service_specific_credential")
        return call, dict(UserName=c.user(), ServiceSpecificCredentialId="not-a-valid-id-at-all", **extra), \
            CREDENTIAL_ID_PATTERN

    def _unknown_id(c, op=_op, extra=_extra):
        call = getattr(c.iam, f"{op}_service_specific_credential")
        return call, dict(UserName=c.user(), ServiceSpecificCredentialId=UNKNOWN_CREDENTIAL, **extra), not_found(
            f"No such credential {UNKNOWN_CREDENTIAL} exists")

    def _no_user(c, op=_op, extra=_extra):
        call = getattr(c.iam, f"{op}_service_specific_credential")
        g = ghost(c)
        return call, dict(UserName=g, ServiceSpecificCredentialId=UNKNOWN_CREDENTIAL, **extra), not_found(
            f"The user with name {g} cannot be found.")

    row(_table, "Credential ID fails [\\w]+")(_bad_id)
    row(_table, "Credential ID well-formed but unknown")(_unknown_id)
    row(_table, "User does not exist")(_no_user)


@row("UpdateServiceSpecificCredential", "Status not Active/Inactive")
def _(c):
    return c.iam.update_service_specific_credential, dict(
        UserName=c.user(), ServiceSpecificCredentialId=UNKNOWN_CREDENTIAL, Status="Invalid"), one_error(
        "status", "Member must satisfy enum value set")


UNKNOWN_CERTIFICATE = "C" * 24
UNKNOWN_SSH_KEY = "APKA" + "Q" * 16

for _op in ("delete", "update"):
    _extra = {"Status": "Inactive"} if _op == "update" else {}

    def _cert_no_user(c, op=_op, extra=_extra):
        g = ghost(c)
        return getattr(c.iam, f"{op}_signing_certificate"), dict(
            UserName=g, CertificateId=UNKNOWN_CERTIFICATE, **extra), not_found(
            f"The user with name {g} cannot be found.")

    def _cert_unknown(c, op=_op, extra=_extra):
        return getattr(c.iam, f"{op}_signing_certificate"), dict(
            UserName=c.user(), CertificateId=UNKNOWN_CERTIFICATE, **extra), not_found(
            f"The Certificate with id {UNKNOWN_CERTIFICATE} cannot be found.")

    def _ssh_unknown(c, op=_op, extra=_extra):
        return getattr(c.iam, f"{op}_ssh_public_key"), dict(
            UserName=c.user(), SSHPublicKeyId=UNKNOWN_SSH_KEY, **extra), not_found(
            f"The Public Key with id {UNKNOWN_SSH_KEY} cannot be found.")

    row(f"{_op.capitalize()}SigningCertificate", "User does not exist")(_cert_no_user)
    row(f"{_op.capitalize()}SigningCertificate", "User exists, certificate ID unknown")(_cert_unknown)
    row(f"{_op.capitalize()}SSHPublicKey", "Key ID unknown for this user")(_ssh_unknown)


@row("GetSSHPublicKey", "Key ID unknown for this user")
def _(c):
    return c.iam.get_ssh_public_key, dict(UserName=c.user(), SSHPublicKeyId=UNKNOWN_SSH_KEY, Encoding="SSH"), \
        not_found(f"The Public Key with id {UNKNOWN_SSH_KEY} cannot be found.")


@row("DeleteUser", "User does not exist")
def _(c):
    g = ghost(c)
    return c.iam.delete_user, dict(UserName=g), not_found(f"The user with name {g} cannot be found.")


@row("DeleteUser", "Managed policy still attached")
def _(c):
    user = c.user()
    c.iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    return c.iam.delete_user, dict(UserName=user), ("DeleteConflict", "Cannot delete entity, must detach all policies "
                                                                      "first.", 409)


@row("DeleteUser", "Inline policy still present")
def _(c):
    user = c.user()
    c.iam.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=DOCUMENT)
    return c.iam.delete_user, dict(UserName=user), ("DeleteConflict", "Cannot delete entity, must delete policies "
                                                                      "first.", 409)


@row("DeleteUser", "Service-specific credential still exists")
def _(c):
    user = c.user()
    c.iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")
    return c.iam.delete_user, dict(UserName=user), (
        "DeleteConflict", "Cannot delete entity, must remove referenced objects first.", 409)


@row("DeleteVirtualMFADevice", "Serial number unknown")
def _(c):
    serial = f"arn:aws:iam::{ACCOUNT_ID}:mfa/{c.name('none')}"
    return c.iam.delete_virtual_mfa_device, dict(SerialNumber=serial), not_found(
        f"MFA Device with serial number {serial} does not exist.")


for _entity, _kind in (("User", "user"), ("Role", "role"), ("Group", "group")):
    def _detach(c, entity=_entity, kind=_kind):
        arn = c.policy()
        return getattr(c.iam, f"detach_{kind}_policy"), {f"{entity}Name": getattr(c, kind)(), "PolicyArn": arn}, \
            not_found(f"Policy {arn} was not found.")

    row(f"Detach{_entity}Policy", "Existing policy not attached")(_detach)


@row("DetachRolePolicy", "AWS managed ARN that does not exist")
def _(c):
    arn = "arn:aws:iam::aws:policy/NoSuchManagedPolicyHere"
    return c.iam.detach_role_policy, dict(RoleName=c.role(), PolicyArn=arn), not_found(f"Policy {arn} was not found.")


@row("EnableMFADevice", "User does not exist")
def _(c):
    g = ghost(c)
    return c.iam.enable_mfa_device, dict(UserName=g, SerialNumber=f"arn:aws:iam::{ACCOUNT_ID}:mfa/x",
                                         AuthenticationCode1="123456", AuthenticationCode2="654321"), not_found(
        f"The user with name {g} cannot be found.")


@row("GetAccessKeyLastUsed", "Access key ID does not exist (AccessDenied, not NoSuchEntity)")
def _(c):
    key = "AKIA" + "Z" * 16
    return c.iam.get_access_key_last_used, dict(AccessKeyId=key), (
        "AccessDenied", f"User: arn:aws:iam::{ACCOUNT_ID}:root is not authorized to perform "
        f"iam:GetAccessKeyLastUsed on resource: access key {key}", 403)


@row("GetGroup", "Group does not exist")
def _(c):
    g = ghost(c)
    return c.iam.get_group, dict(GroupName=g), not_found(f"The group with name {g} cannot be found.")


@row("GetGroupPolicy", "Group exists, inline policy does not")
def _(c):
    return c.iam.get_group_policy, dict(GroupName=c.group(), PolicyName="nope"), not_found(
        "The group policy with name nope cannot be found.")


@row("GetInstanceProfile", "Instance profile does not exist")
def _(c):
    g = ghost(c)
    return c.iam.get_instance_profile, dict(InstanceProfileName=g), not_found(f"Instance Profile {g} cannot be found.")


@row("GetLoginProfile", "User has no login profile")
def _(c):
    user = c.user()
    return c.iam.get_login_profile, dict(UserName=user), not_found(f"Login Profile for User {user} cannot be found.")


@row("GetOpenIDConnectProvider", "Provider ARN does not exist")
def _(c):
    arn = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{c.name('none')}.example.org"
    return c.iam.get_open_id_connect_provider, dict(OpenIDConnectProviderArn=arn), not_found(
        f"OpenIDConnect Provider not found for arn {arn}")


@row("GetPolicyVersion", "VersionId fails the pattern, also for AWS managed policies")
def _(c):
    return c.iam.get_policy_version, dict(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess",
                                          VersionId="v2-does-not-exist"), one_error(
        "versionId", f"Member must satisfy regular expression pattern: {VERSION_PATTERN}")


@row("GetPolicyVersion", "Policy exists but the version does not")
def _(c):
    arn = c.policy()
    return c.iam.get_policy_version, dict(PolicyArn=arn, VersionId="v9"), not_found(
        f"Policy {arn} version v9 does not exist or is not attachable.")


@row("GetPolicyVersion", "Policy does not exist")
def _(c):
    arn = c.missing_policy()
    return c.iam.get_policy_version, dict(PolicyArn=arn, VersionId="v1"), not_found(
        f"Policy {arn} version v1 does not exist or is not attachable.")


for _table, _call, _extra in (("GetRole", "get_role", {}), ("GetRolePolicy", "get_role_policy", {"PolicyName": "p"}),
                              ("ListInstanceProfilesForRole", "list_instance_profiles_for_role", {}),
                              ("ListRoleTags", "list_role_tags", {}),
                              ("PutRolePolicy", "put_role_policy", {"PolicyName": "p", "PolicyDocument": DOCUMENT}),
                              ("TagRole", "tag_role", {"Tags": [{"Key": "k", "Value": "v"}]}),
                              ("UntagRole", "untag_role", {"TagKeys": ["k"]}),
                              ("UpdateRole", "update_role", {})):
    def _role_missing(c, call=_call, extra=_extra):
        g = ghost(c)
        return getattr(c.iam, call), dict(RoleName=g, **extra), not_found(f"The role with name {g} cannot be found.")

    row(_table, "Role does not exist")(_role_missing)


@row("GetRolePolicy", "Role exists, inline policy does not")
def _(c):
    return c.iam.get_role_policy, dict(RoleName=c.role(), PolicyName="nope"), not_found(
        "The role policy with name nope cannot be found.")


for _table, _call, _extra in (("GetUser", "get_user", {}), ("ListGroupsForUser", "list_groups_for_user", {}),
                              ("ListSigningCertificates", "list_signing_certificates", {}),
                              ("ListUserTags", "list_user_tags", {}),
                              ("TagUser", "tag_user", {"Tags": [{"Key": "k", "Value": "v"}]}),
                              ("UntagUser", "untag_user", {"TagKeys": ["k"]}),
                              ("UpdateUser", "update_user", {}),
                              ("UploadSigningCertificate", "upload_signing_certificate", {"CertificateBody": None})):
    def _user_missing(c, call=_call, extra=_extra):
        g = ghost(c)
        params = {k: (certificate(0) if v is None else v) for k, v in extra.items()}
        return getattr(c.iam, call), dict(UserName=g, **params), not_found(f"The user with name {g} cannot be found.")

    row(_table, "User does not exist")(_user_missing)


for _table, _call, _extra in (("ListInstanceProfileTags", "list_instance_profile_tags", {}),
                              ("TagInstanceProfile", "tag_instance_profile", {"Tags": [{"Key": "k", "Value": "v"}]}),
                              ("UntagInstanceProfile", "untag_instance_profile", {"TagKeys": ["k"]})):
    def _profile_missing(c, call=_call, extra=_extra):
        g = ghost(c)
        return getattr(c.iam, call), dict(InstanceProfileName=g, **extra), not_found(
            f"Instance Profile {g} cannot be found.")

    row(_table, "Instance profile does not exist")(_profile_missing)


@row("GetSAMLProvider", "Provider ARN does not exist")
def _(c):
    arn = f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{c.name('none')}"
    return c.iam.get_saml_provider, dict(SAMLProviderArn=arn), not_found(f"Manifest not found for arn {arn}")


@row("GetServerCertificate", "Certificate does not exist")
def _(c):
    g = ghost(c)
    return c.iam.get_server_certificate, dict(ServerCertificateName=g), not_found(
        f"The Server Certificate with name {g} cannot be found.")


@row("ListEntitiesForPolicy", "Policy does not exist")
def _(c):
    arn = c.missing_policy()
    return c.iam.list_entities_for_policy, dict(PolicyArn=arn), not_found(
        f"Policy {arn} does not exist or is not attachable.")


@row("ListServiceSpecificCredentials", "ServiceName unsupported")
def _(c):
    return c.iam.list_service_specific_credentials, dict(UserName=c.user(), ServiceName="lambda.amazonaws.com"), \
        not_found("No such service lambda.amazonaws.com is supported for Service Specific Credentials")


@row("ListVirtualMFADevices", "Marker is garbage")
def _(c):
    return c.iam.list_virtual_mfa_devices, dict(Marker="invalid-marker-value"), invalid("Invalid Marker.")


@row("PutRolePermissionsBoundary", "Boundary is an IAM ARN but not a policy ARN")
def _(c):
    arn = f"arn:aws:iam::{ACCOUNT_ID}:not_a_policy/invalid"
    return c.iam.put_role_permissions_boundary, dict(RoleName=c.role(), PermissionsBoundary=arn), (
        "InvalidInput", f"ARN {arn} is not valid.", 400)


@row("PutRolePermissionsBoundary", "Boundary policy does not exist")
def _(c):
    arn = c.missing_policy()
    return c.iam.put_role_permissions_boundary, dict(RoleName=c.role(), PermissionsBoundary=arn), not_found(
        f"Scope ARN: {arn} does not exist or is not attachable.")


@row("PutRolePermissionsBoundary", "Role does not exist (boundary valid)")
def _(c):
    g = ghost(c)
    return c.iam.put_role_permissions_boundary, dict(
        RoleName=g, PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess"), not_found(
        f"The role with name {g} cannot be found.")


@row("RemoveRoleFromInstanceProfile", "Instance profile does not exist")
def _(c):
    g = ghost(c)
    return c.iam.remove_role_from_instance_profile, dict(InstanceProfileName=g, RoleName=c.role()), not_found(
        f"Instance Profile {g} cannot be found.")


@row("RemoveRoleFromInstanceProfile", "Role does not exist")
def _(c):
    g = ghost(c)
    return c.iam.remove_role_from_instance_profile, dict(InstanceProfileName=c.profile(), RoleName=g), not_found(
        f"The role with name {g} cannot be found.")


@row("RemoveRoleFromInstanceProfile", "Both exist but the role is not in the profile")
def _(c):
    profile, role = c.profile(), c.role()
    return c.iam.remove_role_from_instance_profile, dict(InstanceProfileName=profile, RoleName=role), not_found(
        f"Role {role} in Instance Profile {profile} cannot be found.")


@row("RemoveUserFromGroup", "User does not exist (checked before the group)")
def _(c):
    g = ghost(c)
    return c.iam.remove_user_from_group, dict(UserName=g, GroupName=ghost(c)), not_found(
        f"The user with name {g} cannot be found.")


@row("RemoveUserFromGroup", "User exists, group does not")
def _(c):
    g = ghost(c)
    return c.iam.remove_user_from_group, dict(UserName=c.user(), GroupName=g), not_found(
        f"The group with name {g} cannot be found.")


@row("SetDefaultPolicyVersion", "AWS managed policy")
def _(c):
    return c.iam.set_default_policy_version, dict(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess",
                                                  VersionId="v1"), (
        "AccessDenied", "Cannot update policies outside your own account.", 403)


@row("SetDefaultPolicyVersion", "Policy exists but the version does not")
def _(c):
    arn = c.policy()
    return c.iam.set_default_policy_version, dict(PolicyArn=arn, VersionId="v4"), not_found(
        f"Policy {arn} version v4 does not exist or is not attachable.")


@row("SetDefaultPolicyVersion", "VersionId fails the pattern")
def _(c):
    return c.iam.set_default_policy_version, dict(PolicyArn=c.policy(), VersionId="wrong_version_id"), one_error(
        "versionId", f"Member must satisfy regular expression pattern: {VERSION_PATTERN}")


@row("TagOpenIDConnectProvider", "Provider already has 50 tags, one more added")
def _(c):
    arn = c.oidc(Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    return c.iam.tag_open_id_connect_provider, dict(OpenIDConnectProviderArn=arn, Tags=[{"Key": "one", "Value": ""}]), (
        "LimitExceeded", "The number of tags has reached the maximum limit.", 409)


for _table, _call, _owner in (("TagPolicy", "tag_policy", {"Tags": [{"Key": "k", "Value": "v"}]}),
                              ("UntagPolicy", "untag_policy", {"TagKeys": ["k"]})):
    def _policy_missing(c, call=_call, owner=_owner):
        arn = c.missing_policy()
        return getattr(c.iam, call), dict(PolicyArn=arn, **owner), not_found(f"Policy {arn} was not found.")

    row(_table, "Policy does not exist")(_policy_missing)

for _table, _call, _key in (("UntagPolicy", "untag_policy", "PolicyArn"), ("UntagRole", "untag_role", "RoleName")):
    def _many_keys(c, call=_call, key=_key):
        owner = c.policy() if key == "PolicyArn" else c.role()
        return getattr(c.iam, call), {key: owner, "TagKeys": [f"k{i}" for i in range(51)]}, one_error(
            "tagKeys", "Member must have length less than or equal to 50")

    def _bad_key(c, call=_call, key=_key):
        owner = c.policy() if key == "PolicyArn" else c.role()
        return getattr(c.iam, call), {key: owner, "TagKeys": ["bad!"]}, invalid(TAG_KEYS_COMPOSITE)

    def _long_key(c, call=_call, key=_key):
        owner = c.policy() if key == "PolicyArn" else c.role()
        return getattr(c.iam, call), {key: owner, "TagKeys": ["k" * 129]}, invalid(TAG_KEYS_COMPOSITE)

    row(_table, "51 tag keys")(_many_keys)
    row(_table, "A key with !")(_bad_key)
    row(_table, "A key of 129 chars")(_long_key)


@row("UpdateAccessKey", "Access key ID unknown for this user")
def _(c):
    key = "AKIA" + "Y" * 16
    return c.iam.update_access_key, dict(UserName=c.user(), AccessKeyId=key, Status="Inactive"), not_found(
        f"The Access Key with id {key} cannot be found.")


@row("UpdateAccountPasswordPolicy", "MaxPasswordAge 1096, MinimumPasswordLength 129, PasswordReusePrevention 25")
def _(c):
    return c.iam.update_account_password_policy, dict(MaxPasswordAge=1096, MinimumPasswordLength=129,
                                                      PasswordReusePrevention=25), invalid(
        "3 validation errors detected: Value at 'minimumPasswordLength' failed to satisfy constraint: Member must "
        "have value less than or equal to 128; Value at 'passwordReusePrevention' failed to satisfy constraint: "
        "Member must have value less than or equal to 24; Value at 'maxPasswordAge' failed to satisfy constraint: "
        "Member must have value less than or equal to 1095")


@row("UpdateAssumeRolePolicy", "PolicyDocument is not JSON")
def _(c):
    return c.iam.update_assume_role_policy, dict(RoleName=c.role(), PolicyDocument="not valid json"), (
        "MalformedPolicyDocument", "This policy contains invalid Json", 400)


@row("UpdateAssumeRolePolicy", "Trust statement uses an action other than the sts:AssumeRole family")
def _(c):
    document = TRUST.replace("sts:AssumeRole", "sts:InvalidAction")
    return c.iam.update_assume_role_policy, dict(RoleName=c.role(), PolicyDocument=document), (
        "MalformedPolicyDocument", "AssumeRole policy may only specify STS AssumeRole actions.", 400)


@row("UpdateAssumeRolePolicy", "Trust statement has a Resource element")
def _(c):
    document = TRUST.replace('"Action"', '"Resource": "arn:aws:s3:::example_bucket", "Action"')
    return c.iam.update_assume_role_policy, dict(RoleName=c.role(), PolicyDocument=document), (
        "MalformedPolicyDocument", "Has prohibited field Resource", 400)


@row("UpdateGroup", "Group does not exist")
def _(c):
    g = ghost(c)
    return c.iam.update_group, dict(GroupName=g, NewGroupName=c.name("new")), not_found(
        f"The group with name {g} cannot be found.")


@row("UpdateGroup", "NewGroupName already taken")
def _(c):
    taken = c.group()
    return c.iam.update_group, dict(GroupName=c.group(), NewGroupName=taken), (
        "EntityAlreadyExists", f"Group with name {taken} already exists.", 409)


@row("UploadServerCertificate", "Certificate name already taken")
def _(c):
    name = c.name("cert")
    body, key, _ = material()
    c.iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=key)
    return c.iam.upload_server_certificate, dict(ServerCertificateName=name, CertificateBody=body, PrivateKey=key), (
        "EntityAlreadyExists", f"The Server Certificate with name {name} already exists.", 409)


@row("UploadSigningCertificate", "CertificateBody is not a PEM certificate (body echoed)")
def _(c):
    return c.iam.upload_signing_certificate, dict(UserName=c.user(), CertificateBody="not a certificate"), (
        "MalformedCertificate", "Certificate not a certificate is malformed.", 400)


@row("UploadSigningCertificate", "User already has 2 signing certificates")
def _(c):
    user = c.user()
    for index in (1, 2):
        c.iam.upload_signing_certificate(UserName=user, CertificateBody=certificate(index))
    return c.iam.upload_signing_certificate, dict(UserName=user, CertificateBody=certificate(3)), (
        "LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2", 409)


# ---- fresh accounts: nothing set yet --------------------------------------------------------------

@row("DeleteAccountPasswordPolicy", "No password policy set")
def _(c):
    fresh, _ = c.fresh_account()
    return fresh.delete_account_password_policy, {}, not_found(
        "The account policy with name PasswordPolicy cannot be found.")


@row("GetAccountPasswordPolicy", "No password policy set (never set, or deleted)")
def _(c):
    fresh, account = c.fresh_account()
    return fresh.get_account_password_policy, {}, not_found(
        f"The Password Policy with domain name {account} cannot be found.")


@row("GetCredentialReport", "No report generated yet: HTTP 410, no Message element")
def _(c):
    fresh, _ = c.fresh_account()
    return fresh.get_credential_report, {}, ("ReportNotPresent", None, 410)


# ---- STS -----------------------------------------------------------------------------------------

@row("AssumeRole", "RoleArn not ARN-shaped")
def _(c):
    sts = client(c.server, "sts")
    return sts.assume_role, dict(RoleArn="nothing-valid-in-here", RoleSessionName="session"), invalid(
        "nothing-valid-in-here is invalid")


@row("AssumeRole", "RoleSessionName contains :")
def _(c):
    sts = client(c.server, "sts")
    return sts.assume_role, dict(RoleArn="arn:a:b:::something/test-role", RoleSessionName="Session1:2"), invalid(
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member "
        r"must satisfy regular expression pattern: [\w+=,.@-]*")


@row("AssumeRole", "RoleSessionName of 65 chars")
def _(c):
    sts = client(c.server, "sts")
    name = "s" * 65
    return sts.assume_role, dict(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{c.role()}", RoleSessionName=name), invalid(
        f"1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must "
        "have length less than or equal to 64")


@row("GetFederationToken", "Policy longer than 2048 chars (the whole policy is echoed)")
def _(c):
    sts = client(c.server, "sts")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
                                                                 "Resource": "arn:aws:s3:::" + "b" * 2100}]})
    return sts.get_federation_token, dict(Name="fed", Policy=policy), invalid(
        f"1 validation error detected: Value '{policy}' at 'policy' failed to satisfy constraint: Member must have "
        "length less than or equal to 2048")


@pytest.mark.parametrize("case", sorted(ROWS))
def test_recorded_row(server, iam, case):
    call, params, expected = ROWS[case](Ctx(iam, server))
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    assert error_of(excinfo) == expected


@pytest.mark.parametrize("version", ["2011-01-01", "2011-06-15"])
def test_a_version_that_is_not_the_services_answers_invalid_action(server, version):
    """A Query request whose Version is not the API's: InvalidAction, "Could not find operation <Action> for
    version <Version>" (AWS's answer to a Query API call with a Version it does not serve, as shown in
    aws/aws-cli issue #37). 2011-06-15 is STS's version: IAM's ListUsers is not in it."""
    status, code, message = xml_error(send(signed(server, {"Action": "ListUsers", "Version": version})))
    assert (status, code, message) == (
        400, "InvalidAction", f"Could not find operation ListUsers for version {version}")
    assert send(signed(server, {"Action": "ListUsers", "Version": "2010-05-08"})).status_code == 200
