"""Access keys: AWS's formats and quota, inactive keys refused, last use recorded, secrets sealed."""

import json
import re
import time
from pathlib import Path

import pytest
import sqlalchemy
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, client, error_of


def test_create_list_and_quota(iam, unique):
    name = unique()
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key["AccessKeyId"])
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", key["SecretAccessKey"])
    assert key["Status"] == "Active" and key["UserName"] == name
    second = iam.create_access_key(UserName=name)["AccessKey"]
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([key["AccessKeyId"], second["AccessKeyId"]])
    assert all("SecretAccessKey" not in k for k in listed)
    with pytest.raises(ClientError) as excinfo:
        iam.create_access_key(UserName=name)
    assert error_of(excinfo) == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)


def test_create_key_for_missing_user(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.create_access_key(UserName="missing-person")
    assert error_of(excinfo) == ("NoSuchEntity", "The user with name missing-person cannot be found.", 404)


def test_a_users_key_authenticates_as_that_user(server, new_user):
    name, key_id, secret = new_user()
    identity = client(server, "sts", key_id, secret).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    assert identity["Account"] == ACCOUNT_ID
    assert identity["UserId"].startswith("AIDA")


def test_other_principals_are_denied_iam_until_policies_exist(server, new_user):
    name, key_id, secret = new_user()
    with pytest.raises(ClientError) as excinfo:
        client(server, "iam", key_id, secret).create_user(UserName="someone-else")
    assert error_of(excinfo) == (
        "AccessDenied",
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{ACCOUNT_ID}:user/someone-else "
        "because no identity-based policy allows the iam:CreateUser action",
        403)


def test_inactive_key_is_refused_and_reactivated(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    with pytest.raises(ClientError) as excinfo:
        client(server, "sts", key_id, secret).get_caller_identity()
    assert error_of(excinfo) == ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
    iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Active")
    assert client(server, "sts", key_id, secret).get_caller_identity()["Arn"].endswith(name)


def test_deleted_key_is_refused(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.delete_access_key(UserName=name, AccessKeyId=key_id)
    with pytest.raises(ClientError) as excinfo:
        client(server, "sts", key_id, secret).get_caller_identity()
    assert error_of(excinfo)[0] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as excinfo:
        iam.delete_access_key(UserName=name, AccessKeyId=key_id)
    assert error_of(excinfo) == ("NoSuchEntity", f"The Access Key with id {key_id} cannot be found.", 404)


def test_update_key_bad_status(iam, new_user):
    name, key_id, _ = new_user()
    with pytest.raises(ClientError) as excinfo:
        iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Sleeping")
    assert error_of(excinfo) == ("ValidationError", "1 validation error detected: Value at 'status' failed to "
                                 "satisfy constraint: Member must satisfy enum value set", 400)


def test_last_used_is_recorded(server, iam, new_user):
    name, key_id, secret = new_user()
    never = iam.get_access_key_last_used(AccessKeyId=key_id)
    assert never["UserName"] == name
    assert never["AccessKeyLastUsed"] == {"Region": "N/A", "ServiceName": "N/A"}
    client(server, "sts", key_id, secret, region="eu-west-3").get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
    assert used["ServiceName"] == "sts" and used["Region"] == "eu-west-3"
    assert abs(used["LastUsedDate"].timestamp() - time.time()) < 120


def test_last_used_shows_only_the_latest_service(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    client(server, "sts", key_id, secret, region="eu-west-3").get_caller_identity()
    client(server, "iam", key_id, secret, region="us-west-2").get_user()
    used = iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
    assert used["ServiceName"] == "iam" and used["Region"] == "us-west-2"
    # Temporary credentials obtained with the key are no use of the key.
    token = client(server, "sts", key_id, secret, region="eu-west-1").get_session_token()["Credentials"]
    client(server, "sts", token["AccessKeyId"], token["SecretAccessKey"], token["SessionToken"],
           region="ap-east-1").get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
    assert used["ServiceName"] == "sts" and used["Region"] == "eu-west-1"


def test_last_used_of_unknown_key_is_access_denied(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.get_access_key_last_used(AccessKeyId="AKIAEXAMPLEUNKNOWN12")
    assert error_of(excinfo) == (
        "AccessDenied", f"User: arn:aws:iam::{ACCOUNT_ID}:root is not authorized to perform "
        "iam:GetAccessKeyLastUsed on resource: access key AKIAEXAMPLEUNKNOWN12", 403)


def test_root_can_manage_its_own_keys(server, iam):
    created = iam.create_access_key()["AccessKey"]
    try:
        assert created["AccessKeyId"] in [k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]]
        identity = client(server, "sts", created["AccessKeyId"], created["SecretAccessKey"]).get_caller_identity()
        assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    finally:
        iam.delete_access_key(AccessKeyId=created["AccessKeyId"])


def test_secret_is_encrypted_at_rest(server, new_user):
    _, key_id, secret = new_user()
    url = server.database_url or f"sqlite:///{Path(server.data_dir) / 'iamd.db'}"
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        stored = conn.execute(sqlalchemy.text("SELECT secret FROM access_keys WHERE id = :id"), {"id": key_id}).scalar()
    engine.dispose()
    assert secret.encode() not in bytes(stored)
    assert len(bytes(stored)) >= 40 + 16  # nonce, ciphertext and tag
    if not server.database_url:
        raw = b"".join(p.read_bytes() for p in Path(server.data_dir).glob("iamd.db*"))
        assert secret.encode() not in raw
    assert secret not in server.log_text()


def test_get_access_key_info_reads_the_account_from_the_key(sts, new_user):
    _, key_id, _ = new_user()
    assert sts.get_access_key_info(AccessKeyId=key_id)["Account"] == ACCOUNT_ID
