"""Store.transaction on a SQLite file (store/database.py _SqliteTransaction): a write commits or rolls
back as a whole; a read runs without BEGIN and COMMIT, as on PostgreSQL; connections come back only clean."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from iamd.store.database import Store


@pytest.fixture
def store(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    with store.transaction(write=True) as tx:
        tx.execute(text("CREATE TABLE t (x INTEGER)"))
    yield store
    store.dispose()


def _count(store: Store) -> int:
    with store.transaction(write=False) as tx:
        return tx.execute(text("SELECT count(*) FROM t")).scalar()


def _raw(connection):
    return connection.connection.driver_connection


def test_a_write_commits_and_its_connection_is_kept(store):
    with store.transaction(write=True) as tx:
        assert _raw(tx).in_transaction  # BEGIN IMMEDIATE
        tx.execute(text("INSERT INTO t VALUES (1)"))
    assert _count(store) == 1
    assert store._idle == [tx]


def test_a_failed_write_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError), store.transaction(write=True) as tx:
        tx.execute(text("INSERT INTO t VALUES (1)"))
        raise RuntimeError("the handler failed")
    assert _count(store) == 0
    assert not _raw(tx).in_transaction and store._idle == [tx]


def test_a_read_runs_without_a_transaction_of_its_own(store):
    with store.transaction(write=False) as tx:
        assert not _raw(tx).in_transaction
        assert tx.execute(text("SELECT count(*) FROM t")).scalar() == 0
    assert store._idle == [tx]


def test_a_read_sees_what_a_write_committed_meanwhile(store):
    with store.transaction(write=False) as reader:
        with store.transaction(write=True) as writer:
            assert writer is not reader  # the reader's connection is in use: another one
            writer.execute(text("INSERT INTO t VALUES (1)"))
        assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 1


def test_a_connection_left_in_a_transaction_is_closed_not_kept(store):
    with store.transaction(write=False) as tx:
        _raw(tx).execute("BEGIN")  # whatever left it so
    assert tx.closed and store._idle == []
    assert _count(store) == 0  # the next transaction opens a fresh connection


def test_a_write_that_cannot_begin_gives_its_connection_back(store, tmp_path):
    blocker = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        with blocker.transaction(write=True):
            with store.transaction(write=False) as tx:
                pass
            _raw(tx).execute("PRAGMA busy_timeout=0")  # fail at once rather than wait 30 s
            with pytest.raises(Exception, match="locked"), store.transaction(write=True):
                pass
        assert store._idle == [tx] and not tx.closed
    finally:
        blocker.dispose()
