"""Decisions per second of the authorization API (docs/authorization-api.md) against one iamd process
(SQLite): VerifyAndAuthorize with one (action, resource) pair per call and with batches of 10, Authorize by
ARN, and GetCallerIdentity (the cheapest signed call) in the same run for the ratio.

    .venv/bin/python bench/bench_authorization_api.py [--seconds 5] [--connections 16] [--no-audit]
    .venv/bin/python bench/bench_authorization_api.py --in-process [--calls 3000]
    .venv/bin/python bench/bench_authorization_api.py --baseline SRC [--rounds 3] [--seconds 3] [--no-audit]

--baseline: this code and the iamd package under SRC (main's src, say) served side by side, every figure
measured on each in turn, round after round; the medians of server CPU per call and their ratio.

--in-process: no HTTP, no server: the CPU time of each call's handling (QueryApi.handle and
AuthorizationApi.handle in this process, SQLite), which a machine shared with other work disturbs far
less than requests per second.

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
import statistics
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


def start_server(data_dir: Path, audit: str, source: str | None = None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {"IAMD_DATA_DIR": str(data_dir), "IAMD_PORT": str(port), "PATH": "/usr/bin:/bin", "IAMD_WORKERS": "1",
           "IAMD_AUDIT": audit, "IAMD_ACCOUNT_ID": ACCOUNT, "IAMD_ROOT_ACCESS_KEY_ID": KEY,
           "IAMD_ROOT_SECRET_ACCESS_KEY": SECRET, **({"PYTHONPATH": source} if source else {})}
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


def in_process(calls: int) -> None:
    """CPU µs per call of the handlers themselves, interleaved so that a disturbance hits all alike."""
    from starlette.requests import Request

    from iamd.cli.bootstrap import open_state
    from iamd.config import Settings
    from iamd.service.runtime import new_environment
    from iamd.web.api import QueryApi
    from iamd.web.authorization_api import AuthorizationApi

    def scope_of(raw: bytes) -> tuple[Request, bytes]:
        head, body = raw.split(b"\r\n\r\n", 1)
        headers = [tuple(line.split(b": ", 1)) for line in head.split(b"\r\n")[1:]]
        return Request({"type": "http", "method": "POST", "path": "/", "raw_path": b"/", "query_string": b"",
                        "headers": [(name.lower(), value) for name, value in headers], "client": ("127.0.0.1", 1),
                        "scheme": "http", "server": ("127.0.0.1", 1)}), body

    with tempfile.TemporaryDirectory() as tmp:
        state = open_state(Settings(data_dir=tmp, account_id=ACCOUNT, root_access_key_id=KEY,
                                    root_secret_access_key=SECRET, audit=False))
        env = new_environment(state.box)
        query, authz = QueryApi(state.store, env), AuthorizationApi(state.store, env)

        def iam(params: dict, key: str = KEY, secret: str = SECRET, service: str = "iam") -> str:
            status, content, _ = query.handle(*scope_of(loadgen.sign(HOST, 1, {"Version": "2010-05-08", **params},
                                                                     key, secret, service)))
            assert status == 200, content
            return content.decode()

        def new_key(user: str, policy: dict) -> tuple[str, str]:
            iam({"Action": "CreateUser", "UserName": user})
            iam({"Action": "PutUserPolicy", "UserName": user, "PolicyName": "p", "PolicyDocument": json.dumps(policy)})
            created = iam({"Action": "CreateAccessKey", "UserName": user})
            return (created.split("<AccessKeyId>")[1].split("<")[0],
                    created.split("<SecretAccessKey>")[1].split("<")[0])

        skey, ssecret = new_key("orders-service", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["iamd:VerifySignature", "iamd:Authorize"], "Resource": "*"}]})
        ckey, csecret = new_key("alice", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["orders:Get*", "orders:List*"], "Resource": ORDER + "*"},
            {"Effect": "Deny", "Action": "orders:CancelOrder", "Resource": "*"}]})
        material = client_material(ckey, csecret, 1)
        actions = ["orders:GetOrder", "orders:ListOrders", "orders:CancelOrder", "orders:GetInvoice",
                   "orders:UpdateOrder"]
        pools = {
            "GetCallerIdentity (baseline)": (query, loadgen.sign(HOST, 1, {"Action": "GetCallerIdentity",
                                                                           "Version": "2011-06-15"},
                                                                 skey, ssecret, "sts"), 1),
            "VerifyAndAuthorize, 1 pair": (authz, json_call(1, "VerifyAndAuthorize", {
                "Request": material, "Actions": ["orders:GetOrder"], "Resources": [ORDER + "o-1"]}, skey, ssecret), 1),
            "VerifyAndAuthorize, 10 pairs": (authz, json_call(1, "VerifyAndAuthorize", {
                "Request": material, "Actions": actions, "Resources": [ORDER + "o-1", ORDER + "o-2"]},
                skey, ssecret), 10),
        }
        spent = dict.fromkeys(pools, 0.0)
        for handler, raw, _ in pools.values():  # each answers as meant before it is timed
            status, content, _ = handler.handle(*scope_of(raw))
            assert status == 200 and b'"Authenticated": false' not in content, content
        rounds = 10
        for _ in range(rounds):
            for name, (handler, raw, _) in pools.items():
                request, body = scope_of(raw)
                started = time.process_time()
                for _ in range(calls // rounds):
                    handler.handle(request, body)
                spent[name] += time.process_time() - started
        state.store.dispose()
    base = spent["GetCallerIdentity (baseline)"] / calls
    for name, (_, _, pairs) in pools.items():
        per_call = spent[name] / calls
        print(f"{name:32s} {per_call * 1e6:6.0f} µs CPU per call  {pairs / per_call:8.0f} decisions/s per core  "
              f"{per_call / base:4.2f}× GetCallerIdentity")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-audit", action="store_true", help="serve with IAMD_AUDIT=false")
    parser.add_argument("--in-process", action="store_true", help="CPU per call of the handlers, no HTTP")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--baseline", metavar="SRC", help="also serve the iamd package under SRC, alternating")
    parser.add_argument("--rounds", type=int, default=3, help="with --baseline: rounds of every figure")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    if args.in_process:
        in_process(args.calls)
        return
    if args.baseline:
        alternate(args)
        return
    print(f"{args.connections} connections, {args.seconds:.0f} s per figure, one server process (SQLite)\n")
    with tempfile.TemporaryDirectory() as tmp:
        process, port = start_server(Path(tmp), "false" if args.no_audit else "true")
        try:
            pools = call_pools(port)
            rows = [measure(name, process, port, pool, pairs, args) for name, (pool, pairs) in pools.items()]
        finally:
            process.terminate()
            process.wait()
    base = rows[0]["rps"]
    print(f"\nfused calls/s / GetCallerIdentity calls/s: {rows[1]['rps'] / base:.2f}; "
          f"decisions/s with 10 pairs / with 1 pair: {rows[2]['dps'] / rows[1]['dps']:.2f}")


def call_pools(port: int) -> dict[str, tuple[list[bytes], int]]:
    """name → (signed calls, pairs per call), checked to decide as meant."""
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
    return {"GetCallerIdentity (baseline)": (identity, 1), "VerifyAndAuthorize, 1 pair per call": (one, 1),
            "VerifyAndAuthorize, 10 pairs per call": (ten, 10), "Authorize by ARN, 1 pair per call": (by_arn, 1)}


def alternate(args) -> None:
    """This code and the iamd package under --baseline, served side by side and measured in turn, round
    after round (a load that comes and goes hits both alike): the median server CPU per call of each."""
    print(f"{args.connections} connections, {args.seconds:.0f} s per figure, {args.rounds} rounds, this code and "
          f"{args.baseline} alternating (SQLite, audit {'off' if args.no_audit else 'on'})\n")
    audit = "false" if args.no_audit else "true"
    with tempfile.TemporaryDirectory() as tmp:
        servers = {"this": start_server(Path(tmp) / "this", audit),
                   "base": start_server(Path(tmp) / "base", audit, args.baseline)}
        try:
            pools = {label: call_pools(port) for label, (_, port) in servers.items()}
            cpu: dict[tuple[str, str], list[float]] = {}
            for _ in range(args.rounds):
                for name in pools["this"]:
                    for label, (process, port) in servers.items():
                        pool, pairs = pools[label][name]
                        row = measure(f"{label}: {name}", process, port, pool, pairs, args)
                        cpu.setdefault((label, name), []).append(row["cpu_us"])
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait()
    print(f"\n{'median server CPU µs per call':40s} {'this':>7s} {'base':>7s}  this/base  this/GetCallerIdentity")
    identity = statistics.median(cpu[("this", "GetCallerIdentity (baseline)")])
    for name in pools["this"]:
        this, base = statistics.median(cpu[("this", name)]), statistics.median(cpu[("base", name)])
        print(f"{name:40s} {this:7.0f} {base:7.0f}  {this / base:9.2f}  {this / identity:6.2f}")

if __name__ == "__main__":
    main()
