"""Raw S3 requests the SDKs do not make (or not over plain HTTP): SigV4 streaming uploads built by the
rules of AWS's page "Signature calculations for the Authorization Header: Transferring payload in
multiple chunks (chunked upload) (AWS Signature Version 4)", and its trailing-checksum variants."""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib

from awscrt import checksums
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EMPTY = hashlib.sha256(b"").hexdigest()
SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


class _Declared(S3SigV4Auth):
    """botocore's S3 signer, with the x-amz-content-sha256 the request declares (never a body hash)."""

    def __init__(self, credentials, declared: str):
        super().__init__(credentials, "s3", "us-east-1")
        self.declared = declared

    def payload(self, request):
        return self.declared


def signed_headers(method: str, url: str, key_id: str, secret: str, declared: str, headers: dict) -> dict:
    request = AWSRequest(method=method, url=url, headers=headers, data=b"")
    _Declared(Credentials(key_id, secret), declared).add_auth(request)
    return dict(request.headers.items())


def _key(secret: str, date: str) -> bytes:
    key = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in ("us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def checksum_of(algorithm: str, data: bytes) -> str:
    """The base64 trailer value of S3's checksum ``algorithm`` ("crc32", "crc32c", "crc64nvme")."""
    if algorithm == "crc32c":
        return base64.b64encode(checksums.crc32c(data).to_bytes(4, "big")).decode()
    if algorithm == "crc64nvme":
        return base64.b64encode(checksums.crc64nvme(data).to_bytes(8, "big")).decode()
    return crc32(data)


def chunked_put(url: str, data: bytes, key_id: str, secret: str, *, declared: str = SIGNED, chunk: int = 65536,
                bad_chunk: int | None = None, bad_trailer_signature: bool = False, checksum: str | None = None,
                algorithm: str = "crc32") -> tuple[dict, bytes]:
    """(headers, body) of a PutObject streamed in aws-chunked encoding."""
    trailer = declared != SIGNED
    headers = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data))}
    if trailer:
        headers["x-amz-trailer"] = f"x-amz-checksum-{algorithm}"
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    # Content-Length is left out of the signed headers: the body's length is known once it is built.
    all_headers = signed_headers("PUT", url, key_id, secret, declared, headers)
    amz_date = all_headers["X-Amz-Date"]
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    previous = all_headers["Authorization"].rsplit("Signature=", 1)[1]
    key = _key(secret, amz_date[:8])
    body = b""
    for index, piece in enumerate(pieces):
        if declared == UNSIGNED_TRAILER:
            body += f"{len(piece):x}\r\n".encode() + piece + (b"\r\n" if piece else b"")
            continue
        string_to_sign = "\n".join(("AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, EMPTY,
                                    hashlib.sha256(piece).hexdigest()))
        signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if index == bad_chunk:
            signature = hmac.new(b"not the key", string_to_sign.encode(), hashlib.sha256).hexdigest()
        body += f"{len(piece):x};chunk-signature={signature}\r\n".encode() + piece
        body += b"\r\n" if piece or not trailer else b""
        previous = signature
    if trailer:
        checksum_line = f"x-amz-checksum-{algorithm}:{checksum or checksum_of(algorithm, data)}"
        body += (checksum_line + "\r\n").encode()
        if declared == SIGNED_TRAILER:
            string_to_sign = "\n".join(("AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous,
                                        hashlib.sha256((checksum_line + "\n").encode()).hexdigest()))
            signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
            if bad_trailer_signature:
                signature = "1" * 64
            body += f"x-amz-trailer-signature:{signature}\r\n".encode()
        body += b"\r\n"
    all_headers["content-length"] = str(len(body))
    return all_headers, body
