"""Managed policies attached to users, groups and roles: Attach/Detach{User,Group,Role}Policy,
ListAttached{User,Group,Role}Policies, ListEntitiesForPolicy; and the lookups every managed policy operation
shares (an ARN as AWS parses it, a customer policy by ARN, usage counts).

An attachment names its policy by ARN, since AWS managed policies live in the reference catalogue.
Counts are per account: an AWS managed policy's AttachmentCount is how often the caller's account
uses it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Row, delete, func, insert, select

from iamd.errors import NoSuchEntity, ValidationError
from iamd.security import ids
from iamd.service import policy_lookup, resources, targets
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import iam
from iamd.service.identities import roles as role_area, users as user_area
from iamd.service.pagination import page_sorted
from iamd.store import schema
from iamd.store.locks import lock_row
from iamd.store.schema import groups, managed_policies, policy_attachments, users

MAX_ATTACHED = 10  # AttachedPoliciesPer{User,Group,Role}Quota


def _roles():
    """The roles table, once the roles area has added it to the schema."""
    return getattr(schema, "roles", None)


# ---- shared lookups -------------------------------------------------------------------------------

def check_arn(arn: str) -> None:
    """AWS parses a PolicyArn before anything else: a string that is no ARN at all is a ValidationError."""
    parsed = ids.parse_arn(arn)
    if parsed is None or not parsed.resource:
        raise ValidationError(f"ARN {arn} is not valid.")


def account_of(arn: str) -> str:
    """The account field of an ARN; "" for any string that is no ARN, so that a caller that has not run
    ``check_arn`` yet compares it with an account id and never fails on it."""
    parsed = ids.parse_arn(arn)
    return parsed.account if parsed is not None else ""


def customer_policy(tx: Connection, account_id: str, arn: str):
    """The caller's customer managed policy with this ARN, or None."""
    return tx.execute(
        select(managed_policies).where(managed_policies.c.account_id == account_id, managed_policies.c.arn == arn)
    ).first()


def name_and_path(arn: str) -> tuple[str, str]:
    """``arn:aws:iam::123456789012:policy/a/b/Name`` → ("Name", "/a/b/")."""
    parsed = ids.parse_arn(arn)
    resource = parsed.resource if parsed is not None else ""  # policy/a/b/Name
    head, _, name = resource.rpartition("/")
    path = head[len("policy"):] + "/"
    return name, path


def usage_counts(tx: Connection, account_id: str, arns: list[str]) -> dict[str, tuple[int, int]]:
    """arn → (AttachmentCount, PermissionsBoundaryUsageCount) within the caller's account."""
    counts = {arn: [0, 0] for arn in arns}
    if not arns:
        return {}
    attached = tx.execute(
        select(policy_attachments.c.policy_arn, func.count())
        .where(policy_attachments.c.account_id == account_id, policy_attachments.c.policy_arn.in_(arns))
        .group_by(policy_attachments.c.policy_arn)
    )
    for arn, count in attached:
        counts[arn][0] = count
    for table in _boundary_tables():
        used = tx.execute(
            select(table.c.permissions_boundary, func.count())
            .where(table.c.account_id == account_id, table.c.permissions_boundary.in_(arns))
            .group_by(table.c.permissions_boundary)
        )
        for arn, count in used:
            counts[arn][1] += count
    return {arn: (a, b) for arn, (a, b) in counts.items()}


def _boundary_tables() -> list:
    roles = _roles()
    tables = [users]
    if roles is not None and "permissions_boundary" in roles.c:
        tables.append(roles)
    return tables


def attached_arns(tx: Connection, account_id: str) -> set[str]:
    """Every policy ARN attached to some user, group or role of the account."""
    return set(tx.scalars(
        select(policy_attachments.c.policy_arn).where(policy_attachments.c.account_id == account_id).distinct()
    ))


def boundary_arns(tx: Connection, account_id: str) -> set[str]:
    """Every policy ARN some user (or role) of the account has as permissions boundary."""
    found: set[str] = set()
    for table in _boundary_tables():
        found.update(tx.scalars(
            select(table.c.permissions_boundary)
            .where(table.c.account_id == account_id, table.c.permissions_boundary.is_not(None)).distinct()
        ))
    return found


# ---- the entities policies attach to ----------------------------------------------------------------

def find_group(tx: Connection, account_id: str, name: str):
    row = tx.execute(
        select(groups).where(groups.c.account_id == account_id, groups.c.name_key == name.lower())
    ).first()
    if row is None:
        raise NoSuchEntity(f"The group with name {name} cannot be found.")
    return row


def user_resource(call: Call, params: dict) -> str | targets.Target:
    return user_area.resource_arn(call, params)


def group_resource(call: Call, params: dict) -> str:
    return resources.entity_arn(call, "group", params["GroupName"])


def attach(tx: Connection, call: Call, kind: str, entity, arn: str) -> None:
    if not policy_lookup.is_policy_arn(arn) or not policy_lookup.exists(tx, call.account_id, arn):
        raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
    # The entity's row held: concurrent attaches count one after the other, and a repeated attach
    # finds the first one's row instead of colliding with it.
    quotas.hold_entity(tx, kind, entity)
    if not policy_lookup.is_aws_managed(arn) and not lock_row(tx, managed_policies, arn, column="arn"):
        raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")  # deleted meanwhile
    entity_id = entity.id
    current = set(tx.scalars(select(policy_attachments.c.policy_arn)
                             .where(policy_attachments.c.entity_id == entity_id)))
    if arn in current:
        return  # attaching twice changes nothing
    if len(current) >= MAX_ATTACHED:
        raise quotas.POLICIES_PER[kind].exceeded()
    tx.execute(insert(policy_attachments).values(
        entity_id=entity_id, policy_arn=arn, account_id=call.account_id, entity_kind=kind, attached_at=call.now,
    ))


def detach(tx: Connection, entity_id: str, arn: str) -> None:
    gone = tx.execute(delete(policy_attachments).where(
        policy_attachments.c.entity_id == entity_id, policy_attachments.c.policy_arn == arn))
    if gone.rowcount == 0:
        raise NoSuchEntity(f"Policy {arn} was not found.")


def attach_user_policy(tx: Connection, call: Call, params: dict) -> None:
    check_arn(params["PolicyArn"])
    user = user_area.target_user(tx, call, params["UserName"])
    attach(tx, call, "user", user, params["PolicyArn"])


def detach_user_policy(tx: Connection, call: Call, params: dict) -> None:
    check_arn(params["PolicyArn"])
    user = user_area.target_user(tx, call, params["UserName"])
    detach(tx, user.id, params["PolicyArn"])


def attach_group_policy(tx: Connection, call: Call, params: dict) -> None:
    check_arn(params["PolicyArn"])
    group = find_group(tx, call.account_id, params["GroupName"])
    attach(tx, call, "group", group, params["PolicyArn"])


def detach_group_policy(tx: Connection, call: Call, params: dict) -> None:
    check_arn(params["PolicyArn"])
    group = find_group(tx, call.account_id, params["GroupName"])
    detach(tx, group.id, params["PolicyArn"])


def role_resource(call: Call, params: dict) -> str | targets.Target:
    return role_area.resource_arn(call, params)


def attach_role_policy(tx: Connection, call: Call, params: dict) -> None:
    check_arn(params["PolicyArn"])
    role = role_area.find_modifiable_role(tx, call.account_id, params["RoleName"])
    attach(tx, call, "role", role, params["PolicyArn"])


def detach_role_policy(tx: Connection, call: Call, params: dict) -> None:
    check_arn(params["PolicyArn"])
    role = role_area.find_modifiable_role(tx, call.account_id, params["RoleName"])
    detach(tx, role.id, params["PolicyArn"])


def attached_policies(tx: Connection, entity_id: str, path_prefix: str | None) -> list[dict]:
    """The entity's attached managed policies as AttachedPolicy shapes, sorted by name."""
    found = []
    for arn in tx.scalars(select(policy_attachments.c.policy_arn).where(policy_attachments.c.entity_id == entity_id)):
        name, path = name_and_path(arn)
        if path_prefix and not path.startswith(path_prefix):
            continue
        found.append({"PolicyName": name, "PolicyArn": arn})
    return sorted(found, key=lambda p: (p["PolicyName"], p["PolicyArn"]))


def _list_attached(tx: Connection, entity_id: str, params: dict) -> dict:
    policies = attached_policies(tx, entity_id, params.get("PathPrefix"))
    keyed = [(f"{p['PolicyName']}\x00{p['PolicyArn']}", p) for p in policies]
    page, paging = page_sorted(keyed, params)
    return {"AttachedPolicies": page, **paging}


def list_attached_user_policies(tx: Connection, call: Call, params: dict) -> dict:
    user = user_area.target_user(tx, call, params["UserName"])
    return _list_attached(tx, user.id, params)


def list_attached_group_policies(tx: Connection, call: Call, params: dict) -> dict:
    group = find_group(tx, call.account_id, params["GroupName"])
    return _list_attached(tx, group.id, params)


def list_attached_role_policies(tx: Connection, call: Call, params: dict) -> dict:
    role = role_area.target_role(tx, call, params["RoleName"])
    return _list_attached(tx, role.id, params)


# ---- ListEntitiesForPolicy ----------------------------------------------------------------------------

# Result list, entity kind, member names of the entry, in the order the lists are paged.
_ENTITY_KINDS = (
    ("PolicyGroups", "group", "GroupName", "GroupId"),
    ("PolicyUsers", "user", "UserName", "UserId"),
    ("PolicyRoles", "role", "RoleName", "RoleId"),
)
_FILTERS = {"Group": "group", "User": "user", "Role": "role"}


def _entity_table(kind: str):
    return {"group": groups, "user": users, "role": _roles()}[kind]


def _entities(tx: Connection, account_id: str, kind: str, arn: str, usage: str, prefix: str | None) -> Sequence[Row]:
    table = _entity_table(kind)
    if table is None:
        return []
    if usage == "PermissionsBoundary":
        if kind == "group" or "permissions_boundary" not in table.c:
            return []
        query = select(table.c.id, table.c.name, table.c.name_key).where(
            table.c.account_id == account_id, table.c.permissions_boundary == arn)
    else:
        query = (
            select(table.c.id, table.c.name, table.c.name_key)
            .join(policy_attachments, policy_attachments.c.entity_id == table.c.id)
            .where(policy_attachments.c.account_id == account_id, policy_attachments.c.policy_arn == arn,
                   policy_attachments.c.entity_kind == kind)
        )
    if prefix:
        query = query.where(table.c.path.startswith(prefix, autoescape=True))
    return tx.execute(query).all()


def list_entities_for_policy(tx: Connection, call: Call, params: dict) -> dict:
    arn = params["PolicyArn"]
    check_arn(arn)
    if not policy_lookup.is_policy_arn(arn) or not policy_lookup.exists(tx, call.account_id, arn):
        raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
    wanted = params.get("EntityFilter")
    # Without a PolicyUsageFilter, AWS lists the entities that use the policy as a permissions policy.
    usage = params.get("PolicyUsageFilter", "PermissionsPolicy")
    result: dict = {name: [] for name, *_ in _ENTITY_KINDS}
    if wanted in ("LocalManagedPolicy", "AWSManagedPolicy"):
        return {**result, "IsTruncated": False}
    keyed = []
    for order, (list_name, kind, name_member, id_member) in enumerate(_ENTITY_KINDS):
        if wanted is not None and _FILTERS.get(wanted) != kind:
            continue
        for row in _entities(tx, call.account_id, kind, arn, usage, params.get("PathPrefix")):
            keyed.append((f"{order}/{row.name_key}", (list_name, {name_member: row.name, id_member: row.id})))
    keyed.sort(key=lambda pair: pair[0])
    page, paging = page_sorted(keyed, params)
    for list_name, entry in page:
        result[list_name].append(entry)
    return {**result, **paging}


def policy_resource(call: Call, params: dict) -> str | targets.Target:
    """The policy's ARN as given; with the account's own policy's row, for the handler (target_policy)."""
    arn = params["PolicyArn"]
    parts = arn.split(":", 5)
    if call.tx is None or len(parts) != 6 or parts[4] != call.account_id:  # AWS's, another account's, malformed
        return arn
    return targets.found(call, "policy", arn, customer_policy(call.tx, call.account_id, arn), arn)


def target_policy(tx: Connection, call: Call, arn: str):
    """``customer_policy``, taking the row authorization found for this request when it is this one's."""
    return targets.reuse(call, "policy", arn) or customer_policy(tx, call.account_id, arn)


OPERATIONS = (
    iam("AttachUserPolicy", attach_user_policy, user_resource),
    iam("DetachUserPolicy", detach_user_policy, user_resource),
    iam("AttachGroupPolicy", attach_group_policy, group_resource),
    iam("DetachGroupPolicy", detach_group_policy, group_resource),
    iam("ListAttachedUserPolicies", list_attached_user_policies, user_resource, writes=False),
    iam("ListAttachedGroupPolicies", list_attached_group_policies, group_resource, writes=False),
    iam("AttachRolePolicy", attach_role_policy, role_resource),
    iam("DetachRolePolicy", detach_role_policy, role_resource),
    iam("ListAttachedRolePolicies", list_attached_role_policies, role_resource, writes=False),
    iam("ListEntitiesForPolicy", list_entities_for_policy, policy_resource, writes=False),
)
