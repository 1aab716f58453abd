"""Round trips to PostgreSQL per request, warm, counted in libpq's own protocol trace: each Sync (the
extended protocol, psycopg's) or simple Query message the client sends is one wait for the server.

    .venv/bin/python bench/bench_round_trips.py --postgresql postgresql://postgres@127.0.0.1:5432/test

Requests go through QueryApi.handle in this process (no HTTP), signed by the root user, after ten of
the same request to warm the caches and psycopg's prepared statements.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).parent))
import loadgen  # noqa: E402
from bench_api import fresh_database_url  # noqa: E402
from profile_request import as_request  # noqa: E402

from iamd.cli.bootstrap import open_state  # noqa: E402
from iamd.config import Settings  # noqa: E402
from iamd.service.runtime import new_environment  # noqa: E402
from iamd.web.api import QueryApi  # noqa: E402

KEY, SECRET = "AKIABENCHMARKROOT001", "b" * 40
IAM, STS = {"Version": "2010-05-08"}, {"Version": "2011-06-15"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgresql", metavar="URL", required=True)
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    state = open_state(Settings(data_dir=tempfile.mkdtemp(), database_url=fresh_database_url(args.postgresql),
                                account_id="123456789012", root_access_key_id=KEY, root_secret_access_key=SECRET))
    trace_path = Path(tempfile.mkdtemp()) / "libpq.trace"
    trace = open(trace_path, "w")
    state.store.dispose()  # every connection from here on is a new one, traced
    event.listen(state.store.engine, "connect", lambda connection, _record: connection.pgconn.trace(trace.fileno()))
    env = new_environment(state.box)
    api = QueryApi(state.store, env)
    # As the server does (web/app.py): read-only calls' events wait in memory for the background flush,
    # not in the request's transaction (without this, every read would count the event's INSERT).
    env.audit.attach(state.store)

    def send(params: dict, service: str = "iam") -> int:
        status = api.handle(*as_request(loadgen.sign("127.0.0.1", 1, params, KEY, SECRET, service)))[0]
        assert status == 200, (params, status)
        return status

    send({**IAM, "Action": "CreateUser", "UserName": "bob"})
    send({**IAM, "Action": "TagUser", "UserName": "bob", "Tags.member.1.Key": "team", "Tags.member.1.Value": "a"})
    cases = [
        ("GetUser (a user with a tag)", lambda i: ({**IAM, "Action": "GetUser", "UserName": "bob"}, "iam")),
        ("GetCallerIdentity", lambda i: ({**STS, "Action": "GetCallerIdentity"}, "sts")),
        ("ListUsers", lambda i: ({**IAM, "Action": "ListUsers"}, "iam")),
        ("CreateUser", lambda i: ({**IAM, "Action": "CreateUser", "UserName": f"new{i}"}, "iam")),
    ]
    print(f"\n{'request':30s} round trips (Sync + Query messages sent), per request")
    for name, make in cases:
        for i in range(10):
            send(*make(i))
        trace.flush()
        start = os.path.getsize(trace_path)
        for i in range(10, 30):
            send(*make(i))
        trace.flush()
        with open(trace_path) as handle:
            handle.seek(start)
            sent = [line.split("\t") for line in handle if "\tF\t" in line]
        trips = sum(1 for fields in sent if len(fields) > 3 and fields[3].strip() in ("Sync", "Query"))
        print(f"{name:30s} {trips / 20:.1f}")
    state.store.dispose()


if __name__ == "__main__":
    main()
