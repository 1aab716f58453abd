"""Running one operation for a known caller: authorization, the handler, the change counter.

The Query API and the console both come through here, so a page of the console is allowed or refused
exactly as the same call through the API would be.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from iamd.errors import AccessDenied
from iamd.security import ids
from iamd.security.principal_kind import PrincipalKind
from iamd.service.authorize import record_change
from iamd.service.context import Call, Principal
from iamd.service.declare import Operation
from iamd.store.schema import accounts, users


def execute(tx: Connection, call: Call, operation: Operation, params: dict) -> dict | None:
    """Authorize, run, and when the call may change what principals can do, bump the account's counter."""
    decision = call.env.authorizer.check(tx, call, operation, params)
    if call.trail is not None:
        call.trail["decision"] = decision
    result = operation.handler(tx, call, params)
    if operation.changes_access:
        record_change(tx, call.account_id)
    return result


_USER = (select(users.c.id, users.c.name, users.c.path, accounts.c.auth_epoch)
         .join(accounts, accounts.c.id == users.c.account_id)
         .where(users.c.account_id == bindparam("account_id"), users.c.id == bindparam("user_id")))
_EPOCH = select(accounts.c.auth_epoch).where(accounts.c.id == bindparam("account_id"))


def signed_in_principal(tx: Connection, account_id: str, user_id: str | None) -> tuple[Principal, int]:
    """The principal of a console session (``user_id`` None: the root user), and the account's counter.

    A user deleted or renamed since sign-in is looked up afresh; a deleted one is refused.
    """
    if user_id is None:
        epoch = tx.scalar(_EPOCH, {"account_id": account_id})
        if epoch is None:
            raise AccessDenied("The account no longer exists.")
        return Principal(kind=PrincipalKind.ROOT, account_id=account_id, arn=ids.root_arn(account_id), id=account_id,
                         name=account_id, access_key_id=""), epoch
    row = tx.execute(_USER, {"account_id": account_id, "user_id": user_id}).first()
    if row is None:
        raise AccessDenied("The signed-in user no longer exists.")
    return Principal(kind=PrincipalKind.USER, account_id=account_id,
                     arn=ids.entity_arn(account_id, "user", row.path, row.name), id=row.id, name=row.name,
                     access_key_id="", user_id=row.id, path=row.path), row.auth_epoch
