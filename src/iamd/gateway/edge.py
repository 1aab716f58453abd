"""The gateway's endpoint: a request for another AWS service in, a decision, a forward out.

    identify (which service, which operation)  ─►  SigV4 (headers or presigned; S3's payload rules)
    ─►  the authorization items (action, resource, context)  ─►  the resources' policies (upstream, cached)
    ─►  one transaction: the caller's key or session, the decision, the audit event
    ─►  forward: re-signed for the caller's account at the upstream, bodies streamed both ways

No transaction is open while a body streams. A streamed S3 body is checked as it passes (``body.py``):
chunk signatures, the payload hash, the trailer's checksum; a body that fails never reaches the
upstream whole. A refusal is answered in the service's own shape (``refusals.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.to_thread

from iamd import telemetry
from iamd.errors import AccessDenied, AwsError, InvalidClientTokenId, ServiceFailure, SignatureDoesNotMatch
from iamd.gateway import audit, body as bodies, classify, mapping
from iamd.gateway.authorization import TAGS_UNAVAILABLE, Refusal, authorize
from iamd.gateway.authz import AuthorizationItem
from iamd.gateway.cache_epoch import CacheEpoch
from iamd.gateway.classify import ServiceRequest
from iamd.gateway.errors import (
    ContentHashMismatch,
    IncompleteBody,
    InvalidRequest,
    RequestTimeout,
    RequestTimeTooSkewed,
    RequestTooLarge,
    Unrecognized,
    UpstreamUnavailable,
)
from iamd.gateway.forward import Forwarder, relay
from iamd.gateway.lookups import Cold, UpstreamLookups
from iamd.gateway.refusals import render
from iamd.gateway.resource_policies import (
    RESOURCE_POLICY_SERVICES,
    ResourcePolicies,
    ResourcePolicyUnavailable,
)
from iamd.gateway.resource_tags import ResourceTags, TagSource, TagsUnavailable, source_of
from iamd.gateway.upstream import Upstream
from iamd.protocol import sigv4
from iamd.protocol.decode import parse_form
from iamd.security import ids
from iamd.service.authenticate import is_temporary, key_reads, principal_for_key, principal_for_session
from iamd.service.context import ANONYMOUS, Call, Environment
from iamd.store.database import ATTEMPTS, lost_race
from iamd.store.fastpath import read_ahead

log = logging.getLogger("iamd.gateway")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Signed = sigv4.SignedRequest | None
Items = tuple[AuthorizationItem, ...]
Policies = dict[int, tuple[str | None, str | None]]

MAX_BUFFERED = 20 * 1024 * 1024  # a body the gateway reads whole (not a streamed S3 payload)
DATABASE_THREADS = 16
DRAIN_LIMIT = 1024 * 1024  # a refused request's unread body: read and dropped up to this, else the connection closes
UNSIGNED = "UNSIGNED-PAYLOAD"
SIGNED_CHUNKS = ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
UNSIGNED_CHUNKS = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
_REGION = "us-east-1"


@dataclass
class Exchange:
    """One request's facts, and what has been learnt of it so far (for the refusal's shape and the audit)."""

    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    client_ip: str
    secure: bool
    request_id: str
    signing_name: str | None
    service: str = "unknown"
    operation: str = "unknown"
    protocol: str = "rest-xml"
    params: Any = field(default_factory=dict)
    answered: bool = False
    status: int = 0
    source: Any = None  # the _Receiver of the body

    @property
    def host(self) -> str:
        return self.headers.get("host", "")


@dataclass
class Verdict:
    call: Call
    refusal: str | None = None  # the AccessDenied message
    decision: Any = None
    signing_key: bytes | None = None  # to verify S3's chunk signatures (never the secret itself)
    owner: str = ""  # the resource's owner when known: the account the request is forwarded in
    # Decide again, outside this transaction: "tags" (a decision needs resource tags not read yet),
    # "epoch" (another process forwarded a change: this one's caches were dropped).
    again: str = ""


@dataclass(frozen=True)
class Pass:
    """One attempt at the decision: the account the ARNs were built for, the items whose tags are
    settled, and whether it is the last (which decides whatever comes, rather than asking again)."""

    guess: str
    settled: frozenset[int]
    unavailable: frozenset[int]  # settled, but the upstream would not give their tags
    final: bool


_PASSES = 4  # a first pass, then one for each reason to decide again: the account, the tags, the epoch


class Gateway:
    def __init__(self, store: Any, env: Environment, upstream: Upstream, *, threaded: bool = False,
                 forward_unclassified: bool = False, read_timeout: float = 10.0,
                 resource_policies: ResourcePolicies | None = None, clock: Callable[[], datetime] | None = None):
        self.store, self.env, self.upstream = store, env, upstream
        self.threaded = threaded
        self.forward_unclassified = forward_unclassified
        self.read_timeout = read_timeout
        self.forwarder = Forwarder(upstream)
        self.resource_policies = resource_policies
        self.lookups = UpstreamLookups(upstream)
        self.tags = ResourceTags(upstream)
        self.epoch = CacheEpoch(self._clear_caches)
        # The environment's parts, typed as what they are (Environment names them object).
        self.trail: Any = env.audit
        self.authorizer: Any = env.authorizer
        self.last_used: Any = env.last_used
        self.clock = clock or (lambda: datetime.now(UTC))
        self._limiter: anyio.CapacityLimiter | None = None

    async def close(self) -> None:
        await self.forwarder.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = telemetry.timer()
        request_id = ids.request_id()
        database = telemetry.start_request(request_id)
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
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
        source = exchange.source = _Receiver(receive, self.read_timeout)
        body: bytes | None = None
        headers, method, path = exchange.headers, exchange.method, exchange.path
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
        region = signed.region if signed else _REGION
        service_request = None
        if identified is not None:
            try:
                service_request = classify.parse(identified, method, path, exchange.raw_query, headers, body, region)
            except classify.Unclassified as error:
                raise Unrecognized(
                    f"iamd's gateway could not read this {identified.operation} request: {error}") from None
            exchange.params = service_request.params
        verdict = await self._decide(exchange, signed, service_request, now)
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
        if service_request is not None:
            await self._forget(service_request)
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

    async def _items(self, service_request: ServiceRequest | None, account_id: str) -> Items:
        """The mapping's items, with what it needs of the upstream (a table's key, an alias's key): from
        the cache in the event loop, else read in a worker thread."""
        if service_request is None:
            return ()
        try:
            return mapping.authorization_items(service_request, account_id,
                                               key_schema=self.lookups.cached_key_schema,
                                               kms_alias=self._cached_alias)
        except Cold:
            return await anyio.to_thread.run_sync(self._items_read, service_request, account_id)

    def _items_read(self, service_request: ServiceRequest, account_id: str) -> Items:
        aliases = self.resource_policies.kms_alias if self.resource_policies is not None else None
        return mapping.authorization_items(service_request, account_id, key_schema=self.lookups.key_schema,
                                           kms_alias=aliases)

    def _cached_alias(self, account_id: str, region: str, alias: str) -> str | None:
        """The key a KMS alias points to, from gw-respol's cache (dropped with the alias's changes)."""
        if self.resource_policies is None:
            return None
        known, key_id = self.resource_policies.kms_alias_cached(account_id, region, alias)
        if not known:
            raise Cold("kms alias")
        return key_id

    async def _decide(self, exchange: Exchange, signed: Signed, service_request: ServiceRequest | None,
                      now: datetime) -> Verdict:
        guess = _account_guess(signed)
        read_tags = False
        for attempt in range(_PASSES):
            items = await self._items(service_request, guess)
            policies = await self._policies_of(items, guess)
            items, settled, unavailable = await self._tagged(items, policies, guess, read_tags)
            # The last pass decides whatever comes (other processes' changes may keep coming).
            verdict = await self._in_store(exchange, signed, service_request, items, policies, now,
                                           Pass(guess, settled, unavailable, final=attempt == _PASSES - 1))
            if not verdict.again:
                break
            if verdict.again == "account":  # the key's account was guessed wrong: the ARNs name another
                guess = verdict.call.account_id
            read_tags = read_tags or verdict.again == "tags"
        return verdict

    async def _in_store(self, exchange: Exchange, signed: Signed, service_request: ServiceRequest | None,
                        items: Items, policies: Policies, now: datetime, this: Pass) -> Verdict:
        if self.threaded:
            if self._limiter is None:
                self._limiter = anyio.CapacityLimiter(DATABASE_THREADS)
            return await anyio.to_thread.run_sync(self._decide_in_store, exchange, signed, service_request, items,
                                                  policies, now, this, limiter=self._limiter)
        return self._decide_in_store(exchange, signed, service_request, items, policies, now, this)

    async def _tagged(self, items: Items, policies: Policies, caller_account: str, read: bool
                      ) -> tuple[Items, frozenset[int], frozenset[int]]:
        """The items with their resources' tags as context keys where known (cached, or read from the
        upstream when ``read``), the indexes whose tags are settled (known, none to know, or not to be
        had), and those whose tags the upstream would not give."""
        if not items:
            return items, frozenset(), frozenset()
        out, settled, missing = list(items), set(), []
        for index, item in enumerate(items):
            source = source_of(item, policies.get(index, (None, None))[1], caller_account)
            if source is None:
                settled.add(index)
                continue
            tags = self.tags.cached(source)
            if tags is not None:
                out[index] = replace(item, context={**item.context, **source.context(tags)})
                settled.add(index)
            elif read:
                missing.append((index, source))
        unavailable: set[int] = set()
        if missing:
            read_tags = await anyio.to_thread.run_sync(self._read_tags, [source for _, source in missing])
            for (index, source), tags in zip(missing, read_tags, strict=True):
                if tags is None:
                    unavailable.add(index)
                else:
                    out[index] = replace(out[index], context={**out[index].context, **source.context(tags)})
                settled.add(index)
        return tuple(out), frozenset(settled), frozenset(unavailable)

    def _read_tags(self, sources: list[TagSource]) -> list[dict[str, str] | None]:
        """Each source's tags; None where the upstream would not give them (a bucket policy may deny
        iamd's own upstream credentials GetObjectTagging): authorize() decides what that means."""
        found: list[dict[str, str] | None] = []
        for source in sources:
            try:
                found.append(self.tags.lookup(source))
            except TagsUnavailable as error:
                log.warning("the tags of a %s resource could not be read: %s", source.service, error)
                found.append(None)
        return found

    def _clear_caches(self) -> None:
        self.lookups.clear()
        self.tags.clear()
        if self.resource_policies is not None:
            self.resource_policies.clear()

    async def _policies_of(self, items: Items, caller_account: str) -> Policies:
        """The policies and owners of the items' resources, read before the transaction opens: from the
        cache in the event loop, else from the upstream in a worker thread."""
        if self.resource_policies is None or not items:
            return {}
        found, missing = {}, []
        for index, item in enumerate(items):
            service = item.action.partition(":")[0]
            if service not in RESOURCE_POLICY_SERVICES or item.resource in ("", "*"):
                continue
            known = self.resource_policies.cached(service, item.resource, caller_account or None)
            if known is None:
                missing.append((index, service, item.resource))
            else:
                found[index] = (known.document, known.owner_account)
        if missing:
            found.update(await anyio.to_thread.run_sync(self._read_policies, missing, caller_account))
        return found

    def _read_policies(self, missing: list[tuple[int, str, str]], caller_account: str) -> Policies:
        assert self.resource_policies is not None  # only called when there are some
        found: Policies = {}
        for index, service, resource in missing:
            try:
                policy = self.resource_policies.lookup(service, resource, caller_account or None)
            except ResourcePolicyUnavailable as error:  # fail closed: a Deny in it would be missed
                raise UpstreamUnavailable(f"The resource-based policy of {resource} could not be read: {error}."
                                          ) from None
            found[index] = (policy.document, policy.owner_account)
        return found

    async def _forget(self, service_request: ServiceRequest) -> None:
        """Drop what the forwarded request may have changed, here and (through the cache epoch) in
        every other process sharing the store, before its client gets the answer."""
        identified = service_request.identified
        try:
            changed = self.lookups.forget(identified.service, identified.operation, service_request.params)
            changed = self.tags.forget(identified.service, identified.operation, service_request.params) or changed
            if self.resource_policies is not None:
                changed = self.resource_policies.forget(service_request) or changed
            if changed:
                if self.threaded:
                    await anyio.to_thread.run_sync(self._bump_epoch, limiter=self._limiter)
                else:
                    self._bump_epoch()
        except Exception:  # a stale cache entry expires; never fail the answer already given
            log.exception("dropping a cached resource policy failed")

    def _bump_epoch(self) -> None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.store.transaction(write=True) as tx:
                    self.epoch.bump(tx)
                return
            except Exception as error:  # lost a race with another transaction: run it again
                if attempt == ATTEMPTS or not lost_race(error):
                    raise

    def _decide_in_store(self, exchange: Exchange, signed: Signed, service_request: ServiceRequest | None,
                         items: Items, policies: Policies, now: datetime, this: Pass) -> Verdict:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._decide_once(exchange, signed, service_request, items, policies, now, this)
            except Exception as error:  # lost a race with another transaction: run it again
                if attempt == ATTEMPTS or not lost_race(error):
                    raise
        raise ServiceFailure("An internal error occurred.")  # not reached

    def _decide_once(self, exchange: Exchange, signed: Signed, service_request: ServiceRequest | None,
                     items: Items, policies: Policies, now: datetime, this: Pass) -> Verdict:
        audited = self.trail is not None and self.trail.enabled and service_request is not None
        check_epoch = not this.final and service_request is not None
        # On PostgreSQL the epoch and the caller's key come in one round trip (store.fastpath.read_ahead).
        reads = CacheEpoch.reads() if check_epoch else []
        if signed is not None and not is_temporary(signed.access_key_id, signed.security_token):
            reads += key_reads(signed.access_key_id)[1]
        with self.store.transaction(write=audited) as tx, read_ahead(tx, reads):
            if check_epoch and not self.epoch.fresh(tx):
                return Verdict(Call(principal=ANONYMOUS, now=now, request_id=exchange.request_id, env=self.env),
                               again="epoch")
            call, key = self._caller(tx, exchange, signed, now, audited)
            settled: frozenset[int] | None = this.settled
            if call.account_id and call.account_id != this.guess and service_request is not None:
                if not this.final:  # rare (a key's first use): items, policies and tags read again for it
                    return Verdict(call, again="account")
                items, settled = self._items_read(service_request, call.account_id), None
            if service_request is None:  # IAMD_UPSTREAM_UNCLASSIFIED=forward: authenticated, not authorized
                return Verdict(call, signing_key=key)
            refusal = authorize(tx, self.authorizer, call, items, policies, None if this.final else settled,
                                this.unavailable)
            if refusal is TAGS_UNAVAILABLE:  # fail closed: a Deny on a tag would be missed
                raise UpstreamUnavailable("The tags of the request's resource could not be read from the upstream.")
            if not isinstance(refusal, Refusal | None):  # nothing recorded: decided again with its tags
                return Verdict(call, again="tags")
            message = None
            if refusal is not None:
                message = refusal.message(call.principal.arn, exchange.service)
            if audited:
                self.trail.write(tx, audit.event(call, exchange.service, exchange.operation, exchange.params,
                                                     exchange.host, error_code="AccessDenied" if message else None,
                                                     error_message=message))
            owners = [owner for _, owner in policies.values()] + [item.resource_owner for item in items]
            owner = next((owner for owner in owners if owner and owner.isdigit() and len(owner) == 12), "")
            return Verdict(call, message, refusal.decision if refusal else None, key, owner)

    def _caller(self, tx: Any, exchange: Exchange, signed: Signed, now: datetime, audited: bool
                ) -> tuple[Call, bytes | None]:
        """The caller (anonymous when unsigned), its signature checked; the chunk signing key."""
        common = dict(now=now.replace(microsecond=0), request_id=exchange.request_id, env=self.env,
                      source_ip=exchange.client_ip, user_agent=exchange.headers.get("user-agent", ""),
                      service=exchange.service, secure_transport=exchange.secure, tx=tx,
                      trail={} if audited else None)
        if signed is None:
            return Call(principal=ANONYMOUS, region=_REGION, **common), None
        temporary = signed.security_token is not None or signed.access_key_id.startswith("ASIA")
        try:
            if temporary and self.env.sessions is not None:
                owner = principal_for_session(tx, self.env.sessions, signed.access_key_id, signed.security_token, now)
            else:
                owner = principal_for_key(tx, self.env.secrets, signed.access_key_id)
        except InvalidClientTokenId as error:
            if exchange.protocol == "rest-xml" and temporary:
                raise _InvalidToken("The provided token is malformed or otherwise invalid.") from None
            raise error
        sigv4.verify_signature(signed, owner.secret_access_key)
        self.last_used.record(signed.access_key_id, owner.principal, owner.session, now, signed.service,
                                  signed.region)
        key = sigv4.signing_key(owner.secret_access_key, signed.scope_date, signed.region, signed.service)
        call = Call(principal=owner.principal, region=signed.region, auth_epoch=owner.auth_epoch,
                    session=owner.session, session_context=owner.session_context, **common)
        return call, key

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


class _InvalidToken(AwsError):
    code, status = "InvalidToken", 400


class _Receiver:
    """The client's request body, from the ASGI receive channel, with the server's read timeout."""

    def __init__(self, receive: Receive, timeout: float):
        self.receive, self.timeout = receive, timeout
        self.done = False

    async def _next(self) -> bytes:
        try:
            async with asyncio.timeout(self.timeout):  # not wait_for: that makes a task per message
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


def _account_guess(signed: Signed) -> str:
    """The account a key likely belongs to, before the store says (the mapping's ARNs need one)."""
    if signed is None:
        return ""
    return key_reads(signed.access_key_id)[0]


def _signing_name(service: str, exchange: Exchange) -> str:
    return exchange.signing_name or service


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None
