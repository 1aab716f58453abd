"""Server certificates: upload with key and chain checked, paths, renames, tags, quota, errors."""

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

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
EXPIRES = NOW + datetime.timedelta(days=90)


def _pem_key(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@functools.cache
def material(index: int = 0) -> tuple[str, str, str]:
    """(certificate, its private key, a chain of its issuing CA), PEM; small EC keys keep it fast."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"ca-{index}.example")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(NOW).not_valid_after(EXPIRES)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"www-{index}.example")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW).not_valid_after(EXPIRES).sign(ca_key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM).decode(), _pem_key(key),
            ca.public_bytes(serialization.Encoding.PEM).decode())


def not_found(name: str) -> tuple:
    return ("NoSuchEntity", f"The Server Certificate with name {name} cannot be found.", 404)


def upload(iam, name: str, index: int = 0, **extra) -> dict:
    body, key, _ = material(index)
    return iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=key, **extra)


def test_upload_get_list_update_delete(iam, unique):
    name = unique("www")
    body, key, chain = material(0)
    uploaded = iam.upload_server_certificate(ServerCertificateName=name, Path="/cloudfront/", CertificateBody=body,
                                             PrivateKey=key, CertificateChain=chain)
    meta = uploaded["ServerCertificateMetadata"]
    assert re.fullmatch(r"ASCA[A-Z2-7]{17}", meta["ServerCertificateId"])
    assert meta["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/cloudfront/{name}"
    assert meta["Path"] == "/cloudfront/" and meta["ServerCertificateName"] == name
    assert meta["Expiration"] == EXPIRES
    assert "Tags" not in uploaded

    fetched = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
    assert fetched["ServerCertificateMetadata"] == meta
    assert fetched["CertificateBody"] == body and fetched["CertificateChain"] == chain
    assert fetched["Tags"] == []
    assert "PrivateKey" not in str(fetched) and key not in str(fetched)

    listed = iam.list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]
    assert meta in listed
    assert meta not in iam.list_server_certificates(PathPrefix="/elb/")["ServerCertificateMetadataList"]

    renamed = name + "-2"
    iam.update_server_certificate(ServerCertificateName=name, NewServerCertificateName=renamed, NewPath="/elb/")
    with pytest.raises(ClientError) as excinfo:
        iam.get_server_certificate(ServerCertificateName=name)
    assert error_of(excinfo) == not_found(name)
    moved = iam.get_server_certificate(ServerCertificateName=renamed)["ServerCertificate"]["ServerCertificateMetadata"]
    assert moved["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/elb/{renamed}"
    assert moved["ServerCertificateId"] == meta["ServerCertificateId"]

    iam.delete_server_certificate(ServerCertificateName=renamed)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_server_certificate(ServerCertificateName=renamed)
    assert error_of(excinfo) == not_found(renamed)


def test_name_taken(iam, unique):
    name, other = unique("www"), unique("www")
    upload(iam, name, 1)
    with pytest.raises(ClientError) as excinfo:
        upload(iam, name.upper(), 2)
    assert error_of(excinfo) == (
        "EntityAlreadyExists", f"The Server Certificate with name {name.upper()} already exists.", 409)
    upload(iam, other, 2)
    with pytest.raises(ClientError) as excinfo:
        iam.update_server_certificate(ServerCertificateName=other, NewServerCertificateName=name)
    assert error_of(excinfo) == ("EntityAlreadyExists", f"The Server Certificate with name {name} already exists.", 409)


def test_malformed_material_and_mismatched_key(iam, unique):
    body, key, chain = material(3)
    _, other_key, _ = material(4)
    cases = [
        (dict(CertificateBody="not a certificate", PrivateKey=key),
         ("MalformedCertificate", "Unable to parse certificate. Please ensure the certificate is in PEM format.", 400)),
        (dict(CertificateBody=body, PrivateKey="not a key"),
         ("MalformedCertificate", "Unable to parse private key. Please ensure the private key is in PEM format.", 400)),
        (dict(CertificateBody=body, PrivateKey=key, CertificateChain="not a chain"),
         ("MalformedCertificate",
          "Unable to parse certificate chain. Please ensure the certificate chain is in PEM format.", 400)),
        (dict(CertificateBody=body, PrivateKey=other_key),
         ("KeyPairMismatch", "The private key did not match the public key provided.", 400)),
    ]
    for arguments, expected in cases:
        name = unique("bad")
        with pytest.raises(ClientError) as excinfo:
            iam.upload_server_certificate(ServerCertificateName=name, **arguments)
        assert error_of(excinfo) == expected
        with pytest.raises(ClientError) as excinfo:
            iam.get_server_certificate(ServerCertificateName=name)
        assert error_of(excinfo) == not_found(name)


def test_tags(iam, unique):
    name = unique("www")
    uploaded = upload(iam, name, 5, Tags=[{"Key": "env", "Value": "prod"}])
    assert uploaded["Tags"] == [{"Key": "env", "Value": "prod"}]
    iam.tag_server_certificate(ServerCertificateName=name, Tags=[{"Key": "team", "Value": "web"}])
    assert iam.list_server_certificate_tags(ServerCertificateName=name)["Tags"] == [
        {"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "web"}]
    iam.untag_server_certificate(ServerCertificateName=name, TagKeys=["env"])
    assert iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]["Tags"] == [
        {"Key": "team", "Value": "web"}]
    ghost = unique("ghost")
    for call in (lambda: iam.tag_server_certificate(ServerCertificateName=ghost, Tags=[{"Key": "a", "Value": "b"}]),
                 lambda: iam.untag_server_certificate(ServerCertificateName=ghost, TagKeys=["a"]),
                 lambda: iam.list_server_certificate_tags(ServerCertificateName=ghost),
                 lambda: iam.update_server_certificate(ServerCertificateName=ghost, NewPath="/x/")):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == not_found(ghost)


def test_quota_of_twenty_per_account(server, new_account):
    account = new_account()
    iam = client(server, "iam", account["aws_access_key_id"], account["aws_secret_access_key"])
    for index in range(20):
        upload(iam, f"cert-{index:02d}", 6)
    with pytest.raises(ClientError) as excinfo:
        upload(iam, "one-too-many", 6)
    assert error_of(excinfo) == ("LimitExceeded", "Cannot exceed quota for ServerCertificatesPerAccount: 20", 409)
    first = iam.list_server_certificates(MaxItems=15)
    assert first["IsTruncated"] is True and len(first["ServerCertificateMetadataList"]) == 15
    rest = iam.list_server_certificates(Marker=first["Marker"])
    assert rest["IsTruncated"] is False and len(rest["ServerCertificateMetadataList"]) == 5


def test_authorization_uses_the_certificate_arn(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    cert = unique("www")
    upload(iam, cert, 7, Path="/team/")
    iam.put_user_policy(UserName=name, PolicyName="certs", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetServerCertificate",'
        f'"Resource":"arn:aws:iam::{ACCOUNT_ID}:server-certificate/team/*"}}]}}'))
    own = client(server, "iam", key_id, secret)
    assert own.get_server_certificate(ServerCertificateName=cert)["ServerCertificate"]["CertificateBody"]
    with pytest.raises(ClientError) as excinfo:
        own.delete_server_certificate(ServerCertificateName=cert)
    assert error_of(excinfo)[0] == "AccessDenied"
    assert f"server-certificate/team/{cert}" in error_of(excinfo)[1]


def test_through_the_aws_cli(server, unique):
    name = unique("cli")
    body, key, chain = material(8)
    uploaded = aws_json(server, "iam", "upload-server-certificate", "--server-certificate-name", name,
                        "--certificate-body", body, "--private-key", key, "--certificate-chain", chain)
    assert uploaded["ServerCertificateMetadata"]["ServerCertificateName"] == name
    fetched = aws_json(server, "iam", "get-server-certificate", "--server-certificate-name", name)
    assert fetched["ServerCertificate"]["Tags"] == []
    aws_json(server, "iam", "delete-server-certificate", "--server-certificate-name", name)
