"""Marker and MaxItems, as IAM's list operations page: keyset pagination on the sort key, so that a
page costs the same at the thousandth page as at the first."""

from __future__ import annotations

import base64
import binascii
import json

from iamd.errors import ValidationError

DEFAULT_MAX_ITEMS = 100


def encode_marker(sort_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_key]).encode()).decode()


def decode_marker(marker: str | None) -> str | None:
    if marker is None:
        return None
    try:
        (sort_key,) = json.loads(base64.urlsafe_b64decode(marker.encode()))
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError):
        raise ValidationError("Invalid Marker.") from None
    if not isinstance(sort_key, str):
        raise ValidationError("Invalid Marker.")
    return sort_key


def page(rows: list, max_items: int, sort_key) -> tuple[list, dict]:
    """Cut ``rows`` (fetched with limit max_items + 1) into a page and its IsTruncated/Marker."""
    if len(rows) > max_items:
        rows = rows[:max_items]
        return rows, {"IsTruncated": True, "Marker": encode_marker(sort_key(rows[-1]))}
    return rows, {"IsTruncated": False}
