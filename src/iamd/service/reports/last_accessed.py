"""Service last accessed reports (GenerateServiceLastAccessedDetails and the two Get operations) and
SetSecurityTokenServicePreferences.

A report lists the services that the reported entity's permissions policies allow (an Allow statement
covering any of the service's actions, as in service_access.py; conditions, boundaries and resource
policies are not considered, as AWS documents), and for each one when it was last used:

- user: its own and its groups' policies; the use is the user's.
- group: the group's policies; the use is its members'.
- role: the role's policies; the use is the role's.
- policy: that policy; the use is that of the users and roles it is attached to (directly, or through
  a group for users).

What iamd can know was used is ``iam`` and ``sts``: every authenticated request records, per principal and
service, when and in which region it was last used (principal_last_used, written by last_used.py), whatever
credentials signed it: a user's access keys and session credentials (a federated user's count for the user
who federated), a role's sessions (counted for the role), the root user's. A role's being assumed counts
as ``sts`` too (RoleLastUsed).
Action-level reports carry TrackedActionsLastAccessed for the services AWS tracks actions of, empty:
iamd does not record which action was used.

The report is computed when generated and stored as JSON (the entities once, then per service who used
it, when and where), so the Get operations answer a stable, COMPLETED job and page through it.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from iamd.errors import InvalidInput, NoSuchEntity
from iamd.policy import Policy
from iamd.reference import actions as reference
from iamd.security import ids
from iamd.service import policy_lookup, policy_sets, resources
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.service.identities import groups as group_area, roles as role_area, users as user_area
from iamd.service.pagination import page_by_offset
from iamd.service.targets import Target
from iamd.store.schema import (
    accounts,
    group_members,
    last_accessed_jobs,
    policy_attachments,
    principal_last_used,
    roles,
    users,
)

# Services whose actions AWS reports in action-level reports (IAM User Guide, "IAM action last accessed
# information services and actions"): only those iamd could confirm; the list keeps growing.
TRACKED_ACTION_SERVICES = frozenset({"ec2", "iam", "lambda", "s3"})

# ServiceName as AWS reports it. The reference catalogue has no service names: the namespace otherwise.
SERVICE_NAMES = {
    "ec2": "Amazon EC2",
    "iam": "AWS Identity and Access Management",
    "lambda": "AWS Lambda",
    "s3": "Amazon S3",
    "sts": "AWS Security Token Service",
}

TOKEN_VERSIONS = {"v1Token": 1, "v2Token": 2}


def _job_not_found(job_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"No job found with id {job_id}.")


# ------------------------------------------------------------------------------ what policies allow


@functools.cache
def _service_actions(namespace: str) -> tuple[str, ...]:
    return tuple(f"{namespace}:{name}".lower() for name in reference.all_actions(namespace))


def _allowed_services(policies: list[Policy]) -> set[str]:
    """The service namespaces of which some Allow statement covers at least one action."""
    found: set[str] = set()
    every = reference.all_services()
    for policy in policies:
        for statement in policy.statements:
            if statement.effect != "Allow":
                continue
            candidates = every if statement.services is None else sorted(statement.services)
            for namespace in candidates:
                if namespace not in found and any(statement.matches_action(action)
                                                  for action in _service_actions(namespace)):
                    found.add(namespace)
    return found


def _policies_of(tx: Connection, call: Call, kind: str, entity_id: str) -> list[Policy]:
    """The identity policies of a user (its groups' too), group or role; boundaries do not count."""
    loaded = policy_sets.load(tx, call.account_id, kind, entity_id, call.env.authorizer.compiled)
    return [sourced.policy for sourced in loaded.identity]


# ---------------------------------------------------------------------------------- who is reported


def _user_info(row) -> dict:
    return {"Arn": user_area.user_arn(row), "Name": row.name, "Type": "USER", "Id": row.id, "Path": row.path}


def _role_info(row) -> dict:
    return {"Arn": role_area.role_arn(row), "Name": row.name, "Type": "ROLE", "Id": row.id, "Path": row.path}


def _subject(tx: Connection, call: Call, arn: str) -> tuple[list[Policy], list[tuple[dict, Row[Any]]]]:
    """The policies an ARN's report covers, and the users and roles whose use counts (EntityInfo, row)."""
    if policy_lookup.is_policy_arn(arn):
        if not policy_lookup.exists(tx, call.account_id, arn):
            raise NoSuchEntity(f"Policy {arn} was not found.")
        policies = policy_sets.managed(tx, call.account_id, [arn], call.env.authorizer.compiled)
        attached = tx.execute(select(policy_attachments.c.entity_id, policy_attachments.c.entity_kind)
                              .where(policy_attachments.c.account_id == call.account_id,
                                     policy_attachments.c.policy_arn == arn)).all()
        user_ids = {entity_id for entity_id, kind in attached if kind == "user"}
        group_ids = [entity_id for entity_id, kind in attached if kind == "group"]
        if group_ids:
            user_ids.update(tx.scalars(select(group_members.c.user_id).where(group_members.c.group_id.in_(group_ids))))
        role_ids = [entity_id for entity_id, kind in attached if kind == "role"]
        holders = [(_user_info(row), row) for row in tx.execute(select(users).where(users.c.id.in_(user_ids))
                                                                 .order_by(users.c.name_key))] if user_ids else []
        if role_ids:
            holders += [(_role_info(row), row) for row in tx.execute(select(roles).where(roles.c.id.in_(role_ids))
                                                                      .order_by(roles.c.name_key))]
        return policies, holders
    parsed = ids.parse_arn(arn)
    in_account = parsed is not None and parsed.is_iam(call.account_id)
    kind, name = (parsed.resource_type, parsed.name) if parsed is not None and in_account else ("", "")
    if kind not in ("user", "group", "role") or not name:
        raise InvalidInput(f"ARN {arn} is not valid.")
    if kind == "user":
        row = user_area.find_user(tx, call.account_id, name)
        return _policies_of(tx, call, "user", row.id), [(_user_info(row), row)]
    if kind == "role":
        row = role_area.find_role(tx, call.account_id, name)
        return _policies_of(tx, call, "role", row.id), [(_role_info(row), row)]
    group = group_area.find_group(tx, call.account_id, name)
    members = tx.execute(select(users).join(group_members, group_members.c.user_id == users.c.id)
                         .where(group_members.c.group_id == group.id).order_by(users.c.name_key)).all()
    return _policies_of(tx, call, "group", group.id), [(_user_info(row), row) for row in members]


def _uses(tx: Connection, holders: list[tuple[dict, Row[Any]]]) -> list[dict[str, tuple[datetime, str]]]:
    """What iamd knows each entity used: per holder, service namespace → (when last, region)."""
    found: dict[str, dict[str, tuple[datetime, str]]] = {info["Id"]: {} for info, _ in holders}
    for info, row in holders:
        if info["Type"] == "ROLE" and row.last_used_at is not None:  # assumed: RoleLastUsed
            found[info["Id"]]["sts"] = (row.last_used_at, row.last_used_region or "")
    entity_ids = sorted(found)
    for start in range(0, len(entity_ids), 500):  # bounded IN lists
        for principal_id, service, when, region in tx.execute(
                select(principal_last_used.c.principal_id, principal_last_used.c.service,
                       principal_last_used.c.last_used_at, principal_last_used.c.region)
                .where(principal_last_used.c.principal_id.in_(entity_ids[start:start + 500]))):
            usage = found[principal_id]
            if service not in usage or when > usage[service][0]:
                usage[service] = (when, region or "")
    return [found[info["Id"]] for info, _ in holders]


# ------------------------------------------------------------------------------------- operations


def generate_service_last_accessed_details(tx: Connection, call: Call, params: dict) -> dict:
    arn = params["Arn"]
    granularity = params.get("Granularity", "SERVICE_LEVEL")
    call.env.last_used.flush(tx)
    policies, holders = _subject(tx, call, arn)
    used = _uses(tx, holders)
    services = []
    for namespace in sorted(_allowed_services(policies)):
        uses: list[tuple[int, str, str]] = [  # a JSON array each, as stored
            (index, when.isoformat(), region) for index, usage in enumerate(used) if namespace in usage
            for when, region in [usage[namespace]]]
        uses.sort(key=lambda use: use[1], reverse=True)
        services.append({"namespace": namespace, "uses": uses})
    job_id = ids.request_id()
    tx.execute(insert(last_accessed_jobs).values(
        id=job_id, account_id=call.account_id, arn=arn, granularity=granularity, created_at=call.now,
        completed_at=call.now, result=json.dumps({"entities": [info for info, _ in holders], "services": services})))
    return {"JobId": job_id}


def _job(tx: Connection, call: Call, job_id: str):
    row = tx.execute(select(last_accessed_jobs).where(last_accessed_jobs.c.id == job_id,
                                                      last_accessed_jobs.c.account_id == call.account_id)).first()
    if row is None:
        raise _job_not_found(job_id)
    return row, json.loads(row.result)


def _service_entry(service: dict, entities: list[dict], action_level: bool) -> dict:
    namespace = service["namespace"]
    entry = {"ServiceName": SERVICE_NAMES.get(namespace, namespace), "ServiceNamespace": namespace,
             "TotalAuthenticatedEntities": len(service["uses"])}
    if service["uses"]:
        index, when, region = service["uses"][0]
        entry.update(LastAuthenticated=datetime.fromisoformat(when), LastAuthenticatedEntity=entities[index]["Arn"],
                     LastAuthenticatedRegion=region)
    if action_level and namespace in TRACKED_ACTION_SERVICES:
        entry["TrackedActionsLastAccessed"] = []
    return entry


def get_service_last_accessed_details(tx: Connection, call: Call, params: dict) -> dict:
    row, report = _job(tx, call, params["JobId"])
    action_level = row.granularity == "ACTION_LEVEL"
    services, paging = page_by_offset(report["services"], params)
    return {
        "JobStatus": "COMPLETED",
        "JobType": row.granularity,
        "JobCreationDate": row.created_at,
        "ServicesLastAccessed": [_service_entry(service, report["entities"], action_level) for service in services],
        "JobCompletionDate": row.completed_at,
        **paging,
    }


def get_service_last_accessed_details_with_entities(tx: Connection, call: Call, params: dict) -> dict:
    row, report = _job(tx, call, params["JobId"])
    namespace = params["ServiceNamespace"].lower()
    service = next((entry for entry in report["services"] if entry["namespace"] == namespace), None)
    details = []
    if service is not None:
        last = {index: when for index, when, _ in service["uses"]}
        # Most recent use first (AWS's order), then the entities that never used the service.
        order = [index for index, _, _ in service["uses"]]
        order += [index for index in range(len(report["entities"])) if index not in last]
        for index in order:
            detail = {"EntityInfo": report["entities"][index]}
            if index in last:
                detail["LastAuthenticated"] = datetime.fromisoformat(last[index])
            details.append(detail)
    details, paging = page_by_offset(details, params)
    return {
        "JobStatus": "COMPLETED",
        "JobCreationDate": row.created_at,
        "JobCompletionDate": row.completed_at,
        "EntityDetailsList": details,
        **paging,
    }


def set_security_token_service_preferences(tx: Connection, call: Call, params: dict) -> None:
    version = TOKEN_VERSIONS[params["GlobalEndpointTokenVersion"]]
    tx.execute(update(accounts).where(accounts.c.id == call.account_id).values(global_endpoint_token_version=version))
    return None


def _report_resource(call: Call, params: dict) -> str | Target:
    return resources.arn_target(call, params["Arn"])


OPERATIONS = (
    iam("GenerateServiceLastAccessedDetails", generate_service_last_accessed_details, _report_resource,
        changes_access=False),
    iam("GetServiceLastAccessedDetails", get_service_last_accessed_details, any_resource, writes=False),
    iam("GetServiceLastAccessedDetailsWithEntities", get_service_last_accessed_details_with_entities, any_resource,
        writes=False),
    iam("SetSecurityTokenServicePreferences", set_security_token_service_preferences, any_resource,
        changes_access=False),
)
