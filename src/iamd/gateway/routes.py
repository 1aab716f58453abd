"""One service's operations, indexed for telling requests apart: REST routes, target and action names.

Built from botocore's service model the first time a request may be for that service (one model
loaded per service, never all at once), then kept for the life of the process.

A REST route is an operation's ``requestUri`` template and method. Several operations share a
template (S3's GetObject, ListParts, GetObjectAcl on ``GET /{Bucket}/{Key+}``); they differ by what
the request must carry: literal query keys of the template (``?acl``, ``?list-type=2``), required
members located in the query string (ListParts' ``uploadId``) or in headers (CopyObject's
``x-amz-copy-source``). Routes are sorted most specific first, so the first that matches is the one
with the most of those discriminators.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel

from iamd.gateway.service_index import loader

_LABEL = re.compile(r"\{([^}]+)\}")
# botocore's S3 model names the operation in the query string (?x-id=GetObject) for some routes, but
# botocore's serializer does not always send it: it proves an operation when present and nothing when not.
_OPTIONAL_QUERY_KEYS = frozenset({"x-id"})


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    pattern: re.Pattern[str]
    labels: tuple[tuple[str, str], ...]  # (regex group, member name)
    query_literals: tuple[tuple[str, str | None], ...]  # (key, value or None for "key present")
    required_query: tuple[str, ...]  # query keys of required querystring members
    required_headers: tuple[str, ...]  # lower-case header names of required header members
    literal_length: int
    greedy: int
    deprecated: bool  # an old name of a route a newer operation has (S3's GetBucketLifecycle): tried last
    first_segment: str | None  # the path's first segment when literal ("2015-03-31" of Lambda's routes)

    @property
    def specificity(self) -> tuple[int, int, int, int]:
        discriminators = len(self.query_literals) + len(self.required_query) + len(self.required_headers)
        return (discriminators, self.literal_length, -self.greedy, -self.deprecated)

    def match(self, path: str, query: Mapping[str, list[str]],
              headers: Mapping[str, str]) -> dict[str, str] | None:
        for key, value in self.query_literals:
            values = query.get(key)
            if values is None or (value is not None and value not in values):
                return None
        for key in self.required_query:
            if key not in query:
                return None
        for name in self.required_headers:
            if name not in headers:
                return None
        m = self.pattern.match(path)
        if m is None:
            return None
        return {member: unquote(m.group(group)) for group, member in self.labels}


def _first_segment(path: str) -> str | None:
    segment = path[1:].split("/", 1)[0]
    return None if "{" in segment else segment


def compile_route(op: OperationModel) -> Route:
    http = op.http
    uri: str = http.get("requestUri", "/")
    path_part, _, query_part = uri.partition("?")
    query_literals: list[tuple[str, str | None]] = []
    for item in query_part.split("&") if query_part else ():
        key, eq, value = item.partition("=")
        if key and key not in _OPTIONAL_QUERY_KEYS:
            query_literals.append((key, value if eq else None))
    regex, labels, literal_length, greedy = [], [], 0, 0
    pos = 0
    for i, m in enumerate(_LABEL.finditer(path_part)):
        literal = path_part[pos:m.start()]
        regex.append(re.escape(literal))
        literal_length += len(literal)
        name = m.group(1)
        group = f"g{i}"
        if name.endswith("+"):
            regex.append(f"(?P<{group}>.+)")
            name = name[:-1]
            greedy += 1
        else:
            regex.append(f"(?P<{group}>[^/]+)")
        labels.append((group, name))
        pos = m.end()
    tail = path_part[pos:]
    regex.append(re.escape(tail))
    literal_length += len(tail)
    if not path_part.endswith("/"):
        regex.append("/?")  # "/bucket/" is "/{Bucket}" too
    required_query: list[str] = []
    required_headers: list[str] = []
    input_shape = op.input_shape
    if input_shape is not None:
        required = set(input_shape.required_members)
        for member_name, member in input_shape.members.items():
            if member_name not in required:
                continue
            location = member.serialization.get("location")
            name = member.serialization.get("name", member_name)
            if location == "querystring":
                required_query.append(name)
            elif location == "header":
                required_headers.append(name.lower())
    return Route(op.name, http.get("method", "POST").upper(), re.compile("".join(regex) + r"\Z"),
                 tuple(labels), tuple(query_literals), tuple(required_query), tuple(required_headers),
                 literal_length, greedy, bool(op.deprecated), _first_segment(path_part))


@dataclass
class ServiceOperations:
    """A service's model and its operations, indexed for classification."""

    name: str
    model: ServiceModel
    operation_names: frozenset[str]
    routes_by_method: dict[str, list[Route]] = field(default_factory=dict)
    _operations: dict[str, OperationModel] = field(default_factory=dict)

    @property
    def protocols(self) -> tuple[str, ...]:
        md = self.model.metadata
        return tuple(md.get("protocols") or [md["protocol"]])

    def operation(self, name: str) -> OperationModel:
        op = self._operations.get(name)
        if op is None:
            op = self._operations[name] = self.model.operation_model(name)
        return op

    def match_rest(self, method: str, path: str, query: Mapping[str, list[str]],
                   headers: Mapping[str, str]) -> tuple[Route, dict[str, str]] | None:
        groups = self._route_index.get(method)
        if groups is None:
            return None
        segment = path[1:].split("/", 1)[0]
        group = groups.get(segment) or groups.get(None)
        if group is None:
            return None
        unkeyed, keyed = group
        candidates = unkeyed
        if query and keyed:
            extra = [entry for key in query if key in keyed for entry in keyed[key]]
            if extra:
                candidates = sorted(unkeyed + extra, key=lambda entry: entry[0])
        for _, route in candidates:
            labels = route.match(path, query, headers)
            if labels is not None:
                return route, labels
        return None

    # method -> first path segment (None: routes whose path starts with a label) -> (routes that need no
    # query key, {query key: routes that need it}); each route with its rank in specificity order. A
    # request is matched against its segment's routes and those its query keys may select: a handful.
    _route_index: dict[str, dict[str | None, tuple[list[tuple[int, Route]],
                                                   dict[str, list[tuple[int, Route]]]]]] = field(default_factory=dict)

    def index_routes(self) -> None:
        index: dict[str, dict[str | None, tuple[list[tuple[int, Route]], dict[str, list[tuple[int, Route]]]]]] = {}
        for method, routes in self.routes_by_method.items():
            groups: dict[str | None, tuple[list[tuple[int, Route]], dict[str, list[tuple[int, Route]]]]] = {}
            literal_segments = {r.first_segment for r in routes if r.first_segment is not None}
            for rank, route in enumerate(routes):
                targets: list[str | None] = (
                    [route.first_segment] if route.first_segment is not None else [None, *literal_segments])
                key = route.query_literals[0][0] if route.query_literals else (
                    route.required_query[0] if route.required_query else None)
                for target in targets:
                    unkeyed, keyed = groups.setdefault(target, ([], {}))
                    if key is None:
                        unkeyed.append((rank, route))
                    else:
                        keyed.setdefault(key, []).append((rank, route))
            index[method] = groups
        self._route_index = index


_lock = threading.Lock()
_services: dict[str, ServiceOperations] = {}
# Every header name a loaded service's route requires (CopyObject's x-amz-copy-source ...): the only
# headers a route match looks at (by presence), so classify.py remembers its matches keyed on these.
# Replaced, never changed in place: a new set when a service loads (tells classify.py that it did).
_route_headers: frozenset[str] = frozenset()


def route_headers() -> frozenset[str]:
    return _route_headers


def service_operations(name: str) -> ServiceOperations:
    """The indexed operations of a botocore service (KeyError: botocore has no such service)."""
    ops = _services.get(name)
    if ops is not None:
        return ops
    with _lock:
        ops = _services.get(name)
        if ops is None:
            ops = _services[name] = _build(name)
    return ops


def _build(name: str) -> ServiceOperations:
    try:
        raw: Any = loader().load_service_model(name, "service-2")
    except Exception as exc:  # botocore's UnknownServiceError and friends
        raise KeyError(name) from exc
    model = ServiceModel(raw, service_name=name)
    ops = ServiceOperations(name, model, frozenset(model.operation_names))
    md = model.metadata
    protocols = md.get("protocols") or [md["protocol"]]
    if any(p.startswith("rest-") for p in protocols):
        routes: dict[str, list[Route]] = {}
        for op_name in model.operation_names:
            route = compile_route(ops.operation(op_name))
            routes.setdefault(route.method, []).append(route)
        for method_routes in routes.values():
            method_routes.sort(key=lambda r: r.specificity, reverse=True)
        ops.routes_by_method = routes
        ops.index_routes()
        global _route_headers
        _route_headers = _route_headers | {name for method_routes in routes.values() for route in method_routes
                                           for name in route.required_headers}
    return ops
