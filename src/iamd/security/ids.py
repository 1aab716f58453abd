"""Identifiers as AWS shapes them: unique ids, access keys, secrets, account ids, ARNs."""

from __future__ import annotations

import base64
import binascii
import random
import secrets
from dataclasses import dataclass

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
    # _ID_ALPHABET is base32's: 17 characters of 11 random bytes, with one read of the OS's randomness
    # (secrets.choice would make 17).
    return PREFIXES[kind] + base64.b32encode(secrets.token_bytes(11)).decode()[:17]


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
    """A version 4 UUID. Its bits come from ``random``, not the OS: a request id must be unique, not
    secret, and os.urandom costs a system call per request (``random`` is reseeded in forked workers)."""
    bits = random.getrandbits(128) & _UUID4_CLEAR | _UUID4_SET  # the version (4) and variant bits
    # bytes.hex puts a dash between every two bytes, in C: four slices drop the three the UUID has not
    # (8-4-4-4-12), cheaper than five slices and an f-string of the plain hex.
    text = bits.to_bytes(16, "big").hex("-", 2)
    return text[:4] + text[5:29] + text[30:34] + text[35:]


_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def arn(account: str, resource: str, service: str = "iam") -> str:
    return f"arn:aws:{service}::{account}:{resource}"


def entity_arn(account: str, kind: str, path: str, name: str) -> str:
    """``arn:aws:iam::123456789012:user/division/name`` for a user at path ``/division/``."""
    return f"arn:aws:iam::{account}:{kind}{path}{name}"


def root_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


@dataclass(frozen=True, slots=True)
class Arn:
    """The six fields of ``arn:partition:service:region:account:resource``; the resource may hold colons."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        """``role`` of ``role/path/Name``; '' for a resource without ``/`` (``root``)."""
        head, slash, _ = self.resource.partition("/")
        return head if slash else ""

    @property
    def after_type(self) -> str:
        """``path/Name`` of ``role/path/Name``."""
        return self.resource.partition("/")[2]

    @property
    def name(self) -> str:
        """``Name`` of ``role/path/Name``: the last segment ('' when the resource has no ``/``)."""
        return self.resource.rsplit("/", 1)[-1] if "/" in self.resource else ""

    def is_iam(self, account: str | None = None) -> bool:
        """Whether this is an IAM ARN in the aws partition (``arn:aws:iam::<account>:...``), in ``account``
        when one is given."""
        return (self.partition == "aws" and self.service == "iam" and self.region == ""
                and (account is None or self.account == account))


def parse_arn(text: str) -> Arn | None:
    """The fields of an ARN, or None for a string that is no ARN (fewer than six fields, no ``arn:``)."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def is_account_id(text: str) -> bool:
    return len(text) == 12 and text.isdigit()
