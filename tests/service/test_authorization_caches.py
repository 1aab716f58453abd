"""The caches on the authorization path, in process: each test warms the cache with an allowed (or
refused) call, changes what it caches, and checks the next call sees the change.

The caches (docs/design-notes.md, "Caches on the authorization path"): a principal's policy set per
(account, principal id, session key id), dropped when the account's change counter moves; compiled
managed policies per (policy id, version id). A name or an ARN comes back when an entity is deleted
and re-created; these tests re-create under the same name to show no cache is keyed on one.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from iamd.errors import AccessDenied, InvalidClientTokenId
from iamd.service.authenticate import principal_for_key
from iamd.service.authorize import Authorizer
from tests.service.conftest import ACCOUNT_ID, ROOT, Caller, Iamd, allow, document, unique


def allowed(iamd: Iamd, caller: Caller, name: str, params: dict | None = None) -> bool:
    try:
        iamd.run(caller, name, params)
    except AccessDenied:
        return False
    return True


def get_user(iamd: Iamd, caller: Caller) -> bool:
    return allowed(iamd, caller, "GetUser", {"UserName": "target"})


def list_groups(iamd: Iamd, caller: Caller) -> bool:
    return allowed(iamd, caller, "ListGroups")


@pytest.fixture
def iamd(iamd):
    iamd.run(ROOT, "CreateUser", {"UserName": "target"})  # what GetUser reads
    return iamd


def test_a_managed_policy_deleted_and_recreated_under_its_name_grants_only_its_new_document(iamd):
    name, alice = iamd.user()
    arn = iamd.policy("shared", allow("iam:GetUser"))
    iamd.run(ROOT, "AttachUserPolicy", {"UserName": name, "PolicyArn": arn})
    assert get_user(iamd, alice) and not list_groups(iamd, alice)  # both caches warm: policy set, v1 compiled
    iamd.run(ROOT, "DetachUserPolicy", {"UserName": name, "PolicyArn": arn})
    iamd.run(ROOT, "DeletePolicy", {"PolicyArn": arn})
    again = iamd.policy("shared", allow("iam:ListGroups"))  # same ARN, again v1, a new policy id
    assert again == arn
    iamd.run(ROOT, "AttachUserPolicy", {"UserName": name, "PolicyArn": again})
    assert not get_user(iamd, alice)
    assert list_groups(iamd, alice)


def test_a_detached_policy_stops_granting(iamd):
    name, alice = iamd.user()
    arn = iamd.policy(unique("p"), allow("iam:GetUser"))
    iamd.run(ROOT, "AttachUserPolicy", {"UserName": name, "PolicyArn": arn})
    assert get_user(iamd, alice)
    iamd.run(ROOT, "DetachUserPolicy", {"UserName": name, "PolicyArn": arn})
    assert not get_user(iamd, alice)


def test_a_new_default_version_holds_at_once(iamd):
    name, alice = iamd.user()
    arn = iamd.policy(unique("p"), allow("iam:GetUser"))
    iamd.run(ROOT, "AttachUserPolicy", {"UserName": name, "PolicyArn": arn})
    assert get_user(iamd, alice)
    iamd.run(ROOT, "CreatePolicyVersion", {"PolicyArn": arn, "PolicyDocument": document(allow("iam:ListGroups")),
                                           "SetAsDefault": True})
    assert not get_user(iamd, alice) and list_groups(iamd, alice)
    iamd.run(ROOT, "SetDefaultPolicyVersion", {"PolicyArn": arn, "VersionId": "v1"})  # v1 compiled before
    assert get_user(iamd, alice) and not list_groups(iamd, alice)


def test_a_user_removed_from_a_group_loses_its_policies(iamd):
    name, alice = iamd.user()
    group = unique("group")
    iamd.run(ROOT, "CreateGroup", {"GroupName": group})
    iamd.run(ROOT, "PutGroupPolicy", {"GroupName": group, "PolicyName": "read",
                                      "PolicyDocument": document(allow("iam:GetUser"))})
    iamd.run(ROOT, "AttachGroupPolicy", {"GroupName": group, "PolicyArn": iamd.policy(unique("p"),
                                                                                       allow("iam:ListGroups"))})
    assert not get_user(iamd, alice)
    iamd.run(ROOT, "AddUserToGroup", {"GroupName": group, "UserName": name})
    assert get_user(iamd, alice) and list_groups(iamd, alice)
    iamd.run(ROOT, "RemoveUserFromGroup", {"GroupName": group, "UserName": name})
    assert not get_user(iamd, alice)
    assert not list_groups(iamd, alice)


def test_a_group_deleted_and_recreated_under_its_name_brings_none_of_its_policies(iamd):
    name, alice = iamd.user()
    iamd.run(ROOT, "CreateGroup", {"GroupName": "readers"})
    iamd.run(ROOT, "PutGroupPolicy", {"GroupName": "readers", "PolicyName": "read",
                                      "PolicyDocument": document(allow("iam:GetUser"))})
    iamd.run(ROOT, "AddUserToGroup", {"GroupName": "readers", "UserName": name})
    assert get_user(iamd, alice)
    iamd.run(ROOT, "RemoveUserFromGroup", {"GroupName": "readers", "UserName": name})
    iamd.run(ROOT, "DeleteGroupPolicy", {"GroupName": "readers", "PolicyName": "read"})
    iamd.run(ROOT, "DeleteGroup", {"GroupName": "readers"})
    iamd.run(ROOT, "CreateGroup", {"GroupName": "readers"})
    iamd.run(ROOT, "AddUserToGroup", {"GroupName": "readers", "UserName": name})
    assert not get_user(iamd, alice)


def test_a_permissions_boundary_put_changed_and_deleted_holds_at_once(iamd):
    name, alice = iamd.user()
    iamd.run(ROOT, "PutUserPolicy", {"UserName": name, "PolicyName": "both",
                                     "PolicyDocument": document(allow("iam:GetUser"), allow("iam:ListGroups"))})
    only_get = iamd.policy(unique("b"), allow("iam:GetUser"))
    only_list = iamd.policy(unique("b"), allow("iam:ListGroups"))
    assert get_user(iamd, alice) and list_groups(iamd, alice)
    iamd.run(ROOT, "PutUserPermissionsBoundary", {"UserName": name, "PermissionsBoundary": only_get})
    assert get_user(iamd, alice) and not list_groups(iamd, alice)
    iamd.run(ROOT, "PutUserPermissionsBoundary", {"UserName": name, "PermissionsBoundary": only_list})
    assert not get_user(iamd, alice) and list_groups(iamd, alice)
    iamd.run(ROOT, "CreatePolicyVersion", {"PolicyArn": only_list, "SetAsDefault": True,
                                           "PolicyDocument": document(allow("iam:GetUser"))})
    assert get_user(iamd, alice) and not list_groups(iamd, alice)
    iamd.run(ROOT, "DeleteUserPermissionsBoundary", {"UserName": name})
    assert get_user(iamd, alice) and list_groups(iamd, alice)


def test_a_boundary_policy_deleted_and_recreated_under_its_name_bounds_with_its_new_document(iamd):
    name, alice = iamd.user()
    iamd.run(ROOT, "PutUserPolicy", {"UserName": name, "PolicyName": "both",
                                     "PolicyDocument": document(allow("iam:GetUser"), allow("iam:ListGroups"))})
    arn = iamd.policy("bound", allow("iam:GetUser"))
    iamd.run(ROOT, "PutUserPermissionsBoundary", {"UserName": name, "PermissionsBoundary": arn})
    assert get_user(iamd, alice) and not list_groups(iamd, alice)
    iamd.run(ROOT, "DeleteUserPermissionsBoundary", {"UserName": name})
    iamd.run(ROOT, "DeletePolicy", {"PolicyArn": arn})
    assert iamd.policy("bound", allow("iam:ListGroups")) == arn
    iamd.run(ROOT, "PutUserPermissionsBoundary", {"UserName": name, "PermissionsBoundary": arn})
    assert not get_user(iamd, alice) and list_groups(iamd, alice)


def test_a_user_deleted_and_recreated_under_its_name_is_a_new_principal(iamd):
    iamd.run(ROOT, "CreateUser", {"UserName": "alice"})
    iamd.run(ROOT, "PutUserPolicy", {"UserName": "alice", "PolicyName": "read",
                                     "PolicyDocument": document(allow("iam:GetUser"))})
    old_key = iamd.run(ROOT, "CreateAccessKey", {"UserName": "alice"})["AccessKey"]
    old = Caller.of(old_key)
    # Temporary credentials of the old user outlive its access key: they name the user by its id.
    old_session = Caller.of(iamd.run(old, "GetSessionToken")["Credentials"])
    assert get_user(iamd, old) and get_user(iamd, old_session)
    iamd.run(ROOT, "DeleteAccessKey", {"UserName": "alice", "AccessKeyId": old.key_id})
    iamd.run(ROOT, "DeleteUserPolicy", {"UserName": "alice", "PolicyName": "read"})
    iamd.run(ROOT, "DeleteUser", {"UserName": "alice"})
    _, new = iamd.user("alice")
    assert not get_user(iamd, new)  # the namesake has none of the old user's policies
    iamd.run(ROOT, "PutUserPolicy", {"UserName": "alice", "PolicyName": "read",
                                     "PolicyDocument": document(allow("iam:GetUser"))})
    assert get_user(iamd, new)
    assert not get_user(iamd, old_session)  # nor has the old user's session the namesake's


def test_a_change_made_by_another_process_holds_here(iamd):
    """Two environments on one store are two server processes: the change counter carries the change."""
    other = Iamd(iamd.store, replace(iamd.env, authorizer=Authorizer()))
    name, alice = iamd.user()
    iamd.run(ROOT, "PutUserPolicy", {"UserName": name, "PolicyName": "read",
                                     "PolicyDocument": document(allow("iam:GetUser"))})
    assert get_user(iamd, alice) and get_user(other, alice)
    other.run(ROOT, "DeleteUserPolicy", {"UserName": name, "PolicyName": "read"})
    assert not get_user(iamd, alice)


# Roles and their sessions.

ROLE_POLICY = document(allow("iam:GetUser"), allow("iam:ListGroups"))


@pytest.fixture
def role(iamd):
    """A role the user ``alice`` may assume, allowed GetUser and ListGroups: (role ARN, alice's credentials)."""
    _, alice = iamd.user("alice")
    trust = document({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/alice"},
                      "Action": ["sts:AssumeRole", "sts:TagSession"]})
    arn = iamd.run(ROOT, "CreateRole", {"RoleName": "worker", "AssumeRolePolicyDocument": trust})["Role"]["Arn"]
    iamd.run(ROOT, "PutRolePolicy", {"RoleName": "worker", "PolicyName": "work", "PolicyDocument": ROLE_POLICY})
    return arn, alice


def assume(iamd: Iamd, caller: Caller, arn: str, **params) -> Caller:
    answer = iamd.run(caller, "AssumeRole", {"RoleArn": arn, "RoleSessionName": unique("s")} | params)
    return Caller.of(answer["Credentials"])


def test_a_session_policy_narrows_its_session_only(iamd, role):
    arn, alice = role
    # One session name for both: the principal (AROA...:name) is the same, the sessions are not.
    narrowed = assume(iamd, alice, arn, RoleSessionName="same", Policy=document(allow("iam:ListGroups")))
    whole = assume(iamd, alice, arn, RoleSessionName="same")
    assert not get_user(iamd, narrowed) and list_groups(iamd, narrowed)
    assert get_user(iamd, whole) and list_groups(iamd, whole)  # same role, its own cache entry
    assert not get_user(iamd, narrowed)


def test_a_managed_session_policy_recreated_under_its_name_narrows_by_its_new_document(iamd, role):
    arn, alice = role
    policy = iamd.policy("scope", allow("iam:GetUser"))
    session = assume(iamd, alice, arn, PolicyArns=[{"arn": policy}])
    assert get_user(iamd, session) and not list_groups(iamd, session)
    iamd.run(ROOT, "DeletePolicy", {"PolicyArn": policy})
    assert not get_user(iamd, session)  # a session policy gone allows nothing
    iamd.run(ROOT, "CreatePolicy", {"PolicyName": "scope", "PolicyDocument": document(allow("iam:ListGroups"))})
    assert not get_user(iamd, session) and list_groups(iamd, session)


def test_a_roles_changed_policies_and_boundary_hold_for_its_open_sessions(iamd, role):
    arn, alice = role
    session = assume(iamd, alice, arn)
    assert get_user(iamd, session) and list_groups(iamd, session)
    iamd.run(ROOT, "PutRolePermissionsBoundary", {"RoleName": "worker",
                                                  "PermissionsBoundary": iamd.policy("b", allow("iam:GetUser"))})
    assert get_user(iamd, session) and not list_groups(iamd, session)
    iamd.run(ROOT, "DeleteRolePolicy", {"RoleName": "worker", "PolicyName": "work"})
    assert not get_user(iamd, session)


def test_a_session_of_a_deleted_role_stays_dead_when_the_role_is_recreated(iamd, role):
    arn, alice = role
    session = assume(iamd, alice, arn)
    assert get_user(iamd, session)
    iamd.run(ROOT, "DeleteRolePolicy", {"RoleName": "worker", "PolicyName": "work"})
    iamd.run(ROOT, "DeleteRole", {"RoleName": "worker"})
    trust = document({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/alice"},
                      "Action": "sts:AssumeRole"})
    iamd.run(ROOT, "CreateRole", {"RoleName": "worker", "AssumeRolePolicyDocument": trust})
    iamd.run(ROOT, "PutRolePolicy", {"RoleName": "worker", "PolicyName": "work", "PolicyDocument": ROLE_POLICY})
    assert not get_user(iamd, session)
    assert get_user(iamd, assume(iamd, alice, arn))


@pytest.mark.parametrize("key", ["iam:ResourceTag/team", "aws:ResourceTag/team"])
def test_a_tag_change_on_a_role_holds_at_once_in_a_resource_tag_condition(iamd, key):
    name, alice = iamd.user()
    iamd.run(ROOT, "PutUserPolicy", {"UserName": name, "PolicyName": "blue", "PolicyDocument": document(
        allow("iam:GetRole", "*", StringEquals={key: "blue"}))})
    trust = document({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    iamd.run(ROOT, "CreateRole", {"RoleName": "tagged", "AssumeRolePolicyDocument": trust,
                                  "Tags": [{"Key": "team", "Value": "blue"}]})

    def get_role() -> bool:
        return allowed(iamd, alice, "GetRole", {"RoleName": "tagged"})

    assert get_role()
    iamd.run(ROOT, "TagRole", {"RoleName": "tagged", "Tags": [{"Key": "team", "Value": "red"}]})
    assert not get_role()
    iamd.run(ROOT, "TagRole", {"RoleName": "tagged", "Tags": [{"Key": "team", "Value": "blue"}]})
    assert get_role()
    iamd.run(ROOT, "UntagRole", {"RoleName": "tagged", "TagKeys": ["team"]})
    assert not get_role()
    iamd.run(ROOT, "DeleteRole", {"RoleName": "tagged"})
    iamd.run(ROOT, "CreateRole", {"RoleName": "tagged", "AssumeRolePolicyDocument": trust})
    assert not get_role()  # the namesake has no tag


def test_a_deleted_access_key_is_refused_and_the_next_key_signs_with_its_own_secret(iamd):
    """The secrets opened on the way to the signature check are kept by (key id, sealed secret): a
    deleted key must fail at its row, and the user's next key be checked against its own secret."""
    name, alice = iamd.user()
    assert iamd.run(alice, "GetCallerIdentity")["Arn"].endswith(f":user/{name}")  # her first secret, kept
    iamd.run(ROOT, "DeleteAccessKey", {"UserName": name, "AccessKeyId": alice.key_id})
    with pytest.raises(InvalidClientTokenId):
        iamd.run(alice, "GetCallerIdentity")
    again = Caller.of(iamd.run(ROOT, "CreateAccessKey", {"UserName": name})["AccessKey"])
    assert again.key_id != alice.key_id and again.secret != alice.secret
    with iamd.store.transaction(write=False) as tx:
        assert principal_for_key(tx, iamd.env.secrets, again.key_id).secret_access_key == again.secret
    assert iamd.run(again, "GetCallerIdentity")["Arn"].endswith(f":user/{name}")
