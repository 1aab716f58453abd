"""The web layer's side of the audit trail: what only the request knows (host header, protocol error
names), handed to audit/ so that api.py and the console need one call each."""

from __future__ import annotations

from functools import cache, lru_cache

from starlette.requests import Request

from iamd.audit import record
from iamd.audit.record import Outcome, Transport, build
from iamd.errors import AwsError
from iamd.protocol.model import service_model
from iamd.service.authorize import AUTHORIZED_BY_HANDLER, NEVER_DENIED
from iamd.service.context import Call


def enabled(env) -> bool:
    return env.audit is not None and env.audit.enabled


def transport(request: Request, secure: bool, console: bool = False) -> Transport:
    """What the record needs of the connection: the Host header for tlsDetails, over HTTPS only
    (reading a header makes Starlette parse them all: a few µs on every call otherwise)."""
    if not secure and not console:
        return record.PLAIN
    return Transport(host=request.headers.get("host", "") if secure else "", console=console)


@cache
def _error_shapes(service: str) -> frozenset:
    return frozenset(shape.name for shape in service_model(service).error_shapes)


def error_code(service: str, error: AwsError) -> str:
    """CloudTrail names IAM's modelled errors by their shape: NoSuchEntity → NoSuchEntityException."""
    if service in ("iam", "sts") and f"{error.code}Exception" in _error_shapes(service):
        return f"{error.code}Exception"
    return error.code


def _decided_by(call: Call, service: str, name: str) -> str:
    return "root user" if call.principal.is_root else _decided_by_action(service, name)


@lru_cache(maxsize=1024)  # by operation: the f-string and the two lookups cost more than the lookup here
def _decided_by_action(service: str, name: str) -> str:
    action = f"{service}:{name}"
    if action in NEVER_DENIED:
        return "no permission required"
    if action in AUTHORIZED_BY_HANDLER:
        return "the role's trust policy, weighed by the operation"
    return ""


def succeeded(tx, call: Call, service: str, name: str, read_only: bool, params: dict | None, result: dict | None,
              request: Request, console: bool = False, changed: bool = True) -> None:
    """A change's event goes into its transaction; that of a call that ``changed`` nothing is deferred
    (audit.writer): only after its last statement, so a transaction run again never records twice."""
    if call.trail is None or call.env.audit is None:  # a trail is kept only when auditing
        return
    # _decided_by and transport, inline: their calls cost ~1.5k instructions of a GetUser's record.
    secure = call.secure_transport
    decided_by = "root user" if call.principal.kind == "root" else _decided_by_action(service, name)  # a StrEnum
    event = record.succeeded(call, service, name, read_only, params, result, decided_by,
                             record.PLAIN if not secure and not console else transport(request, secure, console))
    if changed:
        call.env.audit.write(tx, event)
    else:
        call.env.audit.defer(tx, event)


def failed_event(call: Call, service: str, name: str, read_only: bool, params: dict | None, error: AwsError,
                 request: Request, console: bool = False):
    """The record of a refused or failed call (None when the call is not recorded)."""
    if call.trail is None:
        return None
    outcome = Outcome(error_code=error_code(service, error), error_message=error.message,
                      decision=getattr(error, "decision", None) or call.trail.get("decision"),
                      decided_by=_decided_by(call, service, name))
    return build(call, service, name, read_only, params, outcome, transport(request, call.secure_transport, console))
