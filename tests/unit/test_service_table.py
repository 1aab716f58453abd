"""service/table.py's Table: a list page held column by column. The encoder writes its columns as they are:
the bytes must be those of the list of dicts it stands for (with members absent, given as None, to escape,
not strings, timestamps, nested); anyone else reads it as that list of dicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iamd.protocol import encode, model
from iamd.service.table import Table
from tests.unit.protocol.test_encode_reference import reference_body

_BOUNDARY = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/x"}
_MEMBERS = ("Path", "UserName", "UserId", "Arn", "CreateDate", "PasswordLastUsed", "PermissionsBoundary")


def _users(count: int) -> list[dict]:
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    return [{"Path": "/division/", "UserName": f"user{index:03d}", "UserId": f"AIDA{index:017d}",
             "Arn": f"arn:aws:iam::123456789012:user/division/user{index:03d}",
             "CreateDate": start + timedelta(seconds=index % 7), "PasswordLastUsed": None}
            for index in range(count)]


def _table(users: list[dict], optional: tuple[str, ...] = ("PermissionsBoundary",)) -> Table:
    present = [name for name in _MEMBERS if any(name in user for user in users)]
    return Table({name: [user.get(name) for user in users] for name in present}, len(users), optional)


def _encoded(users) -> bytes:
    result = {"Users": users, "IsTruncated": True, "Marker": "WyJ1c2VyMDk5Il0="}
    return encode.encode_result("iam", model.operation_model("iam", "ListUsers"), result, "r-1")


@pytest.mark.parametrize("count", [0, 1, encode._TABLE_FROM - 1, encode._TABLE_FROM, 100])
def test_a_table_is_written_as_its_items(count):
    users = _users(count)
    assert _encoded(_table(users)) == _encoded(users) == reference_body(
        "iam", "ListUsers", {"Users": users, "IsTruncated": True, "Marker": "WyJ1c2VyMDk5Il0="})


@pytest.mark.parametrize("where", [0, 50, 99])
@pytest.mark.parametrize("member,value", [
    ("Path", "/a&b/"), ("UserName", "ü<"), ("Arn", "arn\r"), ("UserId", 12), ("PasswordLastUsed", datetime(2025, 1, 1)),
    ("CreateDate", None), ("Path", "\x01bad\ufffe"), ("PermissionsBoundary", _BOUNDARY),
    ("PermissionsBoundary", {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "arn:x<"}),
])
def test_one_user_unlike_the_others(where, member, value):
    users = _users(100)
    users[where] = {**users[where], member: value}
    assert _encoded(_table(users)) == _encoded(users)


def test_every_user_with_a_boundary_and_a_password_last_used():
    users = [{**user, "PasswordLastUsed": datetime(2025, 1, 1, tzinfo=UTC), "PermissionsBoundary": _BOUNDARY}
             for user in _users(100)]
    assert _encoded(_table(users)) == _encoded(users)


def test_read_as_the_list_of_dicts_it_stands_for():
    users = _users(8)
    users[3] = {**users[3], "PermissionsBoundary": _BOUNDARY}
    table = _table(users)
    assert len(table) == 8
    assert list(table) == users and table == users and users == list(table)
    assert table[3] == users[3] and table[-1] == users[-1] and table[2:5] == users[2:5]
    assert "PermissionsBoundary" not in table[2] and table[2]["PasswordLastUsed"] is None  # as describe writes
    assert list(table[0]) == list(users[0])  # the members' order
    with pytest.raises(IndexError):
        table[8]
    assert [*table] == users and sorted(table, key=lambda user: user["UserName"])[0] == users[0]
    assert Table({}, 0) == [] and list(Table({"Path": []}, 0)) == []
