"""Start-up, configuration and restarts: what `make run` promises."""

from __future__ import annotations

import base64
import os
import re
import stat

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import client
from tests.api.server import Server

pytestmark = pytest.mark.xdist_group("lifecycle")


def generated_root_key(output: str) -> tuple[str, str]:
    key_id = re.search(r"aws_access_key_id\s+= (\S+)", output).group(1)
    secret = re.search(r"aws_secret_access_key = (\S+)", output).group(1)
    return key_id, secret


def test_first_start_generates_and_prints_the_root_key_once_and_a_restart_keeps_everything(tmp_path, database_url):
    server = Server(tmp_path, database_url).start()
    try:
        first_output = server.log_text()
        key_id, secret = generated_root_key(first_output)
        assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key_id) and len(secret) == 40
        account = re.search(r"created account (\d{12})", first_output).group(1)
        iam = client(server, "iam", key_id, secret)
        iam.create_user(UserName="survivor", Path="/kept/")
        user_key = iam.create_access_key(UserName="survivor")["AccessKey"]
    finally:
        server.stop()
    master_key = tmp_path / "master.key"
    assert stat.S_IMODE(master_key.stat().st_mode) == 0o600

    restarted = Server(tmp_path, database_url, port=server.port).start()
    try:
        assert "aws_secret_access_key" not in restarted.log_text().replace(first_output, "")
        iam = client(restarted, "iam", key_id, secret)
        assert iam.get_user(UserName="survivor")["User"]["Path"] == "/kept/"
        identity = client(restarted, "sts", user_key["AccessKeyId"], user_key["SecretAccessKey"]).get_caller_identity()
        assert identity["Arn"] == f"arn:aws:iam::{account}:user/kept/survivor"
    finally:
        restarted.stop()


def test_configured_account_and_root_key(tmp_path, database_url):
    server = Server(tmp_path, database_url, env_extra={
        "IAMD_ACCOUNT_ID": "210987654321", "IAMD_ROOT_ACCESS_KEY_ID": "AKIACONFIGUREDKEY001",
        "IAMD_ROOT_SECRET_ACCESS_KEY": "s" * 40}).start()
    try:
        assert "aws_secret_access_key" not in server.log_text()
        identity = client(server, "sts", "AKIACONFIGUREDKEY001", "s" * 40).get_caller_identity()
        assert identity == {**identity, "Account": "210987654321", "Arn": "arn:aws:iam::210987654321:root"}
    finally:
        server.stop()


def test_master_key_from_the_environment(tmp_path):
    key = base64.b64encode(os.urandom(32)).decode()
    server = Server(tmp_path, env_extra={"IAMD_MASTER_KEY": key, "IAMD_ROOT_ACCESS_KEY_ID": "AKIAMASTERKEYTEST001",
                                          "IAMD_ROOT_SECRET_ACCESS_KEY": "m" * 40}).start()
    try:
        client(server, "iam", "AKIAMASTERKEYTEST001", "m" * 40).list_users()
    finally:
        server.stop()
    assert not (tmp_path / "master.key").exists()
    # With another master key the sealed secrets cannot be opened: the server refuses to start.
    wrong = Server(tmp_path, port=server.port, env_extra={"IAMD_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()})
    with pytest.raises(RuntimeError) as excinfo:
        wrong.start()
    assert "the master key does not open the stored secrets" in str(excinfo.value)


def test_flags_override_the_environment(tmp_path):
    done = Server(tmp_path).cli("serve", "--account-id", "12345")
    assert done.returncode != 0
    assert "IAMD_ACCOUNT_ID must be 12 digits" in done.stderr + done.stdout


def test_admin_commands_create_and_list_accounts(tmp_path):
    server = Server(tmp_path, env_extra={"IAMD_ACCOUNT_ID": "111122223333",
                                          "IAMD_ROOT_ACCESS_KEY_ID": "AKIAADMINTESTKEY0001",
                                          "IAMD_ROOT_SECRET_ACCESS_KEY": "a" * 40}).start()
    try:
        created = server.cli("account", "create", "--id", "444455556666")
        assert created.returncode == 0, created.stderr
        values = {name.strip(): value.strip() for name, value in
                  (line.split(" = ") for line in created.stdout.splitlines())}
        key_id, secret = values["aws_access_key_id"], values["aws_secret_access_key"]
        identity = client(server, "sts", key_id, secret).get_caller_identity()
        assert identity["Account"] == "444455556666"
        listing = server.cli("account", "list")
        assert "111122223333" in listing.stdout and "444455556666" in listing.stdout
        # Accounts are isolated: a user of one is invisible to the other.
        client(server, "iam", key_id, secret).create_user(UserName="only-in-b")
        with pytest.raises(ClientError):
            client(server, "iam", "AKIAADMINTESTKEY0001", "a" * 40).get_user(UserName="only-in-b")
    finally:
        server.stop()
