"""The store: one engine, one transaction per request, SQLite (WAL) or PostgreSQL (psycopg 3).

    store = Store.open("sqlite:///data/iamd.db")
    with store.transaction(write=True) as tx:   # commits on success, rolls back on any exception
        tx.execute(...)

SQLite's own transaction handling in the Python driver is turned off and ``BEGIN IMMEDIATE`` is
issued for writes, so that a write transaction takes the write lock at its start instead of failing
to upgrade a read lock halfway (the usual cause of "database is locked").
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import cast

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from iamd import telemetry
from iamd.store import evented

IDLE = 0  # psycopg's TransactionStatus.IDLE: a connection outside any transaction

# PostgreSQL's SQLSTATEs for a transaction that lost a race and may simply run again: a deadlock, a
# serialization failure, a unique violation no handler expected (the retry finds the winner's row), a
# foreign key whose row another transaction deleted meanwhile (the retry answers NoSuchEntity).
RETRYABLE_STATES = {"40P01", "40001", "23505", "23503"}
# SQLite (WAL): a read transaction whose first write finds that another connection committed since it
# began (a GetSessionToken's MFA replay mark beside the audit trail's flush) fails at once with
# SQLITE_BUSY_SNAPSHOT; the only answer is to roll back and run it again (sqlite.org, "Result and Error
# Codes", SQLITE_BUSY_SNAPSHOT).
SQLITE_BUSY_SNAPSHOT = 517
ATTEMPTS = 3

# PostgreSQL: connections open at once per process, at most (a transaction beyond waits for one, up to
# POOL_TIMEOUT seconds), kept open between transactions; one older than RECYCLE_SECONDS is closed
# when its transaction ends (a server or firewall may drop long-idle ones).
MAX_CONNECTIONS = 24
POOL_TIMEOUT = 30.0
RECYCLE_SECONDS = 1800.0


def lost_race(error: BaseException) -> bool:
    """Whether a failed transaction lost a race with another one, and running it again is the answer."""
    driver_error = error.orig if isinstance(error, DBAPIError) else error  # raw on store.fastpath's path
    if isinstance(driver_error, sqlite3.OperationalError):
        return getattr(driver_error, "sqlite_errorcode", None) == SQLITE_BUSY_SNAPSHOT
    return getattr(driver_error, "sqlstate", None) in RETRYABLE_STATES


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.is_postgresql = engine.dialect.name == "postgresql"
        # SQLite connections kept open between transactions: taking one from SQLAlchemy's pool and
        # wrapping it costs ~20 µs, more than a GetUser's queries. A memory database is one per
        # connection, so there each transaction takes its own from the pool as before.
        self._idle: list[Connection] = []
        self._keep_idle = self.is_sqlite and engine.url.database not in (None, "", ":memory:")
        # The background batches' own (the audit trail's flush): its multi-row INSERTs, one text per
        # size, stay prepared in one connection's statement cache. Taken from ``_idle`` they were
        # prepared again on each connection the flush happened to take (~0.6M instructions for 64 rows).
        self._batch_idle: list[Connection] = []
        # PostgreSQL: connections kept by Store too, one list for reads (autocommit: no BEGIN and
        # COMMIT) and one for writes, so that a connection keeps its mode; their number bounded.
        self._kept: dict[bool, list[tuple[Connection, float]]] = {False: [], True: []}
        self._open = threading.BoundedSemaphore(MAX_CONNECTIONS)

    @classmethod
    def open(cls, url: str) -> Store:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # A file database's connections are kept by Store itself (``_idle``), never returned to a
            # pool: a bounded pool would run dry under many threads (the console's) and make them wait.
            pooling = {"poolclass": NullPool} if parsed.database not in (None, "", ":memory:") else {}
            engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30}, **pooling)
            _configure_sqlite(engine)
        else:
            if parsed.drivername in ("postgresql", "postgres"):
                parsed = parsed.set(drivername="postgresql+psycopg")
            # Connections are kept by Store itself (``_kept``): a pool checkout, its reset and the
            # isolation level set and reset on every request cost ~80 µs. No pre-ping: it would cost
            # a round trip on every request; stale connections are recycled.
            engine = create_engine(parsed, poolclass=NullPool)
            _execute_in_threads(engine)
        _time_statements(engine)
        return cls(engine)

    def transaction(self, write: bool = True) -> AbstractContextManager[Connection]:
        # One generator, not two nested: each context manager costs a few µs on every request.
        if self._keep_idle:
            return self._sqlite_transaction(write)
        return self._postgresql_transaction(write) if self.is_postgresql else self._transaction(write)

    def batch_transaction(self) -> AbstractContextManager[Connection]:
        """A write transaction for a background batch, on SQLite on a connection kept for batches alone
        (one at a time: the caller serializes them); elsewhere any write transaction."""
        if self._keep_idle:
            return _SqliteTransaction(self._batch_idle, self.engine, True)
        return self.transaction(write=True)

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            if self.is_sqlite:  # a memory database: a connection of its own per transaction
                with _sqlite_begin(connection, write):
                    yield connection
            elif write:
                with connection.begin():
                    yield connection
            else:
                # A request that writes nothing needs no BEGIN and COMMIT: two round trips of its five.
                yield connection.execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def _postgresql_transaction(self, write: bool) -> Iterator[Connection]:
        """A write in a transaction (SQLAlchemy's BEGIN and COMMIT), a read in autocommit (no BEGIN and
        COMMIT: two round trips of its five), each on a connection kept from an earlier transaction
        of its kind when one is free."""
        # In a request run in the event loop (store.evented), what may wait (for a free connection, for
        # a new one) waits in a thread.
        if not (self._open.acquire(blocking=False)
                or evented.in_thread(self._open.acquire, True, POOL_TIMEOUT, counted=False)):
            raise TimeoutError(f"no PostgreSQL connection free in {POOL_TIMEOUT:.0f} s")
        try:
            kept = self._kept[write]
            try:
                connection, opened = kept.pop()
            except IndexError:
                connection, opened = evented.in_thread(self._connect, write, counted=False), time.monotonic()
            try:
                if write:
                    with connection.begin():
                        yield connection
                else:
                    yield connection
            finally:
                if _reusable(connection) and time.monotonic() - opened < RECYCLE_SECONDS:
                    kept.append((connection, opened))
                else:
                    connection.close()
        finally:
            self._open.release()

    def _connect(self, write: bool) -> Connection:
        connection = self.engine.connect()
        if not write:
            connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection

    def _sqlite_transaction(self, write: bool) -> _SqliteTransaction:
        return _SqliteTransaction(self._idle, self.engine, write)

    def dispose(self) -> None:
        for idle in (self._idle, self._batch_idle):
            while idle:
                idle.pop().close()
        for kept in self._kept.values():
            while kept:
                kept.pop()[0].close()
        self.engine.dispose()


class _SqliteTransaction:
    """A write: BEGIN IMMEDIATE and COMMIT (ROLLBACK on any exception) on the driver, SQLAlchemy's
    execution path costing more than SQLite's BEGIN. A read: no BEGIN and COMMIT, each statement its own
    transaction, as a read runs on PostgreSQL (autocommit): two statements of a GetUser's four. Either
    on a connection kept from an earlier transaction when one is free (list pop and append are atomic,
    so threads share the list safely). A class, not a generator: @contextmanager's machinery cost as
    much as a read's statement."""

    __slots__ = ("idle", "engine", "write", "connection", "raw")

    def __init__(self, idle: list[Connection], engine: Engine, write: bool):
        self.idle, self.engine, self.write = idle, engine, write

    def __enter__(self) -> Connection:
        try:
            connection = self.idle.pop()
        except IndexError:
            connection = self.engine.connect()
        self.connection, self.raw = connection, _sqlite3(connection)
        if self.write:
            try:
                self.raw.execute("BEGIN IMMEDIATE")
            except BaseException:
                self._release()
                raise
        return connection

    def __exit__(self, kind, error, traceback) -> None:
        try:
            if self.write:
                self.raw.execute("COMMIT" if kind is None else "ROLLBACK")
        finally:
            self._release()

    def _release(self) -> None:
        # Only a connection left cleanly outside any transaction is used again.
        connection = self.connection
        if connection.invalidated or connection.closed or self.raw.in_transaction:
            connection.close()
        else:
            self.idle.append(connection)


def _reusable(connection: Connection) -> bool:
    """Whether a PostgreSQL connection was left open, valid and outside any transaction."""
    if connection.invalidated or connection.closed:
        return False
    driver = connection.connection.dbapi_connection  # psycopg's
    return driver is not None and not driver.closed and driver.info.transaction_status == IDLE


def _sqlite3(connection: Connection) -> sqlite3.Connection:
    """The driver's own connection under a SQLite one (pysqlite's; SQLAlchemy types it Any | None, None
    only once the connection is closed, which ours never is here)."""
    return cast(sqlite3.Connection, connection.connection.dbapi_connection)  # the driver_connection: see fastpath


@contextmanager
def _sqlite_begin(connection: Connection, write: bool) -> Iterator[None]:
    """BEGIN (IMMEDIATE for a write: the write lock at the start, never an upgrade halfway) and COMMIT,
    or ROLLBACK on any exception, straight on the driver: SQLAlchemy's path costs more than SQLite's."""
    raw = _sqlite3(connection)
    raw.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    raw.execute("COMMIT")


def _time_statements(engine: Engine) -> None:
    """Database time per request, for the metrics (the hot queries of ``fastpath`` time themselves)."""
    @event.listens_for(engine, "before_cursor_execute")
    def _before(_conn, _cursor, _statement, _parameters, context, _executemany):
        context._iamd_started = telemetry.timer()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(_conn, _cursor, _statement, _parameters, context, _executemany):
        telemetry.database_time(telemetry.timer() - context._iamd_started)


def _execute_in_threads(engine: Engine) -> None:
    """In a request run in the event loop (store.evented), SQLAlchemy's statements run in a thread:
    psycopg's execute waits for the server's answer, and the loop must not."""
    @event.listens_for(engine, "do_execute")
    def _execute(cursor, statement, parameters, _context):
        if evented.in_loop():
            evented.in_thread(cursor.execute, statement, parameters)
            return True  # done: SQLAlchemy does not execute it again
        return None

    @event.listens_for(engine, "do_execute_no_params")
    def _execute_no_params(cursor, statement, _context):
        if evented.in_loop():
            evented.in_thread(cursor.execute, statement)
            return True
        return None

    @event.listens_for(engine, "do_executemany")
    def _execute_many(cursor, statement, parameters, _context):
        if evented.in_loop():
            evented.in_thread(cursor.executemany, statement, parameters)
            return True
        return None


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()



