"""STS GetSessionToken: temporary credentials that authenticate like access keys until they expire."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from iamd.security import ids
from iamd.security.secrets import SecretBox, load_master_key
from iamd.security.session_tokens import PURPOSE as SESSION_TOKENS, seal_claims
from tests.api.conftest import ACCOUNT_ID, boto_session, client, error_of
from tests.api.server import ROOT_KEY_ID, ROOT_SECRET


def session_client(server, credentials, service="iam"):
    return client(server, service, credentials["AccessKeyId"], credentials["SecretAccessKey"],
                  credentials["SessionToken"])


def test_session_credentials_act_as_the_user(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="list", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))
    credentials = client(server, "sts", key_id, secret).get_session_token(DurationSeconds=900)["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", credentials["AccessKeyId"])
    assert len(credentials["SecretAccessKey"]) == 40
    remaining = (credentials["Expiration"] - datetime.now(UTC)).total_seconds()
    assert 800 < remaining <= 900
    identity = session_client(server, credentials, "sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    session_client(server, credentials).list_users(MaxItems=1)
    with pytest.raises(ClientError) as excinfo:
        session_client(server, credentials).list_groups()
    assert error_of(excinfo)[0] == "AccessDenied"


def test_a_tampered_or_foreign_token_is_refused(server, new_user):
    _, key_id, secret = new_user()
    credentials = client(server, "sts", key_id, secret).get_session_token(DurationSeconds=900)["Credentials"]
    tampered = {**credentials, "SessionToken": credentials["SessionToken"][:-6] + "AAAAAA"}
    with pytest.raises(ClientError) as excinfo:
        session_client(server, tampered, "sts").get_caller_identity()
    assert error_of(excinfo) == ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
    other = client(server, "sts", key_id, secret).get_session_token(DurationSeconds=900)["Credentials"]
    swapped = {**credentials, "SessionToken": other["SessionToken"]}
    with pytest.raises(ClientError) as excinfo:
        session_client(server, swapped, "sts").get_caller_identity()
    assert error_of(excinfo)[0] == "InvalidClientTokenId"


def test_an_expired_session_is_refused(server, new_user):
    """A token whose expiry has passed, sealed with the server's own master key, is refused as expired.

    (The shortest real session lasts 15 minutes, and SigV4 refuses a request dated that far ahead, so
    the expired token is minted here with the server's key instead of waited for.)"""
    name, key_id, secret = new_user()
    box = SecretBox(load_master_key(server.data_dir, None)).derived(SESSION_TOKENS)
    now = int(time.time())
    temporary_key = ids.access_key_id(ACCOUNT_ID, temporary=True)
    claims = {"a": ACCOUNT_ID, "k": "user", "id": "AIDAEXPIREDSESSION000", "n": name, "uid": None, "p": "/",
              "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/{name}", "mfa": False, "s": "x" * 40,
              "iat": now - 1000, "exp": now - 10}
    token = seal_claims(box, temporary_key, claims)
    expired = {"AccessKeyId": temporary_key, "SecretAccessKey": "x" * 40, "SessionToken": token}
    with pytest.raises(ClientError) as excinfo:
        session_client(server, expired, "sts").get_caller_identity()
    assert error_of(excinfo) == ("ExpiredToken", "The security token included in the request is expired", 403)
    fresh = seal_claims(box, temporary_key, {**claims, "exp": now + 600})
    identity = session_client(server, {**expired, "SessionToken": fresh}, "sts").get_caller_identity()
    assert identity["Arn"].endswith(f":user/{name}")


def test_session_token_cannot_make_another(server, new_user):
    _, key_id, secret = new_user()
    credentials = client(server, "sts", key_id, secret).get_session_token(DurationSeconds=900)["Credentials"]
    with pytest.raises(ClientError) as excinfo:
        session_client(server, credentials, "sts").get_session_token()
    assert error_of(excinfo) == ("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)


def test_duration_limits(server, sts):
    unchecked = boto_session().client(
        "sts", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id=ROOT_KEY_ID,
        aws_secret_access_key=ROOT_SECRET, config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as excinfo:
        unchecked.get_session_token(DurationSeconds=600)
    assert error_of(excinfo) == ("ValidationError", "1 validation error detected: Value '600' at 'durationSeconds' "
                                 "failed to satisfy constraint: Member must have value greater than or equal to 900",
                                 400)
    root_session = sts.get_session_token(DurationSeconds=7200)["Credentials"]
    remaining = (root_session["Expiration"] - datetime.now(UTC)).total_seconds()
    assert remaining <= 3600, "the root user's sessions last at most an hour"


def test_long_term_keys_do_not_carry_mfa(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="mfa", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
                                                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}))
    with pytest.raises(ClientError):
        client(server, "iam", key_id, secret).list_users()
    credentials = client(server, "sts", key_id, secret).get_session_token(DurationSeconds=900)["Credentials"]
    with pytest.raises(ClientError):
        session_client(server, credentials).list_users()


def test_mfa_session_satisfies_an_mfa_condition(server, iam, new_user, unique):
    import pyotp

    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="mfa-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
                                                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}))
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    otp = pyotp.TOTP(device["Base32StringSeed"].decode())
    # The two consecutive codes of the two steps before now, as a user who typed them a little late sends
    # them (IAM API reference, EnableMFADevice: AuthenticationCode1, "a subsequent" AuthenticationCode2;
    # iamd's pair window, security/totp.py PAIR_WINDOW). The current step's code stays unused for STS.
    step = int(time.time() // 30)
    iam.enable_mfa_device(UserName=name, SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=otp.generate_otp(step - 2),
                          AuthenticationCode2=otp.generate_otp(step - 1))
    sts = client(server, "sts", key_id, secret)
    with pytest.raises(ClientError) as excinfo:
        client(server, "iam", key_id, secret).list_users()  # the long-term key: no MFA in its context
    assert error_of(excinfo)[0] == "AccessDenied"
    with pytest.raises(ClientError) as excinfo:
        sts.get_session_token(DurationSeconds=900, SerialNumber=device["SerialNumber"], TokenCode="000000")
    assert error_of(excinfo) == ("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass "
                                 "code.", 403)
    # The enable call used the codes up to step - 1; the code of ``step`` is new, and within one step of
    # now even if a step boundary has passed since (security/totp.py WINDOW).
    with_mfa = sts.get_session_token(DurationSeconds=900, SerialNumber=device["SerialNumber"],
                                     TokenCode=otp.generate_otp(step))["Credentials"]
    session_client(server, with_mfa).list_users(MaxItems=1)
    without_mfa = sts.get_session_token(DurationSeconds=900)["Credentials"]
    with pytest.raises(ClientError):
        session_client(server, without_mfa).list_users(MaxItems=1)


def test_decode_authorization_message(server, sts, new_user):
    with pytest.raises(ClientError) as excinfo:
        sts.decode_authorization_message(EncodedMessage="rHU-pVHMSckD0OAc5l3r9-gKN1XZjZ2X9J3w0fZ31licaTpAVwlD9ix3")
    assert error_of(excinfo)[0::2] == ("InvalidAuthorizationMessageException", 400)
    name, key_id, secret = new_user()
    with pytest.raises(ClientError) as excinfo:
        client(server, "sts", key_id, secret).decode_authorization_message(EncodedMessage="abc")
    assert error_of(excinfo) == (
        "AccessDenied", f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: "
        "sts:DecodeAuthorizationMessage on resource: * because no identity-based policy allows the "
        "sts:DecodeAuthorizationMessage action", 403)
