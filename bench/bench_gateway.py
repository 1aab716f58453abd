"""The gateway's forward path: added latency (p50, p99) and iamd's CPU per forwarded small request, in one
run beside direct calls to the same moto server: S3 GetObject (1 KiB), DynamoDB GetItem, S3 ListObjectsV2.

    .venv/bin/python bench/bench_gateway.py [--seconds 5] [--connections 16] [--low 1] [--audit]
                                            [--upstream moto|keepalive] [--baseline SRC]

moto's server (a process of its own) is the upstream; iamd runs with IAMD_UPSTREAM_URL on SQLite, one
worker. Every request is signed before the timed window (bench/loadgen.py). moto's own server closes the
connection after every answer, so both the client's direct calls and iamd's forwards open a connection
per request: the "added" figures include iamd's connect to moto. ``--upstream keepalive`` serves moto's
application with uvicorn instead (bench/moto_keepalive.py), which keeps connections alive, as AWS does.

Each request is measured at ``--connections`` (the issue's 16) and at ``--low`` connections: on a machine
of 2 cores the load generator, moto and iamd share them, and at 16 connections moto's own queue makes
most of the direct p50; at 1 connection the added latency is iamd's own. iamd's audit trail is off
unless --audit.

``--baseline SRC`` runs a second iamd from the iamd package under SRC (the src directory of a ``git worktree
add`` of main, say) in front of the same upstream, measured right after this code's at each step, so
that the two compare within one run (``base`` columns, and this / base).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

sys.path.insert(0, str(Path(__file__).parent))
import loadgen  # noqa: E402
from bench_api import HOST, free_port, wait_for  # noqa: E402

KEY, SECRET = "AKIABENCHMARKROOT001", "b" * 40
ACCOUNT = "123456789012"
BUCKET, OBJECT, TABLE = "bench-bucket", "small.bin", "bench-table"


def raw_request(port: int, method: str, path: str, service: str, key: str, secret: str, headers: dict,
                body: bytes = b"") -> bytes:
    """A request signed now, as raw HTTP/1.1 bytes."""
    url = f"http://{HOST}:{port}{path}"
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    (S3SigV4Auth if service == "s3" else SigV4Auth)(Credentials(key, secret), service, "us-east-1").add_auth(request)
    lines = "".join(f"{name}: {value}\r\n" for name, value in request.headers.items()
                    if name.lower() not in ("content-length", "host"))
    return (f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{lines}Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body


def pools(port: int, key: str, secret: str, extra: dict) -> dict[str, list[bytes]]:
    get_item = json.dumps({"TableName": TABLE, "Key": {"pk": {"S": "item-1"}}}).encode()
    json_headers = {"X-Amz-Target": "DynamoDB_20120810.GetItem", "Content-Type": "application/x-amz-json-1.0", **extra}
    return {
        "S3 GetObject 1 KiB": [raw_request(port, "GET", f"/{BUCKET}/{OBJECT}", "s3", key, secret, dict(extra))
                               for _ in range(50)],
        "DynamoDB GetItem": [raw_request(port, "POST", "/", "dynamodb", key, secret, json_headers, get_item)
                             for _ in range(50)],
        "S3 ListObjectsV2": [raw_request(port, "GET", f"/{BUCKET}?list-type=2", "s3", key, secret, dict(extra))
                             for _ in range(50)],
    }


def start(command: list[str], env: dict, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(command, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    wait_for(port, process)
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--low", type=int, default=1, help="the low-load figure's connections (0: none)")
    parser.add_argument("--audit", action="store_true", help="keep iamd's audit trail on (an event per call)")
    parser.add_argument("--upstream", choices=("moto", "keepalive"), default="moto",
                        help="moto's own server (a connection per request) or moto's app behind uvicorn (kept alive)")
    parser.add_argument("--baseline", metavar="SRC", help="also measure the iamd package under SRC, alternating")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        moto_port, iamd_port = free_port(), free_port()
        if args.upstream == "moto":
            moto_command = [str(bin_dir / "moto_server"), "-p", str(moto_port)]
        else:
            moto_command = [sys.executable, "-m", "uvicorn", "--interface", "wsgi", "--port", str(moto_port),
                            "--no-access-log", "--log-level", "warning", "--app-dir", str(Path(__file__).parent),
                            "moto_keepalive:app"]
        moto = start(moto_command, dict(os.environ), moto_port, Path(tmp) / "moto.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IAMD_", "AWS_"))}
        env.update(IAMD_PORT=str(iamd_port), IAMD_DATA_DIR=tmp, IAMD_WORKERS="1", IAMD_ACCOUNT_ID=ACCOUNT,
                   IAMD_ROOT_ACCESS_KEY_ID=KEY, IAMD_ROOT_SECRET_ACCESS_KEY=SECRET,
                   IAMD_UPSTREAM_URL=f"http://{HOST}:{moto_port}", IAMD_AUDIT="1" if args.audit else "0")
        iamd = start([sys.executable, "-m", "iamd.cli.main", "serve"], env, iamd_port, Path(tmp) / "iamd.log")
        base = None
        if args.baseline:
            base_port = free_port()
            (Path(tmp) / "base").mkdir()
            base = start([sys.executable, "-m", "iamd.cli.main", "serve"],
                         {**env, "IAMD_PORT": str(base_port), "IAMD_DATA_DIR": str(Path(tmp) / "base"),
                          "PYTHONPATH": args.baseline}, base_port, Path(tmp) / "base.log")
        try:
            config = Config(s3={"addressing_style": "path"})
            s3 = boto3.client("s3", endpoint_url=f"http://{HOST}:{iamd_port}", region_name="us-east-1",
                              aws_access_key_id=KEY, aws_secret_access_key=SECRET, config=config)
            s3.create_bucket(Bucket=BUCKET)
            s3.put_object(Bucket=BUCKET, Key=OBJECT, Body=os.urandom(1024))
            dynamodb = boto3.client("dynamodb", endpoint_url=f"http://{HOST}:{iamd_port}", region_name="us-east-1",
                                    aws_access_key_id=KEY, aws_secret_access_key=SECRET)
            dynamodb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                  BillingMode="PAY_PER_REQUEST")
            dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "item-1"}, "v": {"S": "x" * 100}})
            direct = pools(moto_port, "moto", "moto", {"x-moto-account-id": ACCOUNT})
            servers = [("", iamd, iamd_port)] + ([("base", base, base_port)] if base else [])
            through = {label: pools(port, KEY, SECRET, {}) for label, _, port in servers}
            print(f"upstream: {args.upstream}")
            print(f"{'request':28} {'conns':>5} {'direct p50':>11} {'via iamd p50':>13} {'added p50':>10} "
                  f"{'added p99':>10} {'iamd CPU/req':>13} {'req/s via':>10}")
            levels = [args.connections] + ([args.low] if args.low else [])
            for name in direct:
                for connections in levels:
                    loadgen.run(HOST, moto_port, direct[name], connections, 0.5)   # warm-up
                    plain = loadgen.run(HOST, moto_port, direct[name], connections, args.seconds)
                    figures = {}
                    for label, process, port in servers:
                        loadgen.run(HOST, port, through[label][name], connections, 0.5)
                        before = loadgen.cpu_seconds(process.pid)
                        via = loadgen.run(HOST, port, through[label][name], connections, args.seconds)
                        cpu = figures[label] = (loadgen.cpu_seconds(process.pid) - before) / via.requests * 1e6
                        errors = plain.errors + via.errors
                        print(f"{(name + (f' ({label})' if label else '')):28} {connections:5} "
                              f"{plain.percentile(0.5):9.2f}ms {via.percentile(0.5):11.2f}ms "
                              f"{via.percentile(0.5) - plain.percentile(0.5):8.2f}ms "
                              f"{via.percentile(0.99) - plain.percentile(0.99):8.2f}ms {cpu:10.0f} µs {via.rate:10.0f}"
                              + (f"  ERRORS {errors}" if errors else ""), flush=True)
                    if base:
                        print(f"{'':28} {'':5} iamd CPU this / base: {figures[''] / figures['base']:.2f}", flush=True)
            # The scale of this machine in this run: iamd's own cheapest call (docs/performance.md has its
            # figures on a quiet machine), and moto's server alone.
            own = [loadgen.sign(HOST, iamd_port, {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, KEY, SECRET,
                                "sts") for _ in range(50)]
            loadgen.run(HOST, iamd_port, own, args.connections, 0.5)
            before = loadgen.cpu_seconds(iamd.pid)
            result = loadgen.run(HOST, iamd_port, own, args.connections, args.seconds)
            cpu = (loadgen.cpu_seconds(iamd.pid) - before) / result.requests * 1e6
            print(f"{'(iamd GetCallerIdentity)':22} {args.connections:5} {'':11} {result.percentile(0.5):11.2f}ms "
                  f"{'':10} {'':10} {cpu:10.0f} µs {result.rate:10.0f}", flush=True)
            bare_port = free_port()  # the stack's ceiling: a bare Starlette app under uvicorn
            bare = start([sys.executable, str(Path(__file__).with_name("bare_app.py")), str(bare_port)], env,
                         bare_port, Path(tmp) / "bare.log")
            try:
                pool = [loadgen.plain_get(HOST, bare_port)]
                loadgen.run(HOST, bare_port, pool, args.connections, 0.5)
                before = loadgen.cpu_seconds(bare.pid)
                result = loadgen.run(HOST, bare_port, pool, args.connections, args.seconds)
                cpu = (loadgen.cpu_seconds(bare.pid) - before) / result.requests * 1e6
            finally:
                bare.terminate()
                bare.wait(timeout=10)
            print(f"{'(bare Starlette app)':22} {args.connections:5} {'':11} {result.percentile(0.5):11.2f}ms "
                  f"{'':10} {'':10} {cpu:10.0f} µs {result.rate:10.0f}", flush=True)
            print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        finally:
            for process in (iamd, base, moto):
                if process is None:
                    continue
                process.terminate()
                process.wait(timeout=10)
    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))


if __name__ == "__main__":
    main()
