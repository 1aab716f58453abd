"""Benchmark of service/decide.py: decisions per second on one core, warm (the caller's policies cached).

One SQLite store, an IAM user with three inline policies, and four shapes of decision, each in one
read transaction per decision (as the gateway and the authorization API make them):

* identity only (no resource policy: DynamoDB, or a bucket without one);
* same account, a bucket policy naming the user (row 3);
* cross-account, a bucket policy naming the caller's account (row 4);
* the same account with explain=False (enforcement: the engine stops at the first applying Allow);

beside the floor under them all, an empty read transaction, measured in the same run.

The resource policies' texts are compiled once (cached by text), as a warm gateway finds them.

Run:  .venv/bin/python bench/bench_decide.py [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from iamd.security import ids  # noqa: E402
from iamd.security.principal_kind import PrincipalKind
from iamd.security.secrets import SecretBox  # noqa: E402
from iamd.service import users  # noqa: E402
from iamd.service.account.accounts import create_account  # noqa: E402
from iamd.service.authorize import Authorizer, record_change  # noqa: E402
from iamd.service.context import Call, Environment, Principal  # noqa: E402
from iamd.service.decide import decide  # noqa: E402
from iamd.service.policies import inline_policies
from iamd.store import migrate  # noqa: E402
from iamd.store.database import Store  # noqa: E402

A, B = "111111111111", "222222222222"
BUCKET = "arn:aws:s3:::bench-bucket"


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def setup(store: Store, env: Environment, box: SecretBox) -> dict[str, Principal]:
    made = {}
    with store.transaction() as tx:
        for account in (A, B):
            create_account(tx, box, datetime.now(UTC), account_id=account)
    for account, name in ((A, "alice"), (B, "bob")):
        root = Principal(kind=PrincipalKind.ROOT, account_id=account, arn=ids.root_arn(account), id=account,
                         name=account, access_key_id="")
        with store.transaction() as tx:
            call = Call(principal=root, now=datetime.now(UTC), request_id="bench", env=env)
            user = users.create_user(tx, call, {"UserName": name})["User"]
            for index, actions in enumerate((["s3:GetObject", "s3:ListBucket"], ["dynamodb:*"], ["sqs:Send*"])):
                policy = document({"Effect": "Allow", "Action": actions, "Resource": "*",
                                   "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                                  {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"})
                inline_policies.put_user_policy(tx, call, {"UserName": name, "PolicyName": f"p{index}",
                                                           "PolicyDocument": policy})
            record_change(tx, account)
        made[name] = Principal(kind=PrincipalKind.USER, account_id=account, arn=user["Arn"], id=user["UserId"],
                               name=name, access_key_id="AKIABENCH" + name.upper(), user_id=user["UserId"])
    return made


def measure(store: Store, env: Environment, principal: Principal, seconds: float, **kwargs) -> float:
    with store.transaction(write=False) as tx:
        from sqlalchemy import text

        epoch = tx.scalar(text("select auth_epoch from accounts where id = :id"), {"id": principal.account_id})
    call = Call(principal=principal, now=datetime.now(UTC), request_id="bench", env=env, auth_epoch=epoch,
                source_ip="192.0.2.1")
    count = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        for _ in range(100):
            with store.transaction(write=False) as tx:
                decision = decide(tx, env.authorizer, call, **kwargs)  # type: ignore[arg-type]
        count += 100
    elapsed = time.perf_counter() - start
    assert decision.allowed, decision
    return count / elapsed


def measure_transactions(store: Store, seconds: float) -> float:
    """The floor under every case: an empty read transaction."""
    count = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        for _ in range(100):
            with store.transaction(write=False):
                pass
        count += 100
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        store = Store.open(f"sqlite:///{Path(directory) / 'bench.db'}")
        migrate.upgrade(store)
        box = SecretBox(os.urandom(32))
        env = Environment(secrets=box, last_used=None, authorizer=Authorizer())
        people = setup(store, env, box)
        naming_alice = document({"Effect": "Allow", "Principal": {"AWS": people["alice"].arn},
                                 "Action": "s3:GetObject", "Resource": BUCKET + "/*"})
        naming_b = document({"Effect": "Allow", "Principal": {"AWS": B}, "Action": "s3:GetObject",
                             "Resource": BUCKET + "/*"})
        common = {"action": "s3:GetObject", "resource": BUCKET + "/key", "context": {}}
        cases = [
            ("identity only", people["alice"], {**common, "resource_policy": None, "resource_owner": A}),
            ("same account, bucket policy naming the user", people["alice"],
             {**common, "resource_policy": naming_alice, "resource_owner": A}),
            ("cross-account, bucket policy naming the account", people["bob"],
             {**common, "resource_policy": naming_b, "resource_owner": A}),
            ("same account, explain=False", people["alice"],
             {**common, "resource_policy": naming_alice, "resource_owner": A, "explain": False}),
        ]
        print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
        print("decisions per second, one core, warm, one SQLite read transaction each:")
        rate = measure_transactions(store, args.seconds)
        print(f"  {'an empty read transaction (the floor)':<48} {rate:>9,.0f}/s  ({1e6 / rate:,.1f} µs each)")
        for label, principal, kwargs in cases:
            rate = measure(store, env, principal, args.seconds, **kwargs)
            print(f"  {label:<48} {rate:>9,.0f}/s  ({1e6 / rate:,.1f} µs each)")
        store.dispose()


if __name__ == "__main__":
    main()
