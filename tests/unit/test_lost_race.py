"""Which failed transactions run again (store/database.py lost_race): SQLite's SQLITE_BUSY_SNAPSHOT, the
error a read transaction gets when its first write finds that another connection committed since it
began (sqlite.org, "Result and Error Codes": roll back and start again), whether SQLAlchemy wrapped it
or not; not a plain lock wait or any other failure."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import OperationalError

from iamd.store.database import lost_race


def _busy_snapshot(path) -> sqlite3.OperationalError:
    writer = sqlite3.connect(path, isolation_level=None, timeout=1)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (x)")
    writer.execute("INSERT INTO t VALUES (1)")
    reader = sqlite3.connect(path, isolation_level=None, timeout=1)
    reader.execute("BEGIN")
    reader.execute("SELECT x FROM t").fetchall()  # the read transaction's snapshot
    writer.execute("INSERT INTO t VALUES (2)")  # another connection commits meanwhile
    try:
        reader.execute("UPDATE t SET x = 3")  # the upgrade to a write
    except sqlite3.OperationalError as error:
        return error
    finally:
        reader.close()
        writer.close()
    raise AssertionError("the upgrade should have failed")


def test_a_read_transaction_whose_write_lost_to_a_commit_runs_again(tmp_path):
    error = _busy_snapshot(str(tmp_path / "state.db"))
    assert error.sqlite_errorcode == 517
    assert lost_race(error)
    assert lost_race(OperationalError("UPDATE t SET x = 3", {}, error))


def test_other_failures_do_not_run_again():
    other = sqlite3.OperationalError("no such table: t")
    assert not lost_race(other)
    assert not lost_race(OperationalError("SELECT", {}, other))
    assert not lost_race(ValueError("not a database error"))
