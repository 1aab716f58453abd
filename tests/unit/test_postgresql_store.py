"""The store's PostgreSQL side: connections kept between transactions, reads in one pipeline
(store.pipeline). Skipped unless IAMD_TEST_DATABASE_URL names a PostgreSQL server."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from sqlalchemy import DateTime, Integer, bindparam, column, select, table, text

from iamd.store import database, pipeline
from iamd.store.database import Store
from iamd.store.fastpath import HotQuery
from tests.api.conftest import PG_URL
from tests.api.server import PostgresDatabase

pytestmark = pytest.mark.skipif(not PG_URL, reason="IAMD_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")


@pytest.fixture(scope="module")
def url():
    created = PostgresDatabase(PG_URL)
    yield created.url
    created.drop()


@pytest.fixture
def store(url):
    opened = Store.open(url)
    yield opened
    opened.dispose()


@pytest.fixture
def driver(url):
    with psycopg.connect(url, autocommit=True) as connection:
        yield connection


def _driver(tx):
    return tx.connection.dbapi_connection


SQL = ("SELECT %(name)s::text AS name, %(n)s::int + %(n)s::int AS twice, now() AS at, NULL::text AS nothing,"
       " '100%%' AS p")


def test_read_gives_the_rows_psycopg_gives(driver):
    params = {"name": "bob", "n": 21}
    expected = driver.execute(SQL, params).fetchall()
    rows = pipeline.read(driver, [(SQL, params), ("SELECT 1 WHERE false", {}), (SQL, {"name": None, "n": 1})])
    assert [len(r) for r in rows] == [1, 0, 1]
    assert rows[0][0][:2] == expected[0][:2] == ("bob", 42)
    assert rows[0][0][3:] == expected[0][3:] == (None, "100%")
    assert type(rows[0][0][2]) is type(expected[0][2])  # a timestamp with its time zone, as psycopg's
    assert rows[2][0][:2] == (None, 2)
    assert driver.pgconn.pipeline_status == 0 and driver.info.transaction_status == 0


def test_statements_are_prepared_once_per_connection(driver):
    pipeline.read(driver, [(SQL, {"name": "a", "n": 1})])
    name = pipeline._statements[SQL][0].decode()
    assert driver.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [name]).fetchone() == (1,)
    assert pipeline.read(driver, [(SQL, {"name": "b", "n": 2})])[0][0][:2] == ("b", 4)


def test_a_statement_deallocated_by_someone_else_is_prepared_again(driver):
    pipeline.read(driver, [(SQL, {"name": "a", "n": 1})])
    driver.execute("DEALLOCATE ALL")
    assert pipeline.read(driver, [(SQL, {"name": "c", "n": 3})])[0][0][:2] == ("c", 6)
    prepared = pipeline._connections[driver][0]
    prepared.clear()  # forgotten, though prepared: the read learns it is, and runs again
    assert pipeline.read(driver, [(SQL, {"name": "d", "n": 4})])[0][0][:2] == ("d", 8)
    assert pipeline._statements[SQL][0] in prepared
    assert driver.pgconn.pipeline_status == 0 and driver.info.transaction_status == 0


def test_a_failing_statement_raises_its_error_and_leaves_the_connection_usable(driver):
    with pytest.raises(psycopg.errors.DivisionByZero):
        pipeline.read(driver, [(SQL, {"name": "a", "n": 1}), ("SELECT 1 / %(zero)s::int", {"zero": 0})])
    assert driver.pgconn.pipeline_status == 0 and driver.info.transaction_status == 0
    assert pipeline.read(driver, [("SELECT 1 / %(one)s::int", {"one": 1})]) == [[(1,)]]


def test_a_read_connection_is_kept_in_autocommit_and_used_again(store):
    with store.transaction(write=False) as tx:
        first = _driver(tx)
        assert first.autocommit
        assert tx.execute(text("SELECT 1")).scalar() == 1
    with store.transaction(write=False) as tx:
        assert _driver(tx) is first


def test_a_write_commits_or_rolls_back_and_its_connection_is_kept_apart_from_reads(store):
    with store.transaction() as tx:
        tx.execute(text("CREATE TABLE IF NOT EXISTS kept (n int)"))
        tx.execute(text("DELETE FROM kept"))
        writer = _driver(tx)
        assert not writer.autocommit
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.execute(text("INSERT INTO kept VALUES (1)"))
        raise RuntimeError("the request failed")
    with store.transaction() as tx:
        assert _driver(tx) is writer  # rolled back, outside any transaction: kept
        tx.execute(text("INSERT INTO kept VALUES (2)"))
    with store.transaction(write=False) as tx:
        assert _driver(tx) is not writer
        assert tx.execute(text("SELECT n FROM kept")).scalars().all() == [2]


def test_a_connection_past_its_age_is_closed_when_its_transaction_ends(store, monkeypatch):
    with store.transaction(write=False) as tx:
        first = _driver(tx)
    monkeypatch.setattr(database, "RECYCLE_SECONDS", 0.0)
    with store.transaction(write=False) as tx:
        assert _driver(tx) is first
    assert first.closed
    with store.transaction(write=False) as tx:
        assert _driver(tx) is not first


def test_connections_open_at_once_are_bounded(url, monkeypatch):
    monkeypatch.setattr(database, "MAX_CONNECTIONS", 1)
    monkeypatch.setattr(database, "POOL_TIMEOUT", 0.1)
    bounded = Store.open(url)
    try:
        with bounded.transaction(write=False), pytest.raises(TimeoutError), bounded.transaction(write=False):
            pass
        with bounded.transaction(write=False) as tx:  # the first one's permit came back
            assert tx.execute(text("SELECT 1")).scalar() == 1
    finally:
        bounded.dispose()


def test_a_hot_query_reads_alike_on_a_read_connection_and_in_a_write_transaction(store):
    kept = table("hot", column("n", Integer), column("at", DateTime(timezone=True)))
    query = HotQuery(select(kept.c.n, kept.c.at).where(kept.c.n >= bindparam("least")).order_by(kept.c.n))
    with store.transaction() as tx:
        tx.execute(text("CREATE TABLE IF NOT EXISTS hot (n int, at timestamptz)"))
        tx.execute(text("DELETE FROM hot"))
        tx.execute(text("INSERT INTO hot VALUES (1, now()), (2, NULL)"))
        in_write = query.all(tx, {"least": 1})  # psycopg's execute, inside the transaction it began
    with store.transaction(write=False) as tx:
        assert _driver(tx).autocommit
        on_read = query.all(tx, {"least": 1})  # store.pipeline, prepared on the server
        assert query.first(tx, {"least": 2}) == (2, None)
    assert on_read == in_write and [row.n for row in on_read] == [1, 2]


# In the event loop (store.evented): a PostgreSQL request without a thread hop.

def test_in_the_event_loop_a_pipeline_waits_through_the_loop_and_other_requests_go_on(store):
    from concurrent.futures import ThreadPoolExecutor

    from iamd.store import evented

    order = []

    def request(name, sleep):
        with store.transaction(write=False) as tx:
            rows = pipeline.read(_driver(tx), [(f"SELECT %(name)s::text, pg_sleep({sleep})", {"name": name})])
        order.append(name)
        return rows[0][0][0], evented.hops()

    async def main(executor):
        return await asyncio.gather(evented.run(executor, request, "slow", 0.3),
                                    evented.run(executor, request, "quick", 0))

    with store.transaction(write=False), store.transaction(write=False):
        pass  # two read connections kept: opening one would wait in a thread
    with ThreadPoolExecutor(2) as executor:
        slow, quick = asyncio.run(main(executor))
    assert slow == ("slow", 0) and quick == ("quick", 0)  # answered without a thread
    assert order == ["quick", "slow"]  # the slow one's wait did not hold the loop


def test_in_the_event_loop_sqlalchemys_statements_and_a_new_connection_run_in_threads(store):
    from concurrent.futures import ThreadPoolExecutor

    from iamd.store import evented

    def request():
        with store.transaction() as tx:  # no write connection kept yet: opened in a thread, a one-off
            opened = evented.hops()
            tx.execute(text("CREATE TABLE IF NOT EXISTS looped (n int)"))
            tx.execute(text("DELETE FROM looped"))
            tx.execute(text("INSERT INTO looped VALUES (:n)"), [{"n": 1}, {"n": 2}])
        with store.transaction(write=False) as tx:
            rows = tx.execute(text("SELECT n FROM looped ORDER BY n")).scalars().all()
        return opened, rows, evented.hops()

    with ThreadPoolExecutor(2) as executor:
        opened, rows, hops = asyncio.run(evented.run(executor, request))
    assert opened == 0 and rows == [1, 2]  # opening a connection is not counted
    assert hops == 4  # every statement in a thread (the executemany one call)
