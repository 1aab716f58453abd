"""IAM roles: CreateRole, GetRole, ListRoles, UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy,
DeleteRole, the role's permissions boundary and tags; and the lookups STS builds on (find_role,
find_role_by_arn, role_arn, record_role_use).

Role names are unique per account ignoring case (``name_key``), and so are role tag keys. The trust
policy (AssumeRolePolicyDocument) is stored as sent. Handlers return the full Role; the protocol layer
drops what AWS leaves out per operation (protocol/omissions.py). Inline role policies live in
service/policies/inline_policies.py, managed policy attachments in
service/policies/policy_attachments.py, service-linked roles in service/identities/service_linked_roles.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from iamd.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity, UnmodifiableEntity
from iamd.security import ids
from iamd.service import policy_documents, resources, tags as tagging, targets
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.service.identities import boundaries, trust_principals
from iamd.service.pagination import list_by_path
from iamd.store.schema import inline_policies, instance_profile_roles, policy_attachments, principal_last_used, roles

DEFAULT_MAX_SESSION_DURATION = 3600


def not_found(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The role with name {name} cannot be found.")


_FIND_ROLE = select(roles).where(roles.c.account_id == bindparam("account_id"), roles.c.name_key == bindparam("key"))


def find_role(tx: Connection, account_id: str, name: str):
    """The account's role of this name (ignoring case); NoSuchEntity with AWS's message if none."""
    row = tx.execute(_FIND_ROLE, {"account_id": account_id, "key": name.lower()}).first()
    if row is None:
        raise not_found(name)
    return row


def find_modifiable_role(tx: Connection, account_id: str, name: str):
    """The role, for an operation that changes it: a service-linked role is AWS's to change."""
    row = find_role(tx, account_id, name)
    if row.service_linked:
        raise UnmodifiableEntity(f"Cannot perform the operation on the protected role '{row.name}' - "
                                 "this role is only modifiable by AWS")
    return row


def find_role_by_arn(tx: Connection, arn: str):
    """The role an ARN names, in any account on the server, or None. The ARN's path must match the role's."""
    parsed = ids.parse_arn(arn)
    if parsed is None or parsed.service != "iam" or parsed.resource_type != "role" or not parsed.name:
        return None
    row = tx.execute(_FIND_ROLE, {"account_id": parsed.account, "key": parsed.name.lower()}).first()
    if row is None or role_arn(row) != arn:
        return None
    return row


def role_arn(row) -> str:
    return ids.entity_arn(row.account_id, "role", row.path, row.name)


def record_role_use(tx: Connection, role_id: str, when: datetime, region: str) -> None:
    """Note that the role was used (assumed), for GetRole's RoleLastUsed."""
    tx.execute(update(roles).where(roles.c.id == role_id).values(last_used_at=when, last_used_region=region))


def last_used(row) -> dict:
    if row.last_used_at is None:
        return {}
    return {"LastUsedDate": row.last_used_at, "Region": row.last_used_region}


def describe(row, with_tags: list[dict] | None = None, *, tx: Connection | None = None) -> dict:
    """The Role shape, complete: the encoder leaves out what AWS omits for the operation. With ``tx``,
    the trust policy shows the unique id of a principal that is gone (service/identities/trust_principals.py)."""
    trust_policy = row.assume_role_policy
    if tx is not None and row.trust_principals:
        trust_policy = trust_principals.shown(tx, trust_policy, row.trust_principals)
    role = {
        "Path": row.path,
        "RoleName": row.name,
        "RoleId": row.id,
        "Arn": role_arn(row),
        "CreateDate": row.created_at,
        "AssumeRolePolicyDocument": trust_policy,
        "Description": row.description,
        "MaxSessionDuration": row.max_session_duration,
        "RoleLastUsed": last_used(row),
    }
    if row.permissions_boundary:
        role["PermissionsBoundary"] = boundaries.describe(row.permissions_boundary)
    if with_tags:
        role["Tags"] = with_tags
    return role


def resource_arn(call: Call, params: dict) -> str | targets.Target:
    """The role an operation acts on, for authorization: its stored path, or CreateRole's Path; with the
    role's row when it was looked up, for the handler to reuse (target_role)."""
    name = params["RoleName"]
    return resources.named_target(call, "role", name, params.get("Path"))


def target_role(tx: Connection, call: Call, name: str):
    """``find_role``, taking the row authorization found for this request when it is this role's."""
    return targets.reuse(call, "role", name.lower()) or find_role(tx, call.account_id, name)


def check_trust_policy(text: str) -> None:
    policy_documents.check_document(text, kind="trust")
    if policy_documents.size(text) > policy_documents.TRUST_POLICY_LIMIT:
        raise LimitExceeded(f"Cannot exceed quota for ACLSizePerRole: {policy_documents.TRUST_POLICY_LIMIT}")


def insert_role(tx: Connection, call: Call, name: str, path: str, trust_policy: str, *,
                description: str | None = None, max_session_duration: int | None = None,
                boundary: str | None = None, service_linked: str | None = None):
    """Store a new role and return its row; EntityAlreadyExists if the name is taken."""
    quotas.check_account(tx, quotas.ROLES, call.account_id, roles)
    role_id = ids.unique_id("role")
    try:
        tx.execute(insert(roles).values(
            id=role_id, account_id=call.account_id, name=name, name_key=name.lower(), path=path,
            created_at=call.now, description=description,
            max_session_duration=max_session_duration or DEFAULT_MAX_SESSION_DURATION,
            assume_role_policy=trust_policy, permissions_boundary=boundary, service_linked=service_linked,
            trust_principals=trust_principals.pin(tx, trust_policy),
        ))
    except IntegrityError:
        raise EntityAlreadyExists(f"Role with name {name} already exists.") from None
    return tx.execute(select(roles).where(roles.c.id == role_id)).one()


def create_role(tx: Connection, call: Call, params: dict) -> dict:
    name, path = params["RoleName"], params.get("Path", "/")
    trust_policy = params["AssumeRolePolicyDocument"]
    check_trust_policy(trust_policy)
    new_tags = params.get("Tags", [])
    tagging.check_no_duplicates(new_tags, case_insensitive=True)
    boundary = params.get("PermissionsBoundary")
    if boundary is not None:
        boundaries.check_attachable(tx, call, boundary)
    row = insert_role(tx, call, name, path, trust_policy, description=params.get("Description"),
                      max_session_duration=params.get("MaxSessionDuration"), boundary=boundary)
    if new_tags:
        tagging.put_tags(tx, row.id, new_tags)
    return {"Role": describe(row, new_tags)}


def get_role(tx: Connection, call: Call, params: dict) -> dict:
    row = target_role(tx, call, params["RoleName"])
    return {"Role": describe(row, tagging.list_tags(tx, row.id), tx=tx)}


def list_roles(tx: Connection, call: Call, params: dict) -> dict:
    rows, paging = list_by_path(tx, roles, call.account_id, params)
    return {"Roles": [describe(row, tx=tx) for row in rows], **paging}


def update_role(tx: Connection, call: Call, params: dict) -> None:
    row = target_role(tx, call, params["RoleName"])
    changes = {}
    if "Description" in params:
        changes["description"] = params["Description"]
    if "MaxSessionDuration" in params:
        changes["max_session_duration"] = params["MaxSessionDuration"]
    if changes:
        tx.execute(update(roles).where(roles.c.id == row.id).values(**changes))
    return None


def update_role_description(tx: Connection, call: Call, params: dict) -> dict:
    row = target_role(tx, call, params["RoleName"])
    tx.execute(update(roles).where(roles.c.id == row.id).values(description=params["Description"]))
    row = tx.execute(select(roles).where(roles.c.id == row.id)).one()
    return {"Role": describe(row, tagging.list_tags(tx, row.id), tx=tx)}


def update_assume_role_policy(tx: Connection, call: Call, params: dict) -> None:
    row = find_modifiable_role(tx, call.account_id, params["RoleName"])
    document = params["PolicyDocument"]
    check_trust_policy(document)
    tx.execute(update(roles).where(roles.c.id == row.id).values(
        assume_role_policy=document, trust_principals=trust_principals.pin(tx, document)))
    return None


# What must be gone before a role can be deleted, in the order AWS checks, with AWS's messages.
_DELETE_BLOCKERS = (
    (instance_profile_roles.c.role_id, "must remove roles from instance profile first."),
    (policy_attachments.c.entity_id, "must detach all policies first."),
    (inline_policies.c.entity_id, "must delete policies first."),
)


def check_deletable(tx: Connection, role_id: str) -> None:
    for column, message in _DELETE_BLOCKERS:
        if tx.scalar(select(exists().where(column == role_id))):
            raise DeleteConflict(f"Cannot delete entity, {message}")


def remove_role(tx: Connection, role_id: str) -> None:
    """Delete a role and its tags (the caller has checked that nothing else refers to it)."""
    tagging.drop_all(tx, role_id)
    tx.execute(delete(principal_last_used).where(principal_last_used.c.principal_id == role_id))
    tx.execute(delete(roles).where(roles.c.id == role_id))


def delete_role(tx: Connection, call: Call, params: dict) -> None:
    row = find_modifiable_role(tx, call.account_id, params["RoleName"])
    quotas.hold_role(tx, row)  # nothing is added to the role between the checks and the delete
    check_deletable(tx, row.id)
    remove_role(tx, row.id)
    return None


def put_role_permissions_boundary(tx: Connection, call: Call, params: dict) -> None:
    boundaries.check_attachable(tx, call, params["PermissionsBoundary"])
    row = target_role(tx, call, params["RoleName"])
    tx.execute(update(roles).where(roles.c.id == row.id).values(permissions_boundary=params["PermissionsBoundary"]))


def delete_role_permissions_boundary(tx: Connection, call: Call, params: dict) -> None:
    row = target_role(tx, call, params["RoleName"])
    tx.execute(update(roles).where(roles.c.id == row.id).values(permissions_boundary=None))


_TAGS = tagging.TagHandlers(lambda tx, call, params: target_role(tx, call, params["RoleName"]))


OPERATIONS = (
    iam("CreateRole", create_role, resource_arn),
    iam("GetRole", get_role, resource_arn, writes=False),
    iam("ListRoles", list_roles, any_resource, writes=False),
    iam("UpdateRole", update_role, resource_arn),
    iam("UpdateRoleDescription", update_role_description, resource_arn),
    iam("UpdateAssumeRolePolicy", update_assume_role_policy, resource_arn),
    iam("DeleteRole", delete_role, resource_arn),
    iam("TagRole", _TAGS.tag, resource_arn),
    iam("UntagRole", _TAGS.untag, resource_arn),
    iam("ListRoleTags", _TAGS.list, resource_arn, writes=False),
    iam("PutRolePermissionsBoundary", put_role_permissions_boundary, resource_arn),
    iam("DeleteRolePermissionsBoundary", delete_role_permissions_boundary, resource_arn),
)
