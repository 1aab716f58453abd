"""The Query API endpoint: one HTTP request in, one XML document out.

    body/query ─► protocol.decode.parse_form ─► protocol.model.resolve_operation
               ─► protocol.sigv4 (who signed it) ─► service.authenticate (whose key)
               ─► protocol.decode.decode_params ─► service.authorize ─► the handler
               ─► protocol.encode

Authentication, authorization and the operation share one store transaction, so a failed request
leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from iamd import telemetry
from iamd.errors import AwsError, NotImplementedOperation, ServiceFailure
from iamd.logs import ACCESS
from iamd.protocol import sigv4
from iamd.protocol.decode import decode_params, parse_form
from iamd.protocol.encode import encode_error, encode_result
from iamd.protocol.model import SERVICES, resolve_operation, service_for_version
from iamd.service.authenticate import authenticate, is_temporary, key_reads
from iamd.service.context import ANONYMOUS, Call, Environment
from iamd.service.dispatch import execute
from iamd.service.operations import OPERATIONS
from iamd.service.runtime import ATTEMPTS, Store, evented, lost_race, new_request_id, read_ahead
from iamd.web import audit_hooks
from iamd.web.limits import MAX_BODY
from iamd.web.receive import receive_within

log = logging.getLogger("iamd.api")

_FORM_TYPE = "application/x-www-form-urlencoded"
_MAY_FETCH = b"AssumeRoleWithWebIdentity"
_CONTENT_TYPE = (b"content-type", b"text/xml; charset=utf-8")
_CLOSE = [(b"connection", b"close"), (b"content-type", b"text/plain; charset=utf-8")]
# Threaded (PostgreSQL): requests at once in threads, one connection each (store.database keeps them).
DATABASE_THREADS = 16
# Whether a PostgreSQL Query API request runs in the event loop (store.evented: a warm read without the
# hop to a thread and back) or, off, in the thread pool. On: on the idle 2-core machine, GetUser at 16
# connections cost 288 µs of CPU against 488 µs with threads and answered 3,389 requests a second
# against 1,966 (the same run; at one connection both alike). Under other processes' load the one busy
# loop thread gets less of the cores than 17 threads that sleep often, and answered fewer requests a
# second than threads in 3 of 4 runs (docs/performance.md, "The in-loop path under contention").
POSTGRESQL_IN_EVENT_LOOP = True
# A read that needed the thread pool in the event loop runs in a thread this many times before it is tried
# in the loop again (a cold cache's statements may have been the cause, not the operation).
_LOOP_RETRY = 100


class QueryApi:
    def __init__(self, store: Store, env: Environment, *, threaded: bool = False, clock=None):
        self.store = store
        self.env = env
        # SQLite answers in microseconds: handling in the event loop beats a thread hop. PostgreSQL's
        # round trips would stall the loop, so its requests go to the thread pool.
        self.threaded = threaded
        self.clock = clock or (lambda: datetime.now(UTC))
        self.read_timeout = 10.0  # web/app.py sets the configured one
        self.threads = DatabaseThreads()
        # Per operation name: its reads' transactions to run in a thread for so many more requests (_run).
        self._hopping: dict[str, int] = {}

    async def __call__(self, scope, receive, send) -> None:
        """An ASGI app of its own, which web/app.py sends the Query API's requests to straight: Starlette's
        routing, middleware and Response cost more than the lines they would save. The limits that
        web/limits.py's middleware applies elsewhere hold here too: a body over MAX_BODY is refused from
        its Content-Length before a byte is read (413), one that stops arriving is answered 408."""
        body = await read_body(scope, receive, send, self.read_timeout)
        if body is None:
            return
        request = Request(scope)  # lazy: only what the handlers read of it is ever parsed
        # AssumeRoleWithWebIdentity may fetch an issuer's keys over the network: never in the event loop.
        may_fetch = _MAY_FETCH in body or _MAY_FETCH in scope.get("query_string", b"")
        # PostgreSQL, if POSTGRESQL_IN_EVENT_LOOP: in the event loop too, its waits served by the loop
        # (store.evented), its writes in threads.
        in_loop = POSTGRESQL_IN_EVENT_LOOP and self.store.is_postgresql and not may_fetch
        await self.threads.answer(send, self.handle, request, body, self.threaded or may_fetch, _CONTENT_TYPE,
                                  in_loop=in_loop)

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        # AssumeRoleWithWebIdentity may fetch an issuer's keys over the network: never in the event loop.
        if self.threaded or _MAY_FETCH in body or _MAY_FETCH in request.scope.get("query_string", b""):
            status, content, request_id = await run_in_threadpool(self.handle, request, body)
        else:
            status, content, request_id = self.handle(request, body)
        return Response(content, status_code=status, media_type="text/xml",
                        headers={"x-amzn-RequestId": request_id})

    def handle(self, request: Request, body: bytes) -> tuple[int, bytes, str]:
        request_id = new_request_id()
        started = telemetry.timer()
        database = telemetry.start_request(request_id)
        seen = {"service": "iam", "operation": "unknown"}
        try:
            result = self._handle(request, body, request_id, seen)
            status = 200
        except AwsError as error:
            status, result = error.status, encode_error(seen["service"], error, request_id)
            self._record_failure(request, seen, error)
        except Exception:  # a bug: log it, never its request's content, and answer without details
            log.exception("request %s failed", request_id)
            failure = ServiceFailure("An internal error occurred.")
            status, result = failure.status, encode_error(seen["service"], failure, request_id)
            self._record_failure(request, seen, failure)
        elapsed = telemetry.timer() - started
        telemetry.request_answered(seen["service"], seen["operation"], status, elapsed, database[0])
        if ACCESS.isEnabledFor(logging.INFO):
            ACCESS.info("%s %s %d %.1f ms", seen["service"], seen["operation"], status, elapsed * 1000)
        return status, result, request_id

    def _record_failure(self, request: Request, seen: dict, error: AwsError) -> None:
        call = seen.get("call")
        if call is None:  # refused before the caller was known, or no such operation: no call happened
            return
        operation = OPERATIONS.get((seen["service"], seen["operation"]))
        read_only = _read_only(seen["service"], operation)
        event = audit_hooks.failed_event(call, seen["service"], seen["operation"], read_only,
                                         seen.get("params"), error, request)
        if event is not None and self.env.audit is not None:  # an event is made only when auditing
            changed = operation is not None and operation.writes
            if changed:  # written at once, in a transaction of its own: in a thread (store.evented)
                evented.in_thread(self.env.audit.write_apart, self.store, event, changed)
            else:
                self.env.audit.write_apart(self.store, event, changed=False)

    def _handle(self, request: Request, body: bytes, request_id: str, seen: dict) -> bytes:
        scope = request.scope  # read straight: Starlette's Request parses its URL and headers anew
        raw_query = scope.get("query_string", b"").decode("latin-1")
        query = parse_form(raw_query) if raw_query else {}  # a POST's query string is mostly empty
        form = dict(query)
        # ASGI's header names are lower-case (uvicorn's and httpx's test transport's alike; web/app.py and
        # read_body compare them so too): decoded, not lowered again.
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        content_type = headers.get("content-type", "")
        if scope["method"] == "POST" and (content_type.startswith(_FORM_TYPE) or not content_type):
            form.update(parse_form(body))
        now = self.clock()
        try:
            service, operation_model = resolve_operation(form)
            resolution_error = None
        except AwsError as error:   # answered once the caller is known, as AWS does
            service, operation_model, resolution_error = None, None, error
        operation = OPERATIONS.get((service, operation_model.name)) if operation_model and service else None
        if operation_model is not None:
            seen["service"], seen["operation"] = service, operation_model.name
        if operation is not None and (operation.anonymous or operation_model.auth_type == "none"):
            return self._anonymous(request, form, headers, now, request_id, operation_model, operation)

        path = scope.get("raw_path", b"/").decode("latin-1").split("?")[0]
        signed = sigv4.parse_signature(scope["method"], path, raw_query, headers, body, query)
        if service is None:   # no operation: the scope's service if it is ours, else the Version's
            service = signed.service if signed.service in SERVICES else service_for_version(form.get("Version"))
        sigv4.check_service(signed, service)
        sigv4.check_freshness(signed, now)
        seen["service"] = service
        for attempt in range(1, ATTEMPTS + 1):
            try:
                result = self._run(request, signed, form, headers, now, request_id, service, operation_model,
                                   operation, resolution_error, seen)
                break
            except Exception as error:  # lost a race with another transaction (lost_race): run it again
                if attempt == ATTEMPTS or not lost_race(error):
                    raise
        return encode_result(service, operation_model, result, request_id)

    def _run(self, request, signed, form, headers, now, request_id, service, operation_model, operation,
             resolution_error, seen: dict):
        """Authenticate, authorize and run the operation in one transaction; the handler's result.
        In the event loop (PostgreSQL, store.evented): a write's transaction (its BEGIN, statements and
        COMMIT wait) in a thread, one hop; so is a read's whose operation needed the pool in its last
        run in the loop (a statement beyond libpq's pipeline: a hop each), for its next _LOOP_RETRY runs."""
        arguments = (request, signed, form, headers, now, request_id, service, operation_model, operation,
                     resolution_error, seen)
        if not evented.in_loop():
            return self._transaction(*arguments)
        name = operation_model.name if operation_model is not None else ""
        if (operation is not None and operation.writes) or self._hopping.get(name):
            if name in self._hopping:
                self._hopping[name] -= 1
            return evented.in_thread(self._transaction, *arguments)
        hops = evented.hops()
        try:
            return self._transaction(*arguments)
        finally:
            if evented.hops() > hops:
                self._hopping[name] = _LOOP_RETRY

    def _transaction(self, request, signed, form, headers, now, request_id, service, operation_model, operation,
                     resolution_error, seen: dict):
        writes = operation.writes if operation else False
        audited = audit_hooks.enabled(self.env)
        temporary = is_temporary(signed.access_key_id, signed.security_token)
        reads = [] if temporary or self.store.is_sqlite else _reads_ahead(signed.access_key_id, operation, form)
        # A read's event is deferred (audit.writer): its transaction stays a read.
        with self.store.transaction(write=writes) as tx, read_ahead(tx, reads):
            owner = authenticate(tx, self.env, signed.access_key_id, signed.security_token, now)
            sigv4.verify_signature(signed, owner.secret_access_key)
            self.env.last_used.record(signed.access_key_id, owner.principal, owner.session, now,
                                      signed.service, signed.region)
            if resolution_error is not None:
                raise resolution_error
            call = Call(
                principal=owner.principal, now=_whole_second(now), request_id=request_id, env=self.env,
                source_ip=_client_host(request), user_agent=headers.get("user-agent", ""),
                region=signed.region, service=service, secure_transport=request.scope.get("scheme") == "https",
                auth_epoch=owner.auth_epoch, tx=tx, session=owner.session, session_context=owner.session_context,
                trail={} if audited else None,
            )
            seen["call"] = call  # from here on the call happened: it is recorded, whatever its outcome
            if operation is None:
                raise NotImplementedOperation(
                    f"iamd does not implement the {service.upper()} operation {operation_model.name} yet."
                )
            params = decode_params(operation_model, form)
            seen["params"] = params
            result = execute(tx, call, operation, params)
            audit_hooks.succeeded(tx, call, service, operation_model.name, _read_only(service, operation), params,
                                  result, request, changed=writes)
            return result

    def _anonymous(self, request: Request, form: dict, headers: dict, now: datetime, request_id: str,
                   operation_model, operation) -> bytes:
        """An operation AWS serves unsigned (the model's auth type "none": AssumeRoleWithWebIdentity,
        AssumeRoleWithSAML): the token in its parameters is the credential, and the handler decides alone."""
        if evented.in_loop():  # rare, and it may write: in a thread
            return evented.in_thread(self._anonymous, request, form, headers, now, request_id, operation_model,
                                     operation)
        params = decode_params(operation_model, form)
        if operation.prepare is not None:
            with self.store.transaction(write=False) as tx:
                slow_step = operation.prepare(tx, self.env, params)
            if slow_step is not None:
                slow_step()  # e.g. fetching an issuer's keys: never while holding the store's write lock
        with self.store.transaction(write=operation.writes) as tx:
            call = Call(
                principal=ANONYMOUS, now=now.replace(microsecond=0), request_id=request_id, env=self.env,
                source_ip=request.client.host if request.client else "", user_agent=headers.get("user-agent", ""),
                service=operation.service, secure_transport=request.url.scheme == "https", tx=tx,
                base_url=str(request.base_url).rstrip("/"),
            )
            result = execute(tx, call, operation, params)
        return encode_result(operation.service, operation_model, result, request_id)


Handle = Callable[[Request, bytes], tuple[int, bytes, str]]


class DatabaseThreads:
    """Where a raw ASGI API (the Query API, the authorization API) runs its handler, and how it answers:
    in a bounded thread pool when the handler may block (PostgreSQL; a fetch over the network), else in
    the event loop; the answer with the headers Starlette's Response would write, in its order.

    The pool is asyncio's executor, not anyio's ``to_thread``: a hop there and back costs half the CPU
    (~25 against ~50-100 µs a request, measured under 16 connections). Each call runs in a copy of the
    caller's context, as ``to_thread`` ran it, so what a handler sets in context variables stays its own."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None  # made at the first threaded request

    async def answer(self, send, handle: Handle, request: Request, body: bytes, threaded: bool,
                     content_type: tuple[bytes, bytes], in_loop: bool = False) -> None:
        """``in_loop``: a threaded handler run in the event loop all the same, whose waits for the
        database the loop serves and whose blocking parts run in the pool (store.evented)."""
        if threaded:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(DATABASE_THREADS, thread_name_prefix="iamd-request")
            if in_loop:
                status, content, request_id = await evented.run(self._executor, handle, request, body)
            else:
                status, content, request_id = await asyncio.get_running_loop().run_in_executor(
                    self._executor, contextvars.copy_context().run, handle, request, body)
        else:
            status, content, request_id = handle(request, body)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"x-amzn-requestid", request_id.encode()),
                                (b"content-length", str(len(content)).encode()), content_type]})
        await send({"type": "http.response.body", "body": content})


async def read_body(scope, receive, send, read_timeout: float) -> bytes | None:
    """The request's body, or None once it has been answered: a body over MAX_BODY is refused from its
    Content-Length before a byte is read (413), one that stops arriving is answered 408, and nobody is
    answered when the client left."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY:
            await _refuse(send, 413, b"Request body is too large.")
            return None
    chunks, size = [], 0
    while True:
        try:
            message = await receive_within(receive, read_timeout)  # no timer when the body is there
        except TimeoutError:
            await _refuse(send, 408, b"The request body stopped arriving.")
            return None
        if message["type"] == "http.disconnect":
            return None  # the client left before its request was complete: nobody to answer
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            await _refuse(send, 413, b"Request body is too large.")
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


# The last whole second a call was dated to: a busy server's requests share it, and ``replace`` (its
# keyword arguments parsed on every call) costs ~9,000 instructions a request, the comparisons a tenth.
_last_second: datetime = datetime.min.replace(tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def _whole_second(now: datetime) -> datetime:
    """``now.replace(microsecond=0)``: equal, with the same tzinfo (the same object) and fold."""
    global _last_second
    second = _last_second  # one read: another thread may replace it meanwhile
    if second.tzinfo is now.tzinfo and second.fold == now.fold and second <= now and now - second < _SECOND:
        return second
    second = _last_second = now.replace(microsecond=0)
    return second


def _client_host(request: Request) -> str:
    client = request.scope.get("client")  # (host, port), as request.client reads it
    return client[0] if client else ""


def _read_only(service: str, operation) -> bool:
    """CloudTrail marks every STS call read-only (it changes nothing in the account), IAM's by what they do."""
    return service == "sts" or (operation is not None and not operation.writes)


def _reads_ahead(key_id: str, operation, form: dict) -> list:
    """The reads to send in the first round trip (PostgreSQL): the caller's key, and those a reading
    operation declares, in the account the key likely belongs to."""
    account_id, reads = key_reads(key_id)
    if operation is not None and operation.reads is not None and not operation.writes and account_id:
        reads += operation.reads(account_id, form)
    return reads


async def _refuse(send, status: int, text: bytes) -> None:
    """Answer before the body is read, and close: the rest of it is never read."""
    await send({"type": "http.response.start", "status": status,
                "headers": _CLOSE + [(b"content-length", str(len(text)).encode())]})
    await send({"type": "http.response.body", "body": text})
