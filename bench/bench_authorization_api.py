"""Decisions per second of the authorization API (docs/authorization-api.md) against one iamd process
(SQLite): VerifyAndAuthorize with one (action, resource) pair per call and with batches of 10, Authorize by
ARN, and GetCallerIdentity (the cheapest signed call) in the same run for the ratio.

    .venv/bin/python bench/bench_authorization_api.py [--seconds 5] [--connections 16] [--no-audit]

Every request is signed before the timed window (loadgen.py): the service's call with botocore's signer
for "iamd", and inside it the client's request, signed for "orders" by another key, as a service hands it
over. Each figure reports calls/s, decisions/s (calls × pairs), p50/p99 and the server's CPU per call.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, str(Path(__file__).parent))
import loadgen  # noqa: E402
from bench_api import ACCOUNT, HOST, KEY, SECRET, free_port  # noqa: E402

from iamd.client import AuthorizationClient  # noqa: E402

ORDER = f"arn:aws:orders:us-east-1:{ACCOUNT}:order/"


def json_call(port: int, operation: str, params: dict, key: str, secret: str) -> bytes:
    """A signed authorization API call as raw HTTP/1.1 bytes."""
    body = json.dumps(params)
    request = AWSRequest(method="POST", url=f"http://{HOST}:{port}/", data=body,
                         headers={"X-Amz-Target": f"IamdAuthorization.{operation}",
                                  "Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(Credentials(key, secret), "iamd", "us-east-1").add_auth(request)
    headers = "".join(f"{name}: {value}\r\n" for name, value in request.prepare().headers.items()
                      if name.lower() != "content-length")
    return (f"POST / HTTP/1.1\r\nHost: {HOST}:{port}\r\n{headers}Content-Length: {len(body)}\r\n\r\n").encode() \
        + body.encode()


def client_material(key: str, secret: str, index: int) -> dict:
    """The signed request a client sent the orders service."""
    url = f"https://orders.internal/orders/o-{index}"
    request = AWSRequest(method="GET", url=url, headers={"Host": "orders.internal"})
    SigV4Auth(Credentials(key, secret), "orders", "us-east-1").add_auth(request)
    return {"Method": "GET", "Path": f"/orders/o-{index}", "Query": "",
            "Headers": [[k, v] for k, v in request.headers.items()], "PayloadHash": hashlib.sha256(b"").hexdigest()}


def start_server(data_dir: Path, audit: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {"IAMD_DATA_DIR": str(data_dir), "IAMD_PORT": str(port), "PATH": "/usr/bin:/bin", "IAMD_WORKERS": "1",
           "IAMD_AUDIT": audit, "IAMD_ACCOUNT_ID": ACCOUNT, "IAMD_ROOT_ACCESS_KEY_ID": KEY,
           "IAMD_ROOT_SECRET_ACCESS_KEY": SECRET}
    process = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "serve"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90  # a busy machine: the first start migrates and creates the account
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("server exited early")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("server did not start")


def principals(port: int) -> tuple[dict, dict, str]:
    """The service's key (iamd:VerifySignature and iamd:Authorize), a client's key and the client's ARN."""
    iam = boto3.client("iam", endpoint_url=f"http://{HOST}:{port}", region_name="us-east-1",
                       aws_access_key_id=KEY, aws_secret_access_key=SECRET)
    iam.create_user(UserName="orders-service")
    iam.put_user_policy(UserName="orders-service", PolicyName="authz", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["iamd:VerifySignature", "iamd:Authorize"], "Resource": "*"}]}))
    service = iam.create_access_key(UserName="orders-service")["AccessKey"]
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "red"}])
    iam.put_user_policy(UserName="alice", PolicyName="orders", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": ["orders:Get*", "orders:List*"], "Resource": ORDER + "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}},
            {"Sid": "NoCancel", "Effect": "Deny", "Action": "orders:CancelOrder", "Resource": "*"}]}))
    client = iam.create_access_key(UserName="alice")["AccessKey"]
    return service, client, f"arn:aws:iam::{ACCOUNT}:user/alice"


def measure(name: str, process: subprocess.Popen, port: int, pool: list[bytes], pairs: int, args) -> dict:
    loadgen.run(HOST, port, pool[:200], args.connections, 0.5)  # warm: caches filled, connections open
    before = loadgen.cpu_seconds(process.pid)
    result = loadgen.run(HOST, port, pool, args.connections, args.seconds)
    cpu = loadgen.cpu_seconds(process.pid) - before
    row = {"name": name, "rps": result.rate, "dps": result.rate * pairs, "p50": result.percentile(0.5),
           "p99": result.percentile(0.99), "cpu_us": cpu / result.requests * 1e6, "errors": result.errors}
    print(f"{name:40s} {row['rps']:7.0f} calls/s {row['dps']:8.0f} decisions/s  p50 {row['p50']:6.2f} ms  "
          f"p99 {row['p99']:6.2f} ms  server CPU {row['cpu_us']:5.0f} µs/call  errors {row['errors']}", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-audit", action="store_true", help="serve with IAMD_AUDIT=false")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    print(f"{args.connections} connections, {args.seconds:.0f} s per figure, one server process (SQLite)\n")
    with tempfile.TemporaryDirectory() as tmp:
        process, port = start_server(Path(tmp), "false" if args.no_audit else "true")
        try:
            service, client, client_arn = principals(port)
            skey, ssecret = service["AccessKeyId"], service["SecretAccessKey"]
            ckey, csecret = client["AccessKeyId"], client["SecretAccessKey"]
            materials = [client_material(ckey, csecret, i) for i in range(400)]
            one = [json_call(port, "VerifyAndAuthorize", {
                "Request": m, "Service": "orders", "Actions": ["orders:GetOrder"], "Resources": [ORDER + f"o-{i}"],
                "Context": {"aws:SourceIp": "10.0.0.1"}}, skey, ssecret) for i, m in enumerate(materials)]
            actions = ["orders:GetOrder", "orders:ListOrders", "orders:CancelOrder", "orders:GetInvoice",
                       "orders:UpdateOrder"]
            ten = [json_call(port, "VerifyAndAuthorize", {
                "Request": m, "Actions": actions, "Resources": [ORDER + f"o-{i}", ORDER + f"o-{i + 1}"]},
                skey, ssecret) for i, m in enumerate(materials)]
            by_arn = [json_call(port, "Authorize", {
                "PrincipalArn": client_arn, "Actions": ["orders:GetOrder"], "Resources": [ORDER + f"o-{i}"]},
                skey, ssecret) for i in range(400)]
            with AuthorizationClient(f"http://{HOST}:{port}", skey, ssecret) as api:  # the pool decides as meant
                answer = api.verify_and_authorize(materials[0], actions, [ORDER + "o-0"])
                assert answer["Authenticated"] and [r["Decision"] for r in answer["Results"]] == [
                    "allowed", "allowed", "explicitDeny", "allowed", "implicitDeny"], answer
            identity = [loadgen.sign(HOST, port, {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                                     skey, ssecret, "sts")] * 50
            rows = [measure("GetCallerIdentity (baseline)", process, port, identity, 1, args),
                    measure("VerifyAndAuthorize, 1 pair per call", process, port, one, 1, args),
                    measure("VerifyAndAuthorize, 10 pairs per call", process, port, ten, 10, args),
                    measure("Authorize by ARN, 1 pair per call", process, port, by_arn, 1, args)]
        finally:
            process.terminate()
            process.wait()
    base = rows[0]["rps"]
    print(f"\nfused calls/s / GetCallerIdentity calls/s: {rows[1]['rps'] / base:.2f}; "
          f"decisions/s with 10 pairs / with 1 pair: {rows[2]['dps'] / rows[1]['dps']:.2f}")


if __name__ == "__main__":
    main()
