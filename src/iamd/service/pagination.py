"""Marker and MaxItems, as IAM's list operations page: keyset pagination on the sort key, so that a
page costs the same at the thousandth page as at the first."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import bindparam, select

from iamd.errors import ValidationError
from iamd.store.fastpath import HotQuery

DEFAULT_MAX_ITEMS = 100

Item = TypeVar("Item")


def encode_marker(sort_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_key]).encode()).decode()


def decode_marker(marker: str | None) -> str | None:
    if marker is None:
        return None
    try:
        (sort_key,) = json.loads(base64.urlsafe_b64decode(marker.encode()))
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError):
        raise ValidationError("Invalid Marker.") from None
    if not isinstance(sort_key, str):
        raise ValidationError("Invalid Marker.")
    return sort_key


def page(rows: Sequence[Item], max_items: int, sort_key: Callable[[Item], str]) -> tuple[list[Item], dict]:
    """Cut ``rows`` (fetched with limit max_items + 1) into a page and its IsTruncated/Marker."""
    if len(rows) > max_items:
        kept = list(rows[:max_items])
        return kept, {"IsTruncated": True, "Marker": encode_marker(sort_key(kept[-1]))}
    return list(rows), {"IsTruncated": False}


def page_sorted(items: Sequence[tuple[str, Item]], params: dict) -> tuple[list[Item], dict]:
    """A page of (sort key, item) pairs already sorted by key, held whole in memory: the Marker holds the
    last key given, as ``page`` over a query's rows."""
    after = decode_marker(params.get("Marker"))
    if after is not None:
        items = [pair for pair in items if pair[0] > after]
    kept, paging = page(items, params.get("MaxItems", DEFAULT_MAX_ITEMS), lambda pair: pair[0])
    return [item for _, item in kept], paging


def page_by_offset(entries: Sequence[Item], params: dict) -> tuple[list[Item], dict]:
    """A page of a list that has no sort key of its own (a stored report, the simulator's actions): the
    Marker holds the offset of the next entry; one past the end is no marker this server gave."""
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    position = decode_marker(params.get("Marker"))
    start = 0
    if position is not None:
        if not position.isdigit() or int(position) > len(entries):
            raise ValidationError("Invalid Marker.")
        start = int(position)
    chosen = list(entries[start:start + max_items])
    if start + max_items < len(entries):
        return chosen, {"IsTruncated": True, "Marker": encode_marker(str(start + max_items))}
    return chosen, {"IsTruncated": False}


_LIKE_ESCAPE = "!"
_PAGE_QUERIES: dict[tuple, HotQuery] = {}


def _page_query(table, columns: tuple[str, ...] | None, with_prefix: bool, with_marker: bool) -> HotQuery:
    """The page query of a table, built once per shape (the columns read, prefix or not, marker or not)."""
    key = (table.name, columns, with_prefix, with_marker)
    query = _PAGE_QUERIES.get(key)
    if query is None:
        selected = table.c if columns is None else [table.c[name] for name in columns]
        statement = select(*selected).where(table.c.account_id == bindparam("account_id"))
        if with_prefix:
            statement = statement.where(table.c.path.like(bindparam("path_pattern"), escape=_LIKE_ESCAPE))
        if with_marker:
            statement = statement.where(table.c.name_key > bindparam("after"))
        query = _PAGE_QUERIES[key] = HotQuery(statement.order_by(table.c.name_key).limit(bindparam("limit")),
                                              named=columns is None)
    return query


def list_by_path(tx, table, account_id: str, params: dict) -> tuple[list, dict]:
    """One page of an account's named entities (users, groups, roles ...) under PathPrefix, by name.

    ``table`` has account_id, path and name_key columns; the marker is the last name_key given. The rows
    are whole, as namedtuples; ``columns_by_path`` reads only the columns an answer needs.
    """
    query, values, max_items = _page_read(table, None, account_id, params)
    return page(query.all(tx, values), max_items, lambda row: row.name_key)


def columns_by_path(tx, table, account_id: str, params: dict, columns: tuple[str, ...]) -> tuple[dict, dict]:
    """list_by_path's page column by column, for an answer written so (service/table.py): {column name: its
    values}, cut to MaxItems, and the page's IsTruncated/Marker. ``columns`` holds "name" but need not hold
    "name_key": the marker's key is the last name lowered, as every create and rename writes name_key
    (schema: the case-folded name), one column fewer to fetch on every row."""
    query, values, max_items = _page_read(table, columns, account_id, params)
    read = dict(zip(columns, query.columns(tx, values), strict=True))
    names = read["name"]
    if len(names) > max_items:
        read = {name: column[:max_items] for name, column in read.items()}
        return read, {"IsTruncated": True, "Marker": encode_marker(read["name"][-1].lower())}
    return read, {"IsTruncated": False}


def _page_read(table, columns: tuple[str, ...] | None, account_id: str, params: dict) -> tuple[HotQuery, dict, int]:
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    after = decode_marker(params.get("Marker"))
    prefix = params.get("PathPrefix") or None
    values = {"account_id": account_id, "limit": max_items + 1, "after": after}
    if prefix is not None:
        escaped = prefix.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", "!%").replace("_", "!_")
        values["path_pattern"] = escaped + "%"
    return _page_query(table, columns, prefix is not None, after is not None), values, max_items


def page_reads(table, columns: tuple[str, ...] | None = None):
    """An operation's ``reads`` (service.declare) for a list_by_path page, from the params as sent;
    none when they are not what the operation will accept (it then refuses them anyway)."""
    def reads(account_id: str, sent: dict) -> list:
        params = dict(sent)
        try:
            if "MaxItems" in params:
                params["MaxItems"] = int(params["MaxItems"])
            query, values, _ = _page_read(table, columns, account_id, params)
        except (ValueError, ValidationError):
            return []
        return [(query, values)]
    return reads
