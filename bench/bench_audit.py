"""The audit trail's cost and scale (issue #15, item 4).

1. GetUser's server CPU per request with the audit trail off (IAMD_AUDIT=false) and on, alternating
   rounds so that the machine's other load falls on both alike; the median of each side.
2. LookupEvents by user name, and by resource name, with 1,000,000 events stored (1,000 users, 1,000
   events each): the first page and a page 10 pages deep, timed at the client (p50/p99 of 40).
3. Storage per event: the database's growth (SQLite: pages; PostgreSQL: the tables' and indexes'
   total relation size) divided by the events stored.

    .venv/bin/python bench/bench_audit.py [--events 1000000] [--rounds 3] [--seconds 3] [--postgresql URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).parent))
import loadgen
from bench_api import (
    ACCOUNT,
    HOST,
    KEY,
    SECRET,
    free_port,
    fresh_database_url,
    signed_pool,
    wait_for,
)

from iamd.cli.bootstrap import open_state
from iamd.config import Settings
from iamd.security import ids
from iamd.store.schema import users

USERS = 1000


def prepare(data_dir: Path, database_url: str) -> None:
    settings = Settings(data_dir=str(data_dir), database_url=database_url, account_id=ACCOUNT, root_access_key_id=KEY,
                        root_secret_access_key=SECRET)
    state = open_state(settings)
    now = datetime.now(UTC).replace(microsecond=0)
    with state.store.transaction() as tx:
        tx.execute(insert(users), [dict(id=ids.unique_id("user"), account_id=ACCOUNT, name=f"user{i:06d}",
                                        name_key=f"user{i:06d}", path="/", created_at=now) for i in range(USERS)])
    state.store.dispose()


def serve(data_dir: Path, database_url: str, audit: bool) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {"IAMD_DATA_DIR": str(data_dir), "IAMD_PORT": str(port), "PATH": "/usr/bin:/bin", "IAMD_WORKERS": "1",
           "IAMD_DATABASE_URL": database_url, "IAMD_AUDIT": "true" if audit else "false",
           # PYTHONPATH=<other tree>/src: that tree's iamd, served by this venv (a same-run comparison)
           **({"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {})}
    process = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "serve"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port, process)
    return process, port


def cpu_per_request(process, port, args) -> float:
    pool = signed_pool(port, [{"Version": "2010-05-08", "Action": "GetUser", "UserName": f"user{i:06d}"}
                              for i in range(0, USERS, 3)])
    loadgen.run(HOST, port, pool, args.connections, 0.5)
    before = loadgen.cpu_seconds(process.pid)
    result = loadgen.run(HOST, port, pool, args.connections, args.seconds)
    assert result.errors == 0, result.errors
    return (loadgen.cpu_seconds(process.pid) - before) / result.requests * 1e6


def seed_events(database_url: str, data_dir: Path, count: int) -> float:
    """``count`` events of 1,000 users (a realistic record each), straight into the table; seconds taken."""
    settings = Settings(data_dir=str(data_dir), database_url=database_url)
    store = open_state(settings, create_first_account=False).store
    template = json.dumps({
        "eventVersion": "1.09", "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE000000000",
                                                 "arn": f"arn:aws:iam::{ACCOUNT}:user/USER", "accountId": ACCOUNT,
                                                 "accessKeyId": "AKIAEXAMPLE000000000", "userName": "USER"},
        "eventTime": "TIME", "eventSource": "iam.amazonaws.com", "eventName": "GetUser", "awsRegion": "us-east-1",
        "sourceIPAddress": "10.0.0.1",
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64 command/iam.get-user",
        "requestParameters": {"userName": "TARGET"}, "responseElements": None, "requestID": "RID", "eventID": "EID",
        "readOnly": True, "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "iamdAuthorization": {"decision": "allowed", "matchedStatements": [
            {"policyId": "ReadOnlyAccess", "policyType": "IAM Policy", "sid": "", "effect": "Allow",
             "part": "identity", "start": [1, 38]}], "resource": f"arn:aws:iam::{ACCOUNT}:user/TARGET",
            "context": {"aws:SourceIp": "10.0.0.1", "aws:RequestedRegion": "us-east-1",
                        "aws:SecureTransport": "true"}}},
        separators=(",", ":"))
    start_ms = int(time.time() * 1000) - count * 10  # 100 events a second, ending now
    started = time.perf_counter()
    batch = 20_000
    for first in range(0, count, batch):
        rows = []
        for i in range(first, min(count, first + batch)):
            user, target, event_id = f"user{i % USERS:06d}", f"user{(i * 7) % USERS:06d}", str(uuid.uuid4())
            ms = start_ms + i * 10
            record = (template.replace("USER", user).replace("TARGET", target).replace("EID", event_id)
                      .replace("RID", str(uuid.uuid4())).replace("TIME", time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                       time.gmtime(ms / 1000))))
            rows.append(dict(event_id=event_id, account_id=ACCOUNT, event_ms=ms, event_source="iam.amazonaws.com",
                             event_name="GetUser", username=user, access_key_id="AKIAEXAMPLE000000000",
                             read_only=True, principal_key=f"arn:aws:iam::{ACCOUNT}:user/{user}", error_code=None,
                             resource_type="AWS::IAM::User", resource_name=target, record=record))
        with store.transaction(write=True) as tx:
            from iamd.store.schema import events

            tx.execute(insert(events), rows)
    if not store.is_sqlite:
        with store.transaction(write=True) as tx:
            tx.execute(text("ANALYZE events"))
    store.dispose()
    return time.perf_counter() - started


def storage_bytes(database_url: str, data_dir: Path) -> int:
    settings = Settings(data_dir=str(data_dir), database_url=database_url)
    store = open_state(settings, create_first_account=False).store
    with store.transaction(write=False) as tx:
        if store.is_sqlite:
            size = tx.scalar(text("PRAGMA page_count")) * tx.scalar(text("PRAGMA page_size"))
        else:
            size = tx.scalar(text("SELECT pg_total_relation_size('events')"
                                  " + pg_total_relation_size('event_resources')"))
    store.dispose()
    return size


def signed_lookup(port: int, body: dict) -> tuple[dict, bytes]:
    payload = json.dumps(body).encode()
    request = AWSRequest(method="POST", url=f"http://{HOST}:{port}/", data=payload, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"})
    SigV4Auth(Credentials(KEY, SECRET), "cloudtrail", "us-east-1").add_auth(request)
    return dict(request.prepare().headers), payload


def time_lookups(port: int, body: dict, times: int = 40) -> tuple[float, float, int]:
    connection = http.client.HTTPConnection(HOST, port)
    latencies, count = [], 0
    for _ in range(times):
        headers, payload = signed_lookup(port, body)
        started = time.perf_counter()
        connection.request("POST", "/", payload, headers)
        response = connection.getresponse()
        data = response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, data[:300]
        count = len(json.loads(data)["Events"])
    connection.close()
    latencies.sort()
    return latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)], count


def deep_token(port: int, body: dict, pages: int) -> str:
    connection = http.client.HTTPConnection(HOST, port)
    token = None
    for _ in range(pages):
        headers, payload = signed_lookup(port, {**body, **({"NextToken": token} if token else {})})
        connection.request("POST", "/", payload, headers)
        token = json.loads(connection.getresponse().read())["NextToken"]
    connection.close()
    return token


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--postgresql", metavar="URL", default="")
    parser.add_argument("--skip-cpu", action="store_true")
    parser.add_argument("--cpu-only", action="store_true")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    backend = "PostgreSQL" if args.postgresql else "SQLite"
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        database_url = fresh_database_url(args.postgresql) if args.postgresql else ""
        prepare(data_dir, database_url)
        if not args.skip_cpu:
            off, on = [], []
            for _ in range(args.rounds):
                for audit, into in ((False, off), (True, on)):
                    process, port = serve(data_dir, database_url, audit)
                    try:
                        into.append(cpu_per_request(process, port, args))
                    finally:
                        process.terminate()
                        process.wait()
            print(f"{backend}: GetUser server CPU, audit off: {statistics.median(off):.0f} µs/req "
                  f"(rounds {', '.join(f'{v:.0f}' for v in off)})")
            print(f"{backend}: GetUser server CPU, audit on:  {statistics.median(on):.0f} µs/req "
                  f"(rounds {', '.join(f'{v:.0f}' for v in on)})")
            print(f"{backend}: audit adds {100 * (statistics.median(on) / statistics.median(off) - 1):+.1f} %")
        if args.cpu_only:
            return
        before = storage_bytes(database_url, data_dir)
        seconds = seed_events(database_url, data_dir, args.events)
        after = storage_bytes(database_url, data_dir)
        print(f"{backend}: {args.events:,} events seeded in {seconds:.0f} s; storage "
              f"{(after - before) / args.events:.0f} bytes/event (record + columns + indexes)")
        process, port = serve(data_dir, database_url, True)
        try:
            for label, body in (("Username, first page", {"LookupAttributes": [
                                    {"AttributeKey": "Username", "AttributeValue": "user000123"}]}),
                                ("ResourceName, first page", {"LookupAttributes": [
                                    {"AttributeKey": "ResourceName", "AttributeValue": "user000456"}]}),
                                ("no attribute, first page", {}),
                                # No index of its own: a page reads at most lookup.SCAN events. None
                                # stored: the worst page, the whole bound read for an empty page.
                                ("EventName (none stored), first page", {"LookupAttributes": [
                                    {"AttributeKey": "EventName", "AttributeValue": "CreateUser"}]}),
                                ("AccessKeyId, first page", {"LookupAttributes": [
                                    {"AttributeKey": "AccessKeyId", "AttributeValue": "AKIAEXAMPLE000000000"}]})):
                p50, p99, count = time_lookups(port, body)
                print(f"{backend}: LookupEvents {label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({count} events a page)")
            body = {"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "user000123"}]}
            token = deep_token(port, body, 10)
            p50, p99, count = time_lookups(port, {**body, "NextToken": token})
            print(f"{backend}: LookupEvents Username, 11th page: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({count} events)")
        finally:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
