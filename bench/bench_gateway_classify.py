"""Benchmark of the gateway's pure part: identify + parse + authorization_items for one request.

The requests are made by botocore's own serializers (a client pointed at an unused endpoint, stopped
at its ``before-send`` event), so they are what boto3 sends. Measured per operation, warm (the service
model and its routes indexed, the reference loaded), in microseconds per request: the median of
``--rounds`` rounds of ``--number`` calls each, in CPU time (process_time: other processes on a busy
machine do not count), beside botocore's own serializer making the same request from the same parameters
in the same run (the client-side cost of the request: a yardstick for the ratio). The first call of each
service (cold: its model loaded and indexed) is printed beside it.

Run:  .venv/bin/python bench/bench_gateway_classify.py [--rounds 7] [--number 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import botocore.session  # noqa: E402
from botocore.config import Config  # noqa: E402

from iamd.gateway.classify import identify, needs_body, parse  # noqa: E402
from iamd.gateway.mapping import authorization_items  # noqa: E402

ACCOUNT = "123456789012"
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("s3", "GetObject", {"Bucket": "bucket-1", "Key": "photos/2026/a.jpg"}),
    ("s3", "PutObject", {"Bucket": "bucket-1", "Key": "k", "Body": b"x", "ACL": "private"}),
    ("s3", "ListObjectsV2", {"Bucket": "bucket-1", "Prefix": "home/", "Delimiter": "/"}),
    ("dynamodb", "GetItem", {"TableName": "T", "Key": {"pk": {"S": "u1"}}}),
    ("dynamodb", "PutItem", {"TableName": "T", "Item": {"pk": {"S": "u1"}, "v": {"N": "1"}}}),
    ("sqs", "SendMessage", {"QueueUrl": f"http://127.0.0.1:8777/{ACCOUNT}/q1", "MessageBody": "hello"}),
    ("sns", "Publish", {"TopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t", "Message": "hello"}),
    ("kms", "Encrypt", {"KeyId": "alias/app", "Plaintext": b"x", "EncryptionContext": {"app": "a"}}),
    ("lambda", "Invoke", {"FunctionName": "f", "Payload": b"{}"}),
    ("ec2", "DescribeInstances", {"InstanceIds": ["i-1"]}),
]


class _Stop(Exception):
    pass


def capture(service: str, operation: str, params: dict[str, Any]) -> tuple[str, str, str, dict[str, str], str,
                                                                          str | None, bytes]:
    session = botocore.session.get_session()
    client = session.create_client(service, region_name="us-east-1", endpoint_url="http://127.0.0.1:8777",
                                   aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x" * 40,
                                   config=Config(s3={"addressing_style": "path"}))
    seen: list[Any] = []

    def stop(request: Any, **_: Any) -> None:
        seen.append(request)
        raise _Stop

    client.meta.events.register_first("before-send", stop)
    name = {v: k for k, v in client.meta.method_to_api_mapping.items()}[operation]
    try:
        getattr(client, name)(**params)
    except _Stop:
        pass
    r = seen[0]
    url = urlsplit(r.url)
    headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in r.headers.items()}
    body = r.body or b""
    body = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else body.read()
    auth = headers.get("Authorization", "")
    signing = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")[3] if "Credential=" in auth else None
    return r.method, url.path, url.query, headers, url.netloc, signing, body


def serializer_cost(service: str, operation: str, params: dict[str, Any], rounds: int, number: int) -> float:
    """µs per request of botocore's serializer for the operation (what the client spends making it)."""
    from botocore.serialize import create_serializer  # noqa: PLC0415

    model = botocore.session.get_session().get_service_model(service)
    op = model.operation_model(operation)
    serializer = create_serializer(model.resolved_protocol if hasattr(model, "resolved_protocol")
                                   else model.metadata["protocol"])
    times = []
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(number):
            serializer.serialize_to_request(params, op)
        times.append((time.process_time() - t0) / number * 1e6)
    return statistics.median(times)


def once(method: str, path: str, query: str, headers: dict[str, str], host: str, signing: str | None,
         body: bytes) -> Any:
    read = body if needs_body(method, path, headers, signing) else None
    found = identify(method, path, query, headers, host, signing, read)
    request = parse(found, method, path, query, headers, None if found.streaming_input else body, "us-east-1")
    return authorization_items(request, ACCOUNT)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--number", type=int, default=2000)
    args = ap.parse_args()
    print(f"command: .venv/bin/python bench/bench_gateway_classify.py --rounds {args.rounds} --number {args.number}")
    print(f"{'operation':<28} {'cold ms':>8} {'warm µs':>8} {'botocore µs':>11} {'ratio':>6}  items")
    for service, operation, params in CASES:
        wire = capture(service, operation, params)
        t0 = time.process_time()
        items = once(*wire)
        cold = (time.process_time() - t0) * 1000
        times = []
        for _ in range(args.rounds):
            t0 = time.process_time()
            for _ in range(args.number):
                once(*wire)
            times.append((time.process_time() - t0) / args.number * 1e6)
        warm = statistics.median(times)
        yardstick = serializer_cost(service, operation, params, args.rounds, args.number)
        summary = ", ".join(f"{i.action} {i.resource}" for i in items)
        print(f"{service + '.' + operation:<28} {cold:>8.1f} {warm:>8.1f} {yardstick:>11.1f} {warm / yardstick:>6.2f}"
              f"  {summary}")


if __name__ == "__main__":
    main()
