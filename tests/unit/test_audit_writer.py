"""The buffer of read-only calls' events (audit/writer.py), in-process over a real SQLite store:
back-pressure instead of dropping, and a failed batch kept for the next flush."""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
import time
from contextlib import ExitStack

import pytest
from sqlalchemy import select

from iamd import telemetry
from iamd.audit import writer
from iamd.audit.record import Event, time_ordered_id
from iamd.audit.writer import AuditTrail
from iamd.cli.bootstrap import open_state
from iamd.config import Settings
from iamd.store.schema import events
from tests.api.conftest import PG_URL
from tests.api.server import PostgresDatabase

ACCOUNT = "123456789012"


@pytest.fixture
def store(tmp_path):
    state = open_state(Settings(data_dir=str(tmp_path), account_id=ACCOUNT))
    yield state.store
    state.store.dispose()


def event(name: str = "GetUser", account_id: str | None = ACCOUNT) -> Event:
    ms = int(time.time() * 1000)
    return Event(record={"eventName": name}, event_id=time_ordered_id(ms), account_id=account_id, event_ms=ms,
                 event_source="iam.amazonaws.com", event_name=name, username="root", access_key_id=None,
                 read_only=True, principal_key=None, error_code=None)


def stored(store) -> list[str]:
    with store.transaction(write=False) as tx:
        return list(tx.scalars(select(events.c.event_name).order_by(events.c.seq)))


def backpressure_count() -> float:
    return telemetry.REGISTRY.get_sample_value("iamd_audit_deferred_events_total", {"by": "backpressure"}) or 0.0


def test_a_full_buffer_is_written_by_the_request_that_fills_it(store):
    trail = AuditTrail(pending_limit=3)
    trail.attach(store)
    before = backpressure_count()
    with store.transaction(write=False) as tx:
        trail.defer(tx, event("GetUser"))
        trail.defer(tx, event("ListUsers"))
    assert stored(store) == [] and trail.pending == 2  # waiting for the background flush
    with store.transaction(write=False) as tx:
        trail.defer(tx, event("GetRole"))  # the third: the buffer is full, this call writes it
    assert stored(store) == ["GetUser", "ListUsers", "GetRole"]
    assert trail.pending == 0
    assert backpressure_count() - before == 3


def test_a_failed_flush_keeps_the_events_in_order_for_the_next(store):
    trail = AuditTrail()
    trail.attach(store)
    with store.transaction(write=False) as tx:
        trail.defer(tx, event("GetUser"))
        trail.defer(tx, event("Broken", account_id=None))  # NOT NULL: the batch's transaction fails
    with pytest.raises(sqlite3.IntegrityError):
        trail.flush()
    assert stored(store) == []  # one transaction: nothing of the batch was written
    assert [e.event_name for e in trail._pending] == ["GetUser", "Broken"]


def test_without_a_flushing_server_an_event_goes_into_the_calls_transaction(store):
    trail = AuditTrail()  # a tool's: never attached
    with store.transaction(write=True) as tx:
        trail.defer(tx, event("GetUser"))
    assert stored(store) == ["GetUser"] and trail.pending == 0


AWKWARD = 'tab\there, line\nbreak, back\\slash, "quoted", \\N, é 🔑'  # COPY's own escapes, and not ASCII


@pytest.mark.skipif(not PG_URL, reason="IAMD_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
def test_a_postgresql_batch_by_copy_stores_every_value_as_it_was(tmp_path):
    """A batch goes to PostgreSQL by COPY (audit/writer.py): text with COPY's own delimiters and escapes,
    a NULL beside the text "\\N", and a record's JSON come back exactly as they went in."""
    database = PostgresDatabase(PG_URL)
    state = open_state(Settings(data_dir=str(tmp_path), account_id=ACCOUNT, database_url=database.url))
    try:
        trail = AuditTrail()
        trail.attach(state.store)
        awkward, failed, changed = event("GetUser"), event("ListUsers"), event("CreateUser")
        awkward = awkward._replace(username=AWKWARD, record={"eventName": "GetUser", "userAgent": AWKWARD})
        failed = failed._replace(error_code="NoSuchEntity", resources=[("AWS::IAM::User", AWKWARD)])
        changed = changed._replace(read_only=False, event_ms=2**40 + 1, principal_key="arn:aws:iam::123456789012:root")
        with state.store.transaction(write=False) as tx:
            for each in (awkward, failed, changed):  # several: a batch, not a single INSERT
                trail.defer(tx, each)
        trail.flush()
        with state.store.transaction(write=False) as tx:
            rows = tx.execute(select(*(events.c[name] for name in writer._COLUMNS)).order_by(events.c.seq)).all()
        assert [tuple(row[:-1]) for row in rows] == [
            (e.event_id, e.account_id, e.event_ms, e.event_source, e.event_name, e.username, e.access_key_id,
             e.read_only, e.principal_key, e.error_code, *(e.resources[0] if e.resources else (None, None)))
            for e in (awkward, failed, changed)]
        assert json.loads(rows[0].record)["userAgent"] == AWKWARD
    finally:
        state.store.dispose()
        database.drop()


def test_a_sqlite_batch_stores_none_as_null_and_read_only_as_a_boolean(store):
    """On SQLite the batch binds None as "" and a bool as 1 or 0 (audit/writer.py: sqlite3's adapters
    cost more than the insert): what is read back is NULL, True and False, as SQLAlchemy wrote them."""
    trail = AuditTrail()
    trail.attach(store)
    plain, failed, changed = event("GetCallerIdentity"), event("GetUser"), event("CreateUser")
    failed = failed._replace(error_code="NoSuchEntityException", resources=[("AWS::IAM::User", "bob")])
    changed = changed._replace(read_only=False, username="", principal_key="arn:aws:iam::123456789012:root")
    with store.transaction(write=False) as tx:
        for each in (plain, failed, changed):
            trail.defer(tx, each)
    trail.flush()
    with store.transaction(write=True) as tx:
        trail.write(tx, event("ListUsers"))  # one row: execute, not executemany
    with store.transaction(write=False) as tx:
        rows = tx.execute(select(events.c.event_name, events.c.read_only, events.c.error_code, events.c.resource_type,
                                 events.c.resource_name, events.c.username, events.c.access_key_id)
                          .order_by(events.c.seq)).all()
        nulls = tx.execute(select(events.c.event_name).where(events.c.error_code.is_(None),
                                                             events.c.resource_name.is_(None))).scalars().all()
    assert [tuple(row) for row in rows] == [
        ("GetCallerIdentity", True, None, None, None, "root", None),
        ("GetUser", True, "NoSuchEntityException", "AWS::IAM::User", "bob", "root", None),
        ("CreateUser", False, None, None, None, "", None),
        ("ListUsers", True, None, None, None, "root", None)]
    assert sorted(nulls) == ["CreateUser", "GetCallerIdentity", "ListUsers"]  # NULL in SQL, not ""


def test_a_large_sqlite_batch_keeps_every_event_in_order(store):
    """A SQLite batch goes as multi-row INSERTs of 64, 32, ... rows (audit/writer.py): 2,051 events
    with one of several resources among them (the ordinary way, which splits the
    batch) are all stored, once each, in the order they came, with their own values."""
    trail = AuditTrail()
    trail.attach(store)
    batch = [event(f"Call{i:04d}")._replace(username=f"user{i}") for i in range(2051)]
    batch[1500] = batch[1500]._replace(resources=[("AWS::IAM::User", "a"), ("AWS::IAM::Group", "b")])
    with store.transaction(write=False) as tx:
        for each in batch:
            trail.defer(tx, each)
    trail.flush()
    with store.transaction(write=False) as tx:
        rows = tx.execute(select(events.c.event_name, events.c.username, events.c.event_id)
                          .order_by(events.c.seq)).all()
    assert [tuple(row) for row in rows] == [(e.event_name, e.username, e.event_id) for e in batch]


def test_a_sqlite_batch_larger_than_the_page_cache_is_written_without_spilling(store):
    """The flush lets its transaction's dirty pages grow past SQLite's page cache (~2 MB) before spilling
    them to the WAL (audit/writer.py): a batch of ~4 MB is stored whole, and the connection that wrote
    it spills only past 16,000 pages."""
    trail = AuditTrail()
    trail.attach(store)
    batch = [event(f"Call{i:04d}")._replace(username=f"user{i % 500}",
                                           record=json.dumps({"eventName": f"Call{i:04d}", "padding": "x" * 1200}))
             for i in range(3000)]
    with store.transaction(write=False) as tx:
        for each in batch:
            trail.defer(tx, each)
    trail.flush()
    with store.batch_transaction() as tx:  # the connection the flush used, kept for batches by the store
        assert tx.connection.driver_connection.execute("PRAGMA cache_spill").fetchone()[0] == 16000
    with store.transaction(write=False) as tx:
        rows = tx.execute(select(events.c.event_name, events.c.record).order_by(events.c.seq)).all()
    assert [tuple(row) for row in rows] == [(e.event_name, e.record) for e in batch]


def test_the_sqlite_flush_writes_on_a_connection_of_its_own(store):
    """The flush's multi-row INSERTs (one text per size) stay prepared in one connection's statement
    cache (store.batch_transaction): whichever connections requests hold or give back around it, every
    flush takes the same one, and no request gets it."""
    trail = AuditTrail()
    trail.attach(store)
    insert, flushed_on = trail._insert, []

    def recording(tx, batch):
        flushed_on.append(tx.connection.driver_connection)
        insert(tx, batch)

    trail._insert = recording
    requests_on = []
    for held in range(4):  # 0 to 3 connections held by requests while the flush runs
        with ExitStack() as requests:
            txs = [requests.enter_context(store.transaction(write=False)) for _ in range(held)]
            requests_on += [tx.connection.driver_connection for tx in txs]
            with store.transaction(write=False) as tx:
                for _ in range(5):
                    trail.defer(tx, event("GetUser"))
            trail.flush()
    assert len({id(each) for each in flushed_on}) == 1
    assert all(each is not flushed_on[0] for each in requests_on)
    assert stored(store) == ["GetUser"] * 20


def test_the_postgresql_copy_declares_each_columns_type_as_the_schema_does():
    """Binary COPY (audit/writer.py) sends each value in its column's own binary form."""
    from sqlalchemy.dialects import postgresql

    declared = [events.c[name].type.compile(dialect=postgresql.dialect()).split("(")[0] for name in writer._COLUMNS]
    names = {"VARCHAR": "varchar", "BIGINT": "int8", "BOOLEAN": "bool", "TEXT": "text"}
    assert [names[kind] for kind in declared] == writer._PG_COPY_TYPES


def test_events_deferred_by_many_threads_while_flushes_run_and_fail_are_each_stored_once_in_order(store):
    """defer appends without a lock (audit/writer.py): requests in several threads add events while
    another thread flushes, one flush in three failing after its rows went in (rolled back, the batch
    kept ahead of newer events): at the end every event is stored once, each thread's in its order."""
    trail = AuditTrail(pending_limit=10**9)
    trail.attach(store)
    insert, flushes = trail._insert, [0]

    def sometimes_failing(tx, batch):
        insert(tx, batch)
        flushes[0] += 1
        if flushes[0] % 3 == 0:
            raise RuntimeError("the batch's transaction fails")

    trail._insert = sometimes_failing
    threads, per_thread, done = 4, 1500, threading.Event()

    def request(index: int) -> None:
        for n in range(per_thread):
            trail.defer(None, event(f"T{index}-{n:04d}"))  # with a store attached, tx is not used
            if n % 100 == 0:
                time.sleep(0.001)  # let flushes run between and during the requests

    def flusher() -> None:
        while not done.is_set():
            try:
                trail.flush()
            except RuntimeError:
                pass

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter allows
    try:
        background = threading.Thread(target=flusher)
        background.start()
        workers = [threading.Thread(target=request, args=(index,)) for index in range(threads)]
        for each in workers:
            each.start()
        for each in workers:
            each.join()
        done.set()
        background.join()
    finally:
        sys.setswitchinterval(interval)
    while trail.pending:
        try:
            trail.flush()
        except RuntimeError:
            pass
    names = stored(store)
    assert flushes[0] >= 3 and len(names) == len(set(names)) == threads * per_thread
    for index in range(threads):
        own = [name for name in names if name.startswith(f"T{index}-")]
        assert own == [f"T{index}-{n:04d}" for n in range(per_thread)]


def test_a_flush_with_nothing_pending_waits_for_a_batch_being_written(store):
    """A reader flushes before it reads (web/json_api.py): if the background flush has just taken the
    pending events, the reader's flush returns only once they are stored, so the reader sees them."""
    trail = AuditTrail()
    trail.attach(store)
    insert, inserting, release = trail._insert, threading.Event(), threading.Event()

    def slow(tx, batch):
        inserting.set()
        release.wait(10)
        insert(tx, batch)

    trail._insert = slow
    with store.transaction(write=False) as tx:
        trail.defer(tx, event("GetUser"))
    background = threading.Thread(target=trail.flush)
    background.start()
    assert inserting.wait(10) and trail.pending == 0  # the batch is taken, not yet stored
    reader = threading.Thread(target=trail.flush, args=("reader",))
    reader.start()
    reader.join(0.2)
    assert reader.is_alive()  # waiting for the batch
    release.set()
    reader.join(10)
    background.join(10)
    assert stored(store) == ["GetUser"]
