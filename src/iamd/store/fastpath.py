"""Hot queries straight to the database driver, still built with SQLAlchemy.

SQLAlchemy's execution path costs ~40-60 µs a statement, several times SQLite's own work for a primary
key lookup, and the few queries every request makes (the access key, the user, its tags) would
spend most of a request there. A ``HotQuery`` compiles its statement once per dialect and runs it on
the driver's connection (sqlite3 or psycopg), applying the same result processors SQLAlchemy would
(so types such as UtcDateTime come back alike). On other databases it is an ordinary execute.

On PostgreSQL each statement is a round trip, and a GetUser makes three (the key, the user, its
tags). ``read_ahead`` sends the reads a request is about to make in one pipeline (``pipeline.read``),
one round trip for all; each HotQuery then answers its first identical (query, params) call from
those rows.

The driver's connection is read as SQLAlchemy's ``dbapi_connection``: for these synchronous drivers it is
the ``driver_connection`` itself (only asyncio drivers are adapted), at a third of the property calls.
"""

from __future__ import annotations

import contextlib
import logging
from collections import namedtuple
from collections.abc import Iterator
from contextvars import ContextVar
from functools import partial
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import UpdateBase

from iamd import telemetry
from iamd.store import evented

log = logging.getLogger("iamd.store")

# The rows read ahead for the request being served, by (query, params): see read_ahead.
_read_ahead: ContextVar[dict | None] = ContextVar("read_ahead", default=None)


class HotQuery:
    def __init__(self, statement: Select, *, named: bool = True):
        """``named``: rows as namedtuples (``row.name``); else plain tuples, which a list page unpacking
        its rows in a comprehension reads alike without a namedtuple made per row."""
        self.statement = statement
        self.named = named
        # Per dialect: (sql, bind names in order, bound defaults, row type, converters).
        self._compiled: dict[str, tuple] = {}

    def _prepare(self, dialect) -> tuple:
        compiled = self.statement.compile(dialect=dialect)
        columns = list(self.statement.selected_columns)
        # Fields known only at run time, which mypy's namedtuple() cannot take.
        row_type = (namedtuple("Row", [column.key for column in columns], rename=True)  # type: ignore[misc]
                    if self.named else tuple)
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        converters = tuple((index, process) for index, process in enumerate(processors) if process is not None)
        # Bound values the statement carries itself (an OFFSET the dialect adds, literals): defaults.
        prepared = (compiled.string, list(compiled.positiontup or ()), dict(compiled.params), row_type, converters)
        self._compiled[dialect.name] = prepared
        return prepared

    def all(self, tx: Connection, params: dict) -> list:
        dialect = tx.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            return list(tx.execute(self.statement, params).all())
        _sql, _names, _defaults, row_type, converters = self._compiled.get(dialect) or self._prepare(tx.dialect)
        rows, converted = self._read(tx, params)
        return rows if converted else self._rows(rows, row_type, converters)

    def columns(self, tx: Connection, params: dict) -> list[list]:
        """The rows column by column, converted: one list per selected column. A list page's answer is
        written column by column (service/table.py), and its rows come from the driver as tuples: one
        ``zip`` turns them, where rows made into items cost a dict each."""
        dialect = tx.dialect.name
        converters: tuple[tuple[int, Any], ...] = ()
        if dialect not in ("sqlite", "postgresql"):
            rows = list(tx.execute(self.statement, params).all())
        else:
            converters = (self._compiled.get(dialect) or self._prepare(tx.dialect))[4]
            rows, converted = self._read(tx, params)
            if converted:
                converters = ()
        if not rows:
            return [[] for _ in self.statement.selected_columns]
        columns = list(map(list, zip(*rows, strict=True)))
        for index, process in converters:
            columns[index] = [value if value is None else process(value) for value in columns[index]]
        return columns

    def _read(self, tx: Connection, params: dict) -> tuple[list, bool]:
        """The driver's rows, and whether they are converted already (read ahead: see read_ahead)."""
        dialect = tx.dialect.name
        sql, names, defaults, _row_type, _converters = self._compiled[dialect]
        driver: Any = tx.connection.dbapi_connection  # sqlite3's or psycopg's: driver_connection, cheaper
        if dialect == "postgresql":
            ahead = _read_ahead.get()
            if ahead:
                rows = ahead.pop((self, _params_key(params)), None)
                if rows is not None:
                    return rows, True
        started = telemetry.timer()
        if dialect == "sqlite":  # qmark: positional
            values = [params[name] if name in params else defaults[name] for name in names]
            raw_rows = driver.execute(sql, values).fetchall()
        elif driver.autocommit:  # a read's connection: libpq straight, cheaper than psycopg's execute
            from iamd.store import pipeline  # here, not at the top: psycopg would slow SQLite's start
            raw_rows = pipeline.read(driver, [(sql, {**defaults, **params})])[0]
        else:  # in a write's transaction, which psycopg begins at its first statement
            raw_rows = evented.in_thread(_fetch_all, driver, sql, {**defaults, **params})
        telemetry.database_time(telemetry.timer() - started)
        return raw_rows, False

    @staticmethod
    def _rows(raw_rows: list, row_type, converters) -> list:
        if len(raw_rows) == 1:  # a look-up's one row (a key, a user): no columns to zip and unzip
            row = raw_rows[0]
            if converters:
                row = list(row)
                for index, process in converters:
                    if row[index] is not None:
                        row[index] = process(row[index])
            return [tuple.__new__(row_type, row)]
        make = partial(tuple.__new__, row_type)  # row_type._make, without its Python frame per row
        if not converters or not raw_rows:
            return list(raw_rows) if row_type is tuple else list(map(make, raw_rows))
        # Column by column: a list page converts a timestamp column of 100 values in one comprehension
        # instead of a Python loop per row.
        columns: list[Any] = list(zip(*raw_rows, strict=True))
        for index, process in converters:
            columns[index] = [value if value is None else process(value) for value in columns[index]]
        rows = zip(*columns, strict=True)
        return list(rows) if row_type is tuple else list(map(make, rows))

    def first(self, tx: Connection, params: dict):
        rows = self.all(tx, params)
        return rows[0] if rows else None

    def scalar(self, tx: Connection, params: dict):
        row = self.first(tx, params)
        return row[0] if row is not None else None


class HotStatement:
    """An INSERT, UPDATE or DELETE built once (values as bind parameters) and run on the driver, as
    HotQuery runs a SELECT: SQLAlchemy's execution costs ~50 µs a statement, and CreateUser makes two.
    Bound values pass through the column types' bind processors (UtcDateTime ...), and the driver's
    IntegrityError comes out as SQLAlchemy's, as from ``tx.execute``. ``execute`` returns the row count."""

    def __init__(self, statement: UpdateBase):
        self.statement = statement
        self._compiled: dict[str, tuple] = {}  # per dialect: (sql, bind names in order, defaults, processors)

    def _prepare(self, dialect) -> tuple:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("a HotStatement cannot compute Python-side column defaults: use tx.execute")
        prepared = (compiled.string, list(compiled.positiontup or ()), dict(compiled.params),
                    dict(compiled._bind_processors))
        self._compiled[dialect.name] = prepared
        return prepared

    def execute(self, tx: Connection, params: dict) -> int:
        dialect = tx.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            return tx.execute(self.statement, params).rowcount
        sql, names, defaults, processors = self._compiled.get(dialect) or self._prepare(tx.dialect)
        values = {**defaults, **params}
        for name, process in processors.items():
            if name in values:
                values[name] = process(values[name])
        driver: Any = tx.connection.dbapi_connection  # sqlite3's or psycopg's: driver_connection, cheaper
        started = telemetry.timer()
        try:
            if dialect == "sqlite":
                cursor = driver.execute(sql, [values[name] for name in names])
            else:  # in a request run in the event loop, in a thread: psycopg's execute waits for its answer
                cursor = evented.in_thread(driver.execute, sql, values)
        except tx.dialect.loaded_dbapi.IntegrityError as error:
            raise IntegrityError(sql, values, error) from None
        finally:
            telemetry.database_time(telemetry.timer() - started)
        return cursor.rowcount


def _fetch_all(driver: Any, sql: str, params: dict) -> list:
    return driver.execute(sql, params).fetchall()


def _params_key(params: dict) -> tuple:
    return tuple(sorted(params.items()))


_NOTHING_AHEAD = contextlib.nullcontext()  # keeps no state: one serves every request


def read_ahead(tx: Connection, reads: list[tuple[HotQuery, dict]]) -> contextlib.AbstractContextManager:
    """On PostgreSQL, run ``reads`` (HotQuery, params) in one pipeline, for the HotQuery calls made
    inside this block to answer from. Reads only: a row read ahead is as fresh as one read on demand
    in an autocommit read, and each answers one call, so a later identical call reads again.
    Elsewhere (SQLite answers in microseconds) it does nothing, without a generator's cost."""
    if len(reads) < 2 or tx.dialect.name != "postgresql":  # a pipeline of one saves nothing
        return _NOTHING_AHEAD
    return _pipelined(tx, reads)


@contextlib.contextmanager
def _pipelined(tx: Connection, reads: list[tuple[HotQuery, dict]]) -> Iterator[None]:
    from iamd.store import pipeline  # here, not at the top: psycopg would slow SQLite's start
    driver: Any = tx.connection.driver_connection  # psycopg's, open
    started = telemetry.timer()
    answers = {}
    try:
        compiled = [query._compiled.get("postgresql") or query._prepare(tx.dialect) for query, _params in reads]
        rows = pipeline.read(driver, [(sql, {**defaults, **params})
                                      for (sql, _names, defaults, _row_type, _converters), (_query, params)
                                      in zip(compiled, reads, strict=True)])
        for (query, params), prepared, raw_rows in zip(reads, compiled, rows, strict=True):
            answers[(query, _params_key(params))] = HotQuery._rows(raw_rows, prepared[3], prepared[4])
    except Exception as error:  # never worse than not reading ahead: each query then runs on its own
        # One line, without the traceback or PostgreSQL's message (which quotes the value): a client's bad
        # input (a number beyond bigint, a NUL) fails here on every such request, and is answered by the
        # on-demand read's own error.
        log.info("reading ahead failed (%s); the request reads on demand", type(error).__name__)
        answers = {}
    telemetry.database_time(telemetry.timer() - started)
    token = _read_ahead.set(answers)
    try:
        yield
    finally:
        _read_ahead.reset(token)
