"""What policy enforcement adds to a signed GetUser: a user with 10 managed policies (5-10 statements
each: wildcards, NotAction, policy variables, explicit denies, conditions) calling GetUser on itself,
against the root user (never evaluated) calling GetUser on the same user, in one run against one
server process (SQLite). Root and user runs alternate, twice each; the figures are their means.

    .venv/bin/python bench/bench_enforcement.py [--seconds 5] [--connections 16]
    .venv/bin/python bench/bench_enforcement.py --in-process [--profile]   # no HTTP: µs/request, cProfile
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).parent))
import loadgen  # noqa: E402
from bench_api import ACCOUNT, HOST, KEY, SECRET, seeded_server  # noqa: E402

USER = "bench-enforced"


def policy(index: int) -> str:
    """One of ten managed policies; together they allow GetUser on oneself, among much else."""
    own = f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"
    statements = [
        {"Sid": "ReadSelf", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": own},
        {"Effect": "Allow", "NotAction": ["iam:Delete*", "iam:Create*", "organizations:*"], "Resource": own,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Deny", "Action": f"iam:DeleteUserPolicy{index}", "Resource": "*"},
        {"Effect": "Deny", "Action": ["iam:CreateAccessKey", "iam:UpdateAccessKey"],
         "Resource": f"arn:aws:iam::{ACCOUNT}:user/admin-*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::bucket-{index}/*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}},
    ]
    extra = [
        {"Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*", "s3:*", "sts:*"], "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
        {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}},
        {"Effect": "Deny", "Action": "iam:*", "Resource": f"arn:aws:iam::{ACCOUNT}:role/protected-{index}-*"},
        {"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": own,
         "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"]}}},
        {"Effect": "Deny", "Action": "iam:GetUser", "Resource": "*",
         "Condition": {"StringLike": {"aws:UserAgent": "*forbidden-agent*"}}},
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements + extra[: index % 6]})


def seed(port: int) -> tuple[str, str]:
    iam = boto3.client("iam", endpoint_url=f"http://{HOST}:{port}", region_name="us-east-1",
                       aws_access_key_id=KEY, aws_secret_access_key=SECRET, config=Config(retries={"max_attempts": 1}))
    iam.create_user(UserName=USER, Tags=[{"Key": "team", "Value": "blue"}])
    for index in range(10):
        arn = iam.create_policy(PolicyName=f"bench-{index}", PolicyDocument=policy(index))["Policy"]["Arn"]
        iam.attach_user_policy(UserName=USER, PolicyArn=arn)
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def in_process(profile: bool) -> None:
    """Both requests through QueryApi.handle in this process, as bench/profile_request.py does."""
    import cProfile
    import pstats
    import time

    from profile_request import as_request

    from iamd.cli.bootstrap import open_state
    from iamd.config import Settings
    from iamd.service.runtime import new_environment
    from iamd.web.api import QueryApi

    state = open_state(Settings(data_dir=tempfile.mkdtemp(), account_id=ACCOUNT, root_access_key_id=KEY,
                                root_secret_access_key=SECRET))
    api = QueryApi(state.store, new_environment(state.box))

    def call(params: dict, key: str = KEY, secret: str = SECRET) -> bytes:
        signed = loadgen.sign(HOST, 1, {"Version": "2010-05-08", **params}, key, secret)
        status, body = api.handle(*as_request(signed))[:2]
        assert status == 200, body
        return body

    call({"Action": "CreateUser", "UserName": USER, "Tags.member.1.Key": "team", "Tags.member.1.Value": "blue"})
    for index in range(10):
        call({"Action": "CreatePolicy", "PolicyName": f"bench-{index}", "PolicyDocument": policy(index)})
        call({"Action": "AttachUserPolicy", "UserName": USER,
              "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/bench-{index}"})
    body = call({"Action": "CreateAccessKey", "UserName": USER}).decode()
    key_id = body.split("<AccessKeyId>", 1)[1].split("<", 1)[0]
    secret = body.split("<SecretAccessKey>", 1)[1].split("<", 1)[0]
    params = {"Version": "2010-05-08", "Action": "GetUser", "UserName": USER}
    requests = {"root": as_request(loadgen.sign(HOST, 1, params, KEY, SECRET)),
                "user": as_request(loadgen.sign(HOST, 1, params, key_id, secret))}
    count = 3000
    for name, (request, payload) in requests.items():
        assert api.handle(request, payload)[0] == 200
        started = time.perf_counter()
        for _ in range(count):
            api.handle(request, payload)
        print(f"GetUser by {name}: {(time.perf_counter() - started) / count * 1e6:.0f} µs per request in-process")
    if profile:
        request, payload = requests["user"]
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [api.handle(request, payload) for _ in range(count)])
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def measure(process, port: int, pool: list[bytes], args) -> dict:
    loadgen.run(HOST, port, pool, args.connections, 0.5)
    before = loadgen.cpu_seconds(process.pid)
    result = loadgen.run(HOST, port, pool, args.connections, args.seconds)
    cpu = loadgen.cpu_seconds(process.pid) - before
    return {"rps": result.rate, "p50": result.percentile(0.5), "p99": result.percentile(0.99),
            "cpu_us": cpu / result.requests * 1e6, "errors": result.errors}


def mean(rows: list[dict]) -> dict:
    return {key: sum(row[key] for row in rows) / len(rows) for key in rows[0]}


def show(name: str, row: dict) -> None:
    print(f"{name:40s} {row['rps']:8.0f} req/s  p50 {row['p50']:6.2f} ms  p99 {row['p99']:6.2f} ms  "
          f"server CPU {row['cpu_us']:6.0f} µs/req  errors {row['errors']:.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.in_process:
        in_process(args.profile)
        return
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    print(f"{args.connections} connections, {args.seconds:.0f} s per figure, root and user alternating twice, "
          "one server process\n")
    with tempfile.TemporaryDirectory() as tmp:
        process, port = seeded_server(Path(tmp) / "iamd", 0)
        try:
            key_id, secret = seed(port)
            params = {"Version": "2010-05-08", "Action": "GetUser", "UserName": USER}
            root_pool = [loadgen.sign(HOST, port, params, KEY, SECRET) for _ in range(50)]
            user_pool = [loadgen.sign(HOST, port, params, key_id, secret) for _ in range(50)]
            runs: dict = {"root": [], "user": []}
            for _ in range(2):
                runs["root"].append(measure(process, port, root_pool, args))
                runs["user"].append(measure(process, port, user_pool, args))
        finally:
            process.terminate()
            process.wait()
    root, user = mean(runs["root"]), mean(runs["user"])
    show("GetUser by the root user (no evaluation)", root)
    show("GetUser by the user (10 managed policies)", user)
    print(f"\nenforcement adds: p50 {100 * (user['p50'] / root['p50'] - 1):+.1f}%  "
          f"p99 {100 * (user['p99'] / root['p99'] - 1):+.1f}%  "
          f"server CPU/req {100 * (user['cpu_us'] / root['cpu_us'] - 1):+.1f}%  "
          f"req/s {100 * (user['rps'] / root['rps'] - 1):+.1f}%")


if __name__ == "__main__":
    main()
