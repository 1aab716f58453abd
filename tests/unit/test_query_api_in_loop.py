"""web/api.py's QueryApi._run in the event loop (PostgreSQL, store.evented): which transactions run in
the loop and which in a thread. The transaction itself is replaced by a recorder here; the real one is
exercised by the api tests on PostgreSQL and tests/unit/test_postgresql_store.py."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from iamd.store import evented
from iamd.web import api as api_module
from iamd.web.api import QueryApi

READ = SimpleNamespace(writes=False)
WRITE = SimpleNamespace(writes=True)


@pytest.fixture
def query_api(monkeypatch):
    query = QueryApi(store=SimpleNamespace(), env=SimpleNamespace())
    ran = []
    needs_pool = set()

    def transaction(_request, _signed, _form, _headers, _now, _request_id, _service, model, _operation,
                    _resolution_error, _seen):
        in_loop = threading.current_thread() is threading.main_thread()
        if in_loop and model.name in needs_pool:
            evented.in_thread(lambda: None)  # a statement beyond the pipeline
        ran.append((model.name, "loop" if in_loop else "thread"))
        return model.name

    monkeypatch.setattr(query, "_transaction", transaction)
    monkeypatch.setattr(api_module, "_LOOP_RETRY", 2)
    return query, ran, needs_pool


def _run(query: QueryApi, name: str, operation) -> None:
    model = SimpleNamespace(name=name)
    with ThreadPoolExecutor(2) as executor:
        asyncio.run(evented.run(executor, query._run, None, None, {}, {}, None, "r", "iam", model, operation,
                                None, {}))


def test_a_read_runs_in_the_loop_and_a_write_in_a_thread(query_api):
    query, ran, _needs_pool = query_api
    _run(query, "GetUser", READ)
    _run(query, "CreateUser", WRITE)
    assert ran == [("GetUser", "loop"), ("CreateUser", "thread")]


def test_a_read_that_needed_the_pool_runs_in_a_thread_a_while_then_in_the_loop_again(query_api):
    query, ran, needs_pool = query_api
    needs_pool.add("ListPolicies")
    for _ in range(3):
        _run(query, "ListPolicies", READ)
    needs_pool.clear()  # its cache warm now, say
    for _ in range(2):
        _run(query, "ListPolicies", READ)
    _run(query, "GetUser", READ)  # another operation is not affected
    assert [where for _name, where in ran] == ["loop", "thread", "thread", "loop", "loop", "loop"]


def test_outside_the_loop_run_goes_straight_to_the_transaction(query_api):
    query, ran, _needs_pool = query_api
    assert query._run(None, None, {}, {}, None, "r", "iam", SimpleNamespace(name="CreateUser"), WRITE, None,
                      {}) == "CreateUser"
    assert ran == [("CreateUser", "loop")]  # here, in the caller's thread (the main one in this test)


@pytest.mark.parametrize("switch", [False, True])
def test_postgresql_in_event_loop_decides_where_a_postgresql_request_runs(monkeypatch, switch):
    query = QueryApi(store=SimpleNamespace(is_postgresql=True), env=SimpleNamespace(), threaded=True)
    dispatched = []

    async def answer(_send, _handle, _request, _body, threaded, _content_type, in_loop=False):
        dispatched.append((threaded, in_loop))

    async def read_body(*_args):
        return b"Action=GetUser&Version=2010-05-08"

    monkeypatch.setattr(api_module, "POSTGRESQL_IN_EVENT_LOOP", switch)
    monkeypatch.setattr(api_module, "read_body", read_body)
    monkeypatch.setattr(query.threads, "answer", answer)
    asyncio.run(query({"type": "http", "headers": [], "query_string": b""}, None, None))
    assert dispatched == [(True, switch)]

