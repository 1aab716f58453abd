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
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from iamd.audit.redact import SENSITIVE, cloudtrail_value, member_name
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


def _compact_json():
    """json.dumps(value, separators=(",", ":"), ensure_ascii=False), its C encoder made once:
    JSONEncoder.encode makes a new one for every value (a third of a small value's cost). Without the
    check for circular references: what is encoded here is trees built for the record."""
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
    if c_make_encoder is None:  # an interpreter without the C accelerator
        return encoder.encode
    chunks = c_make_encoder(None, encoder.default, encode_basestring, None, ":", ",", False, False, True)

    def encode(value) -> str:
        return "".join(chunks(value, 0))

    return encode


JSON = _compact_json()
# A string as JSON, escaped as JSON above escapes it (encode_basestring is what it calls for each string).
_STRING = encode_basestring
# Text made once and kept by everything it is made of, so that an entry is never stale, only unused
# (each cache is cleared when full): a caller's userIdentity; the record's constant parts per caller,
# operation and connection; the iamdAuthorization of calls no policy decided; request members' names.
_IDENTITIES: dict[tuple, str] = {}
_SHAPES: dict[tuple, tuple[str, str, str]] = {}
_UNDECIDED: dict[tuple, str] = {}
_MEMBERS: dict[str, str] = {}
_MAX_ENTRIES = 10_000


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
    found: list[tuple[int, str, str]] = []
    for member, value in (params or {}).items():
        known = _RESOURCE_KINDS.get(member)
        if known is not None and isinstance(value, str) and value:
            found.append((known[0], known[1], value))
    if len(found) <= 1:
        return [(found[0][1], found[0][2])] if found else []
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
    """The call's record, written as JSON text at once in CloudTrail's field order: what is the same for
    every call of a caller's operation over one connection (userIdentity, source, region, TLS ...) is
    made once (``_shape``); only what differs from call to call is encoded for each."""
    now = time.time()
    event_ms = int(now * 1000)
    event_id = time_ordered_id(event_ms)
    source = SOURCES.get(service) or f"{service}.amazonaws.com"
    head, middle, tail = _shape(call, transport, source, name, read_only)
    error = outcome.error_code
    kept = error is None and (not read_only or name in _RESPONSE_KEPT)
    text = "".join((
        head, _event_time(int(now)), middle, _json(call.source_ip), ',"userAgent":', _json(call.user_agent),
        f',"errorCode":{_json(error)},"errorMessage":{_json(outcome.error_message or "")}' if error else "",
        ',"requestParameters":', _parameters(params) if params else "null",
        ',"responseElements":', JSON(cloudtrail_value(outcome.result)) if kept and outcome.result else "null",
        ',"requestID":', _json(call.request_id), ',"eventID":"', event_id, tail,
        _authorization_json(outcome, call.trail), "}"))
    # By position (Event's field order): keyword arguments cost a tenth of the record's making.
    principal = call.principal
    return Event(text, event_id, principal.account_id, event_ms, source, name, username_of(call),
                 principal.access_key_id or None, read_only, principal_key(call), error, resources_of(params))


def _json(value) -> str:
    return _STRING(value) if type(value) is str else JSON(value)


def _shape(call: Call, transport: Transport, source: str, name: str, read_only: bool) -> tuple[str, str, str]:
    """The record's text before eventTime, between it and sourceIPAddress's value, and from eventID's
    end to iamdAuthorization's value."""
    identity = _identity_json(call, transport.console)
    secure = call.secure_transport
    key = (identity, source, name, call.region, read_only, call.account_id, secure,
           transport.host if secure else "", transport.tls_version, transport.cipher_suite, transport.console)
    shape = _SHAPES.get(key)
    if shape is None:
        tls = ""
        if secure:
            details = {"clientProvidedHostHeader": transport.host}
            if transport.tls_version:
                details = {"tlsVersion": transport.tls_version, "cipherSuite": transport.cipher_suite, **details}
            tls = ',"tlsDetails":' + JSON(details)
        console = ',"sessionCredentialFromConsole":"true"' if transport.console else ""
        shape = (
            f'{{"eventVersion":"{EVENT_VERSION}","userIdentity":{identity},"eventTime":"',
            f'","eventSource":{_STRING(source)},"eventName":{_STRING(name)},"awsRegion":{_json(call.region)},'
            '"sourceIPAddress":',
            f'","readOnly":{"true" if read_only else "false"},"eventType":"AwsApiCall","managementEvent":true,'
            f'"recipientAccountId":{_json(call.account_id)},"eventCategory":"Management"{tls}{console}'
            ',"iamdAuthorization":')
        _remember(_SHAPES, key, shape)
    return shape


def _parameters(params: dict) -> str:
    """requestParameters as JSON. A request of strings only (most are) is written here, its members'
    CloudTrail names from a table (a secret's member has none: it is left out, as cloudtrail_value does)."""
    members = []
    for member, value in params.items():
        if type(value) is not str:
            return JSON(cloudtrail_value(params))
        named = _MEMBERS.get(member)
        if named is None:
            named = "" if member.lower() in SENSITIVE else _STRING(member_name(member)) + ":"
            _remember(_MEMBERS, member, named)
        if named:
            members.append(named + _STRING(value))
    return "{" + ",".join(members) + "}"


def _authorization_json(outcome: Outcome, trail: dict | None) -> str:
    """iamdAuthorization as JSON; for a call no policy decided that names no resource (the root user's,
    a call that needs no permission), one of a few texts."""
    if outcome.decision is not None or (trail and (len(trail) > 1 or "decision" not in trail)):
        return JSON(authorization(outcome, trail))
    key = (outcome.error_code == "AccessDenied", outcome.decided_by)
    text = _UNDECIDED.get(key)
    if text is None:
        text = JSON(authorization(outcome, trail))
        _remember(_UNDECIDED, key, text)
    return text


def _remember(cache: dict, key, value) -> None:
    if len(cache) >= _MAX_ENTRIES:
        cache.clear()
    cache[key] = value


def _identity_json(call: Call, console: bool) -> str:
    """userIdentity as JSON, made once per caller: the key holds everything user_identity reads (of a
    session, its issue time, role and source identity; never its secret)."""
    session = call.session
    mfa = call.session_context.get("aws:MultiFactorAuthPresent", "false")
    key = ((call.principal, console, mfa) if session is None else
           (call.principal, console, mfa, session.issued_at, session.role_id, session.role_name,
            session.source_identity, session.user_id))
    text = _IDENTITIES.get(key)
    if text is None:
        text = JSON(user_identity(call, console))
        _remember(_IDENTITIES, key, text)
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
    rand = random.getrandbits(74)  # 12 bits after the version, 62 after the variant (0b10)
    # %-formatting: half the cost of format specifiers, which parse their spec on every call.
    return "%08x-%04x-7%03x-%04x-%012x" % (  # noqa: UP031
        event_ms >> 16, event_ms & 0xFFFF, rand >> 62, 0x8000 | (rand >> 48) & 0x3FFF, rand & 0xFFFF_FFFF_FFFF)


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
