"""A request body on its way to the upstream, checked as it streams, never held whole.

Three kinds (Amazon S3 API Reference, "Authenticating Requests (AWS Signature Version 4)"):

- a payload hashed in ``x-amz-content-sha256``: hashed as it passes, compared at its end;
- ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` (``-TRAILER``): aws-chunked, each chunk's signature chained
  from the request's ("Signature calculations for the Authorization Header: Transferring payload in
  multiple chunks (chunked upload)"), the trailer signed last;
- ``STREAMING-UNSIGNED-PAYLOAD-TRAILER``: aws-chunked without signatures, a checksum in the trailer
  (boto3 ≥ 1.36 sends PutObject so by default).

The upstream gets the decoded bytes. Each chunk is verified before any of its bytes are passed on, and
the body's last byte is held back until everything (the last chunk, the trailer and its checksum, the
whole payload's hash) has been verified: a body refused at its end never reaches the upstream whole,
so the upstream never stores it (its request breaks off short of its Content-Length).
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from awscrt import checksums

from iamd.errors import SignatureDoesNotMatch
from iamd.gateway.errors import BadDigest, ContentHashMismatch, IncompleteBody, InvalidRequest
from iamd.protocol import sigv4

EMPTY_HASH = hashlib.sha256(b"").hexdigest()
MAX_CHUNK = 16 * 1024 * 1024  # a chunk is verified whole before it is passed on: bounded memory
_MAX_LINE = 4096
_SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you provided. "
                       "Check your key and signing method.")


@dataclass(frozen=True)
class ChunkSigning:
    """What the chunk signatures are chained from: the request's signing key, date, scope and signature."""

    key: bytes
    amz_date: str
    scope: str
    seed: str


class _Reader:
    def __init__(self, source: AsyncIterator[bytes]):
        self.source = source
        self.buffer = bytearray()

    async def _more(self) -> None:
        try:
            data = await anext(self.source)
        except StopAsyncIteration:
            raise IncompleteBody("The request body ended before its last chunk.") from None
        self.buffer += data

    async def line(self) -> str:
        while True:
            end = self.buffer.find(b"\r\n")
            if end >= 0:
                text = bytes(self.buffer[:end]).decode("latin-1")
                del self.buffer[:end + 2]
                return text
            if len(self.buffer) > _MAX_LINE:
                raise InvalidRequest("An aws-chunked chunk header is too long.")
            await self._more()

    async def exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            await self._more()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data


def _checksum(name: str) -> Any:
    """The trailer's checksum algorithm (S3's five: Amazon S3 User Guide, "Checking object integrity"),
    or None for a name S3 does not define."""
    algorithm = name.removeprefix("x-amz-checksum-")
    if algorithm == "crc32":
        return _Crc(zlib.crc32, 4)
    if algorithm == "crc32c":  # awscrt: the implementation botocore itself uses for these two
        return _Crc(checksums.crc32c, 4)
    if algorithm == "crc64nvme":
        return _Crc(checksums.crc64nvme, 8)
    if algorithm in ("sha1", "sha256"):
        return hashlib.new(algorithm)
    return None


class _Crc:
    """A running CRC: ``function(data, previous)`` (zlib's and awscrt's shape), its big-endian digest."""

    def __init__(self, function: Callable[[bytes, int], int], size: int) -> None:
        self.function, self.size, self.value = function, size, 0

    def update(self, data: bytes) -> None:
        self.value = self.function(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(self.size, "big")


async def chunked(source: AsyncIterator[bytes], signing: ChunkSigning | None, decoded_length: int | None,
                  trailer_name: str | None) -> AsyncIterator[bytes]:
    """The decoded payload of an aws-chunked body, each chunk verified before it is passed on."""
    reader = _Reader(source)
    previous = signing.seed if signing else ""
    checksum = _checksum(trailer_name) if trailer_name else None
    held, total = b"", 0
    while True:
        header = await reader.line()
        size_text, _, extension = header.partition(";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise InvalidRequest(f"Invalid aws-chunked chunk header: {header[:64]!r}.") from None
        if size > MAX_CHUNK:
            raise InvalidRequest(f"An aws-chunked chunk is larger than {MAX_CHUNK} bytes.")
        data = await reader.exact(size) if size else b""
        if size and await reader.exact(2) != b"\r\n":
            raise IncompleteBody("An aws-chunked chunk is not followed by CRLF.")
        if signing is not None:
            given = extension.strip().removeprefix("chunk-signature=") if extension.strip().startswith(
                "chunk-signature=") else ""
            string_to_sign = "\n".join(("AWS4-HMAC-SHA256-PAYLOAD", signing.amz_date, signing.scope, previous,
                                        EMPTY_HASH, hashlib.sha256(data).hexdigest()))
            if not given or not sigv4.signatures_match(sigv4.signature_of(signing.key, string_to_sign), given):
                raise SignatureDoesNotMatch(_SIGNATURE_MISMATCH)
            previous = given
        if not size:
            break
        total += size
        if decoded_length is not None and total > decoded_length:
            raise IncompleteBody("The aws-chunked body is longer than its x-amz-decoded-content-length.")
        if checksum is not None:
            checksum.update(data)
        out = held + data
        held = out[-1:]
        if len(out) > 1:
            yield out[:-1]
    trailers: dict[str, str] = {}
    while True:
        line = await reader.line()
        if not line:
            break
        name, _, value = line.partition(":")
        trailers[name.strip().lower()] = value.strip()
    if signing is not None and trailer_name:
        given = trailers.pop("x-amz-trailer-signature", "")
        canonical = "".join(f"{name}:{value}\n" for name, value in trailers.items())
        string_to_sign = "\n".join(("AWS4-HMAC-SHA256-TRAILER", signing.amz_date, signing.scope, previous,
                                    hashlib.sha256(canonical.encode()).hexdigest()))
        if not given or not sigv4.signatures_match(sigv4.signature_of(signing.key, string_to_sign), given):
            raise SignatureDoesNotMatch(_SIGNATURE_MISMATCH)
    if trailer_name and checksum is not None:
        given = trailers.get(trailer_name, "")
        if not given or base64.b64encode(checksum.digest()).decode() != given:
            algorithm = trailer_name.removeprefix("x-amz-checksum-").upper()
            raise BadDigest(f"The {algorithm} you specified did not match the calculated checksum.")
    if decoded_length is not None and total != decoded_length:
        raise IncompleteBody("You did not provide the number of bytes specified by the "
                             "x-amz-decoded-content-length HTTP header.")
    if held:
        yield held


async def hashed(source: AsyncIterator[bytes], expected: str) -> AsyncIterator[bytes]:
    """A plain payload whose x-amz-content-sha256 is compared once it has all passed (last byte held)."""
    digest = hashlib.sha256()
    held = b""
    async for data in source:
        if not data:
            continue
        digest.update(data)
        out = held + data
        held = out[-1:]
        if len(out) > 1:
            yield out[:-1]
    if not sigv4.signatures_match(digest.hexdigest(), expected.lower()):
        raise ContentHashMismatch("The provided 'x-amz-content-sha256' header does not match what was computed.")
    if held:
        yield held
