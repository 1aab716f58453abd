"""SSH public keys: ssh-rsa and PEM bodies, AWS's MD5 fingerprint, the quota of five, errors."""

import base64
import functools
import hashlib
import re

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tests.api.conftest import aws_json, client, error_of

INVALID = ("InvalidPublicKey",
           "The request was rejected because the public key is malformed or otherwise invalid.", 400)
UNRECOGNIZED = ("UnrecognizedPublicKeyEncoding",
                "The request was rejected because the public key encoding format is unsupported or unrecognized.", 400)


@functools.cache
def rsa_key(index: int = 0, bits: int = 2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()


def ssh_body(key, comment: str = "") -> str:
    text = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{text} {comment}" if comment else text


def pem_body(key) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def md5_fingerprint(key) -> str:
    digest = hashlib.md5(base64.b64decode(ssh_body(key).split()[1])).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


@pytest.fixture
def user(iam, unique):
    name = unique("ssh")
    iam.create_user(UserName=name)
    return name


def test_upload_get_list_update_delete(iam, user):
    key = rsa_key(0)
    body = ssh_body(key, "alice@example")
    uploaded = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=body)["SSHPublicKey"]
    key_id = uploaded["SSHPublicKeyId"]
    assert re.fullmatch(r"APKA[A-Z2-7]{16}", key_id)
    assert uploaded["UserName"] == user and uploaded["Status"] == "Active"
    assert uploaded["SSHPublicKeyBody"] == body
    assert uploaded["Fingerprint"] == md5_fingerprint(key)

    as_ssh = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Encoding="SSH")["SSHPublicKey"]
    assert as_ssh["SSHPublicKeyBody"].split()[:2] == body.split()[:2]
    assert as_ssh["Fingerprint"] == uploaded["Fingerprint"]
    as_pem = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Encoding="PEM")["SSHPublicKey"]
    assert as_pem["SSHPublicKeyBody"].strip() == pem_body(key).strip()

    listed = iam.list_ssh_public_keys(UserName=user)
    assert listed["IsTruncated"] is False
    assert listed["SSHPublicKeys"] == [{"UserName": user, "SSHPublicKeyId": key_id, "Status": "Active",
                                        "UploadDate": uploaded["UploadDate"]}]

    iam.update_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Status="Inactive")
    assert iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"][0]["Status"] == "Inactive"
    iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=key_id)
    assert iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"] == []


def test_pem_body_is_accepted(iam, user):
    key = rsa_key(1)
    uploaded = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=pem_body(key))["SSHPublicKey"]
    assert uploaded["Fingerprint"] == md5_fingerprint(key)
    fetched = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=uploaded["SSHPublicKeyId"], Encoding="SSH")
    assert fetched["SSHPublicKey"]["SSHPublicKeyBody"] == ssh_body(key)


@pytest.mark.parametrize("body, expected", [
    ("ssh-rsa AAAAnot-base64!!", INVALID),
    ("-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n", INVALID),
    ("just some text", UNRECOGNIZED),
    ("ed25519", UNRECOGNIZED),
    ("ecdsa", UNRECOGNIZED),
    ("small-rsa", INVALID),
])
def test_bad_keys(iam, user, body, expected):
    if body == "ed25519":
        body = ssh_body(ed25519.Ed25519PrivateKey.generate().public_key())
    elif body == "ecdsa":
        body = pem_body(ec.generate_private_key(ec.SECP256R1()).public_key())
    elif body == "small-rsa":
        body = ssh_body(rsa_key(0, 1024))
    with pytest.raises(ClientError) as excinfo:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=body)
    assert error_of(excinfo) == expected


def test_duplicate_and_quota(iam, user, unique):
    iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh_body(rsa_key(0)))
    with pytest.raises(ClientError) as excinfo:  # the same key, even in another encoding
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=pem_body(rsa_key(0)))
    assert error_of(excinfo) == (
        "DuplicateSSHPublicKey",
        "The request was rejected because the SSH public key is already associated with the specified IAM user.", 400)
    other = unique("ssh")
    iam.create_user(UserName=other)
    iam.upload_ssh_public_key(UserName=other, SSHPublicKeyBody=ssh_body(rsa_key(0)))  # another user may have it
    for index in range(1, 5):
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh_body(rsa_key(index)))
    with pytest.raises(ClientError) as excinfo:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh_body(rsa_key(5)))
    assert error_of(excinfo) == ("LimitExceeded", "Cannot exceed quota for PublicKeysPerUser: 5", 409)


def test_not_found_errors(iam, user, unique):
    missing = "APKA" + "A" * 16
    message = f"The Public Key with id {missing} cannot be found."
    with pytest.raises(ClientError) as excinfo:
        iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=missing, Encoding="SSH")
    assert error_of(excinfo) == ("NoSuchEntity", message, 404)
    with pytest.raises(ClientError) as excinfo:
        iam.update_ssh_public_key(UserName=user, SSHPublicKeyId=missing, Status="Active")
    assert error_of(excinfo) == ("NoSuchEntity", message, 404)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=missing)
    assert error_of(excinfo) == ("NoSuchEntity", message, 404)
    ghost = unique("ghost")
    for call in (lambda: iam.upload_ssh_public_key(UserName=ghost, SSHPublicKeyBody=ssh_body(rsa_key(0))),
                 lambda: iam.list_ssh_public_keys(UserName=ghost)):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404)


def test_a_key_of_another_user_is_not_found(iam, user, unique):
    key_id = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh_body(rsa_key(2)))["SSHPublicKey"][
        "SSHPublicKeyId"]
    other = unique("ssh")
    iam.create_user(UserName=other)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_ssh_public_key(UserName=other, SSHPublicKeyId=key_id)
    assert error_of(excinfo) == ("NoSuchEntity", f"The Public Key with id {key_id} cannot be found.", 404)


def test_keys_follow_a_renamed_user_and_block_its_deletion(iam, user):
    key_id = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh_body(rsa_key(3)))["SSHPublicKey"][
        "SSHPublicKeyId"]
    renamed = user + "-r"
    iam.update_user(UserName=user, NewUserName=renamed)
    assert iam.list_ssh_public_keys(UserName=renamed)["SSHPublicKeys"][0]["UserName"] == renamed
    with pytest.raises(ClientError) as excinfo:
        iam.delete_user(UserName=renamed)
    assert error_of(excinfo) == ("DeleteConflict", "Cannot delete entity, must remove referenced objects first.", 409)
    iam.delete_ssh_public_key(UserName=renamed, SSHPublicKeyId=key_id)
    iam.delete_user(UserName=renamed)


def test_list_without_user_name_is_the_callers(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=ssh_body(rsa_key(4)))
    iam.put_user_policy(UserName=name, PolicyName="ssh", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListSSHPublicKeys",'
        '"Resource":"*"}]}'))
    listed = client(server, "iam", key_id, secret).list_ssh_public_keys()["SSHPublicKeys"]
    assert [entry["UserName"] for entry in listed] == [name]
    assert iam.list_ssh_public_keys()["SSHPublicKeys"] == []  # the root user has none


def test_paging(iam, user):
    for index in range(3):
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh_body(rsa_key(index)))
    first = iam.list_ssh_public_keys(UserName=user, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["SSHPublicKeys"]) == 2
    rest = iam.list_ssh_public_keys(UserName=user, Marker=first["Marker"])
    assert rest["IsTruncated"] is False and len(rest["SSHPublicKeys"]) == 1


def test_through_the_aws_cli(server, iam, user):
    body = ssh_body(rsa_key(1))
    uploaded = aws_json(server, "iam", "upload-ssh-public-key", "--user-name", user, "--ssh-public-key-body", body)
    key_id = uploaded["SSHPublicKey"]["SSHPublicKeyId"]
    fetched = aws_json(server, "iam", "get-ssh-public-key", "--user-name", user, "--ssh-public-key-id", key_id,
                       "--encoding", "PEM")
    assert fetched["SSHPublicKey"]["SSHPublicKeyBody"].startswith("-----BEGIN PUBLIC KEY-----")
    listed = aws_json(server, "iam", "list-ssh-public-keys", "--user-name", user)
    assert [entry["SSHPublicKeyId"] for entry in listed["SSHPublicKeys"]] == [key_id]
