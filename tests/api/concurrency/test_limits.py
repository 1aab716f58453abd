"""Limits before work: an oversized body refused from its headers, stalled and idle connections closed,
a client that hangs up mid-body leaves no traceback.

A server of its own, with IAMD_READ_TIMEOUT=1 and IAMD_TIMEOUT_KEEP_ALIVE=1 so the test is quick. These
limits live in the HTTP layer, before the store, so one backend (SQLite) is enough. What real AWS answers
for an oversized body is not recorded (aws-recorded-errors.md); iamd answers HTTP's 413.
"""

from __future__ import annotations

import socket
import time

import pytest

from tests.api.conftest import client
from tests.api.server import standard_server


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    server = standard_server(tmp_path_factory.mktemp("iamd-limits"))
    server.env_extra.update(IAMD_READ_TIMEOUT="1", IAMD_TIMEOUT_KEEP_ALIVE="1")
    server.start()
    yield server
    server.stop()


def connect(server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    return sock


def head(length: int | None, extra: str = "") -> bytes:
    lines = ["POST / HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/x-www-form-urlencoded"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def read_all(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything the server sends until it closes the connection (fails if it does not, in time)."""
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def closed_within(sock: socket.socket, seconds: float) -> bool:
    try:
        read_all(sock, seconds)
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_a_body_over_the_limit_is_refused_from_its_content_length(quick):
    with connect(quick) as sock:
        started = time.monotonic()
        sock.sendall(head(100 * 1024 * 1024))  # announces 100 MiB, sends none of it
        answer = read_all(sock, 5)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 1.0, "refused at once, without waiting for the body"


def test_a_chunked_body_is_read_only_up_to_the_limit(quick):
    """32 MiB sent without a Content-Length: the server stops reading at 1 MiB and answers 413 (or, when
    the unread rest makes the kernel reset the connection first, the sender finds it closed early)."""
    total, chunk = 32 * 1024 * 1024, b"x" * 65536
    sent, cut_off = 0, False
    with connect(quick) as sock:
        sock.sendall(head(None, "Transfer-Encoding: chunked\r\n"))
        try:
            while sent < total:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            cut_off = True
        try:
            answer = read_all(sock, 5)
        except ConnectionResetError:
            answer = b""
    assert answer.startswith(b"HTTP/1.1 413") or (cut_off and sent < total), (answer[:200], sent)


def test_a_stalled_body_is_answered_408_and_closed(quick):
    with connect(quick) as sock:
        sock.sendall(head(100) + b"Action=Lis")
        started = time.monotonic()
        answer = read_all(sock, 5)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 3.0


def test_idle_and_trickling_connections_are_closed(quick):
    idle = [connect(quick) for _ in range(50)]
    trickling = connect(quick)
    trickling.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:  # a header byte every 0.2 s: never a complete request
        try:
            trickling.sendall(b"X")
        except OSError:
            break
        time.sleep(0.2)
    assert all(closed_within(sock, 2) for sock in idle), "connections without a request are closed"
    assert closed_within(trickling, 1), "a connection trickling its headers is closed"
    for sock in idle + [trickling]:
        sock.close()


def test_a_client_hanging_up_mid_body_leaves_no_traceback(quick):
    for _ in range(5):
        with connect(quick) as sock:
            sock.sendall(head(1000) + b"Action=ListUsers")
        time.sleep(0.05)
    time.sleep(0.5)
    log = quick.log_text()
    assert "Traceback" not in log and "ClientDisconnect" not in log, log[-2000:]
    assert client(quick, "iam").list_users()["Users"] == [], "the server still answers"


def test_a_response_gives_the_connection_a_new_wait_before_it_is_closed(quick):
    """The watchdog's deadline moves with each response (web/limits.py TimedProtocol): a connection
    answered 0.7 s after it opened, then trickling its next request's headers, is still open when its
    first second is over, and closed a second after its answer."""
    body = b"Action=ListUsers&Version=2010-05-08"
    with connect(quick) as sock:
        time.sleep(0.7)
        sock.sendall(head(len(body)) + body)  # unsigned: answered at once, the connection kept
        sock.settimeout(5)
        answered = time.monotonic()
        assert sock.recv(65536).startswith(b"HTTP/1.1 ")
        sock.sendall(b"POST / HTTP/1.1\r\n")
        closed_at = None
        while time.monotonic() - answered < 3:
            try:
                sock.sendall(b"X")
            except OSError:
                closed_at = time.monotonic()
                break
            time.sleep(0.05)
        assert closed_at is not None, "a connection trickling its headers is closed"
        assert 0.8 < closed_at - answered < 2.2
