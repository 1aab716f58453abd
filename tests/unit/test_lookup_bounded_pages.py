"""LookupEvents by an attribute without an index of its own (EventName, AccessKeyId, EventSource,
ReadOnly): a page reads at most SCAN of the account's events, so it may hold fewer events than
MaxResults, or none, and still carry a NextToken. AWS's LookupEvents API reference (CloudTrail API
Reference, LookupEvents, Response Elements, NextToken): "The token to use to get the next page of
results after a previous API call. If the token does not appear, there are no more results to return."
Walking the tokens finds every matching event once, newest first, as one unbounded page would."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from iamd.audit import lookup
from iamd.store import migrate
from iamd.store.database import Store
from iamd.store.schema import events
from tests.api.conftest import PG_URL
from tests.api.server import PostgresDatabase

ACCOUNT, OTHER = "123456789012", "210987654321"
NOW_MS = int(datetime.now(UTC).timestamp() * 1000)


def row(number: int, account_id: str = ACCOUNT) -> dict:
    return dict(event_id=f"e{number:02d}", account_id=account_id, event_ms=NOW_MS - 1000 * (number // 2),
                event_source="sts.amazonaws.com" if number % 5 == 0 else "iam.amazonaws.com",
                event_name="CreateUser" if number % 7 == 0 else "GetUser", username="alice",
                access_key_id="AKIAONE" if number % 3 == 0 else "AKIATWO", read_only=number % 7 != 0,
                principal_key=None, error_code=None, resource_type=None, resource_name=None,
                record=json.dumps({"eventID": f"e{number:02d}"}))


# Two events a millisecond (the page position's seq settles their order); another account's between.
ROWS = [row(number) for number in range(1, 41)] + [row(number, OTHER) for number in range(41, 61)]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path_factory):
    database = None
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("IAMD_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
        database = PostgresDatabase(PG_URL)
    opened = Store.open(database.url if database else f"sqlite:///{tmp_path_factory.mktemp('bounded') / 'iamd.db'}")
    migrate.upgrade(opened)
    with opened.transaction(write=True) as tx:
        tx.execute(sa.insert(events), sorted(ROWS, key=lambda r: r["event_ms"]))  # seq follows time
    yield opened
    opened.dispose()
    if database:
        database.drop()


def walk(store, key: str, value: str, page: int) -> list[list[str]]:
    """Every page's event ids, following the tokens to the end."""
    pages, token = [], None
    call = SimpleNamespace(account_id=ACCOUNT)
    while True:
        params = {"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}], "MaxResults": page}
        with store.transaction(write=False) as tx:
            found = lookup.lookup_events(tx, call, {**params, **({"NextToken": token} if token else {})})
        pages.append([event["EventId"] for event in found["Events"]])
        token = found.get("NextToken")
        if token is None:
            return pages


def expected(key: str, value: str) -> list[str]:
    column = {"EventName": "event_name", "AccessKeyId": "access_key_id", "EventSource": "event_source",
              "ReadOnly": "read_only"}[key]
    wanted = (value == "true") if key == "ReadOnly" else value
    mine = [r for r in sorted(ROWS, key=lambda r: r["event_ms"]) if r["account_id"] == ACCOUNT and r[column] == wanted]
    return [r["event_id"] for r in reversed(mine)]


CASES = [("EventName", "CreateUser"), ("EventName", "GetUser"), ("AccessKeyId", "AKIAONE"),
         ("EventSource", "sts.amazonaws.com"), ("ReadOnly", "false"), ("ReadOnly", "true"), ("EventName", "Nothing")]


@pytest.mark.parametrize(("key", "value"), CASES)
def test_bounded_pages_find_every_event_once_newest_first(store, monkeypatch, key, value):
    monkeypatch.setattr(lookup, "SCAN", 6)
    for page in (1, 4, 50):
        pages = walk(store, key, value, page)
        assert [event_id for events_ in pages for event_id in events_] == expected(key, value)
        assert all(len(events_) <= min(page, 6) for events_ in pages)
    if value in ("CreateUser", "Nothing"):  # few or no matches: short and empty pages that carry a token
        assert len(pages) == 7 and [] in pages[:-1]


def test_a_page_within_the_bound_reads_as_before(store):
    """40 events in the window, fewer than SCAN: one page, no token, as an unbounded page."""
    assert walk(store, "EventName", "CreateUser", 50) == [expected("EventName", "CreateUser")]
