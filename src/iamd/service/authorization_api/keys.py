"""The two long-term keys of a Verify or VerifyAndAuthorize (the calling service's and its client's) read
in one statement: each key's row is one statement's worth of driver and result-processing work (and on
PostgreSQL a round trip), and a service asks thousands of times a second.

The rows answer ``service/authenticate.py key_row`` as its query would, so an unknown, inactive or
malformed key is refused there with the same error and message as when read on its own. Both are read
in the call's transaction, so they are as fresh as two reads in it (fresher on PostgreSQL's autocommit
reads: one statement, one snapshot).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, bindparam, select, union_all

from iamd.service.authenticate import KEY_SELECT
from iamd.store.fastpath import HotQuery
from iamd.store.schema import access_keys

# accessKeyIdType in botocore's IAM model, as authenticate.key_row checks it before asking the store
_KEY_ID = re.compile(r"\w{16,128}", re.ASCII)
_KEY_ROWS = select(*KEY_SELECT.selected_columns).select_from(*KEY_SELECT.get_final_froms())
# Two key lookups in one statement: UNION ALL, not OR or IN, which SQLite answers through a temporary
# set of row ids (half as dear again as the two lookups apart, measured: 7-9 µs against 6-7).
# (HotQuery is typed for a Select; it needs only selected_columns and compile(), which a union has.)
_BOTH = HotQuery(union_all(_KEY_ROWS.where(access_keys.c.id == bindparam("key_id")),  # type: ignore[arg-type]
                           _KEY_ROWS.where(access_keys.c.id == bindparam("other_key_id"))))


class KeyRows:
    """The rows of two keys read together, standing in for ``key_row``'s query (``first``) for those
    two key ids; a key without a row is None, as from the query."""

    def __init__(self, tx: Connection, key_id: str, other_key_id: str):
        self.ids = (key_id, other_key_id)
        self.rows: dict[str, Any] = {row.id: row for row in _BOTH.all(tx, {"key_id": key_id,
                                                                          "other_key_id": other_key_id})}

    @staticmethod
    def readable(key_id: str, other_key_id: str) -> bool:
        """Whether both ids look like keys: one that does not is refused by key_row before any read
        (PostgreSQL would refuse a NUL in it)."""
        return bool(_KEY_ID.fullmatch(key_id) and _KEY_ID.fullmatch(other_key_id))

    def first(self, tx: Connection, params: dict) -> Any:
        key_id = params["key_id"]
        if key_id not in self.ids:  # never asked for: a misuse, not a missing key
            raise KeyError(key_id)
        return self.rows.get(key_id)
