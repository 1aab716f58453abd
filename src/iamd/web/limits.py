"""Limits enforced before any work: body size, stalled and idle connections, clients that hang up.

- A body over ``max_body`` is refused from its Content-Length, before a byte of it is read (413, and
  the connection is closed, so the rest is never read either); without a Content-Length (chunked),
  reading stops at the limit.
- A body that stops arriving for ``read_timeout`` seconds is answered 408 and its connection closed.
- A connection that has no request in flight (never sent one, or is trickling its headers) is closed
  after ``read_timeout`` seconds (``TimedProtocol``); an idle keep-alive connection after uvicorn's
  ``timeout_keep_alive``.
- A client that hangs up mid-request costs one debug line, not a traceback.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

log = logging.getLogger("iamd.web")

MAX_BODY = 1024 * 1024
_CLOSE = [(b"connection", b"close"), (b"content-type", b"text/plain; charset=utf-8")]
_CLOSE_HEADER = {"connection": "close"}  # the rest of the body is never read: the connection cannot be reused


class Limits:
    """ASGI middleware: the body limit, the body read timeout, quiet disconnects."""

    def __init__(self, app, max_body: int = MAX_BODY, read_timeout: float = 10.0):
        self.app = app
        self.max_body = max_body
        self.read_timeout = read_timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            return await _refuse(send, 413, b"Request body is too large.")
        received = 0

        async def limited_receive():
            nonlocal received
            try:
                message = await asyncio.wait_for(receive(), self.read_timeout)
            except TimeoutError:
                raise HTTPException(408, "The request body stopped arriving.", headers=_CLOSE_HEADER) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise HTTPException(413, "Request body is too large.", headers=_CLOSE_HEADER)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except ClientDisconnect:
            log.debug("client %s went away before its request was read", _peer(scope))


def _content_length(scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _peer(scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "?"


async def _refuse(send, status: int, text: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": _CLOSE + [(b"content-length", str(len(text)).encode())]})
    await send({"type": "http.response.body", "body": text})


class _Coalescing(asyncio.Transport):
    """A connection's transport whose writes of one event-loop turn go out as one: a response's head and
    body (uvicorn writes each as it is sent) cost one system call and one wake-up of the client instead
    of two, a tenth of a small request's CPU on a loaded machine. Everything else is the transport's,
    forwarded method by method: a ``__getattr__`` would send every attribute read of this object,
    its own included, through Python's slow lookup (~1,400 instructions each, 26 a request)."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        super().__init__()
        self._transport, self._loop = transport, loop
        self._pending: list[bytes | bytearray | memoryview] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def writelines(self, lines) -> None:
        for data in lines:
            self.write(data)

    def _flush(self) -> None:
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    # The rest of asyncio.Transport's interface, the transport's own.
    def get_extra_info(self, name, default=None):
        return self._transport.get_extra_info(name, default)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def set_protocol(self, protocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self):
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()


def timed_protocol(header_timeout: float):
    """uvicorn's HTTP protocol (httptools when installed, else h11), closing connections that have no
    request in flight ``header_timeout`` seconds after they opened or after their last response.

    uvicorn's own keep-alive timer starts only after a response and stops at the first byte of the
    next request, so a connection that never sends a request, or trickles its headers, lives forever.
    """
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    except ImportError:  # httptools is optional
        # The same interface under another name: mypy sees two classes for one name.
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base  # type: ignore[assignment]

    class TimedProtocol(Base):
        _watchdog: asyncio.TimerHandle | None = None
        _deadline = 0.0  # the loop's time at which a connection without a request in flight is closed

        def connection_made(self, transport) -> None:
            # The wrapper is the transport to uvicorn: it forwards whatever it does not override.
            super().connection_made(_Coalescing(transport, self.loop))
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc) -> None:
            if self._watchdog is not None:
                self._watchdog.cancel()
            super().connection_lost(exc)

        def _arm(self) -> None:
            # The deadline moves; a timer already set wakes at the old one and waits for the rest
            # (_expire). Cancelling and setting a timer on every response cost more than reading the time.
            self._deadline = self.loop.time() + header_timeout
            if self._watchdog is None:
                self._watchdog = self.loop.call_at(self._deadline, self._expire)

        def _expire(self) -> None:
            self._watchdog = None
            if self.transport.is_closing():
                return
            if self.loop.time() < self._deadline:  # armed again since this timer was set
                self._watchdog = self.loop.call_at(self._deadline, self._expire)
                return
            if self.cycle is not None and not self.cycle.response_complete:
                self._arm()  # a request in flight: its body has its own timeout, the handler its own pace
                return
            log.debug("closing a connection without a request for %ss", header_timeout)
            self.transport.close()

    return TimedProtocol
