"""Migration 0017 (three events indexes fewer: time alone, event name, access key) on a database that
already holds events, both ways: every lookup that read a dropped index (LookupEvents by EventName and
AccessKeyId, the export and the prune) finds exactly the rows it found before, on either schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from alembic import command

from iamd.audit.lookup import lookup_events
from iamd.audit.retention import prune
from iamd.cli.events import _records
from iamd.store import migrate
from iamd.store.database import Store
from tests.api.conftest import PG_URL
from tests.api.server import PostgresDatabase

ACCOUNT, OTHER = "123456789012", "210987654321"
NOW_MS = int(datetime.now(UTC).timestamp() * 1000)
DAY_MS = 86_400_000
DROPPED = {"ix_events_time", "ix_events_account_name", "ix_events_access_key"}
_EVENTS = sa.table("events", *(sa.column(name) for name in (
    "event_id", "account_id", "event_ms", "event_source", "event_name", "username", "access_key_id", "read_only",
    "principal_key", "error_code", "resource_type", "resource_name", "record")))


def row(number: int, account_id: str, key: str | None, age_ms: int) -> dict:
    return dict(event_id=f"e{number}", account_id=account_id, event_ms=NOW_MS - age_ms,
                event_source="iam.amazonaws.com", event_name="GetUser" if number % 2 else "ListUsers",
                username="alice", access_key_id=key, read_only=True,
                principal_key=f"arn:aws:iam::{account_id}:user/alice", error_code=None, resource_type=None,
                resource_name=None, record=json.dumps({"eventID": f"e{number}"}))


# Two accounts interleaved in time; e3 and e4 at the same millisecond; e6 and e7 older than a week.
ROWS = [row(1, ACCOUNT, "AKIAALICE", 5000), row(2, OTHER, "AKIAOTHER", 4000), row(3, ACCOUNT, None, 3000),
        row(4, OTHER, "AKIAOTHER", 3000), row(5, ACCOUNT, "AKIAALICE", 1000),
        row(6, ACCOUNT, "AKIAALICE", 8 * DAY_MS), row(7, OTHER, None, 9 * DAY_MS)]


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


def answers(store) -> dict:
    """What every reader of the dropped indexes answers."""
    call = SimpleNamespace(account_id=ACCOUNT)
    with store.transaction(write=False) as tx:
        def ids(key: str, value: str) -> list[str]:
            found = lookup_events(tx, call, {"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}],
                                             "StartTime": (NOW_MS - 30 * DAY_MS) / 1000})
            return [event["EventId"] for event in found["Events"]]

        looked_up = {"ListUsers": ids("EventName", "ListUsers"), "GetUser": ids("EventName", "GetUser"),
                     "AKIAALICE": ids("AccessKeyId", "AKIAALICE"), "AKIAOTHER": ids("AccessKeyId", "AKIAOTHER")}
    everything = SimpleNamespace(export_account_id=None, since=None, until=None)
    one = SimpleNamespace(export_account_id=OTHER, since=None, until=None)
    exported = {"all": [json.loads(text)["eventID"] for text in _records(store, everything)],
                "other": [json.loads(text)["eventID"] for text in _records(store, one)]}
    return {"lookups": looked_up, "export": exported}


EXPECTED = {"lookups": {"ListUsers": ["e6"], "GetUser": ["e5", "e3", "e1"], "AKIAALICE": ["e5", "e1", "e6"],
                        "AKIAOTHER": []},
            # oldest first across the accounts; e3 before e4: same time, inserted first
            "export": {"all": ["e7", "e6", "e1", "e2", "e3", "e4", "e5"], "other": ["e7", "e2", "e4"]}}


def indexes(store) -> set[str]:
    return {index["name"] for index in sa.inspect(store.engine).get_indexes("events")}


def test_stored_events_answer_alike_after_the_upgrade_and_the_downgrade(store):
    with store.engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), "0016")
        connection.execute(sa.insert(_EVENTS), ROWS)
    assert DROPPED <= indexes(store)
    assert answers(store) == EXPECTED

    migrate.upgrade(store)
    assert not DROPPED & indexes(store)
    assert {"ix_events_account_time", "ix_events_account_username", "ix_events_account_resource",
            "ix_events_account_principal"} <= indexes(store)
    assert answers(store) == EXPECTED

    with store.engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "0016")
    assert DROPPED <= indexes(store)
    assert answers(store) == EXPECTED


def test_the_prune_walks_every_account(store):
    migrate.upgrade(store)
    with store.transaction(write=True) as tx:
        tx.execute(sa.insert(_EVENTS), ROWS + [row(10 + n, OTHER, None, 10 * DAY_MS + n) for n in range(5)])
    assert prune(store, 7, datetime.now(UTC), batch=2) == 7  # batches of 2: each account's loop runs on
    with store.transaction(write=False) as tx:
        left = sorted(tx.scalars(sa.select(_EVENTS.c.event_id)))
    assert left == ["e1", "e2", "e3", "e4", "e5"]
