"""What the audit trail adds to a request's CPU, in-process (no HTTP, no event loop): two QueryApi
instances side by side, audit on (events deferred and flushed every 1,000 requests, as the server does
about once a second) and audit off, each over a store of its own, in alternating blocks so that the
machine's other load falls on both alike; the best block of each side. Less noisy than the HTTP
benchmarks on a loaded machine, and what #15 item 4 asks: the share the trail adds to a GetUser.

    .venv/bin/python bench/bench_audit_share.py [GetUser|ListUsers|GetCallerIdentity] [--rounds 10] [--postgresql URL]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import loadgen  # noqa: E402
from profile_request import KEY, SECRET, as_request  # noqa: E402

from iamd.cli.bootstrap import open_state  # noqa: E402
from iamd.config import Settings  # noqa: E402
from iamd.service.runtime import new_environment  # noqa: E402
from iamd.web.api import QueryApi  # noqa: E402

BLOCK = 1000


def api_for(audit: bool, database_url: str):
    if database_url:
        from bench_api import fresh_database_url

        database_url = fresh_database_url(database_url)
    settings = Settings(data_dir=tempfile.mkdtemp(), database_url=database_url, account_id="123456789012",
                        root_access_key_id=KEY, root_secret_access_key=SECRET, audit=audit)
    state = open_state(settings)
    env = new_environment(state.box, settings)
    env.audit.attach(state.store)
    api = QueryApi(state.store, env)
    for index in range(100):  # a user to get, a page to list
        api.handle(*as_request(loadgen.sign("127.0.0.1", 1, {"Action": "CreateUser", "Version": "2010-05-08",
                                                             "UserName": f"user{index:03d}"}, KEY, SECRET)))
    return api, env


def request_for(action: str):
    if action == "GetCallerIdentity":
        return as_request(loadgen.sign("127.0.0.1", 1, {"Action": action, "Version": "2011-06-15"}, KEY, SECRET,
                                       "sts"))
    params = {"Action": action, "Version": "2010-05-08"}
    if action == "GetUser":
        params["UserName"] = "user042"
    if action == "ListUsers":
        params["MaxItems"] = "100"
    return as_request(loadgen.sign("127.0.0.1", 1, params, KEY, SECRET))


def block(api, env, request, body) -> float:
    started = time.process_time()
    for _ in range(BLOCK):
        api.handle(request, body)
    env.audit.flush()
    return (time.process_time() - started) / BLOCK * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", nargs="?", default="GetUser")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--postgresql", metavar="URL", default="")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    sides = {"off": api_for(False, args.postgresql), "on": api_for(True, args.postgresql)}
    request, body = request_for(args.action)
    for api, _env in sides.values():
        assert api.handle(request, body)[0] == 200
    best = {name: float("inf") for name in sides}
    for _ in range(args.rounds):
        for name, (api, env) in sides.items():
            best[name] = min(best[name], block(api, env, request, body))
    backend = "PostgreSQL" if args.postgresql else "SQLite"
    print(f"{backend} {args.action}: CPU per request in-process, best of {args.rounds} blocks of {BLOCK}: "
          f"audit off {best['off']:.0f} µs, on {best['on']:.0f} µs: the trail adds "
          f"{100 * (best['on'] / best['off'] - 1):+.1f} %")


if __name__ == "__main__":
    main()
