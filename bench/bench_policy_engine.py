"""Benchmark of the policy engine: decisions per second for one principal.

The principal has 10 managed policies of 5-10 statements each (about 75 statements): action
wildcards, NotAction, policy variables in resources and conditions, explicit denies, conditions of
several operator families. Measured:

* cold: parse + compile of the 10 policies and one decision (what a PolicySet cache miss costs),
  with the process-wide pattern caches emptied first ("cold") or left warm ("cold, warm patterns":
  a server that has seen the same patterns in other principals' policies);
* warm: authorize() on the cached PolicySet, for a mix of requests (Request built beforehand);
* warm+request: building the Request (context normalisation) and authorize().

Run:  .venv/bin/python bench/bench_policy_engine.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from iamd.policy import PolicySet, Request, authorize, check_policy, parse_policy  # noqa: E402
from iamd.policy.wildcard import clear_caches  # noqa: E402

ACCOUNT = "111122223333"
SERVICES = ["iam", "s3", "ec2", "sts", "kms", "sqs", "sns", "logs", "dynamodb", "lambda"]
VERBS = ["Get", "List", "Create", "Delete", "Put", "Update", "Tag", "Describe"]
NOUNS = ["User", "Role", "Policy", "Group", "Object", "Bucket", "Instance", "Key", "Queue", "Table"]
CONDITIONS = [
    {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}},
    {"StringLike": {"aws:PrincipalTag/team": "plat*"}},
    {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env", "owner"]}},
    {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
    {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
    {"NumericLessThanEquals": {"s3:max-keys": "100"}},
]


def make_policies(rng: random.Random, count: int = 10) -> list:
    texts = []
    for p in range(count):
        statements = []
        for s in range(rng.randint(5, 10)):
            service = rng.choice(SERVICES)
            kind = rng.random()
            if kind < 0.1:
                statement = {"Effect": "Allow", "NotAction": [f"{rng.choice(SERVICES)}:*"], "Resource": "*"}
            else:
                actions = [f"{service}:{rng.choice(VERBS)}{rng.choice(NOUNS)}" for _ in range(rng.randint(1, 4))]
                if rng.random() < 0.4:
                    actions.append(f"{service}:{rng.choice(VERBS)}*")
                resource = rng.choice(
                    [
                        "*",
                        f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}",
                        f"arn:aws:iam::{ACCOUNT}:role/app-*",
                        "arn:aws:s3:::bucket-${aws:PrincipalTag/team}/*",
                        f"arn:aws:{service}:{'' if service in ('iam', 's3') else '*'}:{ACCOUNT}:*",
                    ]
                )
                effect = "Deny" if rng.random() < 0.15 else "Allow"
                statement = {"Effect": effect, "Action": actions, "Resource": resource}
            if rng.random() < 0.5:
                statement["Condition"] = rng.choice(CONDITIONS)
            statement["Sid"] = f"P{p}S{s}"
            statements.append(statement)
        texts.append(json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2))
    return texts


def make_requests(rng: random.Random, n: int) -> list:
    out = []
    for _ in range(n):
        service = rng.choice(SERVICES)
        action = f"{service}:{rng.choice(VERBS)}{rng.choice(NOUNS)}"
        resource = rng.choice(
            [f"arn:aws:iam::{ACCOUNT}:user/alice", f"arn:aws:iam::{ACCOUNT}:role/app-web", "arn:aws:s3:::bucket-plat/k",
             f"arn:aws:{service}:us-east-1:{ACCOUNT}:thing/x"]
        )
        context = {
            "aws:username": "alice",
            "aws:userid": "AIDAEXAMPLE",
            "aws:PrincipalTag/team": "plat",
            "aws:RequestedRegion": rng.choice(["us-east-1", "us-west-2"]),
            "aws:SecureTransport": "true",
            "aws:SourceIp": rng.choice(["10.1.2.3", "203.0.113.9"]),
            "aws:CurrentTime": "2026-01-01T00:00:00Z",
        }
        out.append((action, resource, context))
    return out


def summarise(label: str, samples_ns: list) -> str:
    samples = sorted(samples_ns)
    median = statistics.median(samples) / 1000
    p99 = samples[int(len(samples) * 0.99) - 1] / 1000
    per_second = 1e9 / statistics.mean(samples)
    return f"{label:<20} median {median:8.2f} us  p99 {p99:8.2f} us  ({per_second:,.0f} decisions/s, n={len(samples)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20000, help="warm decisions to time")
    parser.add_argument("--cold", type=int, default=300, help="cold compiles to time")
    args = parser.parse_args()
    rng = random.Random(20240601)
    texts = make_policies(rng)
    assert all(check_policy(t) == [] for t in texts), "benchmark policies must be valid"
    statements = sum(len(json.loads(t)["Statement"]) for t in texts)
    requests = make_requests(rng, 512)
    built = [Request(a, r, c, f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT) for a, r, c in requests]

    cold, cold_patterns = [], []
    for i in range(args.cold):
        action, resource, context = requests[i % len(requests)]
        for samples in (cold, cold_patterns):
            if samples is cold:
                clear_caches()
            start = time.perf_counter_ns()
            policy_set = PolicySet(identity=tuple(parse_policy(t, f"policy{n}") for n, t in enumerate(texts)))
            authorize(Request(action, resource, context), policy_set)
            samples.append(time.perf_counter_ns() - start)

    policy_set = PolicySet(identity=tuple(parse_policy(t, f"policy{n}") for n, t in enumerate(texts)))
    for request in built:  # warm the per-action memo, as a long-running server would be
        authorize(request, policy_set)
    warm, warm_request, outcomes = [], [], {}
    clock = time.perf_counter_ns
    for i in range(args.rounds):
        request = built[i % len(built)]
        start = clock()
        decision = authorize(request, policy_set)
        warm.append(clock() - start)
        outcomes[decision.decision] = outcomes.get(decision.decision, 0) + 1
    for i in range(args.rounds):
        action, resource, context = requests[i % len(requests)]
        start = clock()
        authorize(Request(action, resource, context, f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT), policy_set)
        warm_request.append(clock() - start)

    print(f"command: {' '.join([Path(sys.executable).name] + sys.argv)}")
    print(f"python {sys.version.split()[0]}; 10 policies, {statements} statements; outcomes {outcomes}")
    print(summarise("cold", cold))
    print(summarise("cold, warm patterns", cold_patterns))
    print(summarise("warm", warm))
    print(summarise("warm+request", warm_request))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
