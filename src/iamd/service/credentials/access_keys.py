"""Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed.

A key belongs to a user, or to the account's root user (``user_id`` NULL). Operations without a
UserName act on the caller's own keys, as in AWS.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection, delete, insert, select, update

from iamd.errors import AccessDenied, NoSuchEntity
from iamd.security import ids
from iamd.security.secrets import SecretBox
from iamd.service import targets
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.service.identities import users
from iamd.service.pagination import DEFAULT_MAX_ITEMS, decode_marker, page
from iamd.store.schema import access_keys

MAX_KEYS_PER_USER = quotas.ACCESS_KEYS.limit


def _keys_of(account_id: str, user_id: str | None):
    owner = access_keys.c.user_id.is_(None) if user_id is None else access_keys.c.user_id == user_id
    return (access_keys.c.account_id == account_id) & owner


def master_key_opens(tx: Connection, box: SecretBox) -> bool:
    """Whether ``box`` opens the stored secret keys (checked on one; True when none is stored yet)."""
    row = tx.execute(select(access_keys.c.id, access_keys.c.secret).limit(1)).first()
    if row is None:
        return True
    try:
        box.open(row.secret, row.id)
    except (InvalidTag, ValueError):
        return False
    return True


def create_access_key(tx: Connection, call: Call, params: dict) -> dict:
    user_id, user_name = users.credential_owner(tx, call, params)
    quotas.hold_credential_owner(tx, call.account_id, user_id, user_name)
    quotas.check(tx, quotas.ACCESS_KEYS, access_keys, _keys_of(call.account_id, user_id))
    key_id, secret = ids.access_key_id(call.account_id), ids.secret_access_key()
    tx.execute(insert(access_keys).values(
        id=key_id, account_id=call.account_id, user_id=user_id, secret=call.env.secrets.seal(secret, key_id),
        status="Active", created_at=call.now,
    ))
    return {"AccessKey": {
        "UserName": user_name, "AccessKeyId": key_id, "Status": "Active",
        "SecretAccessKey": secret, "CreateDate": call.now,
    }}


def list_access_keys(tx: Connection, call: Call, params: dict) -> dict:
    user_id, user_name = users.credential_owner(tx, call, params)
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    query = select(access_keys.c.id, access_keys.c.status, access_keys.c.created_at).where(
        _keys_of(call.account_id, user_id))
    after = decode_marker(params.get("Marker"))
    if after is not None:
        query = query.where(access_keys.c.id > after)
    rows = tx.execute(query.order_by(access_keys.c.id).limit(max_items + 1)).all()
    rows, paging = page(rows, max_items, lambda row: row.id)
    return {"AccessKeyMetadata": [
        {"UserName": user_name, "AccessKeyId": row.id, "Status": row.status, "CreateDate": row.created_at}
        for row in rows
    ], **paging}


def _find_key(tx: Connection, call: Call, params: dict):
    user_id, _ = users.credential_owner(tx, call, params)
    key_id = params["AccessKeyId"]
    row = tx.execute(select(access_keys.c.id).where(_keys_of(call.account_id, user_id),
                                                    access_keys.c.id == key_id)).first()
    if row is None:
        raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")
    return row


def update_access_key(tx: Connection, call: Call, params: dict) -> None:
    row = _find_key(tx, call, params)
    tx.execute(update(access_keys).where(access_keys.c.id == row.id).values(status=params["Status"]))


def delete_access_key(tx: Connection, call: Call, params: dict) -> None:
    row = _find_key(tx, call, params)
    tx.execute(delete(access_keys).where(access_keys.c.id == row.id))


def get_access_key_last_used(tx: Connection, call: Call, params: dict) -> dict:
    call.env.last_used.flush(tx)
    key_id = params["AccessKeyId"]
    row = tx.execute(select(access_keys).where(access_keys.c.id == key_id,
                                               access_keys.c.account_id == call.account_id)).first()
    if row is None:
        raise AccessDenied(f"User: {call.principal.arn} is not authorized to perform iam:GetAccessKeyLastUsed "
                           f"on resource: access key {key_id}", action="iam:GetAccessKeyLastUsed",
                           resource=f"access key {key_id}")
    last_used = {"Region": row.last_used_region or "N/A", "ServiceName": row.last_used_service or "N/A"}
    if row.last_used_at is not None:
        last_used["LastUsedDate"] = row.last_used_at
    user_name = "root" if row.user_id is None else users.name_of(tx, row.user_id)
    return {"UserName": user_name, "AccessKeyLastUsed": last_used}


def resource_arn(call: Call, params: dict) -> str | targets.Target:
    return users.resource_arn(call, params)


OPERATIONS = (
    iam("CreateAccessKey", create_access_key, resource_arn),
    iam("ListAccessKeys", list_access_keys, resource_arn, writes=False),
    iam("UpdateAccessKey", update_access_key, resource_arn),
    iam("DeleteAccessKey", delete_access_key, resource_arn),
    # Writes only to flush pending last-use records.
    iam("GetAccessKeyLastUsed", get_access_key_last_used, any_resource, changes_access=False),
)
