"""One HTTPS GET of an issuer's JSON document (discovery or JWKS), the way AWS trusts the issuer.

Trust: the server's certificate chain is verified against the CA bundle, which is the file named by
the standard ``SSL_CERT_FILE`` when set (else the system's). When the OIDC provider lists thumbprints
(SHA-1 of a certificate, 40 hex digits), they pin: the chain the host presents must contain a
certificate with one of them (leaf, intermediate or root). A chain the CA bundle does not verify is
accepted only when a pinned certificate in it verifies the rest, with the pinned certificate as the
sole trust anchor and the host name still checked: a self-signed issuer works by its thumbprint.

Nothing here logs or raises the documents' content.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_BYTES = 512 * 1024
TIMEOUT_SECONDS = 5.0
_MAX_AGE = re.compile(r"max-age=(\d+)")


class FetchError(Exception):
    """``kind``: "unreachable" (network, TLS trust, HTTP 5xx), "thumbprint", or "invalid" (HTTP 4xx, not
    a JSON object, too large)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class Fetched:
    document: dict
    max_age: int | None  # from Cache-Control, when the server says


def _context(anchor_der: bytes | None = None) -> ssl.SSLContext:
    if anchor_der is not None:
        context = ssl.create_default_context(cadata=anchor_der)
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the pinned certificate may be an intermediate
        return context
    bundle = os.environ.get("SSL_CERT_FILE") or None
    return ssl.create_default_context(cafile=bundle)


def _chain(sock: ssl.SSLSocket, verified: bool) -> list[bytes]:
    """DER certificates the peer presented. CPython 3.11 has the chain methods privately (public in 3.13)."""
    sslobj = getattr(sock, "_sslobj", None)
    getter = getattr(sslobj, "get_verified_chain" if verified else "get_unverified_chain", None)
    if getter is not None:
        return [cert.public_bytes(ssl._ssl.ENCODING_DER) for cert in getter()]  # type: ignore[attr-defined]
    leaf = sock.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def _sha1(der: bytes) -> str:
    return hashlib.sha1(der).hexdigest()  # the thumbprint AWS defines; not used for security on its own


def _connect(host: str, port: int, context: ssl.SSLContext) -> http.client.HTTPSConnection:
    connection = http.client.HTTPSConnection(host, port, context=context, timeout=TIMEOUT_SECONDS)
    connection.connect()
    return connection


def _trusted_connection(host: str, port: int, thumbprints: list[str]) -> http.client.HTTPSConnection:
    pins = {value.lower() for value in thumbprints}
    try:
        connection = _connect(host, port, _context())
    except ssl.SSLCertVerificationError:
        if not pins:
            raise FetchError("unreachable") from None
        return _pinned_connection(host, port, pins)
    except (OSError, ssl.SSLError):
        raise FetchError("unreachable") from None
    if pins and not pins & {_sha1(der) for der in _chain(connection.sock, verified=True)}:
        connection.close()
        raise FetchError("thumbprint")
    return connection


def _pinned_connection(host: str, port: int, pins: set[str]) -> http.client.HTTPSConnection:
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE  # only to read the presented chain; nothing is sent over it
    try:
        connection = _connect(host, port, probe)
    except (OSError, ssl.SSLError):
        raise FetchError("unreachable") from None
    try:
        presented = _chain(connection.sock, verified=False)
    finally:
        connection.close()
    anchor = next((der for der in presented if _sha1(der) in pins), None)
    if anchor is None:
        raise FetchError("thumbprint")
    try:
        return _connect(host, port, _context(anchor))
    except (OSError, ssl.SSLError):
        raise FetchError("thumbprint") from None


def get_json(url: str, thumbprints: list[str]) -> Fetched:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise FetchError("invalid")
    connection = _trusted_connection(parts.hostname, parts.port or 443, thumbprints)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", path, headers={"Accept": "application/json", "User-Agent": "iamd"})
        response = connection.getresponse()
        if response.status != 200:
            # A server error may pass; a missing or refused document will not.
            raise FetchError("unreachable" if response.status >= 500 else "invalid")
        body = response.read(MAX_BYTES + 1)
        cache_control = response.getheader("Cache-Control") or ""
    except (OSError, http.client.HTTPException):
        raise FetchError("unreachable") from None
    finally:
        connection.close()
    if len(body) > MAX_BYTES:
        raise FetchError("invalid")
    try:
        document = json.loads(body)
    except ValueError:
        raise FetchError("invalid") from None
    if not isinstance(document, dict):
        raise FetchError("invalid")
    found = _MAX_AGE.search(cache_control)
    return Fetched(document, int(found.group(1)) if found else None)
