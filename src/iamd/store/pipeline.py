"""Several reads in one round trip to PostgreSQL, on libpq's pipeline through psycopg's ``pq`` wrapper.

psycopg's own ``Connection.pipeline()`` flushes and polls the socket after every statement it queues:
three reads cost 8 polls, 4 sends and ~100 µs of CPU, more than the three as separate round trips.
Here the statements are queued in libpq, sent with the Sync in one write, and their results read as
they arrive; each is a server-side prepared statement (named ``iamd_N``), prepared in the same
pipeline the first time a connection runs it. Values are sent and rows read as text, converted by
psycopg's adapters as its ``execute`` would convert them.

    rows_by_statement = pipeline.read(driver, [(sql, params), ...])   # sql in psycopg's %(name)s style

Any error is raised after the connection has left pipeline mode. One whose cause was a statement
prepared (or not) unlike what this module remembered (someone's DEALLOCATE ALL) corrects the memory
and the statements run once more.
"""

from __future__ import annotations

import itertools
import re
import select
import threading
import weakref
from typing import Any

from psycopg import abc, errors, pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq.abc import PGresult

from iamd.store import evented

_SYNC = pq.ExecStatus.PIPELINE_SYNC
_SUCCEEDED = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)
_SQLSTATE = pq.DiagnosticField.SQLSTATE
_NO_SUCH_STATEMENT, _STATEMENT_EXISTS = b"26000", b"42P05"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")

# Per statement text: (its name, its text with $n placeholders, its bind names in $n order).
_statements: dict[str, tuple[bytes, bytes, list[str]]] = {}
_numbers = itertools.count(1)
_naming = threading.Lock()
# Per psycopg connection: the names prepared on it, and the Transformer that dumps values and loads rows.
_connections: weakref.WeakKeyDictionary[Any, tuple[set[bytes], abc.Transformer]] = weakref.WeakKeyDictionary()


def read(driver: Any, statements: list[tuple[str, dict]], retry: bool = True) -> list[list[tuple]]:
    """Run ``statements`` (SQL in psycopg's ``%(name)s`` style, params) on ``driver`` (psycopg's open
    connection, outside pipeline mode) in one round trip; each one's rows as tuples, in order."""
    try:
        prepared, transformer = _connections[driver]
    except KeyError:
        prepared, transformer = _connections.setdefault(driver, (set(), Transformer(driver)))
    queue = []
    for sql, params in statements:  # values dumped first: an error here leaves the connection untouched
        name, text, names = _statements.get(sql) or _numbered(sql)
        values = transformer.dump_sequence([params[key] for key in names], [PyFormat.TEXT] * len(names))
        queue.append((name, text, values))
    pgconn = driver.pgconn
    pgconn.enter_pipeline_mode()
    try:
        preparing = []
        for name, text, values in queue:
            if name not in prepared and name not in preparing:  # a statement may come twice
                pgconn.send_prepare(name, text)
                preparing.append(name)
            pgconn.send_query_prepared(name, values)
        pgconn.pipeline_sync()
        results = _results(pgconn)
    finally:
        try:
            pgconn.exit_pipeline_mode()
        except errors.OperationalError:  # results left unread (an interrupted read): closed, never reused
            driver.close()
            raise
    failed = next((result for result in results if result.status not in _SUCCEEDED), None)
    if failed is not None:
        if _remember(prepared, preparing, failed) and retry:
            return read(driver, statements, retry=False)
        raise errors.error_from_result(failed, encoding=driver.info.encoding)
    prepared.update(preparing)
    rows = []
    for result in results:
        if result.status == pq.ExecStatus.TUPLES_OK:  # an execute's rows (a prepare's result has none)
            transformer.set_pgresult(result)
            rows.append(transformer.load_rows(0, result.ntuples, tuple))
    return rows


def _results(pgconn: Any) -> list[PGresult]:
    """Every result up to the Sync's: one per command (a failed command's, then PIPELINE_ABORTED ones).
    In a request run in the event loop (store.evented) the loop waits for the socket, else poll."""
    socket, in_loop = pgconn.socket, evented.in_loop()
    while pgconn.flush():  # only when the socket's buffer is full
        if in_loop:
            evented.wait(socket, readable=False)
        else:
            select.select([], [socket], [])
    if not in_loop:
        poll = select.poll()
        poll.register(socket, select.POLLIN)
    results: list[PGresult] = []
    while True:
        while pgconn.is_busy():
            if in_loop:
                evented.wait(socket)
            else:
                poll.poll()
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:  # the end of one command's results
            continue
        if result.status == _SYNC:
            return results
        results.append(result)


def _remember(prepared: set[bytes], preparing: list[bytes], failed: PGresult) -> bool:
    """Correct what is remembered prepared on a connection from a failure (someone's DEALLOCATE ALL,
    a statement prepared before a failure), and whether that was the cause; anything else: False."""
    state = failed.error_field(_SQLSTATE)
    if state == _NO_SUCH_STATEMENT:
        prepared.clear()
        return True
    if state == _STATEMENT_EXISTS:
        prepared.update(preparing)
        return True
    return False


def _numbered(sql: str) -> tuple[bytes, bytes, list[str]]:
    """A statement's name, its text with $1, $2 ... for %(name)s (%% as %), and its names in order."""
    names: list[str] = []

    def number(match: re.Match) -> str:
        if match.group(0) == "%%":
            return "%"
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    text = _PLACEHOLDER.sub(number, sql).encode()
    with _naming:
        if sql not in _statements:
            _statements[sql] = (f"iamd_{next(_numbers)}".encode(), text, names)
        return _statements[sql]
