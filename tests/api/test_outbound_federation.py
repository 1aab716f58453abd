"""iamd as an OIDC issuer: Enable/Disable/GetOutboundWebIdentityFederationInfo and GetWebIdentityToken,
proved by PyJWT verifying tokens from the JWKS URL alone and by another iamd server accepting them in
AssumeRoleWithWebIdentity.

Sources: IAM API reference "EnableOutboundWebIdentityFederation", "DisableOutboundWebIdentityFederation",
"GetOutboundWebIdentityFederationInfo"; STS API reference "GetWebIdentityToken"; IAM User Guide
"Getting started with outbound identity federation", "Understanding token claims".
"""

from __future__ import annotations

import json
import ssl
import time

import jwt
import pytest
import sqlalchemy
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.api.conftest import BACKENDS, PG_URL, boto_session, client, error_of
from tests.api.oidc_issuer import TestCA
from tests.api.server import (
    ACCOUNT_ID,
    ROOT_KEY_ID,
    ROOT_SECRET,
    PostgresDatabase,
    standard_server,
)

ROTATION_SECONDS = 2
_CONFIG = Config(retries={"total_max_attempts": 1})


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return TestCA(tmp_path_factory.mktemp("ca-out"))


@pytest.fixture(scope="module", params=BACKENDS)
def servers(request, tmp_path_factory, ca):
    """(issuer, verifier): iamd A over HTTPS, the token issuer; iamd B trusting A's CA (SSL_CERT_FILE)."""
    databases = []
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("IAMD_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
        databases = [PostgresDatabase(PG_URL), PostgresDatabase(PG_URL)]
    urls = [db.url for db in databases] or ["", ""]
    cert, key = ca.server_files()
    a = standard_server(tmp_path_factory.mktemp("iamd-a"), urls[0])
    a.env_extra.update(IAMD_TLS_CERT=str(cert), IAMD_TLS_KEY=str(key), SSL_CERT_FILE=str(ca.path),
                       IAMD_PUBLIC_URL=f"https://127.0.0.1:{a.port}",
                       IAMD_OIDC_KEY_ROTATION_SECONDS=str(ROTATION_SECONDS))
    b = standard_server(tmp_path_factory.mktemp("iamd-b"), urls[1])
    b.env_extra.update(SSL_CERT_FILE=str(ca.path))
    a.start(), b.start()
    yield a, b
    a.stop(), b.stop()
    for db in databases:
        db.drop()


def a_client(servers, ca, service: str, key_id=ROOT_KEY_ID, secret=ROOT_SECRET, token=None):
    a = servers[0]
    return boto_session().client(
        service, endpoint_url=f"https://127.0.0.1:{a.port}", region_name="us-east-1", aws_access_key_id=key_id,
        aws_secret_access_key=secret, aws_session_token=token, verify=str(ca.path), config=_CONFIG)


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def assumer(servers, ca):
    """An STS client of A for a user allowed to assume any role (the root user may not)."""
    iam = a_client(servers, ca, "iam")
    name = f"assumer-{int(time.time() * 1000) % 10**8}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="assume", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return a_client(servers, ca, "sts", key["AccessKeyId"], key["SecretAccessKey"])


@pytest.fixture(scope="module")
def issuer_url(servers, ca):
    iam = a_client(servers, ca, "iam")
    try:
        return iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    except ClientError:
        return iam.get_outbound_web_identity_federation_info()["IssuerIdentifier"]


def verify_with_pyjwt(issuer: str, token: str, ca, audience: str) -> dict:
    """What an external service does: discovery → JWKS URL → key by kid → verify."""
    context = ssl.create_default_context(cafile=str(ca.path))
    discovery_client = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json", ssl_context=context, cache_keys=False)
    key = discovery_client.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256", "ES384"], audience=audience, issuer=issuer)


def test_enable_disable_info(servers, ca):
    """FeatureDisabled (404) before enabling, FeatureEnabled (409) twice, JwtVendingEnabled follows the
    switch, the issuer URL stays the same; disabling stops new tokens, not the JWKS."""
    a = servers[0]
    created = client(servers[1], "iam")  # another server, never enabled
    with pytest.raises(ClientError) as excinfo:
        created.get_outbound_web_identity_federation_info()
    assert error_of(excinfo)[0::2] == ("FeatureDisabled", 404)
    iam = a_client(servers, ca, "iam")
    info = iam.get_outbound_web_identity_federation_info() if _enabled(iam) else None
    if info is None:
        issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    else:
        issuer = info["IssuerIdentifier"]
    assert issuer.startswith(f"https://127.0.0.1:{a.port}/oidc/")
    with pytest.raises(ClientError) as excinfo:
        iam.enable_outbound_web_identity_federation()
    assert error_of(excinfo)[0::2] == ("FeatureEnabled", 409)
    sts = a_client(servers, ca, "sts")
    token = sts.get_web_identity_token(Audience=["https://svc.example.org"], SigningAlgorithm="RS256")[
        "WebIdentityToken"]
    iam.disable_outbound_web_identity_federation()
    try:
        info = iam.get_outbound_web_identity_federation_info()
        assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, False)
        with pytest.raises(ClientError) as excinfo:
            sts.get_web_identity_token(Audience=["https://svc.example.org"], SigningAlgorithm="RS256")
        assert error_of(excinfo)[0::2] == ("OutboundWebIdentityFederationDisabledException", 403)
        with pytest.raises(ClientError) as excinfo:
            iam.disable_outbound_web_identity_federation()
        assert error_of(excinfo)[0::2] == ("FeatureDisabled", 404)
        # Issued before: still verifiable from the JWKS.
        claims = verify_with_pyjwt(issuer, token, ca, "https://svc.example.org")
        assert claims["sub"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    finally:
        assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == issuer


def _enabled(iam) -> bool:
    try:
        return iam.get_outbound_web_identity_federation_info()["JwtVendingEnabled"]
    except ClientError:
        return False


@pytest.mark.parametrize("algorithm", ["RS256", "ES384"])
def test_pyjwt_verifies_a_role_session_token(servers, ca, issuer_url, assumer, algorithm):
    """Understanding token claims: sub is the role's ARN for a role session, custom claims under
    https://sts.amazonaws.com/ (aws_account, principal_id, principal_tags, request_tags)."""
    iam = a_client(servers, ca, "iam")
    name = f"vend-{algorithm.lower()}-{int(time.time() * 1000) % 10**8}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
         "Action": ["sts:AssumeRole", "sts:TagSession"]}),
        Tags=[{"Key": "team", "Value": "data"}])["Role"]
    iam.put_role_policy(RoleName=name, PolicyName="vend", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["sts:GetWebIdentityToken", "sts:TagGetWebIdentityToken"], "Resource": "*"}))
    session = assumer.assume_role(RoleArn=role["Arn"], RoleSessionName="job-7",
                                                      Tags=[{"Key": "run", "Value": "42"}])["Credentials"]
    sts = a_client(servers, ca, "sts", session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    answer = sts.get_web_identity_token(Audience=["https://svc.example.org"], SigningAlgorithm=algorithm,
                                        DurationSeconds=120, Tags=[{"Key": "job-id", "Value": "j-1"}])
    lifetime = answer["Expiration"].timestamp() - time.time()
    assert 100 < lifetime <= 120
    claims = verify_with_pyjwt(issuer_url, answer["WebIdentityToken"], ca, "https://svc.example.org")
    assert jwt.get_unverified_header(answer["WebIdentityToken"])["alg"] == algorithm
    assert claims["sub"] == role["Arn"]
    assert claims["exp"] - claims["iat"] == 120
    custom = claims["https://sts.amazonaws.com/"]
    assert custom["aws_account"] == ACCOUNT_ID and custom["principal_id"] == role["Arn"]
    assert custom["principal_tags"] == {"team": "data", "run": "42"}
    assert custom["request_tags"] == {"job-id": "j-1"}


def test_permission_and_algorithm(servers, ca, issuer_url):
    iam = a_client(servers, ca, "iam")
    name = f"novend-{int(time.time() * 1000) % 10**8}"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    sts = a_client(servers, ca, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as excinfo:
        sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="RS256")
    assert error_of(excinfo)[0::2] == ("AccessDenied", 403)
    with pytest.raises(ClientError) as excinfo:
        a_client(servers, ca, "sts").get_web_identity_token(Audience=["x"], SigningAlgorithm="HS256")
    assert error_of(excinfo)[0::2] == ("ValidationError", 400)
    # The action's condition keys (Service Authorization Reference: sts:SigningAlgorithm,
    # sts:IdentityTokenAudience), and sts:TagGetWebIdentityToken for Tags.
    iam.put_user_policy(UserName=name, PolicyName="vend", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*",
         "Condition": {"StringEquals": {"sts:SigningAlgorithm": "ES384"},
                       "ForAllValues:StringEquals": {"sts:IdentityTokenAudience": ["https://a.example.org"]}}}))
    sts.get_web_identity_token(Audience=["https://a.example.org"], SigningAlgorithm="ES384")
    for refused in ({"Audience": ["https://a.example.org"], "SigningAlgorithm": "RS256"},
                    {"Audience": ["https://b.example.org"], "SigningAlgorithm": "ES384"},
                    {"Audience": ["https://a.example.org"], "SigningAlgorithm": "ES384",
                     "Tags": [{"Key": "k", "Value": "v"}]}):
        with pytest.raises(ClientError) as excinfo:
            sts.get_web_identity_token(**refused)
        assert error_of(excinfo)[0::2] == ("AccessDenied", 403)


def test_token_accepted_by_another_iamd(servers, ca, issuer_url, assumer):
    """The proof: server B registers A's issuer as an OIDC provider; a role of B trusting A's role (by the
    token's sub) is assumed with A's token. After A rotates its key, a new token (new kid) is accepted
    too, and so is the one signed with the old key."""
    iam_a = a_client(servers, ca, "iam")
    name = f"src-{int(time.time() * 1000) % 10**8}"
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                 "Action": "sts:AssumeRole"})
    role_a = iam_a.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]
    iam_a.put_role_policy(RoleName=name, PolicyName="vend", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*"}))
    creds = assumer.assume_role(RoleArn=role_a["Arn"], RoleSessionName="worker")["Credentials"]
    sts_a = a_client(servers, ca, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    first = sts_a.get_web_identity_token(Audience=["iamd-b"], SigningAlgorithm="RS256")["WebIdentityToken"]

    b = servers[1]
    iam_b = client(b, "iam")
    provider = iam_b.create_open_id_connect_provider(Url=issuer_url, ClientIDList=["iamd-b"])[
        "OpenIDConnectProviderArn"]
    host_path = issuer_url[len("https://"):]
    role_b = iam_b.create_role(RoleName=f"dst-{name}", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {f"{host_path}:sub": role_a["Arn"], f"{host_path}:aud": "iamd-b"}}}))["Role"]
    sts_b = client(b, "sts", "AKIDNOTUSED000000000", "unused")
    answer = sts_b.assume_role_with_web_identity(RoleArn=role_b["Arn"], RoleSessionName="from-a",
                                                 WebIdentityToken=first)
    assert answer["SubjectFromWebIdentityToken"] == role_a["Arn"]
    assert answer["Provider"] == issuer_url

    time.sleep(ROTATION_SECONDS + 0.5)  # A's key is due for rotation
    second = sts_a.get_web_identity_token(Audience=["iamd-b"], SigningAlgorithm="RS256")["WebIdentityToken"]
    assert jwt.get_unverified_header(second)["kid"] != jwt.get_unverified_header(first)["kid"]
    for token in (second, first):
        sts_b.assume_role_with_web_identity(RoleArn=role_b["Arn"], RoleSessionName="from-a", WebIdentityToken=token)


def test_signing_keys_sealed_at_rest(servers, ca, issuer_url):
    a = servers[0]
    a_client(servers, ca, "sts").get_web_identity_token(Audience=["x"], SigningAlgorithm="ES384")
    url = a.database_url.replace("postgresql://", "postgresql+psycopg://") or f"sqlite:///{a.data_dir / 'iamd.db'}"
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sqlalchemy.text("SELECT private_key, public_jwk FROM token_signing_keys")).all()
    finally:
        engine.dispose()
    assert rows
    for private_key, public_jwk in rows:
        assert b"PRIVATE KEY" not in bytes(private_key)
        assert "d" not in json.loads(public_jwk)  # the JWK holds no private part


def test_token_accepted_by_another_account_of_the_same_iamd(servers, ca, issuer_url, assumer):
    """One iamd, two accounts: account B registers account A's issuer, served by the same server (which
    then fetches its own JWKS over HTTPS while answering AssumeRoleWithWebIdentity)."""
    a = servers[0]
    created = a.new_account()
    iam_b = a_client(servers, ca, "iam", created["aws_access_key_id"], created["aws_secret_access_key"])
    provider = iam_b.create_open_id_connect_provider(Url=issuer_url, ClientIDList=["account-b"])[
        "OpenIDConnectProviderArn"]
    assert provider == f"arn:aws:iam::{created['account_id']}:oidc-provider/{issuer_url[len('https://'):]}"
    role_b = iam_b.create_role(RoleName="from-account-a", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity"}))["Role"]
    token = a_client(servers, ca, "sts").get_web_identity_token(Audience=["account-b"], SigningAlgorithm="ES384")[
        "WebIdentityToken"]
    answer = a_client(servers, ca, "sts", "AKIDNOTUSED000000000", "unused").assume_role_with_web_identity(
        RoleArn=role_b["Arn"], RoleSessionName="cross", WebIdentityToken=token)
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{created['account_id']}:assumed-role/from-account-a/cross"
    assert answer["SubjectFromWebIdentityToken"] == f"arn:aws:iam::{ACCOUNT_ID}:root"


@pytest.mark.parametrize(("service", "call"), [
    ("sts", lambda sts: sts.assume_root(TargetPrincipal="111122223333", TaskPolicyArn={
        "arn": "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"})),
    ("sts", lambda sts: sts.get_delegated_access_token(TradeInToken="x" * 64)),
    ("iam", lambda iam: iam.list_delegation_requests()),
])
def test_not_served_operations_say_so(servers, service, call):
    """AssumeRoot, GetDelegatedAccessToken and the delegation requests stay NotImplemented
    (docs/compatibility.md says why)."""
    with pytest.raises(ClientError) as excinfo:
        call(client(servers[1], service))
    code, message, status = error_of(excinfo)
    assert (code, status) == ("NotImplemented", 501)
    assert message.startswith(f"iamd does not implement the {service.upper()} operation ")
