"""The account alias: at most one per account, unique across the server; creating another replaces it,
as AWS does."""

from __future__ import annotations

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from iamd.errors import EntityAlreadyExists, NoSuchEntity
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.store.schema import accounts


def create_account_alias(tx: Connection, call: Call, params: dict) -> None:
    alias = params["AccountAlias"]
    owner = tx.scalar(select(accounts.c.id).where(accounts.c.alias == alias))
    if owner == call.account_id:
        return None
    if owner is not None:
        raise EntityAlreadyExists(f"The account alias {alias} already exists.")
    try:
        tx.execute(update(accounts).where(accounts.c.id == call.account_id).values(alias=alias))
    except IntegrityError:  # another account took it since we looked: the unique constraint decides
        raise EntityAlreadyExists(f"The account alias {alias} already exists.") from None
    return None


def delete_account_alias(tx: Connection, call: Call, params: dict) -> None:
    alias = params["AccountAlias"]
    current = tx.scalar(select(accounts.c.alias).where(accounts.c.id == call.account_id))
    if current != alias:
        raise NoSuchEntity(f"The account alias {alias} cannot be found.")
    tx.execute(update(accounts).where(accounts.c.id == call.account_id).values(alias=None))
    return None


def list_account_aliases(tx: Connection, call: Call, params: dict) -> dict:
    alias = tx.scalar(select(accounts.c.alias).where(accounts.c.id == call.account_id))
    return {"AccountAliases": [alias] if alias else [], "IsTruncated": False}


OPERATIONS = (
    iam("CreateAccountAlias", create_account_alias, any_resource, changes_access=False),
    iam("DeleteAccountAlias", delete_account_alias, any_resource, changes_access=False),
    iam("ListAccountAliases", list_account_aliases, any_resource, writes=False),
)
