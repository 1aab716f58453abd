"""Many clients at once: each thread has its own boto3 client (retries off), and a barrier releases
them together, so that the calls really overlap on the server."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from tests.api.conftest import client


def outcome_of(call) -> tuple:
    """("ok",) or (code, message, HTTP status)."""
    try:
        call()
        return ("ok",)
    except ClientError as error:
        response = error.response
        return (response["Error"]["Code"], response["Error"].get("Message"),
                response["ResponseMetadata"]["HTTPStatusCode"])


def burst(servers, calls, **credentials) -> list[tuple]:
    """Run ``calls[i](iam_client)`` on its own thread and client, all released at once.

    ``servers``: one server, or a list whose clients are dealt round-robin (several processes);
    ``credentials``: key_id and secret, when not the root user of the standard account.
    """
    servers = servers if isinstance(servers, list) else [servers]
    clients = [_client(servers[index % len(servers)], index, **credentials) for index in range(len(calls))]
    barrier = threading.Barrier(len(calls))

    def run(index: int) -> tuple:
        barrier.wait(timeout=30)
        return outcome_of(lambda: calls[index](clients[index]))

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, range(len(calls))))


_CLIENTS: dict = {}


def _client(server, index: int, **credentials):
    """The index-th client of this server and caller, made once: making 20 clients costs seconds."""
    key = (server.endpoint, index, tuple(sorted(credentials.items())))
    if key not in _CLIENTS:
        _CLIENTS[key] = client(server, "iam", **credentials)
    return _CLIENTS[key]


def tally(outcomes: list[tuple]) -> Counter:
    return Counter(outcomes)
