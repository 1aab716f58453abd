"""CloudTrail's JSON protocol and Access Analyzer's rest-json at the same endpoint as the Query API.

    POST /  X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents
    PUT  /policy/generation            StartPolicyGeneration
    GET  /policy/generation            ListPolicyGenerations
    GET  /policy/generation/{jobId}    GetGeneratedPolicy

The same steps as the Query API (web/api.py): SigV4 (scoped to ``cloudtrail`` or ``access-analyzer``),
the caller's key, one transaction, authorization by the engine, the audit record; only the wire differs:
JSON in, JSON out, errors as ``__type`` (json) or the ``x-amzn-ErrorType`` header (rest-json).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from iamd.audit.errors import JsonValidation, ResourceNotFound
from iamd.audit.operations import OPERATIONS, READS_TRAIL
from iamd.errors import AwsError, ServiceFailure
from iamd.protocol import sigv4
from iamd.protocol.decode import parse_form
from iamd.service.authenticate import authenticate
from iamd.service.context import Call, Environment
from iamd.service.dispatch import execute
from iamd.service.runtime import Store, new_request_id
from iamd.web import audit_hooks

log = logging.getLogger("iamd.api")

TARGET_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
_SIGNING = {"cloudtrail": ("cloudtrail",), "access-analyzer": ("access-analyzer",)}
# What JSON services call the errors the Query API names otherwise.
_JSON_CODES = {"AccessDenied": "AccessDeniedException", "InvalidClientTokenId": "UnrecognizedClientException",
               "SignatureDoesNotMatch": "InvalidSignatureException", "ValidationError": "ValidationException",
               "MissingAuthenticationToken": "MissingAuthenticationTokenException",
               "IncompleteSignature": "IncompleteSignatureException", "ExpiredToken": "ExpiredTokenException",
               "InternalFailure": "InternalFailure"}


class UnknownOperation(AwsError):
    code, status = "UnknownOperationException", 400


def is_json_request(request: Request) -> bool:
    return "x-amz-target" in request.headers


class JsonApi:
    def __init__(self, store: Store, env: Environment, *, threaded: bool = False):
        self.store = store
        self.env = env
        self.threaded = threaded

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        if self.threaded:
            return await run_in_threadpool(self.handle, request, body)
        return self.handle(request, body)

    def handle(self, request: Request, body: bytes) -> Response:
        request_id = new_request_id()
        rest = "x-amz-target" not in request.headers
        seen: dict = {}
        try:
            status, result = 200, self._handle(request, body, request_id, seen, rest)
            content = json.dumps(result, default=_json_default).encode()
            headers = {"x-amzn-RequestId": request_id}
        except AwsError as error:
            status, content, headers = _error(error, request_id, rest)
            self._record_failure(request, seen, error)
        except Exception:  # a bug: log it, answer without details
            log.exception("request %s failed", request_id)
            failure = ServiceFailure("An internal error occurred.")
            status, content, headers = _error(failure, request_id, rest)
            self._record_failure(request, seen, failure)
        media = "application/json" if rest else "application/x-amz-json-1.1"
        return Response(content, status_code=status, media_type=media, headers=headers)

    def _route(self, request: Request, body: bytes, rest: bool) -> tuple[str, str, dict]:
        """(service, operation, params) of the request."""
        if not rest:
            target = request.headers["x-amz-target"]
            if not target.startswith(TARGET_PREFIX):
                raise UnknownOperation(f"Operation {target} is not supported.")
            return "cloudtrail", target[len(TARGET_PREFIX):], _json_body(body)
        parts = [part for part in request.url.path.split("/") if part]
        query = dict(parse_qsl(request.url.query))
        if parts[:2] == ["policy", "generation"] and len(parts) == 2:
            if request.method == "PUT":
                return "access-analyzer", "StartPolicyGeneration", _json_body(body)
            if request.method == "GET":
                params: dict[str, str | int | None] = {"principalArn": query.get("principalArn"),
                                                       "nextToken": query.get("nextToken")}
                if "maxResults" in query:
                    try:
                        params["maxResults"] = int(query["maxResults"])
                    except ValueError:
                        raise JsonValidation("maxResults must be a number.", "fieldValidationFailed",
                                             ("maxResults",)) from None
                return "access-analyzer", "ListPolicyGenerations", {k: v for k, v in params.items() if v is not None}
        if parts[:2] == ["policy", "generation"] and len(parts) == 3 and request.method == "GET":
            return "access-analyzer", "GetGeneratedPolicy", {"jobId": parts[2], **query}
        raise UnknownOperation(f"No operation at {request.method} {request.url.path}.")

    def _handle(self, request: Request, body: bytes, request_id: str, seen: dict, rest: bool) -> dict | None:
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in request.scope["headers"]}
        raw_query = request.scope.get("query_string", b"").decode("latin-1")
        path = request.scope.get("raw_path", b"/").decode("latin-1").split("?")[0]
        signed = sigv4.parse_signature(request.method, path, raw_query, headers, body, parse_form(raw_query),
                                       services=("cloudtrail", "access-analyzer"))
        now = datetime.now(UTC)
        sigv4.check_freshness(signed, now)
        service, name, params = self._route(request, body, rest)
        operation = OPERATIONS.get((service, name))
        audit = self.env.audit if audit_hooks.enabled(self.env) else None
        audited = audit is not None
        writes = operation.writes if operation else False
        if audit is not None and (service, name) in READS_TRAIL:
            audit.flush("reader")  # this process's deferred events first: a reader sees its own calls
        with self.store.transaction(write=writes) as tx:
            owner = authenticate(tx, self.env, signed.access_key_id, signed.security_token, now)
            sigv4.verify_signature(signed, owner.secret_access_key)
            self.env.last_used.record(signed.access_key_id, owner.principal, owner.session, now, signed.service,
                                      signed.region)
            call = Call(
                principal=owner.principal, now=now.replace(microsecond=0), request_id=request_id, env=self.env,
                source_ip=request.client.host if request.client else "", user_agent=headers.get("user-agent", ""),
                region=signed.region, service=service, secure_transport=request.url.scheme == "https",
                auth_epoch=owner.auth_epoch, tx=tx, session=owner.session, session_context=owner.session_context,
                trail={} if audited else None,
            )
            if operation is None:
                raise UnknownOperation(f"Operation {name} is not supported.")
            seen.update(call=call, service=service, name=name, params=params, read_only=not operation.writes)
            result = execute(tx, call, operation, params)
            audit_hooks.succeeded(tx, call, service, name, not operation.writes, params, _plain(result), request,
                                  changed=operation.writes)
        return result

    def _record_failure(self, request: Request, seen: dict, error: AwsError) -> None:
        if "call" not in seen:
            return
        event = audit_hooks.failed_event(seen["call"], seen["service"], seen["name"], seen["read_only"],
                                         seen["params"], error, request)
        if event is not None and self.env.audit is not None:  # an event is made only when auditing
            self.env.audit.write_apart(self.store, event, changed=not seen["read_only"])


def _json_body(body: bytes) -> dict:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise JsonValidation("The request body is not valid JSON.", "other") from None
    if not isinstance(value, dict):
        raise JsonValidation("The request body must be a JSON object.", "other")
    return value


def _json_default(value):
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _plain(result):
    """The result as CloudTrail's responseElements would hold it (dates as JSON numbers)."""
    return json.loads(json.dumps(result, default=_json_default)) if result else result


def _error(error: AwsError, request_id: str, rest: bool) -> tuple[int, bytes, dict]:
    code = _JSON_CODES.get(error.code, error.code)
    status = error.status
    if not rest and code == "AccessDeniedException":
        status = 400  # CloudTrail's JSON protocol answers a refusal with 400 (Access Analyzer's model: 403)
    headers = {"x-amzn-RequestId": request_id}
    if rest:
        headers["x-amzn-ErrorType"] = code
        body: dict = {"message": error.message or ""}
        if isinstance(error, JsonValidation):
            body.update(reason=error.reason, fieldList=[{"name": f, "message": error.message} for f in error.fields])
        if isinstance(error, ResourceNotFound):
            body.update(resourceId=error.resource_id, resourceType=error.resource_type)
    else:
        body = {"__type": code, "message": error.message or ""}
    return status, json.dumps(body).encode(), headers
