"""Running iamd like a service: health, readiness and metrics, JSON log lines, HTTPS, several worker
processes, backups. Each starts its own server, on SQLite and on PostgreSQL where the database matters."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.api.conftest import PG_URL, boto_session, client
from tests.api.server import ROOT_KEY_ID, ROOT_SECRET, PostgresDatabase, Server, standard_server

pytestmark = pytest.mark.xdist_group("lifecycle")
NO_RETRIES = Config(retries={"total_max_attempts": 1})


def started(tmp_path, database_url="", **env) -> Server:
    server = standard_server(tmp_path, database_url)
    server.env_extra.update(env)
    return server.start()


def get(url: str, context=None) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10, context=context) as response:
            return response.status, response.headers.get("content-type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("content-type", ""), error.read().decode()


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample of the Prometheus text format."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        if head.split("{")[0] != name:
            continue
        found = dict(part.split("=", 1) for part in head[len(name) + 1:-1].split(",")) if "{" in head else {}
        if all(found.get(key) == f'"{value_}"' for key, value_ in labels.items()):
            return float(value)
    return 0.0


def test_health_and_readiness_answer_and_readiness_sees_the_database(tmp_path, database_url):
    server = started(tmp_path, database_url)
    try:
        assert get(server.endpoint + "/health")[0] == 200
        status, content_type, body = get(server.endpoint + "/ready")
        assert (status, json.loads(body)) == (200, {"status": "ready", "database": "ok"})
        assert content_type.startswith("application/json")
    finally:
        server.stop()


def test_readiness_fails_while_the_database_is_gone_and_liveness_still_answers(tmp_path):
    if not PG_URL:
        pytest.skip("IAMD_TEST_DATABASE_URL is not set (.ci/run sets it): PostgreSQL tests skipped")
    database = PostgresDatabase(PG_URL)
    server = started(tmp_path, database.url)
    try:
        database.drop()  # WITH (FORCE): the server's connections are cut
        status, _, body = get(server.endpoint + "/ready")
        assert (status, json.loads(body)["status"]) == (503, "unavailable")
        assert get(server.endpoint + "/health")[0] == 200
        assert "readiness: the database does not answer" in server.log_text()
        assert "postgresql://" not in server.log_text().split("iamd: serving", 1)[1].split("\n", 1)[1]
    finally:
        server.stop()
        database.drop()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_metrics_count_requests_decisions_and_latency(tmp_path, database_url, workers):
    """One process counts in plain values (telemetry.py, plain_metrics.py), several in the client library's
    multi-process files: the same samples either way, summed over the workers."""
    server = started(tmp_path, database_url, IAMD_WORKERS=workers)
    try:
        iam = client(server, "iam")
        iam.create_user(UserName="metrics-user")
        key = iam.create_access_key(UserName="metrics-user")["AccessKey"]
        for _ in range(3):
            iam.get_user(UserName="metrics-user")
        with pytest.raises(ClientError):
            client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"]).list_users()
        status, content_type, text = get(server.endpoint + "/metrics")
        assert status == 200 and content_type.startswith("text/plain")
        assert metric(text, "iamd_requests_total", service="iam", operation="GetUser", status="200") == 3
        assert metric(text, "iamd_requests_total", service="iam", operation="ListUsers", status="403") == 1
        assert metric(text, "iamd_request_seconds_count", service="iam") >= 6
        assert metric(text, "iamd_database_seconds_count") >= 6
        assert metric(text, "iamd_authorization_decisions_total", outcome="denied") >= 1
        assert sum(metric(text, "iamd_cache_lookups_total", cache="principal_policies", result=result)
                   for result in ("hit", "miss")) >= 1
        assert key["SecretAccessKey"] not in text and key["AccessKeyId"] not in text
    finally:
        server.stop()


def test_json_log_lines_carry_the_request_id_and_no_secret(tmp_path):
    server = started(tmp_path, IAMD_LOG_FORMAT="json", IAMD_ACCESS_LOG="1")
    try:
        iam = client(server, "iam")
        user = iam.create_user(UserName="logged")
        key = iam.create_access_key(UserName="logged")["AccessKey"]
        request_id = user["ResponseMetadata"]["RequestId"]
        deadline = time.monotonic() + 5
        while request_id not in server.log_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        lines = [json.loads(line) for line in server.log_text().splitlines() if line.startswith("{")]
        ours = [line for line in lines if line.get("request_id") == request_id]
        assert ours and ours[0]["level"] == "INFO" and "CreateUser" in ours[0]["message"]
        assert key["SecretAccessKey"] not in server.log_text()
    finally:
        server.stop()


def test_https_with_a_self_signed_certificate_and_secure_transport(tmp_path):
    """aws:SecureTransport is true over HTTPS ("AWS global condition context keys": aws:SecureTransport)."""
    server = started(tmp_path, IAMD_SELF_SIGNED="1")
    ca = tmp_path / "tls" / "self-signed.crt"
    endpoint = server.endpoint.replace("http://", "https://")
    try:
        root = boto_session().client("iam", endpoint_url=endpoint, region_name="us-east-1",
                                              aws_access_key_id=ROOT_KEY_ID, aws_secret_access_key=ROOT_SECRET,
                                              verify=str(ca), config=NO_RETRIES)
        root.create_user(UserName="tls")
        key = root.create_access_key(UserName="tls")["AccessKey"]
        root.put_user_policy(UserName="tls", PolicyName="https-only", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
                                                   "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}))
        user = boto_session().client("iam", endpoint_url=endpoint, region_name="us-east-1",
                                              aws_access_key_id=key["AccessKeyId"],
                                              aws_secret_access_key=key["SecretAccessKey"], verify=str(ca),
                                              config=NO_RETRIES)
        assert user.get_user(UserName="tls")["User"]["UserName"] == "tls"
        cli = subprocess.run([sys.executable, "-m", "awscli", "iam", "get-user", "--user-name", "tls",
                              "--endpoint-url", endpoint, "--ca-bundle", str(ca), "--region", "us-east-1"],
                             env={"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "PATH": "/usr/bin:/bin",
                                  "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]},
                             capture_output=True, text=True, timeout=60)
        assert cli.returncode == 0, cli.stderr
        assert json.loads(cli.stdout)["User"]["UserName"] == "tls"
        with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            get(endpoint + "/health", context=ssl.create_default_context())
        assert get(endpoint + "/health", context=ssl.create_default_context(cafile=str(ca)))[0] == 200
    finally:
        server.stop()
    # The same condition over plain HTTP does not hold.
    plain = started(tmp_path / "plain")
    try:
        iam = client(plain, "iam")
        iam.create_user(UserName="tls")
        key = iam.create_access_key(UserName="tls")["AccessKey"]
        iam.put_user_policy(UserName="tls", PolicyName="https-only", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
                                                   "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}))
        with pytest.raises(ClientError) as refused:
            client(plain, "iam", key["AccessKeyId"], key["SecretAccessKey"]).get_user(UserName="tls")
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
    finally:
        plain.stop()


def test_several_workers_share_the_state_and_every_change_holds_on_the_next_request(tmp_path, database_url):
    server = started(tmp_path, database_url, IAMD_WORKERS="2")
    try:
        assert "2 worker processes" in server.log_text()
        iam = client(server, "iam")
        iam.create_user(UserName="w")
        key = iam.create_access_key(UserName="w")["AccessKey"]
        allow = json.dumps({"Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]})
        for round_ in range(6):
            iam.put_user_policy(UserName="w", PolicyName="p", PolicyDocument=allow)
            # New connections each time, so requests land on either worker.
            for _ in range(3):
                client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"]).list_users()
            iam.delete_user_policy(UserName="w", PolicyName="p")
            for _ in range(3):
                with pytest.raises(ClientError) as refused:
                    client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"]).list_users()
                assert refused.value.response["Error"]["Code"] == "AccessDenied", round_
        # The first-start work ran once: one account, one root key printout.
        assert server.log_text().count("created account") == 1
        assert len(iam.list_users()["Users"]) == 1
    finally:
        server.stop()


def test_backup_and_restore_into_a_new_data_directory_keeps_every_key(tmp_path):
    first = started(tmp_path / "first")
    try:
        iam = client(first, "iam")
        iam.create_user(UserName="kept")
        key = iam.create_access_key(UserName="kept")["AccessKey"]
        iam.put_user_policy(UserName="kept", PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
        backup_file = tmp_path / f"backup-{uuid.uuid4().hex[:6]}.db"
        taken = first.cli("backup", str(backup_file))  # while the server serves
        assert taken.returncode == 0, taken.stderr
        assert "master key is not in the backup" in taken.stderr
        iam.create_user(UserName="after-the-backup")
    finally:
        first.stop()
    second = Server(tmp_path / "second", env_extra={"IAMD_MASTER_KEY": (tmp_path / "first" / "master.key")
                                                    .read_text().strip()})
    restored = second.cli("restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    again = second.cli("restore", str(backup_file))
    assert again.returncode == 1 and "--replace" in again.stderr
    second.start()
    try:
        user = client(second, "iam", key["AccessKeyId"], key["SecretAccessKey"]).get_user(UserName="kept")
        assert user["User"]["UserName"] == "kept"
        names = {u["UserName"] for u in client(second, "iam").list_users()["Users"]}
        assert names == {"kept"}
    finally:
        second.stop()


def test_backup_of_a_postgresql_store_points_at_pg_dump(tmp_path):
    server = Server(tmp_path, "postgresql://nobody@127.0.0.1:1/none")
    done = server.cli("backup", str(tmp_path / "x.db"))
    assert done.returncode == 1 and "pg_dump" in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_restore_refuses_a_file_that_is_not_an_iamd_backup(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database")
    done = Server(tmp_path / "data").cli("restore", str(junk))
    assert done.returncode == 1 and "not an iamd backup" in done.stderr
