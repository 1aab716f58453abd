"""Handlers whose behaviour turns on time, with the harness's clock moved instead of waited for: through
the API these take a sleep per second of resolution, a 30-second TOTP step, or cannot be done at all
(a four-hour report lifetime, a fifteen-minute session)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from iamd.errors import AccessDenied, ExpiredToken, ReportExpired, ReportNotPresent
from iamd.security import totp
from tests.service.conftest import ROOT, Caller, Iamd, allow, document, unique

MFA_FAILED = "MultiFactorAuthentication failed with invalid MFA one time pass code."
STEP_START = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)  # a multiple of 30 s after the epoch


@pytest.fixture
def mfa_user(iamd: Iamd):
    """A user with an enabled virtual MFA device, the clock at the start of a TOTP step:
    (user name, its credentials, serial number, seed, the step of now). The pair enabled it used steps now-1 and now."""
    iamd.now = STEP_START
    name, alice = iamd.user()
    device = iamd.run(ROOT, "CreateVirtualMFADevice", {"VirtualMFADeviceName": unique("mfa")})["VirtualMFADevice"]
    serial, seed = device["SerialNumber"], device["Base32StringSeed"].decode()
    step = totp.time_step(iamd.now)
    iamd.run(ROOT, "EnableMFADevice", {"UserName": name, "SerialNumber": serial,
                                       "AuthenticationCode1": totp.code_at(seed, step - 1),
                                       "AuthenticationCode2": totp.code_at(seed, step)})
    return name, alice, serial, seed, step


def mfa_session(iamd: Iamd, caller: Caller, serial: str, code: str) -> Caller:
    answer = iamd.run(caller, "GetSessionToken", {"SerialNumber": serial, "TokenCode": code, "DurationSeconds": 900})
    return Caller.of(answer["Credentials"])


def test_a_code_is_good_once_and_only_near_its_step(iamd, mfa_user):
    """STS GetSessionToken, TokenCode: "the value provided by the MFA device"; iamd takes one step of skew
    either side (security/totp.py WINDOW) and never a code at or before the newest step it accepted."""
    _, alice, serial, seed, step = mfa_user
    with pytest.raises(AccessDenied) as excinfo:
        mfa_session(iamd, alice, serial, totp.code_at(seed, step))  # spent by EnableMFADevice
    assert excinfo.value.message == MFA_FAILED
    with pytest.raises(AccessDenied):
        mfa_session(iamd, alice, serial, totp.code_at(seed, step + 2))  # two steps ahead: out of the window
    mfa_session(iamd, alice, serial, totp.code_at(seed, step + 1))  # one step ahead (clock skew): good
    iamd.later(30)
    with pytest.raises(AccessDenied):
        mfa_session(iamd, alice, serial, totp.code_at(seed, step + 1))  # good once
    iamd.later(60)  # now step + 3: step + 2 is a step behind, not spent yet
    mfa_session(iamd, alice, serial, totp.code_at(seed, step + 2))
    with pytest.raises(AccessDenied):
        mfa_session(iamd, alice, serial, totp.code_at(seed, step + 1))  # before the newest accepted step


def test_multi_factor_auth_age_grows_with_the_clock(iamd, mfa_user):
    """aws:MultiFactorAuthAge: seconds since the MFA-authenticated session was issued (IAM User Guide,
    "AWS global condition context keys")."""
    name, alice, serial, seed, step = mfa_user
    iamd.run(ROOT, "PutUserPolicy", {"UserName": name, "PolicyName": "fresh-mfa", "PolicyDocument": document(
        allow("iam:ListGroups", "*", NumericLessThan={"aws:MultiFactorAuthAge": "300"}))})
    session = mfa_session(iamd, alice, serial, totp.code_at(seed, step + 1))
    iamd.run(session, "ListGroups")
    iamd.later(299)
    iamd.run(session, "ListGroups")
    iamd.later(1)
    with pytest.raises(AccessDenied):
        iamd.run(session, "ListGroups")
    with pytest.raises(AccessDenied):
        iamd.run(alice, "ListGroups")  # a long-term key has no MFA age: the condition does not match


def test_a_session_expires_at_its_duration(iamd):
    name, alice = iamd.user()
    session = Caller.of(iamd.run(alice, "GetSessionToken", {"DurationSeconds": 900})["Credentials"])
    iamd.later(899)
    assert iamd.run(session, "GetCallerIdentity")["Arn"].endswith(f":user/{name}")
    iamd.later(1)
    with pytest.raises(ExpiredToken) as excinfo:
        iamd.run(session, "GetCallerIdentity")
    assert excinfo.value.message == "The security token included in the request is expired"


def test_a_credential_report_lives_four_hours(iamd):
    """IAM User Guide, "Getting credential reports": a report generated in the last four hours is
    returned as it is; after that GetCredentialReport answers ReportExpired and a new one is made."""
    with pytest.raises(ReportNotPresent):
        iamd.run(ROOT, "GetCredentialReport")
    assert iamd.run(ROOT, "GenerateCredentialReport")["State"] == "STARTED"
    first = iamd.run(ROOT, "GetCredentialReport")
    iamd.run(ROOT, "CreateUser", {"UserName": "later"})
    iamd.later(4 * 3600 - 1)
    assert iamd.run(ROOT, "GenerateCredentialReport") == {"State": "COMPLETE"}  # kept: no new user in it
    assert iamd.run(ROOT, "GetCredentialReport")["Content"] == first["Content"]
    assert b"\nlater," not in first["Content"]
    iamd.later(1)
    with pytest.raises(ReportExpired):
        iamd.run(ROOT, "GetCredentialReport")
    assert iamd.run(ROOT, "GenerateCredentialReport")["State"] == "STARTED"
    again = iamd.run(ROOT, "GetCredentialReport")
    assert again["GeneratedTime"] == iamd.now and b"\nlater," in again["Content"]


def test_access_keys_in_the_report_are_ordered_by_creation(iamd):
    """Times are kept to the second: the second key is made a second later, without waiting for it."""
    name, first = iamd.user()
    iamd.later(1)
    second = Caller.of(iamd.run(ROOT, "CreateAccessKey", {"UserName": name})["AccessKey"])
    iamd.run(ROOT, "UpdateAccessKey", {"UserName": name, "AccessKeyId": second.key_id, "Status": "Inactive"})
    iamd.later(5)
    iamd.run(first, "GetCallerIdentity")
    iamd.run(ROOT, "GenerateCredentialReport")
    lines = iamd.run(ROOT, "GetCredentialReport")["Content"].decode().splitlines()
    header, row = lines[0].split(","), next(line for line in lines if line.startswith(f"{name},")).split(",")
    fields = dict(zip(header, row, strict=True))
    assert fields["access_key_1_active"] == "true" and fields["access_key_2_active"] == "false"
    assert fields["access_key_1_last_used_date"] == iamd.now.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert fields["access_key_1_last_used_service"] == "sts"
    assert fields["access_key_2_last_used_date"] == "N/A"
