"""Service-linked roles: CreateServiceLinkedRole, DeleteServiceLinkedRole,
GetServiceLinkedRoleDeletionStatus.

A service-linked role is an ordinary role row marked with its service principal (``service_linked``),
at path ``/aws-service-role/<service-principal>/``, trusting only that service, with the service's
AWS managed policies under ``/aws-service-role/`` attached. Its name, policies and suffix rule are
AWS's for the service (``iamd.reference.service_linked_roles``, a table built from AWS's documentation
and its managed-policy catalogue); for other services the name is ``AWSServiceRoleFor`` followed by
the principal's words before ``.amazonaws.com``, each capitalised (``foo-bar.amazonaws.com`` →
``AWSServiceRoleForFooBar``), with no policy and no suffix. A CustomSuffix is appended as
``_<suffix>``, for the services that allow one.

Deletion happens at once: DeleteServiceLinkedRole removes the role and records a task that
GetServiceLinkedRoleDeletionStatus reports as SUCCEEDED.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import Connection, delete, insert, select

from iamd.errors import InvalidInput, NoSuchEntity
from iamd.reference import managed_policies as aws_catalogue, service_linked_roles as slr_table
from iamd.security import ids
from iamd.service import resources
from iamd.service.context import Call
from iamd.service.declare import iam
from iamd.service.identities import roles as role_area
from iamd.service.targets import Target
from iamd.store.schema import deletion_tasks, inline_policies, instance_profile_roles, policy_attachments, roles


def role_name_for(service: str) -> str:
    known = slr_table.lookup(service)
    return known.role_name if known is not None else slr_table.fallback_role_name(service)


def policy_arns_for(service: str) -> list[str]:
    """The AWS managed policies AWS attaches to the service's role, those the catalogue holds."""
    known = slr_table.lookup(service)
    if known is None:
        return []
    return [arn for arn in known.policy_arns if aws_catalogue.get(arn) is not None]


def suffix_allowed(service: str) -> bool:
    """Recorded: most services refuse a CustomSuffix; an unknown service is taken to refuse one too."""
    known = slr_table.lookup(service)
    return known is not None and known.custom_suffix


def trust_policy(service: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": [service]}, "Action": ["sts:AssumeRole"]}],
    }, separators=(",", ":"))


def path_for(service: str) -> str:
    return f"/aws-service-role/{service}/"


def create_resource(call: Call, params: dict) -> str | Target:
    service = params["AWSServiceName"]
    name = role_name_for(service)
    if params.get("CustomSuffix"):
        name += "_" + params["CustomSuffix"]
    return resources.named_target(call, "role", name, path_for(service))


def role_resource(call: Call, params: dict) -> str | Target:
    return role_area.resource_arn(call, params)


def task_resource(call: Call, params: dict) -> str | Target:
    """The role a deletion task is about: task/aws-service-role/<service>/<role-name>/<uuid>."""
    parts = params["DeletionTaskId"].split("/")
    if len(parts) == 5 and parts[:2] == ["task", "aws-service-role"]:
        return resources.named_target(call, "role", parts[3], path_for(parts[2]))
    return ids.entity_arn(call.account_id, "role", "/aws-service-role/", "*")


def create_service_linked_role(tx: Connection, call: Call, params: dict) -> dict:
    service = params["AWSServiceName"]
    suffix = params.get("CustomSuffix")
    if suffix is not None and not suffix_allowed(service):
        raise InvalidInput(f"Custom suffix is not allowed for {service}")
    name = role_name_for(service) + (f"_{suffix}" if suffix else "")
    if tx.execute(select(roles.c.id).where(roles.c.account_id == call.account_id,
                                           roles.c.name_key == name.lower())).first():
        raise InvalidInput(f"Service role name {name} has been taken in this account, please try a different suffix.")
    row = role_area.insert_role(tx, call, name, path_for(service), trust_policy(service),
                                description=params.get("Description"), service_linked=service)
    for policy_arn in policy_arns_for(service):
        tx.execute(insert(policy_attachments).values(
            entity_id=row.id, policy_arn=policy_arn, account_id=call.account_id, entity_kind="role",
            attached_at=call.now))
    return {"Role": role_area.describe(row)}


def delete_service_linked_role(tx: Connection, call: Call, params: dict) -> dict:
    row = role_area.target_role(tx, call, params["RoleName"])
    if row.service_linked is None:
        raise InvalidInput(f"Role {row.name} is not a service-linked role.")
    for column in (policy_attachments.c.entity_id, inline_policies.c.entity_id, instance_profile_roles.c.role_id):
        tx.execute(delete(column.table).where(column == row.id))
    role_area.remove_role(tx, row.id)
    task_id = f"task/aws-service-role/{row.service_linked}/{row.name}/{uuid.uuid4()}"
    tx.execute(insert(deletion_tasks).values(id=task_id, account_id=call.account_id, status="SUCCEEDED",
                                             created_at=call.now))
    return {"DeletionTaskId": task_id}


def get_service_linked_role_deletion_status(tx: Connection, call: Call, params: dict) -> dict:
    task_id = params["DeletionTaskId"]
    row = tx.execute(select(deletion_tasks).where(
        deletion_tasks.c.id == task_id, deletion_tasks.c.account_id == call.account_id)).first()
    if row is None:
        raise NoSuchEntity(f"Deletion task {task_id} cannot be found.")
    result: dict = {"Status": row.status}
    if row.reason:
        result["Reason"] = {"Reason": row.reason}
    return result


OPERATIONS = (
    iam("CreateServiceLinkedRole", create_service_linked_role, create_resource),
    iam("DeleteServiceLinkedRole", delete_service_linked_role, role_resource),
    iam("GetServiceLinkedRoleDeletionStatus", get_service_linked_role_deletion_status, task_resource,
        writes=False),
)
