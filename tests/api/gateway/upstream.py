"""moto's server as a real upstream for the gateway's tests: a process of its own on a free port.

``MotoServer(directory).start()`` runs the venv's ``moto_server -p PORT`` and waits until it answers;
``stop()`` ends it (only that process). ``client(service, account, region)`` talks to it directly as one
account: moto's server takes a request's account from the ``x-moto-account-id`` header (before the
access key; moto's ``BaseResponse.get_current_account``), which is how iamd's gateway names the account
it forwards for, so no keys need configuring. ``upstream()`` is the same as an object with the
``client(service, account_id, region)`` that gateway/resource_policies.py uses.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from botocore.config import Config

from tests.api.conftest import boto_session
from tests.api.server import free_port

ACCOUNT_HEADER = "x-moto-account-id"
_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=120,
                 s3={"addressing_style": "path"})


class MotoServer:
    def __init__(self, directory: Path, port: int | None = None):
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.output = directory / f"moto-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> MotoServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(self.port)]
        with open(self.output, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto's server exited early:\n{self.output.read_text()}")
            try:
                # moto's own dashboard API: answers once the server serves requests.
                if httpx.get(f"{self.url}/moto-api/data.json", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto's server did not start:\n{self.output.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def client(self, service: str, account: str, region: str = "us-east-1") -> Any:
        """A boto3 client straight to moto, as ``account``."""
        made = boto_session().client(service, endpoint_url=self.url, region_name=region,
                                              aws_access_key_id="moto", aws_secret_access_key="moto", config=_CONFIG)

        def name_account(request: Any, **_: Any) -> None:
            request.headers[ACCOUNT_HEADER] = account

        made.meta.events.register_first("before-sign.*.*", name_account)
        return made

    def upstream(self) -> MotoUpstream:
        return MotoUpstream(self)


class MotoUpstream:
    """The part of gateway/upstream.py's Upstream that reads need: one client per (service, account, region)."""

    def __init__(self, server: MotoServer):
        self.url = server.url
        self._server = server
        self._clients: dict[tuple[str, str, str], Any] = {}
        # (service, operation, account) of every request made through these clients: a test can tell
        # a cached answer (no request) from a fresh read.
        self.requests: list[tuple[str, str, str]] = []

    def client(self, service: str, account_id: str, region: str) -> Any:
        key = (service, account_id, region)
        if key not in self._clients:
            made = self._server.client(service, account_id, region)

            def record(model: Any, **_: Any) -> None:
                self.requests.append((service, model.name, account_id))

            made.meta.events.register("before-call", record)
            self._clients[key] = made
        return self._clients[key]
