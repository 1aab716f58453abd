"""The ARN an operation acts on, for authorization, with the entity's stored path.

Authorization runs before the handler, inside the same transaction (``call.tx``): an existing
entity's ARN carries its stored path, a new one the Path parameter, a missing one "/".
"""

from __future__ import annotations

from sqlalchemy import bindparam, select

from iamd.security import ids
from iamd.service.context import Call
from iamd.store.fastpath import HotQuery
from iamd.store.schema import groups, instance_profiles, roles, server_certificates, users

_TABLES = {"user": users, "group": groups, "role": roles, "instance-profile": instance_profiles,
           "server-certificate": server_certificates}
_PATH_QUERIES = {
    kind: HotQuery(select(table.c.path).where(table.c.account_id == bindparam("account_id"),
                                              table.c.name_key == bindparam("key")))
    for kind, table in _TABLES.items()
}


def entity_arn(call: Call, kind: str, name: str, path: str | None = None) -> str:
    if path is None:
        path = "/"
        if call.tx is not None and kind in _PATH_QUERIES:
            stored = _PATH_QUERIES[kind].scalar(call.tx, {"account_id": call.account_id, "key": name.lower()})
            path = stored or "/"
    return ids.entity_arn(call.account_id, kind, path, name)
