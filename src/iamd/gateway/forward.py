"""Forwarding to the upstream: the request re-signed for the caller's account there, both bodies
streamed (``http1.py``'s lean client), the upstream's answer passed back unchanged but for hop-by-hop headers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from iamd.gateway import http1
from iamd.gateway.errors import UpstreamUnavailable
from iamd.gateway.upstream import DEFAULT_ACCOUNT_HEADER, Upstream

log = logging.getLogger("iamd.gateway")

# RFC 9110 section 7.6.1, and what the gateway replaces: the client's signature, date, token, payload hash.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
                        "te", "trailer", "transfer-encoding", "upgrade"})
_REPLACED = frozenset({"host", "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256",
                       "expect", "content-length", "x-amz-decoded-content-length", "x-amz-trailer"})
# The server adds its own Date and Server headers: the upstream's would make two of each.
_NOT_RELAYED = frozenset(name.encode() for name in HOP_BY_HOP | {"date", "server"})
PRESIGN_PARAMS = frozenset({"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                            "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"})


def forwarded_query(raw_query: str) -> str:
    """The query string without a presigned URL's signature: the upstream gets a header signature."""
    if "X-Amz-" not in raw_query:
        return raw_query
    return "&".join(part for part in raw_query.split("&") if part.partition("=")[0] not in PRESIGN_PARAMS)


def forwarded_headers(headers: dict[str, str], account_header: str, content_length: int | None) -> dict[str, str]:
    dropped = (account_header, DEFAULT_ACCOUNT_HEADER)  # the client never names the upstream account
    kept = {name: value for name, value in headers.items()
            if name not in HOP_BY_HOP and name not in _REPLACED and name not in dropped}
    encoding = kept.pop("content-encoding", None)
    if encoding is not None:  # aws-chunked is the gateway's to decode; any other coding is the client's
        others = [part.strip() for part in encoding.split(",") if part.strip() and part.strip() != "aws-chunked"]
        if others:
            kept["content-encoding"] = ",".join(others)
    if content_length is not None:
        kept["content-length"] = str(content_length)
    return kept


class Forwarder:
    def __init__(self, upstream: Upstream, timeout: float = 300.0):
        self.upstream = upstream
        self.timeout = timeout
        self._client: http1.Client | None = None

    @property
    def client(self) -> http1.Client:
        if self._client is None:  # made in the event loop that uses it
            self._client = http1.Client(self.upstream.url, connect_timeout=5.0, read_timeout=self.timeout,
                                        pool_timeout=30.0, max_connections=256, max_idle=64)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def open(self, method: str, path: str, raw_query: str, headers: dict[str, str],
                   body: bytes | AsyncIterator[bytes], content_length: int | None, *, service: str, region: str,
                   account_id: str) -> http1.Response:
        """Send the request; the upstream's response, its body still to be read (``relay``)."""
        query = forwarded_query(raw_query)
        target = path + (f"?{query}" if query else "")
        if isinstance(body, bytes):
            content_length = len(body)
        send_headers = forwarded_headers(headers, self.upstream.account_header, content_length)
        signed = self.upstream.sign(method, self.upstream.url + target, send_headers,
                                    body if isinstance(body, bytes) else None, service=service, region=region,
                                    account_id=account_id)
        try:
            return await self.client.send(method, target, self.upstream.host, signed, body)
        except http1.Unreachable as error:
            log.warning("upstream %s unreachable: %s", self.upstream.url, error)
            raise UpstreamUnavailable(f"The upstream service at {self.upstream.url} is unreachable.") from None


async def relay(response: http1.Response, send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    """The upstream's answer to the client: status, headers and body as they came (body streamed)."""
    headers = [header for header, name in zip(response.headers_raw, response.header_names, strict=True)
               if name not in _NOT_RELAYED]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    whole = response.body_if_complete()
    if whole is not None:  # a small answer came with its head: one body message, no stream
        await response.aclose()
        await send({"type": "http.response.body", "body": whole})
        return
    try:
        async for chunk in response.aiter_raw():
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
    finally:
        await response.aclose()
    await send({"type": "http.response.body", "body": b""})
