"""Targets found once (service/targets.py): the resource function finds the entity, authorization reads
its tags by its id and the handler reuses its row. In process, on a temporary SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from iamd.cli.bootstrap import open_state
from iamd.config import Settings
from iamd.errors import AccessDenied, NoSuchEntity
from iamd.security import ids
from iamd.security.principal_kind import PrincipalKind
from iamd.service import targets
from iamd.service.context import Call, Principal
from iamd.service.dispatch import execute
from iamd.service.operations import OPERATIONS
from iamd.service.runtime import new_environment

ACCOUNT = "123456789012"
ROOT = Principal(kind=PrincipalKind.ROOT, account_id=ACCOUNT, arn=ids.root_arn(ACCOUNT), id=ACCOUNT, name=ACCOUNT,
                 access_key_id="")
READ_BLUE = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["iam:GetUser", "iam:GetRole", "iam:GetPolicy"], "Resource": "*",
    "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}}]})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data = tmp_path_factory.mktemp("targets")
    state = open_state(Settings(data_dir=str(data), account_id=ACCOUNT, audit=False))
    env = new_environment(state.box, Settings(data_dir=str(data), audit=False))
    def run(principal: Principal, name: str, params: dict) -> tuple[dict, int]:
        with state.store.transaction() as tx:
            epoch = tx.exec_driver_sql(f"SELECT auth_epoch FROM accounts WHERE id = '{ACCOUNT}'").scalar()
            call = Call(principal=principal, now=datetime.now(UTC).replace(microsecond=0), request_id="r", env=env,
                        tx=tx, auth_epoch=epoch)
            # Every statement on the connection, hot queries (straight to sqlite3) included.
            statements: list[str] = []
            driver = tx.connection.driver_connection
            driver.set_trace_callback(statements.append)
            try:
                result = execute(tx, call, OPERATIONS[("iam", name)], params) or {}
            finally:
                driver.set_trace_callback(None)
            return result, len(statements)

    reader = run(ROOT, "CreateUser", {"UserName": "reader"})[0]["User"]
    run(ROOT, "PutUserPolicy", {"UserName": "reader", "PolicyName": "blue", "PolicyDocument": READ_BLUE})
    run(ROOT, "CreateUser", {"UserName": "Carol", "Path": "/team/", "Tags": [{"Key": "team", "Value": "blue"}]})
    run(ROOT, "CreateUser", {"UserName": "dave"})
    run(ROOT, "CreatePolicy", {"PolicyName": "blue-policy", "PolicyDocument": READ_BLUE,
                               "Tags": [{"Key": "team", "Value": "blue"}]})
    run(ROOT, "CreateRole", {"RoleName": "blue-role", "Tags": [{"Key": "team", "Value": "blue"}],
                             "AssumeRolePolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [{
                                 "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": ACCOUNT}}]})})
    principal = Principal(kind=PrincipalKind.USER, account_id=ACCOUNT, arn=reader["Arn"], id=reader["UserId"],
                          name="reader", access_key_id="AKIAEXAMPLEEXAMPLE01", user_id=reader["UserId"])
    yield run, principal
    state.store.dispose()


def test_the_handler_reuses_the_user_authorization_found_and_its_tags_are_read_by_id(world):
    run, reader = world
    run(reader, "GetUser", {"UserName": "carol"})  # the reader's policies loaded and cached
    result, count = run(reader, "GetUser", {"UserName": "carol"})
    assert result["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/team/Carol"
    assert result["User"]["Tags"] == [{"Key": "team", "Value": "blue"}]
    # The user with its tags (resource function, one statement, which the handler answers from), its
    # tags for the condition (by id): two look-ups fewer than when the handler found the user again.
    assert count == 2


def test_a_refusal_names_the_arn_as_asked_and_keeps_action_resource_and_decision(world):
    run, reader = world
    with pytest.raises(AccessDenied) as refused:
        run(reader, "GetUser", {"UserName": "Dave"})
    error = refused.value
    assert (error.action, error.resource) == ("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/Dave")
    assert error.decision.decision == "implicitDeny"
    assert error.message == (f"User: arn:aws:iam::{ACCOUNT}:user/reader is not authorized to perform: iam:GetUser "
                             f"on resource: arn:aws:iam::{ACCOUNT}:user/Dave because no identity-based policy "
                             "allows the iam:GetUser action")


def test_a_missing_target_is_refused_or_not_found_as_before(world):
    run, reader = world
    with pytest.raises(AccessDenied):  # no tags: the condition fails, as AWS refuses before looking
        run(reader, "GetUser", {"UserName": "nobody"})
    with pytest.raises(NoSuchEntity):
        run(ROOT, "GetUser", {"UserName": "nobody"})


def test_roles_and_policies_are_found_once_too(world):
    run, reader = world
    arn = f"arn:aws:iam::{ACCOUNT}:policy/blue-policy"
    assert run(reader, "GetPolicy", {"PolicyArn": arn})[0]["Policy"]["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert run(reader, "GetRole", {"RoleName": "BLUE-role"})[0]["Role"]["RoleName"] == "blue-role"
    with pytest.raises(NoSuchEntity):  # the root user's calls skip authorization: the handler looks
        run(ROOT, "GetPolicy", {"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/none"})
    with pytest.raises(NoSuchEntity):
        run(ROOT, "GetRole", {"RoleName": "none"})


def test_a_row_is_handed_out_once():
    call = Call(principal=ROOT, now=datetime.now(UTC), request_id="r", env=None)  # type: ignore[arg-type]
    target = targets.found(call, "user", "carol", {"id": "AIDA"}, "arn")
    assert target.row == {"id": "AIDA"} and target.kind == "user"
    assert targets.reuse(call, "user", "carol") == {"id": "AIDA"}
    assert targets.reuse(call, "user", "carol") is None
    assert targets.found(call, "user", "nobody", None, "arn").row is None and call.found == {}


def test_a_user_acting_on_itself_is_found_once(world):
    """GetUser without UserName: the caller is the resource (its tags for aws:ResourceTag), found by the
    resource function and reused by the handler, as when it names itself."""
    run, reader = world
    with pytest.raises(AccessDenied):  # untagged: its policy allows only what is tagged team=blue
        run(reader, "GetUser", {})
    run(ROOT, "TagUser", {"UserName": "reader", "Tags": [{"Key": "team", "Value": "blue"}]})
    run(reader, "GetUser", {"UserName": "reader"})  # the reader's policies loaded again and cached
    named, named_count = run(reader, "GetUser", {"UserName": "reader"})
    itself, count = run(reader, "GetUser", {})
    assert itself == named and itself["User"]["UserName"] == "reader"
    assert count == named_count
