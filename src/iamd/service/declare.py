"""How a service module declares the operations it serves, next to their handlers.

    OPERATIONS = (
        iam("CreateUser", create_user, user_arn),
        iam("ListUsers", list_users, any_resource, writes=False),
    )

``resource`` computes the ARN the operation acts on, for authorization, from the call and params.
``writes=False`` lets the store open a read transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from iamd.security import ids
from iamd.service.context import Call

Handler = Callable[..., dict | None]


@dataclass(frozen=True, slots=True)
class Operation:
    service: str  # "iam" | "sts"
    name: str  # "CreateUser"
    handler: Handler
    resource: Callable[[Call, dict], str]
    writes: bool = True
    changes_access: bool = True  # a successful call may change what principals may do: drop cached policies
    # Unsigned, as in AWS: the request's own token is the credential (AssumeRoleWithWebIdentity).
    anonymous: bool = False
    # prepare(tx, env, params) → a slow step (network) or None: its reads run in a read transaction of
    # their own, the step then runs with no transaction open, before the request's transaction.
    prepare: Callable | None = None

    @property
    def action(self) -> str:
        return f"{self.service}:{self.name}"


def any_resource(call: Call, params: dict) -> str:
    return "*"


def account_root(call: Call, params: dict) -> str:
    return ids.root_arn(call.account_id)


def iam(name: str, handler: Handler, resource: Callable[[Call, dict], str], writes: bool = True,
        changes_access: bool | None = None) -> Operation:
    return Operation("iam", name, handler, resource, writes, writes if changes_access is None else changes_access)


def sts(name: str, handler: Handler, writes: bool = False) -> Operation:
    return Operation("sts", name, handler, any_resource, writes, False)


