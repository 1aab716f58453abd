"""JSON text -> a tree of located nodes.

The standard ``json`` module forgets where a value stood in the text; the policy checker must point
at the offending line and column, and the simulator must report where each statement starts and ends.
This parser keeps an offset for every value (and for every object key) and is strict JSON (RFC 8259:
no trailing commas, no NaN/Infinity, no comments). Strings are decoded by ``json``'s own scanner.

Pure: standard library only.
"""

from __future__ import annotations

import bisect
import json.decoder
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

__all__ = ["JsonError", "Node", "Text", "parse"]

_WS = re.compile(r"[ \t\n\r]*")
# _WS matches the empty string too, so its match is never None: the cast says so, where a helper
# that checked would cost a function call per token.
_ws_match = cast(Callable[[str, int], "re.Match[str]"], _WS.match)
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
# json's C string scanner (pure-Python fallback); typeshed does not declare it, hence getattr
# (which B009's rewrite to plain attribute access would turn into a mypy error).
_scanstring: Callable[[str, int, bool], tuple[str, int]] = getattr(json.decoder, "scanstring")  # noqa: B009


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


_raw_decode = json.JSONDecoder(parse_constant=_no_constant).raw_decode


class JsonError(ValueError):
    """The text is not JSON; ``offset`` is where reading stopped."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.reason = message
        self.offset = offset


@dataclass(eq=False, slots=True)
class Node:
    """One JSON value.

    kind is "object", "array", "string", "number", "bool", "null", or "raw" for a value read whole
    (below ``parse``'s ``raw_below`` depth: ``value`` is then what json.loads gives). For an object,
    ``members`` is the list of (key, key_offset, value node) in document order, duplicates kept; for an
    array, ``items`` is the list of element nodes (two lists, so that each has one element type).
    ``value`` holds the scalar (for numbers: the literal text, so ``1.0`` stays ``1.0``); ``text()``
    gives it as ``str`` for a string node. ``start`` is the offset of the first character, ``end`` the
    offset just past the last.
    """

    kind: str
    start: int
    end: int = 0
    value: object = None
    # () unless a container: a scalar node (most of them) allocates no list
    items: Sequence[Node] = ()
    members: Sequence[tuple[str, int, Node]] = ()

    def get(self, key: str) -> Node | None:
        """The value of the last member named ``key`` of an object node (as json.loads keeps it)."""
        found = None
        for name, _offset, value in self.members:
            if name == key:
                found = value
        return found

    def key_offset(self, key: str) -> int:
        found = self.start
        for name, offset, _value in self.members:
            if name == key:
                found = offset
        return found

    def plain(self) -> object:
        """The value as json.loads would return it (numbers as int or float)."""
        if self.kind == "object":
            return {name: value.plain() for name, _offset, value in self.members}
        if self.kind == "array":
            return [item.plain() for item in self.items]
        if self.kind == "raw":
            return self.value
        if self.kind == "number":
            text = str(self.value)
            return float(text) if any(c in text for c in ".eE") else int(text)
        return self.value

    def text(self) -> str | None:
        """The decoded text of a string node; None for any other kind."""
        return self.value if self.kind == "string" and isinstance(self.value, str) else None


class Text:
    """Maps offsets of a text to 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


def parse(text: str, raw_below: int = 10**6) -> Node:
    """Parse ``text`` as one JSON value, raising JsonError when it is not JSON.

    Values nested ``raw_below`` levels deep or more are read whole by json's C decoder into "raw"
    nodes (positions of their insides are not kept): parse_policy needs only statement positions.
    """
    if not isinstance(text, str):
        raise JsonError("not text", 0)
    pos = _ws_match(text, 0).end()
    node, pos = _value(text, pos, 0, raw_below)
    pos = _ws_match(text, pos).end()
    if pos != len(text):
        raise JsonError("extra data", pos)
    return node


def _value(text: str, pos: int, depth: int, raw_below: int) -> tuple[Node, int]:
    if depth > 200:
        raise JsonError("too deeply nested", pos)
    char = text[pos : pos + 1]
    if depth >= raw_below and char in ("{", "["):
        try:
            value, end = _raw_decode(text, pos)
        except (ValueError, RecursionError) as exc:
            raise JsonError(str(exc), getattr(exc, "pos", pos)) from None
        return Node("raw", pos, end, value), end
    if char == "{":
        return _object(text, pos, depth, raw_below)
    if char == "[":
        return _array(text, pos, depth, raw_below)
    if char == '"':
        value, end = _string(text, pos)
        return Node("string", pos, end, value), end
    for literal, kind, value in (("true", "bool", True), ("false", "bool", False), ("null", "null", None)):
        if text.startswith(literal, pos):
            end = pos + len(literal)
            return Node(kind, pos, end, value), end
    match = _NUMBER.match(text, pos)
    if match and match.end() > pos:
        return Node("number", pos, match.end(), match.group()), match.end()
    raise JsonError("expecting a value", pos)


def _string(text: str, pos: int) -> tuple[str, int]:
    try:
        return _scanstring(text, pos + 1, True)
    except json.JSONDecodeError as exc:
        raise JsonError(exc.msg, exc.pos) from None


def _object(text: str, pos: int, depth: int, raw_below: int) -> tuple[Node, int]:
    members: list[tuple[str, int, Node]] = []
    node = Node("object", pos, members=members)
    pos = _ws_match(text, pos + 1).end()
    if text[pos : pos + 1] == "}":
        node.end = pos + 1
        return node, pos + 1
    while True:
        if text[pos : pos + 1] != '"':
            raise JsonError("expecting a property name in double quotes", pos)
        key_offset = pos
        key, pos = _string(text, pos)
        pos = _ws_match(text, pos).end()
        if text[pos : pos + 1] != ":":
            raise JsonError("expecting ':'", pos)
        pos = _ws_match(text, pos + 1).end()
        value, pos = _value(text, pos, depth + 1, raw_below)
        members.append((key, key_offset, value))
        pos = _ws_match(text, pos).end()
        char = text[pos : pos + 1]
        if char == "}":
            node.end = pos + 1
            return node, pos + 1
        if char != ",":
            raise JsonError("expecting ',' or '}'", pos)
        pos = _ws_match(text, pos + 1).end()


def _array(text: str, pos: int, depth: int, raw_below: int) -> tuple[Node, int]:
    items: list[Node] = []
    node = Node("array", pos, items=items)
    pos = _ws_match(text, pos + 1).end()
    if text[pos : pos + 1] == "]":
        node.end = pos + 1
        return node, pos + 1
    while True:
        value, pos = _value(text, pos, depth + 1, raw_below)
        items.append(value)
        pos = _ws_match(text, pos).end()
        char = text[pos : pos + 1]
        if char == "]":
            node.end = pos + 1
            return node, pos + 1
        if char != ",":
            raise JsonError("expecting ',' or ']'", pos)
        pos = _ws_match(text, pos + 1).end()
