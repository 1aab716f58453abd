"""Console sessions live in the store: several server processes on one database share them.

Two real server processes on one database (SQLite under one data directory; PostgreSQL when
IAMD_TEST_DATABASE_URL is set): a session made by one is honoured by the other and survives a restart,
sign-out on one ends it on the other, the table holds no token in clear, and the failure counts are shared.
The browser test copies a cookie from one Chromium context into another pointed at the second process.
"""

from __future__ import annotations

import os
import re

import httpx
import pytest
from sqlalchemy import select

from iamd.store.database import Store
from iamd.store.schema import console_sessions
from tests.api.server import ACCOUNT_ID, PostgresDatabase, standard_server
from tests.console.conftest import ROOT_PASSWORD
from tests.console.test_console import sign_in, sign_out, url

PG_URL = os.environ.get("IAMD_TEST_DATABASE_URL", "")
COOKIE = "iamd-console"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _server(data_dir, database_url=""):
    server = standard_server(data_dir, database_url)
    server.env_extra["IAMD_ROOT_PASSWORD"] = ROOT_PASSWORD
    return server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_servers(request, tmp_path):
    """Two server processes on one data directory (its master key) and one database."""
    database = None
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("IAMD_TEST_DATABASE_URL is not set (.ci/run sets it): PostgreSQL tests skipped")
        database = PostgresDatabase(PG_URL)
    first = _server(tmp_path, database.url if database else "").start()
    second = _server(tmp_path, database.url if database else "").start()
    first.database_url_effective = database.url if database else f"sqlite:///{tmp_path / 'iamd.db'}"
    yield first, second
    second.stop()
    first.stop()
    if database:
        database.drop()


def _csrf(html: str) -> str:
    return _CSRF.search(html).group(1)


def _sign_in(server) -> tuple[str, str]:
    """Sign the root user in over HTTP; the session cookie's token and the session's CSRF token."""
    with httpx.Client(base_url=server.endpoint) as client:
        form = client.get(f"/console/signin/{ACCOUNT_ID}")
        answer = client.post(f"/console/signin/{ACCOUNT_ID}", data={
            "csrf_token": _csrf(form.text), "kind": "root", "password": ROOT_PASSWORD})
        assert answer.status_code == 303 and answer.headers["location"] == "/console/home", answer.text
        token = answer.cookies[COOKIE]
        home = client.get("/console/home")  # the client keeps the cookie
        return token, _csrf(home.text)


def _home(server, token: str) -> httpx.Response:
    with httpx.Client(cookies={COOKIE: token}) as client:
        return client.get(server.endpoint + "/console/home")


def test_a_session_made_by_one_process_is_honoured_by_another_and_after_a_restart(two_servers):
    first, second = two_servers
    token, _ = _sign_in(first)
    home = _home(second, token)
    assert home.status_code == 200 and ACCOUNT_ID in home.text
    first.stop()
    first.start()
    assert _home(first, token).status_code == 200, "a restart does not sign anyone out"
    assert _home(second, "not-a-session").status_code == 303


def test_sign_out_on_one_process_ends_the_session_on_the_other(two_servers):
    first, second = two_servers
    token, csrf = _sign_in(first)
    assert _home(second, token).status_code == 200
    with httpx.Client(cookies={COOKIE: token}) as client:
        out = client.post(second.endpoint + "/console/signout", data={"csrf_token": csrf})
    assert out.status_code == 303
    home = _home(first, token)
    assert home.status_code == 303 and home.headers["location"].startswith("/console/signin")


def test_the_session_token_is_not_stored_in_clear(two_servers):
    first, _ = two_servers
    token, csrf = _sign_in(first)
    store = Store.open(first.database_url_effective)
    try:
        with store.transaction(write=False) as tx:
            rows = [dict(row) for row in tx.execute(select(console_sessions)).mappings()]
    finally:
        store.dispose()
    signed_in = [row for row in rows if row["stage"] == "ready"]
    assert len(signed_in) == 1 and signed_in[0]["csrf"] == csrf
    assert all(token not in str(value) for row in rows for value in row.values())
    assert all(token.encode() not in bytes(row["data"] or b"") for row in rows)


def test_failed_sign_ins_are_counted_across_processes(two_servers):
    first, second = two_servers
    messages = []
    for attempt in range(4):
        server = (first, second)[attempt % 2]
        with httpx.Client(base_url=server.endpoint) as client:
            form = client.get(f"/console/signin/{ACCOUNT_ID}")
            answer = client.post(f"/console/signin/{ACCOUNT_ID}", data={
                "csrf_token": _csrf(form.text), "kind": "iam", "username": "Mallory", "password": "wrong"})
            messages.append((answer.status_code, answer.text))
    assert [status for status, _ in messages[:3]] == [401, 401, 401]
    assert messages[3][0] == 429 and "Try again in" in messages[3][1], "after 3 failures, the 4th must wait"



def test_a_cookie_from_one_process_signs_a_browser_in_on_another(browser, console_server, context, page):
    sign_in(page, console_server, root=True, password=ROOT_PASSWORD)
    page.wait_for_url("**/console/home")
    cookie = next(c for c in context.cookies() if c["name"] == COOKIE)
    second = _server(console_server.data_dir).start()  # the same data directory: its database and master key
    try:
        other = browser.new_context()
        try:
            other.add_cookies([{"name": COOKIE, "value": cookie["value"], "url": second.endpoint + "/console"}])
            elsewhere = other.new_page()
            elsewhere.goto(url(second, "/home"))
            assert elsewhere.inner_text("[data-testid=account-id]") == ACCOUNT_ID
            sign_out(elsewhere)
        finally:
            other.close()
        page.goto(url(console_server, "/home"))  # the first process: the session is gone there too
        assert page.url == url(console_server, "/signin")
    finally:
        second.stop()
