"""The one loader of policy sets (service/policy_sets.py), in process on a temporary SQLite store.

Enforcement loads through it on a cache miss, so its query count is pinned here: a user with groups,
inline and managed policies and a boundary costs six statements, a role five (before the loader was
one, enforcement spent up to seven and six)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from iamd.cli.bootstrap import open_state
from iamd.config import Settings
from iamd.security import ids
from iamd.security.principal_kind import PrincipalKind
from iamd.security.session_tokens import SessionClaims
from iamd.service import policy_sets
from iamd.service.context import Call, Principal
from iamd.service.dispatch import execute
from iamd.service.operations import OPERATIONS
from iamd.service.runtime import new_environment

ACCOUNT = "123456789012"
ROOT = Principal(kind=PrincipalKind.ROOT, account_id=ACCOUNT, arn=ids.root_arn(ACCOUNT), id=ACCOUNT, name=ACCOUNT,
                 access_key_id="")


def _document(action: str, effect: str = "Allow") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": action, "Resource": "*"}]})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data = tmp_path_factory.mktemp("policy-sets")
    state = open_state(Settings(data_dir=str(data), account_id=ACCOUNT, audit=False))
    env = new_environment(state.box, Settings(data_dir=str(data), audit=False))

    def run(name: str, params: dict) -> dict:
        service = "sts" if ("sts", name) in OPERATIONS else "iam"
        with state.store.transaction() as tx:
            call = Call(principal=ROOT, now=datetime.now(UTC).replace(microsecond=0), request_id="r", env=env,
                        tx=tx)
            return execute(tx, call, OPERATIONS[(service, name)], params) or {}

    reader = run("CreatePolicy", {"PolicyName": "reader", "PolicyDocument": _document("s3:Get*")})["Policy"]["Arn"]
    bound = run("CreatePolicy", {"PolicyName": "bound", "PolicyDocument": _document("*")})["Policy"]["Arn"]
    user = run("CreateUser", {"UserName": "alice", "PermissionsBoundary": bound,
                              "Tags": [{"Key": "team", "Value": "blue"}]})["User"]
    run("PutUserPolicy", {"UserName": "alice", "PolicyName": "own", "PolicyDocument": _document("iam:Get*")})
    run("AttachUserPolicy", {"UserName": "alice", "PolicyArn": reader})
    for group in ("zeta", "alpha"):
        run("CreateGroup", {"GroupName": group})
        run("AddUserToGroup", {"GroupName": group, "UserName": "alice"})
        run("PutGroupPolicy", {"GroupName": group, "PolicyName": f"{group}-inline",
                               "PolicyDocument": _document("ec2:*")})
        run("AttachGroupPolicy", {"GroupName": group, "PolicyArn": reader})  # alice's already: counted once
        run("AttachGroupPolicy", {"GroupName": group, "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    role = run("CreateRole", {"RoleName": "worker", "PermissionsBoundary": bound, "AssumeRolePolicyDocument":
                              json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action":
                                          "sts:AssumeRole", "Principal": {"AWS": ACCOUNT}}]}),
                              "Tags": [{"Key": "team", "Value": "red"}, {"Key": "tier", "Value": "1"}]})["Role"]
    run("PutRolePolicy", {"RoleName": "worker", "PolicyName": "work", "PolicyDocument": _document("sqs:*")})
    run("AttachRolePolicy", {"RoleName": "worker", "PolicyArn": reader})
    yield state.store, env, user, role, reader, bound
    state.store.dispose()


def _counted(store, load):
    """What ``load(tx)`` returns, and how many statements it ran (hot queries, straight to sqlite3, too)."""
    statements: list[str] = []
    with store.transaction(write=False) as tx:
        driver = tx.connection.driver_connection
        driver.set_trace_callback(statements.append)
        try:
            return load(tx), len(statements)
        finally:
            driver.set_trace_callback(None)


def test_a_user_is_its_policies_its_groups_policies_and_its_boundary_in_six_statements(world):
    store, env, user, _, reader, bound = world
    loaded, count = _counted(store, lambda tx: policy_sets.load(tx, ACCOUNT, "user", user["UserId"],
                                                                policy_sets.CompiledManagedPolicies()))
    assert count == 6
    assert [(h.kind, h.name) for h in loaded.holders] == [("user", "alice"), ("group", "alpha"), ("group", "zeta")]
    assert [(s.holder.name, s.name) for s in loaded.identity if s.arn is None] == [
        ("alice", "own"), ("alpha", "alpha-inline"), ("zeta", "zeta-inline")]
    managed = [(s.holder.name, s.arn) for s in loaded.identity if s.arn is not None]
    assert managed == [("alice", reader), ("alpha", "arn:aws:iam::aws:policy/ReadOnlyAccess")]
    assert [s.arn for s in loaded.boundary] == [bound]
    assert loaded.tags == (("team", "blue"),) and loaded.exists
    assert '"s3:Get*"' in loaded.identity[3].text and "Statement" in loaded.identity[4].text


def test_enforcement_loads_a_user_through_the_same_loader_in_as_many_statements(world):
    store, env, user, *_ = world
    loaded, count = _counted(store, lambda tx: policy_sets.for_principal(
        tx, ACCOUNT, PrincipalKind.USER, user["UserId"], None, env.authorizer.compiled))
    assert count == 6
    assert len(loaded.policy_set.identity) == 5 and len(loaded.policy_set.boundary) == 1
    assert loaded.policy_set.session is None


def test_a_role_session_is_its_role_narrowed_by_its_session_policies_its_tags_overridden(world):
    store, env, _, role, reader, _ = world
    session = SessionClaims(account_id=ACCOUNT, kind=PrincipalKind.ASSUMED_ROLE, id=f"{role['RoleId']}:s", name="s",
                            arn="arn", role_id=role["RoleId"], role_name="worker", tags={"TEAM": "green"},
                            session_policies=(_document("sqs:Send*"),), session_policy_arns=(reader,))
    loaded, count = _counted(store, lambda tx: policy_sets.for_principal(
        tx, ACCOUNT, PrincipalKind.ASSUMED_ROLE, None, session, env.authorizer.compiled))
    assert count == 5 + 1  # the role's five, and the session's managed policy
    assert len(loaded.policy_set.identity) == 2 and len(loaded.policy_set.session) == 2
    assert loaded.tags == (("tier", "1"),)  # the session's TEAM overrides the role's team


def test_a_role_without_its_session_costs_five_statements(world):
    store, env, _, role, *_ = world
    loaded, count = _counted(store, lambda tx: policy_sets.load(tx, ACCOUNT, "role", role["RoleId"],
                                                                env.authorizer.compiled))
    assert count == 5 and len(loaded.identity) == 2 and len(loaded.boundary) == 1


def test_a_federated_user_of_the_root_user_has_its_session_policies_alone(world):
    store, env, *_ = world
    session = SessionClaims(account_id=ACCOUNT, kind=PrincipalKind.FEDERATED_USER, id=f"{ACCOUNT}:f", name="f",
                            arn="arn", session_policies=(_document("s3:*"),))
    loaded, count = _counted(store, lambda tx: policy_sets.for_principal(
        tx, ACCOUNT, PrincipalKind.FEDERATED_USER, None, session, env.authorizer.compiled))
    assert count == 0 and len(loaded.policy_set.identity) == 1 and loaded.policy_set.boundary is None


def test_a_gone_entity_is_no_one(world):
    store, env, *_ = world
    loaded, _ = _counted(store, lambda tx: policy_sets.load(tx, ACCOUNT, "role", "AROAGONEGONEGONEGONE0",
                                                            env.authorizer.compiled))
    assert not loaded.exists and loaded.identity == () and loaded.boundary is None
