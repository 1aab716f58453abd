"""One call → one CloudTrail record, as "CloudTrail record contents" (AWS CloudTrail User Guide) lists
its fields, eventVersion 1.09, and "CloudTrail userIdentity element" its caller.

Beside AWS's fields, ``iamdAuthorization`` says what decided: the policies and statements that allowed
or denied the call (CloudTrail's readers ignore fields they do not know).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from iamd.audit.redact import cloudtrail_value
from iamd.security import ids
from iamd.security.principal_kind import PrincipalKind
from iamd.service.context import Call

EVENT_VERSION = "1.09"
SOURCES = {"iam": "iam.amazonaws.com", "sts": "sts.amazonaws.com", "cloudtrail": "cloudtrail.amazonaws.com",
           "access-analyzer": "access-analyzer.amazonaws.com"}
# Calls whose answer CloudTrail keeps although they change nothing: the credentials STS hands out.
_RESPONSE_KEPT = frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "GetSessionToken",
                            "GetFederationToken", "AssumeRoot"})
# Request members that name a resource, and the type CloudTrail's Event history gives it.
_RESOURCE_MEMBERS = (
    ("UserName", "AWS::IAM::User"), ("RoleName", "AWS::IAM::Role"), ("GroupName", "AWS::IAM::Group"),
    ("PolicyArn", "AWS::IAM::Policy"), ("PolicyName", "AWS::IAM::Policy"), ("AccessKeyId", "AWS::IAM::AccessKey"),
    ("InstanceProfileName", "AWS::IAM::InstanceProfile"), ("RoleArn", "AWS::IAM::Role"),
    ("SerialNumber", "AWS::IAM::MFADevice"), ("SAMLProviderArn", "AWS::IAM::SAMLProvider"),
    ("OpenIDConnectProviderArn", "AWS::IAM::OIDCProvider"), ("ServerCertificateName", "AWS::IAM::ServerCertificate"),
)
# member → (its place in the list above, the resource type)
_RESOURCE_KINDS = {member: (place, kind) for place, (member, kind) in enumerate(_RESOURCE_MEMBERS)}
# Compact JSON, made once: json.dumps with options builds a new encoder for every record.
JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
# A string as JSON, escaped as JSON above escapes it (encode_basestring is what it calls for each string).
_STRING = encode_basestring
# Long-term credentials' userIdentity as JSON, by everything it is made of: a caller's events share one.
_IDENTITIES: dict[tuple, str] = {}
_MAX_IDENTITIES = 10_000


@dataclass(slots=True)
class Outcome:
    """How a call ended, for its record."""

    result: dict | None = None
    error_code: str | None = None
    error_message: str | None = None
    decision: Any = None  # policy.Decision (audit imports no policy), None when no policy was evaluated
    decided_by: str = ""  # why no policy was evaluated: "root", "no permission required", "trust policy"


@dataclass(slots=True)
class Transport:
    host: str = ""
    tls_version: str = ""
    cipher_suite: str = ""
    console: bool = False


@dataclass(slots=True)
class Event:
    """The record and the columns the store filters on."""

    record: dict | str  # the CloudTrail record, or its JSON text (``build`` writes the text straight)
    event_id: str
    account_id: str
    event_ms: int
    event_source: str
    event_name: str
    username: str | None
    access_key_id: str | None
    read_only: bool
    principal_key: str | None
    error_code: str | None
    resources: list = field(default_factory=list)  # [(type, name)]


def user_identity(call: Call, console: bool) -> dict:
    principal, session = call.principal, call.session
    kind = principal.kind
    identity: dict = {"type": {"root": "Root", "user": "IAMUser", "assumed-role": "AssumedRole",
                               "federated-user": "FederatedUser"}.get(kind, kind),
                      "principalId": principal.id, "arn": principal.arn, "accountId": principal.account_id,
                      "accessKeyId": principal.access_key_id}
    if kind is PrincipalKind.USER:
        identity["userName"] = principal.name
    attributes = {"creationDate": _iso(datetime.fromtimestamp(session.issued_at, UTC)) if session else None,
                  "mfaAuthenticated": call.session_context.get("aws:MultiFactorAuthPresent", "false")}
    if kind is PrincipalKind.ASSUMED_ROLE:
        role_name = (session.role_name if session else None) or ""
        role_arn = ids.entity_arn(principal.account_id, "role", principal.path, role_name)
        identity["sessionContext"] = {
            "sessionIssuer": {"type": "Role", "principalId": (session.role_id if session else None) or "",
                              "arn": role_arn, "accountId": principal.account_id, "userName": role_name},
            "attributes": attributes}
        if session and session.source_identity:
            identity["sessionContext"]["sourceIdentity"] = session.source_identity
    elif kind is PrincipalKind.FEDERATED_USER:
        identity["sessionContext"] = {"sessionIssuer": {"type": "IAMUser" if session and session.user_id else "Root",
                                                        "accountId": principal.account_id},
                                      "attributes": attributes}
    elif session is not None or console:
        identity["sessionContext"] = {"attributes": attributes}
    if not attributes["creationDate"]:
        attributes.pop("creationDate")
    return identity


def username_of(call: Call) -> str:
    """The user name LookupEvents shows and filters on: the user's name, the session's name, "root"."""
    principal = call.principal
    return "root" if principal.is_root else principal.name


def principal_key(call: Call) -> str:
    """Who the call counts for in policy generation: a role's sessions all count for the role."""
    principal, session = call.principal, call.session
    if principal.kind is PrincipalKind.ASSUMED_ROLE:
        role_name = (session.role_name if session else None) or ""
        return ids.entity_arn(principal.account_id, "role", principal.path, role_name)
    if principal.kind is PrincipalKind.FEDERATED_USER and session and session.user_id:
        return f"user-id:{session.user_id}"
    return principal.arn


def resources_of(params: dict | None) -> list[tuple[str, str]]:
    """The resources a request names, in _RESOURCE_MEMBERS' order (a request has a few members; the
    list has twelve)."""
    found = []
    for member, value in (params or {}).items():
        known = _RESOURCE_KINDS.get(member)
        if known is not None and isinstance(value, str) and value:
            found.append((known[0], known[1], value))
    if len(found) > 1:
        found.sort()
    return [(kind, value) for _place, kind, value in found]


# Context keys kept in the record: policy generation suggests a condition when every call had one value.
SUGGESTIBLE_KEYS = ("aws:SourceIp", "aws:RequestedRegion", "aws:SecureTransport", "aws:MultiFactorAuthPresent",
                    "iam:PassedToService", "iam:AssociatedResourceArn")


def authorization(outcome: Outcome, trail: dict | None) -> dict:
    trail = trail or {}
    decision = outcome.decision
    out: dict[str, Any]
    if decision is None:
        out = {"decision": "implicitDeny" if outcome.error_code == "AccessDenied" else "allowed",
               "decidedBy": outcome.decided_by or "the operation"}
    else:
        out = {"decision": decision.decision,
               "matchedStatements": [{"policyId": m.policy_id, "policyType": m.policy_type, "sid": m.sid,
                                      "effect": m.effect, "part": m.part, "start": list(m.start)}
                                     for m in decision.matched]}
    if "resource" in trail:
        out["resource"] = trail["resource"]
        out["context"] = _suggestible(trail.get("context"))
    if trail.get("additional"):
        out["additional"] = [{"action": action, "resource": resource, "context": _suggestible(context)}
                             for action, resource, context in trail["additional"]]
    # The authorization API's answers (web/authorization_audit.py): who signed, and each decision.
    if "verified" in trail:
        out["verified"] = trail["verified"]
    if "decisions" in trail:
        out["decisions"] = trail["decisions"]
    return out


def _suggestible(context) -> dict:
    found = {}
    for key in SUGGESTIBLE_KEYS:
        value = (context or {}).get(key)
        if isinstance(value, str):
            found[key] = value
    return found


def build(call: Call, service: str, name: str, read_only: bool, params: dict | None, outcome: Outcome,
          transport: Transport) -> Event:
    """The call's record, written as JSON text at once, field by field in CloudTrail's order: only the
    parts that differ from call to call go through the JSON encoder (a record's dict, then its JSON,
    cost about a tenth of a GetUser)."""
    now = time.time()
    event_ms = int(now * 1000)
    event_id = time_ordered_id(event_ms)
    source = SOURCES.get(service, f"{service}.amazonaws.com")
    parts = ['{"eventVersion":"', EVENT_VERSION, '","userIdentity":', _identity_json(call, transport.console),
             ',"eventTime":"', _event_time(int(now)), '","eventSource":', _STRING(source), ',"eventName":',
             _STRING(name), ',"awsRegion":', _json(call.region), ',"sourceIPAddress":', _json(call.source_ip),
             ',"userAgent":', _json(call.user_agent)]
    if outcome.error_code:
        parts += (',"errorCode":', _json(outcome.error_code), ',"errorMessage":', _json(outcome.error_message or ""))
    kept = outcome.error_code is None and (not read_only or name in _RESPONSE_KEPT)
    parts += (',"requestParameters":', JSON(cloudtrail_value(params)) if params else "null",
              ',"responseElements":', JSON(cloudtrail_value(outcome.result)) if kept and outcome.result else "null",
              ',"requestID":', _json(call.request_id), ',"eventID":"', event_id, '","readOnly":',
              "true" if read_only else "false", ',"eventType":"AwsApiCall","managementEvent":true,'
              '"recipientAccountId":', _json(call.account_id), ',"eventCategory":"Management"')
    if call.secure_transport:
        tls = {"clientProvidedHostHeader": transport.host}
        if transport.tls_version:
            tls = {"tlsVersion": transport.tls_version, "cipherSuite": transport.cipher_suite, **tls}
        parts += (',"tlsDetails":', JSON(tls))
    if transport.console:
        parts.append(',"sessionCredentialFromConsole":"true"')
    parts += (',"iamdAuthorization":', JSON(authorization(outcome, call.trail)), "}")
    return Event(record="".join(parts), event_id=event_id, account_id=call.account_id,
                 event_ms=event_ms, event_source=source, event_name=name,
                 username=username_of(call), access_key_id=call.principal.access_key_id or None,
                 read_only=read_only, principal_key=principal_key(call), error_code=outcome.error_code,
                 resources=resources_of(params))


def _json(value) -> str:
    return _STRING(value) if type(value) is str else JSON(value)


def _identity_json(call: Call, console: bool) -> str:
    """userIdentity as JSON; for long-term credentials (no session), made once per caller: the key holds
    everything it is made of, so an entry can never be stale, only unused (the cache is cleared when full)."""
    if call.session is not None:
        return JSON(user_identity(call, console))
    key = (call.principal, console, call.session_context.get("aws:MultiFactorAuthPresent", "false"))
    text = _IDENTITIES.get(key)
    if text is None:
        if len(_IDENTITIES) >= _MAX_IDENTITIES:
            _IDENTITIES.clear()
        text = _IDENTITIES[key] = JSON(user_identity(call, console))
    return text


_last_second: tuple[int, str] = (0, "")  # the second last formatted, and its text: thousands of events share one


def _event_time(second: int) -> str:
    global _last_second
    cached = _last_second  # one tuple, replaced whole: threads never see a second with another's text
    if cached[0] != second:
        cached = _last_second = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return cached[1]


def time_ordered_id(event_ms: int) -> str:
    """A UUID whose first 48 bits are the event's time in milliseconds (RFC 9562's version 7): an
    EventId lookup finds its event through the time index, and the id needs no index of its own. Its
    random bits come from ``random``, as request ids' do: an event id is a name, not a secret, and a
    system call for each would cost more than the rest of the id."""
    rand = random.getrandbits(74)
    value = (event_ms << 80) | (0x7 << 76) | (((rand >> 62) & 0xFFF) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def time_of_id(event_id: str) -> int | None:
    """The milliseconds a time-ordered event id carries; None for any other string."""
    text = event_id.replace("-", "")
    if len(text) != 32 or text[12] != "7":
        return None
    try:
        return int(text[:12], 16)
    except ValueError:
        return None


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
