"""Which botocore services a request may be for: signing names, endpoint prefixes, target prefixes.

Finding a service by its SigV4 signing name or its ``X-Amz-Target`` prefix needs every service model's
metadata, and loading all ~450 models takes tens of seconds. So the metadata is extracted once, when
botocore is upgraded, into ``data/botocore_index.json`` (``python -m iamd.gateway.service_index``
rewrites it; a unit test fails when it no longer matches the installed botocore). The index only
proposes candidates: classify.py checks each against the service's real model before using it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import botocore
import botocore.loaders

INDEX_PATH = Path(__file__).resolve().parent / "data" / "botocore_index.json"


@dataclass(frozen=True)
class ServiceMeta:
    name: str  # botocore's service name: "s3", "dynamodb", "stepfunctions"
    signing_name: str  # SigV4 credential scope's service: "s3", "dynamodb", "states"
    endpoint_prefix: str  # "s3", "dynamodb", "states", "monitoring"
    target_prefix: str | None  # X-Amz-Target / smithy service name: "DynamoDB_20120810"
    protocols: tuple[str, ...]  # every protocol the service accepts, the preferred one first


@dataclass(frozen=True)
class ServiceIndex:
    botocore_version: str
    services: dict[str, ServiceMeta]
    by_signing_name: dict[str, tuple[str, ...]]
    by_endpoint_prefix: dict[str, tuple[str, ...]]
    by_target_prefix: dict[str, tuple[str, ...]]


@cache
def loader() -> Any:
    """One botocore Loader for the process: it caches the models it has read."""
    return botocore.loaders.Loader()


def metadata_of(name: str, model: dict[str, Any]) -> dict[str, Any]:
    md = model["metadata"]
    return {
        "signing_name": md.get("signingName") or md["endpointPrefix"],
        "endpoint_prefix": md["endpointPrefix"],
        "target_prefix": md.get("targetPrefix"),
        "protocols": list(md.get("protocols") or [md["protocol"]]),
    }


def build() -> dict[str, Any]:
    """Read every service model of the installed botocore (slow: run at upgrade time, not at run time)."""
    load = loader()
    return {
        "botocore_version": botocore.__version__,
        "services": {name: metadata_of(name, load.load_service_model(name, "service-2"))
                     for name in sorted(load.list_available_services("service-2"))},
    }


def _group(services: dict[str, ServiceMeta], attr: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for meta in services.values():
        key = getattr(meta, attr)
        if key:
            out.setdefault(key, []).append(meta.name)
    # The service whose name is the key first: "s3" before "s3control" for signing name "s3".
    return {k: tuple(sorted(v, key=lambda n: (n != k, n))) for k, v in out.items()}


@cache
def index() -> ServiceIndex:
    raw = json.loads(INDEX_PATH.read_text("utf-8"))
    services = {
        name: ServiceMeta(name, m["signing_name"], m["endpoint_prefix"], m["target_prefix"], tuple(m["protocols"]))
        for name, m in raw["services"].items()
    }
    return ServiceIndex(
        raw["botocore_version"], services,
        _group(services, "signing_name"), _group(services, "endpoint_prefix"), _group(services, "target_prefix"),
    )


def main() -> None:
    INDEX_PATH.parent.mkdir(parents=True, exist_ok=True)
    data = build()
    INDEX_PATH.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n", "utf-8")
    print(f"{INDEX_PATH.name}: {len(data['services'])} services of botocore {data['botocore_version']}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
