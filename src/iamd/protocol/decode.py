"""The Query protocol's form → the params dict a boto3 caller passed: botocore's QuerySerializer in reverse.

``parse_form`` reads ``application/x-www-form-urlencoded`` text (POST bodies and GET query strings)
strictly: a ``%`` not followed by two hex digits, or bytes that are not UTF-8, is MalformedQueryString.
``decode_params`` follows a plan compiled once per operation from botocore's model: ``Foo.member.N``
lists (an empty ``Foo=`` is ``[]``), ``Foo.entry.N.key``/``.value`` maps, ``Foo.Bar`` structures, each
with the shape's locationName when it has one. Scalars become int, bool, tz-aware UTC datetime, bytes
(from base64); a value of the wrong type is a ValidationError, raised before constraints are checked.
Keys the input shape does not know (Action, Version, X-Amz-*, typos) are ignored, as AWS ignores them.
A string holding U+0000 is a ValidationError (see ``_NO_NUL``).
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, TypeAlias
from urllib.parse import parse_qsl

from botocore.model import OperationModel, Shape

from iamd import errors
from iamd.protocol.constraints import (
    ECHOING_SERVICES,
    MemberPath,
    check_constraints,
    lower_first,
    message,
    raise_violations,
)

MAX_FORM_BYTES = 4 * 1024 * 1024   # larger bodies are refused before parsing
MAX_FORM_FIELDS = 10_000

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_INT = re.compile(r"[+-]?[0-9]{1,20}")
_INT_RANGE = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


class _Absent(enum.Enum):
    """No value: a decoder's answer for a member left out (None cannot say it: it is no form value)."""

    TOKEN = 0


_ABSENT: Final = _Absent.TOKEN  # an enum member, so that ``is _ABSENT`` narrows for the checker
# No IAM name, id or ARN holds U+0000 and PostgreSQL text cannot: refused here, alike on every store.
_NO_NUL = "Member must not contain the character U+0000"
_LEAF: Final = None   # trie key under which a node's own value is kept

# The form as a trie of its dotted keys: each segment leads to a node, a node's own value is under
# _LEAF; a key that never got children is its plain value.
TrieNode: TypeAlias = "str | Trie"
Trie: TypeAlias = "dict[str | None, TrieNode]"
# (trie node, its member path, problems found so far) -> the decoded value, or _ABSENT. The path's text
# is built only when a problem names it (constraints.MemberPath).
Decoder = Callable[[TrieNode, MemberPath, list[errors.Problem]], object]
# Decoded params, as a boto3 caller passes them. Each value's type follows the operation's input
# shape, which botocore's model decides at run time (as botocore types params): hence Any.
Params = dict[str, Any]


def parse_form(body: bytes | str) -> dict[str, str]:
    """Decode a form; repeated keys: the last wins. Garbage raises MalformedQueryString."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        if len(body) > MAX_FORM_BYTES:
            raise errors.MalformedQueryString("The request is too large")
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise errors.MalformedQueryString("The query string is not valid UTF-8") from None
    else:
        text = body
        if len(text) > MAX_FORM_BYTES:
            raise errors.MalformedQueryString("The request is too large")
    if "%" not in text and "+" not in text:  # nothing to unquote (most forms): parse_qsl's result, by hand
        if text.count("&") >= MAX_FORM_FIELDS:
            raise errors.MalformedQueryString("The query string has too many parameters")
        form = {}
        for field in text.split("&"):
            if field:
                name, _, value = field.partition("=")
                form[name] = value
        return form
    if _BAD_ESCAPE.search(text):
        raise errors.MalformedQueryString("The query string contains an invalid percent-encoding")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict",
                          max_num_fields=MAX_FORM_FIELDS)
    except UnicodeError:   # percent-encoded bytes that are not UTF-8, lone surrogates
        raise errors.MalformedQueryString("The query string is not valid UTF-8") from None
    except ValueError:     # more than MAX_FORM_FIELDS fields
        raise errors.MalformedQueryString("The query string has too many parameters") from None
    return dict(pairs)


# -- scalar decoders: str -> value, or a problem --------------------------------------------------

def _leaf(node: TrieNode) -> str | _Absent:
    if isinstance(node, str):
        return node
    value = node.get(_LEAF, _ABSENT)
    # Only text is stored under _LEAF (_insert, decode_form); the test narrows the type.
    return value if isinstance(value, str) else _ABSENT


def _scalar_decoder(shape: Shape, echo: bool) -> Decoder:
    kind = shape.type_name
    if kind == "string":
        def dec(node: TrieNode, path: MemberPath, problems: list[errors.Problem]) -> object:
            value = _leaf(node)
            if value is not _ABSENT and "\x00" in value:
                problems.append(message(echo, value, path, _NO_NUL))
                return _ABSENT
            return value
    elif kind in ("integer", "long"):
        lo, hi = _INT_RANGE[kind]
        text = "Member must be an integer" if kind == "integer" else "Member must be a long"

        def dec(node: TrieNode, path: MemberPath, problems: list[errors.Problem]) -> object:
            raw = _leaf(node)
            if raw is _ABSENT:
                return raw
            if _INT.fullmatch(raw):
                value = int(raw)
                if lo <= value <= hi:
                    return value
            problems.append(message(echo, raw, path, text))
            return _ABSENT
    elif kind == "boolean":
        def dec(node: TrieNode, path: MemberPath, problems: list[errors.Problem]) -> object:
            raw = _leaf(node)
            if raw is _ABSENT:
                return raw
            low = raw.lower()
            if low == "true":
                return True
            if low == "false":
                return False
            problems.append(message(echo, raw, path, "Member must be a boolean (true or false)"))
            return _ABSENT
    elif kind == "timestamp":
        def dec(node: TrieNode, path: MemberPath, problems: list[errors.Problem]) -> object:
            raw = _leaf(node)
            if raw is _ABSENT:
                return raw
            value = parse_timestamp(raw)
            if value is None:
                problems.append(message(echo, raw, path, "Member must be a timestamp"))
                return _ABSENT
            return value
    elif kind == "blob":
        def dec(node: TrieNode, path: MemberPath, problems: list[errors.Problem]) -> object:
            raw = _leaf(node)
            if raw is _ABSENT:
                return raw
            try:
                return base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                problems.append(message(echo, raw, path, "Member must be base64-encoded"))
                return _ABSENT
    elif kind in ("float", "double"):
        def dec(node: TrieNode, path: MemberPath, problems: list[errors.Problem]) -> object:
            raw = _leaf(node)
            if raw is _ABSENT:
                return raw
            try:
                return float(raw)
            except ValueError:
                problems.append(message(echo, raw, path, "Member must be a number"))
                return _ABSENT
    else:
        raise NotImplementedError(f"shape type {kind}")
    return dec


def parse_timestamp(raw: str) -> datetime | None:
    """ISO 8601 (what botocore sends) or epoch seconds → aware UTC datetime; None if neither."""
    text = raw.strip()
    try:
        if text and (text[0].isdigit() or text[0] in "+-") and ("-" not in text[1:] and ":" not in text):
            return datetime.fromtimestamp(float(text), UTC)
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        value = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# -- containers --------------------------------------------------------------------------------------

def _indexed(children: TrieNode | None) -> list[tuple[int, TrieNode]]:
    if type(children) is not dict:
        return []
    out = [(int(k), v) for k, v in children.items() if k is not _LEAF and k.isdigit()]
    out.sort(key=lambda kv: kv[0])
    return out


def _list_decoder(shape: Shape, echo: bool, depth: int) -> Decoder:
    if shape.serialization.get("flattened"):
        raise NotImplementedError("flattened lists (not used by IAM or STS)")
    member_name = shape.member.serialization.get("name", "member")
    element = _decoder(shape.member, echo, depth + 1)

    def dec(node: TrieNode, path: MemberPath, problems: list[errors.Problem]) -> object:
        if type(node) is not dict:
            return []
        out: list[object] = []
        for i, sub in _indexed(node.get(member_name)):
            value = element(sub, (path, i, ".member"), problems)
            if value is not _ABSENT:
                out.append(value)
        return out
    return dec


def _map_decoder(shape: Shape, echo: bool, depth: int) -> Decoder:
    if shape.serialization.get("flattened"):
        raise NotImplementedError("flattened maps (not used by IAM or STS)")
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    key_dec = _decoder(shape.key, echo, depth + 1)
    value_dec = _decoder(shape.value, echo, depth + 1)

    def dec(node: TrieNode, path: MemberPath, problems: list[errors.Problem]) -> object:
        if type(node) is not dict:
            return {}
        out: dict[object, object] = {}
        for i, entry in _indexed(node.get("entry")):
            if type(entry) is not dict or key_name not in entry:
                continue
            key = key_dec(entry[key_name], (path, i, ".key"), problems)
            value = value_dec(entry[value_name], (path, i, ".value"), problems) if value_name in entry else _ABSENT
            if key is not _ABSENT and value is not _ABSENT:
                out[key] = value
        return out
    return dec


def _structure_members(shape: Shape, echo: bool, depth: int) -> dict[str, tuple[str, str, Decoder]]:
    """wire name → (member name, lowerCamel path segment, decoder)."""
    return {
        member.serialization.get("name", name): (name, lower_first(name), _decoder(member, echo, depth + 1))
        for name, member in shape.members.items()
    }


def _structure_decoder(shape: Shape, echo: bool, depth: int) -> Decoder:
    # Each member's path segment with its dot, made once.
    members = {wire: (name, "." + lower, member_dec)
               for wire, (name, lower, member_dec) in _structure_members(shape, echo, depth).items()}

    def dec(node: TrieNode, path: MemberPath, problems: list[errors.Problem]) -> object:
        if type(node) is not dict:
            return _ABSENT
        out: dict[str, object] = {}
        for wire, sub in node.items():
            entry = members.get(wire) if wire is not _LEAF else None  # a structure's own text is no member
            if entry is not None:
                name, dotted, member_dec = entry
                value = member_dec(sub, (path, None, dotted), problems)
                if value is not _ABSENT:
                    out[name] = value
        return out
    return dec


def _decoder(shape: Shape, echo: bool, depth: int) -> Decoder:
    if depth > 32:
        return lambda node, path, problems: _ABSENT
    kind = shape.type_name
    if kind == "structure":
        return _structure_decoder(shape, echo, depth)
    if kind == "list":
        return _list_decoder(shape, echo, depth)
    if kind == "map":
        return _map_decoder(shape, echo, depth)
    return _scalar_decoder(shape, echo)


# -- per operation -----------------------------------------------------------------------------------

_PLANS: dict[tuple[str, str], dict[str, tuple[str, str, Decoder]] | None] = {}


def _plan(operation: OperationModel) -> dict[str, tuple[str, str, Decoder]] | None:
    key = (operation.service_model.service_name, operation.name)
    try:
        return _PLANS[key]
    except KeyError:
        pass
    shape = operation.input_shape
    plan = None
    if shape is not None:
        plan = _structure_members(shape, key[0] in ECHOING_SERVICES, 0)
    _PLANS[key] = plan
    return plan


def _insert(trie: Trie, segments: list[str], value: str) -> None:
    node = trie
    for seg in segments:
        child = node.get(seg)
        if type(child) is not dict:
            child = {} if child is None else {_LEAF: child}
            node[seg] = child
        node = child
    node[_LEAF] = value


def decode_form(operation: OperationModel, form: Mapping[str, str]) -> Params:
    """Form → params, types converted, constraints NOT checked (ValidationError on bad types)."""
    plan = _plan(operation)
    if not plan:
        return {}
    trees: dict[str, TrieNode] = {}
    for key, value in form.items():
        head, dot, rest = key.partition(".")
        if head not in plan:
            continue
        if not dot:
            current = trees.get(head)
            if type(current) is dict:
                current[_LEAF] = value
            else:
                trees[head] = value
        else:
            current = trees.get(head)
            if type(current) is not dict:
                current = {} if current is None else {_LEAF: current}
                trees[head] = current
            _insert(current, rest.split("."), value)
    params: Params = {}
    problems: list[errors.Problem] = []
    for head, node in trees.items():
        name, lower, dec = plan[head]
        decoded = dec(node, lower, problems)
        if decoded is not _ABSENT:
            params[name] = decoded
    raise_violations(problems)
    return params


def decode_params(operation: OperationModel, form: Mapping[str, str]) -> Params:
    """Form → params exactly as a boto3 caller passed them, then every constraint checked."""
    params = decode_form(operation, form)
    check_constraints(operation, params)
    return params
