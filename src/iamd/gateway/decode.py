"""Wire formats back to an operation's input members, as boto3 would have passed them.

The inverse of botocore's serializers (botocore/serialize.py), driven by the same shapes: query and
ec2 forms (``Attribute.1.Name=...``), JSON and CBOR bodies, REST labels, query strings, headers and an
XML payload. Scalars are typed back (integers, booleans); timestamps and blobs stay as sent (strings,
or bytes for CBOR): nothing downstream of the gateway's mapping needs them decoded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from botocore.model import Shape
from defusedxml import ElementTree

_NUMBER_TYPES = {"integer": int, "long": int, "float": float, "double": float}


def scalar(shape: Shape, text: str) -> Any:
    convert = _NUMBER_TYPES.get(shape.type_name)
    if convert is not None:
        try:
            return convert(text)
        except ValueError:
            return text
    if shape.type_name == "boolean":
        return text.lower() == "true"
    return text


# -- query and ec2 forms ----------------------------------------------------------------------------

_Tree = dict[str, Any]  # a form key split on ".", the value under ""


def form_tree(pairs: Iterable[tuple[str, str]]) -> _Tree:
    root: _Tree = {}
    for key, value in pairs:
        node = root
        for part in key.split("."):
            node = node.setdefault(part, {})
        node[""] = value
    return root


def _numbered(node: _Tree) -> list[Any]:
    items = [(int(k), v) for k, v in node.items() if k.isdigit()]
    return [v for _, v in sorted(items, key=lambda kv: kv[0])]


def _serialized_name(shape: Shape, default: str, ec2: bool) -> str:
    if ec2:
        if "queryName" in shape.serialization:
            return str(shape.serialization["queryName"])
        if "name" in shape.serialization:
            name = str(shape.serialization["name"])
            return name[0].upper() + name[1:]
        return default
    return str(shape.serialization.get("name", default))


def from_form(shape: Shape, node: _Tree, ec2: bool = False) -> Any:
    """A form subtree to the value of ``shape`` (query protocol, or ec2's variant of it)."""
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            child = node.get(_serialized_name(member, name, ec2))
            if child is not None:
                out[name] = from_form(member, child, ec2)
        return out
    if kind == "list":
        member = shape.member
        if ec2 or shape.serialization.get("flattened"):
            items = node
        else:
            items = node.get(member.serialization.get("name", "member"), {})
        return [from_form(member, item, ec2) for item in _numbered(items)]
    if kind == "map":
        entries = node if shape.serialization.get("flattened") else node.get("entry", {})
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        result: dict[str, Any] = {}
        for entry in _numbered(entries):
            key = entry.get(key_name, {}).get("")
            if key is not None and value_name in entry:
                result[key] = from_form(shape.value, entry[value_name], ec2)
        return result
    value = node.get("")
    return scalar(shape, value) if isinstance(value, str) else value


# -- XML payloads (rest-xml) ------------------------------------------------------------------------

def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def from_xml(shape: Shape, element: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        children: dict[str, list[Any]] = {}
        for child in element:
            children.setdefault(_local(child.tag), []).append(child)
        for name, member in shape.members.items():
            if member.serialization.get("xmlAttribute"):
                continue
            xml_name = member.serialization.get("name", name)
            found = children.get(xml_name)
            if not found:
                continue
            if member.type_name == "list" and member.serialization.get("flattened"):
                out[name] = [from_xml(member.member, e) for e in found]
            else:
                out[name] = from_xml(member, found[0])
        return out
    if kind == "list":
        item_name = shape.member.serialization.get("name", "member")
        return [from_xml(shape.member, e) for e in element if _local(e.tag) == item_name]
    if kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        result: dict[str, Any] = {}
        for entry in element:
            parts = {_local(e.tag): e for e in entry}
            if key_name in parts and value_name in parts:
                result[parts[key_name].text or ""] = from_xml(shape.value, parts[value_name])
        return result
    return scalar(shape, element.text or "")


def parse_xml(shape: Shape, body: bytes) -> Any:
    return from_xml(shape, ElementTree.fromstring(body))


# -- JSON and CBOR bodies ---------------------------------------------------------------------------

def parse_json(body: bytes) -> Any:
    return json.loads(body) if body.strip() else {}


@cache
def _renames(shape: Shape) -> bool:
    """Whether a JSON value of this shape has a key that is not its member's name (locationName)."""
    return _renames_within(shape, set())


def _renames_within(shape: Shape, seen: set[str]) -> bool:
    if shape.name in seen:
        return False
    seen.add(shape.name)
    if shape.type_name == "structure":
        return any("name" in m.serialization and m.serialization.get("location") is None
                   and m.serialization["name"] != n or _renames_within(m, seen)
                   for n, m in shape.members.items())
    if shape.type_name == "list":
        return _renames_within(shape.member, seen)
    if shape.type_name == "map":
        return _renames_within(shape.value, seen)
    return False


def from_json(shape: Shape, value: Any) -> Any:
    """A JSON (or CBOR) value with its keys back to member names, where the model renames them."""
    if not _renames(shape):
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {}
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            if wire in value:
                out[name] = from_json(member, value[wire])
        return out
    if kind == "list" and isinstance(value, list):
        return [from_json(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: from_json(shape.value, v) for k, v in value.items()}
    return value


def parse_cbor(body: bytes) -> Any:
    if not body:
        return {}
    from botocore.parsers import RpcV2CBORParser  # noqa: PLC0415 - only CBOR services need it

    return RpcV2CBORParser()._initial_body_parse(body)


# -- REST headers and query strings -----------------------------------------------------------------

def from_header(shape: Shape, value: str) -> Any:
    if shape.type_name == "list":
        return [scalar(shape.member, v.strip()) for v in value.split(",")]
    return scalar(shape, value)


def from_query(shape: Shape, values: list[str]) -> Any:
    if shape.type_name == "list":
        return [scalar(shape.member, v) for v in values]
    return scalar(shape, values[-1])


def header_map(prefix: str, headers: Mapping[str, str]) -> dict[str, str]:
    prefix = prefix.lower()
    return {name[len(prefix):]: value for name, value in headers.items() if name.startswith(prefix)}
