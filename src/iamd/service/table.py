"""A list of structures held column by column, as a list page reads its rows.

ListUsers' 100 users made into 100 dicts, only for the encoder to gather each member back across the
dicts, pays twice per member of every item. A ``Table`` keeps the page's columns ({member name: one value
per item}) as ``member_columns``, which the encoder (protocol/encode.py, which imports no service: it
reads the attribute) writes as they are. To anyone else (the console, tests) it is a sequence of dicts,
each made when asked for, alike to the dicts it stands for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence


class Table(Sequence[dict]):
    """``member_columns``: {member name: a list of one value per item}, in the members' order, every list of
    ``count`` values. A value None is a member the item lacks (as the encoder reads a dict's None); a
    member named in ``optional`` is then left out of the item's dict, any other is there as None
    (``describe`` writes PasswordLastUsed always, PermissionsBoundary only when there is one)."""

    __slots__ = ("member_columns", "_count", "_optional")

    def __init__(self, member_columns: dict[str, list], count: int, optional: tuple[str, ...] = ()):
        self.member_columns = member_columns
        self._count = count
        self._optional = optional

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):  # type: ignore[override]  # an int or a slice, as a list's
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(self._count))]
        if not -self._count <= index < self._count:
            raise IndexError("Table index out of range")
        optional = self._optional
        return {name: column[index] for name, column in self.member_columns.items()
                if column[index] is not None or name not in optional}

    def __iter__(self) -> Iterator[dict]:
        return (self[position] for position in range(self._count))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compared by value, as a list

    def __repr__(self) -> str:
        return f"Table({list(self)!r})"
