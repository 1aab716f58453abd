"""IAM users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser and the user's tags."""

from __future__ import annotations

from operator import add, attrgetter
from types import SimpleNamespace
from typing import Any, Literal, overload

from sqlalchemy import Connection, bindparam, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from iamd.errors import DeleteConflict, EntityAlreadyExists, NoSuchEntity, ValidationError
from iamd.security import ids
from iamd.security.principal_kind import PrincipalKind
from iamd.service import resources, tags as tagging, targets
from iamd.service.account import quotas
from iamd.service.account.accounts import find_account
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.service.identities import boundaries
from iamd.service.pagination import columns_by_path, page_reads
from iamd.service.table import Table
from iamd.store.fastpath import HotQuery, HotStatement
from iamd.store.schema import (
    access_keys,
    group_members,
    inline_policies,
    login_profiles,
    mfa_devices,
    policy_attachments,
    principal_last_used,
    service_specific_credentials,
    signing_certificates,
    ssh_public_keys,
    tags,
    users,
)


def not_found(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The user with name {name} cannot be found.")


# Built once: statement construction costs more than SQLite's lookup on this hot path.
_FIND_USER = HotQuery(select(users).where(users.c.account_id == bindparam("account_id"),
                                          users.c.name_key == bindparam("key")))


# A user and its tags in one statement (one row per tag, or one row with no tag), by the user's name:
# GetUser's one read after the caller's key (on PostgreSQL both share one round trip: _get_user_reads).
# Its authorization reads it (_get_user_resource) and the handler answers from what it read.
# Its rows are put in the tags' order here, not by ORDER BY: SQLite sorted them in a temporary B-tree
# on every read (~6,800 instructions), though most users have no tag or one.
_FIND_USER_TAGGED = HotQuery(
    select(users, tags.c.key.label("tag_key"), tags.c.value.label("tag_value"),
           tags.c.position.label("tag_position"))
    .select_from(users.outerjoin(tags, tags.c.resource_id == users.c.id))
    .where(users.c.account_id == bindparam("account_id"), users.c.name_key == bindparam("key")))
_TAG_POSITION = attrgetter("tag_position")
_TAGS_FOUND = "user tags"  # call.found's kind for the tags _FIND_USER_TAGGED read


_INSERT_USER = HotStatement(insert(users).values({name: bindparam(name) for name in (
    "id", "account_id", "name", "name_key", "path", "created_at", "permissions_boundary")}))


def find_user(tx: Connection, account_id: str, name: str):
    row = _FIND_USER.first(tx, {"account_id": account_id, "key": name.lower()})
    if row is None:
        raise not_found(name)
    return row


def user_arn(row) -> str:
    return ids.entity_arn(row.account_id, "user", row.path, row.name)


def describe(row, with_tags: list[dict] | None = None) -> dict:
    user = {
        "Path": row.path,
        "UserName": row.name,
        "UserId": row.id,
        "Arn": user_arn(row),
        "CreateDate": row.created_at,
        "PasswordLastUsed": row.password_last_used,
    }
    if row.permissions_boundary:
        user["PermissionsBoundary"] = boundaries.describe(row.permissions_boundary)
    if with_tags:
        user["Tags"] = with_tags
    return user


def resource_arn(call: Call, params: dict, *, with_tags: bool = False) -> str | targets.Target:
    """The ARN a user operation acts on, for authorization: the named user, or the caller itself; with
    the user's row when it was looked up (its stored path), for the handler to reuse (target_user).
    ``with_tags``: the user's tags read in the same statement, for the handler too (GetUser)."""
    name = params.get("UserName")
    if name is None:
        if call.principal.kind is not PrincipalKind.USER or call.tx is None:
            return call.principal.arn  # the root user, a session: no IAM resource with tags
        # An IAM user acting on itself: the resource is that user, tags and all.
        row = _find_for_handler(call.tx, call, call.principal.name.lower(), with_tags)
        return targets.found(call, "user", call.principal.name.lower(), row, call.principal.arn)
    if call.tx is None:
        return resources.entity_arn(call, "user", name, params.get("Path"))
    # CreateUser's ARN has its Path; its namesake, if any, is still the resource named (its tags).
    row = _find_for_handler(call.tx, call, name.lower(), with_tags)
    path = params.get("Path") or (row.path if row is not None else "/")
    return targets.found(call, "user", name.lower(), row, ids.entity_arn(call.account_id, "user", path, name))


def _find_for_handler(tx: Connection, call: Call, key: str, with_tags: bool):
    """The user's row, or None; ``with_tags``: its tags kept in call.found for the handler as well."""
    if not with_tags:
        return _FIND_USER.first(tx, {"account_id": call.account_id, "key": key})
    row, user_tags = _user_with_tags(tx, call.account_id, key)
    if row is not None:
        call.found[(_TAGS_FOUND, key)] = user_tags
    return row


def _user_with_tags(tx: Connection, account_id: str, key: str) -> tuple[Any, list[dict]]:
    """The user's row (None: no such user) and its tags as GetUser answers them, in one statement."""
    rows = _FIND_USER_TAGGED.all(tx, {"account_id": account_id, "key": key})
    if not rows:
        return None, []
    if len(rows) > 1:  # tags, in the order they were added (positions are unique per user)
        rows = sorted(rows, key=_TAG_POSITION)
    return rows[0], [{"Key": row.tag_key, "Value": row.tag_value} for row in rows if row.tag_key is not None]


def _get_user_resource(call: Call, params: dict) -> str | targets.Target:
    return resource_arn(call, params, with_tags=True)


def target_user(tx: Connection, call: Call, name: str):
    """``find_user``, taking the row authorization found for this request when it is this user's."""
    return targets.reuse(call, "user", name.lower()) or find_user(tx, call.account_id, name)


def create_user(tx: Connection, call: Call, params: dict) -> dict:
    name, path = params["UserName"], params.get("Path", "/")
    new_tags = params.get("Tags", [])
    tagging.check_no_duplicates(new_tags, case_insensitive=True)
    boundary = params.get("PermissionsBoundary")
    if boundary is not None:
        boundaries.check_attachable(tx, call, boundary)
    quotas.check_account(tx, quotas.USERS, call.account_id, users)
    user_id = ids.unique_id("user")
    try:
        _INSERT_USER.execute(tx, dict(id=user_id, account_id=call.account_id, name=name, name_key=name.lower(),
                                      path=path, created_at=call.now, permissions_boundary=boundary))
    except IntegrityError:
        raise EntityAlreadyExists(f"User with name {name} already exists.") from None
    if new_tags:
        tagging.put_tags(tx, user_id, new_tags)
    # Described from what was inserted (call.now is whole seconds in UTC, as the column reads back): no
    # statement to read back the row.
    row = SimpleNamespace(id=user_id, account_id=call.account_id, name=name, path=path, created_at=call.now,
                          permissions_boundary=boundary, password_last_used=None)
    return {"User": describe(row, new_tags)}


NON_USER = "Must specify userName when calling with non-User credentials"


@overload
def named_or_caller(tx: Connection, call: Call, name: str | None, *, root_itself: Literal[False] = False) -> Any: ...
@overload
def named_or_caller(tx: Connection, call: Call, name: str | None, *, root_itself: Literal[True]) -> Any | None: ...
def named_or_caller(tx: Connection, call: Call, name: str | None, *, root_itself: bool = False) -> Any | None:
    """The user an operation acts on: the one named (UserName), else the caller, by AWS's rules.

    AWS's API Reference, e.g. CreateAccessKey, GetUser, ListMFADevices: "If you do not specify a user
    name, IAM determines the user name implicitly based on the AWS access key ID signing the request."
    So an IAM user (with its own key, or GetSessionToken's credentials) means itself. The root user
    means itself where the operation manages the root user's credentials too (``root_itself``: access
    keys, signing certificates, GetUser, the MFA device and SSH key lists): None stands for it.
    Elsewhere (login profiles: "you must use an AssumeRoot session to omit the user name"), and for a
    role session or federated user anywhere, it must name a user: ValidationError as AWS words it
    (aws-recorded-errors.md, DeleteAccessKey)."""
    if name is not None:
        return target_user(tx, call, name)
    principal = call.principal
    if principal.kind is PrincipalKind.USER:  # the row resource_arn found, when it did
        return target_user(tx, call, principal.name)
    if principal.is_root and root_itself:
        return None
    raise ValidationError(NON_USER)


def get_user(tx: Connection, call: Call, params: dict) -> dict:
    name = params.get("UserName")
    if name is None and call.principal.kind is not PrincipalKind.USER:
        named_or_caller(tx, call, name, root_itself=True)  # the root user itself, or AWS's refusal
        return {"User": root_user(tx, call)}
    name = call.principal.name if name is None else name
    key = name.lower()
    # The row and tags authorization read (_get_user_resource), else both in one statement.
    row, user_tags = targets.reuse(call, "user", key), targets.reuse(call, _TAGS_FOUND, key)
    if row is None or user_tags is None:
        row, user_tags = _user_with_tags(tx, call.account_id, key)
        if row is None:
            raise not_found(name)
    return {"User": describe(row, user_tags)}


def _get_user_reads(account_id: str, params: dict) -> list:
    """GetUser's read when it names the user: the user and its tags, in one statement."""
    name = params.get("UserName")
    if not name:
        return []
    return [(_FIND_USER_TAGGED, {"account_id": account_id, "key": name.lower()})]


def root_user(tx: Connection, call: Call) -> dict:
    account = find_account(tx, call.account_id)
    return {
        "UserId": call.account_id,
        "Arn": ids.root_arn(call.account_id),
        "CreateDate": account.created_at,
    }


# What a ListUsers page reads: describe's columns, not the account (the caller's), nor name_key (the
# marker's is the last name's, lowered: pagination.columns_by_path).
_LISTED_COLUMNS = ("path", "name", "id", "created_at", "password_last_used", "permissions_boundary")


def list_users(tx: Connection, call: Call, params: dict) -> dict:
    page, paging = columns_by_path(tx, users, call.account_id, params, _LISTED_COLUMNS)
    # describe's members, column by column (service/table.py): no dict made per user, nor a describe and
    # an ARN call. The ARN's account part is the caller's, as the query's is.
    arn_prefix = ids.entity_arn(call.account_id, "user", "", "")
    paths, names = page["path"], page["name"]
    members = {"Path": paths, "UserName": names, "UserId": page["id"],
               "Arn": list(map(add, map(arn_prefix.__add__, paths), names)),  # prefix + path + name, in C
               "CreateDate": page["created_at"], "PasswordLastUsed": page["password_last_used"]}
    if any(page["permissions_boundary"]):  # in C: a page with no boundary, the usual one, skips the loop
        members["PermissionsBoundary"] = [boundaries.describe(boundary) if boundary else None
                                          for boundary in page["permissions_boundary"]]
    return {"Users": Table(members, len(names), optional=("PermissionsBoundary",)), **paging}


def update_user(tx: Connection, call: Call, params: dict) -> None:
    row = target_user(tx, call, params["UserName"])
    changes: dict[str, object] = {}
    if "NewUserName" in params:
        changes.update(name=params["NewUserName"], name_key=params["NewUserName"].lower())
    if "NewPath" in params:
        changes["path"] = params["NewPath"]
    if not changes:
        return None
    try:
        tx.execute(update(users).where(users.c.id == row.id).values(**changes))
    except IntegrityError:
        raise EntityAlreadyExists(f"User with name {params['NewUserName']} already exists.") from None
    return None


# What must be gone before a user can be deleted, in the order AWS checks, with AWS's messages.
_DELETE_BLOCKERS = (
    (login_profiles, login_profiles.c.user_id, "must delete login profile first."),
    (access_keys, access_keys.c.user_id, "must delete access keys first."),
    (signing_certificates, signing_certificates.c.user_id, "must delete signing certificates first."),
    (ssh_public_keys, ssh_public_keys.c.user_id, "must remove referenced objects first."),
    (service_specific_credentials, service_specific_credentials.c.user_id, "must remove referenced objects first."),
    (mfa_devices, mfa_devices.c.user_id, "must delete MFA device first."),
    (group_members, group_members.c.user_id, "must remove users from group first."),
    (inline_policies, inline_policies.c.entity_id, "must delete policies first."),
    (policy_attachments, policy_attachments.c.entity_id, "must detach all policies first."),
)


def delete_user(tx: Connection, call: Call, params: dict) -> None:
    row = target_user(tx, call, params["UserName"])
    quotas.hold_user(tx, row)  # nothing is added to the user between the checks and the delete
    for _table, column, message in _DELETE_BLOCKERS:
        if tx.scalar(select(exists().where(column == row.id))):
            raise DeleteConflict(f"Cannot delete entity, {message}")
    tagging.drop_all(tx, row.id)
    tx.execute(delete(principal_last_used).where(principal_last_used.c.principal_id == row.id))
    tx.execute(delete(users).where(users.c.id == row.id))
    return None


def put_user_permissions_boundary(tx: Connection, call: Call, params: dict) -> None:
    boundaries.check_attachable(tx, call, params["PermissionsBoundary"])
    row = target_user(tx, call, params["UserName"])
    tx.execute(update(users).where(users.c.id == row.id).values(permissions_boundary=params["PermissionsBoundary"]))


def delete_user_permissions_boundary(tx: Connection, call: Call, params: dict) -> None:
    row = target_user(tx, call, params["UserName"])
    tx.execute(update(users).where(users.c.id == row.id).values(permissions_boundary=None))


def credential_owner(tx: Connection, call: Call, params: dict) -> tuple[str | None, str]:
    """(user id, or None for the root user; the user name as AWS reports it) whose access keys or
    signing certificates an operation acts on: the named user, else the caller itself."""
    row = named_or_caller(tx, call, params.get("UserName"), root_itself=True)
    return (None, call.principal.name) if row is None else (row.id, row.name)


def name_of(tx: Connection, user_id: str) -> str | None:
    return tx.scalar(select(users.c.name).where(users.c.id == user_id))


_TAGS = tagging.TagHandlers(lambda tx, call, params: find_user(tx, call.account_id, params["UserName"]))


OPERATIONS = (
    iam("CreateUser", create_user, resource_arn),
    iam("GetUser", get_user, _get_user_resource, writes=False, reads=_get_user_reads),
    iam("ListUsers", list_users, any_resource, writes=False, reads=page_reads(users, _LISTED_COLUMNS)),
    iam("UpdateUser", update_user, resource_arn),
    iam("DeleteUser", delete_user, resource_arn),
    iam("TagUser", _TAGS.tag, resource_arn),
    iam("UntagUser", _TAGS.untag, resource_arn),
    iam("ListUserTags", _TAGS.list, resource_arn, writes=False),
    iam("PutUserPermissionsBoundary", put_user_permissions_boundary, resource_arn),
    iam("DeleteUserPermissionsBoundary", delete_user_permissions_boundary, resource_arn),
)
