"""Example values generated from botocore shapes: every member filled, values within the constraints."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from iamd.protocol.constraints import java_pattern

POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/a b%3A&<x>"}],
})

# Tried in order; the first that satisfies length and pattern wins. Rich ones first, to exercise escaping.
CANDIDATES = [
    "Some text & <more> é, \r\nand: 100%",
    "Some text & <more> é, and: 100%",
    "Name+=,.@-_x",
    "name",
    "/path/to/",
    "/",
    "v1",
    "123456789012",
    "AKIAIOSFODNN7EXAMPLE",
    "arn:aws:iam::123456789012:user/name",
    "https://example.com/a",
    "o-abcdefghij",
    "o-abcdefghij/r-abcd",
    "p-abcdefgh",
    "abc",
    "0",
]


def string_value(shape, variant: int = 0) -> str:
    if shape.enum:
        return shape.enum[variant % len(shape.enum)]
    if shape.name == "policyDocumentType":
        return POLICY
    meta = shape.metadata
    lo, hi = meta.get("min", 0), meta.get("max", 10_000)
    rx = java_pattern(meta["pattern"]) if "pattern" in meta else None
    for base in CANDIDATES:
        for cand in (base + (str(variant) if variant else ""), base):
            if len(cand) < lo:
                cand = cand + cand[-1] * (lo - len(cand))
            cand = cand[:hi]
            if len(cand) >= lo and (rx is None or rx.fullmatch(cand)):
                return cand
    raise AssertionError(f"no candidate fits {shape.name} {meta}")


def value_for(shape, variant: int = 0, depth: int = 0, empty: bool = False):
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            if depth > 12:
                break
            out[name] = value_for(member, variant, depth + 1, empty)
            if shape.is_tagged_union:
                break
        return out
    if kind == "list":
        n = meta.get("min", 0) if empty else max(min(2, meta.get("max", 2)), meta.get("min", 0))
        return [value_for(shape.member, variant + i, depth + 1, empty) for i in range(n)]
    if kind == "map":
        n = meta.get("min", 0) if empty else max(min(2, meta.get("max", 2)), meta.get("min", 0))
        return {string_value(shape.key, variant + i): value_for(shape.value, variant + i, depth + 1, empty)
                for i in range(n)}
    if kind == "string":
        return string_value(shape, variant)
    if kind in ("integer", "long"):
        lo, hi = meta.get("min", 0), meta.get("max", 10**6)
        return max(lo, min(hi, 3600 + variant))
    if kind == "boolean":
        return variant % 2 == 0
    if kind == "timestamp":
        return datetime(2024, 1, 2, 3, 4, 5 + variant, tzinfo=UTC)
    if kind == "blob":
        return b"\x00\xffbinary" + bytes([variant])
    if kind in ("float", "double"):
        return 1.5 + variant
    raise AssertionError(kind)
