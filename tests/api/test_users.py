"""Users through boto3: AWS's ids, ARNs, pagination, errors and messages."""

import re

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, error_of


def test_create_and_get_user_with_path_and_tags(iam, unique):
    name = unique("alice")
    created = iam.create_user(UserName=name, Path="/division/team/", Tags=[{"Key": "dept", "Value": "eng"}])["User"]
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", created["UserId"])
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/division/team/{name}"
    assert created["Path"] == "/division/team/"
    assert created["Tags"] == [{"Key": "dept", "Value": "eng"}]
    fetched = iam.get_user(UserName=name)["User"]
    assert fetched["UserId"] == created["UserId"]
    assert fetched["CreateDate"] == created["CreateDate"]
    assert fetched["Tags"] == [{"Key": "dept", "Value": "eng"}]
    assert "PasswordLastUsed" not in fetched


def test_get_user_tags_in_the_order_they_were_added(iam, unique):
    """GetUser's tags come in the order they were added, as ListUserTags lists them, not by key: the
    read orders its rows by position itself (the statement has no ORDER BY)."""
    name = unique()
    iam.create_user(UserName=name, Tags=[{"Key": "zeta", "Value": "1"}, {"Key": "alpha", "Value": "2"}])
    iam.tag_user(UserName=name, Tags=[{"Key": "mid", "Value": "3"}, {"Key": "ALPHA", "Value": "4"}])
    expected = [{"Key": "zeta", "Value": "1"}, {"Key": "ALPHA", "Value": "4"}, {"Key": "mid", "Value": "3"}]
    assert iam.list_user_tags(UserName=name)["Tags"] == expected
    assert iam.get_user(UserName=name)["User"]["Tags"] == expected


def test_get_user_omits_tags_when_none(iam, unique):
    name = unique()
    iam.create_user(UserName=name)
    assert "Tags" not in iam.get_user(UserName=name)["User"]


def test_get_user_without_name_is_the_caller(iam):
    user = iam.get_user()["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert user["UserId"] == ACCOUNT_ID


def test_user_names_are_unique_ignoring_case(iam, unique):
    name = unique("Bob")
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as excinfo:
        iam.create_user(UserName=name.upper())
    assert error_of(excinfo) == ("EntityAlreadyExists", f"User with name {name.upper()} already exists.", 409)


def test_get_missing_user(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.get_user(UserName="nobody-here")
    assert error_of(excinfo) == ("NoSuchEntity", "The user with name nobody-here cannot be found.", 404)


def test_list_users_by_path_prefix_and_pages(iam, unique):
    path = f"/{unique('p')}/"
    names = sorted(unique("u") for _ in range(5))
    for name in names:
        iam.create_user(UserName=name, Path=path)
    iam.create_user(UserName=unique("elsewhere"), Path="/other/")
    first = iam.list_users(PathPrefix=path, MaxItems=2)
    assert [u["UserName"] for u in first["Users"]] == names[:2]
    assert first["IsTruncated"] is True
    second = iam.list_users(PathPrefix=path, MaxItems=2, Marker=first["Marker"])
    third = iam.list_users(PathPrefix=path, MaxItems=2, Marker=second["Marker"])
    assert [u["UserName"] for u in second["Users"] + third["Users"]] == names[2:]
    assert third["IsTruncated"] is False and "Marker" not in third
    assert all("Tags" not in user for user in first["Users"])
    paginated = [u["UserName"] for page in iam.get_paginator("list_users").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2}) for u in page["Users"]]
    assert paginated == names


def test_list_users_rejects_a_garbage_marker(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.list_users(Marker="invalid-marker-value")
    assert error_of(excinfo)[0] == "ValidationError"


def test_update_user_renames_and_moves(iam, unique):
    old, new = unique("old"), unique("new")
    iam.create_user(UserName=old)
    key = iam.create_access_key(UserName=old)["AccessKey"]
    iam.update_user(UserName=old, NewUserName=new, NewPath="/moved/")
    user = iam.get_user(UserName=new)["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/moved/{new}"
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName=new)["AccessKeyMetadata"]] == [key["AccessKeyId"]]
    with pytest.raises(ClientError) as excinfo:
        iam.get_user(UserName=old)
    assert error_of(excinfo)[:2] == ("NoSuchEntity", f"The user with name {old} cannot be found.")


def test_update_user_to_a_taken_name(iam, unique):
    first, second = unique(), unique()
    iam.create_user(UserName=first)
    iam.create_user(UserName=second)
    with pytest.raises(ClientError) as excinfo:
        iam.update_user(UserName=first, NewUserName=second)
    assert error_of(excinfo) == ("EntityAlreadyExists", f"User with name {second} already exists.", 409)
    assert iam.get_user(UserName=first)["User"]["UserName"] == first


def test_update_missing_user(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.update_user(UserName="ghost-user", NewPath="/x/")
    assert error_of(excinfo) == ("NoSuchEntity", "The user with name ghost-user cannot be found.", 404)


def test_delete_user_conflicts_while_a_key_exists(iam, unique):
    name = unique()
    iam.create_user(UserName=name)
    key_id = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    with pytest.raises(ClientError) as excinfo:
        iam.delete_user(UserName=name)
    assert error_of(excinfo) == ("DeleteConflict", "Cannot delete entity, must delete access keys first.", 409)
    iam.delete_access_key(UserName=name, AccessKeyId=key_id)
    iam.delete_user(UserName=name)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_user(UserName=name)
    assert error_of(excinfo)[0] == "NoSuchEntity"


def test_user_tags(iam, unique):
    name = unique()
    iam.create_user(UserName=name, Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_user(UserName=name, Tags=[{"Key": "b", "Value": "2"}, {"Key": "A", "Value": "3"}])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "A", "Value": "3"}, {"Key": "b", "Value": "2"}]
    iam.untag_user(UserName=name, TagKeys=["a"])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as excinfo:
        iam.tag_user(UserName=name, Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}])
    assert error_of(excinfo) == (
        "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400)


def test_tag_limits(iam, unique):
    name = unique()
    with pytest.raises(ClientError) as excinfo:
        iam.create_user(UserName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    assert error_of(excinfo) == ("ValidationError", "1 validation error detected: Value at 'tags' failed to "
                                 "satisfy constraint: Member must have length less than or equal to 50", 400)
    iam.create_user(UserName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with pytest.raises(ClientError) as excinfo:
        iam.tag_user(UserName=name, Tags=[{"Key": "one-more", "Value": "v"}])
    assert error_of(excinfo) == ("LimitExceeded", "The number of tags has reached the maximum limit.", 409)
    with pytest.raises(ClientError) as excinfo:
        iam.tag_user(UserName=name, Tags=[{"Key": "bad!", "Value": "v"}])
    assert error_of(excinfo)[1] == ("1 validation error detected: Value at 'tags.1.member.key' failed to satisfy "
                                    "constraint: Member must satisfy regular expression pattern: "
                                    "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+")


def test_tag_and_list_tags_of_missing_user(iam):
    for call in (lambda: iam.tag_user(UserName="nope-user", Tags=[{"Key": "a", "Value": "b"}]),
                 lambda: iam.untag_user(UserName="nope-user", TagKeys=["a"]),
                 lambda: iam.list_user_tags(UserName="nope-user")):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("NoSuchEntity", "The user with name nope-user cannot be found.", 404)


@pytest.mark.parametrize("name, message", [
    ("x" * 65, "1 validation error detected: Value at 'userName' failed to satisfy constraint: "
               "Member must have length less than or equal to 64"),
    ("bad name", "1 validation error detected: Value at 'userName' failed to satisfy constraint: "
                 "Member must satisfy regular expression pattern: [\\w+=,.@-]+"),
    ("jöhn", "1 validation error detected: Value at 'userName' failed to satisfy constraint: "
             "Member must satisfy regular expression pattern: [\\w+=,.@-]+"),
])
def test_bad_user_names(iam, name, message):
    with pytest.raises(ClientError) as excinfo:
        iam.create_user(UserName=name)
    assert error_of(excinfo) == ("ValidationError", message, 400)


def test_bad_path(iam, unique):
    with pytest.raises(ClientError) as excinfo:
        iam.create_user(UserName=unique(), Path="no-slashes")
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationError", 400)
    assert "'path'" in message


def test_permissions_boundary_on_create_and_later(iam, unique):
    """PermissionsBoundaryType is "Policy" as AWS answers it (IAM API Reference, AttachedPermissionsBoundary:
    "can only have a value of Policy"), not the model's enum name PermissionsBoundaryPolicy."""
    name = unique()
    boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
    user = iam.create_user(UserName=name, PermissionsBoundary=boundary)["User"]
    assert user["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy",
                                           "PermissionsBoundaryArn": boundary}
    iam.delete_user_permissions_boundary(UserName=name)
    assert "PermissionsBoundary" not in iam.get_user(UserName=name)["User"]
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert iam.get_user(UserName=name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == \
        "arn:aws:iam::aws:policy/ReadOnlyAccess"


@pytest.mark.parametrize("arn, expected", [
    ("arn:aws:iam::aws:policy/NoSuchPolicyHere", ("NoSuchEntity", "Scope ARN: arn:aws:iam::aws:policy/NoSuchPolicyHere "
                                                  "does not exist or is not attachable.", 404)),
    (f"arn:aws:iam::{ACCOUNT_ID}:not_a_policy/invalid", ("InvalidInput", f"ARN arn:aws:iam::{ACCOUNT_ID}:not_a_policy/"
                                                          "invalid is not valid.", 400)),
])
def test_bad_permissions_boundary(iam, unique, arn, expected):
    name = unique()
    with pytest.raises(ClientError) as excinfo:
        iam.create_user(UserName=name, PermissionsBoundary=arn)
    assert error_of(excinfo) == expected
    with pytest.raises(ClientError):
        iam.get_user(UserName=name)
