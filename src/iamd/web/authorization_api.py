"""The authorization API's wire: AWS's JSON 1.1 protocol on ``/``, for services that are not AWS-compatible.

    POST /   X-Amz-Target: IamdAuthorization.Verify | Authorize | VerifyAndAuthorize
                           | RegisterService | GetService | ListServices | DeregisterService
             Content-Type: application/x-amz-json-1.1, signed with SigV4 for the service name "iamd"

The caller (a service's key) is authenticated as every other caller (service/authenticate.py, sigv4),
then must be allowed iamd's own action for the operation (iamd:VerifySignature, iamd:Authorize ...,
service/authorization_api). The signed material a caller hands over for verification is checked with
the same two functions, and what is wrong with it (unknown key, bad signature, expired session) is the
answer, not an error of the call: ``{"Authenticated": false, "Error": {"Code", "Message"}}``.
Errors of the call itself are JSON 1.1's: ``{"__type": code, "message": ...}`` with the error's status.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from json.scanner import make_scanner
from typing import Any, Protocol, cast

from starlette.requests import Request

from iamd.errors import AwsError, ServiceFailure, ValidationError
from iamd.protocol import sigv4
from iamd.protocol.decode import parse_form
from iamd.service import authorization_api as api
from iamd.service.authenticate import KeyOwner, is_temporary, key_row, owner_of_key, principal_for_session
from iamd.service.authorization_api import decisions, permission, principals, registry
from iamd.service.authorization_api.keys import KeyRows
from iamd.service.context import Call, Environment
from iamd.service.credentials.last_used import LastUsedRecorder
from iamd.web import audit_hooks, authorization_audit
from iamd.web.api import DatabaseThreads, read_body
from iamd.web.limits import MAX_BODY

log = logging.getLogger("iamd.api")

TARGET_PREFIX = "IamdAuthorization."
SIGNING_NAME = "iamd"
_CONTENT_TYPE = (b"content-type", b"application/x-amz-json-1.1")
_EMPTY_HASH = hashlib.sha256(b"").hexdigest()


def _answer_encoder():
    """json.dumps(answer)'s very text (", " and ": ", ASCII), its C encoder made once: JSONEncoder.encode
    makes a new one for every answer. Without the check for cycles: an answer is a tree built per call
    (the check cost a sixth of encoding a ten-pair answer)."""
    encoder = json.JSONEncoder(check_circular=False)
    if c_make_encoder is None:  # an interpreter without the C accelerator
        return encoder.encode
    chunks = c_make_encoder(None, encoder.default, encode_basestring_ascii, None, ": ", ", ", False, False, True)

    def encode(answer: dict) -> str:
        return "".join(chunks(answer, 0))

    return encode


_ANSWER = _answer_encoder()
# json.loads's scanner, called straight on a body that starts with "{": json.loads would first guess the
# bytes' encoding (UTF-8 for such a body, as it guesses it) and skip leading white space (there is none).
_SCAN = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]  # typeshed calls it a class
_JSON_CODES = {"AccessDenied": "AccessDeniedException", "InvalidClientTokenId": "UnrecognizedClientException",
               "SignatureDoesNotMatch": "InvalidSignatureException", "ValidationError": "ValidationException",
               "MissingAuthenticationToken": "MissingAuthenticationTokenException",
               "IncompleteSignature": "IncompleteSignatureException", "ExpiredToken": "ExpiredTokenException",
               "NoSuchEntity": "ResourceNotFoundException", "EntityAlreadyExists": "ConflictException",
               "InternalFailure": "InternalFailure"}


class Transactions(Protocol):
    """What this API needs of the store (web/app.py hands it the Store)."""

    is_sqlite: bool

    def transaction(self, write: bool = False) -> AbstractContextManager[Any]: ...


class UnknownOperation(AwsError):
    code, status = "UnknownOperationException", 400


def is_authorization_request(headers) -> bool:
    """Whether an ASGI request's raw headers name one of this API's targets."""
    return any(name == b"x-amz-target" and value.startswith(b"IamdAuthorization.") for name, value in headers)


class AuthorizationApi:
    def __init__(self, store: Transactions, env: Environment, *, threaded: bool = False):
        self.store, self.env, self.threaded = store, env, threaded
        self.read_timeout = 10.0  # web/app.py sets the configured one
        self.threads = DatabaseThreads()

    async def __call__(self, scope, receive, send) -> None:
        """An ASGI app of its own, which web/app.py's ApiFirst sends this API's requests to straight (as the
        Query API's): decisions per second are this API's point, and Starlette's routing would cost a part."""
        body = await read_body(scope, receive, send, self.read_timeout)
        if body is None:
            return
        request = Request(scope)
        await self.threads.answer(send, self.handle, request, body, self.threaded, _CONTENT_TYPE)

    def handle(self, request: Request, body: bytes) -> tuple[int, bytes, str]:
        request_id = api.new_request_id()
        failed: list = []  # (the record of a refused call, whether it changed anything): written after its transaction
        try:
            result = self._handle(request, body, request_id, failed)
            return 200, _ANSWER(result).encode(), request_id
        except AwsError as error:
            if self.env.audit is not None:
                for event, changed in failed:
                    self.env.audit.write_apart(self.store, event, changed)
            return error.status, _error_body(error), request_id
        except Exception:  # a bug: log it, answer without details
            log.exception("request %s failed", request_id)
            failure = ServiceFailure("An internal error occurred.")
            return failure.status, _error_body(failure), request_id

    def _handle(self, request: Request, body: bytes, request_id: str, failed: list) -> dict:
        if len(body) > MAX_BODY:
            raise ValidationError("Request body is too large.")
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in request.scope["headers"]}
        raw_query = request.scope.get("query_string", b"").decode("latin-1")
        path = request.scope.get("raw_path", b"/").decode("latin-1").split("?")[0]
        signed = sigv4.parse_signature(request.method, path, raw_query, headers, body, _form(raw_query),
                                       services=(SIGNING_NAME,))
        now = datetime.now(UTC)
        sigv4.check_freshness(signed, now)
        name = headers.get("x-amz-target", "")[len(TARGET_PREFIX):]
        handler = _OPERATIONS.get(name)
        params = _json_body(body)
        # Recorded in the audit trail (event source iamd.amazonaws.com): changes to service definitions in
        # their transaction, decisions (read-only: a service asks for thousands a second) in batches.
        audited = (name in _WRITES or name in _DECISIONS) and audit_hooks.enabled(self.env)
        read_only = name not in _WRITES
        # The client's material read now (what is wrong with it waits for its turn): its key is then read
        # in the same query as the caller's.
        material = _Material(params) if name in _VERIFIES else None
        with self.store.transaction(write=name in _WRITES) as tx:
            owner = self._owner(tx, signed, now, material)
            sigv4.verify_signature(signed, owner.secret_access_key)
            self._last_used().record(signed.access_key_id, owner.principal, owner.session, now, signed.service,
                                      signed.region)
            if handler is None:
                raise UnknownOperation(f"Operation {headers.get('x-amz-target', '')} is not supported.")
            call = Call(principal=owner.principal, now=principals.to_the_second(now), request_id=request_id,
                        env=self.env, source_ip=_client_host(request.scope),
                        user_agent=headers.get("user-agent", ""), region=signed.region, service=SIGNING_NAME,
                        secure_transport=request.scope.get("scheme") == "https", auth_epoch=owner.auth_epoch, tx=tx,
                        session=owner.session, session_context=owner.session_context,
                        trail={} if audited else None)
            # A decision's parameters as the record's text (audit_hooks hands them to record.py as they are).
            recorded: Any = authorization_audit.recorded(params) if audited and read_only else params
            try:
                result = handler(self, tx, call, params) if material is None else handler(self, tx, call, params,
                                                                                           material)
            except AwsError as error:
                if audited:
                    failure = audit_hooks.failed_event(call, SIGNING_NAME, name, read_only, recorded, error, request)
                    if failure is not None:
                        failed.append((failure, not read_only))
                raise
            if audited and read_only:
                assert call.trail is not None  # audited calls carry one
                call.trail.update(authorization_audit.outcome(result))
                audit_hooks.succeeded(tx, call, SIGNING_NAME, name, True, recorded, None, request, changed=False)
            elif audited:
                audit_hooks.succeeded(tx, call, SIGNING_NAME, name, False, params, result, request)
            return result

    def _last_used(self) -> LastUsedRecorder:
        return cast(LastUsedRecorder, self.env.last_used)

    def _owner(self, tx, signed: sigv4.SignedRequest, now: datetime, material: _Material | None = None) -> KeyOwner:
        """Who signed: the call's caller, or the client whose ``material`` it hands over. The caller's key
        and a client's long-term key are read in one query (service/authorization_api/keys.py)."""
        key_id = signed.access_key_id
        if is_temporary(key_id, signed.security_token):
            assert self.env.sessions is not None  # web/worker.py always gives one
            return principal_for_session(tx, self.env.sessions, key_id, signed.security_token, now)
        rows = None
        if material is not None:
            rows = material.keys
            if rows is None and material.signed is not None and material.signed is not signed:
                client = material.signed
                if not is_temporary(client.access_key_id, client.security_token) \
                        and KeyRows.readable(key_id, client.access_key_id):
                    rows = material.keys = KeyRows(tx, key_id, client.access_key_id)
        if rows is None:
            return owner_of_key(self.env.secrets, key_row(tx, key_id))
        return owner_of_key(self.env.secrets, key_row(tx, key_id, rows))  # type: ignore[arg-type]  # a HotQuery's first()

    # ---- the operations --------------------------------------------------------------------------

    def verify(self, tx, call: Call, params: dict, material: _Material) -> dict:
        permission.require(tx, call, api.VERIFY, "*")
        verified = self._verified(tx, call, params, material)
        if isinstance(verified, dict):
            return verified
        subject, signed = verified
        return {"Authenticated": True, "Principal": principals.describe(subject), "Signature": _signature(signed)}

    def authorize(self, tx, call: Call, params: dict) -> dict:
        arn = params.get("PrincipalArn")
        if not isinstance(arn, str) or not arn:
            raise ValidationError("PrincipalArn is required: the ARN of a user, a role or a role session.")
        permission.require(tx, call, api.AUTHORIZE, arn)
        # aws:RequestedRegion: the caller's signing region unless its Context says (decisions.connection_keys).
        subject = principals.call_for_arn(tx, self.env, call.account_id, arn, call.now, call.request_id,
                                          call.region)
        return {"Principal": {"Arn": subject.principal.arn, "AccountId": subject.account_id},
                "Results": self._decide(tx, subject, params)}

    def verify_and_authorize(self, tx, call: Call, params: dict, material: _Material) -> dict:
        tally = permission.Tally()  # the call's three decisions or more, counted once
        try:
            own = permission.Permissions(tx, call, tally)  # both of the caller's checks on one request context
            own.require(api.VERIFY, "*")
            checked = _decision_params(params)  # bad input is the caller's error, whatever the signature
            pairs, context, policy, owner = checked
            connection = decisions.connection_keys(context)
            verified = self._verified(tx, call, params, material, connection)
            if isinstance(verified, dict):
                return verified
            subject, signed = verified
            own.require(api.AUTHORIZE, subject.principal.arn)
            decider = decisions.decider_for(tx, subject, context, policy, connection)
            results = decisions.authorize_pairs(tx, subject, pairs, context, policy, owner, decider=decider,
                                                tally=tally)
            # Its tags as its decisions loaded them: the Authorizer is not asked twice.
            return {"Authenticated": True, "Principal": principals.describe(subject, decider.principal_tags()),
                    "Signature": _signature(signed), "Results": results}
        finally:
            tally.count()

    def _decide(self, tx, subject: Call, params: dict) -> list[dict]:
        return decisions.authorize_pairs(tx, subject, *_decision_params(params))

    def _verified(self, tx, call: Call, params: dict, material: _Material,
                  connection: dict | None = None) -> tuple[Call, sigv4.SignedRequest] | dict:
        """The verified principal's call (with the ``connection`` keys its decisions are asked with), or the
        answer saying why the material does not verify."""
        try:
            signed = material.checked()
            expected = params.get("Service")
            if expected is not None:
                sigv4.check_service(signed, str(expected))
            now = datetime.now(UTC)
            sigv4.check_freshness(signed, now)
            owner = self._owner(tx, signed, now, material)
            if "StringToSign" in params:
                sigv4.verify_string_to_sign(params["StringToSign"], signed, owner.secret_access_key)
            else:
                sigv4.verify_signature(signed, owner.secret_access_key)
        except ValidationError:
            raise
        except AwsError as error:
            return {"Authenticated": False, "Error": {"Code": error.code, "Message": error.message or ""}}
        self._last_used().record(signed.access_key_id, owner.principal, owner.session, call.now, signed.service,
                                  signed.region)
        return principals.principal_call(tx, self.env, owner, call.now, call.request_id, signed.region,
                                         connection), signed

    def register_service(self, tx, call: Call, params: dict) -> dict:
        return registry.register_operation(tx, call, params)

    def get_service(self, tx, call: Call, params: dict) -> dict:
        return registry.get_operation(tx, call, params)

    def list_services(self, tx, call: Call, params: dict) -> dict:
        return registry.list_operation(tx, call, params)

    def deregister_service(self, tx, call: Call, params: dict) -> dict:
        return registry.deregister_operation(tx, call, params)


_OPERATIONS: dict[str, Callable[..., dict]] = {
    "Verify": AuthorizationApi.verify, "Authorize": AuthorizationApi.authorize,
    "VerifyAndAuthorize": AuthorizationApi.verify_and_authorize,
    "RegisterService": AuthorizationApi.register_service, "GetService": AuthorizationApi.get_service,
    "ListServices": AuthorizationApi.list_services, "DeregisterService": AuthorizationApi.deregister_service}
_WRITES = frozenset({"RegisterService", "DeregisterService"})
_DECISIONS = frozenset({"Verify", "Authorize", "VerifyAndAuthorize"})
_VERIFIES = frozenset({"Verify", "VerifyAndAuthorize"})  # the operations handed a client's material


class _Material:
    """The client's signed material of a Verify or VerifyAndAuthorize, parsed before the call's own key is
    read (so that both keys are read in one query), and what is wrong with it, raised only when the
    operation comes to it (``checked``): the caller's own authentication and permissions answer first."""

    def __init__(self, params: dict):
        self.signed: sigv4.SignedRequest | None = None
        self.error: Exception | None = None
        self.keys: KeyRows | None = None  # the caller's and the client's key rows, once read
        try:
            self.signed = _material(params)
        except Exception as error:  # noqa: BLE001 -- raised again by checked(), in the operation's order
            self.error = error

    def checked(self) -> sigv4.SignedRequest:
        if self.signed is None:
            assert self.error is not None
            raise self.error
        return self.signed


def _decision_params(params: dict) -> tuple:
    pairs = decisions.pairs_of(params.get("Actions"), params.get("Resources"))
    context = decisions.check_context(params.get("Context"))
    policy, owner = decisions.check_resource_policy(params.get("ResourcePolicy"), params.get("ResourceOwner"))
    return pairs, context, policy, owner


def _material(params: dict) -> sigv4.SignedRequest:
    """The client's signed request (headers or presigned query), or its string to sign and signature."""
    if "StringToSign" in params:
        text, signature, key_id = params.get("StringToSign"), params.get("Signature"), params.get("AccessKeyId")
        token = params.get("SecurityToken")
        if not (isinstance(text, str) and isinstance(signature, str) and isinstance(key_id, str)
                and text and signature and key_id) or not isinstance(token, str | None):
            raise ValidationError("StringToSign, Signature and AccessKeyId must be non-empty strings.")
        return sigv4.parse_string_to_sign(key_id, text, signature, token)
    material = params.get("Request")
    if not isinstance(material, dict):
        raise ValidationError("Request (the client's signed request) or StringToSign is required.")
    method, path, query = material.get("Method", "GET"), material.get("Path", "/"), material.get("Query", "")
    payload_hash = material.get("PayloadHash", _EMPTY_HASH)
    if not (isinstance(method, str) and isinstance(path, str) and isinstance(query, str)
            and isinstance(payload_hash, str)):
        raise ValidationError("Request's Method, Path, Query and PayloadHash must be strings.")
    headers = _headers(material.get("Headers"))
    query = query.lstrip("?")
    return sigv4.parse_signature(method.upper(), path, query, headers, b"", _form(query), payload_hash=payload_hash)


def _client_host(scope: Mapping[str, Any]) -> str:
    """``request.client.host``, or "" without a client: Starlette's property makes an Address each time."""
    client = scope.get("client")
    return client[0] if client is not None else ""


def _form(query: str) -> dict[str, str]:
    return parse_form(query) if query else {}  # most requests have none: parse_qsl costs a few µs


def _headers(given: object) -> dict[str, str]:
    """Headers as an object, or as [name, value] pairs (repeated names joined with commas, as HTTP does)."""
    pairs = given.items() if isinstance(given, dict) else given if isinstance(given, list) else None
    if pairs is None:
        raise ValidationError("Request.Headers must be an object or a list of [name, value] pairs.")
    headers: dict[str, str] = {}
    for pair in pairs:
        if not (isinstance(pair, list | tuple) and len(pair) == 2 and isinstance(pair[0], str)
                and isinstance(pair[1], str)):
            raise ValidationError("Each header must be a name and a string value.")
        name, value = pair
        name = name.lower()
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _signature(signed: sigv4.SignedRequest) -> dict:
    return {"AccessKeyId": signed.access_key_id, "Region": signed.region, "Service": signed.service,
            "SignedAt": signed.amz_date}


def _json_body(body: bytes) -> dict:
    if body[:1] == b"{" and body[1:2] != b"\0":  # a JSON object in UTF-8 (json.loads's guess): scanned straight
        try:
            text = body.decode("utf-8", "surrogatepass")
            value, end = _SCAN(text, 0)
        except (ValueError, StopIteration):  # UnicodeDecodeError is a ValueError
            raise ValidationError("The request body is not valid JSON.") from None
        if text[end:].strip(" \t\n\r"):  # json.loads refuses anything but JSON's white space after the value
            raise ValidationError("The request body is not valid JSON.")
        return value
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise ValidationError("The request body must be a JSON object.")
    return value


def _error_body(error: AwsError) -> bytes:
    return json.dumps({"__type": _JSON_CODES.get(error.code, error.code), "message": error.message or ""}).encode()
