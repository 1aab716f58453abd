"""ListUsers and ListGroups build their items from the page's own columns (not the whole row, not the
entity's describe): each item must stay what GetUser and GetGroup describe, member for member, with a
path, a permissions boundary, a password last used, across pages and under a PathPrefix."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from iamd.store.schema import users
from tests.service.conftest import ROOT, unique

_BOUNDARY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def _all_pages(iamd, operation: str, member: str, params: dict) -> list[dict]:
    listed, marker = [], None
    while True:
        page = iamd.run(ROOT, operation, {**params, "MaxItems": 2, **({"Marker": marker} if marker else {})})
        listed += page[member]
        if not page["IsTruncated"]:
            return listed
        marker = page["Marker"]


def test_listed_users_are_described_as_get_user_describes_them(iamd):
    prefix = f"/{unique('p')}/"
    names = [unique("User"), unique("user"), unique("USER"), unique("u")]
    iamd.run(ROOT, "CreateUser", {"UserName": names[0], "Path": prefix})
    iamd.run(ROOT, "CreateUser", {"UserName": names[1], "Path": f"{prefix}deeper/"})
    iamd.run(ROOT, "CreateUser", {"UserName": names[2], "Path": prefix, "PermissionsBoundary": _BOUNDARY})
    iamd.run(ROOT, "CreateUser", {"UserName": names[3], "Path": prefix})
    with iamd.store.transaction(write=True) as tx:  # what a console sign-in records
        tx.execute(update(users).where(users.c.name == names[3])
                   .values(password_last_used=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)))

    listed = _all_pages(iamd, "ListUsers", "Users", {"PathPrefix": prefix})

    assert listed == [iamd.run(ROOT, "GetUser", {"UserName": name})["User"]
                      for name in sorted(names, key=str.lower)]
    assert listed[[user["UserName"] for user in listed].index(names[2])]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": _BOUNDARY}
    assert all(list(user)[:6] == ["Path", "UserName", "UserId", "Arn", "CreateDate", "PasswordLastUsed"]
               for user in listed)


def test_listed_groups_are_described_as_get_group_describes_them(iamd):
    prefix = f"/{unique('p')}/"
    names = [unique("Group"), unique("group"), unique("g")]
    for index, name in enumerate(names):
        iamd.run(ROOT, "CreateGroup", {"GroupName": name, "Path": prefix + "x/" * index})

    listed = _all_pages(iamd, "ListGroups", "Groups", {"PathPrefix": prefix})

    assert listed == [iamd.run(ROOT, "GetGroup", {"GroupName": name})["Group"]
                      for name in sorted(names, key=str.lower)]
