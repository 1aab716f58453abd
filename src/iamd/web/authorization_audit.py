"""What the audit record of an authorization API decision (Verify, Authorize, VerifyAndAuthorize) keeps.

The record is CloudTrail's (audit/record.py), eventSource ``iamd.amazonaws.com``, readOnly: a decision
changes nothing. ``requestParameters`` keep what names the question (the service, the principal asked
about, the actions, resources and context, the verified request's method and path, the access key id
of string-to-sign material) and never what could be replayed or is secret: no header (the client's
Authorization header carries its signature, X-Amz-Security-Token its session token), no query string
(a presigned URL's signature and token are there), no Signature, StringToSign or SecurityToken, no
ResourcePolicy (the caller's own text, possibly large). The answers go in the iamd extension field
``iamdAuthorization``: ``verified`` (who signed, or why the signature did not verify) and
``decisions`` (action, resource, decision and the policy type that refused).

Both are written here as JSON text, not as dicts for the record's encoder: a service asks for thousands
of decisions a second, and shaping and encoding these lists and dicts cost a third of the call's record.
The text is what ``record.JSON(cloudtrail_value(...))`` writes (tests/unit/test_authorization_audit.py
compares them); whatever is not a string, a list of strings or a Context of strings takes that general
path, so nothing the redaction drops (a secret's member, nested anywhere) can enter the record.
"""

from __future__ import annotations

from json.encoder import encode_basestring as _string  # type: ignore[attr-defined]  # record.JSON's
from typing import Any

from iamd.audit.record import ANSWERS, JSON, Encoded, resources_of
from iamd.audit.redact import cloudtrail_name, cloudtrail_value, member_name

_KEPT = ("Service", "PrincipalArn", "Actions", "Resources", "Context", "ResourceOwner", "AccessKeyId")
# Each kept member with its CloudTrail name: none of them is a secret's.
_KEPT_NAMES = tuple((name, member_name(name)) for name in _KEPT)
_MATERIAL = (("Method", "method"), ("Path", "path"))
_MAX_VALUE = 2048
# Values cloudtrail_value returns as they are (a JSON body's: no tuple, date or bytes), and those of a
# Context it keeps whole (a null member it leaves out).
_SCALARS = frozenset({str, int, float, bool, type(None)})
_VALUES = frozenset({str, int, float, bool})
# Context keys seen that the redaction keeps as they are (not a secret's, not renamed): a key's fate
# depends on its text alone. Cleared when full.
_PLAIN_KEYS: set[str] = set()
_MAX_PLAIN_KEYS = 10_000


def recorded_params(params: dict) -> dict:
    kept: dict[str, Any] = {name: params[name] for name in _KEPT if name in params}
    material = params.get("Request")
    if isinstance(material, dict):
        kept["Request"] = {name: material[name][:_MAX_VALUE] for name in ("Method", "Path")
                           if isinstance(material.get(name), str)}
    return kept


def recorded(params: dict) -> Encoded:
    """``recorded_params`` as the record's requestParameters text, and the resource they name: one
    encoding of the kept members, renamed, where each is a scalar, a list of scalars or a Context of
    non-null scalars under keys the redaction keeps as they are (what cloudtrail_value would leave
    untouched); any other value is shaped by cloudtrail_value first."""
    shaped: dict[str, Any] = {}
    given = False  # a member given, null or not: "{}" then, not "null"
    for name, cloudtrail in _KEPT_NAMES:
        if name in params:
            given = True
            value = params[name]
            kind = type(value)
            if value is None:  # cloudtrail_value leaves a null out
                continue
            if kind is list:
                if not _SCALARS.issuperset(map(type, value)):
                    value = cloudtrail_value(value)
            elif kind is dict:
                if not (_PLAIN_KEYS.issuperset(value) and _VALUES.issuperset(map(type, value.values()))):
                    value = _context(value)
            elif kind not in _SCALARS:
                value = cloudtrail_value(value)
            shaped[cloudtrail] = value
    material = params.get("Request")
    if isinstance(material, dict):
        given = True
        shaped["request"] = {cloudtrail: material[name][:_MAX_VALUE] for name, cloudtrail in _MATERIAL
                             if isinstance(material.get(name), str)}
    if not given:
        return Encoded("null", [])
    key = params.get("AccessKeyId")
    return Encoded(JSON(shaped), resources_of({"AccessKeyId": key}) if type(key) is str and key else [])


def _context(value: dict):
    """cloudtrail_value of a dict, remembering which of its keys the redaction keeps as they are."""
    if len(_PLAIN_KEYS) >= _MAX_PLAIN_KEYS:
        _PLAIN_KEYS.clear()
    _PLAIN_KEYS.update(key for key in value if type(key) is str and key and cloudtrail_name(key) == key)
    return cloudtrail_value(value)


def outcome(result: dict) -> dict:
    """The trail's entries for record.authorization(): the verified principal and every decision, as
    the JSON text that ``record.authorization`` would add for them."""
    out = []
    if "Authenticated" in result:
        if result["Authenticated"]:
            principal = result.get("Principal") or {}
            key = (principal.get("Arn"), principal.get("AccountId"), principal.get("AccessKeyId"))
            verified = _VERIFIED.get(key)
            if verified is None:
                verified = (f',"verified":{{"authenticated":true,"arn":{_json(key[0])},'
                            f'"accountId":{_json(key[1])},"accessKeyId":{_json(key[2])}}}')
                _remember(_VERIFIED, key, verified)
            out.append(verified)
        else:
            out.append(f',"verified":{{"authenticated":false,'
                       f'"errorCode":{_json((result.get("Error") or {}).get("Code"))}}}')
    elif isinstance(result.get("Principal"), dict):
        principal = result["Principal"]
        out.append(f',"verified":{{"arn":{_json(principal.get("Arn"))},"accountId":{_json(principal.get("AccountId"))}}}')
    if "Results" in result:
        out.append(',"decisions":[' + ",".join([_decision(entry) for entry in result["Results"]]) + "]")
    return {ANSWERS: "".join(out)} if out else {}


def _decision(entry: dict) -> str:
    action, resource, decision = entry.get("Action"), entry.get("Resource"), entry.get("Decision")
    denied = entry.get("DeniedBy")
    if (type(action) is str and type(resource) is str and type(decision) is str
            and (denied is None or type(denied) is str)):  # as the API answers
        parts = _PARTS.get((action, decision, denied))
        if parts is None:
            parts = ('{"action":' + _string(action), ',"decision":' + _string(decision)
                     + ("" if denied is None else ',"deniedBy":' + _string(denied)) + "}")
            _remember(_PARTS, (action, decision, denied), parts)
        # The resource varies the most: escaped for each decision, the rest kept per action and decision.
        return parts[0] + ',"resource":' + _string(resource) + parts[1]
    fields = [f'"{field}":{_json(value)}' for field, value in (
        ("action", action), ("resource", resource), ("decision", decision), ("deniedBy", denied))
        if value is not None]
    return "{" + ",".join(fields) + "}"


def _json(value) -> str:
    return _string(value) if type(value) is str else JSON(value)


def _remember(cache: dict, key, value) -> None:
    if len(cache) >= _MAX_TEXTS:
        cache.clear()
    cache[key] = value


# Texts of answers, keyed by everything they are made of (so never stale): the verified principal's
# (arn, account, access key id) and a decision's (action, decision, deniedBy). Cleared when full.
_VERIFIED: dict[tuple, str] = {}
_PARTS: dict[tuple, tuple[str, str]] = {}
_MAX_TEXTS = 10_000
