"""The Query API endpoint: one HTTP request in, one XML document out.

    body/query ─► protocol.decode.parse_form ─► protocol.model.resolve_operation
               ─► protocol.sigv4 (who signed it) ─► service.authenticate (whose key)
               ─► protocol.decode.decode_params ─► service.authorize ─► the handler
               ─► protocol.encode

Authentication, authorization and the operation share one store transaction, so a failed request
leaves nothing behind.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import anyio
import anyio.to_thread

from iamd import telemetry
from iamd.logs import ACCESS
from iamd.errors import AwsError, NotImplementedOperation, ServiceFailure, ValidationError
from iamd.protocol import sigv4
from iamd.protocol.decode import decode_params, parse_form
from iamd.protocol.encode import encode_error, encode_result
from iamd.protocol.model import resolve_operation
from iamd.security import ids
from iamd.service.authenticate import key_reads, principal_for_key, principal_for_session
from iamd.service.dispatch import execute
from iamd.service.context import Call, Environment
from iamd.service.operations import OPERATIONS
from iamd.store.database import Store
from iamd.store.fastpath import read_ahead

log = logging.getLogger("iamd.api")

MAX_BODY = 1024 * 1024
_FORM_TYPE = "application/x-www-form-urlencoded"
_CONTENT_TYPE = (b"content-type", b"text/xml; charset=utf-8")
# Threaded (PostgreSQL): requests at once in threads, one pooled connection each (store.database's pool_size).
DATABASE_THREADS = 16


class QueryApi:
    def __init__(self, store: Store, env: Environment, *, threaded: bool = False, clock=None):
        self.store = store
        self.env = env
        # SQLite answers in microseconds: handling in the event loop beats a thread hop. PostgreSQL's
        # round trips would stall the loop, so its requests go to the thread pool.
        self.threaded = threaded
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._limiter: anyio.CapacityLimiter | None = None  # made in the event loop, at the first request

    async def __call__(self, scope, receive, send) -> None:
        """An ASGI app of its own: Starlette's Request, Response and routing cost more than the
        few lines they would save here (web/app.py sends GET and POST on / straight here)."""
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before its request was complete: nobody to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if self.threaded:
            if self._limiter is None:
                self._limiter = anyio.CapacityLimiter(DATABASE_THREADS)
            status, content, request_id = await anyio.to_thread.run_sync(self.handle, scope, body,
                                                                         limiter=self._limiter)
        else:
            status, content, request_id = self.handle(scope, body)
        # The headers Starlette's Response wrote, in its order.
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"x-amzn-requestid", request_id.encode()),
                                (b"content-length", str(len(content)).encode()), _CONTENT_TYPE]})
        await send({"type": "http.response.body", "body": content})

    def handle(self, scope: dict, body: bytes) -> tuple[int, bytes, str]:
        request_id = ids.request_id()
        started = telemetry.timer()
        database = telemetry.start_request(request_id)
        seen = {"service": "iam", "operation": "unknown"}
        try:
            result = self._handle(scope, body, request_id, seen)
            status = 200
        except AwsError as error:
            status, result = error.status, encode_error(seen["service"], error, request_id)
        except Exception:  # a bug: log it, never its request's content, and answer without details
            log.exception("request %s failed", request_id)
            error = ServiceFailure("An internal error occurred.")
            status, result = error.status, encode_error(seen["service"], error, request_id)
        elapsed = telemetry.timer() - started
        telemetry.request_answered(seen["service"], seen["operation"], status, elapsed, database[0])
        if ACCESS.isEnabledFor(logging.INFO):
            ACCESS.info("%s %s %d %.1f ms", seen["service"], seen["operation"], status, elapsed * 1000)
        return status, result, request_id

    def _handle(self, scope: dict, body: bytes, request_id: str, seen: dict) -> bytes:
        if len(body) > MAX_BODY:
            raise ValidationError("Request body is too large.")
        method = scope["method"]
        raw_query = scope.get("query_string", b"").decode("latin-1")
        query = parse_form(raw_query) if raw_query else {}
        form = dict(query)
        # Repeated headers: the last wins, as it did with a dict built from Starlette's header list.
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        content_type = headers.get("content-type", "")
        if method == "POST" and (content_type.startswith(_FORM_TYPE) or not content_type):
            form.update(parse_form(body))
        now = self.clock()

        signed = sigv4.parse_signature(method, scope.get("raw_path", b"/").decode("latin-1").split("?")[0],
                                       raw_query, headers, body, query)
        sigv4.check_freshness(signed, now)
        try:
            service, operation_model = resolve_operation(form)
            resolution_error = None
        except AwsError as error:
            service, operation_model, resolution_error = signed.service, None, error
        operation = OPERATIONS.get((service, operation_model.name)) if operation_model else None
        seen["service"] = service
        if operation_model is not None:
            seen["operation"] = operation_model.name

        temporary = signed.security_token is not None or signed.access_key_id.startswith("ASIA")
        reads = [] if temporary or self.store.is_sqlite else _reads_ahead(signed.access_key_id, operation, form)
        with self.store.transaction(write=operation.writes if operation else False) as tx, read_ahead(tx, reads):
            if temporary:
                owner = principal_for_session(tx, self.env.sessions, signed.access_key_id, signed.security_token, now)
            else:
                owner = principal_for_key(tx, self.env.secrets, signed.access_key_id)
            sigv4.verify_signature(signed, owner.secret_access_key)
            self.env.last_used.record(signed.access_key_id, owner.principal, owner.session, now, signed.service, signed.region)
            if resolution_error is not None:
                raise resolution_error
            if operation is None:
                raise NotImplementedOperation(
                    f"iamd does not implement the {service.upper()} operation {operation_model.name} yet."
                )
            params = decode_params(operation_model, form)
            call = Call(
                principal=owner.principal, now=now.replace(microsecond=0), request_id=request_id, env=self.env,
                source_ip=scope["client"][0] if scope.get("client") else "", user_agent=headers.get("user-agent", ""),
                region=signed.region, service=service, secure_transport=scope.get("scheme") == "https",
                auth_epoch=owner.auth_epoch, tx=tx, session=owner.session, session_context=owner.session_context,
            )
            result = execute(tx, call, operation, params)
        return encode_result(service, operation_model, result, request_id)


def _reads_ahead(key_id: str, operation, form: dict) -> list:
    """The reads to send in the first round trip (PostgreSQL): the caller's key, and those a reading
    operation declares, in the account the key likely belongs to."""
    account_id, reads = key_reads(key_id)
    if operation is not None and operation.reads is not None and not operation.writes and account_id:
        reads += operation.reads(account_id, form)
    return reads
