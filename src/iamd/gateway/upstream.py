"""The upstream iamd forwards to, and how to sign for one of iamd's accounts there.

An iamd account maps to credentials at the upstream (``IAMD_UPSTREAM_CREDENTIALS``: ``ACCOUNT=KEY:SECRET``
entries, ``*`` for every other account). moto's server tells accounts apart by the ``x-moto-account-id``
header (moto's documentation, "Multi-Account support": environment variable, then this header, then the
access key's account), so by default the gateway names the caller's account in that header
(``IAMD_UPSTREAM_ACCOUNT_HEADER``; empty for an upstream that tells accounts apart by their keys).
Requests are signed with iamd's own SigV4 (protocol/sigv4.py), as botocore's signers sign them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import urlsplit

from botocore.config import Config

from iamd.protocol import sigv4

DEFAULT_ACCOUNT_HEADER = "x-moto-account-id"
# Used for any account without credentials of its own: moto accepts any key (it tells accounts by the header).
DEFAULT_CREDENTIALS = ("iamd-gateway", "iamd-gateway")
_ALWAYS_SIGNED = frozenset({"content-md5", "content-type", "x-moto-account-id"})
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


def parse_credentials(text: str) -> dict[str, tuple[str, str]]:
    """``123456789012=AKID:SECRET,*=AKID:SECRET`` → {account: (key id, secret)}; SystemExit on a bad entry."""
    found: dict[str, tuple[str, str]] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        account, sep, pair = entry.partition("=")
        key_id, sep2, secret = pair.partition(":")
        account = account.strip()
        valid_account = account == "*" or (account.isdigit() and len(account) == 12)
        if not (sep and sep2 and key_id and secret and valid_account):
            raise SystemExit("IAMD_UPSTREAM_CREDENTIALS: entries are ACCOUNT=KEY_ID:SECRET (ACCOUNT 12 digits or *), "
                             "separated by commas")
        found[account] = (key_id.strip(), secret.strip())
    return found


@dataclass(frozen=True, eq=False)  # hashed by identity: one per server
class Upstream:
    url: str  # e.g. http://127.0.0.1:5000 (moto's server), without a trailing slash
    credentials: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    account_header: str = DEFAULT_ACCOUNT_HEADER

    @classmethod
    def from_settings(cls, url: str, credentials: str = "", account_header: str = DEFAULT_ACCOUNT_HEADER) -> Upstream:
        return cls(url.rstrip("/"), parse_credentials(credentials), account_header.strip().lower())

    def credentials_for(self, account_id: str) -> tuple[str, str]:
        """(access key id, secret) for that account at the upstream."""
        return self.credentials.get(account_id) or self.credentials.get("*") or DEFAULT_CREDENTIALS

    def account_headers(self, account_id: str) -> dict[str, str]:
        return {self.account_header: account_id} if self.account_header and account_id else {}

    @cached_property
    def host(self) -> str:
        """The Host header the upstream gets (and that is signed): its URL's, without a default port."""
        parts = urlsplit(self.url)
        host = parts.netloc.rpartition("@")[2].lower()
        default = {"http": 80, "https": 443}.get(parts.scheme)
        return host[:-len(f":{default}")] if default and host.endswith(f":{default}") else host

    def sign(self, method: str, url: str, headers: dict[str, str], body: bytes | None, *, service: str,
             region: str, account_id: str) -> dict[str, str]:
        """The headers to send: ``headers`` plus the account header and a fresh SigV4 signature.

        ``body`` None: a streamed payload, signed UNSIGNED-PAYLOAD (Amazon S3 accepts it; the gateway
        has already checked the client's own payload hash or chunk signatures). S3 requests are always
        signed so: the body is never hashed twice.

        Signed with iamd's own SigV4 (protocol/sigv4.py, the canonical request it verifies), as botocore's
        SigV4Auth and S3SigV4Auth would sign it (a test compares them): host, every x-amz-* header,
        Content-MD5 and Content-Type, over S3's path rules for S3 and streamed bodies."""
        everything = {**headers, **self.account_headers(account_id)}
        signed = {name: value for name, value in everything.items()
                  if name.startswith("x-amz-") or name in _ALWAYS_SIGNED}
        unsigned_payload = service == "s3" or body is None
        amz_date = _amz_date()
        signed["host"], signed["x-amz-date"] = self.host, amz_date
        if unsigned_payload:
            signed["x-amz-content-sha256"] = _UNSIGNED_PAYLOAD
        payload_hash = _UNSIGNED_PAYLOAD if unsigned_payload else hashlib.sha256(body or b"").hexdigest()
        path, _, query = _path_and_query(url, self.url)
        key_id, secret = self.credentials_for(account_id)
        authorization = sigv4.authorization_header(method, path, query, signed, payload_hash, access_key_id=key_id,
                                                   secret=secret, region=region, service=service, amz_date=amz_date,
                                                   s3=unsigned_payload)
        sent = {name: value for name, value in everything.items() if name not in signed}
        sent.update(signed)
        del sent["host"]  # the HTTP client's own, from the URL
        sent["X-Amz-Date"] = sent.pop("x-amz-date")  # botocore's spelling, as before
        if unsigned_payload:
            sent["X-Amz-Content-SHA256"] = sent.pop("x-amz-content-sha256")
        sent["Authorization"] = authorization
        return sent

    def client(self, service: str, account_id: str, region: str) -> Any:
        """A botocore client for that account at the upstream (for reading resource policies)."""
        return _client(self, service, account_id, region)


_date: tuple[int, str] = (0, "")  # (second, its X-Amz-Date): formatted once a second, not per request


def _amz_date() -> str:
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)))
    return _date[1]


def _path_and_query(url: str, base: str) -> tuple[str, str, str]:
    """The raw (still percent-encoded) path and query of a URL on the upstream."""
    if url.startswith(base):
        rest = url[len(base):] or "/"
    else:
        parts = urlsplit(url)
        rest = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return rest.partition("?")


# The reads' client (_client): two attempts, each connecting within 5 s and answering within 30 s.
_ATTEMPTS, _CONNECT_SECONDS, _READ_SECONDS = 2, 5, 30
READ_DEADLINE_SECONDS = _ATTEMPTS * (_CONNECT_SECONDS + _READ_SECONDS) + 5  # and botocore's retry pause


@lru_cache(maxsize=256)
def _client(upstream: Upstream, service: str, account_id: str, region: str) -> Any:
    import boto3  # only for the resource policies' reads

    key_id, secret = upstream.credentials_for(account_id)
    client = boto3.session.Session().client(
        service, endpoint_url=upstream.url, region_name=region, aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": _ATTEMPTS}, connect_timeout=_CONNECT_SECONDS,
                      read_timeout=_READ_SECONDS, s3={"addressing_style": "path"}))
    headers = upstream.account_headers(account_id)
    if headers:
        def add_account(request: Any, **_: Any) -> None:
            for name, value in headers.items():
                request.headers[name] = value
        client.meta.events.register_first("before-sign.*.*", add_account)
    return client
