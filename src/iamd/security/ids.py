"""Identifiers as AWS shapes them: unique ids, access keys, secrets, account ids, ARNs."""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid

# AWS's unique ids and access key ids use upper-case letters and the digits 2-7 (base32).
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# Prefixes of AWS's unique ids, by kind of entity.
PREFIXES = {
    "user": "AIDA",
    "group": "AGPA",
    "role": "AROA",
    "policy": "ANPA",
    "instance-profile": "AIPA",
    "access-key": "AKIA",
    "session-key": "ASIA",
    "server-certificate": "ASCA",
    "ssh-public-key": "APKA",
    "service-specific-credential": "ACCA",
}


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def unique_id(kind: str) -> str:
    """A 21-character unique id such as ``AIDAJQABLZS4A3QDU576Q``."""
    return PREFIXES[kind] + _random(_ID_ALPHABET, 17)


def access_key_id(account: str, temporary: bool = False) -> str:
    """A 20-character access key id: ``AKIA...`` (long-term) or ``ASIA...`` (temporary).

    As AWS does, the owning account is encoded in the id (bits 1-40 of its first six bytes), so that
    sts:GetAccessKeyInfo can answer for any key, even a deleted one.
    """
    head = ((int(account) << 7) | secrets.randbits(7)).to_bytes(6, "big")
    body = base64.b32encode(head + secrets.token_bytes(4)).decode()
    return PREFIXES["session-key" if temporary else "access-key"] + body


def account_of_access_key(key_id: str) -> str | None:
    try:
        head = base64.b32decode(key_id[4:20])[:6]
    except (ValueError, binascii.Error):
        return None
    return f"{(int.from_bytes(head, 'big') & 0x7FFFFFFFFF80) >> 7:012d}"


def secret_access_key() -> str:
    return _random(_SECRET_ALPHABET, 40)


def account_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def request_id() -> str:
    return str(uuid.uuid4())


def arn(account: str, resource: str, service: str = "iam") -> str:
    return f"arn:aws:{service}::{account}:{resource}"


def entity_arn(account: str, kind: str, path: str, name: str) -> str:
    """``arn:aws:iam::123456789012:user/division/name`` for a user at path ``/division/``."""
    return f"arn:aws:iam::{account}:{kind}{path}{name}"


def root_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:root"
