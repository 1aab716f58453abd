"""Result dict → the Query protocol's XML: botocore's QueryParser in reverse.

``encode_result`` follows a plan compiled once per operation from the output shape: members in the
model's order, None members left out (and those omissions.py names for the operation), lists as
``<member>``, maps as ``<entry><key/><value/></entry>`` (locationNames respected), booleans
``true``/``false``, timestamps ``2024-01-02T03:04:05Z`` in UTC, blobs base64. Strings for numeric or
boolean shapes are written as given. Policy documents (string shapes named ``policyDocumentType``, the
shapes botocore's ``handlers.json_decode_policies`` decodes) are percent-encoded as AWS sends them
(``quote(text, safe="")``: botocore unquotes and parses the JSON).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from itertools import chain, repeat
from typing import Any
from urllib.parse import quote

from botocore.model import OperationModel, Shape

from iamd.errors import AwsError
from iamd.protocol.omissions import OmissionTree, omission_tree

NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}
POLICY_DOCUMENT_SHAPES = frozenset({"policyDocumentType"})

# (value, out): appends the value's XML to out. The value's type follows the output shape, which
# botocore's model decides at run time: hence Any here, and precise types on each encoder.
Encoder = Callable[[Any, list[str]], None]


# What XML 1.0 cannot carry, even as a character reference: C0 controls other than tab, LF and CR,
# U+FFFE/U+FFFF and lone surrogates. AWS echoes such input back as &#x1; and the like, which no XML
# parser accepts (botocore included); we write U+FFFD instead, so every body parses.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_REPLACEMENT = "\ufffd"


def escape(text: str) -> str:
    """Text as XML character data: markup escaped, characters XML cannot hold replaced by U+FFFD."""
    if not (text.isascii() and text.isprintable()):   # the common case skips the scan
        text = _NOT_XML.sub(_REPLACEMENT, text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:   # XML parsers turn a literal CR into LF
        text = text.replace("\r", "&#13;")
    return text


# Timestamps already formatted, by value: a pure function of the value, and a list page formats the
# same rows' timestamps on every request (a datetime caches its hash; isoformat costs ~30 times a lookup).
_FORMATTED: dict[datetime, str] = {}
_FORMATTED_MAX = 4096


def format_timestamp(value: object) -> str:
    if isinstance(value, datetime):
        text = _FORMATTED.get(value)
        if text is None:
            if len(_FORMATTED) >= _FORMATTED_MAX:
                _FORMATTED.clear()
            # A naive value is taken as UTC. Its first 19 characters are YYYY-MM-DDTHH:MM:SS.
            moment = value if value.tzinfo is None or value.tzinfo is UTC else value.astimezone(UTC)
            text = _FORMATTED[value] = moment.isoformat()[:19] + "Z"
        return text
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return escape(str(value))


def _enc_string(value: object, out: list[str]) -> None:
    out.append(escape(value if isinstance(value, str) else str(value)))


def _enc_policy(value: object, out: list[str]) -> None:
    if not isinstance(value, str):
        value = json.dumps(value)
    out.append(quote(value, safe=""))


def _enc_integer(value: object, out: list[str]) -> None:
    out.append(str(value) if type(value) is int else escape(str(value)))


def _enc_boolean(value: object, out: list[str]) -> None:
    if value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    else:
        out.append(escape(str(value).lower()))


def _enc_timestamp(value: object, out: list[str]) -> None:
    out.append(format_timestamp(value))


def _enc_blob(value: str | bytes, out: list[str]) -> None:
    if isinstance(value, str):
        value = value.encode("utf-8")
    out.append(base64.b64encode(value).decode("ascii"))


def _enc_float(value: object, out: list[str]) -> None:
    out.append(repr(float(value)) if isinstance(value, (int, float)) else escape(str(value)))


_SCALARS: dict[str, Encoder] = {
    "string": _enc_string, "integer": _enc_integer, "long": _enc_integer, "boolean": _enc_boolean,
    "timestamp": _enc_timestamp, "blob": _enc_blob, "float": _enc_float, "double": _enc_float,
}


def _compile(shape: Shape, omit: OmissionTree, depth: int) -> Encoder:
    if depth > 32:
        raise NotImplementedError(f"output shape {shape.name} nests too deep")
    kind = shape.type_name
    if kind == "structure":
        return _compile_structure(shape, omit, depth)
    if kind == "list":
        return _compile_list(shape, omit, depth)
    if kind == "map":
        return _compile_map(shape, omit, depth)
    if kind == "string" and shape.name in POLICY_DOCUMENT_SHAPES:
        return _enc_policy
    return _SCALARS[kind]


# A structure's members as compiled: (name, open tag, close tag, encoder; None for a plain string).
Member = tuple[str, str, str, Encoder | None]


def _compile_members(shape: Shape, omit: OmissionTree, depth: int) -> list[Member]:
    members = []
    for name, member in shape.members.items():
        sub_omit = omit.get(name)
        if sub_omit == {}:      # a leaf of the omission tree: never written
            continue
        tag = member.serialization.get("name", name)
        member_enc: Encoder | None = _compile(member, sub_omit or {}, depth + 1)
        if member_enc is _enc_string:
            member_enc = None  # written inline: a call saved per member, 500 on a 100-item page
        members.append((name, f"<{tag}>", f"</{tag}>", member_enc))
    return members


def _compile_structure(shape: Shape, omit: OmissionTree, depth: int) -> Encoder:
    members = _compile_members(shape, omit, depth)

    def enc(value: Mapping[str, object], out: list[str]) -> None:
        get = value.get
        for name, open_tag, close_tag, member_enc in members:
            item = get(name)
            if item is not None:
                if member_enc is None:  # _enc_string's
                    out.append(open_tag + escape(item if isinstance(item, str) else str(item)) + close_tag)
                else:
                    out.append(open_tag)
                    member_enc(item, out)
                    out.append(close_tag)
    return enc


def _compile_list(shape: Shape, omit: OmissionTree, depth: int) -> Encoder:
    if shape.serialization.get("flattened"):
        raise NotImplementedError("flattened lists (not used by IAM or STS)")
    tag = shape.member.serialization.get("name", "member")
    open_tag, close_tag = f"<{tag}>", f"</{tag}>"
    element = _compile(shape.member, omit, depth + 1)
    if shape.member.type_name == "structure":
        return _compile_table(_compile_members(shape.member, omit, depth + 1), open_tag, close_tag, element)

    def enc(value: Iterable[object], out: list[str]) -> None:
        for item in value:
            if item is not None:
                out.append(open_tag)
                element(item, out)
                out.append(close_tag)
    return enc


def _compile_map(shape: Shape, omit: OmissionTree, depth: int) -> Encoder:
    if shape.serialization.get("flattened"):
        raise NotImplementedError("flattened maps (not used by IAM or STS)")
    key_tag = shape.key.serialization.get("name", "key")
    value_tag = shape.value.serialization.get("name", "value")
    key_open, value_open = f"<entry><{key_tag}>", f"</{key_tag}><{value_tag}>"
    value_close = f"</{value_tag}></entry>"
    key_enc = _compile(shape.key, {}, depth + 1)
    value_enc = _compile(shape.value, omit, depth + 1)

    def enc(value: Mapping[object, object], out: list[str]) -> None:
        for key, item in value.items():
            if item is not None:
                out.append(key_open)
                key_enc(key, out)
                out.append(value_open)
                value_enc(item, out)
                out.append(value_close)
    return enc


# -- lists of structures, column by column ----------------------------------------------------------
#
# A list page (ListUsers' 100 users) written item by item pays a Python loop step per member of every
# item: a lookup, a None test, an escape() call, two concatenations, an append. Column by column, one C
# call gathers a member across all the items, a string column is checked for markup once (names, ids
# and ARNs never need escaping), a member every item has goes out as the items' own strings between
# constant tags, and the rows are interleaved in C. The bytes are the same: members in the model's
# order, absent ones left out, anything unusual (a string to escape, a value that is not a string)
# written by the general encoders.

_TABLE_FROM = 6  # items: below, item by item costs fewer instructions than setting up the columns
# What escape() leaves as it is, among ASCII: printable characters but markup, DEL, tab and LF.
_PLAIN_BYTES = bytes(range(0x20, 0x80)).translate(None, b"&<>") + b"\t\n"

# A list's XML in pieces: constant text (tags), or a column of one text per item.
Segment = str | list[str]


def _plain(text: str) -> bool:
    """Whether escape(text) is text: bytes.translate drops the plain characters in one C loop."""
    return text.isascii() and not text.encode("ascii").translate(None, _PLAIN_BYTES)


def _member_values(items: list[Mapping[str, object]], name: str) -> list[Any]:
    """Each item's ``name`` member, None where absent."""
    try:  # dict.get called from C, without a bytecode loop per item
        return list(map(dict.get, items, repeat(name)))  # type: ignore[arg-type]
    except TypeError:  # a Mapping that is not a dict
        return [item.get(name) for item in items]


def _bare_texts(values: list[Any], encoder: Encoder | None) -> list[str] | None:
    """The texts of a member every item has, when they need no per-value work: strings that need no
    escaping (the values themselves), timestamps (formatted once per distinct value). Else None."""
    if encoder is None:
        try:
            plain = _plain("".join(values))
        except TypeError:  # a value that is not a string
            return None
        return values if plain else None
    if encoder is _enc_timestamp:
        formatted = _FORMATTED
        try:  # format_timestamp's cache read inline: the rows of a page share few distinct values
            return [formatted.get(value) or format_timestamp(value) for value in values]
        except TypeError:  # an unhashable value, which format_timestamp writes as text
            return None
    return None


def _tagged_texts(values: list[Any], open_tag: str, close_tag: str, encoder: Encoder | None) -> list[str]:
    """A member's texts with their tags, "" where absent, by the general encoders."""
    if encoder is None:
        encoder = _enc_string
    column = []
    for value in values:
        if value is None:
            column.append("")
        else:
            parts = [open_tag]
            encoder(value, parts)
            parts.append(close_tag)
            column.append("".join(parts))
    return column


def _segments(members: list[Member], column: Callable[[str], list[Any] | None], count: int) -> list[Segment]:
    """``column(name)``: the member's value in each item (None where absent), or None if in no item."""
    segments: list[Segment] = []
    for name, open_tag, close_tag, encoder in members:
        values = column(name)
        if values is None:
            continue
        # A string member's texts first: their join fails on a None, and the Nones are counted only then
        # (a count compares each value with None, ~170 instructions a value: a tenth of a page's encoding).
        texts = _bare_texts(values, None) if encoder is None else None
        if texts is None:
            absent = values.count(None)
            if absent == count:  # in no item (PasswordLastUsed, Tags ...)
                continue
            if absent == 0 and encoder is not None:
                texts = _bare_texts(values, encoder)
        if texts is not None:
            segments += [open_tag, texts, close_tag]
        else:
            segments.append(_tagged_texts(values, open_tag, close_tag, encoder))
    return segments


def _rows(segments: list[Segment], count: int) -> Iterable[str]:
    """The segments item by item, adjacent constants joined: ``<member><Path>``, a path, ``</Path><UserName>``..."""
    columns: list[Iterable[str]] = []
    constant = ""
    for segment in segments:
        if isinstance(segment, str):
            constant += segment
        else:
            if constant:
                columns.append(repeat(constant, count))
                constant = ""
            columns.append(segment)
    if constant:
        columns.append(repeat(constant, count))
    return chain.from_iterable(zip(*columns, strict=True))


def _compile_table(members: list[Member], open_tag: str, close_tag: str, element: Encoder) -> Encoder:
    def enc(value: Iterable[Mapping[str, object] | None], out: list[str]) -> None:
        columns = getattr(value, "member_columns", None)  # a list held column by column (service/table.py)
        if columns is not None and len(value) >= _TABLE_FROM:  # type: ignore[arg-type]  # its columns as they are
            count = len(value)  # type: ignore[arg-type]
            segments = _segments(members, columns.get, count)
        else:
            items = [item for item in value if item is not None]
            count = len(items)
            if count < _TABLE_FROM:
                for item in items:
                    out.append(open_tag)
                    element(item, out)
                    out.append(close_tag)
                return
            segments = _segments(members, partial(_member_values, items), count)
        out.extend(_rows([open_tag, *segments, close_tag], count))
    return enc


# -- per operation -----------------------------------------------------------------------------------

_PLANS: dict[tuple[str, str], tuple[str, str, Encoder | None, str]] = {}


def _plan(service: str, operation: OperationModel) -> tuple[str, str, Encoder | None, str]:
    key = (service, operation.name)
    plan = _PLANS.get(key)
    if plan is None:
        op = operation.name
        head = f'<{op}Response xmlns="{NAMESPACES[service]}">'
        tail = f"<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></{op}Response>"
        shape = operation.output_shape
        if shape is None:
            plan = (head, "", None, tail)
        else:
            wrapper = shape.serialization.get("resultWrapper", f"{op}Result")
            head += f"<{wrapper}>"
            plan = (head, f"</{wrapper}>", _compile(shape, omission_tree(op), 0), tail)
        _PLANS[key] = plan
    return plan


def encode_result(
    service: str, operation: OperationModel, result: Mapping[str, object] | None, request_id: str
) -> bytes:
    """The XML body of a successful response."""
    head, result_close, encoder, tail = _plan(service, operation)
    out = [head]
    if encoder is not None:
        if result:
            encoder(result, out)
        out.append(result_close)
    out.append(tail % escape(request_id))
    return "".join(out).encode("utf-8")


def encode_error(service: str, error: AwsError, request_id: str) -> bytes:
    """``<ErrorResponse>``; Message left out when the error has none (ReportNotPresent)."""
    kind = "Sender" if error.sender_fault else "Receiver"
    message = "" if error.message is None else f"<Message>{escape(str(error.message))}</Message>"
    return (
        f'<ErrorResponse xmlns="{NAMESPACES[service]}"><Error><Type>{kind}</Type>'
        f"<Code>{escape(error.code)}</Code>{message}</Error>"
        f"<RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
    ).encode()
