"""Where an issuer's verification keys come from, cached: the edge of federation/ that does I/O.

    static JWKS  a file ``<jwks_dir>/<name>.json`` (a JWKS document), for issuers iamd cannot reach
                 (a cluster's private API server); <name> is the issuer URL without https:// with every
                 character other than letters, digits, '.' and '-' replaced by '_'
    discovery    ``<issuer>/.well-known/openid-configuration`` → ``jwks_uri`` → the JWKS, over HTTPS
                 (fetch.py), kept for the lifetime the server gives (Cache-Control max-age, clamped to
                 MIN_TTL..MAX_TTL; DEFAULT_TTL without one) and fetched again when a token names a kid the
                 cached set lacks (such a refetch at most once per REFRESH_GAP per issuer, so forged kids
                 cannot make iamd hammer an issuer).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from iamd.errors import IDPCommunicationError, InvalidIdentityToken
from iamd.federation import fetch

MIN_TTL, DEFAULT_TTL, MAX_TTL = 60, 3_600, 86_400
REFRESH_GAP = 2.0
THUMBPRINT_MISMATCH = "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"
_UNSAFE = re.compile(r"[^A-Za-z0-9.\-]")


def static_name(issuer: str) -> str:
    """The file name of an issuer's static JWKS (see the module docstring)."""
    bare = issuer.removeprefix("https://")
    return _UNSAFE.sub("_", bare.rstrip("/")) + ".json"


@dataclass
class _Entry:
    keys: list
    expires: float
    fetched: float
    forced: bool  # fetched because a token named an unknown kid


class KeySource:
    """Verification keys per issuer. ``clock`` is monotonic seconds (a parameter for tests of the cache)."""

    def __init__(self, jwks_dir: str = "", clock=time.monotonic):
        self.jwks_dir = Path(jwks_dir) if jwks_dir else None
        self._clock = clock
        self._cache: dict[tuple, _Entry] = {}
        self._lock = threading.Lock()

    def keys(self, issuer: str, thumbprints: list[str], kid: str | None) -> list[dict]:
        """The issuer's keys; fetched afresh when ``kid`` is not among the cached ones."""
        static = self._static(issuer)
        if static is not None:
            return static
        cache_key = (issuer, tuple(sorted(thumbprints)))
        now = self._clock()
        with self._lock:
            entry = self._cache.get(cache_key)
        if entry is not None and now < entry.expires:
            known = kid is None or any(key.get("kid") == kid for key in entry.keys)
            if known or (entry.forced and now - entry.fetched < REFRESH_GAP):
                return entry.keys
        keys, ttl = self._discover(issuer, thumbprints)
        with self._lock:
            self._cache[cache_key] = _Entry(keys, now + ttl, now, forced=entry is not None and now < entry.expires)
        return keys

    def _static(self, issuer: str) -> list[dict] | None:
        if self.jwks_dir is None:
            return None
        path = self.jwks_dir / static_name(issuer)
        try:
            document = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            raise InvalidIdentityToken("Couldn't retrieve verification key from your identity provider,  "
                                       "please reference AssumeRoleWithWebIdentity documentation for "
                                       "requirements") from None
        return _key_list(document)

    def _discover(self, issuer: str, thumbprints: list[str]) -> tuple[list[dict], int]:
        try:
            discovery = fetch.get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", thumbprints)
            jwks_uri = discovery.document.get("jwks_uri")
            if not isinstance(jwks_uri, str) or discovery.document.get("issuer") != issuer:
                raise fetch.FetchError("invalid")
            jwks = fetch.get_json(jwks_uri, thumbprints)
        except fetch.FetchError as error:
            if error.kind == "thumbprint":
                raise InvalidIdentityToken(THUMBPRINT_MISMATCH) from None
            if error.kind == "unreachable":
                raise IDPCommunicationError(f"Couldn't connect to the identity provider of {issuer}: "
                                            "retry later.") from None
            raise InvalidIdentityToken("Couldn't retrieve verification key from your identity provider,  "
                                       "please reference AssumeRoleWithWebIdentity documentation for "
                                       "requirements") from None
        ttl = jwks.max_age if jwks.max_age is not None else DEFAULT_TTL
        return _key_list(jwks.document), max(MIN_TTL, min(MAX_TTL, ttl))


def _key_list(document) -> list[dict]:
    keys = document.get("keys") if isinstance(document, dict) else None
    return [key for key in keys if isinstance(key, dict)] if isinstance(keys, list) else []
