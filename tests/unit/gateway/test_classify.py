"""classify.identify and classify.parse on real requests: botocore's own serializers make every operation
of a set of services (minimal parameters), and each must come back as its service and operation.
"""

from __future__ import annotations

import json

import botocore
import pytest

from iamd.gateway.classify import Identified, Unclassified, identify, needs_body, parse
from iamd.gateway.service_index import INDEX_PATH
from tests.unit.gateway.botocore_requests import Captured, capture, client, minimal_params, serialize

# One service per protocol at least: rest-xml (s3, route53, cloudfront), rest-json (lambda, apigateway,
# ecr-public...), json (dynamodb, sqs, kms, ...), query (sns, cloudformation, elbv2), ec2, and
# smithy-rpc-v2-cbor (cloudwatch). sts and iam are served by iamd itself and are not the gateway's.
SERVICES = [
    "s3", "dynamodb", "sqs", "sns", "kms", "lambda", "secretsmanager", "ssm", "ec2", "cloudwatch",
    "logs", "events", "apigateway", "apigatewayv2", "ecr", "route53", "cloudformation", "stepfunctions",
    "kinesis", "firehose", "elbv2", "elb", "rds", "ses", "sesv2", "s3control", "dynamodbstreams",
    "ecs", "eks", "glue", "athena", "codebuild", "acm-pca", "ssm-incidents", "cloudfront", "efs",
]

# Operations botocore models under two names for one wire request: the deprecated name is read as the
# current one (both need the same IAM action, see test_mapping).
SAME_ON_THE_WIRE = {
    ("s3", "GetBucketLifecycle"): "GetBucketLifecycleConfiguration",
    ("s3", "PutBucketLifecycle"): "PutBucketLifecycleConfiguration",
    ("s3", "GetBucketNotification"): "GetBucketNotificationConfiguration",
    ("s3", "PutBucketNotification"): "PutBucketNotificationConfiguration",
    # Directory buckets: GET / signed for s3express. The alias table maps that signing name to s3,
    # where GET / is ListBuckets.
    ("s3", "ListDirectoryBuckets"): "ListBuckets",
}


def _identify(r: Captured) -> Identified:
    body = r.body if needs_body(r.method, r.path, r.headers, r.signing_name) else None
    return identify(r.method, r.path, r.query, r.headers, r.host, r.signing_name, body)


def _capturable(service: str, operation: str) -> Captured | None:
    try:
        return capture(service, operation, minimal_params(service, operation))
    except Exception:  # noqa: BLE001 - botocore cannot make this one with minimal parameters
        return None


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_of_the_services_is_identified(service: str) -> None:
    failures = []
    made = 0
    operations = client(service).meta.service_model.operation_names
    for operation in operations:
        r = _capturable(service, operation)
        if r is None:
            continue
        made += 1
        try:
            found = _identify(r)
        except Unclassified as exc:
            failures.append(f"{service}.{operation}: {exc}")
            continue
        expected = SAME_ON_THE_WIRE.get((service, operation), operation)
        if (found.service, found.operation) != (service, expected):
            failures.append(f"{service}.{operation}: taken for {found.service}.{found.operation} "
                            f"({r.method} {r.path}?{r.query})")
            continue
        try:
            parse(found, r.method, r.path, r.query, r.headers, None if found.streaming_input else r.body,
                  "us-east-1")
        except Unclassified as exc:
            failures.append(f"{service}.{operation}: parse: {exc}")
    assert made >= len(operations) * 0.9, (made, len(operations))  # minimal parameters make nearly all
    assert not failures, "\n".join(failures)


def test_each_protocol_is_seen() -> None:
    protocols = {}
    for service, operation in [("s3", "GetObject"), ("lambda", "Invoke"), ("dynamodb", "GetItem"),
                               ("sns", "Publish"), ("ec2", "DescribeInstances"), ("cloudwatch", "PutMetricData")]:
        r = capture(service, operation, minimal_params(service, operation))
        protocols[service] = _identify(r).protocol
    # botocore prefers json where a service offers it (CloudWatch offers smithy-rpc-v2-cbor, json, query).
    assert protocols == {"s3": "rest-xml", "lambda": "rest-json", "dynamodb": "json", "sns": "query",
                         "ec2": "ec2", "cloudwatch": "json"}


@pytest.mark.parametrize("protocol", ["smithy-rpc-v2-cbor", "json", "query"])
def test_every_protocol_a_service_offers_is_read(protocol: str) -> None:
    """CloudWatch takes all three: the same operation and members whichever a client chose."""
    params = {"Namespace": "ns", "MetricData": [{"MetricName": "m", "Value": 2.5,
                                                 "Dimensions": [{"Name": "d", "Value": "v"}]}]}
    r = serialize("cloudwatch", "PutMetricData", params, protocol)
    found = _identify(r)
    assert (found.service, found.operation, found.protocol) == ("cloudwatch", "PutMetricData", protocol)
    got = parse(found, r.method, r.path, r.query, r.headers, r.body, "us-east-1")
    assert dict(got.params) == params
    for operation in client("cloudwatch").meta.service_model.operation_names:
        r = serialize("cloudwatch", operation, minimal_params("cloudwatch", operation), protocol)
        assert _identify(r).operation == operation


def _parsed(service: str, operation: str, params: dict, **kw: str) -> tuple[Identified, dict]:
    r = capture(service, operation, params, **kw)
    found = _identify(r)
    request = parse(found, r.method, r.path, r.query, r.headers, None if found.streaming_input else r.body,
                    "us-east-1")
    return found, dict(request.params)


def test_s3_path_style_and_virtual_hosted_give_the_same_members() -> None:
    params = {"Bucket": "bucket-1", "Key": "photos/2026/a b+c.jpg", "VersionId": "v1", "Range": "bytes=0-9"}
    path_found, path_params = _parsed("s3", "GetObject", params)
    host_found, host_params = _parsed("s3", "GetObject", params, endpoint="http://localhost:8777",
                                      addressing_style="virtual")
    assert path_found.operation == host_found.operation == "GetObject"
    for got in (path_params, host_params):
        assert got["Bucket"] == "bucket-1"
        assert got["Key"] == "photos/2026/a b+c.jpg"
        assert got["VersionId"] == "v1"
        assert got["Range"] == "bytes=0-9"
    assert dict(path_found.path_params) == {"Bucket": "bucket-1", "Key": "photos/2026/a b+c.jpg"}


def test_s3_query_discriminators_pick_the_operation() -> None:
    cases = {
        ("ListObjectsV2", "list-type=2"): {"Bucket": "bucket-1", "Prefix": "p/"},
        ("ListObjects", ""): {"Bucket": "bucket-1", "Prefix": "p/"},
        ("CreateMultipartUpload", "uploads"): {"Bucket": "bucket-1", "Key": "k"},
        ("ListParts", "uploadId"): {"Bucket": "bucket-1", "Key": "k", "UploadId": "u"},
        ("UploadPart", "partNumber"): {"Bucket": "bucket-1", "Key": "k", "UploadId": "u", "PartNumber": 2,
                                       "Body": b"x"},
        ("GetBucketPolicy", "policy"): {"Bucket": "bucket-1"},
        ("GetObjectTagging", "tagging"): {"Bucket": "bucket-1", "Key": "k"},
        ("CopyObject", ""): {"Bucket": "bucket-1", "Key": "k", "CopySource": "src/k"},
    }
    for (operation, marker), params in cases.items():
        assert marker in capture("s3", operation, params).query  # what tells it from its neighbours
        found, got = _parsed("s3", operation, params)
        assert found.operation == operation
        assert all(got[k] == v for k, v in params.items() if k != "Body"), (operation, got)
    put, _ = _parsed("s3", "PutObject", {"Bucket": "bucket-1", "Key": "k", "Body": b"data"})
    assert put.streaming_input is True
    get, _ = _parsed("s3", "GetObject", {"Bucket": "bucket-1", "Key": "k"})
    assert get.streaming_input is False


def test_members_come_back_typed_from_every_protocol() -> None:
    _, got = _parsed("sqs", "ReceiveMessage", {"QueueUrl": "http://127.0.0.1:8777/123456789012/q",
                                               "MaxNumberOfMessages": 5, "MessageAttributeNames": ["All"]})
    assert got == {"QueueUrl": "http://127.0.0.1:8777/123456789012/q", "MaxNumberOfMessages": 5,
                   "MessageAttributeNames": ["All"]}
    _, got = _parsed("sns", "CreateTopic", {"Name": "t", "Attributes": {"DisplayName": "d"},
                                            "Tags": [{"Key": "team", "Value": "red"}]})
    assert got == {"Name": "t", "Attributes": {"DisplayName": "d"}, "Tags": [{"Key": "team", "Value": "red"}]}
    _, got = _parsed("ec2", "DescribeInstances", {"InstanceIds": ["i-1", "i-2"], "DryRun": True,
                                                  "Filters": [{"Name": "tag:a", "Values": ["b"]}]})
    assert got == {"InstanceIds": ["i-1", "i-2"], "DryRun": True, "Filters": [{"Name": "tag:a", "Values": ["b"]}]}
    _, got = _parsed("lambda", "Invoke", {"FunctionName": "f", "Qualifier": "live", "InvocationType": "Event",
                                          "Payload": b"{}"})
    assert got["FunctionName"] == "f" and got["Qualifier"] == "live" and got["InvocationType"] == "Event"
    _, got = _parsed("cloudwatch", "PutMetricData", {"Namespace": "ns", "MetricData": [{"MetricName": "m",
                                                                                        "Value": 2.5}]})
    assert got == {"Namespace": "ns", "MetricData": [{"MetricName": "m", "Value": 2.5}]}
    _, got = _parsed("apigateway", "CreateRestApi", {"name": "api", "tags": {"a": "b"}})
    assert got == {"name": "api", "tags": {"a": "b"}}
    _, got = _parsed("route53", "ChangeTagsForResource", {"ResourceType": "hostedzone", "ResourceId": "Z1",
                                                          "AddTags": [{"Key": "a", "Value": "b"}]})
    assert got == {"ResourceType": "hostedzone", "ResourceId": "Z1", "AddTags": [{"Key": "a", "Value": "b"}]}


def test_query_protocol_needs_the_form_body() -> None:
    r = capture("sns", "ListTopics", {})
    assert needs_body(r.method, r.path, r.headers, r.signing_name)
    with pytest.raises(Unclassified, match="form body"):
        identify(r.method, r.path, r.query, r.headers, r.host, r.signing_name, None)
    r = capture("dynamodb", "ListTables", {})
    assert not needs_body(r.method, r.path, r.headers, r.signing_name)


def test_unclassified_names_what_was_not_understood() -> None:
    headers = {"X-Amz-Target": "DynamoDB_20120810.NoSuchThing"}
    with pytest.raises(Unclassified, match="NoSuchThing"):
        identify("POST", "/", "", headers, "127.0.0.1:8777", "dynamodb", b"{}")
    with pytest.raises(Unclassified, match="NotAPrefix"):
        identify("POST", "/", "", {"X-Amz-Target": "NotAPrefix.Op"}, "127.0.0.1:8777", None, b"{}")
    with pytest.raises(Unclassified, match="nosuchservice"):
        identify("GET", "/", "", {}, "127.0.0.1:8777", "nosuchservice", None)
    with pytest.raises(Unclassified, match="PATCH /bucket-1"):
        identify("PATCH", "/bucket-1", "", {}, "127.0.0.1:8777", "s3", None)
    with pytest.raises(Unclassified, match="NoSuchAction"):
        identify("POST", "/", "Action=NoSuchAction", {}, "127.0.0.1:8777", "sns", None)


@pytest.mark.parametrize("path", ["/bucket-1/public/../secret", "/bucket-1/public/%2E%2E/secret",
                                  "/bucket-1/./secret", "/bucket-1/.."])
def test_dot_segments_are_refused(path: str) -> None:
    """The key authorized must be the key the upstream acts on: a path an HTTP library or the upstream
    may resolve ("public/../secret" -> "secret") is refused."""
    with pytest.raises(Unclassified, match="segments"):
        identify("GET", path, "", {}, "127.0.0.1:8777", "s3", None)
    found = identify("GET", "/bucket-1/a..b/...", "", {}, "127.0.0.1:8777", "s3", None)
    assert dict(found.path_params) == {"Bucket": "bucket-1", "Key": "a..b/..."}


def test_malformed_body_is_unclassified_not_a_crash() -> None:
    found = identify("POST", "/", "", {"X-Amz-Target": "DynamoDB_20120810.GetItem"}, "h", "dynamodb", None)
    with pytest.raises(Unclassified, match="json body"):
        parse(found, "POST", "/", "", {}, b"{not json", "us-east-1")
    with pytest.raises(Unclassified):
        parse(found, "POST", "/", "", {}, b"[1, 2]", "us-east-1")


def test_the_shipped_service_index_is_botocores() -> None:
    """data/botocore_index.json is read from botocore's models: regenerate it when botocore changes
    (python -m iamd.gateway.service_index)."""
    shipped = json.loads(INDEX_PATH.read_text("utf-8"))
    assert shipped["botocore_version"] == botocore.__version__
    from iamd.gateway.service_index import loader, metadata_of

    for name in ("s3", "dynamodb", "sqs", "cloudwatch", "stepfunctions", "elbv2"):
        assert shipped["services"][name] == metadata_of(name, loader().load_service_model(name, "service-2"))
    assert set(shipped["services"]) == set(loader().list_available_services("service-2"))


def test_virtual_hosted_buckets_under_a_configured_host() -> None:
    from iamd.gateway.classify import configure_virtual_host_suffixes, s3_bucket_from_host

    assert s3_bucket_from_host("bucket-1.s3.us-east-1.amazonaws.com") == "bucket-1"
    assert s3_bucket_from_host("my.dotted.bucket.s3.amazonaws.com") == "my.dotted.bucket"
    assert s3_bucket_from_host("bucket-1.localhost:8777") == "bucket-1"
    assert s3_bucket_from_host("127.0.0.1:8777") is None
    assert s3_bucket_from_host("iamd.example.internal:8777") is None
    configure_virtual_host_suffixes((".iamd.example.internal",))
    try:
        assert s3_bucket_from_host("bucket-1.iamd.example.internal:8777") == "bucket-1"
        found = identify("GET", "/photos/a.jpg", "", {}, "bucket-1.iamd.example.internal:8777", "s3", None)
        assert (found.operation, dict(found.path_params)) == ("GetObject", {"Bucket": "bucket-1",
                                                                             "Key": "photos/a.jpg"})
        listing = identify("GET", "/", "list-type=2&prefix=p", {}, "bucket-1.iamd.example.internal", "s3", None)
        assert (listing.operation, dict(listing.path_params)) == ("ListObjectsV2", {"Bucket": "bucket-1"})
    finally:
        configure_virtual_host_suffixes((".localhost", ".localhost.localstack.cloud"))


def test_presigned_query_parameters_do_not_change_the_operation_or_members() -> None:
    query = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
             "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=abc")
    found = identify("GET", "/bucket-1/k", query, {}, "127.0.0.1:8777", "s3", None)
    assert found.operation == "GetObject"
    request = parse(found, "GET", "/bucket-1/k", query, {}, None, "us-east-1")
    assert dict(request.params) == {"Bucket": "bucket-1", "Key": "k"}


def test_unsigned_requests_are_placed_by_host_or_taken_for_s3() -> None:
    found = identify("POST", "/", "", {"Content-Type": "application/x-www-form-urlencoded"},
                     "sns.us-east-1.amazonaws.com", None, b"Action=ListTopics&Version=2010-03-31")
    assert (found.service, found.operation) == ("sns", "ListTopics")
    anonymous = identify("GET", "/public-bucket/file.txt", "", {}, "127.0.0.1:8777", None, None)
    assert (anonymous.service, anonymous.operation) == ("s3", "GetObject")


# -- remembered REST matches ------------------------------------------------------------------------

def _object_request(copy: bool) -> dict:
    headers = {"host": "127.0.0.1:8777", "x-amz-date": "20260101T000000Z"}
    if copy:
        headers["x-amz-copy-source"] = "/src-bucket/src-key"
    return dict(method="PUT", path="/bucket-1/same-key", query="", headers=headers, host="127.0.0.1:8777",
                signing_name="s3", body=None)


def test_a_remembered_match_tells_requests_apart_by_the_headers_routes_require() -> None:
    """PutObject and CopyObject share PUT /{Bucket}/{Key+}: only x-amz-copy-source tells them apart,
    whichever of them came first, however often."""
    for _ in range(3):
        assert identify(**_object_request(copy=False)).operation == "PutObject"
        assert identify(**_object_request(copy=True)).operation == "CopyObject"
    other = {**_object_request(copy=False), "path": "/bucket-1/other-key"}
    assert identify(**_object_request(copy=True)).operation == "CopyObject"
    assert identify(**other).path_params == {"Bucket": "bucket-1", "Key": "other-key"}


def test_a_match_made_while_its_service_loads_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first request for a service loads its routes, and with them the header names the key is made of:
    a CopyObject that loads S3 is a CopyObject, and is not remembered as what it would be without its header."""
    from iamd.gateway import classify, routes

    monkeypatch.setattr(routes, "_services", {})
    monkeypatch.setattr(routes, "_route_headers", frozenset())
    classify._identify_rest_remembered.cache_clear()
    assert identify(**_object_request(copy=True)).operation == "CopyObject"
    assert identify(**_object_request(copy=False)).operation == "PutObject"
    assert identify(**_object_request(copy=True)).operation == "CopyObject"


def test_a_refusal_made_while_a_service_loads_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """S3 Control's routes require x-amz-account-id: the request that loads them has it, though the key made
    before they loaded could not say so (a match without it is none)."""
    from iamd.gateway import classify, routes

    r = _capturable("s3control", "GetAccessPoint")
    assert r is not None and "x-amz-account-id" in {name.lower() for name in r.headers}
    for _ in range(2):
        monkeypatch.setattr(routes, "_services", {})
        monkeypatch.setattr(routes, "_route_headers", frozenset())
        classify._identify_rest_remembered.cache_clear()
        assert _identify(r).operation == "GetAccessPoint"
        assert _identify(r).operation == "GetAccessPoint"
