"""Which request is it: the service and operation of an AWS request, from the request itself.

Pure: reads nothing but botocore's service models (one per service, on first need) and the index of
their metadata shipped in ``data/botocore_index.json`` (``service_index.py``).

How each protocol names its operation:

- ``json``: ``X-Amz-Target: <targetPrefix>.<Operation>``.
- ``smithy-rpc-v2-cbor``: ``POST /service/<targetPrefix>/operation/<Operation>`` with
  ``smithy-protocol: rpc-v2-cbor``.
- ``query`` and ``ec2``: ``Action=<Operation>`` in the query string or the form body (so the body must
  be read first: ``needs_body``).
- ``rest-json`` and ``rest-xml``: the method and path matched against the operations' ``requestUri``
  templates (see routes.py); S3 in path style (``/bucket/key``) or virtual-hosted (``bucket.host``).

The service comes from the SigV4 credential scope's service (``signing_name``), which names one or a
few botocore services (``index().by_signing_name``: "s3" → s3, s3control); the target prefix or the
route then picks among them. Unsigned requests are placed by target prefix, by the host's first label
as an endpoint prefix (``sqs.us-east-1.amazonaws.com``), or else taken for S3 (anonymous reads).

Arguments common to identify/parse: ``path`` is the raw, still percent-encoded path; ``query`` the raw
query string; ``headers`` any mapping (looked up case-insensitively); ``host`` the Host header.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, unquote_plus

from iamd.gateway import decode
from iamd.gateway.routes import ServiceOperations, route_headers, service_operations as _service_operations
from iamd.gateway.service_index import index

__all__ = [
    "Identified",
    "ServiceRequest",
    "Unclassified",
    "configure_virtual_host_suffixes",
    "identify",
    "needs_body",
    "parse",
]

# The largest structured rest-xml payload parse() reads (S3's DeleteObjects: 1,000 keys of up to 1 KiB);
# a larger one is refused, as its members could not be authorized. The edge buffers at least this much.
XML_PAYLOAD_LIMIT = 2 * 1024 * 1024

_FORM = "application/x-www-form-urlencoded"
_CBOR_PATH = re.compile(r"/service/([^/]+)/operation/([^/?]+)\Z")
_EMPTY: Mapping[str, str] = MappingProxyType({})
_EMPTY_QUERY: Mapping[str, list[str]] = MappingProxyType({})


class Unclassified(Exception):
    """The request could not be identified; str() says what was not understood."""


@dataclass(frozen=True)
class Identified:
    """From the request line and headers only (and the form body for query-protocol services)."""

    service: str  # botocore service name: "s3", "dynamodb", "sqs", "kms", ...
    operation: str  # botocore operation name: "PutObject", "GetItem", ...
    protocol: str  # "rest-xml" | "rest-json" | "json" | "query" | "ec2" | "smithy-rpc-v2-cbor"
    # The body is a raw payload member (a blob or string: S3 PutObject/UploadPart, Lambda Invoke's Payload,
    # PutBucketPolicy's policy): parse() reads nothing from it, so it need not be buffered.
    streaming_input: bool
    path_params: Mapping[str, str] = field(default_factory=lambda: _EMPTY)  # members from the URI


@dataclass(frozen=True)
class ServiceRequest:
    identified: Identified
    params: Mapping[str, Any]  # the operation's input members, as boto3 would have passed them
    region: str
    # A JSON request's body, which ``params`` were read from and nothing else was: mapping.py's memo key.
    json_body: bytes | None = None


# -- S3's virtual-hosted style ----------------------------------------------------------------------

# Host names whose subdomains are bucket names: AWS's, and the usual local names. The edge adds its own
# public host name (configure_virtual_host_suffixes) when it serves one.
_AWS_S3_HOST = re.compile(
    r"\A(?P<bucket>.+?)\.(?:s3|s3[.-][a-z0-9-]+|s3\.dualstack\.[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\Z")
_virtual_host_suffixes: tuple[str, ...] = (".localhost", ".localhost.localstack.cloud")


def configure_virtual_host_suffixes(suffixes: tuple[str, ...]) -> None:
    """Host suffixes (".s3.example.internal") under which the first labels name a bucket."""
    global _virtual_host_suffixes
    _virtual_host_suffixes = tuple(s if s.startswith(".") else "." + s for s in suffixes)
    s3_bucket_from_host.cache_clear()
    _identify_rest_remembered.cache_clear()


@lru_cache(maxsize=4096)
def s3_bucket_from_host(host: str) -> str | None:
    """The bucket of a virtual-hosted S3 request's Host, or None for path style."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower()
    if not name or name.startswith("["):
        return None
    try:
        ipaddress.ip_address(name)
        return None
    except ValueError:
        pass
    m = _AWS_S3_HOST.match(name)
    if m:
        return m.group("bucket")
    for suffix in _virtual_host_suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            bucket = name[: -len(suffix)]
            return None if bucket.startswith("s3.") or bucket == "s3" else bucket
    return None


# -- identification ---------------------------------------------------------------------------------

def service_operations(name: str) -> ServiceOperations:
    """The service's indexed model; a name the index has and botocore has not (an index older than the
    installed botocore) is a request not understood, not a crash."""
    try:
        return _service_operations(name)
    except KeyError:
        raise Unclassified(f"botocore has no model of the service {name!r}") from None


@lru_cache(maxsize=1024)
def _query_params(query: str) -> Mapping[str, list[str]]:
    """The query string's keys and values; cached, as identify() and parse() both read it (never mutated)."""
    return MappingProxyType(parse_qs(query, keep_blank_values=True))


def _lower_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    """The headers with lower-case names: as given when they already are (the edge's, read three times a
    request), never changed in place."""
    for name in headers:
        if not name.islower():
            return {k.lower(): v for k, v in headers.items()}
    return headers


def needs_body(method: str, path: str, headers: Mapping[str, str], signing_name: str | None) -> bool:
    """Whether identify() needs the body: a form-encoded POST (query and ec2 protocols name the
    operation in the form). Such bodies are small; any other body may be a stream."""
    h = _lower_headers(headers)
    return method.upper() == "POST" and h.get("content-type", "").split(";")[0].strip().lower() == _FORM


# Signing names that botocore's endpoint rules (not its service models) give some operations: S3 directory
# buckets sign as "s3express", S3 Object Lambda's WriteGetObjectResponse as "s3-object-lambda".
_SIGNING_NAME_ALIASES = {"s3express": "s3", "s3-object-lambda": "s3"}


def _candidates(signing_name: str | None, host: str) -> tuple[str, ...]:
    idx = index()
    if signing_name:
        signing_name = _SIGNING_NAME_ALIASES.get(signing_name, signing_name)
        found = idx.by_signing_name.get(signing_name)
        if found:
            return found
        if signing_name in idx.services:
            return (signing_name,)
        raise Unclassified(f"no AWS service signs as {signing_name!r} (the credential scope's service)")
    first_label = host.split(".", 1)[0].split(":", 1)[0].lower()
    found = idx.by_endpoint_prefix.get(first_label)
    return found if found else ()


_streaming_ops: dict[tuple[str, str], bool] = {}


def _streaming(ops: ServiceOperations, operation: str) -> bool:
    key = (ops.name, operation)
    found = _streaming_ops.get(key)
    if found is None:
        found = _streaming_ops[key] = _streaming_payload(ops, operation)
    return found


def _streaming_payload(ops: ServiceOperations, operation: str) -> bool:
    shape = ops.operation(operation).input_shape
    if shape is None:
        return False
    payload = shape.serialization.get("payload")
    if not payload:
        return False
    member = shape.members[payload]
    return member.type_name in ("blob", "string") or bool(member.serialization.get("eventstream"))


def _identified(ops: ServiceOperations, operation: str, protocol: str,
                path_params: Mapping[str, str] = _EMPTY) -> Identified:
    return Identified(ops.name, operation, protocol, protocol.startswith("rest-") and _streaming(ops, operation),
                      MappingProxyType(dict(path_params)) if path_params else _EMPTY)


def identify(method: str, path: str, query: str, headers: Mapping[str, str], host: str,
             signing_name: str | None, body: bytes | None) -> Identified:
    """Service and operation of a request. ``body``: None when not read (see needs_body)."""
    method = method.upper()
    h = _lower_headers(headers)
    target = h.get("x-amz-target")
    if target:
        return _identify_target(target, signing_name)
    if h.get("smithy-protocol", "").lower() == "rpc-v2-cbor":
        return _identify_cbor(path, signing_name)
    action = _query_action(method, query, h, body)
    if action is not None:
        return _identify_query(action, signing_name, host)
    if method == "POST" and h.get("content-type", "").split(";")[0].strip().lower() == _FORM and body is None:
        # A form without Action in the query string: the action is in the body, which was not read.
        candidates = _candidates(signing_name, host)
        if any({"query", "ec2"} & set(index().services[c].protocols) for c in candidates):
            raise Unclassified("the form body (with the Action parameter) is needed to identify this request")
    if len(path) + len(query) + len(host) > _REMEMBERED_LENGTH:
        return _identify_rest(method, path, query, h, host, signing_name)
    known = route_headers()
    try:
        found = _identify_rest_remembered(method, path, query, host, signing_name, frozenset(h.keys() & known))
        if route_headers() is known:
            return found
    except Unclassified:
        if route_headers() is known:
            raise
    # A service loaded meanwhile: its routes' headers were not in the key, so neither that match nor that
    # refusal holds (nor any other made meanwhile).
    _identify_rest_remembered.cache_clear()
    return _identify_rest(method, path, query, h, host, signing_name)


# The longest request line (path, query, host) whose REST match is remembered: any client chooses them.
_REMEMBERED_LENGTH = 1024


@lru_cache(maxsize=1024)
def _identify_rest_remembered(method: str, path: str, query: str, host: str, signing_name: str | None,
                              present: frozenset[str]) -> Identified:
    """_identify_rest, remembered: a REST match depends on nothing else than these (the headers only by
    the presence of those some route requires, ``routes.route_headers()``), and the same object or bucket is
    asked for again and again. A refusal (Unclassified) is not remembered. The set only grows as services
    load, and identify() forgets every match made while it grew: a remembered match's candidates were
    loaded, their headers in the set, when its key was made."""
    return _identify_rest(method, path, query, dict.fromkeys(present, ""), host, signing_name)


def _identify_target(target: str, signing_name: str | None) -> Identified:
    prefix, dot, operation = target.rpartition(".")
    if not dot or not prefix or not operation:
        raise Unclassified(f"X-Amz-Target {target!r} is not <service>.<operation>")
    services = index().by_target_prefix.get(prefix, ())
    if signing_name and len(services) > 1:
        services = tuple(s for s in services if index().services[s].signing_name == signing_name) or services
    for name in services:
        ops = service_operations(name)
        if operation in ops.operation_names:
            return _identified(ops, operation, "json")
    if not services:
        raise Unclassified(f"no AWS service has the X-Amz-Target prefix {prefix!r}")
    raise Unclassified(f"{services[0]} has no operation {operation!r} (X-Amz-Target {target!r})")


def _identify_cbor(path: str, signing_name: str | None) -> Identified:
    m = _CBOR_PATH.search(path.split("?", 1)[0])
    if m is None:
        raise Unclassified(f"a smithy-rpc-v2-cbor request's path is /service/<name>/operation/<op>, not {path!r}")
    prefix, operation = unquote(m.group(1)), unquote(m.group(2))
    for name in index().by_target_prefix.get(prefix, ()):
        ops = service_operations(name)
        if operation in ops.operation_names:
            return _identified(ops, operation, "smithy-rpc-v2-cbor")
    raise Unclassified(f"no AWS service {prefix!r} with an operation {operation!r} (smithy-rpc-v2-cbor)")


_FORM_ACTION = re.compile(r"(?:^|&)Action=([^&]*)")
_FORM_VERSION = re.compile(r"(?:^|&)Version=([^&]*)")


def _query_action(method: str, query: str, h: Mapping[str, str],
                  body: bytes | None) -> tuple[str, str | None] | None:
    """(Action, Version) of a query or ec2 request, or None. Found without parsing the whole form."""
    text = ""
    if "Action=" in query:
        text = query
    elif body and method == "POST" and h.get("content-type", "").split(";")[0].strip().lower() == _FORM:
        text = body.decode("utf-8", "replace")
    m = _FORM_ACTION.search(text) if text else None
    if m is None:
        return None
    version = _FORM_VERSION.search(text)
    return unquote_plus(m.group(1)), unquote_plus(version.group(1)) if version else None


def _identify_query(action_version: tuple[str, str | None], signing_name: str | None, host: str) -> Identified:
    action, version = action_version
    candidates = _candidates(signing_name, host)
    if version and len(candidates) > 1:
        # elb and elbv2 share a signing name and actions: the API version tells them apart.
        candidates = tuple(sorted(candidates, key=lambda n: _api_version(n) != version))
    for name in candidates:
        meta = index().services[name]
        protocol = "ec2" if "ec2" in meta.protocols else "query" if "query" in meta.protocols else None
        if protocol is None:
            continue
        ops = service_operations(name)
        if action in ops.operation_names:
            return _identified(ops, action, protocol)
    if not candidates:
        raise Unclassified(f"Action={action!r}, but no service is named by the request "
                           "(no SigV4 credential scope, and the host names no service endpoint)")
    raise Unclassified(f"no operation {action!r} in {', '.join(candidates)} (the Action parameter)")


def _api_version(service: str) -> str:
    return str(service_operations(service).model.metadata.get("apiVersion", ""))


_DOT_SEGMENT = re.compile(r"(?:^|/)\.{1,2}(?:/|$)")


def _identify_rest(method: str, path: str, query: str, h: Mapping[str, str], host: str,
                   signing_name: str | None) -> Identified:
    candidates = _candidates(signing_name, host)
    if not candidates and not signing_name:
        candidates = ("s3",)  # anonymous requests are S3's public reads
    raw_path = path.split("?", 1)[0] or "/"
    if ("." in raw_path or "%" in raw_path) and _DOT_SEGMENT.search(unquote(raw_path)):
        # "/bucket/public/../secret" is authorized as one key and may reach the upstream (or an HTTP
        # library on the way) as another: refused rather than guessed.
        raise Unclassified(f"the path {raw_path!r} has '.' or '..' segments, which may name another resource "
                           "than the one authorized")
    q = _query_params(query) if query else _EMPTY_QUERY
    best: tuple[tuple[int, int, int, int], ServiceOperations, Any, dict[str, str]] | None = None
    for name in candidates:
        ops = service_operations(name)
        protocol = next((p for p in ops.protocols if p.startswith("rest-")), None)
        if protocol is None:
            continue
        service_path = raw_path
        if name == "s3":
            bucket = s3_bucket_from_host(host)
            if bucket is not None:
                service_path = "/" + bucket + (raw_path if raw_path != "/" else "")
        found = ops.match_rest(method, service_path, q, h)
        if found is not None and (best is None or found[0].specificity > best[0]):
            best = (found[0].specificity, ops, found[0], found[1])
    if best is None:
        names = ", ".join(candidates) or "no service"
        raise Unclassified(f"{method} {raw_path} matches no operation of {names}")
    _, ops, route, labels = best
    protocol = next(p for p in ops.protocols if p.startswith("rest-"))
    return _identified(ops, route.operation, protocol, labels)


# -- parsing ----------------------------------------------------------------------------------------

def parse(identified: Identified, method: str, path: str, query: str, headers: Mapping[str, str],
          body: bytes | None, region: str) -> ServiceRequest:
    """The operation's input members from the URI, query string, headers and a buffered ``body``
    (None for a streamed payload: its members are then absent)."""
    ops = service_operations(identified.service)
    shape = ops.operation(identified.operation).input_shape
    params: dict[str, Any] = {}
    if shape is not None:
        protocol = identified.protocol
        try:
            if protocol == "json":
                params = _dict(decode.from_json(shape, _dict(decode.parse_json(body or b""))))
            elif protocol == "smithy-rpc-v2-cbor":
                params = _dict(decode.from_json(shape, _dict(decode.parse_cbor(body or b""))))
            elif protocol in ("query", "ec2"):
                params = _parse_form(shape, query, headers, body, protocol == "ec2")
            else:
                params = _parse_rest(shape, identified, query, headers, body)
        except Unclassified:
            raise
        except Exception as exc:  # malformed JSON, XML, CBOR or form: the upstream will say so too
            raise Unclassified(f"the {protocol} body of {identified.service}:{identified.operation} "
                               f"could not be read ({type(exc).__name__})") from exc
    return ServiceRequest(identified, MappingProxyType(params), region,
                          body if identified.protocol == "json" and body is not None else None)


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Unclassified("the request body is not an object")
    return value


def _parse_form(shape: Any, query: str, headers: Mapping[str, str], body: bytes | None,
                ec2: bool) -> dict[str, Any]:
    pairs = parse_qsl(query, keep_blank_values=True) if query else []
    if body:
        pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    pairs = [(k, v) for k, v in pairs if k not in ("Action", "Version")]
    return _dict(decode.from_form(shape, decode.form_tree(pairs), ec2))


@dataclass(frozen=True)
class _RestPlan:
    """Where each input member of a REST operation is on the wire, worked out once per operation."""

    uri: tuple[tuple[str, str, Any], ...]  # (member, label, shape)
    query: tuple[tuple[str, str, Any], ...]  # (member, query key, shape)
    query_map: str | None  # the member taking the query keys no other member claims
    headers: tuple[tuple[str, str, Any], ...]  # (member, lower-case header, shape)
    header_maps: tuple[tuple[str, str], ...]  # (member, lower-case prefix) e.g. x-amz-meta-
    body_members: frozenset[str]
    payload: str | None
    payload_shape: Any


_plans: dict[tuple[str, str], _RestPlan] = {}


def _rest_plan(identified: Identified, shape: Any) -> _RestPlan:
    key = (identified.service, identified.operation)
    plan = _plans.get(key)
    if plan is not None:
        return plan
    uri, query, headers, header_maps, body = [], [], [], [], []
    query_map = None
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            uri.append((name, wire, member))
        elif location == "querystring":
            if member.type_name == "map":
                query_map = name
            else:
                query.append((name, wire, member))
        elif location == "header":
            headers.append((name, wire.lower(), member))
        elif location == "headers":
            header_maps.append((name, wire.lower()))
        elif not location:
            body.append(name)
    payload = shape.serialization.get("payload")
    plan = _RestPlan(tuple(uri), tuple(query), query_map, tuple(headers), tuple(header_maps), frozenset(body),
                     payload, shape.members[payload] if payload else None)
    _plans[key] = plan
    return plan


def _parse_rest(shape: Any, identified: Identified, query: str, headers: Mapping[str, str],
                body: bytes | None) -> dict[str, Any]:
    plan = _rest_plan(identified, shape)
    params: dict[str, Any] = {}
    for name, label, member in plan.uri:
        value = identified.path_params.get(label) or identified.path_params.get(name)
        if value is not None:
            params[name] = decode.scalar(member, value)
    if query:
        q = _query_params(query)
        for name, wire, member in plan.query:
            if wire in q:
                params[name] = decode.from_query(member, q[wire])
        if plan.query_map is not None:
            claimed = {wire for _, wire, _ in plan.query}
            rest = {k: v[-1] for k, v in q.items() if k not in claimed}
            if rest:
                params[plan.query_map] = rest
    h = _lower_headers(headers)
    for name, header, member in plan.headers:
        value = h.get(header)
        if value is not None:
            params[name] = decode.from_header(member, value)
    for name, prefix in plan.header_maps:
        found = decode.header_map(prefix, h)
        if found:
            params[name] = found
    if not body or identified.streaming_input:
        return params
    xml = identified.protocol == "rest-xml"
    if plan.payload:
        member = plan.payload_shape
        if member.type_name != "structure":
            return params  # a blob or string payload: not the gateway's to read
        if xml:
            if len(body) > XML_PAYLOAD_LIMIT:
                raise Unclassified(f"the {identified.operation} payload is larger than {XML_PAYLOAD_LIMIT} bytes")
            params[plan.payload] = decode.parse_xml(member, body)
        else:
            params[plan.payload] = decode.from_json(member, decode.parse_json(body))
        return params
    if xml:
        if len(body) > XML_PAYLOAD_LIMIT:
            raise Unclassified(f"the {identified.operation} payload is larger than {XML_PAYLOAD_LIMIT} bytes")
        parsed = decode.parse_xml(shape, body)
        params.update({k: v for k, v in parsed.items() if k in plan.body_members})
    else:
        parsed = _dict(decode.from_json(shape, _dict(decode.parse_json(body))))
        params.update({k: v for k, v in parsed.items() if k in plan.body_members})
    return params
