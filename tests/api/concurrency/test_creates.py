"""Concurrent creates of one name: exactly one wins, the others get EntityAlreadyExists."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import client, error_of
from tests.api.server import standard_server


def race(clients, name: str) -> list[str]:
    def attempt(iam) -> str:
        try:
            iam.create_user(UserName=name)
            return "created"
        except ClientError as error:
            return error.response["Error"]["Code"]

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(attempt, clients))


def test_one_winner_on_one_server(server, unique):
    name = unique("race")
    outcomes = race([client(server, "iam") for _ in range(12)], name)
    assert outcomes.count("created") == 1
    assert outcomes.count("EntityAlreadyExists") == 11
    with pytest.raises(ClientError) as excinfo:
        client(server, "iam").create_user(UserName=name)
    assert error_of(excinfo)[0] == "EntityAlreadyExists"


def test_one_winner_across_two_server_processes(server, unique, tmp_path):
    """Two processes sharing one PostgreSQL database (SQLite: one file) race for the same name."""
    second = standard_server(tmp_path, server.database_url)
    second.data_dir = server.data_dir  # same master key and, for SQLite, the same database file
    second.start()
    try:
        name = unique("race2")
        clients = [client(server, "iam") for _ in range(6)] + [client(second, "iam") for _ in range(6)]
        outcomes = race(clients, name)
        assert outcomes.count("created") == 1
        assert outcomes.count("EntityAlreadyExists") == 11
    finally:
        second.stop()
