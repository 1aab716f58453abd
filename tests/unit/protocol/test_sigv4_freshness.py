"""check_freshness (protocol/sigv4.py) compares the request's age once: the bounds are AWS's 15 minutes
each way and a presigned URL's X-Amz-Expires, inclusive, as before; and a presigned URL dated at the end
of the calendar is refused as not yet current, not a 500 (adding its expiry to its date overflowed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iamd.errors import SignatureDoesNotMatch
from iamd.protocol import sigv4

SIGNED_AT = datetime(2026, 11, 26, 11, 15, 47, tzinfo=UTC)


def _presigned(date: str, expires: str) -> sigv4.SignedRequest:
    query = {"X-Amz-Algorithm": sigv4.ALGORITHM,
             "X-Amz-Credential": f"AKIAEXAMPLE/{date[:8]}/us-east-1/iam/aws4_request",
             "X-Amz-Date": date, "X-Amz-SignedHeaders": "host", "X-Amz-Signature": "ab", "X-Amz-Expires": expires}
    return sigv4.parse_signature("GET", "/", "", {"host": "127.0.0.1"}, b"", query)


def _signed() -> sigv4.SignedRequest:
    authorization = ("AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261126/us-east-1/iam/aws4_request, "
                     "SignedHeaders=host;x-amz-date, Signature=ab")
    return sigv4.parse_signature("POST", "/", "", {"authorization": authorization, "host": "127.0.0.1",
                                                    "x-amz-date": "20261126T111547Z"}, b"", {})


@pytest.mark.parametrize("offset, message", [
    (timedelta(minutes=15), None),
    (timedelta(minutes=15, microseconds=1), "Signature expired: 20261126T111547Z is now earlier than "
                                            "20261126T111547Z (20261126T113047Z - 15 min.)"),
    (-timedelta(minutes=15), None),
    (-timedelta(minutes=15, microseconds=1), "Signature not yet current: 20261126T111547Z is still later than "
                                             "20261126T111546Z (20261126T110046Z + 15 min.)"),
])
def test_the_fifteen_minutes_each_way_are_inclusive(offset, message):
    now = SIGNED_AT + offset
    if message is None:
        sigv4.check_freshness(_signed(), now)
    else:
        with pytest.raises(SignatureDoesNotMatch) as refused:
            sigv4.check_freshness(_signed(), now)
        assert str(refused.value) == message


def test_a_presigned_url_lives_its_expiry_and_not_a_microsecond_more():
    signed = _presigned("20261126T111547Z", "3600")
    sigv4.check_freshness(signed, SIGNED_AT + timedelta(hours=1))
    with pytest.raises(SignatureDoesNotMatch) as refused:
        sigv4.check_freshness(signed, SIGNED_AT + timedelta(hours=1, microseconds=1))
    assert str(refused.value) == ("Signature expired: 20261126T111547Z is now earlier than 20261126T111547Z "
                                  "(20261126T121547Z - 3600 sec.)")


def test_a_presigned_url_dated_at_the_end_of_the_calendar_is_not_yet_current():
    with pytest.raises(SignatureDoesNotMatch) as refused:
        sigv4.check_freshness(_presigned("99991231T235959Z", "604800"), SIGNED_AT)
    assert str(refused.value) == ("Signature not yet current: 99991231T235959Z is still later than "
                                  "20261126T113047Z (20261126T111547Z + 15 min.)")
