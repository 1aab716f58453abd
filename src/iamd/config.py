"""Settings, from environment variables; each is also a flag of ``iamd serve``."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8777
    data_dir: str = "./data"
    database_url: str = ""  # default: SQLite under data_dir
    account_id: str = ""  # default: random at first start
    root_access_key_id: str = ""
    root_secret_access_key: str = ""
    master_key: str = ""  # default: master.key in data_dir
    log_level: str = "info"
    log_format: str = "text"  # or "json": one JSON object a line, with the request id
    access_log: bool = False  # a line per request: service, operation, status, time
    workers: int = 0  # server processes; 0: one per CPU
    tls_cert: str = ""  # PEM certificate (chain) file: serve HTTPS
    tls_key: str = ""  # its PEM private key
    self_signed: bool = False  # serve HTTPS with a certificate made at first start, for local use
    # The URL clients reach iamd at; the base of its OIDC issuer URLs (GetWebIdentityToken). Default:
    # http(s)://host:port as served.
    public_url: str = ""
    # Static JWKS files for web identity issuers iamd cannot reach (docs/federation.md).
    oidc_jwks_dir: str = ""
    # How long one of iamd's own token signing keys signs before the next one takes over.
    oidc_key_rotation_seconds: int = 7 * 86_400
    # Seconds an idle keep-alive connection stays open (uvicorn's timeout_keep_alive).
    timeout_keep_alive: int = 5
    # Seconds a connection may go without a request in flight, or a request body without a byte.
    read_timeout: int = 10
    audit: bool = True  # an event per call (CloudTrail's record), read by LookupEvents and policy generation
    audit_retention_days: int = 90  # events older than this are pruned in the background; 0 keeps them all
    audit_prune_seconds: int = 3600  # how often the background prune runs
    # How often read-only calls' events, held in memory, are written (a crash loses at most this much).
    audit_flush_seconds: int = 1
    # The gateway (docs/gateway.md): requests for other AWS services are authorized, then forwarded here.
    upstream_url: str = ""  # e.g. http://127.0.0.1:5000 (moto's server); empty: no gateway
    # Credentials per iamd account at the upstream: ACCOUNT=KEY_ID:SECRET,... (ACCOUNT * for every other).
    upstream_credentials: str = field(default="", repr=False)
    # The header naming the caller's account at the upstream (moto's server); empty: send none.
    upstream_account_header: str = "x-moto-account-id"
    # A request the gateway cannot classify: "refuse" (default) or "forward" (authenticated, not authorized).
    upstream_unclassified: str = "refuse"
    # The root user's console password, hashed into the first account at first start (never logged).
    root_password: str = field(default="", repr=False)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def effective_workers(self) -> int:
        return self.workers or os.cpu_count() or 1

    @property
    def tls(self) -> bool:
        return bool(self.tls_cert) or self.self_signed

    @property
    def effective_public_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return (self.public_url or f"{scheme}://{self.host}:{self.port}").rstrip("/")

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_path.resolve() / 'iamd.db'}"

    def check(self) -> None:
        if self.account_id and not re.fullmatch(r"\d{12}", self.account_id):
            raise SystemExit("IAMD_ACCOUNT_ID must be 12 digits")
        if bool(self.root_access_key_id) != bool(self.root_secret_access_key):
            raise SystemExit("give both IAMD_ROOT_ACCESS_KEY_ID and IAMD_ROOT_SECRET_ACCESS_KEY, or neither")
        if self.log_format not in ("text", "json"):
            raise SystemExit("IAMD_LOG_FORMAT must be text or json")
        if self.audit_retention_days < 0:
            raise SystemExit("IAMD_AUDIT_RETENTION_DAYS must be 0 (keep every event) or more")
        if self.audit_flush_seconds < 1:
            raise SystemExit("IAMD_AUDIT_FLUSH_SECONDS must be at least 1 second")
        if self.workers < 0:
            raise SystemExit("IAMD_WORKERS must be 0 (one per CPU) or more")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise SystemExit("give both IAMD_TLS_CERT and IAMD_TLS_KEY, or neither")
        if self.tls_cert and self.self_signed:
            raise SystemExit("give IAMD_TLS_CERT and IAMD_TLS_KEY, or IAMD_SELF_SIGNED, not both")
        if self.timeout_keep_alive < 1 or self.read_timeout < 1:
            raise SystemExit("IAMD_TIMEOUT_KEEP_ALIVE and IAMD_READ_TIMEOUT must be at least 1 second")
        if self.root_access_key_id and not re.fullmatch(r"[\w]{16,128}", self.root_access_key_id):
            raise SystemExit("IAMD_ROOT_ACCESS_KEY_ID must be 16 to 128 letters, digits or underscores")
        if self.upstream_url and not re.match(r"https?://[^/\s]+/?$", self.upstream_url):
            raise SystemExit("IAMD_UPSTREAM_URL must be http(s)://host[:port], without a path")
        if self.upstream_unclassified not in ("refuse", "forward"):
            raise SystemExit("IAMD_UPSTREAM_UNCLASSIFIED must be refuse or forward")
        if self.oidc_key_rotation_seconds < 1:
            raise SystemExit("IAMD_OIDC_KEY_ROTATION_SECONDS must be a positive number of seconds")


def _convert(name: str, kind, raw: str):
    if kind in (int, "int"):
        try:
            return int(raw)
        except ValueError:
            raise SystemExit(f"{env_name(name)} must be a whole number") from None
    if kind in (bool, "bool"):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return raw


def env_name(field_name: str) -> str:
    return "IAMD_" + field_name.upper()


def from_environment(overrides: dict | None = None) -> Settings:
    """Environment variables, then explicit overrides (command-line flags) on top."""
    values: dict = {}
    for setting in fields(Settings):
        raw = os.environ.get(env_name(setting.name))
        if raw is not None and raw != "":
            values[setting.name] = _convert(setting.name, setting.type, raw)
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    settings = Settings(**values)
    settings.check()
    return settings
