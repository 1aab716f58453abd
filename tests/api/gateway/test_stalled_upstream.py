"""A stalled upstream read stalls only the request that needs it: iamd (SQLite, one process: its store
transactions run in the event loop) in front of moto through a proxy that holds every GetBucketPolicy of
one bucket for a few seconds. While a request waits for that bucket's policy, another request on the same
server, for another bucket whose policy is cached, and one that iamd answers itself (IAM) are answered
at once. gateway/decision.py reads the upstream in worker threads only (tests/unit/gateway/
test_decision_passes.py covers the rare pass that used to read in its transaction)."""

from __future__ import annotations

import socket
import threading
import time

from tests.api.conftest import client
from tests.api.gateway.conftest import gateway_server, gw_client

STALL_SECONDS = 4.0


class _StallingProxy:
    """TCP to moto; a chunk from iamd that holds ``marker`` is passed on ``STALL_SECONDS`` late."""

    def __init__(self, upstream_port: int, marker: bytes):
        self.upstream_port, self.marker = upstream_port, marker
        self.stalling = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                incoming, _ = self.listener.accept()
            except OSError:
                return
            outgoing = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(incoming, outgoing, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(outgoing, incoming, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, to_upstream: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if to_upstream and self.marker in chunk:
                    self.stalling.set()
                    time.sleep(STALL_SECONDS)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


def test_a_stalled_policy_read_holds_only_its_own_request(moto, tmp_path, unique):
    slow, fast = unique("slow"), unique("fast")
    proxy = _StallingProxy(moto.port, f"GET /{slow}?policy".encode())
    server = gateway_server(tmp_path, proxy.url).start()
    try:
        s3 = gw_client(server, "s3")
        for bucket in (slow, fast):
            s3.create_bucket(Bucket=bucket)
            moto.client("s3").put_object(Bucket=bucket, Key="k", Body=bucket.encode())
        assert s3.get_object(Bucket=fast, Key="k")["Body"].read() == fast.encode()  # its policy now cached
        iam = client(server, "iam")
        iam.list_users()

        answers: list[bytes] = []
        waiting = threading.Thread(target=lambda: answers.append(s3.get_object(Bucket=slow, Key="k")["Body"].read()))
        began = time.monotonic()
        waiting.start()
        assert proxy.stalling.wait(30)
        others = time.monotonic()
        assert s3.get_object(Bucket=fast, Key="k")["Body"].read() == fast.encode()
        iam.list_users()
        answered_others = time.monotonic() - others
        waiting.join(60)
        assert answers == [slow.encode()]  # the stalled read ended, and decided its request
        assert time.monotonic() - began >= STALL_SECONDS
        assert answered_others < STALL_SECONDS / 2  # not held behind the stalled read
    finally:
        server.stop()
        proxy.close()
