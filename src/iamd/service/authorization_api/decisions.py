"""Per-pair decisions for the authorization API: each (action, resource) through service/decide.py, the one
evaluation path of iamd, worded as the policy simulator words its results (MatchedStatements with the
policy, its type, the statement's Sid and position)."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from sqlalchemy import Connection

from iamd.errors import InvalidInput, MalformedPolicyDocument, ValidationError
from iamd.policy import Decision, check_policy
from iamd.service.authorization_api import registry
from iamd.service.authorization_api.permission import ALLOWED, DENIED, Tally
from iamd.service.authorize import Authorizer, denial_message
from iamd.service.context import Call
from iamd.service.decide import Decider

MAX_PAIRS = 100
# Keys iamd derives from the principal: a caller may not set them (it would speak for the principal).
_PRINCIPAL_KEYS = ("aws:principal", "aws:userid", "aws:username", "aws:multifactorauth", "aws:tokenissuetime",
                   "aws:sourceidentity", "aws:federatedprovider")
_TYPES = {"identity": "IAM Policy", "boundary": "Permissions Boundary", "session": "Session Policy",
          "resource": "Resource Policy"}


def check_context(context: object) -> dict:
    """The request's condition keys as given: ``{"key": "value" | ["values"]}``."""
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise ValidationError("Context must be an object of condition keys.")
    for key, value in context.items():
        if ":" not in key:
            raise ValidationError(f"Context key {key!r} must be prefixed by a service, e.g. aws:SourceIp.")
        if key.lower().startswith(_PRINCIPAL_KEYS):
            raise ValidationError(f"Context key {key} is derived from the principal by iamd and cannot be given.")
        if not isinstance(value, str) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ValidationError(f"Context key {key} must have a string or a list of strings as its value.")
    return context


def check_resource_policy(text: object, owner: object) -> tuple[str | None, str | None]:
    if owner is not None and (not isinstance(owner, str) or len(owner) != 12 or not owner.isdigit()):
        raise ValidationError("ResourceOwner must be a 12-digit account id.")
    if text is None:
        return None, owner
    if not isinstance(text, str):
        raise ValidationError("ResourcePolicy must be a policy document as a string.")
    problems = check_policy(text, "resource")
    if problems:
        raise MalformedPolicyDocument(problems[0].message)
    return text, owner


def pairs_of(actions: object, resources: object) -> list[tuple[str, str]]:
    if not isinstance(actions, list) or not actions or not all(isinstance(a, str) and a for a in actions):
        raise ValidationError("Actions must be a non-empty list of action names (service:Action).")
    for action in actions:
        if action.count(":") != 1 or "*" in action or "?" in action:
            raise InvalidInput(f"Action {action} is not an action name (service:Action, without wildcards).")
    if resources is None:
        resources = ["*"]
    if not isinstance(resources, list) or not resources or not all(isinstance(r, str) and r for r in resources):
        raise ValidationError("Resources must be a non-empty list of ARNs (or \"*\").")
    if len(actions) * len(resources) > MAX_PAIRS:
        raise ValidationError(f"At most {MAX_PAIRS} action and resource pairs per call.")
    return [(action, resource) for action in actions for resource in resources]


def decider_for(tx: Connection, call: Call, context: dict, resource_policy: str | None,
                keys: dict | None = None) -> Decider:
    """The Decider of ``call``'s principal for these pairs: its call with the connection keys ``context``
    reports (aws:SourceIp ...); ``keys``: ``connection_keys(context)``, if the caller made them already."""
    if keys is None:
        keys = connection_keys(context)
    if any(getattr(call, name) != value for name, value in keys.items()):  # not already the call's own
        call = replace(call, **keys)
    return Decider(tx, cast(Authorizer, call.env.authorizer), call, context, resource_policy)


def authorize_pairs(tx: Connection, call: Call, pairs: list[tuple[str, str]], context: dict,
                    resource_policy: str | None, resource_owner: str | None, *, decider: Decider | None = None,
                    tally: Tally | None = None) -> list[dict]:
    """One result per pair, in order: the decision, the deciding statements, the missing keys. A resource
    whose ARN names another account than the principal's is that account's, unless ResourceOwner says.
    ``decider``: decider_for's, made beforehand; ``tally``: where the decisions are counted, by the caller
    once with its own checks'."""
    registry.check_actions(tx, list({action: None for action, _ in pairs}))
    if decider is None:
        decider = decider_for(tx, call, context, resource_policy)
    call = decider.call
    results = []
    allowed = 0
    for action, resource in pairs:
        decision = decider.decide(action, resource, resource_owner or _account_in(resource))
        allowed += decision.allowed
        results.append(_result(call, action, resource, decision))
    # Counted once per call, not per pair: each inc() takes the counter's lock (~5k instructions).
    if tally is not None:
        tally.allowed += allowed
        tally.denied += len(results) - allowed
    else:
        if allowed:
            ALLOWED.inc(allowed)
        if allowed < len(results):
            DENIED.inc(len(results) - allowed)
    return results


def _account_in(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) == 6 and len(parts[4]) == 12 and parts[4].isdigit():
        return parts[4]
    return None


def connection_keys(context: dict) -> dict:
    """The keys of the client's connection a service reports (aws:SourceIp ...), as the principal's call
    carries them, so that request_context sets them as for IAM's own calls."""
    found: dict = {}
    for key, value in context.items():
        lowered = key.lower()
        if lowered == "aws:sourceip" and isinstance(value, str):
            found["source_ip"] = value
        elif lowered == "aws:securetransport" and isinstance(value, str):
            found["secure_transport"] = value.lower() == "true"
        elif lowered == "aws:useragent" and isinstance(value, str):
            found["user_agent"] = value
        elif lowered == "aws:requestedregion" and isinstance(value, str):
            found["region"] = value
    return found


def _result(call: Call, action: str, resource: str, decision: Decision) -> dict:
    result: dict = {"Action": action, "Resource": resource, "Decision": decision.decision,
                    "Allowed": decision.allowed,
                    "MatchedStatements": [_statement(m) for m in decision.matched],
                    "MissingContextValues": list(decision.missing_context_values)}
    if not decision.allowed:
        result["DeniedBy"] = _TYPES[decision.denied_by or "identity"]
        result["Message"] = denial_message(call.principal.arn, action, resource, decision)
    return result


def _statement(matched) -> dict:
    return {"SourcePolicyId": matched.policy_id, "SourcePolicyType": _TYPES.get(matched.part, matched.policy_type),
            "Sid": matched.sid, "Effect": matched.effect,
            "StartPosition": {"Line": matched.start[0], "Column": matched.start[1]},
            "EndPosition": {"Line": matched.end[0], "Column": matched.end[1]}}


