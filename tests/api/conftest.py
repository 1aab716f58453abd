"""Fixtures for the API tests: each runs against a real server on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import uuid

import boto3
import pytest
from botocore.config import Config

from tests.api.aws_cli import cli_environment, run_aws_process, run_cli
from tests.api.server import ACCOUNT_ID, ROOT_KEY_ID, ROOT_SECRET, PostgresDatabase, standard_server

PG_URL = os.environ.get("IAMD_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
# Retries off for real: botocore reads "max_attempts" as retries, so a slow first attempt was sent twice.
_CLIENT_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=120)
# A new boto3 Session loads botocore's data afresh (~0.18 s a client); one shared Session makes a client
# in ~0.01 s. Per thread, not per process: creating clients from one botocore Session is not thread-safe
# (the clients it made may be used from any thread). xdist's workers are processes, each with its own.
_SESSIONS = threading.local()


@pytest.fixture(scope="session", params=BACKENDS)
def server(request, tmp_path_factory):
    database = None
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("IAMD_TEST_DATABASE_URL is not set (.ci/run sets it): PostgreSQL tests skipped")
        database = PostgresDatabase(PG_URL)
    running = standard_server(tmp_path_factory.mktemp(f"iamd-{request.param}"),
                              database.url if database else "").start()
    running.backend = request.param
    yield running
    running.stop()
    if database:
        database.drop()


def boto_session() -> boto3.session.Session:
    """The shared boto3 Session of this thread: every test client is made from it."""
    session = getattr(_SESSIONS, "session", None)
    if session is None:
        session = _SESSIONS.session = boto3.session.Session()
    return session


def client(server, service: str, key_id: str = ROOT_KEY_ID, secret: str = ROOT_SECRET, token: str | None = None,
           region: str = "us-east-1"):
    return boto_session().client(
        service, endpoint_url=server.endpoint, region_name=region, aws_access_key_id=key_id,
        aws_secret_access_key=secret, aws_session_token=token, config=_CLIENT_CONFIG)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request):
    """A database for a test that starts servers of its own: "" (SQLite under the data directory), or
    a fresh PostgreSQL database, dropped afterwards."""
    if request.param == "sqlite":
        yield ""
        return
    if not PG_URL:
        pytest.skip("IAMD_TEST_DATABASE_URL is not set (.ci/run sets it): PostgreSQL tests skipped")
    database = PostgresDatabase(PG_URL)
    yield database.url
    database.drop()


@pytest.fixture
def iam(server):
    return client(server, "iam")


@pytest.fixture
def sts(server):
    return client(server, "sts")


@pytest.fixture
def unique():
    def make(prefix: str = "t") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"
    return make


@pytest.fixture
def new_user(iam, unique):
    """A user with an access key: (name, key_id, secret)."""
    def make(**create_args):
        name = unique("user")
        iam.create_user(UserName=name, **create_args)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return name, key["AccessKeyId"], key["SecretAccessKey"]
    return make


@pytest.fixture
def new_account(server):
    """A fresh account on the same server, as ``iamd account create`` makes one: its root credentials."""
    return server.new_account


def run_aws(server, *args: str, key_id: str = ROOT_KEY_ID, secret: str = ROOT_SECRET,
            process: bool = False) -> subprocess.CompletedProcess:
    """The real aws CLI (the awscli package), pointed at the server: run in this process (tests/api/aws_cli.py:
    the script's code, its own environment and output, over HTTP like the script), or with ``process=True``
    as the installed ``aws`` script in a process of its own."""
    run = run_aws_process if process else run_cli
    return run(["--endpoint-url", server.endpoint, "--output", "json", *args], cli_environment(key_id, secret))


def aws_json(server, *args: str, **kwargs) -> dict:
    done = run_aws(server, *args, **kwargs)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def error_of(excinfo) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a botocore ClientError."""
    response = excinfo.value.response
    return response["Error"]["Code"], response["Error"].get("Message"), response["ResponseMetadata"]["HTTPStatusCode"]


__all__ = ["ACCOUNT_ID", "boto_session", "client", "run_aws", "aws_json", "error_of"]
