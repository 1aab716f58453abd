"""Fixtures for the gateway's tests: moto's server as a real upstream (a process of its own on a free
port), and iamd in front of it (IAMD_UPSTREAM_URL), on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from botocore.config import Config

from tests.api.conftest import BACKENDS, PG_URL, boto_session, client
from tests.api.server import ACCOUNT_ID, ROOT_KEY_ID, ROOT_SECRET, PostgresDatabase, free_port, standard_server

_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=120,
                 s3={"addressing_style": "path"})


class Moto:
    """moto's server, started as `moto_server -p PORT`; ``client(service, account)`` talks to it directly,
    in one account (moto tells accounts apart by the x-moto-account-id header)."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.log = open(directory / f"moto-{self.port}.log", "ab")
        self.process = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-p", str(self.port)],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto's server did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, service: str, account: str = ACCOUNT_ID, region: str = "us-east-1"):
        made = boto_session().client(service, endpoint_url=self.url, region_name=region,
                                              aws_access_key_id="moto", aws_secret_access_key="moto", config=_CONFIG)
        made.meta.events.register_first("before-sign.*.*",
                                        lambda request, **_: request.headers.__setitem__("x-moto-account-id", account))
        return made

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="session")
def moto(tmp_path_factory):
    server = Moto(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


def gateway_server(tmp: Path, upstream: str, database_url: str = "", **env):
    server = standard_server(tmp, database_url)
    server.env_extra.update(IAMD_UPSTREAM_URL=upstream, **env)
    return server


@pytest.fixture(scope="session", params=BACKENDS)
def gateway(request, moto, tmp_path_factory):
    """iamd in front of moto: IAM and STS answered, everything else authorized and forwarded."""
    database = None
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("IAMD_TEST_DATABASE_URL is not set (.ci/run sets it): PostgreSQL tests skipped")
        database = PostgresDatabase(PG_URL)
    running = gateway_server(tmp_path_factory.mktemp(f"gateway-{request.param}"), moto.url,
                             database.url if database else "").start()
    running.backend = request.param
    yield running
    running.stop()
    if database:
        database.drop()


def gw_client(server, service: str, key_id: str = ROOT_KEY_ID, secret: str = ROOT_SECRET, token: str | None = None,
              region: str = "us-east-1", **config):
    return boto_session().client(
        service, endpoint_url=server.endpoint, region_name=region, aws_access_key_id=key_id,
        aws_secret_access_key=secret, aws_session_token=token, config=_CONFIG.merge(Config(**config)))


@pytest.fixture
def unique():
    def make(prefix: str = "t") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"
    return make


@pytest.fixture
def principal(gateway, unique):
    """A user with the given inline policy (and optionally a boundary): {name, arn, key_id, secret}."""
    iam = client(gateway, "iam")

    def make(policy: dict, boundary: str | None = None) -> dict:
        name = unique("gwuser")
        created = iam.create_user(UserName=name, **({"PermissionsBoundary": boundary} if boundary else {}))["User"]
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return {"name": name, "arn": created["Arn"], "key_id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    return make


@pytest.fixture
def other_account(gateway):
    """A second iamd account, as ``iamd account create`` makes one (Server.new_account; the command itself is
    tested in test_server_lifecycle.py): its id and root key."""
    created = gateway.new_account()
    return {"account": created["account_id"], "key_id": created["aws_access_key_id"],
            "secret": created["aws_secret_access_key"]}


def allow(*statements: tuple) -> dict:
    """A policy of Allow statements: allow(("s3:GetObject", "arn:aws:s3:::b/*"), ...)."""
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}
                          for action, resource in statements]}


def as_user(server, user: dict, service: str, **config):
    return gw_client(server, service, user["key_id"], user["secret"], **config)


__all__ = ["ACCOUNT_ID", "ROOT_KEY_ID", "ROOT_SECRET", "allow", "as_user", "gw_client", "gateway_server"]
