"""Tags on IAM entities: AWS's limits and errors, shared by users, roles, policies and the rest.

User and role tag keys are case-insensitive (a new casing overwrites the old); policy tag keys are
case-sensitive. ``key_match`` holds the key as compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from iamd.errors import InvalidInput, LimitExceeded
from iamd.store.fastpath import HotQuery
from iamd.store.locks import lock_key
from iamd.store.schema import tags

MAX_TAGS = 50


def _match(key: str, case_insensitive: bool) -> str:
    return key.lower() if case_insensitive else key


def check_no_duplicates(new_tags: list[dict], case_insensitive: bool) -> None:
    keys = [_match(tag["Key"], case_insensitive) for tag in new_tags]
    if len(set(keys)) != len(keys):
        raise InvalidInput(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            if case_insensitive else "Duplicate tag keys found."
        )


_LIST_TAGS = HotQuery(select(tags.c.key, tags.c.value).where(tags.c.resource_id == bindparam("id"))
                      .order_by(tags.c.position))


def hold_tags(tx: Connection, resource_id: str) -> None:
    """Tags belong to entities of eight tables: one lock keyed by the resource's unique id serves all."""
    lock_key(tx, "tags", resource_id)


def list_tags(tx: Connection, resource_id: str) -> list[dict]:
    rows = _LIST_TAGS.all(tx, {"id": resource_id})
    return [{"Key": key, "Value": value} for key, value in rows]


def put_tags(tx: Connection, resource_id: str, new_tags: list[dict], case_insensitive: bool = True) -> None:
    """Add or overwrite tags; refuse to go over 50 on the resource."""
    check_no_duplicates(new_tags, case_insensitive)
    hold_tags(tx, resource_id)  # the 50-tag count, and an overwrite, must see every concurrent tag
    existing = {row.key_match for row in tx.execute(select(tags.c.key_match).where(tags.c.resource_id == resource_id))}
    added = [tag for tag in new_tags if _match(tag["Key"], case_insensitive) not in existing]
    if len(existing) + len(added) > MAX_TAGS:
        raise LimitExceeded("The number of tags has reached the maximum limit.")
    position = tx.scalar(select(func.coalesce(func.max(tags.c.position), 0))
                         .where(tags.c.resource_id == resource_id)) or 0
    for tag in new_tags:
        key_match = _match(tag["Key"], case_insensitive)
        if key_match in existing:
            tx.execute(
                update(tags)
                .where(tags.c.resource_id == resource_id, tags.c.key_match == key_match)
                .values(key=tag["Key"], value=tag.get("Value", ""))
            )
        else:
            position += 1
            tx.execute(insert(tags).values(resource_id=resource_id, key_match=key_match, key=tag["Key"],
                                           value=tag.get("Value", ""), position=position))


def remove_tags(tx: Connection, resource_id: str, keys: list[str], case_insensitive: bool = True) -> None:
    matches = [_match(key, case_insensitive) for key in keys]
    hold_tags(tx, resource_id)
    tx.execute(delete(tags).where(tags.c.resource_id == resource_id, tags.c.key_match.in_(matches)))


def drop_all(tx: Connection, resource_id: str) -> None:
    tx.execute(delete(tags).where(tags.c.resource_id == resource_id))


def paged(all_tags: list[dict], marker: str | None, max_items: int | None) -> dict:
    """ListUserTags and friends page over at most 50 tags: the marker is a position."""
    start = int(marker) if marker and marker.isdigit() else 0
    limit = max_items or 100
    chunk = all_tags[start:start + limit]
    result: dict = {"Tags": chunk, "IsTruncated": start + limit < len(all_tags)}
    if result["IsTruncated"]:
        result["Marker"] = str(start + limit)
    return result


@dataclass(frozen=True)
class TagHandlers:
    """The TagX, UntagX and ListXTags handlers of one kind of entity. ``find(tx, call, params)`` gives the
    entity's row (with ``.id``), raising NoSuchEntity with the kind's own message."""

    find: Callable
    case_insensitive: bool = True

    def tag(self, tx: Connection, call, params: dict) -> None:
        put_tags(tx, self.find(tx, call, params).id, params["Tags"], self.case_insensitive)

    def untag(self, tx: Connection, call, params: dict) -> None:
        remove_tags(tx, self.find(tx, call, params).id, params["TagKeys"], self.case_insensitive)

    def list(self, tx: Connection, call, params: dict) -> dict:
        return paged(list_tags(tx, self.find(tx, call, params).id), params.get("Marker"), params.get("MaxItems"))
