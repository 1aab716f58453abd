"""The gateway's endpoint: a request for another AWS service in, a decision, a forward out.

    identify (which service, which operation)  ─►  SigV4 (headers or presigned; S3's payload rules)
    ─►  the authorization items (action, resource, context)  ─►  the resources' policies (upstream, cached)
    ─►  one transaction: the caller's key or session, the decision, the audit event  (``decision.py``)
    ─►  forward: re-signed for the caller's account at the upstream, bodies streamed both ways

No transaction is open while a body streams. A streamed S3 body is checked as it passes (``body.py``):
chunk signatures, the payload hash, the trailer's checksum; a body that fails never reaches the
upstream whole. A refusal is answered in the service's own shape (``refusals.py``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from iamd import telemetry
from iamd.errors import AccessDenied, AwsError, ServiceFailure, SignatureDoesNotMatch
from iamd.gateway import body as bodies, classify
from iamd.gateway.deadlines import Deadlines
from iamd.gateway.decision import DEFAULT_REGION, Decisions, Signed, Verdict
from iamd.gateway.errors import (
    ContentHashMismatch,
    IncompleteBody,
    InvalidRequest,
    RequestTimeout,
    RequestTimeTooSkewed,
    RequestTooLarge,
    Unrecognized,
)
from iamd.gateway.exchange import Exchange
from iamd.gateway.forward import Forwarder, relay
from iamd.gateway.refusals import render
from iamd.gateway.resource_policies import ResourcePolicies
from iamd.gateway.upstream import Upstream
from iamd.protocol import sigv4
from iamd.protocol.decode import parse_form
from iamd.security import ids
from iamd.service.context import Environment

log = logging.getLogger("iamd.gateway")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

MAX_BUFFERED = 20 * 1024 * 1024  # a body the gateway reads whole (not a streamed S3 payload)
DRAIN_LIMIT = 1024 * 1024  # a refused request's unread body: read and dropped up to this, else the connection closes
UNSIGNED = "UNSIGNED-PAYLOAD"
SIGNED_CHUNKS = ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
UNSIGNED_CHUNKS = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


class Gateway:
    def __init__(self, store: Any, env: Environment, upstream: Upstream, *, threaded: bool = False,
                 forward_unclassified: bool = False, read_timeout: float = 10.0,
                 resource_policies: ResourcePolicies | None = None, clock: Callable[[], datetime] | None = None):
        self.store, self.env, self.upstream = store, env, upstream
        self.threaded = threaded
        self.forward_unclassified = forward_unclassified
        self.read_timeout = read_timeout
        self.forwarder = Forwarder(upstream)
        self.decisions = Decisions(store, env, upstream, threaded=threaded, resource_policies=resource_policies)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.deadlines = Deadlines()  # the client's body's reads

    async def close(self) -> None:
        await self.forwarder.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = telemetry.timer()
        request_id = ids.request_id()
        database = telemetry.start_request(request_id)
        raw_headers = scope["headers"]
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw_headers}
        if len(headers) != len(raw_headers):  # a field sent more than once: its values joined, in order
            headers = {}
            for raw_name, raw_value in raw_headers:
                name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
                headers[name] = f"{headers[name]},{value}" if name in headers else value
        raw_path = scope.get("raw_path") or scope["path"].encode()
        raw_query = scope.get("query_string", b"").decode("latin-1")
        client = scope.get("client")
        exchange = Exchange(
            method=scope["method"], path=raw_path.decode("latin-1").split("?")[0], raw_query=raw_query,
            headers=headers, client_ip=client[0] if client else "", secure=scope.get("scheme") == "https",
            request_id=request_id, signing_name=sigv4.scope_service(headers.get("authorization"), raw_query))
        if "x-amz-target" in headers:
            exchange.protocol = "json"
        elif exchange.signing_name not in (None, "s3"):
            exchange.protocol = "query"
        try:
            await self._serve(exchange, receive, send)
        except AwsError as error:
            await self._refuse(exchange, send, error)
        except Exception:  # a bug: log it, never the request's content, and answer without details
            log.exception("gateway request %s failed", request_id)
            await self._refuse(exchange, send, ServiceFailure("An internal error occurred."))
        telemetry.request_answered(exchange.service, exchange.operation, exchange.status,
                                   telemetry.timer() - started, database[0])

    async def _refuse(self, exchange: Exchange, send: Send, error: AwsError) -> None:
        if exchange.answered:  # the upstream's answer has begun: nothing more can be said
            return
        status, headers, content = render(exchange.protocol, exchange.service, error, exchange.request_id,
                                          head=exchange.method == "HEAD")
        exchange.answered, exchange.status = True, status
        headers = headers + [(b"content-length", str(len(content)).encode())]
        if exchange.source is not None and not await exchange.source.drained():
            headers.append((b"connection", b"close"))  # the rest of the body is never read: a new connection
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _serve(self, exchange: Exchange, receive: Receive, send: Send) -> None:
        headers, method, path = exchange.headers, exchange.method, exchange.path
        # A request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112 6.3): nothing to
        # receive, which saves a timer and a trip through the server's receive channel on every GET.
        bodiless = headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers
        source = exchange.source = _Receiver(receive, self.read_timeout, self.deadlines, done=bodiless)
        body: bytes | None = None
        if classify.needs_body(method, path, headers, exchange.signing_name):
            body = await source.read_all(MAX_BUFFERED)
        try:
            identified = classify.identify(method, path, exchange.raw_query, headers, exchange.host,
                                           exchange.signing_name, body)
        except classify.Unclassified as error:
            if not self.forward_unclassified:
                raise Unrecognized(f"iamd's gateway could not classify this request: {error}") from None
            identified = None
        if identified is not None:
            exchange.service, exchange.operation, exchange.protocol = (identified.service, identified.operation,
                                                                       identified.protocol)
            if body is None and not identified.streaming_input:
                body = await source.read_all(MAX_BUFFERED)
        s3 = exchange.signing_name == "s3" or (identified is not None and identified.service == "s3")
        now = self.clock()
        signed = self._signature(exchange, body, s3, now)
        region = signed.region if signed else DEFAULT_REGION
        service_request = None
        if identified is not None:
            try:
                service_request = classify.parse(identified, method, path, exchange.raw_query, headers, body, region)
            except classify.Unclassified as error:
                raise Unrecognized(
                    f"iamd's gateway could not read this {identified.operation} request: {error}") from None
            exchange.params = service_request.params
        verdict = await self.decisions.decide(exchange, signed, service_request, now)
        if verdict.refusal is not None:
            raise AccessDenied(verdict.refusal)
        # The resource's owner's account when the resource names one (a cross-account request, allowed by
        # its policy: at an emulator the resource lives in its owner's account), else the caller's.
        account_id = verdict.owner or verdict.call.account_id
        upload, length = self._upload(exchange, body, source, signed, verdict, s3)
        service = identified.service if identified else (exchange.signing_name or "s3")
        problem: list[AwsError] = []
        try:
            response = await self.forwarder.open(
                method, path, exchange.raw_query, headers,
                upload if isinstance(upload, bytes) else _watch(upload, problem), length,
                service=_signing_name(service, exchange), region=region, account_id=account_id)
        except Exception:
            if problem:  # the body was refused on its way: the upstream got it short, and drops it
                raise problem[0] from None
            raise
        if service_request is not None and self.decisions.forget(service_request):
            await self.decisions.publish()
        exchange.answered, exchange.status = True, response.status_code
        await relay(response, send)

    def _signature(self, exchange: Exchange, body: bytes | None, s3: bool, now: datetime
                   ) -> sigv4.SignedRequest | None:
        """The request's signature claims (None when unsigned), its canonical request built by the
        forwarded service's rules; checked for freshness (15 minutes; a presigned URL's expiry)."""
        headers = exchange.headers
        query = parse_form(exchange.raw_query) if "X-Amz-" in exchange.raw_query else {}
        if headers.get("authorization", "").startswith("AWS "):
            headers = {name: value for name, value in headers.items() if name != "authorization"}
        if not sigv4.has_authentication(headers, query):
            version_2 = exchange.headers.get("authorization", "").startswith("AWS ")
            if s3 and (version_2 or "AWSAccessKeyId=" in exchange.raw_query):
                raise InvalidRequest("The authorization mechanism you have provided is not supported. "
                                     "Please use AWS4-HMAC-SHA256.")  # Signature Version 2
            return None
        payload_hash = None
        if s3:
            declared = headers.get("x-amz-content-sha256")
            if "authorization" not in headers:
                payload_hash = UNSIGNED  # a presigned URL's canonical request
            elif declared is None:
                raise InvalidRequest("Missing required header for this request: x-amz-content-sha256")
            else:
                payload_hash = declared
                if body is not None and declared not in (UNSIGNED, UNSIGNED_CHUNKS, *SIGNED_CHUNKS):
                    if not sigv4.signatures_match(_sha256(body), declared.lower()):
                        raise ContentHashMismatch(
                            "The provided 'x-amz-content-sha256' header does not match what was computed.")
        signed = sigv4.parse_signature(exchange.method, exchange.path, exchange.raw_query, headers,
                                       body or b"", query, payload_hash=payload_hash, s3=s3, twice=not s3)
        try:
            sigv4.check_freshness(signed, now)
        except SignatureDoesNotMatch:
            if not s3:
                raise
            if signed.expires is not None:  # Amazon S3's words for a presigned URL past its expiry
                raise AccessDenied("Request has expired") from None
            raise RequestTimeTooSkewed(
                "The difference between the request time and the current time is too large.") from None
        return signed

    def _upload(self, exchange: Exchange, body: bytes | None, source: _Receiver, signed: Signed, verdict: Verdict,
                s3: bool) -> tuple[bytes | AsyncIterator[bytes], int | None]:
        """The body to send upstream and its length: bytes read whole, or a stream checked as it passes."""
        if body is not None:
            return body, len(body)
        headers = exchange.headers
        declared = headers.get("x-amz-content-sha256", UNSIGNED if signed is None or "authorization" not in headers
                               else "")
        length = _int(headers.get("content-length"))
        if declared in SIGNED_CHUNKS or declared == UNSIGNED_CHUNKS:
            decoded = _int(headers.get("x-amz-decoded-content-length"))
            if decoded is None:
                raise InvalidRequest("Missing required header for this request: x-amz-decoded-content-length")
            trailer = headers.get("x-amz-trailer", "").strip().lower() or None
            chunk_signing = None
            if declared in SIGNED_CHUNKS:
                if signed is None or verdict.signing_key is None:
                    raise InvalidRequest("A streamed signed payload needs an Authorization header.")
                chunk_signing = bodies.ChunkSigning(verdict.signing_key, signed.amz_date, signed.scope,
                                                    signed.signature)
            return bodies.chunked(source.stream(), chunk_signing, decoded, trailer), decoded
        if declared == UNSIGNED or not s3:
            return source.stream(), length
        return bodies.hashed(source.stream(), declared), length


class _Receiver:
    """The client's request body, from the ASGI receive channel, with the server's read timeout."""

    def __init__(self, receive: Receive, timeout: float, deadlines: Deadlines, *, done: bool = False):
        """``done``: the request has no body (none is received)."""
        self.receive, self.timeout, self.deadlines = receive, timeout, deadlines
        self.done = done

    async def _next(self) -> bytes:
        try:
            with self.deadlines.within(self.timeout):  # not wait_for: that makes a task per message
                message = await self.receive()
        except TimeoutError:
            raise RequestTimeout("Your socket connection to the server was not read from or written to within "
                                 "the timeout period.") from None
        if message["type"] == "http.disconnect":
            raise IncompleteBody("The client closed the connection before its request body was complete.")
        if not message.get("more_body", False):
            self.done = True
        return bytes(message.get("body", b""))

    async def read_all(self, limit: int) -> bytes:
        chunks, size = [], 0
        while not self.done:
            chunk = await self._next()
            size += len(chunk)
            if size > limit:
                raise RequestTooLarge("Your proposed upload exceeds the maximum allowed size for this request.")
            chunks.append(chunk)
        return b"".join(chunks)

    async def drained(self, limit: int = DRAIN_LIMIT) -> bool:
        """Read and drop what is left of a body answered without it, so that the connection can serve
        the next request; False when more than ``limit`` is left (the connection is closed instead)."""
        read = 0
        try:
            while not self.done and read <= limit:
                read += len(await self._next())
        except AwsError:
            return False
        return self.done

    async def stream(self) -> AsyncIterator[bytes]:
        while not self.done:
            chunk = await self._next()
            if chunk:
                yield chunk


async def _watch(stream: AsyncIterator[bytes], problem: list[AwsError]) -> AsyncIterator[bytes]:
    """Pass the stream on; an error in it is kept for the answer (httpx only sees the upload break off)."""
    try:
        async for chunk in stream:
            yield chunk
    except AwsError as error:
        problem.append(error)
        raise



def _signing_name(service: str, exchange: Exchange) -> str:
    return exchange.signing_name or service


_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _sha256(data: bytes) -> str:
    """The body's SHA-256 (hex): a bodiless request's (every GET's) is known."""
    return hashlib.sha256(data).hexdigest() if data else _EMPTY_SHA256


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None
