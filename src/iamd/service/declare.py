"""How a service module declares the operations it serves, next to their handlers.

    OPERATIONS = (
        iam("CreateUser", create_user, user_arn),
        iam("ListUsers", list_users, any_resource, writes=False),
    )

``resource`` computes the ARN the operation acts on, for authorization, from the call and params, or
the ``Target`` (service/targets.py) it found: the ARN with the stored row, which authorization and the
handler then reuse.
``writes=False`` lets the store open a read transaction. ``additional`` names the actions AWS evaluates
besides the operation's own (iam:PassRole for AddRoleToInstanceProfile), each on its own resource
and with the condition keys AWS sets for it. ``reads`` (reading operations only) names the hot
queries the handler will make, from the account id and the request's top-level parameters as sent,
so that on PostgreSQL they go in the same round trip as the caller's key (``store.fastpath.read_ahead``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from iamd.service.context import Call
from iamd.service.targets import Target

Handler = Callable[..., dict | None]
Resource = Callable[[Call, dict], "str | Target"]


def no_context(call: Call, params: dict) -> dict:
    return {}


@dataclass(frozen=True, slots=True)
class Additional:
    """An action authorization asks for besides the operation's own, after it: the Service
    Authorization Reference's dependent actions, or an API reference's "must be granted ..."."""

    action: str  # "iam:PassRole"
    resource: Callable[[Call, dict], str]
    context: Callable[[Call, dict], dict] = no_context  # condition keys AWS sets for this action


@dataclass(frozen=True, slots=True)
class Operation:
    service: str  # "iam" | "sts"
    name: str  # "CreateUser"
    handler: Handler
    resource: Resource
    writes: bool = True
    changes_access: bool = True  # a successful call may change what principals may do: drop cached policies
    additional: tuple[Additional, ...] = ()
    # Unsigned, as in AWS: the request's own token is the credential (AssumeRoleWithWebIdentity).
    anonymous: bool = False
    # prepare(tx, env, params) → a slow step (network) or None: its reads run in a read transaction of
    # their own, the step then runs with no transaction open, before the request's transaction.
    prepare: Callable | None = None
    reads: Callable[[str, dict], list] | None = None  # (account id, params as sent) → [(HotQuery, params)]

    @property
    def action(self) -> str:
        return f"{self.service}:{self.name}"


def any_resource(call: Call, params: dict) -> str:
    return "*"


def iam(name: str, handler: Handler, resource: Resource, writes: bool = True,
        changes_access: bool | None = None, additional: tuple[Additional, ...] = (),
        reads: Callable[[str, dict], list] | None = None) -> Operation:
    return Operation("iam", name, handler, resource, writes=writes,
                     changes_access=writes if changes_access is None else changes_access,
                     additional=additional, reads=reads)


def sts(name: str, handler: Handler, writes: bool = False) -> Operation:
    return Operation("sts", name, handler, any_resource, writes, False)


