"""Start iamd as a real process, the way ``make run`` does, on SQLite or on a fresh PostgreSQL database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from iamd.config import Settings
from iamd.security.secrets import SecretBox, load_master_key
from iamd.service.account import accounts
from iamd.store.database import Store

ROOT_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCOUNT_ID = "123456789012"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresDatabase:
    """A database of its own on the test PostgreSQL server, dropped afterwards."""

    admin_url: str
    name: str = field(default_factory=lambda: f"iamd_test_{uuid.uuid4().hex[:12]}")

    def __post_init__(self):
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')

    @property
    def url(self) -> str:
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{self.name}"

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass
class Server:
    data_dir: Path
    database_url: str = ""
    port: int = field(default_factory=free_port)
    env_extra: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    output: Path | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IAMD_", "AWS_"))}
        # One process unless a test asks for more: a worker per CPU would multiply every test server.
        env.update(IAMD_PORT=str(self.port), IAMD_DATA_DIR=str(self.data_dir), IAMD_HOST="127.0.0.1",
                   IAMD_WORKERS="1")
        if self.database_url:
            env["IAMD_DATABASE_URL"] = self.database_url
        env.update(self.env_extra)
        return env

    def start(self, timeout: float = 120.0) -> Server:
        # 120 s, not 30: on a loaded machine (load average 14-19 on 2 cores, 2026-11-25) a first start on a
        # fresh PostgreSQL database took over 30 s, and every test using that server failed its setup.
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.output = self.data_dir / f"server-{self.port}.log"
        log = open(self.output, "ab")
        # A session of its own: with several workers, stop() can kill the whole group, workers included.
        self.process = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "serve"],
                                        env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"iamd exited early:\n{self.output.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"iamd did not start:\n{self.output.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            _kill_group(self.process.pid)  # workers the supervisor left behind (it was killed, or died)

    def new_account(self) -> dict[str, str]:
        """A fresh account in this server's store, made in this process as ``iamd account create`` makes it
        (cli/account.py: ``service.accounts.create_account`` under the server's master key), and its root
        credentials under the names that command prints. Starting that command costs a Python start and
        iamd's imports (seconds on a busy machine) for each test that needs an account; tests of the
        command itself run it (test_server_lifecycle.py)."""
        settings = Settings(data_dir=str(self.data_dir), database_url=self.database_url,
                            master_key=self.env_extra.get("IAMD_MASTER_KEY", ""))
        box = SecretBox(load_master_key(settings.data_path, settings.master_key or None))
        store = Store.open(settings.effective_database_url)
        try:
            with store.transaction(write=True) as tx:
                created = accounts.create_account(tx, box, datetime.now(UTC).replace(microsecond=0))
        finally:
            store.dispose()
        return {"account_id": created.account_id, "aws_access_key_id": created.root_access_key_id,
                "aws_secret_access_key": created.root_secret_access_key}

    def log_text(self) -> str:
        return self.output.read_text() if self.output else ""

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """Run an ``iamd`` admin command against this server's store."""
        return subprocess.run([sys.executable, "-m", "iamd.cli.main", *args], env=self.environment(),
                              capture_output=True, text=True, timeout=60)


def standard_server(tmp: Path, database_url: str = "") -> Server:
    return Server(tmp, database_url, env_extra={
        "IAMD_ACCOUNT_ID": ACCOUNT_ID,
        "IAMD_ROOT_ACCESS_KEY_ID": ROOT_KEY_ID,
        "IAMD_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET,
    })


def _kill_group(group: int) -> None:
    """Kill what is left of a server's process group; nothing when it is already gone."""
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
