"""Every cache on the authorization path forgets what was deleted, detached or changed, in every process.

What is cached (docs/design-notes.md, "Caches on the authorization path"): each process keeps a
principal's compiled policy set, keyed on the principal's unique id and dropped when the account's
change counter moves, and compiled managed policies, keyed on (policy id, version id). Each test
here warms the caches of two server processes sharing one database, changes something through the
first, and checks the next request to either process.

AWS sources:
- IAM User Guide, "IAM identifiers" › "Unique identifiers": a user (or role, policy ...) deleted and
  re-created under the same name is a new entity with a new unique id, and a policy naming the old
  one must not grant the new one.
- IAM User Guide, "Disabling permissions for temporary security credentials": the permissions of
  temporary credentials are evaluated each time they are used; once removed, requests fail.
- IAM User Guide, "Policy elements: Principal" › "IAM role principals" / "IAM user principals": a
  trust policy's ARN is tied to the principal's unique id, so deleting and re-creating the role or
  user breaks the relationship; a session of the deleted role does not become the new role.
- IAM API Reference, DeletePolicy (the policy must be detached first) and UpdateAssumeRolePolicy.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, client, error_of
from tests.api.server import standard_server


def doc(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


def trust(principal: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def second(server, tmp_path_factory):
    """A second server process on the same database (and master key): its caches are its own."""
    other = standard_server(tmp_path_factory.mktemp("second"), server.database_url)
    other.data_dir = server.data_dir
    other.start()
    yield other
    other.stop()


@pytest.fixture
def both(server, second):
    """clients(service, key_id, secret, token=None) → one client per process."""
    def make(service: str, key_id: str, secret: str, token: str | None = None) -> list:
        return [client(server, service, key_id, secret, token), client(second, service, key_id, secret, token)]
    return make


def allowed(call) -> bool:
    try:
        call()
        return True
    except ClientError as error:
        if error.response["Error"]["Code"] != "AccessDenied":
            raise
        return False


def can_list_users(iam_client) -> bool:
    return allowed(lambda: iam_client.list_users(MaxItems=1))


def can_list_groups(iam_client) -> bool:
    return allowed(lambda: iam_client.list_groups(MaxItems=1))


def test_a_managed_policy_deleted_and_recreated_under_its_name_grants_only_its_new_document(iam, new_user, both,
                                                                                            unique):
    """The reproduction of issue #10 item 4: same name, same ARN, version v1 again, new policy id."""
    name, key_id, secret = new_user()
    policy_name = unique("pol")
    first = iam.create_policy(PolicyName=policy_name, PolicyDocument=doc("iam:ListUsers"))["Policy"]
    iam.attach_user_policy(UserName=name, PolicyArn=first["Arn"])
    clients = both("iam", key_id, secret)
    assert [can_list_users(c) for c in clients] == [True, True]  # P's v1 compiled in both processes

    iam.detach_user_policy(UserName=name, PolicyArn=first["Arn"])
    iam.delete_policy(PolicyArn=first["Arn"])
    again = iam.create_policy(PolicyName=policy_name, PolicyDocument=doc("iam:ListGroups"))["Policy"]
    assert (again["Arn"], again["DefaultVersionId"]) == (first["Arn"], "v1")
    assert again["PolicyId"] != first["PolicyId"]
    iam.attach_user_policy(UserName=name, PolicyArn=again["Arn"])

    assert [can_list_users(c) for c in clients] == [False, False]
    assert [can_list_groups(c) for c in clients] == [True, True]


def test_a_detached_policy_stops_granting(iam, new_user, both, unique):
    name, key_id, secret = new_user()
    arn = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=doc("iam:ListUsers"))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    clients = both("iam", key_id, secret)
    assert [can_list_users(c) for c in clients] == [True, True]
    iam.detach_user_policy(UserName=name, PolicyArn=arn)
    assert [can_list_users(c) for c in clients] == [False, False]


def test_a_user_removed_from_a_group_loses_its_policies(iam, new_user, both, unique):
    name, key_id, secret = new_user()
    group = unique("grp")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="list", PolicyDocument=doc("iam:ListUsers"))
    iam.add_user_to_group(GroupName=group, UserName=name)
    clients = both("iam", key_id, secret)
    assert [can_list_users(c) for c in clients] == [True, True]
    iam.remove_user_from_group(GroupName=group, UserName=name)
    assert [can_list_users(c) for c in clients] == [False, False]


def test_a_group_deleted_and_recreated_under_its_name_brings_none_of_its_policies(iam, new_user, both, unique):
    name, key_id, secret = new_user()
    group = unique("grp")
    arn = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=doc("iam:ListUsers"))["Policy"]["Arn"]
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.add_user_to_group(GroupName=group, UserName=name)
    clients = both("iam", key_id, secret)
    assert [can_list_users(c) for c in clients] == [True, True]

    iam.remove_user_from_group(GroupName=group, UserName=name)
    iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    iam.delete_group(GroupName=group)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    assert [can_list_users(c) for c in clients] == [False, False]


def test_a_changed_permissions_boundary_holds_at_once(iam, new_user, both, unique):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=doc("iam:List*"))
    lists_users = iam.create_policy(PolicyName=unique("b"), PolicyDocument=doc("iam:ListUsers"))["Policy"]["Arn"]
    lists_groups = iam.create_policy(PolicyName=unique("b"), PolicyDocument=doc("iam:ListGroups"))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=lists_users)
    clients = both("iam", key_id, secret)
    assert [(can_list_users(c), can_list_groups(c)) for c in clients] == [(True, False)] * 2
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=lists_groups)
    assert [(can_list_users(c), can_list_groups(c)) for c in clients] == [(False, True)] * 2
    iam.delete_user_permissions_boundary(UserName=name)
    assert [(can_list_users(c), can_list_groups(c)) for c in clients] == [(True, True)] * 2


def test_a_boundary_policy_deleted_and_recreated_under_its_name_bounds_with_its_new_document(iam, new_user, both,
                                                                                             unique):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=doc("iam:List*"))
    boundary_name = unique("b")
    arn = iam.create_policy(PolicyName=boundary_name, PolicyDocument=doc("iam:ListUsers"))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=arn)
    clients = both("iam", key_id, secret)
    assert [(can_list_users(c), can_list_groups(c)) for c in clients] == [(True, False)] * 2

    iam.delete_user_permissions_boundary(UserName=name)
    iam.delete_policy(PolicyArn=arn)
    iam.create_policy(PolicyName=boundary_name, PolicyDocument=doc("iam:ListGroups"))
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=arn)
    assert [(can_list_users(c), can_list_groups(c)) for c in clients] == [(False, True)] * 2


def test_a_user_deleted_and_recreated_under_its_name_is_a_new_principal(server, iam, both, unique):
    name = unique("user")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="list", PolicyDocument=doc("iam:ListUsers"))
    old_key = iam.create_access_key(UserName=name)["AccessKey"]
    old = both("iam", old_key["AccessKeyId"], old_key["SecretAccessKey"])
    assert [can_list_users(c) for c in old] == [True, True]

    iam.delete_access_key(UserName=name, AccessKeyId=old_key["AccessKeyId"])
    iam.delete_user_policy(UserName=name, PolicyName="list")
    iam.delete_user(UserName=name)
    iam.create_user(UserName=name)
    for stale in old:  # the old key went with the old user
        with pytest.raises(ClientError) as excinfo:
            stale.list_users(MaxItems=1)
        assert error_of(excinfo) == ("InvalidClientTokenId", "The security token included in the request is invalid.",
                                     403)
    new_key = iam.create_access_key(UserName=name)["AccessKey"]
    new = both("iam", new_key["AccessKeyId"], new_key["SecretAccessKey"])
    assert [can_list_users(c) for c in new] == [False, False]


def test_a_deleted_access_key_is_refused_at_once(iam, new_user, both):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="list", PolicyDocument=doc("iam:ListUsers"))
    clients = both("iam", key_id, secret)
    assert [can_list_users(c) for c in clients] == [True, True]
    iam.delete_access_key(UserName=name, AccessKeyId=key_id)
    for stale in clients:
        with pytest.raises(ClientError) as excinfo:
            stale.list_users(MaxItems=1)
        assert error_of(excinfo)[0] == "InvalidClientTokenId"


# ---- roles and their sessions -------------------------------------------------------------------------


@pytest.fixture
def role_with_session(server, iam, new_user, unique):
    """A role trusting a new user, allowed iam:ListUsers inline, and one session of it."""
    def make(role_name: str | None = None):
        user, key_id, secret = new_user()
        role_name = role_name or unique("role")
        role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust(
            f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"))["Role"]
        iam.put_role_policy(RoleName=role_name, PolicyName="list", PolicyDocument=doc("iam:ListUsers"))
        user_sts = client(server, "sts", key_id, secret)
        credentials = user_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]
        return role, user_sts, credentials
    return make


def session_clients(both, service, credentials) -> list:
    return both(service, credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])


def test_a_roles_changed_inline_policies_hold_for_its_sessions(iam, both, role_with_session):
    role, _, credentials = role_with_session()
    clients = session_clients(both, "iam", credentials)
    assert [(can_list_users(c), can_list_groups(c)) for c in clients] == [(True, False)] * 2
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="list", PolicyDocument=doc("iam:ListGroups"))
    assert [(can_list_users(c), can_list_groups(c)) for c in clients] == [(False, True)] * 2
    iam.delete_role_policy(RoleName=role["RoleName"], PolicyName="list")
    assert [(can_list_users(c), can_list_groups(c)) for c in clients] == [(False, False)] * 2


def test_a_roles_changed_boundary_holds_for_its_sessions(iam, both, role_with_session, unique):
    role, _, credentials = role_with_session()
    boundary = iam.create_policy(PolicyName=unique("b"), PolicyDocument=doc("iam:ListGroups"))["Policy"]["Arn"]
    clients = session_clients(both, "iam", credentials)
    assert [can_list_users(c) for c in clients] == [True, True]
    iam.put_role_permissions_boundary(RoleName=role["RoleName"], PermissionsBoundary=boundary)
    assert [can_list_users(c) for c in clients] == [False, False]


def test_a_changed_trust_policy_holds_at_once(iam, both, role_with_session):
    role, user_sts, _ = role_with_session()
    key = user_sts._request_signer._credentials
    callers = both("sts", key.access_key, key.secret_key)
    for caller in callers:
        caller.assume_role(RoleArn=role["Arn"], RoleSessionName="again")
    iam.update_assume_role_policy(RoleName=role["RoleName"], PolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:root"))
    # Now the trust policy names only the account: the caller's own policies must allow, and they do not.
    for caller in callers:
        with pytest.raises(ClientError) as excinfo:
            caller.assume_role(RoleArn=role["Arn"], RoleSessionName="again")
        assert error_of(excinfo)[0] == "AccessDenied"


def test_a_session_of_a_deleted_role_stays_dead_when_the_role_is_recreated(iam, both, role_with_session, unique):
    role_name = unique("role")
    role, user_sts, old_credentials = role_with_session(role_name)
    old = session_clients(both, "iam", old_credentials)
    assert [can_list_users(c) for c in old] == [True, True]

    iam.delete_role_policy(RoleName=role_name, PolicyName="list")
    iam.delete_role(RoleName=role_name)
    assert [can_list_users(c) for c in old] == [False, False]
    again = iam.create_role(RoleName=role_name,
                            AssumeRolePolicyDocument=json.dumps(role["AssumeRolePolicyDocument"]))["Role"]
    assert again["Arn"] == role["Arn"] and again["RoleId"] != role["RoleId"]
    iam.put_role_policy(RoleName=role_name, PolicyName="list", PolicyDocument=doc("iam:ListUsers"))

    assert [can_list_users(c) for c in old] == [False, False]  # the old role's id is gone for good
    fresh = user_sts.assume_role(RoleArn=again["Arn"], RoleSessionName="s2")["Credentials"]
    assert [can_list_users(c) for c in session_clients(both, "iam", fresh)] == [True, True]


def test_a_session_of_a_deleted_role_cannot_chain_into_a_role_trusting_the_recreated_one(
        server, iam, both, role_with_session, unique):
    """The target's trust policy names the role by ARN; only the role of that name now existing may
    use it, not a session of its deleted namesake."""
    role_name = unique("role")
    role, _, old_credentials = role_with_session(role_name)
    target_name = unique("target")
    target = iam.create_role(RoleName=target_name, AssumeRolePolicyDocument=trust(role["Arn"]))["Role"]
    old_sts = session_clients(both, "sts", old_credentials)
    for session in old_sts:
        session.assume_role(RoleArn=target["Arn"], RoleSessionName="chained")

    iam.delete_role_policy(RoleName=role_name, PolicyName="list")
    iam.delete_role(RoleName=role_name)
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:root"))
    for session in old_sts:
        with pytest.raises(ClientError) as excinfo:
            session.assume_role(RoleArn=target["Arn"], RoleSessionName="chained")
        assert error_of(excinfo)[0] == "AccessDenied"


def test_a_session_of_a_deleted_user_cannot_assume_a_role_trusting_the_recreated_user(server, iam, both, unique):
    """GetSessionToken credentials outlive their user; a trust policy naming the user's ARN is for the user
    now holding that name, not for a session of the deleted one."""
    name = unique("user")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    role = iam.create_role(RoleName=unique("role"), AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"))["Role"]
    session = client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_session_token()["Credentials"]
    callers = session_clients(both, "sts", session)
    for caller in callers:
        caller.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")

    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=name)
    iam.create_user(UserName=name)
    for caller in callers:
        with pytest.raises(ClientError) as excinfo:
            caller.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
        assert error_of(excinfo)[0] == "AccessDenied"
