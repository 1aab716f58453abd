"""Inline policies embedded in users, groups and roles: Put/Get/Delete/List{User,Group,Role}Policy.

One small core serves every kind of holder; a ``Holder`` says how to find the entity, which size
quota applies and how AWS words the not-found message. Roles need only

    ROLE = Holder("role", "RoleName", ROLE_INLINE_LIMIT, roles.find_role)

and four two-line handlers. Documents are stored exactly as sent and returned as stored (the encoder
URL-encodes them on the wire). AWS counts the size of all of an entity's inline policies together,
whitespace not counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from iamd.errors import NoSuchEntity
from iamd.service import policy_documents, resources
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import iam
from iamd.service.identities import groups, roles, users
from iamd.service.pagination import DEFAULT_MAX_ITEMS, decode_marker, page
from iamd.service.targets import Target
from iamd.store.schema import inline_policies


@dataclass(frozen=True, slots=True)
class Holder:
    kind: str  # "user" | "group" | "role": the entity_kind column and the word in AWS's messages
    name_param: str  # "UserName"
    limit: int  # all the entity's inline policies together, whitespace not counted
    find: Callable  # (tx, account_id, name) -> row with .id and .name, raising NoSuchEntity
    find_for_change: Callable | None = None  # as find, for Put/Delete; refuses what may not change

    def policy_not_found(self, policy_name: str) -> NoSuchEntity:
        return NoSuchEntity(f"The {self.kind} policy with name {policy_name} cannot be found.")

    def resource_arn(self, call: Call, params: dict) -> str | Target:
        return resources.named_target(call, self.kind, params[self.name_param])


USER = Holder("user", "UserName", policy_documents.USER_INLINE_LIMIT, users.find_user)
GROUP = Holder("group", "GroupName", policy_documents.GROUP_INLINE_LIMIT, groups.find_group)
ROLE = Holder("role", "RoleName", policy_documents.ROLE_INLINE_LIMIT, roles.find_role, roles.find_modifiable_role)


# The core: entity ids in, documents out. Other modules (authorization, account details) use these.

def documents(tx: Connection, entity_id: str) -> list[tuple[str, str]]:
    """(name, document) of every inline policy of an entity, by name."""
    rows = tx.execute(select(inline_policies.c.name, inline_policies.c.document)
                      .where(inline_policies.c.entity_id == entity_id).order_by(inline_policies.c.name))
    return [(row.name, row.document) for row in rows]


def put(tx: Connection, holder: Holder, entity, policy_name: str, document: str) -> None:
    """Create or replace one inline policy of ``entity`` (a row with .id and .name)."""
    policy_documents.check_document(document)
    # The entity's row held: the size quota counts every policy of the entity, and two identical
    # puts at once must not both insert.
    quotas.hold_entity(tx, holder.kind, entity)
    others = [text for name, text in documents(tx, entity.id) if name != policy_name]
    total = sum(map(policy_documents.size, others)) + policy_documents.size(document)
    policy_documents.check_inline_total(holder.kind, entity.name, total, holder.limit)
    where = (inline_policies.c.entity_id == entity.id) & (inline_policies.c.name == policy_name)
    if tx.execute(update(inline_policies).where(where).values(document=document)).rowcount == 0:
        tx.execute(insert(inline_policies).values(
            entity_id=entity.id, name=policy_name, entity_kind=holder.kind, document=document))


def get(tx: Connection, holder: Holder, entity_id: str, policy_name: str) -> str:
    document = tx.scalar(select(inline_policies.c.document).where(
        inline_policies.c.entity_id == entity_id, inline_policies.c.name == policy_name))
    if document is None:
        raise holder.policy_not_found(policy_name)
    return document


def remove(tx: Connection, holder: Holder, entity_id: str, policy_name: str) -> None:
    done = tx.execute(delete(inline_policies).where(
        inline_policies.c.entity_id == entity_id, inline_policies.c.name == policy_name))
    if done.rowcount == 0:
        raise holder.policy_not_found(policy_name)


def names_page(tx: Connection, entity_id: str, params: dict) -> dict:
    """PolicyNames, sorted, with IsTruncated and Marker."""
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    after = decode_marker(params.get("Marker"))
    query = select(inline_policies.c.name).where(inline_policies.c.entity_id == entity_id)
    if after is not None:
        query = query.where(inline_policies.c.name > after)
    rows = tx.execute(query.order_by(inline_policies.c.name).limit(max_items + 1)).all()
    rows, paging = page(rows, max_items, lambda row: row.name)
    return {"PolicyNames": [row.name for row in rows], **paging}


def drop_all(tx: Connection, entity_id: str) -> None:
    tx.execute(delete(inline_policies).where(inline_policies.c.entity_id == entity_id))


# Generic handlers, parametrized by holder.

def _put(holder: Holder, tx: Connection, call: Call, params: dict) -> None:
    entity = (holder.find_for_change or holder.find)(tx, call.account_id, params[holder.name_param])
    put(tx, holder, entity, params["PolicyName"], params["PolicyDocument"])


def _get(holder: Holder, tx: Connection, call: Call, params: dict) -> dict:
    entity = holder.find(tx, call.account_id, params[holder.name_param])
    document = get(tx, holder, entity.id, params["PolicyName"])
    return {holder.name_param: entity.name, "PolicyName": params["PolicyName"], "PolicyDocument": document}


def _delete(holder: Holder, tx: Connection, call: Call, params: dict) -> None:
    entity = (holder.find_for_change or holder.find)(tx, call.account_id, params[holder.name_param])
    remove(tx, holder, entity.id, params["PolicyName"])


def _list(holder: Holder, tx: Connection, call: Call, params: dict) -> dict:
    entity = holder.find(tx, call.account_id, params[holder.name_param])
    return names_page(tx, entity.id, params)


# Users

def put_user_policy(tx: Connection, call: Call, params: dict) -> None:
    _put(USER, tx, call, params)


def get_user_policy(tx: Connection, call: Call, params: dict) -> dict:
    return _get(USER, tx, call, params)


def delete_user_policy(tx: Connection, call: Call, params: dict) -> None:
    _delete(USER, tx, call, params)


def list_user_policies(tx: Connection, call: Call, params: dict) -> dict:
    return _list(USER, tx, call, params)


# Groups

def put_group_policy(tx: Connection, call: Call, params: dict) -> None:
    _put(GROUP, tx, call, params)


def get_group_policy(tx: Connection, call: Call, params: dict) -> dict:
    return _get(GROUP, tx, call, params)


def delete_group_policy(tx: Connection, call: Call, params: dict) -> None:
    _delete(GROUP, tx, call, params)


def list_group_policies(tx: Connection, call: Call, params: dict) -> dict:
    return _list(GROUP, tx, call, params)


# Roles

def put_role_policy(tx: Connection, call: Call, params: dict) -> None:
    _put(ROLE, tx, call, params)


def get_role_policy(tx: Connection, call: Call, params: dict) -> dict:
    return _get(ROLE, tx, call, params)


def delete_role_policy(tx: Connection, call: Call, params: dict) -> None:
    _delete(ROLE, tx, call, params)


def list_role_policies(tx: Connection, call: Call, params: dict) -> dict:
    return _list(ROLE, tx, call, params)


OPERATIONS = (
    iam("PutUserPolicy", put_user_policy, USER.resource_arn),
    iam("GetUserPolicy", get_user_policy, USER.resource_arn, writes=False),
    iam("DeleteUserPolicy", delete_user_policy, USER.resource_arn),
    iam("ListUserPolicies", list_user_policies, USER.resource_arn, writes=False),
    iam("PutGroupPolicy", put_group_policy, GROUP.resource_arn),
    iam("GetGroupPolicy", get_group_policy, GROUP.resource_arn, writes=False),
    iam("DeleteGroupPolicy", delete_group_policy, GROUP.resource_arn),
    iam("ListGroupPolicies", list_group_policies, GROUP.resource_arn, writes=False),
    iam("PutRolePolicy", put_role_policy, ROLE.resource_arn),
    iam("GetRolePolicy", get_role_policy, ROLE.resource_arn, writes=False),
    iam("DeleteRolePolicy", delete_role_policy, ROLE.resource_arn),
    iam("ListRolePolicies", list_role_policies, ROLE.resource_arn, writes=False),
)
