"""IAM groups: CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup and group membership
(AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser).

Group names are unique per account ignoring case (``name_key``). A user belongs to at most 10 groups.
Inline group policies live in service/policies/inline_policies.py; managed policy attachments in
service/policies/managed_policies.py.
"""

from __future__ import annotations

from operator import add

from sqlalchemy import Connection, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from iamd.errors import DeleteConflict, EntityAlreadyExists, NoSuchEntity
from iamd.security import ids
from iamd.service import resources
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.service.identities import users
from iamd.service.pagination import DEFAULT_MAX_ITEMS, columns_by_path, decode_marker, page
from iamd.service.table import Table
from iamd.store.schema import group_members, groups, inline_policies, policy_attachments, users as users_table

MAX_GROUPS_PER_USER = quotas.GROUPS_PER_USER.limit


def not_found(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The group with name {name} cannot be found.")


def find_group(tx: Connection, account_id: str, name: str):
    row = tx.execute(
        select(groups).where(groups.c.account_id == account_id, groups.c.name_key == name.lower())
    ).first()
    if row is None:
        raise not_found(name)
    return row


def group_arn(row) -> str:
    return ids.entity_arn(row.account_id, "group", row.path, row.name)


def describe(row) -> dict:
    return {
        "Path": row.path,
        "GroupName": row.name,
        "GroupId": row.id,
        "Arn": group_arn(row),
        "CreateDate": row.created_at,
    }


def _member(row) -> dict:
    """A user as GetGroup lists it: no tags and no permissions boundary, as in AWS's list results."""
    user = users.describe(row)
    user.pop("PermissionsBoundary", None)
    return user


def resource_arn(call: Call, params: dict) -> str:
    """The group an operation acts on, for authorization: its stored path, or CreateGroup's Path."""
    return resources.entity_arn(call, "group", params["GroupName"], params.get("Path"))


def create_group(tx: Connection, call: Call, params: dict) -> dict:
    name, path = params["GroupName"], params.get("Path", "/")
    quotas.check_account(tx, quotas.GROUPS, call.account_id, groups)
    group_id = ids.unique_id("group")
    try:
        tx.execute(insert(groups).values(
            id=group_id, account_id=call.account_id, name=name, name_key=name.lower(), path=path,
            created_at=call.now,
        ))
    except IntegrityError:
        raise EntityAlreadyExists(f"Group with name {name} already exists.") from None
    return {"Group": describe(tx.execute(select(groups).where(groups.c.id == group_id)).one())}


def get_group(tx: Connection, call: Call, params: dict) -> dict:
    row = find_group(tx, call.account_id, params["GroupName"])
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    after = decode_marker(params.get("Marker"))
    query = (
        select(users_table)
        .join(group_members, group_members.c.user_id == users_table.c.id)
        .where(group_members.c.group_id == row.id)
    )
    if after is not None:
        query = query.where(users_table.c.name_key > after)
    members = tx.execute(query.order_by(users_table.c.name_key).limit(max_items + 1)).all()
    members, paging = page(members, max_items, lambda member: member.name_key)
    return {"Group": describe(row), "Users": [_member(member) for member in members], **paging}


# What a ListGroups page reads: describe's columns, not the account (the caller's), nor name_key (as ListUsers).
_LISTED_COLUMNS = ("path", "name", "id", "created_at")


def list_groups(tx: Connection, call: Call, params: dict) -> dict:
    page, paging = columns_by_path(tx, groups, call.account_id, params, _LISTED_COLUMNS)
    # describe's members column by column, as ListUsers: the ARN's account part is the caller's.
    arn_prefix = ids.entity_arn(call.account_id, "group", "", "")
    paths, names = page["path"], page["name"]
    members = {"Path": paths, "GroupName": names, "GroupId": page["id"],
               "Arn": list(map(add, map(arn_prefix.__add__, paths), names)), "CreateDate": page["created_at"]}
    return {"Groups": Table(members, len(names)), **paging}


def update_group(tx: Connection, call: Call, params: dict) -> None:
    row = find_group(tx, call.account_id, params["GroupName"])
    changes: dict[str, object] = {}
    if "NewGroupName" in params:
        changes.update(name=params["NewGroupName"], name_key=params["NewGroupName"].lower())
    if "NewPath" in params:
        changes["path"] = params["NewPath"]
    if not changes:
        return None
    try:
        tx.execute(update(groups).where(groups.c.id == row.id).values(**changes))
    except IntegrityError:
        raise EntityAlreadyExists(f"Group with name {params['NewGroupName']} already exists.") from None
    return None


# What must be gone before a group can be deleted, in order, with AWS's messages.
_DELETE_BLOCKERS = (
    (group_members.c.group_id, "must remove users from group first."),
    (inline_policies.c.entity_id, "must delete policies first."),
    (policy_attachments.c.entity_id, "must detach all policies first."),
)


def delete_group(tx: Connection, call: Call, params: dict) -> None:
    row = find_group(tx, call.account_id, params["GroupName"])
    quotas.hold_group(tx, row)  # no member added while we check
    for column, message in _DELETE_BLOCKERS:
        if tx.scalar(select(exists().where(column == row.id))):
            raise DeleteConflict(f"Cannot delete entity, {message}")
    tx.execute(delete(groups).where(groups.c.id == row.id))
    return None


def _is_member(tx: Connection, group_id: str, user_id: str) -> bool:
    return bool(tx.scalar(select(exists().where(
        group_members.c.group_id == group_id, group_members.c.user_id == user_id))))


def add_user_to_group(tx: Connection, call: Call, params: dict) -> None:
    user = users.target_user(tx, call, params["UserName"])
    group = find_group(tx, call.account_id, params["GroupName"])
    quotas.hold_user(tx, user)  # the quota is the user's: user first, then group (store/locks.py)
    quotas.hold_group(tx, group)
    if _is_member(tx, group.id, user.id):
        return None
    quotas.check(tx, quotas.GROUPS_PER_USER, group_members, group_members.c.user_id == user.id)
    tx.execute(insert(group_members).values(group_id=group.id, user_id=user.id, added_at=call.now))
    return None


def remove_user_from_group(tx: Connection, call: Call, params: dict) -> None:
    user = users.target_user(tx, call, params["UserName"])
    group = find_group(tx, call.account_id, params["GroupName"])
    tx.execute(delete(group_members).where(group_members.c.group_id == group.id,
                                           group_members.c.user_id == user.id))
    return None


def list_groups_for_user(tx: Connection, call: Call, params: dict) -> dict:
    user = users.target_user(tx, call, params["UserName"])
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    after = decode_marker(params.get("Marker"))
    query = (
        select(groups)
        .join(group_members, group_members.c.group_id == groups.c.id)
        .where(group_members.c.user_id == user.id)
    )
    if after is not None:
        query = query.where(groups.c.name_key > after)
    rows = tx.execute(query.order_by(groups.c.name_key).limit(max_items + 1)).all()
    rows, paging = page(rows, max_items, lambda row: row.name_key)
    return {"Groups": [describe(row) for row in rows], **paging}


OPERATIONS = (
    iam("CreateGroup", create_group, resource_arn),
    iam("GetGroup", get_group, resource_arn, writes=False),
    iam("ListGroups", list_groups, any_resource, writes=False),
    iam("UpdateGroup", update_group, resource_arn),
    iam("DeleteGroup", delete_group, resource_arn),
    iam("AddUserToGroup", add_user_to_group, resource_arn),
    iam("RemoveUserFromGroup", remove_user_from_group, resource_arn),
    iam("ListGroupsForUser", list_groups_for_user, users.resource_arn, writes=False),
)
