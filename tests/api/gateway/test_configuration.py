"""The gateway's settings: no upstream (unchanged iamd), an unreachable upstream (503 in the service's
shape, never a 500), and IAMD_UPSTREAM_UNCLASSIFIED=forward (authenticated, not authorized)."""

from __future__ import annotations

import socket
import threading

import botocore.exceptions
import httpx
import pytest

from tests.api.conftest import client, error_of
from tests.api.gateway.conftest import gateway_server, gw_client
from tests.api.server import free_port, standard_server


@pytest.fixture
def started(tmp_path, database_url):
    servers = []

    def start(**env):
        server = gateway_server(tmp_path / f"s{len(servers)}", env.pop("upstream"), database_url, **env) \
            if "upstream" in env else standard_server(tmp_path / f"s{len(servers)}", database_url)
        servers.append(server.start())
        return server
    yield start
    for server in servers:
        server.stop()


def test_an_unreachable_upstream_is_a_503_in_the_service_s_shape(started):
    server = started(upstream=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        gw_client(server, "dynamodb").list_tables()
    code, message, status = error_of(refused)
    assert (code, status) == ("ServiceUnavailableException", 503)
    assert "unreachable" in message
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        gw_client(server, "s3").list_buckets()
    assert error_of(refused)[0::2] == ("ServiceUnavailable", 503)
    assert client(server, "sts").get_caller_identity()["Arn"].endswith(":root")  # iamd's own still answer


def test_an_upstream_that_hangs_up_without_answering_is_a_503_never_a_500(started):
    """An upstream that accepts the connection, reads the request and closes without a byte of answer:
    the client gets the service's ServiceUnavailable (503), as for an unreachable one, and no 500."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # the listener was closed: the test is over
                return
            connection.recv(65536)
            connection.close()
    threading.Thread(target=hang_up, daemon=True).start()
    try:
        server = started(upstream=f"http://127.0.0.1:{port}")
        with pytest.raises(botocore.exceptions.ClientError) as refused:  # a POST: never sent twice
            gw_client(server, "dynamodb", retries={"max_attempts": 1}).list_tables()
        assert error_of(refused)[0::2] == ("ServiceUnavailableException", 503)
    finally:
        listener.close()


def test_without_an_upstream_nothing_is_forwarded(started):
    server = started()
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        gw_client(server, "dynamodb").list_tables()
    assert error_of(refused)[0] != "ServiceUnavailableException"
    assert httpx.get(f"{server.endpoint}/some-bucket/key").status_code == 404


def test_unclassified_requests_forwarded_when_the_operator_says_so(started, moto):
    server = started(upstream=moto.url, IAMD_UPSTREAM_UNCLASSIFIED="forward")
    dynamodb = gw_client(server, "dynamodb")
    dynamodb.meta.events.register_first(
        "before-sign.dynamodb.ListTables",
        lambda request, **_: request.headers.__setitem__("X-Amz-Target", "NoSuchService_2020.DoThings"))
    try:
        dynamodb.list_tables()
    except botocore.exceptions.ClientError as answered:  # moto's own answer to a target it does not know
        assert "could not classify" not in str(answered)
    bad = gw_client(server, "dynamodb", secret="wrong" * 8)
    with pytest.raises(botocore.exceptions.ClientError) as refused:  # still authenticated
        bad.list_tables()
    assert error_of(refused)[0] == "InvalidSignatureException"
