"""The gateway's lean HTTP/1.1 client (gateway/http1.py) against a real socket server written here byte by
byte, so that each framing RFC 9112 allows is what the client reads: Content-Length, chunked (trailer
fields dropped), a body delimited by the connection's close, HEAD and 204 without a body; a kept-alive
connection is reused, one the server closes is not; a body without a length is sent chunked.

Reference: RFC 9112 (HTTP/1.1), sections 6 "Message Body", 7.1 "Chunked Transfer Coding" and 9.3
"Persistence"."""

from __future__ import annotations

import asyncio

import pytest

from iamd.gateway import http1

RESPONSES = {
    "/length": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Up: 1\r\n\r\nhello",
    "/chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\n\r\n"
                b"3\r\nabc\r\n2\r\nde\r\n0\r\nx-checksum: zz\r\n\r\n",
    "/close": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
    "/head": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
    "/empty": b"HTTP/1.1 204 No Content\r\n\r\n",
    "/continue": b"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
}


class Upstream:
    """Counts connections; answers by path; echoes a request body (decoded from chunks) on /echo."""

    def __init__(self) -> None:
        self.connections = 0
        self.bodies: list[bytes] = []
        self.drop_next = False  # after answering /then-drop, the next request's connection closes unanswered

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                lines = head.decode("latin-1").split("\r\n")
                _method, path, _ = lines[0].split(" ")
                fields = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
                body = b""
                if "content-length" in fields:
                    body = await reader.readexactly(int(fields["content-length"]))
                elif fields.get("transfer-encoding") == "chunked":
                    while size := int((await reader.readuntil(b"\r\n"))[:-2], 16):
                        body += (await reader.readexactly(size + 2))[:-2]
                    await reader.readuntil(b"\r\n")
                self.bodies.append(body)
                if self.drop_next:  # as a server whose idle timeout closes the connection just then
                    self.drop_next = False
                    return
                self.drop_next = path == "/then-drop"
                answer = RESPONSES.get(path) or b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                if path == "/continue":  # the interim answer first, alone, as a server sends it
                    interim, _, answer = answer.partition(b"\r\n\r\n")
                    writer.write(interim + b"\r\n\r\n")
                    await writer.drain()
                    await asyncio.sleep(0.05)
                writer.write(answer)
                await writer.drain()
                if path == "/close":
                    return
        finally:
            writer.close()


async def _exchange(client: http1.Client, method: str, path: str, body=b"", headers=None):
    response = await client.send(method, path, "upstream", dict(headers or {}), body)
    data = b"".join([chunk async for chunk in response.aiter_raw()])
    await response.aclose()
    return response, data


def _run(scenario):
    async def main():
        upstream = Upstream()
        server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = http1.Client(f"http://127.0.0.1:{port}")
        try:
            return await scenario(client, upstream)
        finally:
            await client.aclose()
            server.close()
    return asyncio.run(main())


def test_each_framing_is_read_whole_and_a_kept_alive_connection_is_reused():
    async def scenario(client, upstream):
        response, data = await _exchange(client, "GET", "/length")
        assert (response.status_code, data) == (200, b"hello") and (b"X-Up", b"1") in response.headers_raw
        response, data = await _exchange(client, "GET", "/chunked")
        assert data == b"abcde" and not any(name.lower() == b"x-checksum" for name, _ in response.headers_raw)
        response, data = await _exchange(client, "HEAD", "/head")
        assert (response.status_code, data) == (200, b"")
        response, data = await _exchange(client, "DELETE", "/empty")
        assert (response.status_code, data) == (204, b"")
        response, data = await _exchange(client, "PUT", "/continue", b"xy", {"content-length": "2"})
        assert (response.status_code, data) == (201, b"ok") and (b"Content-Length", b"2") in response.headers_raw
        assert not any(name == b"X-Interim" for name, _ in response.headers_raw)
        assert upstream.connections == 1  # five exchanges, one connection
        response, data = await _exchange(client, "GET", "/close")
        assert data == b"until the end"
        await _exchange(client, "GET", "/length")
        assert upstream.connections == 2  # the closed one was not reused
    _run(scenario)


def test_a_body_streams_chunked_without_a_length_and_as_is_with_one():
    async def parts():
        for part in (b"one ", b"", b"two ", b"three"):
            yield part

    async def scenario(client, upstream):
        response, data = await _exchange(client, "PUT", "/echo", parts())
        assert data == b"one two three" and upstream.bodies[-1] == b"one two three"
        response, data = await _exchange(client, "PUT", "/echo", parts(), {"content-length": "13"})
        assert data == b"one two three"
        assert upstream.connections == 1
    _run(scenario)


def test_a_line_break_in_a_header_is_refused_before_anything_is_sent():
    async def scenario(client, upstream):
        with pytest.raises(ValueError):
            await client.send("GET", "/length", "upstream", {"x-a": "1\r\nx-injected: 2"}, b"")
        return upstream.bodies
    assert _run(scenario) == []


def test_an_upstream_that_refuses_the_connection_is_unreachable():
    async def main():
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        with pytest.raises(http1.Unreachable):
            await http1.Client(f"http://127.0.0.1:{port}").send("GET", "/", "u", {}, b"")
    asyncio.run(main())


def test_a_small_answer_that_came_with_its_head_is_had_whole_and_a_streamed_one_is_not():
    async def scenario(client, upstream):
        response = await client.send("GET", "/length", "upstream", {}, b"")
        assert response.body_if_complete() == b"hello"  # came in the head's read: one message to relay
        await response.aclose()
        response = await client.send("HEAD", "/head", "upstream", {}, b"")
        assert response.body_if_complete() == b""
        await response.aclose()
        response = await client.send("GET", "/close", "upstream", {}, b"")
        assert response.body_if_complete() is None  # delimited by the close: still to be read
        assert b"".join([chunk async for chunk in response.aiter_raw()]) == b"until the end"
        await response.aclose()
        response, data = await _exchange(client, "GET", "/length")
        assert data == b"hello"
        assert upstream.connections == 2  # the first connection was reused after the whole small answers
    _run(scenario)


def test_relay_sends_a_whole_small_answer_as_one_body_message():
    from iamd.gateway.forward import relay

    async def scenario(client, upstream):
        sent: list[dict] = []

        async def send(message):
            sent.append(message)

        await relay(await client.send("GET", "/length", "upstream", {}, b""), send)
        assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
        assert sent[1]["body"] == b"hello" and not sent[1].get("more_body", False)
        sent.clear()
        await relay(await client.send("GET", "/chunked", "upstream", {}, b""), send)
        assert b"".join(message.get("body", b"") for message in sent[1:]) == b"abcde"
        assert not sent[-1].get("more_body", False)
    _run(scenario)


def test_an_idempotent_request_on_a_kept_alive_connection_closed_unanswered_is_sent_again_on_a_new_one():
    async def scenario(client, upstream):
        await _exchange(client, "GET", "/then-drop")
        response, data = await _exchange(client, "GET", "/length")  # reused, closed unanswered, sent again
        assert (response.status_code, data) == (200, b"hello")
        assert upstream.connections == 2 and upstream.bodies[-2:] == [b"", b""]
        await _exchange(client, "GET", "/then-drop")
        # A POST is not replayed (the upstream may have acted on it): the upstream failed, and the gateway
        # answers UpstreamUnavailable (503) for it, not an internal error.
        with pytest.raises(http1.Unreachable):
            await _exchange(client, "POST", "/echo", b"once")
        assert upstream.connections == 2
        response, data = await _exchange(client, "GET", "/length")  # the broken connection was not pooled
        assert data == b"hello" and upstream.connections == 3
    _run(scenario)
