"""Groups and membership through boto3 and the aws CLI: AWS's ids, ARNs, pagination, quotas and errors."""

import re

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, aws_json, error_of, run_aws

POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}'


def raises(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def test_create_and_get_group(iam, unique):
    name = unique("Devs")
    created = iam.create_group(GroupName=name, Path="/division/")["Group"]
    assert re.fullmatch(r"AGPA[A-Z2-7]{17}", created["GroupId"])
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/division/{name}"
    assert created["Path"] == "/division/" and created["GroupName"] == name
    fetched = iam.get_group(GroupName=name.lower())
    assert fetched["Group"] == created
    assert fetched["Users"] == [] and fetched["IsTruncated"] is False and "Marker" not in fetched


def test_create_group_default_path(iam, unique):
    name = unique()
    group = iam.create_group(GroupName=name)["Group"]
    assert group["Path"] == "/"
    assert group["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/{name}"


def test_group_names_are_unique_ignoring_case(iam, unique):
    name = unique("Ops")
    iam.create_group(GroupName=name)
    assert raises(iam.create_group, GroupName=name.upper()) == (
        "EntityAlreadyExists", f"Group with name {name.upper()} already exists.", 409)


def test_get_missing_group(iam):
    assert raises(iam.get_group, GroupName="no-such-group") == (
        "NoSuchEntity", "The group with name no-such-group cannot be found.", 404)


def test_get_group_lists_members_in_pages(iam, unique):
    group = unique("g")
    iam.create_group(GroupName=group)
    names = sorted(unique("m") for _ in range(5))
    for name in names:
        iam.create_user(UserName=name, Path="/staff/")
        iam.add_user_to_group(GroupName=group, UserName=name)
    first = iam.get_group(GroupName=group, MaxItems=2)
    assert [u["UserName"] for u in first["Users"]] == names[:2]
    assert first["IsTruncated"] is True
    assert first["Users"][0]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/staff/{names[0]}"
    assert first["Users"][0]["UserId"].startswith("AIDA")
    rest = iam.get_group(GroupName=group, MaxItems=10, Marker=first["Marker"])
    assert [u["UserName"] for u in rest["Users"]] == names[2:] and rest["IsTruncated"] is False
    paginated = [u["UserName"] for page in iam.get_paginator("get_group").paginate(
        GroupName=group, PaginationConfig={"PageSize": 2}) for u in page["Users"]]
    assert paginated == names


def test_list_groups_by_path_prefix_and_pages(iam, unique):
    path = f"/{unique('p')}/"
    names = sorted(unique("g") for _ in range(5))
    for name in names:
        iam.create_group(GroupName=name, Path=path)
    first = iam.list_groups(PathPrefix=path, MaxItems=3)
    assert [g["GroupName"] for g in first["Groups"]] == names[:3] and first["IsTruncated"] is True
    second = iam.list_groups(PathPrefix=path, MaxItems=3, Marker=first["Marker"])
    assert [g["GroupName"] for g in second["Groups"]] == names[3:]
    assert second["IsTruncated"] is False and "Marker" not in second
    paginated = [g["GroupName"] for page in iam.get_paginator("list_groups").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2}) for g in page["Groups"]]
    assert paginated == names
    everything = [g["GroupName"] for page in iam.get_paginator("list_groups").paginate() for g in page["Groups"]]
    assert set(names) <= set(everything)


def test_update_group_renames_and_moves_keeping_members_and_policies(iam, unique):
    old, new, user = unique("old"), unique("new"), unique("u")
    created = iam.create_group(GroupName=old)["Group"]
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=old, UserName=user)
    iam.put_group_policy(GroupName=old, PolicyName="p", PolicyDocument=POLICY)
    iam.update_group(GroupName=old, NewGroupName=new, NewPath="/moved/")
    fetched = iam.get_group(GroupName=new)
    assert fetched["Group"]["GroupId"] == created["GroupId"]
    assert fetched["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/moved/{new}"
    assert [u["UserName"] for u in fetched["Users"]] == [user]
    assert iam.list_group_policies(GroupName=new)["PolicyNames"] == ["p"]
    assert raises(iam.get_group, GroupName=old) == (
        "NoSuchEntity", f"The group with name {old} cannot be found.", 404)


def test_update_group_only_path(iam, unique):
    name = unique()
    iam.create_group(GroupName=name)
    iam.update_group(GroupName=name, NewPath="/x/y/")
    assert iam.get_group(GroupName=name)["Group"]["Path"] == "/x/y/"


def test_update_group_case_of_own_name(iam, unique):
    name = unique("lower")
    iam.create_group(GroupName=name)
    iam.update_group(GroupName=name, NewGroupName=name.upper())
    assert iam.get_group(GroupName=name)["Group"]["GroupName"] == name.upper()


def test_update_group_errors(iam, unique):
    first, second = unique(), unique()
    iam.create_group(GroupName=first)
    iam.create_group(GroupName=second)
    assert raises(iam.update_group, GroupName=first, NewGroupName=second) == (
        "EntityAlreadyExists", f"Group with name {second} already exists.", 409)
    assert iam.get_group(GroupName=first)["Group"]["GroupName"] == first
    assert raises(iam.update_group, GroupName="ghost-group", NewPath="/x/") == (
        "NoSuchEntity", "The group with name ghost-group cannot be found.", 404)


def test_delete_group_conflicts_in_order(iam, unique):
    group, user = unique("g"), unique("u")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_group_policy(GroupName=group, PolicyName="inline", PolicyDocument=POLICY)
    assert raises(iam.delete_group, GroupName=group) == (
        "DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    iam.remove_user_from_group(GroupName=group, UserName=user)
    assert raises(iam.delete_group, GroupName=group) == (
        "DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_group_policy(GroupName=group, PolicyName="inline")
    iam.delete_group(GroupName=group)
    assert raises(iam.delete_group, GroupName=group) == (
        "NoSuchEntity", f"The group with name {group} cannot be found.", 404)
    iam.create_group(GroupName=group)  # the name is free again


def test_delete_group_conflicts_while_a_managed_policy_is_attached(iam, unique):
    group = unique("g")
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert raises(iam.delete_group, GroupName=group) == (
        "DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)


def test_membership_is_idempotent_and_listed(iam, unique):
    user = unique("u")
    iam.create_user(UserName=user)
    group_names = sorted(unique("g") for _ in range(3))
    for name in group_names:
        iam.create_group(GroupName=name)
        iam.add_user_to_group(GroupName=name, UserName=user)
    iam.add_user_to_group(GroupName=group_names[0], UserName=user)
    listed = iam.list_groups_for_user(UserName=user)
    assert [g["GroupName"] for g in listed["Groups"]] == group_names and listed["IsTruncated"] is False
    assert listed["Groups"][0]["GroupId"].startswith("AGPA")
    first = iam.list_groups_for_user(UserName=user, MaxItems=2)
    assert [g["GroupName"] for g in first["Groups"]] == group_names[:2] and first["IsTruncated"] is True
    rest = iam.list_groups_for_user(UserName=user, Marker=first["Marker"])
    assert [g["GroupName"] for g in rest["Groups"]] == group_names[2:]
    assert [u["UserName"] for u in iam.get_group(GroupName=group_names[0])["Users"]] == [user]
    iam.remove_user_from_group(GroupName=group_names[0], UserName=user)
    iam.remove_user_from_group(GroupName=group_names[0], UserName=user)  # not a member: success
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == group_names[1:]


def test_a_user_is_in_at_most_ten_groups(iam, unique):
    user = unique("u")
    iam.create_user(UserName=user)
    group_names = [unique("g") for _ in range(11)]
    for name in group_names:
        iam.create_group(GroupName=name)
    for name in group_names[:10]:
        iam.add_user_to_group(GroupName=name, UserName=user)
    iam.add_user_to_group(GroupName=group_names[0], UserName=user)  # already a member: still fine
    assert raises(iam.add_user_to_group, GroupName=group_names[10], UserName=user) == (
        "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10", 409)


def test_membership_errors(iam, unique):
    user, group = unique("u"), unique("g")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    for call in (iam.add_user_to_group, iam.remove_user_from_group):
        assert raises(call, GroupName=group, UserName="ghost-user") == (
            "NoSuchEntity", "The user with name ghost-user cannot be found.", 404)
        assert raises(call, GroupName="ghost-group", UserName=user) == (
            "NoSuchEntity", "The group with name ghost-group cannot be found.", 404)
        assert raises(call, GroupName="ghost-group", UserName="ghost-user") == (
            "NoSuchEntity", "The user with name ghost-user cannot be found.", 404)
    assert raises(iam.list_groups_for_user, UserName="ghost-user") == (
        "NoSuchEntity", "The user with name ghost-user cannot be found.", 404)


def test_delete_user_conflicts_while_in_a_group(iam, unique):
    user, group = unique("u"), unique("g")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    code, _, status = raises(iam.delete_user, UserName=user)
    assert (code, status) == ("DeleteConflict", 409)
    iam.remove_user_from_group(GroupName=group, UserName=user)
    iam.delete_user(UserName=user)


def test_renamed_user_keeps_membership(iam, unique):
    old, new, group = unique("old"), unique("new"), unique("g")
    iam.create_user(UserName=old)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=old)
    iam.update_user(UserName=old, NewUserName=new)
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [new]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=new)["Groups"]] == [group]
    assert raises(iam.list_groups_for_user, UserName=old)[:2] == (
        "NoSuchEntity", f"The user with name {old} cannot be found.")


def test_group_name_constraint(iam):
    code, message, status = raises(iam.create_group, GroupName="bad name")
    assert (code, status) == ("ValidationError", 400)
    assert "groupName" in message


def test_groups_through_the_aws_cli(server, unique):
    group, user = unique("cli"), unique("u")
    created = aws_json(server, "iam", "create-group", "--group-name", group, "--path", "/cli/")["Group"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/cli/{group}"
    aws_json(server, "iam", "create-user", "--user-name", user)
    aws_json(server, "iam", "add-user-to-group", "--group-name", group, "--user-name", user)
    fetched = aws_json(server, "iam", "get-group", "--group-name", group)
    assert fetched["Group"]["GroupId"] == created["GroupId"]
    assert [u["UserName"] for u in fetched["Users"]] == [user]
    listed = aws_json(server, "iam", "list-groups", "--path-prefix", "/cli/")["Groups"]
    assert group in [g["GroupName"] for g in listed]
    assert [g["GroupName"] for g in aws_json(server, "iam", "list-groups-for-user", "--user-name", user)["Groups"]] \
        == [group]
    done = run_aws(server, "iam", "delete-group", "--group-name", group)
    assert done.returncode != 0
    assert "DeleteConflict" in done.stderr and "must remove users from group first." in done.stderr
    aws_json(server, "iam", "remove-user-from-group", "--group-name", group, "--user-name", user)
    aws_json(server, "iam", "delete-group", "--group-name", group)
    done = run_aws(server, "iam", "get-group", "--group-name", group)
    assert done.returncode != 0 and f"The group with name {group} cannot be found." in done.stderr
