"""Migration 0017 (events looked up by hashes of their values, audit/keys.py) on a database that already
holds events: each stored row gets its hashes, the old indexes give way to the new, and the lookups that
read them (LookupEvents, policy generation, the Access Advisor) find exactly the rows they found before."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from alembic import command

from iamd.audit.advisor import access_advisor
from iamd.audit.generate import principal_records
from iamd.audit.keys import HASHED_COLUMNS, value_key
from iamd.audit.lookup import lookup_events
from iamd.store import migrate
from iamd.store.database import Store
from iamd.store.schema import events
from tests.api.conftest import PG_URL
from tests.api.server import PostgresDatabase

ACCOUNT, OTHER = "123456789012", "210987654321"
NOW_MS = int(datetime.now(UTC).timestamp() * 1000)
_OLD_EVENTS = sa.table("events", *(sa.column(name) for name in (
    "event_id", "account_id", "event_ms", "event_source", "event_name", "username", "access_key_id", "read_only",
    "principal_key", "error_code", "resource_type", "resource_name", "record")))


def old_row(number: int, account_id: str, username: str | None, key: str | None, resource: str | None) -> dict:
    principal = f"arn:aws:iam::{account_id}:user/{username}" if username else None
    record = {"eventName": "GetUser", "eventID": f"e{number}",
              "iamdAuthorization": {"decision": "allowed", "resource": f"arn:aws:iam::{account_id}:user/x"}}
    return dict(event_id=f"e{number}", account_id=account_id, event_ms=NOW_MS - 1000 * number,
                event_source="iam.amazonaws.com", event_name="GetUser" if number % 2 else "ListUsers",
                username=username, access_key_id=key, read_only=True, principal_key=principal, error_code=None,
                resource_type="AWS::IAM::User" if resource else None, resource_name=resource,
                record=json.dumps(record))


ROWS = [old_row(1, ACCOUNT, "alice", "AKIAALICE", "bob"), old_row(2, ACCOUNT, "bob", "AKIABOB", None),
        old_row(3, OTHER, "alice", "AKIAOTHER", "bob"), old_row(4, ACCOUNT, None, None, None),
        old_row(5, ACCOUNT, "alice", "AKIAALICE", "carol")]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    database = None
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("IAMD_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
        database = PostgresDatabase(PG_URL)
    opened = Store.open(database.url if database else f"sqlite:///{tmp_path / 'iamd.db'}")
    yield opened
    opened.dispose()
    if database:
        database.drop()


def test_stored_events_are_found_by_their_hashes_after_the_upgrade(store):
    with store.engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), "0016")
        connection.execute(sa.insert(_OLD_EVENTS), ROWS)
    migrate.upgrade(store)

    indexes = {index["name"] for index in sa.inspect(store.engine).get_indexes("events")}
    assert {f"ix_events_{column}" for column in HASHED_COLUMNS} <= indexes
    assert not indexes & {"ix_events_account_username", "ix_events_account_name", "ix_events_account_resource",
                          "ix_events_account_principal", "ix_events_access_key"}
    with store.transaction(write=False) as tx:
        stored = tx.execute(sa.select(events).order_by(events.c.event_id)).all()
        assert len(stored) == len(ROWS)
        for row in stored:
            account = row.account_id
            assert (row.username_hash, row.event_name_hash, row.resource_name_hash, row.principal_hash,
                    row.access_key_hash) == tuple(value_key(account, value) for value in (
                        row.username, row.event_name, row.resource_name, row.principal_key, row.access_key_id))
        assert stored[3].username_hash is None and stored[3].access_key_hash is None  # NULL stays NULL

        call = SimpleNamespace(account_id=ACCOUNT)

        def ids(key: str, value: str) -> list[str]:
            found = lookup_events(tx, call, {"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]})
            return [event["EventId"] for event in found["Events"]]

        assert ids("Username", "alice") == ["e1", "e5"]  # newest first; not the other account's alice
        assert ids("AccessKeyId", "AKIABOB") == ["e2"]
        assert ids("ResourceName", "bob") == ["e1"]
        assert ids("EventName", "ListUsers") == ["e2", "e4"]
        assert ids("Username", "nobody") == []
        week_ago = datetime.now(UTC) - timedelta(days=7)
        alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
        assert [record["eventID"] for record in principal_records(tx, ACCOUNT, alice, week_ago,
                                                                  datetime.now(UTC))] == ["e5", "e1"]
        advised = access_advisor(tx, call, {"PrincipalArn": alice})
        assert [(action["Action"], action["Calls"]) for action in advised["Services"][0]["Actions"]] == [
            ("iam:GetUser", 2)]


def test_a_hash_collision_finds_only_the_rows_of_the_value_looked_up(store, monkeypatch):
    """Every value hashes alike here: the rows' own values still sort the answer."""
    migrate.upgrade(store)
    colliding = ROWS[:2]
    with store.transaction(write=True) as tx:
        tx.execute(sa.insert(events), [{**row, **dict.fromkeys(HASHED_COLUMNS, 7)} for row in colliding])
    monkeypatch.setattr("iamd.audit.lookup.value_key", lambda account_id, value: 7)
    with store.transaction(write=False) as tx:
        found = lookup_events(tx, SimpleNamespace(account_id=ACCOUNT),
                              {"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "bob"}]})
    assert [event["EventId"] for event in found["Events"]] == ["e2"]
