"""Lists of structures written column by column (protocol/encode.py's _compile_table) give exactly the bytes
of the item-by-item encoder and of the plain reference encoder, over every operation's output shapes, with
items that differ from each other: members absent from some items, strings to escape, unicode, characters
XML cannot hold, values that are not strings, timestamps of every kind, None items, empty structures."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, timezone

import pytest

from iamd.protocol import encode, model
from tests.unit.protocol.protocol_shapegen import value_for
from tests.unit.protocol.test_encode_reference import WITH_OUTPUT, reference_body


class Kind(str, enum.Enum):  # noqa: UP042  a str member is written as its value
    USER = "user & <co>"


AWKWARD_STRINGS = ["a & <b> > c \r\n", "é, ü, 日本, 😀", "\x01bad\ufffe\t", "", "plain", Kind.USER, 42, 'q"uo\'te']
AWKWARD_TIMES = [datetime(2024, 5, 6, 7, 8, 9), datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=-3))),
                 1_700_000_000, "2024-01-01T00:00:00Z", datetime(2024, 5, 6, 7, 8, 9, 999, tzinfo=UTC)]


def _sparse(item: dict) -> dict:
    """Every other member left out, and one more given as None."""
    kept = {name: value for index, (name, value) in enumerate(item.items()) if index % 2 == 0}
    if kept:
        kept[next(iter(kept))] = None
    return kept


def _awkward(shape, item: dict, seed: int) -> dict:
    changed = dict(item)
    for index, (name, value) in enumerate(item.items()):
        member = shape.members.get(name)
        if member is None or value is None:
            continue
        if member.type_name == "string" and member.name not in encode.POLICY_DOCUMENT_SHAPES:
            changed[name] = AWKWARD_STRINGS[(seed + index) % len(AWKWARD_STRINGS)]
        elif member.type_name == "timestamp":
            changed[name] = AWKWARD_TIMES[(seed + index) % len(AWKWARD_TIMES)]
    return changed


def grown(shape, value, seed: int = 0):
    """``value`` with every list of structures made of items of every kind, the plain ones first and last."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {name: grown(shape.members[name], item, seed + 1) if name in shape.members else item
                for name, item in value.items()}
    if kind == "list" and isinstance(value, list):
        items = [grown(shape.member, item, seed + 1) for item in value]
        if shape.member.type_name == "structure" and items:
            first = items[0]
            items = [first, _sparse(first), _awkward(shape.member, first, seed), None, {},
                     *(_awkward(shape.member, first, seed + shift) for shift in range(1, 8)), *items[1:], first]
        return items
    if kind == "map" and isinstance(value, dict):
        return {key: grown(shape.value, item, seed + 1) for key, item in value.items()}
    return value


def item_by_item(monkeypatch, service: str, name: str, result) -> bytes:
    with monkeypatch.context() as patch:
        patch.setattr(encode, "_TABLE_FROM", 10**9)
        return encode.encode_result(service, model.operation_model(service, name), result, "r-1")


def has_list_of_structures(shape, depth: int = 0) -> bool:
    if depth > 12:
        return False
    if shape.type_name == "list":
        return shape.member.type_name == "structure" or has_list_of_structures(shape.member, depth + 1)
    if shape.type_name == "structure":
        return any(has_list_of_structures(member, depth + 1) for member in shape.members.values())
    if shape.type_name == "map":
        return has_list_of_structures(shape.value, depth + 1)
    return False


WITH_TABLES = [(service, name) for service, name in WITH_OUTPUT
               if has_list_of_structures(model.operation_model(service, name).output_shape)]


def test_the_list_operations_have_tables():
    names = {name for _, name in WITH_TABLES}
    assert {"ListUsers", "ListRoles", "ListGroups", "ListPolicies", "ListAccessKeys", "ListUserTags",
            "GetAccountAuthorizationDetails", "GetGroup"} <= names


@pytest.mark.parametrize("service,name", WITH_TABLES)
@pytest.mark.parametrize("variant", [0, 1])
def test_columns_write_the_bytes_of_items(monkeypatch, service, name, variant):
    shape = model.operation_model(service, name).output_shape
    result = grown(shape, value_for(shape, variant), variant)
    body = encode.encode_result(service, model.operation_model(service, name), result, "r-1")
    assert body == item_by_item(monkeypatch, service, name, result)
    assert body == reference_body(service, name, result)


@pytest.mark.parametrize("service,name", WITH_TABLES)
def test_empty_lists(monkeypatch, service, name):
    shape = model.operation_model(service, name).output_shape
    result = value_for(shape, 0, empty=True)
    body = encode.encode_result(service, model.operation_model(service, name), result, "r-1")
    assert body == item_by_item(monkeypatch, service, name, result) == reference_body(service, name, result)


def _users(count: int) -> list[dict]:
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    return [{"Path": "/division/", "UserName": f"user{index:03d}", "UserId": f"AIDA{index:017d}",
             "Arn": f"arn:aws:iam::123456789012:user/division/user{index:03d}",
             "CreateDate": start + timedelta(seconds=index % 7), "PasswordLastUsed": None}
            for index in range(count)]


def _list_users(monkeypatch, users: list[dict]) -> bytes:
    result = {"Users": users, "IsTruncated": True, "Marker": "WyJ1c2VyMDk5Il0="}
    body = encode.encode_result("iam", model.operation_model("iam", "ListUsers"), result, "r-1")
    assert body == item_by_item(monkeypatch, "iam", "ListUsers", result)
    assert body == reference_body("iam", "ListUsers", result)
    return body


def test_a_page_of_users(monkeypatch):
    body = _list_users(monkeypatch, _users(100))
    assert body.count(b"<member>") == 100
    assert b"<PasswordLastUsed>" not in body and b"<PermissionsBoundary>" not in body
    assert b"<member><Path>/division/</Path><UserName>user000</UserName>" in body


@pytest.mark.parametrize("where", [0, 50, 99])
@pytest.mark.parametrize("member,value", [
    ("Path", "/a&b/"), ("UserName", "ü<"), ("Arn", "arn\r"), ("UserId", 12), ("PasswordLastUsed", datetime(2025, 1, 1)),
    ("CreateDate", None), ("Tags", [{"Key": "k&", "Value": "v"}, {"Key": "é", "Value": ""}]),
    ("PermissionsBoundary", {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "arn:x<"}),
])
def test_one_user_unlike_the_others(monkeypatch, where, member, value):
    users = _users(100)
    users[where] = {**users[where], member: value}
    _list_users(monkeypatch, users)


def test_items_that_are_not_dicts(monkeypatch):
    class Item(dict):
        pass

    from types import MappingProxyType
    _list_users(monkeypatch, [MappingProxyType(user) for user in _users(encode._TABLE_FROM)])
    _list_users(monkeypatch, [Item(user) for user in _users(encode._TABLE_FROM)])


def test_plain_is_what_escape_leaves_alone():
    for code in range(0x80):
        character = chr(code)
        assert encode._plain(character) == (encode.escape(character) == character), repr(character)
    assert not encode._plain("é")


def test_long_lists_take_the_column_path_short_ones_not(monkeypatch):
    calls = []
    segments = encode._segments

    def counted(members, column, count):
        calls.append(count)
        return segments(members, column, count)
    monkeypatch.setattr(encode, "_segments", counted)
    _list_users(monkeypatch, _users(encode._TABLE_FROM - 1))
    assert calls == []
    _list_users(monkeypatch, _users(100))
    assert calls == [100]
