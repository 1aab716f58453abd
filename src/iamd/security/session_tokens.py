"""Session tokens of temporary credentials: the session's claims, sealed (AES-256-GCM).

Why sealed claims and not a table of sessions: a request signed with temporary credentials must be
checked without a database read, on whichever server process receives it, and the claims (who, until
when, with MFA or not, which session policies) must be neither readable nor forgeable by the holder.
Authenticated encryption under a key derived from the master key gives exactly that; the access key
id is the associated data, so a token only works with the key id it was issued with. The price is
that a session cannot be revoked one by one before it expires: as in AWS, revoking is done with a
policy on aws:TokenIssueTime (or by removing the principal's permissions, which are loaded per
request).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from cryptography.exceptions import InvalidTag

from iamd.security.principal_kind import PrincipalKind
from iamd.security.secrets import SecretBox

PURPOSE = "iamd session tokens v1"
_PREFIX = "IQoJ"  # AWS's tokens begin so; clients that sniff the format see a familiar one


@dataclass(frozen=True, slots=True)
class SessionClaims:
    """What temporary credentials carry: who, until when, and what narrows them.

    Inside the sealed token each field has a short key (``wire`` in its metadata), so that tokens stay
    small; the keys are the token format, which tokens issued before an upgrade still use."""

    account_id: str = field(metadata={"wire": "a"})
    kind: PrincipalKind = field(metadata={"wire": "k"})
    id: str = field(metadata={"wire": "id"})  # the principal id: AROA...:session, account:name, AIDA...
    name: str = field(metadata={"wire": "n"})  # the session name, federated user name or user name
    arn: str = field(metadata={"wire": "arn"})
    path: str = field(default="/", metadata={"wire": "p"})  # the role's or user's path
    user_id: str | None = field(default=None, metadata={"wire": "uid"})  # the user's (GetSessionToken,
    # GetFederationToken: the federating user; None when the root user federated)
    secret: str = field(default="", metadata={"wire": "s"})  # the credentials' secret access key
    issued_at: int = field(default=0, metadata={"wire": "iat"})  # epoch seconds (aws:TokenIssueTime)
    expires_at: int = field(default=0, metadata={"wire": "exp"})
    mfa: bool = field(default=False, metadata={"wire": "mfa"})
    mfa_at: int | None = field(default=None, metadata={"wire": "mfa_at"})  # when MFA was last proven
    role_id: str | None = field(default=None, metadata={"wire": "rid"})
    role_name: str | None = field(default=None, metadata={"wire": "rn"})
    chained: bool = field(default=False, metadata={"wire": "chain"})  # a role session assumed by a role session
    tags: Mapping[str, str] = field(default_factory=dict, metadata={"wire": "tags"})  # session tags
    transitive_tag_keys: tuple[str, ...] = field(default=(), metadata={"wire": "tt"})
    session_policies: tuple[str, ...] = field(default=(), metadata={"wire": "sp"})  # inline policy texts
    session_policy_arns: tuple[str, ...] = field(default=(), metadata={"wire": "spa"})
    source_identity: str | None = field(default=None, metadata={"wire": "si"})
    federated_provider: str | None = field(default=None, metadata={"wire": "fed"})  # web identity: the
    # OIDC provider's ARN (aws:FederatedProvider)
    context: Mapping[str, Any] = field(default_factory=dict, metadata={"wire": "ctx"})  # a SAML
    # session's condition keys (saml:sub ...)
    scope: tuple[str, ...] = field(default=(), metadata={"wire": "scope"})  # GetScopedCredentials layers
    pad: str = field(default="", metadata={"wire": "pad"})  # grows the token to a size asked for

    def to_wire(self) -> dict[str, Any]:
        """The short-keyed dict sealed into the token; fields at their default are left out."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _ALWAYS or value != getattr(_EMPTY, f.name):
                out[f.metadata["wire"]] = dict(value) if isinstance(value, Mapping) else \
                    list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> SessionClaims:
        values: dict[str, Any] = {}
        for f in fields(cls):
            key = f.metadata["wire"]
            if key in wire and wire[key] is not None:
                values[f.name] = _FROM_WIRE.get(f.name, _same)(wire[key])
        return cls(**values)


def _same(value: Any) -> Any:
    return value


_FROM_WIRE = {"kind": PrincipalKind, "tags": dict, "context": dict, "transitive_tag_keys": tuple,
              "session_policies": tuple, "session_policy_arns": tuple, "scope": tuple, "mfa": bool,
              "chained": bool}
_ALWAYS = frozenset({"account_id", "kind", "id", "name", "arn", "secret", "issued_at", "expires_at"})
_EMPTY = SessionClaims(account_id="", kind=PrincipalKind.USER, id="", name="", arn="")  # the defaults


def seal(box: SecretBox, access_key_id: str, claims: SessionClaims) -> str:
    """The session token of ``claims``, bound to the temporary access key id."""
    return seal_claims(box, access_key_id, claims.to_wire())


def open_session(box: SecretBox, access_key_id: str, token: str) -> SessionClaims | None:
    """The claims, or None for a token that was not issued with this access key id by this server."""
    wire = open_claims(box, access_key_id, token)
    if wire is None:
        return None
    try:
        return SessionClaims.from_wire(wire)
    except (TypeError, ValueError):  # sealed by this server, so only a bug of ours would get here
        return None


def seal_claims(box: SecretBox, access_key_id: str, claims: Mapping[str, Any]) -> str:
    """The token of claims already in their wire form (short keys)."""
    sealed = box.seal(json.dumps(claims, separators=(",", ":")), access_key_id)
    return _PREFIX + base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def open_claims(box: SecretBox, access_key_id: str, token: str) -> dict[str, Any] | None:
    """The claims in their wire form, or None for a token not issued with this access key id here."""
    if not token.startswith(_PREFIX):
        return None
    body = token[len(_PREFIX):]
    try:
        sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        opened = json.loads(box.open(sealed, access_key_id))
    except (ValueError, binascii.Error, InvalidTag, UnicodeDecodeError):
        return None
    return opened if isinstance(opened, dict) else None
