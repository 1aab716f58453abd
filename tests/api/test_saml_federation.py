"""STS AssumeRoleWithSAML against a real SAML IdP made here (tests/saml_idp.py): its key signs the
responses, its metadata is registered with CreateSAMLProvider, and boto3 and the aws CLI call iamd
unsigned, as they call AWS.

AWS sources, cited per test: the STS API reference "AssumeRoleWithSAML"; IAM User Guide "Configure SAML
assertions for the authentication response" (below: "SAML assertions"), "Available keys for SAML-based
AWS STS federation" (below: "SAML keys"), "Pass session tags using AssumeRoleWithSAML" and "Troubleshoot
SAML 2.0 federation with AWS" (below: "Troubleshoot SAML", the error messages).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta

import botocore
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from lxml import etree

from tests.api.conftest import ACCOUNT_ID, boto_session, client, error_of, run_aws
from tests.api.server import standard_server
from tests.saml_idp import (
    AWS_SAML,
    PRINCIPAL_TAG,
    SAML,
    SESSION_DURATION,
    SOURCE_IDENTITY,
    TRANSITIVE_TAG_KEYS,
    IdentityProvider,
    _drop_placeholder,
    encoded,
)

EDU_ORG_DN = "urn:oid:1.3.6.1.4.1.5923.1.1.1.3"
EDU_AFFILIATION = "urn:oid:1.3.6.1.4.1.5923.1.1.1.1"
NOT_AUTHORIZED = ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 403)
SIGNATURE_INVALID = ("InvalidIdentityToken", "Response signature invalid", 400)


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def saml_trust(provider_arn: str, actions=("sts:AssumeRoleWithSAML",), **condition) -> str:
    statement = {"Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": list(actions)}
    if condition:
        statement["Condition"] = condition
    return doc(statement)


def anonymous_sts(server):
    """An STS client without credentials: AssumeRoleWithSAML is an unsigned call."""
    return boto_session().client(
        "sts", endpoint_url=server.endpoint, region_name="us-east-1",
        config=Config(signature_version=botocore.UNSIGNED, retries={"total_max_attempts": 1}))


class Federation:
    """A SAML provider for ``idp`` and a role trusting it."""

    def __init__(self, server, iam, unique, idp: IdentityProvider, trust=None, max_seconds=3600):
        self.server, self.iam, self.idp = server, iam, idp
        self.provider_arn = iam.create_saml_provider(Name=unique("idp"), SAMLMetadataDocument=idp.metadata())[
            "SAMLProviderArn"]
        self.role_name = unique("saml-role")
        self.role_arn = iam.create_role(RoleName=self.role_name, MaxSessionDuration=max_seconds,
                                        AssumeRolePolicyDocument=trust or saml_trust(self.provider_arn))["Role"]["Arn"]
        iam.put_role_policy(RoleName=self.role_name, PolicyName="read", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}))
        self.sts = anonymous_sts(server)

    @property
    def pair(self):
        return (self.role_arn, self.provider_arn)

    def response(self, **args) -> str:
        args.setdefault("roles", [self.pair])
        return encoded(self.idp.response(**args))

    def assume(self, saml_response: str | None = None, role_arn: str | None = None, **params):
        return self.sts.assume_role_with_saml(RoleArn=role_arn or self.role_arn, PrincipalArn=self.provider_arn,
                                              SAMLAssertion=saml_response or self.response(), **params)

    def refused(self, saml_response: str | None = None, **params):
        with pytest.raises(ClientError) as excinfo:
            self.assume(saml_response, **params)
        return error_of(excinfo)


@pytest.fixture
def idp():
    return IdentityProvider()


@pytest.fixture
def federation(server, iam, unique, idp):
    return Federation(server, iam, unique, idp)


def seconds_left(result) -> float:
    return (result["Credentials"]["Expiration"] - datetime.now(UTC)).total_seconds()


# ------------------------------------------------------------------------------------------ success

def test_the_session_is_the_roles_and_the_response_describes_the_assertion(server, federation, idp):
    """API reference, AssumeRoleWithSAML (response elements): Subject is the NameID, SubjectType its
    Format without the SAML 2.0 prefix, Audience the Recipient, NameQualifier
    BASE64(SHA1(issuer + account + "/" + provider name))."""
    result = federation.assume()
    provider_name = federation.provider_arn.rsplit("/", 1)[1]
    session_arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{federation.role_name}/alice"
    assert result["AssumedRoleUser"]["Arn"] == session_arn
    assert result["AssumedRoleUser"]["AssumedRoleId"].endswith(":alice")
    assert result["Subject"] == "alice-1234"
    assert result["SubjectType"] == "persistent"
    assert result["Issuer"] == idp.entity_id
    assert result["Audience"] == AWS_SAML
    expected = base64.b64encode(hashlib.sha1(f"{idp.entity_id}{ACCOUNT_ID}/{provider_name}".encode()).digest())
    assert result["NameQualifier"] == expected.decode()
    assert "PackedPolicySize" not in result
    assert 3500 < seconds_left(result) <= 3600  # DurationSeconds defaults to one hour

    credentials = result["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    session = {"key_id": credentials["AccessKeyId"], "secret": credentials["SecretAccessKey"],
               "token": credentials["SessionToken"]}
    identity = client(server, "sts", **session).get_caller_identity()
    assert identity["Arn"] == session_arn and identity["Account"] == ACCOUNT_ID
    session_iam = client(server, "iam", **session)
    session_iam.list_users()  # the role's policy allows it
    with pytest.raises(ClientError) as excinfo:
        session_iam.list_roles()  # ... and nothing else
    assert error_of(excinfo)[0] == "AccessDenied"


@pytest.mark.parametrize("signed", ["response", "both"])
def test_the_response_or_both_may_be_signed(federation, signed):
    """SAML assertions: the IdP signs the response, its assertion, or both; each verifies."""
    assert federation.assume(federation.response(sign=signed))["Subject"] == "alice-1234"


def test_the_aws_cli_assumes_a_role_with_saml(server, federation):
    done = run_aws(server, "sts", "assume-role-with-saml", "--role-arn", federation.role_arn,
                   "--principal-arn", federation.provider_arn, "--saml-assertion", federation.response())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AssumedRoleUser"]["Arn"].endswith(f"/{federation.role_name}/alice")


# ------------------------------------------------------------------------------------------ signature

def test_an_unsigned_response_is_refused(federation):
    """Troubleshoot SAML: "Response signature invalid" (InvalidIdentityToken, 400)."""
    assert federation.refused(federation.response(sign="none")) == SIGNATURE_INVALID


@pytest.mark.parametrize("signed", ["assertion", "response"])
def test_a_tampered_response_is_refused(federation, signed):
    xml = federation.idp.response(roles=[federation.pair], sign=signed, subject="alice-1234")
    tampered = xml.replace(b"alice-1234", b"admin-0001")
    assert tampered != xml
    assert federation.refused(encoded(tampered)) == SIGNATURE_INVALID


def test_a_response_signed_by_another_key_is_refused_until_the_metadata_names_it(federation, iam):
    """Troubleshoot SAML ("Response signature invalid"): the metadata's certificate must match; an
    updated metadata document (UpdateSAMLProvider) with the new certificate fixes it."""
    rotated = IdentityProvider(entity_id=federation.idp.entity_id)
    response = encoded(rotated.response(roles=[federation.pair]))
    assert federation.refused(response) == SIGNATURE_INVALID
    iam.update_saml_provider(SAMLProviderArn=federation.provider_arn, SAMLMetadataDocument=federation.idp.metadata(
        [federation.idp.certificate, rotated.certificate]))
    assert federation.assume(response)["Subject"] == "alice-1234"


def test_signature_wrapping_uses_only_the_signed_assertion(federation, iam, unique):
    """A forged assertion placed beside the signed one is never read: the session is the signed
    assertion's, and a role only the forged one names is refused."""
    admin = iam.create_role(RoleName=unique("admin"), AssumeRolePolicyDocument=saml_trust(
        federation.provider_arn))["Role"]["Arn"]
    signed = etree.fromstring(federation.idp.response(roles=[federation.pair], sign="assertion"))
    original = signed.find(f"{{{SAML}}}Assertion")
    for same_id in (False, True):
        wrapped = copy.deepcopy(signed)
        forged = federation.idp.assertion(roles=[(admin, federation.provider_arn)], subject="mallory",
                                          session_name="mallory",
                                          assertion_id=original.get("ID") if same_id else None)
        _drop_placeholder(forged)
        wrapped.find(f"{{{SAML}}}Assertion").addprevious(forged)
        refused = federation.refused(encoded(etree.tostring(wrapped)), role_arn=admin)
        assert refused in (NOT_AUTHORIZED, SIGNATURE_INVALID)
    # The same wrapped response for the signed assertion's own role: the signed subject, not mallory's.
    wrapped = copy.deepcopy(signed)
    forged = federation.idp.assertion(roles=[federation.pair], subject="mallory", session_name="mallory")
    _drop_placeholder(forged)
    wrapped.find(f"{{{SAML}}}Assertion").addprevious(forged)
    result = federation.assume(encoded(etree.tostring(wrapped)))
    assert result["Subject"] == "alice-1234"
    assert result["AssumedRoleUser"]["Arn"].endswith("/alice")


def test_a_document_type_declaration_is_refused_not_expanded(federation):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&b;</samlp:Response>')
    assert federation.refused(encoded(bomb)) == ("InvalidIdentityToken", "Invalid SAML response", 400)
    assert federation.refused("not base64 at all!")[0] == "InvalidIdentityToken"


def test_a_too_short_assertion_is_a_validation_error_that_does_not_echo_it(server, federation):
    """The model's SAMLAssertionType: at least 4 characters, and sensitive (never echoed)."""
    federation.sts = boto_session().client(
        "sts", endpoint_url=server.endpoint, region_name="us-east-1",
        config=Config(signature_version=botocore.UNSIGNED, parameter_validation=False))
    assert federation.refused("abc") == (
        "ValidationError", "1 validation error detected: Value at 'sAMLAssertion' failed to satisfy constraint: "
        "Member must have length greater than or equal to 4", 400)


# ------------------------------------------------------------------------------------------ the claims

def test_the_issuer_must_be_the_providers(federation):
    """Troubleshoot SAML: "Issuer not present in specified provider"."""
    assert federation.refused(federation.response(issuer="https://someone-else.example.test/saml")) == (
        "InvalidIdentityToken", "Issuer not present in specified provider", 400)


def test_an_unknown_provider_is_refused(federation, unique):
    """Troubleshoot SAML: "Specified provider doesn't exist."."""
    with pytest.raises(ClientError) as excinfo:
        federation.sts.assume_role_with_saml(
            RoleArn=federation.role_arn, PrincipalArn=f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{unique('none')}",
            SAMLAssertion=federation.response())
    assert error_of(excinfo) == ("InvalidIdentityToken", "Specified provider doesn't exist.", 400)


@pytest.mark.parametrize("audience", [AWS_SAML, "urn:amazon:webservices"])
def test_either_documented_audience_is_accepted(federation, audience):
    """SAML assertions, "AudienceRestriction and Audience": https://signin.aws.amazon.com/saml or
    urn:amazon:webservices."""
    assert federation.assume(federation.response(audience=audience))["Audience"] == AWS_SAML


def test_a_wrong_audience_is_refused(federation):
    assert federation.refused(federation.response(audience="https://app.example.test/")) == (
        "InvalidIdentityToken", "The SAML response is not intended for this audience", 400)


def test_the_recipient_must_be_the_aws_endpoint(federation):
    """SAML assertions, "Subject and NameID": the Recipient must match the sign-in endpoint (global
    or regional); the response's Audience is that Recipient (API reference)."""
    assert federation.refused(federation.response(recipient="https://app.example.test/acs")) == (
        "InvalidIdentityToken", "Invalid Recipient in the SAML response", 400)
    regional = "https://us-west-2.signin.aws.amazon.com/saml"
    assert federation.assume(federation.response(recipient=regional))["Audience"] == regional


def test_the_destination_when_present_must_be_the_endpoint(federation):
    """SAML bindings (HTTP POST, 3.5.5.2): a Response's Destination is where the IdP sent it."""
    assert federation.refused(federation.response(destination="https://app.example.test/acs")) == (
        "InvalidIdentityToken", "Invalid Destination in the SAML response", 400)
    assert federation.assume(federation.response(destination="https://us-east-2.signin.aws.amazon.com/saml"))


def test_an_expired_response_is_refused_after_the_clock_skew(federation):
    """An assertion past its NotOnOrAfter: ExpiredTokenException "Response has expired" (as AWS answers
    it). Two minutes late is within the clock skew iamd tolerates (five minutes)."""
    past = datetime.now(UTC) - timedelta(minutes=20)
    assert federation.refused(federation.response(issued=past, lifetime=timedelta(minutes=5))) == (
        "ExpiredTokenException", "Response has expired", 400)
    late = datetime.now(UTC) - timedelta(minutes=7)
    assert federation.assume(federation.response(issued=late, lifetime=timedelta(minutes=5)))["Subject"]


def test_a_response_not_yet_valid_is_refused(federation):
    future = datetime.now(UTC) + timedelta(minutes=10)
    assert federation.refused(federation.response(not_before=future)) == (
        "InvalidIdentityToken", "Response is not yet valid", 400)


def test_a_failed_authentication_status_is_the_idps_rejection(federation):
    """API reference, errors: IDPRejectedClaim, the IdP reported that authentication failed."""
    code, _, status = federation.refused(federation.response(
        status="urn:oasis:names:tc:SAML:2.0:status:Requester"))
    assert (code, status) == ("IDPRejectedClaim", 403)


def test_the_role_attribute_must_pair_the_role_with_the_provider(federation, iam, unique):
    """SAML assertions, "SAML Role Attribute": role and provider ARNs as a comma-separated pair (either
    order, as IdPs send both); Troubleshoot SAML: a missing pair is AccessDenied."""
    other = iam.create_role(RoleName=unique("other"), AssumeRolePolicyDocument=saml_trust(
        federation.provider_arn))["Role"]["Arn"]
    assert federation.refused(federation.response(roles=[(other, federation.provider_arn)])) == NOT_AUTHORIZED
    assert federation.refused(federation.response(roles=[])) == NOT_AUTHORIZED
    reversed_pair = federation.response(roles=[(federation.provider_arn, federation.role_arn)])
    assert federation.assume(reversed_pair)["Subject"] == "alice-1234"


def test_the_role_session_name_attribute(federation):
    """Troubleshoot SAML: "RoleSessionName is required in AuthnResponse" and "RoleSessionName in
    AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}" (InvalidIdentityToken)."""
    assert federation.refused(federation.response(session_name=None)) == (
        "InvalidIdentityToken", "RoleSessionName is required in AuthnResponse", 400)
    assert federation.refused(federation.response(session_name="Alice Smith")) == (
        "InvalidIdentityToken", "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}", 400)
    result = federation.assume(federation.response(session_name="alice@example.com"))
    assert result["AssumedRoleUser"]["Arn"].endswith("/alice@example.com")


def test_a_replayed_assertion_is_refused(federation):
    response = federation.response()
    federation.assume(response)
    assert federation.refused(response) == ("InvalidIdentityToken", "SAML Assertion ID already used", 400)


def test_a_replay_is_refused_by_another_server_on_the_same_database(server, federation, tmp_path):
    """Two server processes on one database (PostgreSQL; SQLite: one file) know the same spent IDs."""
    other = standard_server(tmp_path, server.database_url)
    other.data_dir = server.data_dir  # same master key and, for SQLite, the same database file
    other.start()
    try:
        response = federation.response()
        federation.assume(response)
        with pytest.raises(ClientError) as excinfo:
            anonymous_sts(other).assume_role_with_saml(RoleArn=federation.role_arn,
                                                       PrincipalArn=federation.provider_arn, SAMLAssertion=response)
        assert error_of(excinfo) == ("InvalidIdentityToken", "SAML Assertion ID already used", 400)
    finally:
        other.stop()


def test_a_refused_assertion_is_not_spent(federation, iam):
    """One request, one transaction: an assertion refused by the trust policy may be used once the
    policy allows it."""
    iam.update_assume_role_policy(RoleName=federation.role_name, PolicyDocument=saml_trust(
        federation.provider_arn, StringEquals={"saml:sub": "someone-else"}))
    response = federation.response()
    assert federation.refused(response) == NOT_AUTHORIZED
    iam.update_assume_role_policy(RoleName=federation.role_name, PolicyDocument=saml_trust(federation.provider_arn))
    assert federation.assume(response)["Subject"] == "alice-1234"


# ------------------------------------------------------------------------------------------ trust policy

def test_trust_policy_conditions_on_saml_keys(server, iam, unique, idp):
    """SAML keys: saml:aud is the Recipient (not the Audience), saml:iss the issuer, saml:sub and
    saml:sub_type the NameID, saml:doc "<account>/<provider>", saml:namequalifier the hash of issuer,
    account and provider name, saml:edupersonorgdn from
    urn:oid:1.3.6.1.4.1.5923.1.1.1.3 (SAML assertions, "Mapping SAML attributes ...")."""
    federation = Federation(server, iam, unique, idp)
    provider_name = federation.provider_arn.rsplit("/", 1)[1]
    iam.update_assume_role_policy(RoleName=federation.role_name, PolicyDocument=saml_trust(
        federation.provider_arn,
        StringEquals={"saml:aud": AWS_SAML, "saml:iss": idp.entity_id, "saml:sub": "alice-1234",
                      "saml:sub_type": "persistent", "saml:doc": f"{ACCOUNT_ID}/{provider_name}",
                      "saml:edupersonorgdn": "o=Example",
                      "saml:namequalifier": base64.b64encode(hashlib.sha1(
                          f"{idp.entity_id}{ACCOUNT_ID}/{provider_name}".encode()).digest()).decode()},
        **{"ForAnyValue:StringEquals": {"saml:edupersonaffiliation": "staff"}}))
    good = {EDU_ORG_DN: "o=Example", EDU_AFFILIATION: ["member", "staff"]}
    assert federation.assume(federation.response(attributes=good))["Subject"] == "alice-1234"
    for attributes, args in [({EDU_ORG_DN: "o=Other", EDU_AFFILIATION: ["staff"]}, {}),
                             ({EDU_ORG_DN: "o=Example", EDU_AFFILIATION: ["student"]}, {}),
                             (good, {"subject": "bob-5678"}),
                             (good, {"subject_format": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"}),
                             (good, {"recipient": "https://eu-west-1.signin.aws.amazon.com/saml"})]:
        assert federation.refused(federation.response(attributes=attributes, **args)) == NOT_AUTHORIZED


def test_the_trust_policy_must_name_the_provider_and_the_action(server, iam, unique, idp):
    federation = Federation(server, iam, unique, idp)
    other_provider = iam.create_saml_provider(Name=unique("idp"), SAMLMetadataDocument=IdentityProvider().metadata())[
        "SAMLProviderArn"]
    iam.update_assume_role_policy(RoleName=federation.role_name, PolicyDocument=saml_trust(other_provider))
    assert federation.refused() == NOT_AUTHORIZED
    iam.update_assume_role_policy(RoleName=federation.role_name, PolicyDocument=saml_trust(
        federation.provider_arn, actions=("sts:AssumeRoleWithWebIdentity",)))
    assert federation.refused() == NOT_AUTHORIZED


# ------------------------------------------------------------------------------------------ session tags

def test_principal_tag_attributes_are_session_tags(server, iam, unique, idp):
    """Pass session tags using AssumeRoleWithSAML: PrincipalTag:<key> attributes become session tags,
    TransitiveTagKeys marks them transitive, and the trust policy must allow sts:TagSession."""
    federation = Federation(server, iam, unique, idp)
    iam.put_role_policy(RoleName=federation.role_name, PolicyName="by-tag", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/Project": "Marketing"}}}))
    tags = {PRINCIPAL_TAG + "Project": "Marketing", PRINCIPAL_TAG + "CostCenter": "12345",
            TRANSITIVE_TAG_KEYS: ["Project"]}
    assert federation.refused(federation.response(attributes=tags)) == NOT_AUTHORIZED  # no sts:TagSession
    iam.update_assume_role_policy(RoleName=federation.role_name, PolicyDocument=saml_trust(
        federation.provider_arn, actions=("sts:AssumeRoleWithSAML", "sts:TagSession"),
        StringEquals={"aws:RequestTag/CostCenter": "12345"}))
    result = federation.assume(federation.response(attributes=tags))
    assert 0 < result["PackedPolicySize"] <= 100
    credentials = result["Credentials"]
    session_iam = client(server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                         credentials["SessionToken"])
    session_iam.list_roles(MaxItems=1)  # allowed by aws:PrincipalTag/Project
    # A transitive tag travels into a chained session: its aws:PrincipalTag/Project still holds there.
    iam.update_assume_role_policy(RoleName=federation.role_name, PolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Federated": federation.provider_arn},
         "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"]},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}))
    iam.put_role_policy(RoleName=federation.role_name, PolicyName="chain", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": federation.role_arn}))
    session_sts = client(server, "sts", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                         credentials["SessionToken"])
    chained = session_sts.assume_role(RoleArn=federation.role_arn, RoleSessionName="chained")["Credentials"]
    client(server, "iam", chained["AccessKeyId"], chained["SecretAccessKey"], chained["SessionToken"]).list_roles(
        MaxItems=1)


def test_too_many_tag_bytes_are_packed_policy_too_large(server, iam, unique, idp):
    """API reference, errors: PackedPolicyTooLarge when session policies and tags exceed the packed limit."""
    federation = Federation(server, iam, unique, idp, trust=None)
    iam.update_assume_role_policy(RoleName=federation.role_name, PolicyDocument=saml_trust(
        federation.provider_arn, actions=("sts:AssumeRoleWithSAML", "sts:TagSession")))
    noisy = {PRINCIPAL_TAG + f"k{i}": base64.b64encode(hashlib.sha512(str(i).encode()).digest()).decode()
             for i in range(40)}
    code, _, status = federation.refused(federation.response(attributes=noisy))
    assert (code, status) == ("PackedPolicyTooLarge", 400)


def test_a_source_identity_needs_set_source_identity(server, iam, unique, idp):
    """SAML assertions, "SAML SourceIdentity Attribute"; Troubleshoot SAML (sts:SetSourceIdentity)."""
    federation = Federation(server, iam, unique, idp)
    attributes = {SOURCE_IDENTITY: "DiegoRamirez"}
    assert federation.refused(federation.response(attributes=attributes)) == NOT_AUTHORIZED
    iam.update_assume_role_policy(RoleName=federation.role_name, PolicyDocument=saml_trust(
        federation.provider_arn, actions=("sts:AssumeRoleWithSAML", "sts:SetSourceIdentity")))
    assert federation.assume(federation.response(attributes=attributes))["SourceIdentity"] == "DiegoRamirez"


# ------------------------------------------------------------------------------------------ duration

def test_duration_seconds_within_the_roles_maximum(server, iam, unique, idp):
    """API reference, DurationSeconds: 900 up to the role's MaxSessionDuration; more fails (Troubleshoot
    SAML: "... exceeds the MaxSessionDuration set for this role")."""
    federation = Federation(server, iam, unique, idp, max_seconds=7200)
    assert 7100 < seconds_left(federation.assume(DurationSeconds=7200)) <= 7200
    assert federation.refused(DurationSeconds=10800) == (
        "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400)


def test_session_duration_and_session_not_on_or_after_only_shorten_an_api_session(server, iam, unique, idp):
    """SAML assertions, "SAML SessionDuration Attribute": it can shorten an AssumeRoleWithSAML session;
    API reference, DurationSeconds: the session ends at SessionNotOnOrAfter if that is sooner."""
    federation = Federation(server, iam, unique, idp, max_seconds=7200)
    short = federation.assume(federation.response(attributes={SESSION_DURATION: "1800"}), DurationSeconds=7200)
    assert 1700 < seconds_left(short) <= 1800
    longer = federation.assume(federation.response(attributes={SESSION_DURATION: "43200"}))
    assert 3500 < seconds_left(longer) <= 3600
    ends = datetime.now(UTC) + timedelta(minutes=20)
    capped = federation.assume(federation.response(session_not_on_or_after=ends))
    assert 1100 < seconds_left(capped) <= 1200
    over = datetime.now(UTC) - timedelta(minutes=1)
    assert federation.refused(federation.response(session_not_on_or_after=over)) == (
        "ExpiredTokenException", "Response has expired", 400)
    code, _, status = federation.refused(federation.response(attributes={SESSION_DURATION: "60"}))
    assert (code, status) == ("InvalidIdentityToken", 400)


# ------------------------------------------------------------------------------------------ session policies

def test_a_session_policy_narrows_and_a_malformed_one_is_refused(server, federation):
    """API reference, Policy: an inline session policy; MalformedPolicyDocument when it is not valid."""
    code, _, status = federation.refused(Policy="{not json")
    assert (code, status) == ("MalformedPolicyDocument", 400)
    result = federation.assume(Policy=doc({"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}))
    assert result["PackedPolicySize"] > 0
    credentials = result["Credentials"]
    session_iam = client(server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                         credentials["SessionToken"])
    with pytest.raises(ClientError) as excinfo:
        session_iam.list_users()  # the role allows it, the session policy does not
    assert error_of(excinfo)[0] == "AccessDenied"


def test_the_session_carries_saml_sub_for_permission_policies(server, iam, unique, idp):
    """SAML keys, "Permission (access) policies": saml:sub, saml:sub_type and saml:namequalifier."""
    federation = Federation(server, iam, unique, idp)
    iam.put_role_policy(RoleName=federation.role_name, PolicyName="own", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
         "Condition": {"StringEquals": {"saml:sub": "alice-1234", "saml:sub_type": "persistent"}}}))
    for subject, allowed in (("alice-1234", True), ("bob-5678", False)):
        credentials = federation.assume(federation.response(subject=subject))["Credentials"]
        session_iam = client(server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                             credentials["SessionToken"])
        if allowed:
            session_iam.list_roles(MaxItems=1)
        else:
            with pytest.raises(ClientError):
                session_iam.list_roles(MaxItems=1)


def test_managed_session_policies_must_exist_and_narrow_the_session(server, federation, iam, unique):
    """API reference, PolicyArns: managed session policies in the role's account."""
    missing = f"arn:aws:iam::{ACCOUNT_ID}:policy/{unique('none')}"
    assert federation.refused(PolicyArns=[{"arn": missing}]) == (
        "NoSuchEntity", f"Policy {missing} does not exist or is not attachable.", 404)
    narrow = iam.create_policy(PolicyName=unique("narrow"), PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}))["Policy"]["Arn"]
    credentials = federation.assume(PolicyArns=[{"arn": narrow}])["Credentials"]
    session_iam = client(server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                         credentials["SessionToken"])
    with pytest.raises(ClientError) as excinfo:
        session_iam.list_users()
    assert error_of(excinfo)[0] == "AccessDenied"
