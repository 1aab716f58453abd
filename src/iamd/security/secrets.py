"""Secrets at rest: AES-256-GCM under a master key kept apart from the database.

A secret access key must be recoverable to check a SigV4 signature, so it cannot be hashed; it is
encrypted instead, with the id of the thing it belongs to as associated data, so that a ciphertext
copied onto another row does not decrypt. The master key comes from ``IAMD_MASTER_KEY`` (base64 of 32
bytes) or from ``master.key`` in the data directory, created 0600 on first start.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"
_NONCE_BYTES = 12
KEY_FILE = "master.key"


class SecretBox:
    def __init__(self, master_key: bytes):
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._key = master_key
        self._aead = AESGCM(master_key)

    def derived(self, purpose: str) -> SecretBox:
        """A box under a key of its own for one purpose (HKDF from the master key), so that a
        ciphertext made for one purpose never opens as another."""
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(self._key)
        return SecretBox(key)

    def seal(self, plaintext: str, bound_to: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext.encode(), bound_to.encode())

    def open(self, sealed: bytes, bound_to: str) -> str:
        if sealed[:1] != _VERSION:
            raise ValueError("unknown secret format")
        nonce, ciphertext = sealed[1:1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES:]
        return self._aead.decrypt(nonce, ciphertext, bound_to.encode()).decode()


def load_master_key(data_dir: Path, from_env: str | None) -> bytes:
    """The master key from the environment, else from the data directory (made on first use)."""
    if from_env:
        key = base64.b64decode(from_env, validate=True)
        if len(key) != 32:
            raise ValueError("IAMD_MASTER_KEY must be the base64 of 32 bytes")
        return key
    path = data_dir / KEY_FILE
    if path.exists():
        return base64.b64decode(path.read_text().strip(), validate=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    # O_EXCL: two processes starting together must not each write their own key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return base64.b64decode(path.read_text().strip(), validate=True)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key).decode() + "\n")
    return key
