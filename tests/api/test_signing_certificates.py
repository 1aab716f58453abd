"""Signing certificates: X.509 PEM bodies, two per user, the caller's own without UserName, errors."""

import datetime
import functools
import re

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.api.conftest import ACCOUNT_ID, aws_json, client, error_of


def new_certificate(index: int = 0) -> str:
    """A self-signed PEM certificate, never seen before; a small EC key keeps it fast."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"signer-{index}.example")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# The same certificate for the same index, across the test files that share a server and account.
certificate = functools.cache(new_certificate)


@pytest.fixture
def user(iam, unique):
    name = unique("signer")
    iam.create_user(UserName=name)
    return name


def test_upload_list_update_delete(iam, user):
    body = certificate(0)
    uploaded = iam.upload_signing_certificate(UserName=user, CertificateBody=body)["Certificate"]
    cert_id = uploaded["CertificateId"]
    assert re.fullmatch(r"[A-Z2-7]{32}", cert_id)
    assert uploaded["UserName"] == user and uploaded["Status"] == "Active"
    assert uploaded["CertificateBody"] == body
    listed = iam.list_signing_certificates(UserName=user)
    assert listed["IsTruncated"] is False
    assert listed["Certificates"] == [uploaded]  # the full body, as AWS lists it
    iam.update_signing_certificate(UserName=user, CertificateId=cert_id, Status="Inactive")
    assert iam.list_signing_certificates(UserName=user)["Certificates"][0]["Status"] == "Inactive"
    iam.delete_signing_certificate(UserName=user, CertificateId=cert_id)
    assert iam.list_signing_certificates(UserName=user)["Certificates"] == []


def test_malformed_certificate_echoes_the_body(iam, user):
    body = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----"
    with pytest.raises(ClientError) as excinfo:
        iam.upload_signing_certificate(UserName=user, CertificateBody=body)
    assert error_of(excinfo) == ("MalformedCertificate", f"Certificate {body} is malformed.", 400)
    with pytest.raises(ClientError) as excinfo:
        iam.upload_signing_certificate(UserName=user, CertificateBody="hello")
    assert error_of(excinfo) == ("MalformedCertificate", "Certificate hello is malformed.", 400)


def test_quota_and_duplicates(iam, user, unique):
    # Certificates of its own: a cached one may already be in the account (duplicates are refused account-wide).
    first, second, third = new_certificate(1), new_certificate(2), new_certificate(3)
    iam.upload_signing_certificate(UserName=user, CertificateBody=first)
    with pytest.raises(ClientError) as excinfo:
        iam.upload_signing_certificate(UserName=user, CertificateBody=first)
    assert error_of(excinfo) == (
        "DuplicateCertificate",
        "The request was rejected because the same certificate is associated with an IAM user in the account.", 409)
    iam.upload_signing_certificate(UserName=user, CertificateBody=second)
    with pytest.raises(ClientError) as excinfo:
        iam.upload_signing_certificate(UserName=user, CertificateBody=third)
    assert error_of(excinfo) == ("LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2", 409)


def test_not_found_errors(iam, user, unique):
    ghost = unique("ghost")
    user_missing = ("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404)
    cert_id = "A" * 32
    for call in (lambda: iam.upload_signing_certificate(UserName=ghost, CertificateBody=certificate(0)),
                 lambda: iam.list_signing_certificates(UserName=ghost),
                 lambda: iam.update_signing_certificate(UserName=ghost, CertificateId=cert_id, Status="Active"),
                 lambda: iam.delete_signing_certificate(UserName=ghost, CertificateId=cert_id)):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == user_missing
    message = ("NoSuchEntity", f"The Certificate with id {cert_id} cannot be found.", 404)
    with pytest.raises(ClientError) as excinfo:
        iam.update_signing_certificate(UserName=user, CertificateId=cert_id, Status="Active")
    assert error_of(excinfo) == message
    with pytest.raises(ClientError) as excinfo:
        iam.delete_signing_certificate(UserName=user, CertificateId=cert_id)
    assert error_of(excinfo) == message


def test_certificates_block_deleting_the_user(iam, user):
    cert_id = iam.upload_signing_certificate(UserName=user, CertificateBody=certificate(4))["Certificate"][
        "CertificateId"]
    with pytest.raises(ClientError) as excinfo:
        iam.delete_user(UserName=user)
    assert error_of(excinfo) == ("DeleteConflict", "Cannot delete entity, must delete signing certificates first.", 409)
    iam.delete_signing_certificate(UserName=user, CertificateId=cert_id)
    iam.delete_user(UserName=user)


def test_root_and_users_act_on_their_own(server, iam, new_user, new_account):
    account = new_account()
    root = client(server, "iam", account["aws_access_key_id"], account["aws_secret_access_key"])
    uploaded = root.upload_signing_certificate(CertificateBody=certificate(5))["Certificate"]
    assert [c["CertificateId"] for c in root.list_signing_certificates()["Certificates"]] == [uploaded["CertificateId"]]
    root.delete_signing_certificate(CertificateId=uploaded["CertificateId"])
    assert root.list_signing_certificates()["Certificates"] == []

    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="certs", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*SigningCertificate*",'
        f'"Resource":"arn:aws:iam::{ACCOUNT_ID}:user/{name}"}}]}}'))
    own = client(server, "iam", key_id, secret)
    mine = own.upload_signing_certificate(CertificateBody=certificate(6))["Certificate"]
    assert mine["UserName"] == name
    assert [c["CertificateId"] for c in iam.list_signing_certificates(UserName=name)["Certificates"]] == [
        mine["CertificateId"]]
    own.update_signing_certificate(CertificateId=mine["CertificateId"], Status="Inactive")
    own.delete_signing_certificate(CertificateId=mine["CertificateId"])


def test_through_the_aws_cli(server, user):
    uploaded = aws_json(server, "iam", "upload-signing-certificate", "--user-name", user,
                        "--certificate-body", certificate(7))
    listed = aws_json(server, "iam", "list-signing-certificates", "--user-name", user)
    assert [c["CertificateId"] for c in listed["Certificates"]] == [uploaded["Certificate"]["CertificateId"]]
