"""The console's sign-in throttle counts parallel guesses like sequential ones.

docs/console.md: after 3 failed sign-ins for one account and user name, each further attempt must wait
(1 s, doubling up to 30 s). 30 wrong passwords sent at once: 3 are checked (401), 27 are told to wait
(429); the right password sent next must wait too. The same holds across two server processes.
"""

from __future__ import annotations

import re
import threading
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


def attempts(servers, user: str, passwords: list[str]) -> list[int]:
    """Each password from its own browser session (own cookie and CSRF token), all posted at once."""
    forms = []
    for index, _ in enumerate(passwords):
        browser = httpx.Client(base_url=servers[index % len(servers)].endpoint, timeout=60)
        page = browser.get(f"/console/signin/{ACCOUNT_ID}")
        forms.append((browser, _CSRF.search(page.text).group(1)))
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


def test_parallel_wrong_passwords_are_throttled(server, console_user):
    statuses = attempts([server], console_user, ["wrong-password"] * 30)
    assert sorted(statuses) == [401] * 3 + [429] * 27
    assert attempts([server], console_user, [PASSWORD]) == [429], "the right password must wait its turn too"


def test_the_right_password_alone_signs_in(server, console_user):
    assert attempts([server], console_user, [PASSWORD]) == [303]


def test_the_count_is_shared_by_two_processes(server, console_user, tmp_path):
    second = standard_server(tmp_path, server.database_url)
    second.data_dir = server.data_dir  # same master key and, for SQLite, the same database file
    second.start()
    try:
        statuses = attempts([server, second], console_user, ["wrong-password"] * 12)
    finally:
        second.stop()
    assert sorted(statuses) == [401] * 3 + [429] * 9
