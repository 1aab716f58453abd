"""The console's sign-in throttle counts parallel guesses like sequential ones.

docs/console.md: after 3 failed sign-ins for one account and user name, each further attempt must wait
(1 s, doubling up to 30 s). 30 wrong passwords sent at once: 3 are checked (401), 27 are told to wait
(429); the right password sent next must wait too. The same holds across two server processes. (On a
machine so loaded that a burst outlasts the first wait, one more attempt per wait that passed is allowed.)
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.api.conftest import ACCOUNT_ID
from tests.api.server import standard_server

PASSWORD = "Correct-Horse-9-battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def console_user(iam, unique):
    name = unique("signin")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=PASSWORD, PasswordResetRequired=False)
    return name


def sessions(servers, count: int) -> list[tuple[httpx.Client, str]]:
    """Browser sessions on the sign-in form, each with its own cookie and CSRF token."""
    forms = []
    for index in range(count):
        browser = httpx.Client(base_url=servers[index % len(servers)].endpoint, timeout=60)
        page = browser.get(f"/console/signin/{ACCOUNT_ID}")
        forms.append((browser, _CSRF.search(page.text).group(1)))
    return forms


def post_all(forms, user: str, passwords: list[str]) -> list[int]:
    """Each password from its own session, all posted at once; the HTTP statuses."""
    barrier = threading.Barrier(len(passwords))

    def post(index: int) -> int:
        browser, csrf = forms[index]
        barrier.wait(timeout=30)
        try:
            return browser.post(f"/console/signin/{ACCOUNT_ID}", data={
                "csrf_token": csrf, "kind": "iam", "username": user, "password": passwords[index]}).status_code
        finally:
            browser.close()

    with ThreadPoolExecutor(max_workers=len(passwords)) as pool:
        return list(pool.map(post, range(len(passwords))))


def checked_at_most(seconds: float) -> int:
    """How many attempts a burst lasting ``seconds`` may have checked: 3 free, then one more each time a
    wait (1 s, 2 s, 4 s ...) has passed. A loaded machine may stretch a burst past the first wait."""
    allowed, waited, wait = 3, 1.0, 1.0
    while waited <= seconds:
        allowed += 1
        wait *= 2
        waited += wait
    return allowed


def test_parallel_wrong_passwords_are_throttled(server, console_user):
    guesses, right = sessions([server], 30), sessions([server], 1)
    started = time.monotonic()
    statuses = post_all(guesses, console_user, ["wrong-password"] * 30)
    late = post_all(right, console_user, [PASSWORD])
    elapsed = time.monotonic() - started
    checked = statuses.count(401)
    assert 3 <= checked <= checked_at_most(elapsed) and statuses.count(429) == 30 - checked, (statuses, elapsed)
    if elapsed < 1.0:  # before the first wait is over (always, on a machine that is not overloaded)
        assert sorted(statuses) == [401] * 3 + [429] * 27
        assert late == [429], "the right password must wait its turn too"


def test_the_right_password_alone_signs_in(server, console_user):
    assert post_all(sessions([server], 1), console_user, [PASSWORD]) == [303]


def test_the_count_is_shared_by_two_processes(server, console_user, tmp_path):
    second = standard_server(tmp_path, server.database_url)
    second.data_dir = server.data_dir  # same master key and, for SQLite, the same database file
    second.start()
    try:
        guesses = sessions([server, second], 12)
        started = time.monotonic()
        statuses = post_all(guesses, console_user, ["wrong-password"] * 12)
        elapsed = time.monotonic() - started
    finally:
        second.stop()
    checked = statuses.count(401)
    assert 3 <= checked <= checked_at_most(elapsed) and statuses.count(429) == 12 - checked, (statuses, elapsed)
