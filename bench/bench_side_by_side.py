"""iamd (one worker and N workers) beside moto's server and the bare Starlette ceiling, in one run.

Each round measures every server in turn (alternating, so a noisy neighbour hurts all alike), for
GetUser, CreateUser, ListUsers (MaxItems 100), GetCallerIdentity, AssumeRole and a mixed workload;
the figures are medians over the rounds, and the ratios are taken between figures of the same run.

    make bench-env   # moto[server] into .venv (pinned in requirements-bench.lock)
    .venv/bin/python bench/bench_side_by_side.py [--rounds 3] [--seconds 3] [--workers 2] [--postgresql URL]

"server CPU" is the server's process tree (iamd's workers included; not PostgreSQL's).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).parent))
import loadgen  # noqa: E402
from bench_api import ACCOUNT, HOST, KEY, SECRET, free_port, fresh_database_url, wait_for  # noqa: E402

USERS = 1_000
IAM = {"Version": "2010-05-08"}
STS = {"Version": "2011-06-15"}


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (uvicorn's workers)."""
    total = loadgen.cpu_seconds(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(tree_cpu_seconds(int(child)) for child in children)


class Target:
    def __init__(self, name: str, process: subprocess.Popen, port: int, key: str, secret: str):
        self.name, self.process, self.port, self.key, self.secret = name, process, port, key, secret
        self.pools: dict[str, list[bytes]] = {}

    def client(self, service: str, key: str | None = None, secret: str | None = None):
        return boto3.session.Session().client(
            service, endpoint_url=f"http://{HOST}:{self.port}", region_name="us-east-1",
            aws_access_key_id=key or self.key, aws_secret_access_key=secret or self.secret,
            config=Config(retries={"max_attempts": 1}))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def start_iamd(data_dir: Path, workers: int, database_url: str) -> Target:
    port = free_port()
    env = {"IAMD_DATA_DIR": str(data_dir), "IAMD_PORT": str(port), "PATH": os.environ.get("PATH", ""),
           "IAMD_WORKERS": str(workers), "IAMD_DATABASE_URL": database_url, "IAMD_ACCOUNT_ID": ACCOUNT,
           "IAMD_ROOT_ACCESS_KEY_ID": KEY, "IAMD_ROOT_SECRET_ACCESS_KEY": SECRET}
    process = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "serve"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port, process)
    time.sleep(1.0 if workers > 1 else 0)  # every worker up before the first figure
    return Target(f"iamd ({workers} worker{'s' if workers > 1 else ''})", process, port, KEY, SECRET)


def start_moto() -> Target:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port, process)
    return Target("moto server", process, port, "AKIAMOTOBENCH0000001", "m" * 40)


def start_bare() -> Target:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("bare_app.py")), str(port)])
    wait_for(port, process)
    return Target("bare Starlette (ceiling)", process, port, KEY, SECRET)


def prepare(target: Target, creates: int) -> None:
    """The same state everywhere: users, a role trusting the account, a caller allowed to assume it."""
    iam = target.client("iam")
    for i in range(USERS):
        iam.create_user(UserName=f"user{i:06d}")
    iam.create_user(UserName="assumer")
    key = iam.create_access_key(UserName="assumer")["AccessKey"]
    iam.put_user_policy(UserName="assumer", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                               "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}))

    def signed(params_list, service="iam", key_id=target.key, secret=target.secret):
        return [loadgen.sign(HOST, target.port, params, key_id, secret, service) for params in params_list]

    get_user = [{**IAM, "Action": "GetUser", "UserName": f"user{i:06d}"} for i in range(0, USERS, 3)]
    list_users = [{**IAM, "Action": "ListUsers", "MaxItems": "100"}]
    caller = [{**STS, "Action": "GetCallerIdentity"}]
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/bench"
    assume = [{**STS, "Action": "AssumeRole", "RoleArn": role_arn, "RoleSessionName": f"s{i}"} for i in range(50)]
    target.pools = {
        "GetUser": signed(get_user),
        "ListUsers": signed(list_users * 20),
        "GetCallerIdentity": signed(caller * 20, "sts"),
        "AssumeRole": signed(assume, "sts", key["AccessKeyId"], key["SecretAccessKey"]),
        "CreateUser": signed([{**IAM, "Action": "CreateUser", "UserName": f"new{i:07d}"} for i in range(creates)]),
    }
    # Mixed: mostly reads, as a service asking about its callers does, interleaved (per 20 requests: 12
    # GetUser, 4 GetCallerIdentity, 2 ListUsers, 1 AssumeRole, 1 CreateUser of a name of its own), so
    # that every slice of the pool (one per round) is the same mix.
    kinds = {"GetUser": target.pools["GetUser"], "GetCallerIdentity": target.pools["GetCallerIdentity"],
             "ListUsers": target.pools["ListUsers"], "AssumeRole": target.pools["AssumeRole"]}
    pattern = ["GetUser"] * 12 + ["GetCallerIdentity"] * 4 + ["ListUsers"] * 2 + ["AssumeRole", "CreateUser"]
    creates_mixed = iter(signed([{**IAM, "Action": "CreateUser", "UserName": f"mix{i:07d}"}
                                 for i in range(creates // len(pattern) + 1)]))
    mixed = []
    for i in range(creates):
        kind = pattern[i % len(pattern)]
        mixed.append(next(creates_mixed) if kind == "CreateUser" else kinds[kind][i % len(kinds[kind])])
    target.pools["mixed"] = mixed


def measure(target: Target, pool: list[bytes], args, once: bool) -> dict:
    before = tree_cpu_seconds(target.process.pid)
    result = loadgen.run(HOST, target.port, pool, args.connections, args.seconds,
                         count_limit=len(pool) if once else None)
    cpu = tree_cpu_seconds(target.process.pid) - before
    return {"rps": result.rate, "p50": result.percentile(0.5), "p99": result.percentile(0.99),
            "cpu_us": cpu / max(result.requests, 1) * 1e6, "errors": result.errors}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--postgresql", metavar="URL", default="")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    print(f"{args.connections} connections, {args.seconds:.0f} s per figure, {args.rounds} rounds, "
          f"iamd on {'PostgreSQL' if args.postgresql else 'SQLite'}\n", flush=True)
    operations = ["GetUser", "CreateUser", "ListUsers", "GetCallerIdentity", "AssumeRole", "mixed"]
    creates = int(args.seconds * 4000) * args.rounds
    figures: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        targets = [start_bare(), start_moto()]
        for workers in sorted({1, args.workers}):
            url = fresh_database_url(args.postgresql) if args.postgresql else ""
            targets.append(start_iamd(Path(tmp) / f"iamd{workers}", workers, url))
        try:
            for target in targets[1:]:
                prepare(target, creates)
            bare_pool = [loadgen.plain_get(HOST, targets[0].port)]
            for round_ in range(args.rounds):
                for operation in operations:
                    for target in targets:
                        if target is targets[0] and operation != "GetUser":
                            continue
                        pool = bare_pool if target is targets[0] else target.pools[operation]
                        once = operation in ("CreateUser", "mixed") and target is not targets[0]
                        if once:  # each name once: a slice of its own per round
                            share = len(pool) // args.rounds
                            pool = pool[round_ * share:(round_ + 1) * share]
                        figures.setdefault((target.name, operation), []).append(measure(target, pool, args, once))
                print(f"round {round_ + 1} of {args.rounds} done", flush=True)
        finally:
            for target in targets:
                target.stop()
    report(targets, operations, figures)


def report(targets, operations, figures) -> None:
    def median(name, operation, field):
        rows = figures.get((name, operation))
        return statistics.median(row[field] for row in rows) if rows else None

    print(f"\n{'operation':18s} {'server':26s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'CPU µs/req':>11s} "
          f"{'errors':>7s}")
    for operation in operations:
        for target in targets:
            rps = median(target.name, operation, "rps")
            if rps is None:
                continue
            errors = sum(row["errors"] for row in figures[(target.name, operation)])
            print(f"{operation:18s} {target.name:26s} {rps:8.0f} {median(target.name, operation, 'p50'):8.2f} "
                  f"{median(target.name, operation, 'p99'):8.2f} {median(target.name, operation, 'cpu_us'):11.0f} "
                  f"{errors:7d}")
    print("\nratios (same run): iamd req/s over moto's, and over the bare ceiling")
    bare = median(targets[0].name, "GetUser", "rps")
    for operation in operations:
        moto = median("moto server", operation, "rps")
        for target in targets[2:]:
            ours = median(target.name, operation, "rps")
            print(f"  {operation:18s} {target.name:18s} x{ours / moto:6.1f} moto   "
                  f"{ours / bare:5.2f} of the ceiling")


if __name__ == "__main__":
    main()
