"""The CloudTrail-style event of a forwarded or refused request: eventSource ``<service>.amazonaws.com``,
the operation's name, the caller, the decision. Cheap: written in the authorization's own transaction,
with the request's scalar members only (no bodies, no items, no secrets)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iamd.audit.record import Event, Outcome, Transport, build
from iamd.service.context import Call

# Members that carry data or secrets, never recorded (CloudTrail leaves them out of data events too).
_NEVER = frozenset({"body", "secretstring", "secretbinary", "plaintext", "ciphertextblob", "password", "value",
                    "messagebody", "message", "sseCustomerKey".lower(), "ssecustomerkeymd5", "item", "key_material",
                    "importtoken", "encryptedkeymaterial", "payload", "zipfile"})
_READ_PREFIXES = ("Get", "List", "Describe", "Head", "Query", "Scan", "BatchGet", "Lookup", "Search", "Select",
                  "Check")
_MAX_VALUE = 256


def read_only(operation: str) -> bool:
    return operation.startswith(_READ_PREFIXES)


def recorded_params(params: Mapping[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name, value in params.items():
        if name.lower() in _NEVER or not isinstance(value, (str, int, float, bool)):
            continue
        kept[name] = value[:_MAX_VALUE] if isinstance(value, str) else value
    return kept


def event(call: Call, service: str, operation: str, params: Mapping[str, Any], host: str, *,
          error_code: str | None = None, error_message: str | None = None) -> Event:
    decision = (call.trail or {}).get("decision")
    outcome = Outcome(error_code=error_code, error_message=error_message, decision=decision,
                      decided_by="root user" if decision is None and call.principal.is_root else "")
    return build(call, service, operation, read_only(operation), recorded_params(params), outcome,
                 Transport(host=host))
