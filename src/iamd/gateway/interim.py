"""A stand-in for gw-map's classify.py and mapping.py (same interface) until they land: enough of S3,
the JSON services and the Query services to build and test the edge. Removed at the merge."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote


class Unclassified(Exception):
    pass


@dataclass(frozen=True)
class Identified:
    service: str
    operation: str
    protocol: str
    streaming_input: bool = False
    path_params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceRequest:
    identified: Identified
    params: Mapping[str, Any]
    region: str


@dataclass(frozen=True)
class AuthorizationItem:
    action: str
    resource: str
    context: Mapping[str, str | list[str]] = field(default_factory=dict)
    resource_owner: str | None = None


_JSON_SERVICES = {"DynamoDB_20120810": "dynamodb", "AmazonSQS": "sqs", "TrentService": "kms",
                  "secretsmanager": "secretsmanager", "AmazonSSM": "ssm"}


def needs_body(method: str, path: str, headers: Mapping[str, str], signing_name: str | None) -> bool:
    return not (signing_name in (None, "s3") and method == "PUT" and path.strip("/").count("/") >= 1)


def identify(method: str, path: str, query: str, headers: Mapping[str, str], host: str,
             signing_name: str | None, body: bytes | None) -> Identified:
    target = headers.get("x-amz-target")
    if target:
        prefix, _, operation = target.rpartition(".")
        service = _JSON_SERVICES.get(prefix)
        if service is None or not operation:
            raise Unclassified(f"X-Amz-Target {target!r} names no service iamd's gateway knows")
        return Identified(service, operation, "json")
    if signing_name in (None, "s3"):
        return _s3(method, path, query)
    form = dict(parse_qsl(query))
    if body:
        form.update(parse_qsl(body.decode("latin-1")))
    if "Action" in form and signing_name:
        return Identified(signing_name, form["Action"], "query")
    raise Unclassified(f"no operation of {signing_name!r} at {method} {path}")


def _s3(method: str, path: str, query: str) -> Identified:
    parts = path.lstrip("/").split("/", 1)
    bucket = unquote(parts[0])
    key = unquote(parts[1]) if len(parts) > 1 else ""
    params = {"Bucket": bucket, "Key": key} if key else ({"Bucket": bucket} if bucket else {})
    names = {name for name, _ in parse_qsl(query, keep_blank_values=True)}
    if not bucket:
        return Identified("s3", "ListBuckets", "rest-xml")
    if key:
        if "uploads" in names:
            return Identified("s3", "CreateMultipartUpload", "rest-xml", path_params=params)
        if "uploadId" in names:
            operation = {"PUT": "UploadPart", "POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload",
                         "GET": "ListParts"}[method]
            return Identified("s3", operation, "rest-xml", operation == "UploadPart", params)
        operation = {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"}.get(method)
        if operation:
            return Identified("s3", operation, "rest-xml", operation == "PutObject", params)
        raise Unclassified(f"no S3 operation at {method} {path}")
    if "policy" in names:
        operation = {"GET": "GetBucketPolicy", "PUT": "PutBucketPolicy", "DELETE": "DeleteBucketPolicy"}[method]
        return Identified("s3", operation, "rest-xml", path_params=params)
    if "delete" in names and method == "POST":
        return Identified("s3", "DeleteObjects", "rest-xml", path_params=params)
    operation = {"GET": "ListObjectsV2" if "list-type" in names else "ListObjects", "HEAD": "HeadBucket",
                 "PUT": "CreateBucket", "DELETE": "DeleteBucket"}.get(method)
    if operation and not (names - {"list-type", "prefix", "delimiter", "max-keys", "encoding-type",
                                   "continuation-token", "start-after", "marker", "fetch-owner"}):
        return Identified("s3", operation, "rest-xml", path_params=params)
    raise Unclassified(f"no S3 operation at {method} {path}?{query}")


def parse(identified: Identified, method: str, path: str, query: str, headers: Mapping[str, str],
          body: bytes | None, region: str) -> ServiceRequest:
    params: dict[str, Any] = dict(identified.path_params)
    if identified.protocol == "json" and body:
        params.update(json.loads(body))
    elif identified.protocol == "query":
        params.update(parse_qsl(query))
        params.update(parse_qsl((body or b"").decode("latin-1")))
    return ServiceRequest(identified, params, region)


_S3_ACTIONS = {"HeadObject": "GetObject", "ListObjectsV2": "ListBucket", "ListObjects": "ListBucket",
               "HeadBucket": "ListBucket", "UploadPart": "PutObject", "CreateMultipartUpload": "PutObject",
               "CompleteMultipartUpload": "PutObject", "ListBuckets": "ListAllMyBuckets",
               "ListParts": "ListMultipartUploadParts", "DeleteObjects": "DeleteObject"}


def authorization_items(request: ServiceRequest, account_id: str, partition: str = "aws"
                        ) -> tuple[AuthorizationItem, ...]:
    service, operation = request.identified.service, request.identified.operation
    params = request.params
    if service == "s3":
        action = "s3:" + _S3_ACTIONS.get(operation, operation)
        bucket, key = params.get("Bucket"), params.get("Key")
        resource = f"arn:{partition}:s3:::{bucket}/{key}" if key else (f"arn:{partition}:s3:::{bucket}" if bucket else "*")
        return (AuthorizationItem(action, resource),)
    if service == "dynamodb" and "TableName" in params:
        resource = f"arn:{partition}:dynamodb:{request.region}:{account_id}:table/{params['TableName']}"
        return (AuthorizationItem(f"dynamodb:{operation}", resource),)
    return (AuthorizationItem(f"{service}:{operation}", "*"),)


def precise(service: str) -> bool:
    return service in ("s3", "dynamodb")
