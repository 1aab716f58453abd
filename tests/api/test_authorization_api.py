"""The authorization API (docs/authorization-api.md) against a real server: a service's key verifies its
clients' SigV4 signatures (botocore's signer, in headers and presigned) and asks for decisions, through
iamd.client and raw httpx.

SigV4 itself follows the IAM User Guide, "Create a signed AWS API request" and "Authentication methods"
(presigned query parameters); the decisions follow "Policy evaluation logic" (identity policies,
boundaries, session policies, same-account and cross-account resource-based policies)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import urlsplit

import httpx
import pytest
from botocore.auth import S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from iamd.client import AuthorizationApiError, AuthorizationClient, request_material
from iamd.security import ids
from iamd.security.secrets import SecretBox, load_master_key
from iamd.security.session_tokens import PURPOSE as SESSION_TOKENS, seal_claims
from tests.api.conftest import ACCOUNT_ID, client

SERVICE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iamd:VerifySignature", "iamd:Authorize"], "Resource": "*"}]})
ORDER = f"arn:aws:orders:us-east-1:{ACCOUNT_ID}:order/o-1"
OTHER_ORDER = f"arn:aws:orders:us-east-1:{ACCOUNT_ID}:order/o-2"


def allow(action, resource="*", effect="Allow", **extra) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": f"S{effect}", "Effect": effect, "Action": action, "Resource": resource, **extra}]})


def signed_request(key_id: str, secret: str, token: str | None = None, *, method="GET",
                   url="https://orders.internal/orders/o-1?view=full", body=b"", service="orders") -> dict:
    """What a client sends a service: a request signed by botocore's signer, as the service receives it."""
    request = AWSRequest(method=method, url=url, data=body, headers={"Host": urlsplit(url).netloc})
    SigV4Auth(Credentials(key_id, secret, token), service, "us-east-1").add_auth(request)
    split = urlsplit(request.url)
    return request_material(method, split.path, split.query, dict(request.headers.items()), body)


def presigned_request(key_id: str, secret: str, token: str | None = None, *, s3=False, service="orders") -> dict:
    url = "https://orders.internal/orders/o-1"
    request = AWSRequest(method="GET", url=url, headers={"Host": "orders.internal"})
    signer = (S3SigV4QueryAuth if s3 else SigV4QueryAuth)(Credentials(key_id, secret, token), service, "us-east-1",
                                                          expires=300)
    signer.add_auth(request)
    split = urlsplit(request.url)
    return request_material("GET", split.path, split.query, {"Host": "orders.internal"},
                            payload_hash="UNSIGNED-PAYLOAD" if s3 else None)


@pytest.fixture(scope="module")
def setup(server):
    """The orders service's key (may verify and decide, nothing else) and a few principals."""
    iam = client(server, "iam")
    suffix = server.backend
    iam.create_user(UserName=f"orders-service-{suffix}")
    iam.put_user_policy(UserName=f"orders-service-{suffix}", PolicyName="authz", PolicyDocument=SERVICE_POLICY)
    service_key = iam.create_access_key(UserName=f"orders-service-{suffix}")["AccessKey"]
    iam.create_user(UserName=f"alice-{suffix}", Tags=[{"Key": "team", "Value": "red"}])
    iam.put_user_policy(UserName=f"alice-{suffix}", PolicyName="orders",
                        PolicyDocument=allow("orders:GetOrder", ORDER))
    alice = iam.create_access_key(UserName=f"alice-{suffix}")["AccessKey"]
    iam.create_user(UserName=f"nobody-{suffix}")
    nobody = iam.create_access_key(UserName=f"nobody-{suffix}")["AccessKey"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
         "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]})
    role = iam.create_role(RoleName=f"reader-{suffix}", AssumeRolePolicyDocument=trust,
                           Tags=[{"Key": "tier", "Value": "gold"}])["Role"]
    iam.put_role_policy(RoleName=f"reader-{suffix}", PolicyName="orders",
                        PolicyDocument=allow("orders:*", f"arn:aws:orders:us-east-1:{ACCOUNT_ID}:order/*"))
    iam.create_user(UserName=f"assumer-{suffix}")
    iam.put_user_policy(UserName=f"assumer-{suffix}", PolicyName="assume", PolicyDocument=allow("sts:*"))
    assumer = iam.create_access_key(UserName=f"assumer-{suffix}")["AccessKey"]
    sts = client(server, "sts", assumer["AccessKeyId"], assumer["SecretAccessKey"])
    yield {"iam": iam, "sts": sts, "service": service_key, "alice": alice, "nobody": nobody, "role": role,
           "suffix": suffix}
    # The shared server outlives the module; nothing to clean: names carry the backend's suffix.


def api(server, key: dict) -> AuthorizationClient:
    return AuthorizationClient(server.endpoint, key["AccessKeyId"], key["SecretAccessKey"], key.get("SessionToken"))


def keys(key: dict) -> tuple:
    return key["AccessKeyId"], key["SecretAccessKey"], key.get("SessionToken")


def test_verify_a_header_signed_request_names_the_principal_never_the_secret(server, setup):
    with api(server, setup["service"]) as iamd:
        answer = iamd.verify(signed_request(*keys(setup["alice"])), service="orders")
    assert answer["Authenticated"] is True
    principal = answer["Principal"]
    assert principal["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/alice-{setup['suffix']}"
    assert principal["AccountId"] == ACCOUNT_ID and principal["Type"] == "User"
    assert principal["UserId"].startswith("AIDA") and principal["Tags"] == {"team": "red"}
    assert answer["Signature"] == {"AccessKeyId": setup["alice"]["AccessKeyId"], "Region": "us-east-1",
                                   "Service": "orders", "SignedAt": answer["Signature"]["SignedAt"]}
    assert setup["alice"]["SecretAccessKey"] not in json.dumps(answer)


def test_verify_a_presigned_request_and_a_body(server, setup):
    with api(server, setup["service"]) as iamd:
        for material in (presigned_request(*keys(setup["alice"])), presigned_request(*keys(setup["alice"]), s3=True),
                         signed_request(*keys(setup["alice"]), method="POST", body=b'{"qty": 2}')):
            answer = iamd.verify(material)
            assert answer["Authenticated"] is True, answer
            assert answer["Principal"]["Arn"].endswith(f":user/alice-{setup['suffix']}")


def test_verify_a_role_session_reports_its_session_context(server, setup):
    sts = setup["sts"]
    assumed = sts.assume_role(RoleArn=setup["role"]["Arn"], RoleSessionName="s1", SourceIdentity="carol",
                              Tags=[{"Key": "project", "Value": "p9"}])
    credentials = assumed["Credentials"]
    with api(server, setup["service"]) as iamd:
        answer = iamd.verify(signed_request(*keys(credentials)))
        presigned = iamd.verify(presigned_request(*keys(credentials)))
    assert answer["Authenticated"] is True and presigned["Authenticated"] is True
    principal = answer["Principal"]
    assert principal["Arn"] == assumed["AssumedRoleUser"]["Arn"] and principal["Type"] == "AssumedRole"
    assert principal["UserId"] == assumed["AssumedRoleUser"]["AssumedRoleId"]
    assert principal["RoleArn"] == setup["role"]["Arn"] and principal["RoleId"] == setup["role"]["RoleId"]
    assert principal["Tags"] == {"tier": "gold", "project": "p9"}
    context = principal["SessionContext"]
    assert context["Issuer"]["Arn"] == setup["role"]["Arn"] and context["MfaAuthenticated"] is False
    assert context["SourceIdentity"] == "carol" and context["CreationDate"].endswith("Z")
    assert credentials["SecretAccessKey"] not in json.dumps(answer)


def test_verify_refuses_a_wrong_signature_an_unknown_key_and_another_scope(server, setup):
    key_id, secret, _ = keys(setup["alice"])
    with api(server, setup["service"]) as iamd:
        wrong = iamd.verify(signed_request(key_id, secret[:-1] + ("A" if secret[-1] != "A" else "B")))
        unknown = iamd.verify(signed_request("AKIAZZZZZZZZZZZZZZZZ", secret))
        scoped = iamd.verify(signed_request(key_id, secret, service="payments"), service="orders")
        tampered = signed_request(key_id, secret)
        tampered["Path"] = "/orders/o-2"
        moved = iamd.verify(tampered)
    assert wrong["Authenticated"] is False and wrong["Error"]["Code"] == "SignatureDoesNotMatch"
    assert unknown == {"Authenticated": False, "Error": {
        "Code": "InvalidClientTokenId", "Message": "The security token included in the request is invalid."}}
    assert scoped["Error"]["Code"] == "SignatureDoesNotMatch" and "'orders'" in scoped["Error"]["Message"]
    assert moved["Error"]["Code"] == "SignatureDoesNotMatch"
    assert "Principal" not in wrong and "Principal" not in unknown


def test_verify_refuses_a_forged_session_token_and_a_stale_signature(server, setup):
    credentials = setup["sts"].assume_role(RoleArn=setup["role"]["Arn"], RoleSessionName="short")["Credentials"]
    material = signed_request(*keys(credentials))
    forged = [[k, (v[:-8] + "AAAAAAAA") if k.lower() == "x-amz-security-token" else v] for k, v in material["Headers"]]
    # Signed 20 minutes ago: past the 15 minutes AWS allows ("Signature expired: ...").
    request = AWSRequest(method="GET", url="https://orders.internal/o", headers={"Host": "orders.internal"})
    twenty_minutes_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=20)
    with mock.patch("botocore.auth.get_current_datetime", return_value=twenty_minutes_ago):  # the client's clock
        SigV4Auth(Credentials(*keys(setup["alice"])[:2]), "orders", "us-east-1").add_auth(request)
    stale = request_material("GET", "/o", "", dict(request.headers.items()))
    with api(server, setup["service"]) as iamd:
        forged_answer = iamd.verify({**material, "Headers": forged})
        stale_answer = iamd.verify(stale)
    assert forged_answer == {"Authenticated": False, "Error": {
        "Code": "InvalidClientTokenId", "Message": "The security token included in the request is invalid."}}
    assert stale_answer["Error"]["Code"] == "SignatureDoesNotMatch"
    assert stale_answer["Error"]["Message"].startswith("Signature expired:")


def test_verify_refuses_an_expired_session(server, setup):
    """A session whose time is over, sealed with the server's own key as STS would have sealed it (as
    test_assume_role.py's expired session): ExpiredToken, AWS's wording."""

    role = setup["role"]
    box = SecretBox(load_master_key(server.data_dir, None)).derived(SESSION_TOKENS)
    key = ids.access_key_id(ACCOUNT_ID, temporary=True)
    now = int(datetime.now(UTC).timestamp())
    token = seal_claims(box, key, {"a": ACCOUNT_ID, "k": "assumed-role", "id": f"{role['RoleId']}:old", "n": "old",
                                   "p": "/", "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role['RoleName']}/old",
                                   "rid": role["RoleId"], "rn": role["RoleName"], "mfa": False, "s": "y" * 40,
                                   "iat": now - 7200, "exp": now - 1})
    with api(server, setup["service"]) as iamd:
        answer = iamd.verify(signed_request(key, "y" * 40, token))
    assert answer == {"Authenticated": False, "Error": {
        "Code": "ExpiredToken", "Message": "The security token included in the request is expired"}}


def test_a_key_without_the_apis_permissions_is_refused(server, setup):
    material = signed_request(*keys(setup["alice"]))
    with api(server, setup["nobody"]) as iamd:
        with pytest.raises(AuthorizationApiError) as refused:
            iamd.verify(material)
        with pytest.raises(AuthorizationApiError) as refused_authorize:
            iamd.authorize(f"arn:aws:iam::{ACCOUNT_ID}:user/alice-{setup['suffix']}", ["orders:GetOrder"], [ORDER])
    assert refused.value.code == "AccessDeniedException" and refused.value.status == 403
    assert "iamd:VerifySignature" in refused.value.message
    assert "because no identity-based policy allows the iamd:VerifySignature action" in refused.value.message
    assert refused_authorize.value.code == "AccessDeniedException"
    assert "iamd:Authorize" in refused_authorize.value.message


def test_the_api_itself_refuses_a_bad_signature_raw_httpx(server, setup):
    body = json.dumps({"Request": signed_request(*keys(setup["alice"]))}).encode()
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                         headers={"X-Amz-Target": "IamdAuthorization.Verify",
                                  "Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(Credentials(setup["service"]["AccessKeyId"], "not-the-secret"), "iamd", "us-east-1").add_auth(request)
    response = httpx.post(server.endpoint + "/", content=body, headers=dict(request.headers.items()))
    assert response.status_code == 403
    assert response.json()["__type"] == "InvalidSignatureException"
    # Scoped to another service: refused too (the API's signing name is "iamd").
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                         headers={"X-Amz-Target": "IamdAuthorization.Verify"})
    SigV4Auth(Credentials(*keys(setup["service"])[:2]), "iam", "us-east-1").add_auth(request)
    response = httpx.post(server.endpoint + "/", content=body, headers=dict(request.headers.items()))
    assert response.status_code == 403 and "'iam'" in response.json()["message"]


def test_verify_with_the_string_to_sign_as_s3tokens_gives_it(server, setup):
    key_id, secret, _ = keys(setup["alice"])
    request = AWSRequest(method="GET", url="https://orders.internal/orders/o-1", headers={"Host": "orders.internal"})
    signer = SigV4Auth(Credentials(key_id, secret), "orders", "us-east-1")
    signer.add_auth(request)
    string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    signature = signer.signature(string_to_sign, request)  # botocore's HMAC chain over that string
    with api(server, setup["service"]) as iamd:
        good = iamd.verify_string_to_sign(key_id, string_to_sign, signature)
        bad = iamd.verify_string_to_sign(key_id, string_to_sign, "0" * 64)
    assert good["Authenticated"] is True and good["Principal"]["Arn"].endswith(f":user/alice-{setup['suffix']}")
    assert bad["Authenticated"] is False and bad["Error"]["Code"] == "SignatureDoesNotMatch"


def test_authorize_by_arn_with_deciding_statements(server, setup):
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/alice-{setup['suffix']}"
    with api(server, setup["service"]) as iamd:
        answer = iamd.authorize(arn, ["orders:GetOrder", "orders:CancelOrder"], [ORDER, OTHER_ORDER])
    results = {(r["Action"], r["Resource"]): r for r in answer["Results"]}
    granted = results[("orders:GetOrder", ORDER)]
    assert granted["Decision"] == "allowed" and granted["Allowed"] is True
    assert granted["MatchedStatements"][0]["SourcePolicyId"] == "orders"
    assert granted["MatchedStatements"][0]["SourcePolicyType"] == "IAM Policy"
    assert granted["MatchedStatements"][0]["Sid"] == "SAllow"
    refused = results[("orders:GetOrder", OTHER_ORDER)]
    assert refused["Decision"] == "implicitDeny" and refused["MatchedStatements"] == []
    assert refused["Message"] == (f"User: {arn} is not authorized to perform: orders:GetOrder on resource: "
                                  f"{OTHER_ORDER} because no identity-based policy allows the orders:GetOrder action")
    assert results[("orders:CancelOrder", ORDER)]["Decision"] == "implicitDeny"


def test_authorize_with_a_boundary_and_an_explicit_deny(server, setup, unique):
    iam = setup["iam"]
    name = unique("bounded")
    boundary = iam.create_policy(PolicyName=unique("boundary"), PolicyDocument=allow("orders:Get*"))["Policy"]["Arn"]
    iam.create_user(UserName=name, PermissionsBoundary=boundary)
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=allow("orders:*"))
    iam.put_user_policy(UserName=name, PolicyName="deny", PolicyDocument=allow("orders:GetOrder", OTHER_ORDER, "Deny"))
    with api(server, setup["service"]) as iamd:
        answer = iamd.authorize(f"arn:aws:iam::{ACCOUNT_ID}:user/{name}",
                                ["orders:GetOrder", "orders:CancelOrder"], [ORDER, OTHER_ORDER])
    results = {(r["Action"], r["Resource"]): r for r in answer["Results"]}
    assert results[("orders:GetOrder", ORDER)]["Allowed"] is True
    types = {m["SourcePolicyType"] for m in results[("orders:GetOrder", ORDER)]["MatchedStatements"]}
    assert types == {"IAM Policy", "Permissions Boundary"}
    capped = results[("orders:CancelOrder", ORDER)]
    assert capped["Decision"] == "implicitDeny" and capped["DeniedBy"] == "Permissions Boundary"
    denied = results[("orders:GetOrder", OTHER_ORDER)]
    assert denied["Decision"] == "explicitDeny" and denied["DeniedBy"] == "IAM Policy"
    assert denied["MatchedStatements"][0]["SourcePolicyId"] == "deny"
    assert denied["MatchedStatements"][0]["Sid"] == "SDeny" and denied["MatchedStatements"][0]["Effect"] == "Deny"


def test_fused_call_applies_the_session_policy(server, setup):
    sts = setup["sts"]
    credentials = sts.assume_role(RoleArn=setup["role"]["Arn"], RoleSessionName="narrow",
                                  Policy=allow("orders:GetOrder"))["Credentials"]
    with api(server, setup["service"]) as iamd:
        answer = iamd.verify_and_authorize(signed_request(*keys(credentials)),
                                           ["orders:GetOrder", "orders:CancelOrder"], [ORDER],
                                           context={"aws:SourceIp": "10.0.0.7"}, service="orders")
        by_arn = iamd.authorize(setup["role"]["Arn"], ["orders:CancelOrder"], [ORDER])
    assert answer["Authenticated"] is True and answer["Principal"]["Type"] == "AssumedRole"
    get, cancel = answer["Results"]
    assert get["Allowed"] is True
    assert {m["SourcePolicyType"] for m in get["MatchedStatements"]} == {"IAM Policy", "Session Policy"}
    assert cancel["Decision"] == "implicitDeny" and cancel["DeniedBy"] == "Session Policy"
    # The role itself (no session policy) may cancel.
    assert by_arn["Results"][0]["Allowed"] is True
    assert by_arn["Principal"]["Arn"] == (f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/reader-{setup['suffix']}/"
                                          "iamd-authorization")


def test_fused_call_with_an_unverified_signature_decides_nothing(server, setup):
    key_id, secret, _ = keys(setup["alice"])
    with api(server, setup["service"]) as iamd:
        answer = iamd.verify_and_authorize(signed_request(key_id, "x" * 40), ["orders:GetOrder"], [ORDER])
    assert answer["Authenticated"] is False and "Results" not in answer


def test_verify_the_root_users_signature(server, setup):
    from tests.api.server import ROOT_KEY_ID, ROOT_SECRET

    with api(server, setup["service"]) as iamd:
        answer = iamd.verify(signed_request(ROOT_KEY_ID, ROOT_SECRET))
    assert answer["Principal"]["Type"] == "Root" and answer["Principal"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert answer["Principal"]["Tags"] == {}


def test_context_keys_reach_the_conditions(server, setup, unique):
    iam = setup["iam"]
    name = unique("ip")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="office", PolicyDocument=allow(
        "orders:GetOrder", "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                                           "StringEquals": {"aws:PrincipalTag/team": "blue"},
                                           "Bool": {"aws:SecureTransport": "true"}}))
    iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}])
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    with api(server, setup["service"]) as iamd:
        tls = {"aws:SecureTransport": "true"}
        inside = iamd.authorize(arn, ["orders:GetOrder"], [ORDER], context={"aws:SourceIp": "10.1.2.3", **tls})
        outside = iamd.authorize(arn, ["orders:GetOrder"], [ORDER], context={"aws:SourceIp": "192.0.2.1", **tls})
        plain = iamd.authorize(arn, ["orders:GetOrder"], [ORDER], context={"aws:SourceIp": "10.1.2.3"})
        missing = iamd.authorize(arn, ["orders:GetOrder"], [ORDER])
        with pytest.raises(AuthorizationApiError) as forged:
            iamd.authorize(arn, ["orders:GetOrder"], [ORDER], context={"aws:PrincipalTag/team": "red"})
    assert inside["Results"][0]["Allowed"] is True
    assert outside["Results"][0]["Allowed"] is False
    assert plain["Results"][0]["Allowed"] is False  # aws:SecureTransport is "false" unless the service says
    assert missing["Results"][0]["MissingContextValues"] == ["aws:SourceIp"]
    assert forged.value.code == "ValidationException" and forged.value.status == 400


def test_resource_policy_same_account_and_cross_account(server, setup, new_account):
    nobody_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/nobody-{setup['suffix']}"
    naming = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Bucketish", "Effect": "Allow", "Principal": {"AWS": nobody_arn}, "Action": "orders:GetOrder",
         "Resource": ORDER}]})
    other = new_account()["account_id"]
    foreign_order = f"arn:aws:orders:us-east-1:{other}:order/o-9"
    with api(server, setup["service"]) as iamd:
        same = iamd.authorize(nobody_arn, ["orders:GetOrder"], [ORDER], resource_policy=naming)
        without = iamd.authorize(nobody_arn, ["orders:GetOrder"], [ORDER])
        # Across accounts the resource policy alone is not enough: the identity side must allow too.
        cross = iamd.authorize(nobody_arn, ["orders:GetOrder"], [foreign_order], resource_owner=other,
                               resource_policy=naming.replace(ORDER, foreign_order))
        alice_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/alice-{setup['suffix']}"
        both = iamd.authorize(alice_arn, ["orders:GetOrder"], [ORDER], resource_owner=other,
                              resource_policy=naming.replace(nobody_arn, alice_arn))
        # An ARN naming another account is that account's resource: without its policy, no way in.
        setup["iam"].create_user(UserName=f"wide-{setup['suffix']}")
        setup["iam"].put_user_policy(UserName=f"wide-{setup['suffix']}", PolicyName="all",
                                     PolicyDocument=allow("orders:*"))
        wide_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/wide-{setup['suffix']}"
        anywhere = iamd.authorize(wide_arn, ["orders:GetOrder"], [ORDER, foreign_order])
    assert same["Results"][0]["Allowed"] is True
    assert same["Results"][0]["MatchedStatements"][0]["SourcePolicyType"] == "Resource Policy"
    assert same["Results"][0]["MatchedStatements"][0]["Sid"] == "Bucketish"
    assert without["Results"][0]["Allowed"] is False
    assert cross["Results"][0]["Allowed"] is False and cross["Results"][0]["DeniedBy"] == "IAM Policy"
    assert both["Results"][0]["Allowed"] is True
    assert {m["SourcePolicyType"] for m in both["Results"][0]["MatchedStatements"]} == {"IAM Policy",
                                                                                         "Resource Policy"}
    home, away = anywhere["Results"]
    assert home["Allowed"] is True
    assert away["Allowed"] is False and away["DeniedBy"] == "Resource Policy"


def test_bad_input_gets_clear_errors(server, setup):
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/alice-{setup['suffix']}"
    with api(server, setup["service"]) as iamd:
        cases = [
            ("Authorize", {"PrincipalArn": arn}, "ValidationException"),
            ("Authorize", {"PrincipalArn": arn, "Actions": ["orders:*"]}, "InvalidInput"),
            ("Authorize", {"PrincipalArn": arn, "Actions": ["a:b"], "ResourcePolicy": "{"}, "MalformedPolicyDocument"),
            ("Authorize", {"PrincipalArn": f"arn:aws:iam::{ACCOUNT_ID}:user/no-such", "Actions": ["a:b"]},
             "ResourceNotFoundException"),
            ("Authorize", {"PrincipalArn": "arn:aws:iam::999999999999:user/x", "Actions": ["a:b"]},
             "ResourceNotFoundException"),
            ("Verify", {"Request": {"Headers": "nope"}}, "ValidationException"),
            ("Frobnicate", {}, "UnknownOperationException"),
        ]
        for operation, params, code in cases:
            with pytest.raises(AuthorizationApiError) as refused:
                iamd.call(operation, params)
            assert refused.value.code == code, (operation, params, refused.value)
            assert 400 <= refused.value.status < 500
    response = httpx.post(server.endpoint + "/", content=b"{", headers={"X-Amz-Target": "IamdAuthorization.Verify"})
    assert response.status_code == 403 and response.json()["__type"] == "MissingAuthenticationTokenException"


def test_a_user_deleted_and_recreated_is_not_the_old_principal(server, setup, unique):
    iam = setup["iam"]
    name = unique("phoenix")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=allow("orders:GetOrder"))
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    with api(server, setup["service"]) as iamd:
        assert iamd.authorize(arn, ["orders:GetOrder"], [ORDER])["Results"][0]["Allowed"] is True  # cached now
        iam.delete_user_policy(UserName=name, PolicyName="p")
        iam.delete_user(UserName=name)
        iam.create_user(UserName=name)
        assert iamd.authorize(arn, ["orders:GetOrder"], [ORDER])["Results"][0]["Allowed"] is False


def test_a_service_running_under_a_role_session_may_call(server, setup):
    """The service's own key may be temporary credentials: a session of a role allowed the API's actions."""
    iam = setup["iam"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName=f"orders-svc-role-{setup['suffix']}", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="authz", PolicyDocument=SERVICE_POLICY)
    credentials = setup["sts"].assume_role(RoleArn=role["Arn"], RoleSessionName="svc")["Credentials"]
    with api(server, credentials) as iamd:
        answer = iamd.verify_and_authorize(signed_request(*keys(setup["alice"])), ["orders:GetOrder"], [ORDER])
    assert answer["Authenticated"] is True and answer["Results"][0]["Allowed"] is True


def test_the_callers_remembered_permission_follows_its_policies_at_once(server, setup, unique):
    """The caller's own iamd:* decision is remembered when its policies read no context key
    (service/authorization_api/permission.py): changing them, or the user deleted and re-created under
    the same name with a new key, decides again on the very next call; a policy with a condition is
    decided per call."""
    iam = setup["iam"]
    name = unique("svc")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="authz", PolicyDocument=SERVICE_POLICY)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    alice_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/alice-{setup['suffix']}"

    def fused(credentials: dict) -> dict:
        with api(server, credentials) as iamd:
            return iamd.verify_and_authorize(signed_request(*keys(setup["alice"])), ["orders:GetOrder"], [ORDER])

    def refused(credentials: dict) -> str:
        with pytest.raises(AuthorizationApiError) as error:
            fused(credentials)
        assert error.value.code == "AccessDeniedException"
        return error.value.message

    assert fused(key)["Results"][0]["Allowed"] is True and fused(key)["Authenticated"] is True  # remembered now
    iam.put_user_policy(UserName=name, PolicyName="no-alice", PolicyDocument=allow("iamd:Authorize", alice_arn,
                                                                                  effect="Deny"))
    assert "iamd:Authorize" in refused(key) and "explicit deny" in refused(key)
    iam.delete_user_policy(UserName=name, PolicyName="no-alice")
    assert fused(key)["Results"][0]["Allowed"] is True
    # Deleted and re-created with the same name, allowed to verify only: the old decision is not reused.
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName=name, PolicyName="authz")
    iam.delete_user(UserName=name)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="verify", PolicyDocument=allow("iamd:VerifySignature"))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert "because no identity-based policy allows the iamd:Authorize action" in refused(key)
    # A condition on the caller's own permission is weighed on every call (here: never true over HTTP).
    iam.put_user_policy(UserName=name, PolicyName="authz", PolicyDocument=allow(
        "iamd:Authorize", "*", Condition={"Bool": {"aws:SecureTransport": "true"}}))
    assert "iamd:Authorize" in refused(key)
    iam.put_user_policy(UserName=name, PolicyName="authz", PolicyDocument=allow(
        "iamd:Authorize", "*", Condition={"Bool": {"aws:SecureTransport": "false"}}))
    assert fused(key)["Results"][0]["Allowed"] is True


def test_both_keys_read_together_follow_their_status_and_may_be_one(server, setup, unique):
    """The service's key and its client's are read in one query (service/authorization_api/keys.py): a
    client key made inactive, then deleted, no longer verifies on the very next call; a service may hand
    over its own request (one key, one row); a service key made inactive is refused as the call's own error,
    whatever the client's material."""
    iam = setup["iam"]
    client_name, service_name = unique("client"), unique("svc")
    for name in (client_name, service_name):
        iam.create_user(UserName=name)
    iam.put_user_policy(UserName=client_name, PolicyName="p", PolicyDocument=allow("orders:GetOrder", ORDER))
    iam.put_user_policy(UserName=service_name, PolicyName="authz", PolicyDocument=SERVICE_POLICY)
    client_key = iam.create_access_key(UserName=client_name)["AccessKey"]
    service_key = iam.create_access_key(UserName=service_name)["AccessKey"]

    def fused(material: dict) -> dict:
        with api(server, service_key) as iamd:
            return iamd.verify_and_authorize(material, ["orders:GetOrder"], [ORDER])

    allowed = fused(signed_request(*keys(client_key)))
    assert allowed["Authenticated"] is True and allowed["Results"][0]["Allowed"] is True
    own = fused(signed_request(*keys(service_key)))
    assert own["Principal"]["Arn"].endswith(f":user/{service_name}") and own["Results"][0]["Allowed"] is False
    iam.update_access_key(UserName=client_name, AccessKeyId=client_key["AccessKeyId"], Status="Inactive")
    assert fused(signed_request(*keys(client_key)))["Error"]["Code"] == "InvalidClientTokenId"
    iam.update_access_key(UserName=client_name, AccessKeyId=client_key["AccessKeyId"], Status="Active")
    assert fused(signed_request(*keys(client_key)))["Authenticated"] is True
    iam.delete_access_key(UserName=client_name, AccessKeyId=client_key["AccessKeyId"])
    assert fused(signed_request(*keys(client_key)))["Error"]["Code"] == "InvalidClientTokenId"
    client_key = iam.create_access_key(UserName=client_name)["AccessKey"]
    assert fused(signed_request(*keys(client_key)))["Results"][0]["Allowed"] is True
    iam.update_access_key(UserName=service_name, AccessKeyId=service_key["AccessKeyId"], Status="Inactive")
    with pytest.raises(AuthorizationApiError) as refused:
        fused(signed_request(*keys(client_key)))
    assert refused.value.code == "UnrecognizedClientException" and refused.value.status == 403


def test_a_described_principal_follows_its_tags_and_a_user_recreated_under_its_name(server, setup, unique):
    """The principal's description follows the user at once: a tag added, a tag removed, and the user
    deleted and re-created under its name with a new key (a new unique id)."""
    iam = setup["iam"]
    name = unique("described")
    iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "red"}])
    key = iam.create_access_key(UserName=name)["AccessKey"]

    def principal(credentials: dict) -> dict:
        with api(server, setup["service"]) as iamd:
            answer = iamd.verify_and_authorize(signed_request(*keys(credentials)), ["orders:GetOrder"], [ORDER])
        assert answer["Authenticated"] is True, answer
        return answer["Principal"]

    first = principal(key)
    assert principal(key) == first and first["Tags"] == {"team": "red"} and first["AccessKeyId"] == key["AccessKeyId"]
    iam.tag_user(UserName=name, Tags=[{"Key": "tier", "Value": "gold"}])
    assert principal(key)["Tags"] == {"team": "red", "tier": "gold"}
    iam.untag_user(UserName=name, TagKeys=["team", "tier"])
    assert principal(key)["Tags"] == {}
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=name)
    iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}])
    again = iam.create_access_key(UserName=name)["AccessKey"]
    described = principal(again)
    assert described["Arn"] == first["Arn"] and described["UserId"] != first["UserId"]
    assert described["Tags"] == {"team": "blue"} and described["AccessKeyId"] == again["AccessKeyId"]
