"""A connection's writes of one event-loop turn leave as one (web/limits.py): a response's head and body in
one system call. Against asyncio's own socket transport (a socket pair): what the peer receives, and when."""

from __future__ import annotations

import asyncio
import socket

import pytest

from iamd.web.limits import _Coalescing


def test_one_turn_s_writes_leave_together_in_order_and_close_flushes_first():
    async def main():
        ours, theirs = socket.socketpair()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_connection(asyncio.Protocol, sock=ours)
        coalescing = _Coalescing(transport, loop)
        coalescing.write(b"HTTP/1.1 200 OK\r\n\r\n")
        coalescing.write(b"body")
        assert coalescing.get_write_buffer_size() == 23 and transport.get_write_buffer_size() == 0
        theirs.setblocking(False)
        with pytest.raises(BlockingIOError):  # nothing has left yet: the head waits for its body
            theirs.recv(100)
        await asyncio.sleep(0)  # the turn ends: both leave in one write
        await asyncio.sleep(0)
        assert theirs.recv(100) == b"HTTP/1.1 200 OK\r\n\r\nbody"
        coalescing.write(b"last words")
        coalescing.close()  # flushed before the close
        await asyncio.sleep(0.01)
        theirs.setblocking(True)
        assert theirs.recv(100) == b"last words" and theirs.recv(100) == b""
        assert coalescing.is_closing()  # the rest is the transport's
        theirs.close()
    asyncio.run(main())


def test_abort_drops_what_is_pending():
    async def main():
        ours, theirs = socket.socketpair()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_connection(asyncio.Protocol, sock=ours)
        coalescing = _Coalescing(transport, loop)
        coalescing.write(b"never sent")
        coalescing.abort()
        await asyncio.sleep(0.01)
        assert theirs.recv(100) == b""
        theirs.close()
    asyncio.run(main())


def test_the_whole_transport_interface_is_the_transport_s():
    """No __getattr__ (it would slow every attribute read): each method of asyncio.Transport is forwarded
    or overridden, none left to the base class's NotImplementedError."""
    public = [name for name in dir(asyncio.Transport) if not name.startswith("_")]
    assert public and all(getattr(_Coalescing, name) is not getattr(asyncio.Transport, name) for name in public)
    assert "__getattr__" not in vars(_Coalescing)

    async def main():
        ours, theirs = socket.socketpair()
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_connection(asyncio.Protocol, sock=ours)
        coalescing = _Coalescing(transport, loop)
        assert coalescing.get_extra_info("peername") == transport.get_extra_info("peername")
        assert coalescing.get_extra_info("no such thing", "default") == "default"
        assert coalescing.get_protocol() is protocol
        coalescing.pause_reading()
        assert not coalescing.is_reading() and not transport.is_reading()
        coalescing.resume_reading()
        assert coalescing.is_reading()
        coalescing.set_write_buffer_limits(high=4096)
        assert coalescing.get_write_buffer_limits() == transport.get_write_buffer_limits()
        assert coalescing.can_write_eof() == transport.can_write_eof()
        coalescing.write(b"then eof")
        coalescing.write_eof()  # flushed first
        await asyncio.sleep(0.01)
        assert theirs.recv(100) == b"then eof" and theirs.recv(100) == b""
        coalescing.close()
        theirs.close()
    asyncio.run(main())
