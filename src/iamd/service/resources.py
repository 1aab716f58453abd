"""The ARN an operation acts on, for authorization, with the entity's stored path; for an entity that
has tags, the ``Target`` (service/targets.py): the ARN and the row found on the way.

Authorization runs before the handler, inside the same transaction (``call.tx``): an existing
entity's ARN carries its stored path, a new one the Path parameter, a missing one "/".
"""

from __future__ import annotations

from sqlalchemy import bindparam, select

from iamd.security import ids
from iamd.service import targets
from iamd.service.context import Call
from iamd.store.fastpath import HotQuery
from iamd.store.schema import groups, instance_profiles, managed_policies, roles, server_certificates, users

_TABLES = {"user": users, "group": groups, "role": roles, "instance-profile": instance_profiles,
           "server-certificate": server_certificates}
_PATH_QUERIES = {
    kind: HotQuery(select(table.c.path).where(table.c.account_id == bindparam("account_id"),
                                              table.c.name_key == bindparam("key")))
    for kind, table in _TABLES.items()
}
_ROW_QUERIES = {
    kind: HotQuery(select(table).where(table.c.account_id == bindparam("account_id"),
                                       table.c.name_key == bindparam("key")))
    for kind, table in _TABLES.items()
}

_POLICY_ROW = HotQuery(select(managed_policies).where(managed_policies.c.account_id == bindparam("account_id"),
                                                      managed_policies.c.arn == bindparam("arn")))


def entity_arn(call: Call, kind: str, name: str, path: str | None = None) -> str:
    if path is None:
        path = "/"
        if call.tx is not None and kind in _PATH_QUERIES:
            stored = _PATH_QUERIES[kind].scalar(call.tx, {"account_id": call.account_id, "key": name.lower()})
            path = stored or "/"
    return ids.entity_arn(call.account_id, kind, path, name)


def named_target(call: Call, kind: str, name: str, path: str | None = None) -> str | targets.Target:
    """The entity of ``kind`` named ``name`` (unique in the account, ignoring case), found once: the ARN
    with its stored path (``path`` instead when a Create names one) and its row, whose tags the
    condition keys read and which the handler takes back with ``targets.reuse(call, kind, name.lower())``.
    A Create looks too: the namesake it would collide with is the resource the request names."""
    if call.tx is None:
        return entity_arn(call, kind, name, path)
    row = _ROW_QUERIES[kind].first(call.tx, {"account_id": call.account_id, "key": name.lower()})
    if path is None:
        path = row.path if row is not None else "/"
    return targets.found(call, kind, name.lower(), row, ids.entity_arn(call.account_id, kind, path, name))


def arn_target(call: Call, arn: str) -> str | targets.Target:
    """The entity an ARN given as a parameter names: a user, role or group by its name, a customer managed
    policy by its whole ARN, in the caller's account. The one place an ARN is parsed back to find what it
    names, for the operations that take their target as an ARN (CreatePolicy's new one, the simulator's
    PolicySourceArn, the access reports' Arn); anything else (another account's, AWS's own, malformed)
    is answered as given: no row, no tags."""
    parsed = ids.parse_arn(arn)
    if call.tx is None or parsed is None or not parsed.is_iam(call.account_id) or not parsed.after_type:
        return arn
    kind = parsed.resource_type
    if kind == "policy":
        row = _POLICY_ROW.first(call.tx, {"account_id": call.account_id, "arn": arn})
        return targets.found(call, kind, arn, row, arn)
    if kind in _ROW_QUERIES:
        key = parsed.name.lower()
        return targets.found(call, kind, key, _ROW_QUERIES[kind].first(call.tx, {"account_id": call.account_id,
                                                                                "key": key}), arn)
    return arn
