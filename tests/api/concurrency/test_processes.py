"""Two server processes on one database (PostgreSQL; SQLite: one file), and a process killed mid-write.

- A create and a quota raced from both processes at once: one winner; AccessKeysPerUser (2) holds.
- A key deleted through one process is refused by the other on its very next request.
- kill -9 under write load: every write the killed process acknowledged is there afterwards.
"""

from __future__ import annotations

import threading
import time

import pytest
from botocore.exceptions import ClientError

from tests.api.concurrency.burst import burst, tally
from tests.api.conftest import client, error_of
from tests.api.server import standard_server


@pytest.fixture(scope="module")
def second(server, tmp_path_factory):
    """Another process on the first one's database and data directory (its master key). Shared by the
    tests of this module; the kill -9 test, last, ends it."""
    other = standard_server(tmp_path_factory.mktemp("second"), server.database_url)
    other.data_dir = server.data_dir
    other.start()
    yield other
    other.stop()


def test_a_create_raced_from_two_processes_has_one_winner(server, second, unique):
    name = unique("race2")
    outcomes = burst([server, second], [lambda c: c.create_user(UserName=name)] * 12)
    assert tally(outcomes) == {("ok",): 1, ("EntityAlreadyExists", f"User with name {name} already exists.", 409): 11}


def test_a_quota_raced_from_two_processes_holds(server, second, iam, unique):
    user = unique("two")
    iam.create_user(UserName=user)
    outcomes = burst([server, second], [lambda c: c.create_access_key(UserName=user)] * 20)
    assert tally(outcomes) == {("ok",): 2, ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409): 18}


def test_a_key_deleted_on_one_process_is_refused_by_the_other_at_once(server, second, iam, new_user):
    name, key_id, secret = new_user()
    elsewhere = client(second, "sts", key_id, secret)
    assert elsewhere.get_caller_identity()["Arn"].endswith(f":user/{name}")  # known, cached if anything caches
    iam.delete_access_key(UserName=name, AccessKeyId=key_id)
    with pytest.raises(ClientError) as excinfo:
        elsewhere.get_caller_identity()
    assert error_of(excinfo)[0] == "InvalidClientTokenId"


def test_every_acknowledged_write_survives_kill_9(server, second, iam, unique):
    prefix = f"/{unique('kill')}/"
    acknowledged: list[str] = []
    stop = threading.Event()

    def write(worker: int) -> None:
        iam_second = client(second, "iam")
        count = 0
        while not stop.is_set():
            name = f"{prefix.strip('/')}-{worker}-{count}"
            try:
                iam_second.create_user(UserName=name, Path=prefix)
            except Exception:  # noqa: BLE001 the process is gone: a reset, or half a response
                return
            acknowledged.append(name)
            count += 1

    workers = [threading.Thread(target=write, args=(index,)) for index in range(4)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 20 and time.monotonic() < deadline:  # writes under way, whatever the load
        time.sleep(0.05)
    time.sleep(0.2)
    second.process.kill()  # SIGKILL: no shutdown, no flush
    second.process.wait()
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    assert len(acknowledged) >= 20, f"the load ran before the kill: {len(acknowledged)} writes"
    stored = {user["UserName"] for user in iam.list_users(PathPrefix=prefix, MaxItems=1000)["Users"]}
    assert set(acknowledged) <= stored, sorted(set(acknowledged) - stored)
