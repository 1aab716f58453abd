"""SSH public keys (for CodeCommit): UploadSSHPublicKey, GetSSHPublicKey, ListSSHPublicKeys,
UpdateSSHPublicKey, DeleteSSHPublicKey.

AWS takes RSA keys of at least 2048 bits, in OpenSSH (``ssh-rsa AAAA...``) or PEM form, at most five
per user, each once per user. The fingerprint is the MD5 digest of the key's SSH wire form, as
``ssh-keygen -l -E md5`` shows it.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Connection, delete, insert, select, update

from iamd.errors import (
    DuplicateSSHPublicKey,
    InvalidPublicKey,
    NoSuchEntity,
    UnrecognizedPublicKeyEncoding,
)
from iamd.security import ids
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import iam
from iamd.service.identities import users
from iamd.service.pagination import DEFAULT_MAX_ITEMS, decode_marker, page
from iamd.store.schema import ssh_public_keys

MAX_KEYS_PER_USER = quotas.SSH_KEYS.limit
MIN_KEY_BITS = 2048

INVALID_KEY = "The request was rejected because the public key is malformed or otherwise invalid."
UNRECOGNIZED_ENCODING = ("The request was rejected because the public key encoding format is unsupported or "
                         "unrecognized.")
DUPLICATE_KEY = "The request was rejected because the SSH public key is already associated with the specified IAM user."


def parse_key(body: str) -> rsa.RSAPublicKey:
    """The RSA public key in ``body`` (OpenSSH or PEM), or AWS's error for it."""
    text = body.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("latin-1"))
        except (ValueError, TypeError):
            raise InvalidPublicKey(INVALID_KEY) from None
    elif text.startswith("ssh-rsa ") or text.startswith("ssh-rsa\t"):
        try:
            key = serialization.load_ssh_public_key(text.encode("latin-1"))
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise InvalidPublicKey(INVALID_KEY) from None
    else:
        raise UnrecognizedPublicKeyEncoding(UNRECOGNIZED_ENCODING)
    if not isinstance(key, rsa.RSAPublicKey):
        raise UnrecognizedPublicKeyEncoding(UNRECOGNIZED_ENCODING)
    if key.key_size < MIN_KEY_BITS:
        raise InvalidPublicKey(INVALID_KEY)
    return key


def ssh_form(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def pem_form(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fingerprint(key: rsa.RSAPublicKey) -> str:
    blob = base64.b64decode(ssh_form(key).split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def _not_found(key_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"The Public Key with id {key_id} cannot be found.")


def _find_key(tx: Connection, user_id: str, key_id: str):
    row = tx.execute(select(ssh_public_keys).where(ssh_public_keys.c.user_id == user_id,
                                                   ssh_public_keys.c.id == key_id)).first()
    if row is None:
        raise _not_found(key_id)
    return row


def _full(row, user_name: str, body: str | None = None) -> dict:
    return {
        "UserName": user_name, "SSHPublicKeyId": row.id, "Fingerprint": row.fingerprint,
        "SSHPublicKeyBody": row.body if body is None else body, "Status": row.status, "UploadDate": row.uploaded_at,
    }


def upload_ssh_public_key(tx: Connection, call: Call, params: dict) -> dict:
    user = users.target_user(tx, call, params["UserName"])
    body = params["SSHPublicKeyBody"]
    key = parse_key(body)
    digest = fingerprint(key)
    quotas.hold_user(tx, user)  # the duplicate check and the count see every concurrent upload
    query = select(ssh_public_keys.c.fingerprint).where(ssh_public_keys.c.user_id == user.id)
    owned = tx.execute(query).scalars().all()
    if digest in owned:
        raise DuplicateSSHPublicKey(DUPLICATE_KEY)
    if len(owned) >= MAX_KEYS_PER_USER:
        raise quotas.SSH_KEYS.exceeded()
    key_id = ids.unique_id("ssh-public-key")[:20]  # APKA and 16 more, as AWS's
    tx.execute(insert(ssh_public_keys).values(id=key_id, user_id=user.id, body=body, fingerprint=digest,
                                              status="Active", uploaded_at=call.now))
    return {"SSHPublicKey": {
        "UserName": user.name, "SSHPublicKeyId": key_id, "Fingerprint": digest, "SSHPublicKeyBody": body,
        "Status": "Active", "UploadDate": call.now,
    }}


def get_ssh_public_key(tx: Connection, call: Call, params: dict) -> dict:
    user = users.target_user(tx, call, params["UserName"])
    row = _find_key(tx, user.id, params["SSHPublicKeyId"])
    key = parse_key(row.body)
    body = pem_form(key) if params["Encoding"] == "PEM" else ssh_form(key)
    return {"SSHPublicKey": _full(row, user.name, body)}


def list_ssh_public_keys(tx: Connection, call: Call, params: dict) -> dict:
    user = users.named_or_caller(tx, call, params.get("UserName"), root_itself=True)
    if user is None:  # the root user has no SSH keys
        return {"SSHPublicKeys": [], "IsTruncated": False}
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    query = select(ssh_public_keys).where(ssh_public_keys.c.user_id == user.id)
    after = decode_marker(params.get("Marker"))
    if after is not None:
        query = query.where(ssh_public_keys.c.id > after)
    rows = tx.execute(query.order_by(ssh_public_keys.c.id).limit(max_items + 1)).all()
    rows, paging = page(rows, max_items, lambda row: row.id)
    # AWS lists neither the body nor the fingerprint.
    return {"SSHPublicKeys": [
        {"UserName": user.name, "SSHPublicKeyId": row.id, "Status": row.status, "UploadDate": row.uploaded_at}
        for row in rows
    ], **paging}


def update_ssh_public_key(tx: Connection, call: Call, params: dict) -> None:
    user = users.target_user(tx, call, params["UserName"])
    row = _find_key(tx, user.id, params["SSHPublicKeyId"])
    tx.execute(update(ssh_public_keys).where(ssh_public_keys.c.id == row.id).values(status=params["Status"]))


def delete_ssh_public_key(tx: Connection, call: Call, params: dict) -> None:
    user = users.target_user(tx, call, params["UserName"])
    row = _find_key(tx, user.id, params["SSHPublicKeyId"])
    tx.execute(delete(ssh_public_keys).where(ssh_public_keys.c.id == row.id))


OPERATIONS = (
    # SSH keys authenticate to CodeCommit only: no change to what IAM principals may do.
    iam("UploadSSHPublicKey", upload_ssh_public_key, users.resource_arn, changes_access=False),
    iam("GetSSHPublicKey", get_ssh_public_key, users.resource_arn, writes=False),
    iam("ListSSHPublicKeys", list_ssh_public_keys, users.resource_arn, writes=False),
    iam("UpdateSSHPublicKey", update_ssh_public_key, users.resource_arn, changes_access=False),
    iam("DeleteSSHPublicKey", delete_ssh_public_key, users.resource_arn, changes_access=False),
)
