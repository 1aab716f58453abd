"""A small HTTP/1.1 load generator for pre-signed requests: keep-alive connections on asyncio streams.

Signing with botocore costs ~350 µs of client CPU per request, more than the server's work, so every
request is signed before the timed window and sent as raw bytes; the client then costs a few tens of
microseconds per request.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


@dataclass
class Result:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def sign(host: str, port: int, params: dict, key: str, secret: str, service: str = "iam") -> bytes:
    body = urlencode(params)
    request = AWSRequest(method="POST", url=f"http://{host}:{port}/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    headers = "".join(f"{name}: {value}\r\n" for name, value in prepared.headers.items()
                      if name.lower() != "content-length")
    return (f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\n{headers}Content-Length: {len(body)}\r\n\r\n").encode() \
        + body.encode()


def plain_get(host: str, port: int) -> bytes:
    return f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The status, and whether the server closes the connection after this response."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length, closes = 0, False
    for line in head.split(b"\r\n"):
        lower = line.lower()
        if lower.startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
        elif lower.startswith(b"connection:") and b"close" in lower:
            closes = True
    await reader.readexactly(length)
    return status, closes


async def _worker(host, port, pool, index, deadline, count_limit, latencies, errors, counter):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline and counter[0] < count_limit:
            position = counter[0]
            counter[0] += 1
            payload = pool[position % len(pool)]
            started = time.perf_counter()
            if writer.is_closing():  # the server said Connection: close (moto's does, every time)
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(payload)
            status, closes = await _read_response(reader)
            if closes:
                writer.close()
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors[0] += 1
    finally:
        writer.close()


async def _run(host, port, pool, connections, seconds, count_limit) -> Result:
    latencies: list[float] = []
    errors, counter = [0], [0]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_worker(host, port, pool, i, deadline, count_limit, latencies, errors, counter)
                           for i in range(connections)))
    return Result(len(latencies), time.perf_counter() - started, latencies, errors[0])


def run(host: str, port: int, pool: list[bytes], connections: int = 16, seconds: float = 5.0,
        count_limit: int | None = None) -> Result:
    """Send requests from ``pool`` (cycling, unless count_limit caps it at one use each) for ``seconds``."""
    return asyncio.run(_run(host, port, pool, connections, seconds, count_limit or 10**12))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc."""
    import os

    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
