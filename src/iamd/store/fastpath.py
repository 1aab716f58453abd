"""Hot queries straight to SQLite's driver, still built with SQLAlchemy.

SQLAlchemy's execution path costs ~40 µs a statement, several times SQLite's own work for a primary
key lookup, and the few queries every request makes (the access key, the user, its tags) would
spend most of a request there. A ``HotQuery`` compiles its statement once per dialect and, on
SQLite, runs it on the driver's cursor, applying the same result processors SQLAlchemy would (so
types such as UtcDateTime come back alike). On other databases it is an ordinary execute.
"""

from __future__ import annotations

from collections import namedtuple

from sqlalchemy import Connection
from sqlalchemy.sql import Select


class HotQuery:
    def __init__(self, statement: Select):
        self.statement = statement
        self._compiled = None  # (sql, bind names in order, row type, converters), for SQLite
        self._defaults: dict = {}

    def _prepare(self, dialect):
        compiled = self.statement.compile(dialect=dialect)
        columns = list(self.statement.selected_columns)
        row_type = namedtuple("Row", [column.key for column in columns], rename=True)
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        converters = tuple((index, process) for index, process in enumerate(processors) if process is not None)
        # Bound values the statement carries itself (an OFFSET the dialect adds, literals): defaults.
        self._defaults = dict(compiled.params)
        self._compiled = (compiled.string, list(compiled.positiontup or ()), row_type, converters)
        return self._compiled

    def all(self, tx: Connection, params: dict) -> list:
        if tx.dialect.name != "sqlite":
            return tx.execute(self.statement, params).all()
        sql, names, row_type, converters = self._compiled or self._prepare(tx.dialect)
        defaults = self._defaults
        values = [params[name] if name in params else defaults[name] for name in names]
        raw_rows = tx.connection.driver_connection.execute(sql, values).fetchall()
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
