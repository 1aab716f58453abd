"""ListPoliciesGrantingServiceAccess: which of an identity's policies allow some action of a service.

A policy grants access to a service when one of its Allow statements covers any of that service's
actions (the Service Authorization Reference's list; wildcards and NotAction as the engine reads them).
A user's list includes the policies of its groups, as AWS's does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from iamd.errors import InvalidInput
from iamd.policy import Policy
from iamd.reference import actions as reference
from iamd.security import ids
from iamd.service import policy_sets, resources
from iamd.service.context import Call
from iamd.service.declare import iam
from iamd.service.identities import groups as group_area, roles as role_area, users as user_area
from iamd.service.targets import Target


@dataclass(frozen=True)
class _Source:
    entry: dict  # the PolicyGrantingServiceAccess shape
    policy: Policy


def _entity(tx: Connection, call: Call, arn: str):
    parsed = ids.parse_arn(arn)
    finders = {"user": user_area.find_user, "group": group_area.find_group, "role": role_area.find_role}
    if parsed is None or not parsed.is_iam(call.account_id) or parsed.resource_type not in finders \
            or not parsed.after_type:
        raise InvalidInput(f"ARN {arn} is not valid.")
    return parsed.resource_type, finders[parsed.resource_type](tx, call.account_id, parsed.name)


def _sources(loaded: policy_sets.EntityPolicies) -> list[_Source]:
    """Holder by holder (the entity, then a user's groups by name): its inline policies by name, then
    the managed ones attached to it by ARN; a managed policy a user gets twice counts at its first holder."""
    found = []
    for holder in loaded.holders:
        inline, managed = loaded.held_by(holder)
        for sourced in inline:
            found.append(_Source({"PolicyName": sourced.name, "PolicyType": "INLINE",
                                  "EntityType": holder.kind.upper(), "EntityName": holder.name}, sourced.policy))
        for sourced in sorted(managed, key=lambda s: s.arn or ""):
            found.append(_Source({"PolicyName": sourced.name, "PolicyType": "MANAGED", "PolicyArn": sourced.arn},
                                 sourced.policy))
    return found


def _grants(policy: Policy, service_actions: list[str]) -> bool:
    return any(statement.effect == "Allow" and any(statement.matches_action(action) for action in service_actions)
               for statement in policy.statements)


def list_policies_granting_service_access(tx: Connection, call: Call, params: dict) -> dict:
    kind, row = _entity(tx, call, params["Arn"])
    sources = _sources(policy_sets.load(tx, call.account_id, kind, row.id, call.env.authorizer.compiled))
    result = []
    for namespace in params["ServiceNamespaces"]:
        service_actions = [f"{namespace}:{name}".lower() for name in reference.all_actions(namespace)]
        granting, seen = [], set()
        for source in sources:
            key = source.entry.get("PolicyArn") or (source.entry["EntityType"], source.entry["EntityName"],
                                                     source.entry["PolicyName"])
            if key not in seen and _grants(source.policy, service_actions):
                seen.add(key)
                granting.append(source.entry)
        result.append({"ServiceNamespace": namespace, "Policies": granting})
    return {"PoliciesGrantingServiceAccess": result, "IsTruncated": False}


def _resource(call: Call, params: dict) -> str | Target:
    return resources.arn_target(call, params["Arn"])


OPERATIONS = (
    iam("ListPoliciesGrantingServiceAccess", list_policies_granting_service_access, _resource, writes=False),
)
