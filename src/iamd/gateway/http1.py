"""A lean HTTP/1.1 client for the forward: asyncio streams, llhttp's C parser (httptools, uvicorn's own), a
pool of kept-alive connections. The request head is written by hand, the response parsed by llhttp; both
bodies stream (a request body without a length goes chunked). httpx did this before at ~10 times the CPU per
request (its h11 events alone cost more than the rest of the forward).

A connection goes back to the pool only when its answer was read whole and the upstream keeps it alive
(moto's Werkzeug server never does: it answers ``Connection: close`` every time); an idle connection is
dropped after ``IDLE_SECONDS`` (before a typical server's keep-alive timeout, so that a reused connection
is rarely one the upstream is closing). When it still is (a slow event loop, an upstream restarting), an
idempotent request with its body in hand is sent once more on a new connection.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httptools

from iamd.gateway.deadlines import Deadlines

CHUNK = 64 * 1024
IDLE_SECONDS = 4.0
_NO_BODY_STATUSES = frozenset({204, 304})
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})  # RFC 9110 9.2.2


class Unreachable(Exception):
    """The upstream could not be connected to (refused, unknown host, connect timeout, pool exhausted), or
    closed the connection before its answer's head came (the gateway answers 503, not a 500)."""


class _Connection:
    __slots__ = ("reader", "writer", "idle_since", "reused")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.idle_since = 0.0
        self.reused = False  # taken from the pool: the upstream may have closed it meanwhile

    def close(self) -> None:
        self.writer.close()


class _NoAnswer(ConnectionError):
    """The connection closed before a byte of the answer came."""


class Response:
    """The upstream's answer: status and raw headers at once, the body read as it is relayed."""

    def __init__(self, client: Client, connection: _Connection, parser: _Parser, head_only: bool):
        self._client, self._connection, self._parser = client, connection, parser
        self.status_code = parser.status
        self.headers_raw = parser.headers
        self.header_names = parser.names  # headers_raw's names, lower-cased
        self._head_only = head_only
        self._closed = False

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body's bytes, de-chunked (as httpx's aiter_raw: content codings untouched)."""
        parser = self._parser
        if self._head_only:
            parser.complete = True
            return
        while True:
            if parser.body:
                chunks, parser.body = parser.body, []
                for chunk in chunks:
                    yield chunk
            if parser.complete:
                return
            with self._client.deadlines.within(self._client.read_timeout):
                data = await self._connection.reader.read(CHUNK)
            if not data:
                if parser.delimited_by_close:
                    parser.complete, parser.keep_alive = True, False
                    continue
                raise ConnectionError("the upstream closed the connection before its answer was complete")
            parser.feed(data)

    def body_if_complete(self) -> bytes | None:
        """The whole body when it has all come with the head (a small answer), else None (stream it)."""
        parser = self._parser
        if self._head_only:
            parser.complete = True
            return b""
        if not parser.complete:
            return None
        chunks, parser.body = parser.body, []
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._client.release(self._connection, self._parser.complete and self._parser.keep_alive)


class _Parser:
    """llhttp's callbacks for one response; header names as sent (relay compares them lower-cased)."""

    def __init__(self) -> None:
        self.on_message_begin()
        self.started = False  # a byte of the answer has come
        self._parser = httptools.HttpResponseParser(self)

    def on_message_begin(self) -> None:  # again after an interim (1xx) answer
        self.headers: list[tuple[bytes, bytes]] = []
        self.names: list[bytes] = []  # the headers' names, lower-cased once (relay compares them)
        self.body: list[bytes] = []
        self.status = 0
        self.headers_done = self.complete = self.keep_alive = self.delimited_by_close = False

    @property
    def final(self) -> bool:
        """The head of the answer itself has come (not an interim 1xx one)."""
        return self.headers_done and (self.status >= 200 or self.status == 101)

    def feed(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self.headers_done:  # a chunked body's trailer fields are dropped, as httpx did
            self.headers.append((name, value))
            self.names.append(name.lower())

    def on_headers_complete(self) -> None:
        self.headers_done = True
        self.status = self._parser.get_status_code()
        self.keep_alive = self._parser.should_keep_alive()
        names = self.names
        self.delimited_by_close = (b"content-length" not in names and b"transfer-encoding" not in names
                                   and self.status not in _NO_BODY_STATUSES and self.status >= 200)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class Client:
    def __init__(self, url: str, *, connect_timeout: float = 5.0, read_timeout: float = 300.0,
                 pool_timeout: float = 30.0, max_connections: int = 256, max_idle: int = 64):
        parts = urlsplit(url)
        self.secure = parts.scheme == "https"
        self.hostname = parts.hostname or "localhost"
        self.port = parts.port or (443 if self.secure else 80)
        self.connect_timeout, self.read_timeout, self.pool_timeout = connect_timeout, read_timeout, pool_timeout
        self.max_idle = max_idle
        self._idle: deque[_Connection] = deque()
        self._slots = asyncio.Semaphore(max_connections)
        self._ssl: ssl.SSLContext | None = ssl.create_default_context() if self.secure else None
        self.deadlines = Deadlines()  # the reads' timeouts: one timer for them all, not one per read

    async def _connection(self) -> _Connection:
        """A kept-alive connection from the pool (``reused`` set), else a new one."""
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if now - connection.idle_since < IDLE_SECONDS and not connection.reader.at_eof():
                connection.reused = True
                return connection
            connection.close()
        return await self._connect()

    async def _connect(self) -> _Connection:
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(
                    self.hostname, self.port, ssl=self._ssl, limit=CHUNK * 4,
                    server_hostname=self.hostname if self._ssl else None)
        except (OSError, TimeoutError) as error:
            raise Unreachable(str(error) or type(error).__name__) from None
        return _Connection(reader, writer)

    def release(self, connection: _Connection, reusable: bool) -> None:
        self._slots.release()
        if reusable and len(self._idle) < self.max_idle and not connection.writer.is_closing():
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()

    async def send(self, method: str, target: str, host: str, headers: dict[str, str],
                   body: bytes | AsyncIterator[bytes]) -> Response:
        """Send the request; the response once its head has come (its body is read by ``aiter_raw``)."""
        chunked = not isinstance(body, bytes) and "content-length" not in headers
        head = _head(method, target, host, headers, chunked=chunked)
        if self._slots.locked():  # else acquire() returns at once: no timer needed
            try:
                async with asyncio.timeout(self.pool_timeout):
                    await self._slots.acquire()
            except TimeoutError:
                raise Unreachable("no free connection to the upstream") from None
        else:
            await self._slots.acquire()
        try:
            connection = await self._connection()
        except BaseException:
            self._slots.release()
            raise
        try:
            try:
                return await self._exchange(connection, method, head, body, chunked)
            except _NoAnswer:
                # Closed before answering, most often by the upstream's idle timeout just as the pool
                # reused the connection: an idempotent request with its body in hand is sent once more
                # on a new connection, as RFC 9110 9.2.2 allows. Anything else is the upstream's failure.
                if not (connection.reused and method in _IDEMPOTENT and isinstance(body, bytes)):
                    raise
            connection.close()
            connection = await self._connect()
            return await self._exchange(connection, method, head, body, chunked)
        except ConnectionError as error:  # closed before the answer's head came: the upstream failed
            self.release(connection, False)
            raise Unreachable(str(error) or type(error).__name__) from None
        except BaseException:
            self.release(connection, False)
            raise

    async def _exchange(self, connection: _Connection, method: str, head: bytes,
                        body: bytes | AsyncIterator[bytes], chunked: bool) -> Response:
        writer = connection.writer
        if isinstance(body, bytes):
            try:
                writer.write(head + body)
                await writer.drain()
            except ConnectionError as error:  # closed before it could be written: nothing was answered
                raise _NoAnswer(str(error)) from None
        else:
            writer.write(head)
            try:
                await _send_stream(writer, body, chunked)
            except ConnectionError:  # the upstream stopped reading: its answer may still say why
                pass
            await writer.drain()
        parser = _Parser()
        with self.deadlines.within(self.read_timeout):  # the answer's head: one deadline for all its reads
            while not parser.final:  # an interim answer (100 Continue ...) is skipped: the real one follows
                try:
                    data = await connection.reader.read(CHUNK)
                except ConnectionError as error:
                    if parser.started:
                        raise
                    raise _NoAnswer(str(error)) from None
                if not data:
                    if parser.started:
                        raise ConnectionError("the upstream closed the connection in the middle of its answer")
                    raise _NoAnswer("the upstream closed the connection without an answer")
                parser.started = True
                parser.feed(data)
        return Response(self, connection, parser, head_only=method == "HEAD")

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()


async def _send_stream(writer: asyncio.StreamWriter, body: AsyncIterator[bytes], chunked: bool) -> None:
    async for chunk in body:
        if not chunk:
            continue
        if chunked:
            writer.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        else:
            writer.write(chunk)
        await writer.drain()
    if chunked:
        writer.write(b"0\r\n\r\n")


def _head(method: str, target: str, host: str, headers: dict[str, str], *, chunked: bool) -> bytes:
    lines = [f"{method} {target} HTTP/1.1\r\n", f"host: {host}\r\n"]
    lines.extend(f"{name}: {value}\r\n" for name, value in headers.items())
    if chunked:
        lines.append("transfer-encoding: chunked\r\n")
    lines.append("\r\n")
    text = "".join(lines)
    # A name or value holding a line break would be a header of its own (request splitting): the client's
    # headers came through uvicorn's parser, which refuses them, but the head is checked once more here.
    if text.count("\n") != len(lines) or text.count("\r") != len(lines) or " " in target:
        raise ValueError("a forwarded header or the target holds a line break or a space")
    return text.encode("latin-1")
