"""STS AssumeRoleWithWebIdentity against real OIDC issuers served over HTTPS by the test.

Sources read (AWS documentation), cited per test: STS API reference "AssumeRoleWithWebIdentity";
IAM User Guide "Available keys for AWS OIDC federation", "Create an OpenID Connect (OIDC) identity
provider in IAM", "Obtain the thumbprint for an OpenID Connect identity provider", "Passing session
tags using AssumeRoleWithWebIdentity". Error messages are those AWS answers (as reported in
aws-actions/configure-aws-credentials and AWS SDK issue threads).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time

import jwt as pyjwt
import pytest
from botocore.exceptions import ClientError

from iamd.federation.keys import REFRESH_GAP
from tests.api.conftest import BACKENDS, PG_URL, client, error_of, run_aws
from tests.api.oidc_issuer import Issuer, SigningKey, TestCA
from tests.api.server import PostgresDatabase, standard_server


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def jwks_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("jwks")


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory, ca, jwks_dir):
    """iamd trusting the test CA through the standard SSL_CERT_FILE, with a static JWKS directory."""
    database = None
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("IAMD_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
        database = PostgresDatabase(PG_URL)
    running = standard_server(tmp_path_factory.mktemp(f"iamd-wi-{request.param}"), database.url if database else "")
    running.env_extra.update(SSL_CERT_FILE=str(ca.path), IAMD_OIDC_JWKS_DIR=str(jwks_dir))
    running.start()
    yield running
    running.stop()
    if database:
        database.drop()


@pytest.fixture(scope="module")
def issuer(ca):
    running = Issuer(ca)
    yield running
    running.stop()


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def federated_trust(provider_arn: str, actions=("sts:AssumeRoleWithWebIdentity",), **condition) -> str:
    statement = {"Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": list(actions)}
    if condition:
        statement["Condition"] = condition
    return doc(statement)


@pytest.fixture
def provider(iam, issuer):
    """The issuer registered as an OIDC provider (client id sts.amazonaws.com), once per server."""
    arn = f"arn:aws:iam::123456789012:oidc-provider/{issuer.host_path}"
    try:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    except ClientError:
        iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=["sts.amazonaws.com"])
    return arn


@pytest.fixture
def role(iam, provider, unique):
    """A role trusting the provider for one Kubernetes service account, allowed iam:ListRoles."""
    def make(trust: str | None = None, **create) -> dict:
        name = unique("wi")
        if trust is None:
            trust = federated_trust(provider, StringEquals={
                f"{provider.split('/', 1)[1]}:sub": "system:serviceaccount:default:app",
                f"{provider.split('/', 1)[1]}:aud": "sts.amazonaws.com"})
        created = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **create)["Role"]
        iam.put_role_policy(RoleName=name, PolicyName="list", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}))
        return created
    return make


def anonymous_sts(server):
    """An STS client; AssumeRoleWithWebIdentity goes unsigned (botocore's model says noAuth)."""
    return client(server, "sts", "AKIDNOTUSED000000000", "not-used")


def assume(server, role_arn: str, token: str, **extra) -> dict:
    return anonymous_sts(server).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="app-session", WebIdentityToken=token, **extra)


def refused(server, role_arn: str, token: str, **extra) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        assume(server, role_arn, token, **extra)
    return error_of(excinfo)


# ------------------------------------------------------------------------------------ success

def test_kubernetes_service_account_token(server, issuer, provider, role):
    """API reference, AssumeRoleWithWebIdentity (Response Elements); EKS-style sub
    system:serviceaccount:<namespace>:<name> matched with StringEquals on <provider>:sub and :aud."""
    created = role()
    answer = assume(server, created["Arn"], issuer.token())
    assert answer["SubjectFromWebIdentityToken"] == "system:serviceaccount:default:app"
    assert answer["Provider"] == issuer.url  # "contains the value of the iss field"
    assert answer["Audience"] == "sts.amazonaws.com"
    session_arn = f"arn:aws:sts::123456789012:assumed-role/{created['RoleName']}/app-session"
    assert answer["AssumedRoleUser"] == {"Arn": session_arn, "AssumedRoleId": f"{created['RoleId']}:app-session"}
    assert "PackedPolicySize" not in answer
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    session = [credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]]
    assert client(server, "sts", *session).get_caller_identity()["Arn"] == session_arn
    # The session's permissions are the role's: ListRoles yes, ListUsers no.
    iam_session = client(server, "iam", *session)
    assert any(r["RoleName"] == created["RoleName"] for r in iam_session.list_roles()["Roles"])
    with pytest.raises(ClientError) as excinfo:
        iam_session.list_users()
    assert error_of(excinfo)[0] == "AccessDenied"
    assert "LastUsedDate" in client(server, "iam").get_role(RoleName=created["RoleName"])["Role"]["RoleLastUsed"]


def test_other_service_account_is_refused(server, issuer, role):
    """The trust policy's sub condition decides: another service account is not authorized."""
    created = role()
    token = issuer.token(sub="system:serviceaccount:kube-system:other")
    assert refused(server, created["Arn"], token) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)


def test_github_actions_token(server, issuer, provider, role):
    """GitHub's sub repo:<owner>/<repo>:ref:<ref>, matched with StringLike as AWS's GitHub guide shows."""
    prefix = issuer.host_path
    created = role(federated_trust(provider, StringLike={f"{prefix}:sub": "repo:octo-org/octo-repo:*"},
                                   StringEquals={f"{prefix}:aud": "sts.amazonaws.com"}))
    github = {"sub": "repo:octo-org/octo-repo:ref:refs/heads/main", "repository": "octo-org/octo-repo",
              "ref": "refs/heads/main", "job_workflow_ref": "octo-org/octo-repo/.github/workflows/ci.yml@main"}
    answer = assume(server, created["Arn"], issuer.token(github))
    assert answer["SubjectFromWebIdentityToken"] == "repo:octo-org/octo-repo:ref:refs/heads/main"
    fork = {**github, "sub": "repo:evil-org/octo-repo:ref:refs/heads/main"}
    assert refused(server, created["Arn"], issuer.token(fork))[0] == "AccessDenied"


def test_es256_token_and_azp_audience(server, issuer, provider, role, iam):
    """ECDSA keys are accepted (API reference: ES256/384/512); with azp, <provider>:aud is azp and
    :oaud the aud claim (Available keys for AWS OIDC federation)."""
    time.sleep(REFRESH_GAP)  # a refetch for an unknown kid may have happened moments ago
    key = issuer.rotate("ES256")
    prefix = issuer.host_path
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=provider, ClientID="web-app")
    created = role(federated_trust(provider, StringEquals={f"{prefix}:aud": "web-app",
                                                           f"{prefix}:oaud": "https://api.example.org"}))
    answer = assume(server, created["Arn"], issuer.token(key=key, aud="https://api.example.org", azp="web-app"))
    assert answer["Audience"] == "web-app"


def test_amr_and_email_condition_keys(server, issuer, provider, role):
    """<provider>:amr (multivalued) and :email from the token's claims (Available keys for AWS OIDC
    federation); the session carries aws:FederatedProvider."""
    prefix = issuer.host_path
    created = role(federated_trust(provider, **{
        "ForAnyValue:StringEquals": {f"{prefix}:amr": "mfa"},
        "StringEquals": {f"{prefix}:email": "dev@example.org"}}))
    assume(server, created["Arn"], issuer.token(amr=["pwd", "mfa"], email="dev@example.org"))
    assert refused(server, created["Arn"], issuer.token(amr=["pwd"], email="dev@example.org"))[0] == "AccessDenied"
    assert refused(server, created["Arn"], issuer.token(amr=["mfa"], email="evil@example.org"))[0] == "AccessDenied"


def test_session_carries_the_federated_provider(server, iam, issuer, provider, role):
    created = role()
    iam.put_role_policy(RoleName=created["RoleName"], PolicyName="list", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
         "Condition": {"StringEquals": {"aws:FederatedProvider": provider}}}))
    credentials = assume(server, created["Arn"], issuer.token())["Credentials"]
    client(server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
           credentials["SessionToken"]).list_roles()


def test_unsigned_through_the_aws_cli(server, issuer, role):
    """The CLI sends AssumeRoleWithWebIdentity without a signature, as AWS requires none."""
    created = role()
    done = run_aws(server, "sts", "assume-role-with-web-identity", "--role-arn", created["Arn"],
                   "--role-session-name", "cli", "--web-identity-token", issuer.token(),
                   key_id="AKIDNOTUSED000000000", secret="wrong")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AssumedRoleUser"]["Arn"].endswith(f"/{created['RoleName']}/cli")


# ------------------------------------------------------------------------------------ token rules

def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "system:serviceaccount:default:admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


NOT_VALID = ("The web identity token that was passed could not be validated by AWS. Get a new identity token "
             "from the identity provider and then retry the request.")


def test_tampered_token(server, issuer, role):
    """API reference, Errors: InvalidIdentityToken, "could not be validated": a changed claim breaks the signature."""
    created = role()
    assert refused(server, created["Arn"], _tampered(issuer.token())) == ("InvalidIdentityToken", NOT_VALID, 400)


def test_not_a_jwt(server, role):
    """API reference, WebIdentityToken: an OpenID Connect ID token (a JWT) is required."""
    assert refused(server, role()["Arn"], "not-a-jwt-at-all") == ("InvalidIdentityToken", NOT_VALID, 400)


def test_unsigned_jwt_is_refused(server, issuer, role):
    """alg none (and HMAC) are not among the RSA/ECDSA algorithms AWS accepts."""
    now = int(time.time())
    body = {"iss": issuer.url, "sub": "system:serviceaccount:default:app", "aud": "sts.amazonaws.com",
            "iat": now, "exp": now + 600}

    def encode(part: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")

    token = f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode(body)}."
    assert refused(server, role()["Arn"], token)[0] == "InvalidIdentityToken"


def test_expired_token(server, issuer, role):
    """ExpiredTokenException (400) with AWS's message, its missing space included."""
    now = int(time.time())
    token = issuer.token(iat=now - 1200, nbf=now - 1200, exp=now - 600)
    code, message, status = refused(server, role()["Arn"], token)
    assert (code, status) == ("ExpiredTokenException", 400)
    assert message.startswith("Token expired: current date/time ")
    assert message.endswith(f" must be before the expiration date/time{now - 600}")


def test_not_yet_valid_token(server, issuer, role):
    """A token whose nbf lies beyond the tolerated skew is not valid yet (docs/compatibility.md: skew)."""
    future = int(time.time()) + 3600
    token = issuer.token(nbf=future, exp=future + 600)
    assert refused(server, role()["Arn"], token) == ("InvalidIdentityToken", NOT_VALID, 400)


def test_wrong_audience(server, issuer, role):
    """Create an OIDC identity provider in IAM: the audience (client ID) must be one the provider lists."""
    assert refused(server, role()["Arn"], issuer.token(aud="someone-else")) == (
        "InvalidIdentityToken", "Incorrect token audience", 400)


def test_issuer_without_provider(server, ca, role):
    """The token's iss must be a provider of the role's account."""
    stranger = Issuer(ca)
    try:
        assert refused(server, role()["Arn"], stranger.token()) == (
            "InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {stranger.url}", 400)
    finally:
        stranger.stop()


def test_unknown_kid_refetches_then_fails(server, issuer, role):
    """A kid the cached JWKS lacks makes iamd fetch the JWKS again; a kid the issuer does not publish
    either is refused."""
    created = role()
    assume(server, created["Arn"], issuer.token())  # keys now cached
    time.sleep(REFRESH_GAP)
    new_key = issuer.rotate()  # the issuer rotates: a new kid
    before = issuer.jwks_requests
    assume(server, created["Arn"], issuer.token(key=new_key))
    assert issuer.jwks_requests == before + 1
    assume(server, created["Arn"], issuer.token(key=new_key))  # cached again: no fetch
    assert issuer.jwks_requests == before + 1
    ghost = SigningKey()
    code, message, status = refused(server, created["Arn"], issuer.token(key=ghost))
    assert (code, status) == ("InvalidIdentityToken", 400)
    assert message.startswith("Couldn't retrieve verification key from your identity provider")


# ------------------------------------------------------------------------------------ issuer trust

def test_thumbprint_pins_the_chain(server, iam, ca, issuer, provider, role):
    """Obtain the thumbprint for an OIDC identity provider: SHA-1 of a certificate of the chain. A
    provider listing thumbprints none of which is in the chain is refused."""
    created = role()
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=provider, ThumbprintList=["a" * 40])
    try:
        assert refused(server, created["Arn"], issuer.token()) == (
            "InvalidIdentityToken", "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
            400)
        # The CA's thumbprint (upper case, as some tools print it) is in the chain: accepted.
        iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=provider,
                                                       ThumbprintList=["a" * 40, ca.thumbprint.upper()])
        assert assume(server, created["Arn"], issuer.token())["Provider"] == issuer.url
    finally:
        iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=provider, ThumbprintList=[])


def test_untrusted_ca_needs_its_thumbprint(server, iam, tmp_path, unique):
    """An issuer whose CA is not in SSL_CERT_FILE: unreachable without a thumbprint, trusted with the
    thumbprint of its CA."""
    private_ca = TestCA(tmp_path, "private CA")
    private = Issuer(private_ca)
    try:
        arn = iam.create_open_id_connect_provider(Url=private.url, ClientIDList=["sts.amazonaws.com"])[
            "OpenIDConnectProviderArn"]
        created = iam.create_role(RoleName=unique("wi"), AssumeRolePolicyDocument=federated_trust(arn))["Role"]
        code, _message, status = refused(server, created["Arn"], private.token())
        assert (code, status) == ("IDPCommunicationError", 400)
        iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn,
                                                       ThumbprintList=[private_ca.thumbprint])
        assert assume(server, created["Arn"], private.token())["Provider"] == private.url
    finally:
        private.stop()


def test_slow_issuer_does_not_hold_the_store(server, iam, ca, unique):
    """Fetching an issuer's keys happens before the request's transaction: while a slow issuer answers,
    other writes go through (on SQLite a held write lock would stall them)."""
    slow = Issuer(ca)
    slow.delay = 3.0
    try:
        arn = iam.create_open_id_connect_provider(Url=slow.url, ClientIDList=["sts.amazonaws.com"])[
            "OpenIDConnectProviderArn"]
        created = iam.create_role(RoleName=unique("wi"), AssumeRolePolicyDocument=federated_trust(arn))["Role"]
        outcome = {}
        worker = threading.Thread(target=lambda: outcome.update(answer=assume(server, created["Arn"], slow.token())))
        worker.start()
        time.sleep(0.5)  # the fetch is under way
        started = time.monotonic()
        iam.create_user(UserName=unique("meanwhile"))
        assert time.monotonic() - started < 1.5
        assert worker.is_alive()
        worker.join(timeout=30)
        assert outcome["answer"]["Provider"] == slow.url
    finally:
        slow.stop()


def test_unreachable_issuer(server, iam, unique):
    """API reference, Errors: IDPCommunicationError when the identity provider cannot be reached; the token
    is never echoed."""
    url = "https://127.0.0.1:9/nobody-listens"
    arn = iam.create_open_id_connect_provider(Url=url, ClientIDList=["sts.amazonaws.com"])["OpenIDConnectProviderArn"]
    created = iam.create_role(RoleName=unique("wi"), AssumeRolePolicyDocument=federated_trust(arn))["Role"]
    key = SigningKey()
    now = int(time.time())
    token = pyjwt.encode({"iss": url, "sub": "x" * 8, "aud": "sts.amazonaws.com", "iat": now, "exp": now + 60},
                         key.private, algorithm="RS256", headers={"kid": key.kid})
    code, message, status = refused(server, created["Arn"], token)
    assert (code, status) == ("IDPCommunicationError", 400)
    assert token not in message


def test_static_jwks_for_an_unreachable_issuer(server, iam, jwks_dir, unique):
    """IAMD_OIDC_JWKS_DIR: the keys of an issuer iamd cannot reach, from a file (docs/federation.md)."""
    url = "https://10.255.255.1:6443/cluster-a"  # never contacted
    key = SigningKey("ES256")
    (jwks_dir / "10.255.255.1_6443_cluster-a.json").write_text(json.dumps({"keys": [key.jwk]}))
    arn = iam.create_open_id_connect_provider(Url=url, ClientIDList=["sts.amazonaws.com"])["OpenIDConnectProviderArn"]
    created = iam.create_role(RoleName=unique("wi"), AssumeRolePolicyDocument=federated_trust(arn))["Role"]
    now = int(time.time())
    token = pyjwt.encode({"iss": url, "sub": "system:serviceaccount:a:b", "aud": "sts.amazonaws.com",
                          "iat": now, "exp": now + 60}, key.private, algorithm="ES256", headers={"kid": key.kid})
    assert assume(server, created["Arn"], token)["Provider"] == url


# ------------------------------------------------------------------------------------ session

TAGS = {"https://aws.amazon.com/tags": {"principal_tags": {"team": ["blue"], "env": ["prod"]},
                                       "transitive_tag_keys": ["team"]},
        "https://aws.amazon.com/source_identity": "alice"}


def test_session_tags_need_tag_session(server, issuer, provider, role):
    """Passing session tags using AssumeRoleWithWebIdentity: the trust policy must allow sts:TagSession
    (and sts:SetSourceIdentity for a source identity)."""
    created = role(federated_trust(provider))
    assert refused(server, created["Arn"], issuer.token(TAGS))[0] == "AccessDenied"


def test_session_tags_and_source_identity(server, iam, issuer, provider, role):
    created = role(federated_trust(provider, actions=("sts:AssumeRoleWithWebIdentity", "sts:TagSession",
                                                      "sts:SetSourceIdentity"),
                                   StringEquals={"aws:RequestTag/team": "blue", "sts:SourceIdentity": "alice"}))
    iam.put_role_policy(RoleName=created["RoleName"], PolicyName="list", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue", "aws:SourceIdentity": "alice"}}}))
    answer = assume(server, created["Arn"], issuer.token(TAGS))
    assert answer["SourceIdentity"] == "alice"
    assert 0 < answer["PackedPolicySize"] <= 100
    credentials = answer["Credentials"]
    iam_session = client(server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                         credentials["SessionToken"])
    iam_session.list_roles()  # allowed only with the session tag and the source identity
    other = {**TAGS, "https://aws.amazon.com/tags": {"principal_tags": {"team": ["red"]}}}
    assert refused(server, created["Arn"], issuer.token(other))[0] == "AccessDenied"


def test_malformed_tags_claim_is_rejected(server, issuer, provider, role):
    """A tags claim that is not AWS's shape (Passing session tags using AssumeRoleWithWebIdentity)."""
    created = role(federated_trust(provider, actions=("sts:AssumeRoleWithWebIdentity", "sts:TagSession")))
    token = issuer.token({"https://aws.amazon.com/tags": {"principal_tags": {"team": ["blue", "red"]}}})
    code, message, status = refused(server, created["Arn"], token)
    assert (code, status) == ("IDPRejectedClaim", 403)
    assert "blue" not in message


def test_duration_within_role_maximum(server, issuer, role):
    """API reference, DurationSeconds: up to the role's maximum session duration."""
    created = role(MaxSessionDuration=3600)
    code, message, status = refused(server, created["Arn"], issuer.token(), DurationSeconds=7200)
    assert (code, message, status) == (
        "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400)
    answer = assume(server, created["Arn"], issuer.token(), DurationSeconds=900)
    lifetime = answer["Credentials"]["Expiration"].timestamp() - time.time()
    assert 800 < lifetime <= 900


def test_session_policy_narrows_the_role(server, issuer, role):
    """API reference, Policy: the session's permissions are the intersection of the role's and the session policy's."""
    created = role()
    policy = doc({"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"})
    answer = assume(server, created["Arn"], issuer.token(), Policy=policy)
    assert answer["PackedPolicySize"] > 0
    credentials = answer["Credentials"]
    iam_session = client(server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                         credentials["SessionToken"])
    with pytest.raises(ClientError) as excinfo:
        iam_session.list_roles()  # the role allows it, the session policy does not
    assert error_of(excinfo)[0] == "AccessDenied"


def test_packed_policy_too_large(server, issuer, role):
    """API reference, Errors: PackedPolicyTooLarge when session policies and tags exceed the packed limit."""
    noise = base64.b32encode(os.urandom(1100)).decode()[:1700]
    policy = doc({"Sid": "x", "Effect": "Allow", "Action": "iam:GetRole", "Resource": f"arn:aws:iam::*:role/{noise}"})
    code, message, status = refused(server, role()["Arn"], issuer.token(), Policy=policy)
    assert (code, status) == ("PackedPolicyTooLarge", 400)
    assert message.startswith("Packed policy consumes ") and message.endswith("% of allotted space, please use "
                                                                              "smaller policy.")


def test_no_token_in_the_log(server, issuer, role):
    """No token (nor any part of its signature) in a log line."""
    token = issuer.token(aud="someone-else")
    refused(server, role()["Arn"], token)
    assert token.split(".")[2] not in server.log_text()
