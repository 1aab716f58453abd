"""Every operation iamd serves: its handler, the IAM action it needs and the resource it acts on.

Declared here, next to nothing else, so that one table says what is built. At start-up the web layer
checks this table against botocore's models: an operation of the model that is not here answers
``NotImplemented`` and names itself; docs/coverage.md is generated from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from iamd.security import ids
from iamd.service import access_keys, sts, users
from iamd.service.context import Call

Handler = Callable[..., dict | None]


@dataclass(frozen=True, slots=True)
class Operation:
    service: str  # "iam" | "sts"
    name: str  # "CreateUser"
    handler: Handler
    resource: Callable[[Call, dict], str]
    writes: bool = True

    @property
    def action(self) -> str:
        return f"{self.service}:{self.name}"


def _any(call: Call, params: dict) -> str:
    return "*"


def _account_root(call: Call, params: dict) -> str:
    return ids.root_arn(call.account_id)


def _iam(name: str, handler: Handler, resource: Callable[[Call, dict], str], writes: bool = True) -> Operation:
    return Operation("iam", name, handler, resource, writes)


def _sts(name: str, handler: Handler, writes: bool = False) -> Operation:
    return Operation("sts", name, handler, _any, writes)


_ALL = (
    _iam("CreateUser", users.create_user, users.resource_arn),
    _iam("GetUser", users.get_user, users.resource_arn, writes=False),
    _iam("ListUsers", users.list_users, _any, writes=False),
    _iam("UpdateUser", users.update_user, users.resource_arn),
    _iam("DeleteUser", users.delete_user, users.resource_arn),
    _iam("TagUser", users.tag_user, users.resource_arn),
    _iam("UntagUser", users.untag_user, users.resource_arn),
    _iam("ListUserTags", users.list_user_tags, users.resource_arn, writes=False),
    _iam("PutUserPermissionsBoundary", users.put_user_permissions_boundary, users.resource_arn),
    _iam("DeleteUserPermissionsBoundary", users.delete_user_permissions_boundary, users.resource_arn),
    _iam("CreateAccessKey", access_keys.create_access_key, access_keys.resource_arn),
    _iam("ListAccessKeys", access_keys.list_access_keys, access_keys.resource_arn, writes=False),
    _iam("UpdateAccessKey", access_keys.update_access_key, access_keys.resource_arn),
    _iam("DeleteAccessKey", access_keys.delete_access_key, access_keys.resource_arn),
    _iam("GetAccessKeyLastUsed", access_keys.get_access_key_last_used, _any),  # writes: flushes last-used
    _sts("GetCallerIdentity", sts.get_caller_identity),
    _sts("GetAccessKeyInfo", sts.get_access_key_info),
)

OPERATIONS: dict[tuple[str, str], Operation] = {(op.service, op.name): op for op in _ALL}
