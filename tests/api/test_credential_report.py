"""The credential report: generated at once and kept, AWS's columns in AWS's order, every value checked
against the users' real state (passwords, keys created and used, MFA), ReportNotPresent before any."""

import base64
import csv
import io
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import aws_json, client, error_of

AWS_COLUMNS = [
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
]
NO_KEY = ["false", "N/A", "N/A", "N/A", "N/A"]
NO_CERTS = ["false", "N/A", "false", "N/A"]


def iso(when: datetime) -> str:
    return when.astimezone(UTC).replace(microsecond=0).isoformat()


def near(text: str, when: datetime, slack: float = 120) -> bool:
    return abs((datetime.fromisoformat(text) - when).total_seconds()) <= slack


@pytest.fixture
def account(server, new_account):
    created = new_account()
    root = client(server, "iam", created["aws_access_key_id"], created["aws_secret_access_key"])
    return created, root


def _rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert "\r" not in text and not text.endswith("\n")
    return list(csv.reader(io.StringIO(text)))


def test_not_present_until_generated_then_started_then_complete(account):
    _, iam = account
    with pytest.raises(ClientError) as excinfo:
        iam.get_credential_report()
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ReportNotPresent", 410) and not message  # AWS sends no Message element
    first = iam.generate_credential_report()
    assert (first["State"], first["Description"]) == (
        "STARTED", "No report exists. Starting a new report generation task")
    second = iam.generate_credential_report()
    assert second["State"] == "COMPLETE"
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    assert near(iso(report["GeneratedTime"]), datetime.now(UTC))
    assert _rows(report["Content"])[0] == AWS_COLUMNS


def test_columns_match_the_users_real_state(server, account, unique):
    created, iam = account
    account_id = created.get("account_id") or iam.get_user()["User"]["Arn"].split(":")[4]
    iam.update_account_password_policy(MinimumPasswordLength=8, MaxPasswordAge=90)

    # alice: a password, MFA, two keys: the first used through STS in eu-west-1, the second made inactive.
    alice = iam.create_user(UserName="alice-" + unique("x"), Path="/staff/")["User"]
    profile = iam.create_login_profile(UserName=alice["UserName"], Password="Alice-Pass-1!")["LoginProfile"]
    key1 = iam.create_access_key(UserName=alice["UserName"])["AccessKey"]
    time.sleep(1.1)  # times are kept to the second: key 1 is the older key
    key2 =  iam.create_access_key(UserName=alice["UserName"])["AccessKey"]
    iam.update_access_key(UserName=alice["UserName"], AccessKeyId=key2["AccessKeyId"], Status="Inactive")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    otp, step = pyotp.TOTP(device["Base32StringSeed"].decode()), int(time.time() // 30)
    iam.enable_mfa_device(UserName=alice["UserName"], SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=otp.generate_otp(step - 1), AuthenticationCode2=otp.generate_otp(step))
    sts = client(server, "sts", key1["AccessKeyId"], key1["SecretAccessKey"], region="eu-west-1")
    used_at = datetime.now(UTC)
    deadline = time.monotonic() + 10
    while True:
        try:
            sts.get_caller_identity()
            break
        except ClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    # bob: nothing at all. carol: a password never used, one key never used.
    bob = iam.create_user(UserName="bob-" + unique("x"))["User"]
    carol = iam.create_user(UserName="carol-" + unique("x"))["User"]
    carol_profile = iam.create_login_profile(UserName=carol["UserName"], Password="Carol-Pass-1!")["LoginProfile"]
    carol_key = iam.create_access_key(UserName=carol["UserName"])["AccessKey"]

    assert iam.generate_credential_report()["State"] == "STARTED"
    rows = _rows(iam.get_credential_report()["Content"])
    assert rows[0] == AWS_COLUMNS
    assert all(len(row) == len(AWS_COLUMNS) for row in rows)
    assert [row[0] for row in rows[1:]] == ["<root_account>", alice["UserName"], bob["UserName"], carol["UserName"]]
    by_user = {row[0]: dict(zip(AWS_COLUMNS, row, strict=True)) for row in rows[1:]}

    root = by_user["<root_account>"]
    assert root["arn"] == f"arn:aws:iam::{account_id}:root"
    assert near(root["user_creation_time"], datetime.now(UTC), slack=600)
    assert [root[c] for c in AWS_COLUMNS[3:8]] == ["not_supported", "no_information", "not_supported",
                                                   "not_supported", "false"]
    assert root["access_key_1_active"] == "true" and root["access_key_1_last_rotated"] != "N/A"
    assert near(root["access_key_1_last_used_date"], datetime.now(UTC))  # the root made all of this
    assert (root["access_key_1_last_used_region"], root["access_key_1_last_used_service"]) == ("us-east-1", "iam")
    assert [root[c] for c in AWS_COLUMNS[13:18]] == NO_KEY
    assert [root[c] for c in AWS_COLUMNS[18:]] == NO_CERTS

    a = by_user[alice["UserName"]]
    changed = datetime.fromisoformat(a["password_last_changed"])
    assert a["arn"] == alice["Arn"] and a["arn"].endswith(f":user/staff/{alice['UserName']}")
    assert a["user_creation_time"] == iso(alice["CreateDate"])
    assert a["password_enabled"] == "true" and a["password_last_used"] == "no_information"
    assert near(a["password_last_changed"], profile["CreateDate"], slack=2)
    assert a["password_next_rotation"] == iso(changed + timedelta(days=90))
    assert a["mfa_active"] == "true"
    assert [a[c] for c in AWS_COLUMNS[8:10]] == ["true", iso(key1["CreateDate"])]
    assert near(a["access_key_1_last_used_date"], used_at)
    assert (a["access_key_1_last_used_region"], a["access_key_1_last_used_service"]) == ("eu-west-1", "sts")
    assert [a[c] for c in AWS_COLUMNS[13:18]] == ["false", iso(key2["CreateDate"]), "N/A", "N/A", "N/A"]
    assert [a[c] for c in AWS_COLUMNS[18:]] == NO_CERTS

    b = by_user[bob["UserName"]]
    assert [b[c] for c in AWS_COLUMNS[1:3]] == [bob["Arn"], iso(bob["CreateDate"])]
    assert [b[c] for c in AWS_COLUMNS[3:8]] == ["false", "N/A", "N/A", "N/A", "false"]
    assert [b[c] for c in AWS_COLUMNS[8:]] == NO_KEY + NO_KEY + NO_CERTS

    c = by_user[carol["UserName"]]
    assert [c[col] for col in AWS_COLUMNS[3:5]] == ["true", "no_information"]
    assert near(c["password_last_changed"], carol_profile["CreateDate"], slack=2)
    assert [c[col] for col in AWS_COLUMNS[8:13]] == ["true", iso(carol_key["CreateDate"]), "N/A", "N/A", "N/A"]
    assert [c[col] for col in AWS_COLUMNS[13:18]] == NO_KEY


def test_report_is_kept_until_regenerated(server, account, unique):
    created, iam = account
    iam.generate_credential_report()
    before = iam.get_credential_report()
    iam.create_user(UserName=unique("late"))
    assert iam.generate_credential_report()["State"] == "COMPLETE"  # within four hours: the same report
    after = iam.get_credential_report()
    assert after["Content"] == before["Content"] and after["GeneratedTime"] == before["GeneratedTime"]


def test_aws_cli_gets_the_report(server, account):
    created, iam = account
    iam.generate_credential_report()
    out = aws_json(server, "iam", "get-credential-report", key_id=created["aws_access_key_id"],
                   secret=created["aws_secret_access_key"])
    assert out["ReportFormat"] == "text/csv"
    content = base64.b64decode(out["Content"])
    assert content == iam.get_credential_report()["Content"]
    assert content.decode().splitlines()[0] == ",".join(AWS_COLUMNS)
    generated = aws_json(server, "iam", "generate-credential-report", key_id=created["aws_access_key_id"],
                         secret=created["aws_secret_access_key"])
    assert generated == {"State": "COMPLETE"}


def test_signing_certificates_fill_the_cert_columns(account, unique):
    from tests.api.test_signing_certificates import certificate

    _, iam = account
    name = unique("certs")
    iam.create_user(UserName=name)
    first = iam.upload_signing_certificate(UserName=name, CertificateBody=certificate(0))["Certificate"]
    time.sleep(1.1)  # times are kept to the second: the first is the older certificate
    second = iam.upload_signing_certificate(UserName=name, CertificateBody=certificate(1))["Certificate"]
    iam.update_signing_certificate(UserName=name, CertificateId=second["CertificateId"], Status="Inactive")
    iam.generate_credential_report()
    rows = _rows(iam.get_credential_report()["Content"])[1:]
    row = {r[0]: dict(zip(AWS_COLUMNS, r, strict=True)) for r in rows}[name]
    assert [row[c] for c in AWS_COLUMNS[18:]] == ["true", iso(first["UploadDate"]), "false", iso(second["UploadDate"])]
    assert iam.get_account_summary()["SummaryMap"]["AccountSigningCertificatesPresent"] == 0
