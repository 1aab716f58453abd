"""Instructions per request of a live iamd server (all its threads, HTTP included), counted by valgrind's
callgrind around N requests, beside the bare Starlette app's: a figure the machine's load cannot move,
where CPU time on a shared machine moves by tens of percent (it counts no kernel time, though).

    .venv/bin/python bench/bench_instructions.py GetUser [--requests 300] [--baseline SRC] [--postgresql URL]

Each server runs under ``valgrind --tool=callgrind --instr-atstart=no``: start-up and 100 warming
requests uncounted, then counting on (``callgrind_control -i on``) for N requests and the background
flushes of their events (a few seconds), then off. Audit on and off, and with ``--baseline SRC`` the same
for the iamd package under SRC (the src directory of a ``git worktree add`` of main, say) served
by this venv. Requires valgrind. ``--keep DIR`` leaves callgrind's outputs there
for ``callgrind_annotate``. Operations: GetUser, GetCallerIdentity, ListUsers (MaxItems 100),
CreateUser.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_api  # noqa: E402
import loadgen  # noqa: E402

HOST = "127.0.0.1"
SETTLE_SECONDS = 3.0  # after the last answer: the background flush writes the window's events


def _callgrind(out_dir: Path, name: str) -> list[str]:
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out_dir / name}.out",
            f"--log-file={out_dir / name}.log"]


def _wait_for(port: int, process: subprocess.Popen, _wait=bench_api.wait_for) -> None:
    """bench_api's wait, five times as long: under callgrind on a loaded machine a server can take
    minutes to start."""
    for attempt in range(5):
        try:
            return _wait(port, process)
        except SystemExit as error:
            if attempt == 4 or "did not start" not in str(error):
                process.terminate()  # not left running under callgrind after this script exits
                raise


def _counted(out_dir: Path, name: str, process: subprocess.Popen, port: int, pool: list[bytes], count: int,
             fresh: bool) -> float:
    """Instructions per request over ``count`` requests from ``pool`` (the first 100 warm up)."""
    loadgen.run(HOST, port, pool[:100], 4, 120, count_limit=100)
    if fresh:  # every CreateUser a new name
        pool = pool[100:]
    time.sleep(1.5)
    subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], capture_output=True, check=True)
    result = loadgen.run(HOST, port, pool, 16, 900, count_limit=count)
    time.sleep(SETTLE_SECONDS)
    subprocess.run(["callgrind_control", "-i", "off", str(process.pid)], capture_output=True, check=True)
    subprocess.run(["callgrind_control", "-d", str(process.pid)], capture_output=True, check=True)
    if result.errors:
        raise SystemExit(f"{name}: {result.errors} errors")
    total = 0
    for dump in out_dir.glob(f"{name}.out*"):
        for line in dump.read_text(errors="replace").splitlines():
            if line.startswith(("summary:", "totals:")):
                total = max(total, int(line.split()[1]))
    return total / count


def _pool(operation: str, port: int, count: int) -> list[bytes]:
    iam = {"Version": "2010-05-08"}
    if operation == "GetUser":
        params = [{**iam, "Action": "GetUser", "UserName": f"user{i:06d}"} for i in range(0, 10_000, 7)]
    elif operation == "ListUsers":
        params = [{**iam, "Action": "ListUsers", "MaxItems": "100"}] * 50
    elif operation == "GetCallerIdentity":
        return bench_api.signed_pool(port, [{"Action": "GetCallerIdentity", "Version": "2011-06-15"}] * 50, "sts")
    else:
        params = [{**iam, "Action": "CreateUser", "UserName": f"new{i:07d}"} for i in range(count + 100)]
    return bench_api.signed_pool(port, params)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("operation", choices=["GetUser", "GetCallerIdentity", "ListUsers", "CreateUser"])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--baseline", metavar="SRC", help="also serve the iamd package under SRC")
    parser.add_argument("--postgresql", metavar="URL", default="")
    parser.add_argument("--keep", metavar="DIR", help="write callgrind's outputs to DIR (for callgrind_annotate)")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    bench_api.DATABASE_URL = args.postgresql
    configs = {"audit on": ("true", None), "audit off": ("false", None)}
    if args.baseline:
        configs.update({"baseline, audit on": ("true", args.baseline), "baseline, audit off": ("false", args.baseline)})
    popen = subprocess.Popen
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(args.keep or tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        port = bench_api.free_port()
        bare = popen(_callgrind(out_dir, "bare") + [sys.executable, str(Path(__file__).with_name("bare_app.py")),
                                                     str(port)])
        try:
            _wait_for(port, bare)
            figures["bare Starlette app (ceiling)"] = _counted(out_dir, "bare", bare, port,
                                                               [loadgen.plain_get(HOST, port)] * 200, args.requests,
                                                               False)
        finally:
            bare.terminate()
            bare.wait()
        for index, (label, (audit, source)) in enumerate(configs.items()):
            name = f"iamd{index}"

            class UnderCallgrind(popen):  # seeded_server's Popen, under callgrind, with the package chosen
                def __init__(self, command, *rest, env=None, _name=name, _source=source, **options):
                    if env is not None and _source:
                        env = {**env, "PYTHONPATH": _source}
                    super().__init__(_callgrind(out_dir, _name) + command, *rest, env=env, **options)

            bench_api.subprocess.Popen = UnderCallgrind
            bench_api.wait_for = _wait_for
            bench_api.AUDIT = audit
            try:
                process, port = bench_api.seeded_server(out_dir / name, 0 if args.operation == "CreateUser" else 10_000,
                                                        source)
            finally:
                bench_api.subprocess.Popen = popen
            try:
                figures[label] = _counted(out_dir, name, process, port, _pool(args.operation, port, args.requests),
                                          args.requests, args.operation == "CreateUser")
            finally:
                process.terminate()
                process.wait()
    ceiling = figures["bare Starlette app (ceiling)"]
    print(f"\n{args.operation}, {args.requests} requests, {'PostgreSQL' if args.postgresql else 'SQLite'}: "
          "instructions per request (server process, all threads)")
    for label, figure in figures.items():
        print(f"{label:32s} {figure:12,.0f}  {figure / ceiling:5.2f} x the ceiling")
    for prefix in ("", "baseline, "):
        on, off = figures.get(f"{prefix}audit on"), figures.get(f"{prefix}audit off")
        if on and off:
            print(f"{prefix or 'this code, '}audit on / off: {on / off:.2f}")


if __name__ == "__main__":
    main()
