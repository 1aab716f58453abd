"""security.totp: RFC 6238 codes, windows, replay marks, the provisioning URI and its QR code."""

import base64
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import zxingcpp
from PIL import Image

from iamd.security import totp

# RFC 6238 appendix B, SHA-1: the seed is ASCII "12345678901234567890"; the RFC shows 8 digits, whose
# last 6 are the 6-digit codes.
RFC_SEED = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "287082"),
    (1111111109, "081804"),
    (1111111111, "050471"),
    (1234567890, "005924"),
    (2000000000, "279037"),
    (20000000000, "353130"),
]


@pytest.mark.parametrize("seconds, code", RFC_VECTORS)
def test_rfc6238_vectors(seconds, code):
    assert totp.code_at(RFC_SEED, totp.time_step(seconds)) == code


def test_seed_is_64_base32_characters_and_random():
    seed = totp.new_seed()
    assert len(seed) == 64 and set(seed) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert len(base64.b32decode(seed)) == 40
    assert seed != totp.new_seed()


def _at(step: int) -> datetime:
    return datetime.fromtimestamp(step * 30 + 7, tz=UTC)


def test_match_step_window_and_replay_mark():
    seed, now_step = totp.new_seed(), 57_000_000
    now = _at(now_step)
    for offset in (-1, 0, 1):
        assert totp.match_step(seed, totp.code_at(seed, now_step + offset), now) == now_step + offset
    for offset in (-3, -2, 2, 3):
        code = totp.code_at(seed, now_step + offset)
        if all(code != totp.code_at(seed, now_step + o) for o in (-1, 0, 1)):
            assert totp.match_step(seed, code, now) is None
    current = totp.code_at(seed, now_step)
    assert totp.match_step(seed, current, now, after=now_step - 1) == now_step
    assert totp.match_step(seed, current, now, after=now_step) is None  # used once already


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", None, "12 456"])
def test_malformed_codes_never_match(code):
    assert totp.match_step(totp.new_seed(), code, datetime.now(UTC)) is None


def test_match_pair_wants_consecutive_codes():
    seed, now_step = totp.new_seed(), 57_000_100
    now = _at(now_step)
    c = {s: totp.code_at(seed, s) for s in range(now_step - 4, now_step + 4)}
    assert totp.match_pair(seed, c[now_step - 1], c[now_step], now) == now_step
    assert totp.match_pair(seed, c[now_step - 2], c[now_step - 1], now + timedelta(seconds=0)) == now_step - 1
    assert totp.match_pair(seed, c[now_step], c[now_step - 1], now) is None  # wrong order
    assert totp.match_pair(seed, c[now_step], c[now_step], now) is None  # the same code twice
    assert totp.match_pair(seed, c[now_step - 1], c[now_step], now, after=now_step - 1) is None
    assert totp.match_pair(seed, c[now_step - 1], c[now_step], now, after=now_step - 2) == now_step


def test_provisioning_uri_and_qr_code_round_trip():
    seed = totp.new_seed()
    uri = totp.provisioning_uri(seed, "my-device", "123456789012")
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert unquote(parsed.path) == "/iamd:my-device@123456789012"
    query = parse_qs(parsed.query)
    assert query["secret"] == [seed] and query["issuer"] == ["iamd"]
    png = totp.qr_png(uri)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [barcode.text for barcode in decoded] == [uri]
