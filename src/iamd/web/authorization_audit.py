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
from iamd.audit.redact import cloudtrail_name, cloudtrail_value

_KEPT = ("Service", "PrincipalArn", "Actions", "Resources", "Context", "ResourceOwner", "AccessKeyId")
# Each kept member's CloudTrail name as JSON: none of them is a secret's.
_NAMED = {name: f'"{name[:1].lower()}{name[1:]}":' for name in _KEPT}
_MAX_VALUE = 2048


def recorded_params(params: dict) -> dict:
    kept: dict[str, Any] = {name: params[name] for name in _KEPT if name in params}
    material = params.get("Request")
    if isinstance(material, dict):
        kept["Request"] = {name: material[name][:_MAX_VALUE] for name in ("Method", "Path")
                           if isinstance(material.get(name), str)}
    return kept


def recorded(params: dict) -> Encoded:
    """``recorded_params`` as the record's requestParameters text, and the resource they name."""
    members = []
    kept = False  # a member given, null or not: "{}" then, not "null"
    for name in _KEPT:
        if name in params:
            kept = True
            value = params[name]
            if value is not None:  # cloudtrail_value leaves a null out
                members.append(_NAMED[name] + _value(value))
    material = params.get("Request")
    if isinstance(material, dict):
        kept = True
        request = [f'"{name[:1].lower()}{name[1:]}":{_string(material[name][:_MAX_VALUE])}'
                   for name in ("Method", "Path") if isinstance(material.get(name), str)]
        members.append('"request":{' + ",".join(request) + "}")
    if not kept:
        return Encoded("null", [])
    key = params.get("AccessKeyId")
    return Encoded("{" + ",".join(members) + "}", resources_of({"AccessKeyId": key}) if type(key) is str else [])


def _value(value) -> str:
    """A kept member's value as JSON(cloudtrail_value(value)) writes it."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is list and all(type(item) is str for item in value):
        return "[" + ",".join([_string(item) for item in value]) + "]"
    if kind is dict:  # a Context
        entries = []
        for key, item in value.items():
            if item is None:
                continue
            if type(key) is not str or type(item) is not str:
                return JSON(cloudtrail_value(value))
            name = cloudtrail_name(key)
            if not name:  # a secret's member (or ""), left out
                continue
            if name != key:  # renamed ("Key" → "key"): two keys may become one, as cloudtrail_value makes them
                return JSON(cloudtrail_value(value))
            entries.append(_string(key) + ":" + _string(item))
        return "{" + ",".join(entries) + "}"
    return JSON(cloudtrail_value(value))


def outcome(result: dict) -> dict:
    """The trail's entries for record.authorization(): the verified principal and every decision, as
    the JSON text that ``record.authorization`` would add for them."""
    out = []
    if "Authenticated" in result:
        if result["Authenticated"]:
            principal = result.get("Principal") or {}
            out.append(f',"verified":{{"authenticated":true,"arn":{_json(principal.get("Arn"))},'
                       f'"accountId":{_json(principal.get("AccountId"))},'
                       f'"accessKeyId":{_json(principal.get("AccessKeyId"))}}}')
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
    fields = [f'"{field}":{_json(value)}' for field, value in (
        ("action", entry.get("Action")), ("resource", entry.get("Resource")), ("decision", entry.get("Decision")),
        ("deniedBy", entry.get("DeniedBy"))) if value is not None]
    return "{" + ",".join(fields) + "}"


def _json(value) -> str:
    return _string(value) if type(value) is str else JSON(value)
