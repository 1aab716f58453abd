"""From an access key id to the principal behind it, and the secret to check its signature with."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select

from iamd.errors import InvalidClientTokenId
from iamd.security import ids
from iamd.security.secrets import SecretBox
from iamd.service.context import Principal
from iamd.store.schema import access_keys, accounts, users

_INVALID = "The security token included in the request is invalid."

_KEY_QUERY = (
    select(access_keys.c.id, access_keys.c.account_id, access_keys.c.secret, access_keys.c.status,
           access_keys.c.user_id, users.c.name, users.c.path, accounts.c.auth_epoch)
    .select_from(access_keys.outerjoin(users, users.c.id == access_keys.c.user_id)
                 .join(accounts, accounts.c.id == access_keys.c.account_id))
    .where(access_keys.c.id == bindparam("key_id"))
)


@dataclass(frozen=True, slots=True)
class KeyOwner:
    principal: Principal
    secret_access_key: str
    auth_epoch: int  # the account's change counter, read in the same query: see service/authorize.py


def principal_for_key(tx: Connection, box: SecretBox, key_id: str) -> KeyOwner:
    """Who owns an access key, and its secret; an unknown or inactive key is InvalidClientTokenId."""
    row = tx.execute(_KEY_QUERY, {"key_id": key_id}).first()
    if row is None or row.status != "Active":
        raise InvalidClientTokenId(_INVALID)
    secret = box.open(row.secret, row.id)
    if row.user_id is None:
        principal = Principal(kind="root", account_id=row.account_id, arn=ids.root_arn(row.account_id),
                              id=row.account_id, name=row.account_id, access_key_id=row.id)
    else:
        principal = Principal(kind="user", account_id=row.account_id,
                              arn=ids.entity_arn(row.account_id, "user", row.path, row.name),
                              id=row.user_id, name=row.name, access_key_id=row.id,
                              user_id=row.user_id, path=row.path)
    return KeyOwner(principal, secret, row.auth_epoch)
