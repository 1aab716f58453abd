"""Hot queries straight to the database driver, still built with SQLAlchemy.

SQLAlchemy's execution path costs ~40-60 µs a statement, several times SQLite's own work for a primary
key lookup, and the few queries every request makes (the access key, the user, its tags) would
spend most of a request there. A ``HotQuery`` compiles its statement once per dialect and runs it on
the driver's connection (sqlite3 or psycopg), applying the same result processors SQLAlchemy would
(so types such as UtcDateTime come back alike). On other databases it is an ordinary execute.
"""

from __future__ import annotations

from collections import namedtuple

from sqlalchemy import Connection
from sqlalchemy.sql import Select

from iamd import telemetry


class HotQuery:
    def __init__(self, statement: Select):
        self.statement = statement
        # Per dialect: (sql, bind names in order, bound defaults, row type, converters).
        self._compiled: dict[str, tuple] = {}

    def _prepare(self, dialect) -> tuple:
        compiled = self.statement.compile(dialect=dialect)
        columns = list(self.statement.selected_columns)
        row_type = namedtuple("Row", [column.key for column in columns], rename=True)
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        converters = tuple((index, process) for index, process in enumerate(processors) if process is not None)
        # Bound values the statement carries itself (an OFFSET the dialect adds, literals): defaults.
        prepared = (compiled.string, list(compiled.positiontup or ()), dict(compiled.params), row_type, converters)
        self._compiled[dialect.name] = prepared
        return prepared

    def all(self, tx: Connection, params: dict) -> list:
        dialect = tx.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            return tx.execute(self.statement, params).all()
        sql, names, defaults, row_type, converters = self._compiled.get(dialect) or self._prepare(tx.dialect)
        driver = tx.connection.driver_connection
        started = telemetry.timer()
        if dialect == "sqlite":  # qmark: positional
            values = [params[name] if name in params else defaults[name] for name in names]
            raw_rows = driver.execute(sql, values).fetchall()
        else:  # psycopg: named (pyformat); statements repeat, so psycopg prepares them on the server
            raw_rows = driver.execute(sql, {**defaults, **params}).fetchall()
        telemetry.database_time(telemetry.timer() - started)
        if not converters:
            return [row_type._make(raw) for raw in raw_rows]
        rows = []
        for raw in raw_rows:
            values = list(raw)
            for index, process in converters:
                if values[index] is not None:
                    values[index] = process(values[index])
            rows.append(row_type._make(values))
        return rows

    def first(self, tx: Connection, params: dict):
        rows = self.all(tx, params)
        return rows[0] if rows else None

    def scalar(self, tx: Connection, params: dict):
        row = self.first(tx, params)
        return row[0] if row is not None else None
