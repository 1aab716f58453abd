"""A real iamd for other projects' test suites: started on a free port with fresh state.

    with LocalIamd.start(tmp_dir) as iamd:
        iam = boto3.client("iam", **iamd.client_kwargs())
        account = iamd.new_account()      # a fresh, isolated account: state reset in milliseconds

The pytest plugin (``iamd.testing.pytest_plugin``) wraps this in fixtures.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REGION = "us-east-1"


@dataclass(frozen=True)
class Account:
    """An account of the test server and its root user's access key."""

    account_id: str
    access_key_id: str
    secret_access_key: str = field(repr=False)


@dataclass
class LocalIamd:
    data_dir: Path
    port: int
    root: Account
    process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, data_dir: Path, template: Path | None = None, timeout: float = 30.0) -> LocalIamd:
        """Start iamd in ``data_dir``; from a copy of ``template`` (a data directory made by an earlier
        start) when given, which skips creating the schema."""
        data_dir.mkdir(parents=True, exist_ok=True)
        if template is not None and (template / "iamd.db").exists():
            for name in ("iamd.db", "master.key", "root.key"):
                shutil.copy2(template / name, data_dir / name)
        root = _root_account(data_dir)
        server = cls(data_dir, _free_port(), root)
        server._spawn(timeout)
        if template is not None and not (template / "iamd.db").exists():
            server._save_template(template)
        return server

    def _spawn(self, timeout: float) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IAMD_", "AWS_"))}
        env.update(IAMD_PORT=str(self.port), IAMD_HOST="127.0.0.1", IAMD_DATA_DIR=str(self.data_dir),
                   IAMD_WORKERS="1", IAMD_LOG_LEVEL="warning", IAMD_ACCOUNT_ID=self.root.account_id,
                   IAMD_ROOT_ACCESS_KEY_ID=self.root.access_key_id,
                   IAMD_ROOT_SECRET_ACCESS_KEY=self.root.secret_access_key)
        log = open(self.data_dir / "iamd.log", "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "serve"], env=env,
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("iamd exited early:\n" + (self.data_dir / "iamd.log").read_text())
            try:
                with urllib.request.urlopen(self.endpoint_url + "/health", timeout=1):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.02)
        self.stop()
        raise RuntimeError("iamd did not start:\n" + (self.data_dir / "iamd.log").read_text())

    def _save_template(self, template: Path) -> None:
        template.mkdir(parents=True, exist_ok=True)
        from iamd.store.backup import backup  # the store's own online copy

        staging = template / "iamd.db.partial"
        staging.unlink(missing_ok=True)
        backup(f"sqlite:///{self.data_dir / 'iamd.db'}", staging)
        shutil.copy2(self.data_dir / "master.key", template / "master.key")
        shutil.copy2(self.data_dir / "root.key", template / "root.key")
        staging.rename(template / "iamd.db")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> LocalIamd:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def client_kwargs(self, account: Account | None = None) -> dict:
        """Keyword arguments for ``boto3.client(service, **...)``."""
        account = account or self.root
        return {"endpoint_url": self.endpoint_url, "region_name": REGION,
                "aws_access_key_id": account.access_key_id, "aws_secret_access_key": account.secret_access_key}

    def environment(self, account: Account | None = None) -> dict:
        """The variables that point boto3, the aws CLI and every AWS SDK at this server."""
        account = account or self.root
        return {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": account.access_key_id, "AWS_SECRET_ACCESS_KEY": account.secret_access_key}

    def new_account(self) -> Account:
        """A new account, isolated from every other: a clean slate for one test, in milliseconds."""
        from iamd.security.secrets import SecretBox, load_master_key
        from iamd.service.account import accounts
        from iamd.store.database import Store

        store = Store.open(f"sqlite:///{self.data_dir / 'iamd.db'}")
        try:
            with store.transaction(write=True) as tx:
                made = accounts.create_account(tx, SecretBox(load_master_key(self.data_dir, None)),
                                               datetime.now(UTC).replace(microsecond=0))
        finally:
            store.dispose()
        return Account(made.account_id, made.root_access_key_id, made.root_secret_access_key)


def _root_account(data_dir: Path) -> Account:
    """The first account's id and root key: kept beside the store so a copy of it starts alike."""
    path = data_dir / "root.key"
    if path.exists():
        account_id, key_id, secret = path.read_text().split()
        return Account(account_id, key_id, secret)
    account_id = "".join(str(secrets.randbelow(10)) for _ in range(12))
    key_id = "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    secret = secrets.token_urlsafe(30)[:40]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(f"{account_id} {key_id} {secret}\n")
    return Account(account_id, key_id, secret)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
