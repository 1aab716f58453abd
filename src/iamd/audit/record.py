"""One call → one CloudTrail record, as "CloudTrail record contents" (AWS CloudTrail User Guide) lists
its fields, eventVersion 1.09, and "CloudTrail userIdentity element" its caller.

Beside AWS's fields, ``iamdAuthorization`` says what decided: the policies and statements that allowed
or denied the call (CloudTrail's readers ignore fields they do not know).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from random import getrandbits
from time import time_ns
from typing import Any, NamedTuple

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
# (each cache is cleared when full): the record's constant parts per caller, operation and connection
# (``_shape``); the iamdAuthorization of failed calls no policy decided; request members' names and
# the resource type each names.
_SHAPES: dict[tuple, tuple] = {}
_BY_PRINCIPAL: dict[tuple, tuple] = {}  # _shape's: (id(principal), ...) → (principal, shape)
_UNDECIDED: dict[tuple, str] = {}
_MEMBERS: dict[str, tuple[str, str | None]] = {}
# sourceIPAddress's and userAgent's values as JSON, by client address and user agent: an SDK's agent is
# ~150 characters that one client sends on every call, and escaping it cost 4.6k instructions where
# finding it costs 0.9k (the address's escaping ~0.6k more).
_CLIENTS: dict[tuple, str] = {}
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


PLAIN = Transport()  # a plain HTTP connection's, shared by its calls: never changed (the record only reads it)


class Event(NamedTuple):
    """The record and the columns the store filters on. A tuple: made by ``tuple.__new__`` from the
    record's values in one C call, where a dataclass's generated ``__init__`` (a Python frame setting
    twelve slots) cost ~3.3k instructions an event."""

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
    resources: list | tuple = ()  # [(type, name)]


_new_event = tuple.__new__  # Event's values, by position, as one tuple: _new_event(Event, (...))


class Encoded:
    """requestParameters written as JSON by the caller (the authorization API's: lists and a Context,
    web/authorization_audit.py), with the resources they name: the text must be what
    ``JSON(cloudtrail_value(params))`` writes, "null" for parameters that would be empty."""

    __slots__ = ("text", "resources")

    def __init__(self, text: str, resources: list):
        self.text, self.resources = text, resources


# The key of a trail's iamdAuthorization entries already written as JSON by the authorization API:
# ``,"verified":{...},"decisions":[...]``, what ``authorization`` would add for its "verified" and "decisions".
ANSWERS = "answers"


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


def build(call: Call, service: str, name: str, read_only: bool, params: dict | Encoded | None, outcome: Outcome,
          transport: Transport) -> Event:
    """The call's record, written as JSON text at once in CloudTrail's field order: what is the same for
    every call of a caller's operation over one connection (userIdentity, source, region, TLS ...) is
    made once (``_shape``); only what differs from call to call is encoded for each."""
    shape = _shape(call, transport, service, name, read_only, outcome.decided_by)
    error = outcome.error_code
    kept = error is None and (not read_only or name in _RESPONSE_KEPT)
    response = JSON(cloudtrail_value(outcome.result)) if kept and outcome.result else "null"
    error_fields = (f',"errorCode":{_json(error)},"errorMessage":{_json(outcome.error_message or "")}'
                    if error else "")
    return _event(call, name, read_only, params, shape, error, error_fields, response,
                  _authorization_json(outcome, call.trail))


def succeeded(call: Call, service: str, name: str, read_only: bool, params: dict | Encoded | None,
              result: dict | None, decided_by: str, transport: Transport) -> Event:
    """``build`` of a call that succeeded, its decision the one in ``call.trail`` (the common case,
    made without an Outcome): the same text."""
    shape = _shape(call, transport, service, name, read_only, decided_by)
    trail = call.trail
    decision = trail.get("decision") if trail else None
    if decision is None and (not trail or len(trail) == ("decision" in trail) + (ANSWERS in trail)):
        authorization_text = shape[7]  # as _authorization_json writes it for such a call
    else:
        authorization_text = JSON(authorization(Outcome(decision=decision, decided_by=decided_by), trail))
    if trail and ANSWERS in trail:
        authorization_text = authorization_text[:-1] + trail[ANSWERS] + "}"
    kept = not read_only or name in _RESPONSE_KEPT
    return _event(call, name, read_only, params, shape, None, "",
                  JSON(cloudtrail_value(result)) if kept and result else "null", authorization_text)


def _event(call: Call, name: str, read_only: bool, params: dict | Encoded | None, shape: tuple, error: str | None,
           error_fields: str, response: str, authorization_text: str) -> Event:
    event_ms = time_ns() // 1_000_000
    event_id = time_ordered_id(event_ms)
    head, middle, tail, source, username, key, access_key_id, _ = shape
    second = event_ms // 1000
    stamp = _last_second  # one tuple, replaced whole: threads never see a second with another's text
    if stamp[0] != second:
        stamp = _stamp(second)
    if isinstance(params, Encoded):
        parameters, resources = params.text, params.resources
    else:
        parameters, resources = _parameters(params) if params else ("null", [])
    client = (call.source_ip, call.user_agent)
    client_text = _CLIENTS.get(client)
    if client_text is None:
        client_text = _json(client[0]) + ',"userAgent":' + _json(client[1])
        _remember(_CLIENTS, client, client_text)
    request_id = call.request_id
    text = "".join((
        head, stamp[1], middle, client_text, error_fields,
        ',"requestParameters":', parameters, ',"responseElements":', response,
        ',"requestID":', _STRING(request_id) if type(request_id) is str else JSON(request_id),
        ',"eventID":"', event_id, tail, authorization_text, "}"))
    return _new_event(Event, (text, event_id, call.principal.account_id, event_ms, source, name, username,
                              access_key_id, read_only, key, error, resources))


def _json(value) -> str:
    return _STRING(value) if type(value) is str else JSON(value)


def _shape(call: Call, transport: Transport, service: str, name: str, read_only: bool, decided_by: str) -> tuple:
    """``_shape_of``, found first by the principal object itself when it is a long-term key's over a plain
    connection: authentication keeps one frozen Principal per key and user (service/authenticate.py),
    and its fields made the key cost ~3k instructions. The entry holds that object, so while it is kept
    no other object can have its id; a caller renamed or re-created is another object."""
    principal = call.principal
    if transport is PLAIN and call.session is None and not call.session_context:
        key = (id(principal), service, name, call.region, read_only, call.secure_transport, decided_by)
        entry = _BY_PRINCIPAL.get(key)
        if entry is not None and entry[0] is principal:
            return entry[1]
        shape = _shape_of(call, transport, service, name, read_only, decided_by)
        _remember(_BY_PRINCIPAL, key, (principal, shape))
        return shape
    return _shape_of(call, transport, service, name, read_only, decided_by)


def _shape_of(call: Call, transport: Transport, service: str, name: str, read_only: bool, decided_by: str) -> tuple:
    """What every call of one caller's operation over one connection shares, made once: the record's
    text before eventTime, between it and sourceIPAddress's value, and from eventID's end to
    iamdAuthorization's value; the event source, username, principal key and access key id the store
    filters on; the iamdAuthorization of such a call that succeeded and no policy decided. The key holds
    everything these are made of (of a session, its issue time, role and source identity; never its
    secret)."""
    principal, session = call.principal, call.session
    mfa = call.session_context.get("aws:MultiFactorAuthPresent", "false")
    secure = call.secure_transport
    # The principal by its fields (all that user_identity, username_of and principal_key read): its
    # dataclass __hash__ is a Python call that cost more than the rest of the key.
    key = ((principal.kind, principal.id, principal.arn, principal.account_id, principal.access_key_id,
            principal.name, principal.path, mfa, service, name, call.region, read_only, secure,
            transport.host if secure else "", transport.tls_version, transport.cipher_suite, transport.console,
            decided_by) if session is None else
           (principal.kind, principal.id, principal.arn, principal.account_id, principal.access_key_id,
            principal.name, principal.path, mfa, service, name, call.region, read_only, secure,
            transport.host if secure else "", transport.tls_version, transport.cipher_suite, transport.console,
            decided_by, session.issued_at, session.role_id, session.role_name, session.source_identity,
            session.user_id))
    shape = _SHAPES.get(key)
    if shape is None:
        shape = _make_shape(call, transport, service, name, read_only, decided_by)
        _remember(_SHAPES, key, shape)
    return shape


def _make_shape(call: Call, transport: Transport, service: str, name: str, read_only: bool,
                decided_by: str) -> tuple:
    identity = JSON(user_identity(call, transport.console))
    source = SOURCES.get(service) or f"{service}.amazonaws.com"
    secure = call.secure_transport
    tls = ""
    if secure:
        details = {"clientProvidedHostHeader": transport.host}
        if transport.tls_version:
            details = {"tlsVersion": transport.tls_version, "cipherSuite": transport.cipher_suite, **details}
        tls = ',"tlsDetails":' + JSON(details)
    console = ',"sessionCredentialFromConsole":"true"' if transport.console else ""
    principal = call.principal
    return (
        f'{{"eventVersion":"{EVENT_VERSION}","userIdentity":{identity},"eventTime":"',
        f'","eventSource":{_STRING(source)},"eventName":{_STRING(name)},"awsRegion":{_json(call.region)},'
        '"sourceIPAddress":',
        f'","readOnly":{"true" if read_only else "false"},"eventType":"AwsApiCall","managementEvent":true,'
        f'"recipientAccountId":{_json(call.account_id)},"eventCategory":"Management"{tls}{console}'
        ',"iamdAuthorization":',
        source, username_of(call), principal_key(call), principal.access_key_id or None,
        JSON(authorization(Outcome(decided_by=decided_by), None)))


def _parameters(params: dict) -> tuple[str, list]:
    """``_written_parameters``, for a request of one string member whose name was seen before (GetUser,
    GetRole, most reads) written straight: its loop, list and join cost ~2k instructions more."""
    if len(params) == 1:
        (member, value), = params.items()
        known = _MEMBERS.get(member)
        if known is not None and type(value) is str:
            named, kind = known
            return ("{" + named + _STRING(value) + "}" if named else "{}",  # "": a secret's, left out
                    [(kind, value)] if kind is not None and value else [])
    return _written_parameters(params)


def _written_parameters(params: dict) -> tuple[str, list]:
    """requestParameters as JSON, and the resources the request names (``resources_of``). A request of
    strings only (most are) is written here, its members' CloudTrail names from a table (a secret's member
    has none: it is left out, as cloudtrail_value does), and so is its resource if it names one."""
    members = []
    resources: list[tuple[str, str]] = []
    for member, value in params.items():
        if type(value) is not str:
            return JSON(cloudtrail_value(params)), resources_of(params)
        known = _MEMBERS.get(member)
        if known is None:
            place_kind = _RESOURCE_KINDS.get(member)
            known = ("" if member.lower() in SENSITIVE else _STRING(member_name(member)) + ":",
                     place_kind[1] if place_kind else None)
            _remember(_MEMBERS, member, known)
        named, kind = known
        if named:
            members.append(named + _STRING(value))
        if kind is not None and value:
            resources.append((kind, value))
    if len(resources) > 1:  # rare: in _RESOURCE_MEMBERS' order
        resources = resources_of(params)
    return "{" + ",".join(members) + "}", resources


def _authorization_json(outcome: Outcome, trail: dict | None) -> str:
    """iamdAuthorization as JSON; for a call no policy decided that names no resource (the root user's,
    a call that needs no permission), one of a few texts."""
    if trail and ANSWERS in trail:
        return JSON(authorization(outcome, trail))[:-1] + trail[ANSWERS] + "}"
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


_last_second: tuple[int, str] = (0, "")  # the second last formatted, and its text: thousands of events share one


def _stamp(second: int) -> tuple[int, str]:
    global _last_second
    stamp = _last_second = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return stamp


# An id's first 8 digits (its time's top 32 bits), kept while they last: 65 seconds.
_last_high: tuple[int, str] = (0, "")
# The version (7) and variant (0b10) in an id's 5th and 6th groups' first 16-bit halves, and their random bits.
_VERSION_VARIANT, _RANDOM_BITS = 0x7000_8000, 0x0FFF_3FFF


def time_ordered_id(event_ms: int) -> str:
    """A UUID whose first 48 bits are the event's time in milliseconds (RFC 9562's version 7): an
    EventId lookup finds its event through the time index, and the id needs no index of its own. Its
    74 random bits come from ``random``, as request ids' do: an event id is a name, not a secret, and a
    system call for each would cost more than the rest of the id. Formatting ints and slicing strings
    cost ~0.7-1.7k instructions each: the 2nd-4th groups are one 6-byte int's ``hex`` with a dash every
    2 bytes (the time's low 16 bits, then the version and variant in 32 random bits), the 5th is 48
    random bits' ``hex``, the first is kept (7k instructions where the id cost 11k)."""
    global _last_high
    high = _last_high
    if high[0] != event_ms >> 16:
        high = _last_high = (event_ms >> 16, "%08x-" % (event_ms >> 16))  # noqa: UP031
    middle = (event_ms & 0xFFFF) << 32 | getrandbits(32) & _RANDOM_BITS | _VERSION_VARIANT
    return f"{high[1]}{middle.to_bytes(6, 'big').hex('-', 2)}-{getrandbits(48).to_bytes(6, 'big').hex()}"


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
