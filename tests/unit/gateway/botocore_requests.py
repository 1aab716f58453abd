"""Real AWS requests, made by botocore's own serializers and signers, captured before they are sent.

A client for any service is pointed at an unused endpoint with dummy credentials; the ``before-send``
event hands over the prepared request (method, URL, headers, body) and stops it there. What the gateway
gets from these is what it would get on the wire from boto3 or the aws CLI.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlencode, urlsplit

import botocore.session
from botocore.config import Config

ENDPOINT = "http://127.0.0.1:8777"
ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Captured:
    method: str
    path: str  # raw, percent-encoded
    query: str
    headers: dict[str, str]
    host: str
    signing_name: str | None
    body: bytes


class _Stop(Exception):
    def __init__(self, request: Any):
        super().__init__("captured")
        self.request = request


def _stop(request: Any, **_: Any) -> None:
    raise _Stop(request)


@cache
def _session() -> Any:
    return botocore.session.get_session()


@cache
def client(service: str, endpoint: str = ENDPOINT, addressing_style: str = "path") -> Any:
    config = Config(retries={"max_attempts": 0}, s3={"addressing_style": addressing_style},
                    parameter_validation=True, request_checksum_calculation="when_required")
    c = _session().create_client(service, region_name="us-east-1", endpoint_url=endpoint,
                                 aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                                 aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                 config=config)
    c.meta.events.register_first("before-send", _stop)
    return c


def signing_name_of(headers: dict[str, str]) -> str | None:
    auth = headers.get("Authorization", "")
    if "Credential=" not in auth:
        return None
    scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return scope[3] if len(scope) >= 5 else None


def capture(service: str, operation: str, params: dict[str, Any], endpoint: str = ENDPOINT,
            addressing_style: str = "path") -> Captured:
    c = client(service, endpoint, addressing_style)
    method = getattr(c, _snake(c, operation))
    try:
        method(**params)
    except _Stop as stop:
        r = stop.request
        url = urlsplit(r.url)
        headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in r.headers.items()}
        body = r.body
        if body is None:
            body = b""
        elif isinstance(body, str):
            body = body.encode()
        elif hasattr(body, "read"):
            body = body.read()
        return Captured(r.method, url.path or "/", url.query, headers, url.netloc,
                        signing_name_of(headers), body)
    raise AssertionError(f"{service}.{operation} was not sent")


def _snake(c: Any, operation: str) -> str:
    return {v: k for k, v in c.meta.method_to_api_mapping.items()}[operation]


# -- minimal parameters from the input shape --------------------------------------------------------

def minimal(shape: Any, depth: int = 0) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        if shape.is_union if hasattr(shape, "is_union") else shape.metadata.get("union"):
            name, member = next(iter(shape.members.items()))
            return {name: minimal(member, depth + 1)}
        for name in shape.required_members:
            out[name] = minimal(shape.members[name], depth + 1)
        return out
    if kind == "list":
        count = max(shape.metadata.get("min", 1), 1)
        return [minimal(shape.member, depth + 1) for _ in range(count)] if depth < 12 else []
    if kind == "map":
        return {"k": minimal(shape.value, depth + 1)}
    if kind == "string":
        enum = shape.metadata.get("enum")
        if enum:
            return enum[0]
        low = int(shape.metadata.get("min", 1) or 1)
        value = "abc1" * (low // 4 + 1)
        return value[: max(low, 4)]
    if kind in ("integer", "long"):
        return int(shape.metadata.get("min", 1) or 1)
    if kind in ("float", "double"):
        return float(shape.metadata.get("min", 1) or 1)
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    if kind == "blob":
        return b"x"
    return None


def minimal_params(service: str, operation: str) -> dict[str, Any]:
    c = client(service)
    op = c.meta.service_model.operation_model(operation)
    if op.input_shape is None:
        return {}
    params = minimal(op.input_shape)
    # S3 validates bucket names; a shape's "abc1" is one, but keep one spelling for every bucket.
    if service in ("s3",) and "Bucket" in params:
        params["Bucket"] = "bucket-1"
    if service == "sqs" and "QueueUrl" in params:  # the gateway refuses URLs that are not a queue's
        params["QueueUrl"] = f"{ENDPOINT}/{ACCOUNT}/q1"
    return params


def serialize(service: str, operation: str, params: dict[str, Any], protocol: str) -> Captured:
    """A request in one of the service's other protocols (botocore's client sends its preferred one,
    e.g. json for CloudWatch, which also takes smithy-rpc-v2-cbor and query): botocore's serializer for
    that protocol, unsigned, with the service's signing name."""
    from botocore.serialize import create_serializer  # noqa: PLC0415

    model = client(service).meta.service_model
    op = model.operation_model(operation)
    request = create_serializer(protocol).serialize_to_request(params, op)
    body = request["body"]
    if isinstance(body, dict):  # the query serializer leaves the form to the HTTP layer
        body = urlencode(body)
    body = body.encode() if isinstance(body, str) else bytes(body or b"")
    query = "&".join(f"{k}={v}" for k, v in (request.get("query_string") or {}).items())
    headers = {k: str(v) for k, v in request["headers"].items()}
    if protocol == "query":
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
    return Captured(request["method"], request["url_path"], query, headers, "127.0.0.1:8777",
                    model.signing_name, body)
