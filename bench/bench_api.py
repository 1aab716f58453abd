"""Requests/s, p50/p99 and server CPU per request for GetUser, CreateUser, ListUsers (MaxItems 100) and
GetCallerIdentity against one iamd process (SQLite) with 10,000 users stored, beside a bare Starlette
app in the same run; then ListUsers' page cost at 1,000 and at 100,000 users.

    .venv/bin/python bench/bench_api.py [--seconds 5] [--connections 16] [--postgresql URL]

With --postgresql, "server CPU" is the iamd process alone, not PostgreSQL's.
"""

from __future__ import annotations

import argparse
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).parent))
import loadgen  # noqa: E402

from iamd.cli.bootstrap import open_state  # noqa: E402
from iamd.config import Settings  # noqa: E402
from iamd.security import ids  # noqa: E402
from iamd.store.schema import users  # noqa: E402

HOST = "127.0.0.1"
KEY, SECRET = "AKIABENCHMARKROOT001", "b" * 40
ACCOUNT = "123456789012"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen) -> None:
    for _ in range(1200):  # a minute: a loaded machine starts servers slowly
        if process.poll() is not None:
            raise SystemExit("server exited early")
        try:
            with socket.create_connection((HOST, port), timeout=0.1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def fresh_database_url(admin_url: str) -> str:
    """A new, empty PostgreSQL database beside ``admin_url``'s, dropped when this process exits (they piled
    up on the shared server otherwise)."""
    import atexit
    import uuid

    import psycopg

    name = f"iamd_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    atexit.register(_drop_database, admin_url, name)
    return admin_url.rsplit("/", 1)[0] + "/" + name


def _drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


DATABASE_URL = ""  # set by --postgresql: each server gets a fresh database there
AUDIT = "true"  # --no-audit: the servers record no events (IAMD_AUDIT=false)


def seed(data_dir: str, database_url: str, user_count: int) -> None:
    """A new state with ``user_count`` users (and the schema of the iamd imported)."""
    settings = Settings(data_dir=data_dir, database_url=database_url, account_id=ACCOUNT, root_access_key_id=KEY,
                        root_secret_access_key=SECRET)
    state = open_state(settings)
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [dict(id=ids.unique_id("user"), account_id=ACCOUNT, name=f"user{i:06d}", name_key=f"user{i:06d}",
                 path="/", created_at=now) for i in range(user_count)]
    with state.store.transaction() as tx:
        for start in range(0, len(rows), 5000):
            tx.execute(insert(users), rows[start:start + 5000])
    state.store.dispose()


_POPEN = subprocess.Popen  # as imported: bench_instructions replaces subprocess.Popen to serve under callgrind


def seeded_server(data_dir: Path, user_count: int, source: str | None = None) -> tuple[subprocess.Popen, int]:
    """A server on a new state with ``user_count`` users, serving iamd from ``source`` (another tree's
    src, by PYTHONPATH: a baseline in the same run) when given."""
    database_url = fresh_database_url(DATABASE_URL) if DATABASE_URL else ""
    if source:  # seeded by that tree: a server refuses a schema newer than its own migrations
        code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_api; "
                f"bench_api.seed({str(data_dir)!r}, {database_url!r}, {user_count})")
        if _POPEN([sys.executable, "-c", code], env={"PATH": "/usr/bin:/bin", "PYTHONPATH": source}).wait():
            raise SystemExit(f"seeding with {source} failed")
    else:
        seed(str(data_dir), database_url, user_count)
    port = free_port()
    env = {"IAMD_DATA_DIR": str(data_dir), "IAMD_PORT": str(port), "PATH": "/usr/bin:/bin", "IAMD_WORKERS": "1",
           "IAMD_DATABASE_URL": database_url, "IAMD_AUDIT": AUDIT}
    if source:
        env["PYTHONPATH"] = source
    process = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "serve"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port, process)
    return process, port


def measure(name: str, process: subprocess.Popen, port: int, pool: list[bytes], args, count_limit=None) -> dict:
    warm_up = pool[: min(len(pool), 200)]
    loadgen.run(HOST, port, warm_up, args.connections, 0.5, count_limit=200 if count_limit else None)
    before = loadgen.cpu_seconds(process.pid)
    result = loadgen.run(HOST, port, pool[200:] if count_limit else pool, args.connections, args.seconds,
                         count_limit=(count_limit - 200) if count_limit else None)
    cpu = loadgen.cpu_seconds(process.pid) - before
    row = {"name": name, "rps": result.rate, "p50": result.percentile(0.5), "p99": result.percentile(0.99),
           "cpu_us": cpu / result.requests * 1e6, "errors": result.errors, "requests": result.requests}
    print(f"{name:34s} {row['rps']:8.0f} req/s  p50 {row['p50']:6.2f} ms  p99 {row['p99']:6.2f} ms  "
          f"server CPU {row['cpu_us']:6.0f} µs/req  errors {row['errors']}", flush=True)
    return row


def signed_pool(port: int, params_list: list[dict], service: str = "iam") -> list[bytes]:
    return [loadgen.sign(HOST, port, params, KEY, SECRET, service) for params in params_list]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgresql", metavar="URL", default="",
                        help="run iamd on PostgreSQL: a fresh database per server beside this one's")
    parser.add_argument("--no-audit", action="store_true", help="serve with IAMD_AUDIT=false")
    args = parser.parse_args()
    global DATABASE_URL, AUDIT
    DATABASE_URL = args.postgresql
    AUDIT = "false" if args.no_audit else "true"
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    print(f"{args.connections} connections, {args.seconds:.0f} s per figure, one server process each\n")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        bare_port = free_port()
        bare = subprocess.Popen([sys.executable, str(Path(__file__).with_name("bare_app.py")), str(bare_port)])
        wait_for(bare_port, bare)
        try:
            rows.append(measure("bare Starlette app (ceiling)", bare, bare_port,
                                [loadgen.plain_get(HOST, bare_port)], args))
        finally:
            bare.terminate()

        process, port = seeded_server(Path(tmp) / "iamd10k", 10_000)
        try:
            iam = {"Version": "2010-05-08"}
            rows.append(measure("GetUser (10,000 users)", process, port, signed_pool(
                port, [{**iam, "Action": "GetUser", "UserName": f"user{i:06d}"} for i in range(0, 10_000, 7)]), args))
            rows.append(measure("GetCallerIdentity", process, port, signed_pool(
                port, [{"Action": "GetCallerIdentity", "Version": "2011-06-15"}] * 50, "sts"), args))
            rows.append(measure("ListUsers MaxItems=100", process, port, signed_pool(
                port, [{**iam, "Action": "ListUsers", "MaxItems": "100"}] * 50), args))
        finally:
            process.terminate()
            process.wait()

        # In an account of its own: the 10,000 users above are past IAM's 5,000-users-per-account quota,
        # which iamd enforces, so every CreateUser there would be LimitExceeded.
        process, port = seeded_server(Path(tmp) / "iamd-creates", 0)
        try:
            creates = min(int(args.seconds * 3000) + 200, 4_900)
            rows.append(measure("CreateUser", process, port, signed_pool(
                port, [{**iam, "Action": "CreateUser", "UserName": f"new{i:07d}"} for i in range(creates)]),
                args, count_limit=creates))
        finally:
            process.terminate()
            process.wait()

        print("\nListUsers page cost by users stored (MaxItems 100, a page deep in the list):")
        for count in (1_000, 100_000):
            process, port = seeded_server(Path(tmp) / f"iamd{count}", count)
            try:
                marker = _marker_near_end(count)
                rows.append(measure(f"ListUsers at {count:,} users", process, port, signed_pool(
                    port, [{"Version": "2010-05-08", "Action": "ListUsers", "MaxItems": "100",
                            "Marker": marker}] * 50), args))
            finally:
                process.terminate()
                process.wait()
    bare_rps = rows[0]["rps"]
    print(f"\nGetUser / bare app: {rows[1]['rps'] / bare_rps:.2f} of the ceiling's requests/s")
    page_1k, page_100k = rows[-2]["cpu_us"], rows[-1]["cpu_us"]
    print(f"ListUsers page CPU at 100,000 users / at 1,000 users: {page_100k / page_1k:.2f}")


def _marker_near_end(count: int) -> str:
    from iamd.service.pagination import encode_marker

    return encode_marker(f"user{count - 150:06d}")


if __name__ == "__main__":
    main()
