"""Bodies stream through the gateway both ways: a 256 MiB upload and its download leave iamd's peak
memory (VmHWM) nearly where it was; the object reaches moto whole."""

from __future__ import annotations

import hashlib

import httpx

from tests.api.gateway import s3_wire
from tests.api.gateway.conftest import ROOT_KEY_ID, ROOT_SECRET, gw_client

SIZE = 256 * 1024 * 1024
_BLOCK = bytes(range(256)) * 4096  # 1 MiB


def _peak_rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _blocks():
    for _ in range(SIZE // len(_BLOCK)):
        yield _BLOCK


def test_256_mib_up_and_down_with_flat_memory(gateway, moto, unique):
    bucket = unique("big")
    gw_client(gateway, "s3").create_bucket(Bucket=bucket)
    before = _peak_rss_mib(gateway.process.pid)
    url = f"{gateway.endpoint}/{bucket}/big.bin"
    headers = s3_wire.signed_headers("PUT", url, ROOT_KEY_ID, ROOT_SECRET, "UNSIGNED-PAYLOAD", {})
    headers["content-length"] = str(SIZE)
    answer = httpx.put(url, headers=headers, content=_blocks(), timeout=600)
    assert answer.status_code == 200, answer.text
    assert moto.client("s3").head_object(Bucket=bucket, Key="big.bin")["ContentLength"] == SIZE
    digest, received = hashlib.sha256(), 0
    get = s3_wire.signed_headers("GET", url, ROOT_KEY_ID, ROOT_SECRET, "UNSIGNED-PAYLOAD", {})
    with httpx.stream("GET", url, headers=get, timeout=600) as download:
        assert download.status_code == 200
        for chunk in download.iter_raw():
            digest.update(chunk)
            received += len(chunk)
    assert received == SIZE
    expected = hashlib.sha256()
    for block in _blocks():
        expected.update(block)
    assert digest.digest() == expected.digest()
    grown = _peak_rss_mib(gateway.process.pid) - before
    assert grown < 64, f"iamd's peak memory grew by {grown:.0f} MiB for a {SIZE >> 20} MiB body"
