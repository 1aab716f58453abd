"""Virtual MFA devices: create (seed and QR code, boto3 and the aws CLI), enable with codes read back from
the QR code, replay refused, AWS's errors, listings' shapes, tags, seeds sealed at rest."""

import base64
import io
import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
import sqlalchemy
import zxingcpp
from botocore.exceptions import ClientError
from PIL import Image

from tests.api.conftest import ACCOUNT_ID, aws_json, client, error_of, run_aws


def codes(seed: str) -> tuple[str, str]:
    """Two consecutive codes, for the step before now and now, as a user reads them off an app."""
    step = int(time.time() // 30)
    otp = pyotp.TOTP(seed)
    return otp.generate_otp(step - 1), otp.generate_otp(step)


def seed_from_qr(png: bytes) -> str:
    """The secret of the otpauth URI in a QR code PNG, as an authenticator app reads it."""
    (barcode,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    uri = urlparse(barcode.text)
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    return parse_qs(uri.query)["secret"][0]


@pytest.fixture
def fresh_iam(server, new_account):
    account = new_account()
    return client(server, "iam", account["aws_access_key_id"], account["aws_secret_access_key"])


@pytest.fixture
def device(iam, unique):
    """A new virtual device: (serial number, Base32 seed)."""
    def make(path: str = "/", on=None):
        created = (on or iam).create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"), Path=path)
        device = created["VirtualMFADevice"]
        return device["SerialNumber"], device["Base32StringSeed"].decode()
    return make


def test_create_returns_seed_and_qr_code_of_the_same_secret(iam, unique):
    name = unique("mfa")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    assert device["SerialNumber"] == f"arn:aws:iam::{ACCOUNT_ID}:mfa/{name}"
    seed = device["Base32StringSeed"].decode()
    assert len(seed) == 64 and set(seed) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert device["QRCodePNG"].startswith(b"\x89PNG\r\n\x1a\n")
    assert seed_from_qr(device["QRCodePNG"]) == seed
    (barcode,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(device["QRCodePNG"])))
    assert barcode.text.startswith(f"otpauth://totp/iamd:{name}@{ACCOUNT_ID}?")
    assert "Tags" not in device


def test_user_enables_mfa_with_codes_from_the_qr_code(iam, unique):
    user = unique("user")
    iam.create_user(UserName=user)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    serial = device["SerialNumber"]
    code1, code2 = codes(seed_from_qr(device["QRCodePNG"]))
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=code1, AuthenticationCode2=code2)
    listed = iam.list_mfa_devices(UserName=user)
    assert [d["SerialNumber"] for d in listed["MFADevices"]] == [serial]
    assert listed["MFADevices"][0]["UserName"] == user and listed["IsTruncated"] is False
    got = iam.get_mfa_device(SerialNumber=serial, UserName=user)
    assert got["UserName"] == user and got["SerialNumber"] == serial
    assert got["EnableDate"] == listed["MFADevices"][0]["EnableDate"]
    assert "Certifications" not in got


def test_codes_from_the_seed_and_replay_refused(iam, unique, device):
    serial, seed = device()
    first, second = unique("user"), unique("user")
    iam.create_user(UserName=first)
    iam.create_user(UserName=second)
    code1, code2 = codes(seed)
    iam.enable_mfa_device(UserName=first, SerialNumber=serial, AuthenticationCode1=code1, AuthenticationCode2=code2)
    # The same pair again, for a resync or for another user after deactivation: used already.
    with pytest.raises(ClientError) as excinfo:
        iam.resync_mfa_device(UserName=first, SerialNumber=serial, AuthenticationCode1=code1,
                              AuthenticationCode2=code2)
    assert error_of(excinfo) == ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
    iam.deactivate_mfa_device(UserName=first, SerialNumber=serial)
    with pytest.raises(ClientError) as excinfo:
        iam.enable_mfa_device(UserName=second, SerialNumber=serial, AuthenticationCode1=code1,
                              AuthenticationCode2=code2)
    assert error_of(excinfo) == ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
    assert iam.list_mfa_devices(UserName=second)["MFADevices"] == []


def test_resync_with_fresh_codes(iam, unique, device):
    serial, seed = device()
    user = unique("user")
    iam.create_user(UserName=user)
    otp, step = pyotp.TOTP(seed), int(time.time() // 30)
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=otp.generate_otp(step - 3),
                          AuthenticationCode2=otp.generate_otp(step - 2))
    iam.resync_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=otp.generate_otp(step),
                          AuthenticationCode2=otp.generate_otp(step + 1))


def test_enable_errors(iam, unique, device):
    serial, seed = device()
    user, other = unique("user"), unique("user")
    iam.create_user(UserName=user)
    iam.create_user(UserName=other)
    code1, code2 = codes(seed)
    missing = f"arn:aws:iam::{ACCOUNT_ID}:mfa/{unique('none')}"
    cases = [
        (dict(UserName="nobody-here", SerialNumber=serial, AuthenticationCode1=code1, AuthenticationCode2=code2),
         ("NoSuchEntity", "The user with name nobody-here cannot be found.", 404)),
        (dict(UserName=user, SerialNumber=missing, AuthenticationCode1=code1, AuthenticationCode2=code2),
         ("NoSuchEntity", f"MFA Device with serial number {missing} does not exist.", 404)),
        (dict(UserName=user, SerialNumber=serial, AuthenticationCode1=code2, AuthenticationCode2=code1),
         ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)),
        (dict(UserName=user, SerialNumber=serial, AuthenticationCode1=code2, AuthenticationCode2=code2),
         ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)),
        (dict(UserName=user, SerialNumber=serial, AuthenticationCode1="000000", AuthenticationCode2="000000"),
         ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)),
    ]
    for args, expected in cases:
        with pytest.raises(ClientError) as excinfo:
            iam.enable_mfa_device(**args)
        assert error_of(excinfo) == expected, args
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=code1, AuthenticationCode2=code2)
    for name in (other, user):  # a device serves one user
        with pytest.raises(ClientError) as excinfo:
            iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1=code1,
                                  AuthenticationCode2=code2)
        assert error_of(excinfo) == ("EntityAlreadyExists", "MFA Device is already in use.", 409)


def test_at_most_eight_devices_per_user(iam, unique, device):
    user = unique("user")
    iam.create_user(UserName=user)
    for _ in range(8):
        serial, seed = device()
        code1, code2 = codes(seed)
        iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=code1,
                              AuthenticationCode2=code2)
    serial, seed = device()
    code1, code2 = codes(seed)
    with pytest.raises(ClientError) as excinfo:
        iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=code1, AuthenticationCode2=code2)
    assert error_of(excinfo) == ("LimitExceeded", "Cannot exceed quota for MFADevicesPerUser: 8", 409)
    first = iam.list_mfa_devices(UserName=user, MaxItems=5)
    assert len(first["MFADevices"]) == 5 and first["IsTruncated"] is True
    rest = iam.list_mfa_devices(UserName=user, Marker=first["Marker"])
    assert len(rest["MFADevices"]) == 3 and rest["IsTruncated"] is False


def test_create_errors(iam, unique):
    name = unique("mfa")
    iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
    with pytest.raises(ClientError) as excinfo:
        iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
    assert error_of(excinfo) == ("EntityAlreadyExists", "MFA device already exists.", 409)
    iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Path="/other/")  # another path, another device
    with pytest.raises(ClientError) as excinfo:
        iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"), Path="/" + "a" * 511 + "/")
    assert error_of(excinfo) == ("ValidationError", "1 validation error detected: Value at 'path' failed to satisfy "
                                 "constraint: Member must have length less than or equal to 512", 400)


@pytest.mark.parametrize("path", ["test/", "/test"])
def test_create_with_a_malformed_path(iam, unique, path):
    with pytest.raises(ClientError) as excinfo:
        iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"), Path=path)
    assert error_of(excinfo) == ("ValidationError", "The specified value for path is invalid. It must begin and end "
                                 "with / and contain only alphanumeric characters and/or / characters.", 400)


def test_deactivate_and_delete(iam, unique, device):
    serial, seed = device()
    user, other = unique("user"), unique("user")
    iam.create_user(UserName=user)
    iam.create_user(UserName=other)
    code1, code2 = codes(seed)
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=code1, AuthenticationCode2=code2)
    missing = f"arn:aws:iam::{ACCOUNT_ID}:mfa/{unique('none')}"
    cases = [
        (lambda: iam.deactivate_mfa_device(UserName="nobody-here", SerialNumber=serial),
         ("NoSuchEntity", "The user with name nobody-here cannot be found.", 404)),
        (lambda: iam.deactivate_mfa_device(UserName=user, SerialNumber=missing),
         ("NoSuchEntity", f"MFA Device with serial number {missing} does not exist.", 404)),
        (lambda: iam.deactivate_mfa_device(UserName=other, SerialNumber=serial),
         ("NoSuchEntity", "MFA Device invalid for user.", 404)),
        (lambda: iam.delete_virtual_mfa_device(SerialNumber=serial),
         ("DeleteConflict", "MFA VirtualDevice in use. Must deactivate first.", 409)),
        (lambda: iam.delete_virtual_mfa_device(SerialNumber=missing),
         ("NoSuchEntity", f"MFA Device with serial number {missing} does not exist.", 404)),
        (lambda: iam.get_mfa_device(SerialNumber=serial, UserName=other),
         ("NoSuchEntity", f"MFA Device with serial number {serial} does not exist.", 404)),
    ]
    for call, expected in cases:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == expected
    iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error_of(excinfo) == ("NoSuchEntity", f"MFA Device with serial number {serial} does not exist.", 404)


def test_list_virtual_mfa_devices_shapes_and_filters(fresh_iam, unique, device):
    iam = fresh_iam
    account = iam.get_user()["User"]["Arn"].split(":")[4]
    user = unique("user")
    created_user = iam.create_user(UserName=user, Path="/team/")["User"]
    assigned, seed = device(path="/test-path/", on=iam)
    unassigned, _ = device(path="/test//double/", on=iam)
    assert assigned.startswith(f"arn:aws:iam::{account}:mfa/test-path/")
    assert unassigned.startswith(f"arn:aws:iam::{account}:mfa/test//double/")
    code1, code2 = codes(seed)
    iam.enable_mfa_device(UserName=user, SerialNumber=assigned, AuthenticationCode1=code1, AuthenticationCode2=code2)

    every = iam.list_virtual_mfa_devices()
    assert every["IsTruncated"] is False
    by_serial = {d["SerialNumber"]: d for d in every["VirtualMFADevices"]}
    assert set(by_serial) == {assigned, unassigned}
    assert by_serial[unassigned] == {"SerialNumber": unassigned}
    entry = by_serial[assigned]
    assert set(entry) == {"SerialNumber", "User", "EnableDate"}
    assert entry["User"] == {key: created_user[key] for key in ("Path", "UserName", "UserId", "Arn", "CreateDate")}
    assert "Base32StringSeed" not in entry and "QRCodePNG" not in entry

    def serials(status):
        return [d["SerialNumber"] for d in iam.list_virtual_mfa_devices(AssignmentStatus=status)["VirtualMFADevices"]]
    assert serials("Assigned") == [assigned]
    assert serials("Unassigned") == [unassigned]
    assert sorted(serials("Any")) == sorted([assigned, unassigned])

    first = iam.list_virtual_mfa_devices(MaxItems=1)
    assert len(first["VirtualMFADevices"]) == 1 and first["IsTruncated"] is True
    second = iam.list_virtual_mfa_devices(MaxItems=1, Marker=first["Marker"])
    assert second["IsTruncated"] is False
    assert {first["VirtualMFADevices"][0]["SerialNumber"], second["VirtualMFADevices"][0]["SerialNumber"]} == \
        {assigned, unassigned}
    with pytest.raises(ClientError) as excinfo:
        iam.list_virtual_mfa_devices(Marker="invalid-marker-value")
    assert error_of(excinfo) == ("ValidationError", "Invalid Marker.", 400)


def test_user_lists_own_devices_without_a_user_name(server, iam, unique, device):
    user = unique("user")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    iam.put_user_policy(UserName=user, PolicyName="mfa-self", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:ListMFADevices", "iam:GetMFADevice"],
                       "Resource": f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"}]}))
    serial, seed = device()
    code1, code2 = codes(seed)
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=code1, AuthenticationCode2=code2)
    as_user = client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    deadline = time.monotonic() + 10
    while True:
        try:
            listed = as_user.list_mfa_devices()
            break
        except ClientError as error:  # a new key may take a moment to be known everywhere
            if time.monotonic() > deadline or error.response["Error"]["Code"] != "InvalidClientTokenId":
                raise
            time.sleep(0.2)
    assert [(d["UserName"], d["SerialNumber"]) for d in listed["MFADevices"]] == [(user, serial)]
    assert as_user.get_mfa_device(SerialNumber=serial)["UserName"] == user
    assert iam.list_mfa_devices()["MFADevices"] == []  # the root user's own: none kept


def test_tags(iam, unique):
    name = unique("mfa")
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Tags=[{"Key": "team", "Value": "blue"}])
    device = created["VirtualMFADevice"]
    assert device["Tags"] == [{"Key": "team", "Value": "blue"}]
    serial = device["SerialNumber"]
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "Team", "Value": "red"}])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [
        {"Key": "Team", "Value": "red"}, {"Key": "env", "Value": "prod"}]
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["team"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "env", "Value": "prod"}]
    missing = f"arn:aws:iam::{ACCOUNT_ID}:mfa/{unique('none')}"
    with pytest.raises(ClientError) as excinfo:
        iam.list_mfa_device_tags(SerialNumber=missing)
    assert error_of(excinfo) == ("NoSuchEntity", f"MFA Device with serial number {missing} does not exist.", 404)


def test_aws_cli_writes_the_bootstrap_files(server, iam, unique, tmp_path):
    png_name, seed_name = unique("mfa"), unique("mfa")
    png_file, seed_file = tmp_path / "qr.png", tmp_path / "seed.txt"
    out = aws_json(server, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", png_name,
                   "--outfile", str(png_file), "--bootstrap-method", "QRCodePNG")
    assert out["VirtualMFADevice"]["SerialNumber"] == f"arn:aws:iam::{ACCOUNT_ID}:mfa/{png_name}"
    seed = seed_from_qr(png_file.read_bytes())
    out = aws_json(server, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", seed_name,
                   "--outfile", str(seed_file), "--bootstrap-method", "Base32StringSeed")
    assert len(seed_file.read_text().strip()) == 64
    user = unique("user")
    iam.create_user(UserName=user)
    code1, code2 = codes(seed)
    done = run_aws(server, "iam", "enable-mfa-device", "--user-name", user, "--serial-number",
                   f"arn:aws:iam::{ACCOUNT_ID}:mfa/{png_name}", "--authentication-code1", code1,
                   "--authentication-code2", code2)
    assert done.returncode == 0, done.stderr
    listed = aws_json(server, "iam", "list-virtual-mfa-devices", "--assignment-status", "Assigned")
    assert any(d["User"]["UserName"] == user for d in listed["VirtualMFADevices"])


def test_seed_is_sealed_at_rest(server, iam, unique):
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    url = server.database_url or f"sqlite:///{Path(server.data_dir) / 'iamd.db'}"
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            stored = conn.execute(sqlalchemy.text("SELECT seed FROM mfa_devices WHERE serial_number = :s"),
                                  {"s": device["SerialNumber"]}).scalar_one()
    finally:
        engine.dispose()
    stored = bytes(stored)
    assert seed not in stored and base64.b32decode(seed) not in stored and len(stored) > len(seed)


def test_session_token_with_mfa_once_per_code(server, iam, unique, device):
    user = unique("user")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    serial, seed = device()
    otp, step = pyotp.TOTP(seed), int(time.time() // 30)
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=otp.generate_otp(step - 2),
                          AuthenticationCode2=otp.generate_otp(step - 1))
    sts = client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    code = otp.generate_otp(int(time.time() // 30))
    assert sts.get_session_token(SerialNumber=serial, TokenCode=code)["Credentials"]["AccessKeyId"].startswith("ASIA")
    with pytest.raises(ClientError) as excinfo:
        sts.get_session_token(SerialNumber=serial, TokenCode=code)
    assert error_of(excinfo)[0] == "AccessDenied"
    other, other_seed = device()  # a device not enabled for this user
    with pytest.raises(ClientError) as excinfo:
        sts.get_session_token(SerialNumber=other, TokenCode=pyotp.TOTP(other_seed).now())
    assert error_of(excinfo)[0] == "AccessDenied"


def test_delete_user_conflicts_while_a_device_is_enabled(iam, unique, device):
    serial, seed = device()
    user = unique("user")
    iam.create_user(UserName=user)
    code1, code2 = codes(seed)
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=code1, AuthenticationCode2=code2)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_user(UserName=user)
    assert error_of(excinfo) == ("DeleteConflict", "Cannot delete entity, must delete MFA device first.", 409)
    iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
    iam.delete_user(UserName=user)
