"""ListPoliciesGrantingServiceAccess: which of an identity's policies allow some action of a service.

A policy grants access to a service when one of its Allow statements covers any of that service's
actions (the Service Authorization Reference's list; wildcards and NotAction as the engine reads them).
A user's list includes the policies of its groups, as AWS's does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from iamd.errors import InvalidInput
from iamd.policy import Policy, parse_policy
from iamd.reference import actions as reference
from iamd.service.context import Call
from iamd.service.declare import iam
from iamd.service.identities import groups as group_area, roles as role_area, users as user_area
from iamd.service.principal_policies import managed
from iamd.store.schema import group_members, groups, inline_policies, policy_attachments


@dataclass(frozen=True)
class _Source:
    entry: dict  # the PolicyGrantingServiceAccess shape
    policy: Policy


def _entity(tx: Connection, call: Call, arn: str):
    prefix = f"arn:aws:iam::{call.account_id}:"
    kind, _, rest = arn[len(prefix):].partition("/") if arn.startswith(prefix) else ("", "", "")
    finders = {"user": user_area.find_user, "group": group_area.find_group, "role": role_area.find_role}
    if kind not in finders or not rest:
        raise InvalidInput(f"ARN {arn} is not valid.")
    return kind, finders[kind](tx, call.account_id, rest.rsplit("/", 1)[-1])


def _sources(tx: Connection, call: Call, entity_id: str, entity_type: str, entity_name: str) -> list[_Source]:
    found = []
    for name, document in tx.execute(select(inline_policies.c.name, inline_policies.c.document)
                                     .where(inline_policies.c.entity_id == entity_id)
                                     .order_by(inline_policies.c.name)):
        found.append(_Source({"PolicyName": name, "PolicyType": "INLINE", "EntityType": entity_type,
                              "EntityName": entity_name}, parse_policy(document, policy_id=name)))
    arns = sorted(tx.scalars(select(policy_attachments.c.policy_arn)
                             .where(policy_attachments.c.entity_id == entity_id)))
    for arn in arns:
        for policy in managed(tx, call.account_id, [arn], call.env.authorizer.compiled):
            found.append(_Source({"PolicyName": arn.rsplit("/", 1)[-1], "PolicyType": "MANAGED", "PolicyArn": arn},
                                 policy))
    return found


def _grants(policy: Policy, service_actions: list[str]) -> bool:
    return any(statement.effect == "Allow" and any(statement.matches_action(action) for action in service_actions)
               for statement in policy.statements)


def list_policies_granting_service_access(tx: Connection, call: Call, params: dict) -> dict:
    kind, row = _entity(tx, call, params["Arn"])
    sources = _sources(tx, call, row.id, kind.upper(), row.name)
    if kind == "user":
        for group_id, group_name in tx.execute(
                select(groups.c.id, groups.c.name).join(group_members, group_members.c.group_id == groups.c.id)
                .where(group_members.c.user_id == row.id).order_by(groups.c.name_key)):
            sources += _sources(tx, call, group_id, "GROUP", group_name)
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


def _resource(call: Call, params: dict) -> str:
    return params["Arn"]


OPERATIONS = (
    iam("ListPoliciesGrantingServiceAccess", list_policies_granting_service_access, _resource, writes=False),
)
