"""Server CPU per request, audit on and off, this code and (``--baseline SRC``) another checkout's, in
alternating rounds: four servers seeded with 10,000 users run at once and each round measures every one
in turn (bench_api.py's window), so a burst of load from elsewhere falls on all alike. Prints each
configuration's median and its ratio to the bare Starlette app's median in the same rounds.

    .venv/bin/python bench/bench_alternating.py [--rounds 5] [--seconds 2] [--operations GetUser,ListUsers]
        [--baseline SRC] [--postgresql URL]

SRC: the src directory of another checkout (a ``git worktree add`` of main, say), served by this venv
through PYTHONPATH. Operations: GetUser, GetCallerIdentity, ListUsers (MaxItems 100).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).parent))
import bench_api  # noqa: E402
import loadgen  # noqa: E402

HOST = "127.0.0.1"


def _pool(operation: str, port: int) -> list[bytes]:
    iam = {"Version": "2010-05-08"}
    if operation == "GetUser":
        return bench_api.signed_pool(port, [{**iam, "Action": "GetUser", "UserName": f"user{i:06d}"}
                                            for i in range(0, 10_000, 7)])
    if operation == "ListUsers":
        return bench_api.signed_pool(port, [{**iam, "Action": "ListUsers", "MaxItems": "100"}] * 50)
    return bench_api.signed_pool(port, [{"Action": "GetCallerIdentity", "Version": "2011-06-15"}] * 50, "sts")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--operations", default="GetUser")
    parser.add_argument("--baseline", metavar="SRC")
    parser.add_argument("--postgresql", metavar="URL", default="")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    bench_api.DATABASE_URL = args.postgresql
    operations = args.operations.split(",")
    configs = {"audit on": ("true", None), "audit off": ("false", None)}
    if args.baseline:
        configs = {"baseline, audit on": ("true", args.baseline), "audit on": ("true", None),
                   "baseline, audit off": ("false", args.baseline), "audit off": ("false", None)}
    window = SimpleNamespace(connections=16, seconds=args.seconds)
    popen = subprocess.Popen
    servers: dict[str, tuple[subprocess.Popen, int]] = {}
    figures: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        bare_port = bench_api.free_port()
        bare = popen([sys.executable, str(Path(__file__).with_name("bare_app.py")), str(bare_port)])
        try:
            bench_api.wait_for(bare_port, bare)
            for index, (label, (audit, source)) in enumerate(configs.items()):

                bench_api.AUDIT = audit

                servers[label] = bench_api.seeded_server(Path(tmp) / f"iamd{index}", 10_000, source)
            pools = {(op, label): _pool(op, port) for op in operations for label, (_p, port) in servers.items()}
            for _round in range(args.rounds):
                with contextlib.redirect_stdout(io.StringIO()):
                    row = bench_api.measure("bare", bare, bare_port, [loadgen.plain_get(HOST, bare_port)], window)
                    figures.setdefault(("bare Starlette app (ceiling)", ""), []).append(row["cpu_us"])
                    for op in operations:
                        for label, (process, port) in servers.items():
                            row = bench_api.measure(op, process, port, pools[(op, label)], window)
                            if row["errors"]:
                                raise SystemExit(f"{op}, {label}: {row['errors']} errors")
                            figures.setdefault((op, label), []).append(row["cpu_us"])
        finally:
            bare.terminate()
            for process, _port in servers.values():
                process.terminate()
                process.wait()
    ceiling = statistics.median(figures[("bare Starlette app (ceiling)", "")])
    print(f"\n{args.rounds} rounds of {args.seconds:.0f} s, {'PostgreSQL' if args.postgresql else 'SQLite'}: "
          "server CPU µs per request, median (× the ceiling's median), every round")
    for (op, label), values in figures.items():
        median = statistics.median(values)
        print(f"{op or 'bare Starlette app (ceiling)':30s} {label:20s} {median:7.0f} ({median / ceiling:5.2f}×)  "
              f"{[round(v) for v in values]}")


if __name__ == "__main__":
    main()
