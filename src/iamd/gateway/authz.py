"""The parts every service's mapping is made of: the item, the request as a mapper sees it, ARN filling,
and the request keys any service may carry (aws:RequestTag/*, aws:TagKeys).

``mapping.py`` is the entry point; ``services/<service>.py`` the per-service mappers built from these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from iamd.gateway import reference_data
from iamd.gateway.classify import ServiceRequest

ContextValue = str | list[str]


@dataclass(frozen=True)
class AuthorizationItem:
    action: str  # "s3:GetObject"
    resource: str  # an ARN, or "*" when the service/operation has no precise mapping
    context: Mapping[str, ContextValue] = field(default_factory=dict)  # service and request keys
    resource_owner: str | None = None  # the account owning the resource when known
    # True: AWS evaluates an ARN here that the request alone does not give (a KMS alias without the alias
    # lookup, Decrypt's key inside the ciphertext, ...), so resource is "*". Statements naming resources
    # of the action's type do not match "*": allows are not granted (refused rather than allowed) and
    # denies are not applied, which an edge wanting AWS's denies should refuse or look up.
    unresolved: bool = False


# A table's partition key attribute name, or None when unknown: (account, region, table name) -> name.
KeySchemaLookup = Callable[[str, str, str], "str | None"]
# The key id a KMS alias points to, or None when unknown: (account, region, "alias/name") -> key id.
KmsAliasLookup = Callable[[str, str, str], "str | None"]


@dataclass(frozen=True)
class Target:
    """A request as a service mapper sees it."""

    request: ServiceRequest
    account: str  # the caller's account: the owner of what the request names by name only
    partition: str
    key_schema: KeySchemaLookup | None = None
    kms_alias: KmsAliasLookup | None = None

    @property
    def params(self) -> Mapping[str, Any]:
        return self.request.params

    @property
    def operation(self) -> str:
        return self.request.identified.operation

    @property
    def region(self) -> str:
        return self.request.region


def fill_arn(template: str, values: Mapping[str, str]) -> str | None:
    """The ARN format with every ${Placeholder} replaced, or None if one has no value."""
    out = []
    pos = 0
    while True:
        start = template.find("${", pos)
        if start < 0:
            out.append(template[pos:])
            return "".join(out)
        end = template.find("}", start)
        value = values.get(template[start + 2:end])
        if value is None:
            return None
        out.append(template[pos:start])
        out.append(value)
        pos = end + 1


def resource_for(prefix: str, action: str, t: Target, values: Mapping[str, str],
                 region: str | None = None, account: str | None = None) -> tuple[str, str | None]:
    """(ARN, owner account) AWS evaluates for the action: of the action's resource types whose
    placeholders the request fills, the one filling most (an index over its table, a version over its
    function), else "*". The owner is the ARN's account (``account``, else the caller's), None for ARNs
    without one (S3 buckets). Remembered for short values: a pure function of its arguments."""
    given = tuple(values.items())
    region = region or t.region
    short = all(isinstance(value, str) for _, value in given) and sum(len(v) for _, v in given) <= _REMEMBERED_LENGTH
    return (_remembered_resource if short else _resource)(prefix, action, t.partition, region, account, t.account,
                                                          given)


_REMEMBERED_LENGTH = 2048  # the longest placeholder values whose ARN is remembered (a client chooses them)


def _resource(prefix: str, action: str, partition: str, region: str, account: str | None, caller_account: str,
              values: tuple[tuple[str, str], ...]) -> tuple[str, str | None]:
    ref = reference_data.service(prefix)
    act = ref.action(action) if ref else None
    if act is None or not act.resource_types:
        return "*", account
    owner = account or caller_account
    known = {"Partition": partition, "Region": region, "Account": owner, **dict(values)}
    best: tuple[int, str, bool] | None = None
    for rtype, _required in act.resource_types:
        if not all(p in known for p in rtype.placeholders):
            continue
        arn = fill_arn(rtype.arn, known)
        if arn is not None and (best is None or len(rtype.placeholders) > best[0]):
            best = (len(rtype.placeholders), arn, "Account" in rtype.placeholders)
    if best is None:
        return "*", account
    return best[1], owner if best[2] else account


_remembered_resource = lru_cache(maxsize=4096)(_resource)


def documented_context(prefix: str, action: str, context: Mapping[str, ContextValue]) -> dict[str, ContextValue]:
    """Only the keys the Service Authorization Reference lists for the action: AWS sets no other."""
    if not context:
        return {}
    ref = reference_data.service(prefix)
    act = ref.action(action) if ref else None
    if act is None:
        return dict(context)
    return {k: v for k, v in context.items()
            if (_documented(prefix, action, k) if len(k) <= _REMEMBERED_LENGTH
                else reference_data.documents_key(act, k))}


@lru_cache(maxsize=4096)
def _documented(prefix: str, action: str, key: str) -> bool:
    """Whether the reference lists the key for the action (it never changes): the same few keys are asked
    about on every request. Remembered for short keys only; a tag key among them is the client's choice."""
    ref = reference_data.service(prefix)
    act = ref.action(action) if ref else None
    return act is None or reference_data.documents_key(act, key)


def item(prefix: str, action: str, t: Target, values: Mapping[str, str] | None = None,
         context: Mapping[str, ContextValue] | None = None, owner: str | None = None,
         region: str | None = None) -> AuthorizationItem:
    resource, resource_owner = resource_for(prefix, action, t, values or {}, region=region, account=owner)
    ctx = documented_context(prefix, action, {**tag_context(t.params), **(context or {})})
    return AuthorizationItem(f"{prefix}:{action}", resource, ctx, resource_owner,
                             unresolved=resource == "*" and _requires_resource(prefix, action))


def _requires_resource(prefix: str, action: str) -> bool:
    """Whether the reference lists resource types for the action: then AWS evaluates an ARN, not "*"."""
    ref = reference_data.service(prefix)
    act = ref.action(action) if ref else None
    return act is not None and bool(act.resource_types)


# -- tags, in the shapes services send them ---------------------------------------------------------

_TAG_LISTS = ("Tags", "TagList", "tags", "TagSpecifications")
_TAG_KEY_LISTS = ("TagKeys", "tagKeys", "TagKeyList")


def _pairs(value: Any) -> Iterable[tuple[str, str]]:
    if isinstance(value, Mapping):
        if "Key" in value and ("Value" in value or len(value) == 1):
            yield str(value["Key"]), str(value.get("Value", ""))
            return
        if "TagKey" in value:  # KMS
            yield str(value["TagKey"]), str(value.get("TagValue", ""))
            return
        if "key" in value and "value" in value:
            yield str(value["key"]), str(value["value"])
            return
        if "TagSet" in value:  # S3's Tagging structure
            yield from _pairs(value["TagSet"])
            return
        if "Tags" in value:  # EC2's TagSpecifications entries
            yield from _pairs(value["Tags"])
            return
        for k, v in value.items():  # a tag map: {"team": "red"}
            if isinstance(v, str):
                yield str(k), v
    elif isinstance(value, list):
        for entry in value:
            yield from _pairs(entry)


def tag_context(params: Mapping[str, Any]) -> dict[str, ContextValue]:
    """aws:RequestTag/<key> and aws:TagKeys from the request's tags (lists, maps, S3's Tagging header)."""
    tags: dict[str, str] = {}
    for name in _TAG_LISTS:
        if name in params:
            tags.update(_pairs(params[name]))
    if isinstance(params.get("Tagging"), str):  # S3: x-amz-tagging: k=v&k2=v2
        tags.update(parse_qsl(params["Tagging"], keep_blank_values=True))
    elif isinstance(params.get("Tagging"), Mapping):
        tags.update(_pairs(params["Tagging"]))
    ctx: dict[str, ContextValue] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    keys = list(tags)
    for name in _TAG_KEY_LISTS:
        value = params.get(name)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            keys.extend(value)
    if keys:
        ctx["aws:TagKeys"] = list(dict.fromkeys(keys))
    return ctx


def add(context: dict[str, ContextValue], key: str, value: Any) -> None:
    """Set a context key from a request member, when present (numbers and booleans as AWS spells them)."""
    if value is None:
        return
    if isinstance(value, bool):
        context[key] = "true" if value else "false"
    elif isinstance(value, list):
        context[key] = [str(v) for v in value]
    else:
        context[key] = str(value)


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str  # everything after the fifth colon: "function:name:live", "alias/app"


def parse_arn(value: Any) -> Arn | None:
    if not isinstance(value, str) or not value.startswith("arn:"):
        return None
    parts = value.split(":", 5)
    if len(parts) != 6:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])
