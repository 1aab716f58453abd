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

from cryptography.exceptions import InvalidTag

from iamd.security.secrets import SecretBox

PURPOSE = "iamd session tokens v1"
_PREFIX = "IQoJ"  # AWS's tokens begin so; clients that sniff the format see a familiar one


def seal_claims(box: SecretBox, access_key_id: str, claims: dict) -> str:
    sealed = box.seal(json.dumps(claims, separators=(",", ":")), access_key_id)
    return _PREFIX + base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def open_claims(box: SecretBox, access_key_id: str, token: str) -> dict | None:
    """The claims, or None for a token that was not issued with this access key id by this server."""
    if not token.startswith(_PREFIX):
        return None
    body = token[len(_PREFIX):]
    try:
        sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return json.loads(box.open(sealed, access_key_id))
    except (ValueError, binascii.Error, InvalidTag, UnicodeDecodeError):
        return None
