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
"""

from __future__ import annotations

from typing import Any

_KEPT = ("Service", "PrincipalArn", "Actions", "Resources", "Context", "ResourceOwner", "AccessKeyId")
_MAX_VALUE = 2048


def recorded_params(params: dict) -> dict:
    kept: dict[str, Any] = {name: params[name] for name in _KEPT if name in params}
    material = params.get("Request")
    if isinstance(material, dict):
        kept["Request"] = {name: material[name][:_MAX_VALUE] for name in ("Method", "Path")
                           if isinstance(material.get(name), str)}
    return kept


def outcome(result: dict) -> dict:
    """The trail's entries for record.authorization(): the verified principal and every decision."""
    out: dict[str, Any] = {}
    if "Authenticated" in result:
        if result["Authenticated"]:
            principal = result.get("Principal") or {}
            out["verified"] = {"authenticated": True, "arn": principal.get("Arn"),
                               "accountId": principal.get("AccountId"),
                               "accessKeyId": principal.get("AccessKeyId")}
        else:
            out["verified"] = {"authenticated": False, "errorCode": (result.get("Error") or {}).get("Code")}
    elif isinstance(result.get("Principal"), dict):
        out["verified"] = {"arn": result["Principal"].get("Arn"), "accountId": result["Principal"].get("AccountId")}
    if "Results" in result:
        out["decisions"] = [{key: value for key, value in (("action", entry.get("Action")),
                                                           ("resource", entry.get("Resource")),
                                                           ("decision", entry.get("Decision")),
                                                           ("deniedBy", entry.get("DeniedBy"))) if value is not None}
                            for entry in result["Results"]]
    return out
