"""CreateUser's server CPU per request, this code and (``--baseline SRC``) another checkout's, beside the
bare Starlette app, in alternating rounds (as bench_alternating.py, which cannot: its servers hold 10,000
users, past IAM's 5,000-users-per-account quota). Each server starts empty; every request a new user.

    .venv/bin/python bench/bench_create_alternating.py [--rounds 5] [--count 800] [--baseline SRC] [--audit]

CPU is read from /proc in clock ticks (10 ms): ``--count`` requests a round keep that coarse grain
small beside a request's cost. The first round warms up and is not counted; rounds x count stays under
the quota.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_api  # noqa: E402
import loadgen  # noqa: E402

HOST = "127.0.0.1"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=800)
    parser.add_argument("--baseline", metavar="SRC")
    parser.add_argument("--audit", action="store_true", help="serve with audit on (default: off)")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    if (args.rounds + 1) * args.count >= 5000:
        raise SystemExit("rounds x count must stay under the 5,000-users quota")
    bench_api.AUDIT = "true" if args.audit else "false"
    popen = subprocess.Popen
    servers: dict[str, tuple[subprocess.Popen, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for label, source in (("this code", None), ("baseline", args.baseline)):
                if label == "baseline" and not source:
                    continue

                servers[label] = bench_api.seeded_server(Path(tmp) / label.replace(" ", "_"), 0, source)
            port = bench_api.free_port()
            bare = popen([sys.executable, str(Path(__file__).with_name("bare_app.py")), str(port)])
            servers["bare Starlette app (ceiling)"] = (bare, port)
            bench_api.wait_for(port, bare)
            pools = {label: bench_api.signed_pool(port, [
                {"Action": "CreateUser", "Version": "2010-05-08", "UserName": f"new{round_}x{index}"}
                for round_ in range(args.rounds + 1) for index in range(args.count)])
                for label, (_, port) in servers.items() if not label.startswith("bare")}
            figures: dict[str, list[float]] = {label: [] for label in servers}
            for round_ in range(args.rounds + 1):
                for label, (process, port) in servers.items():
                    pool = (pools[label][round_ * args.count:(round_ + 1) * args.count] if label in pools
                            else [loadgen.plain_get(HOST, port)] * args.count)
                    before = loadgen.cpu_seconds(process.pid)
                    result = loadgen.run(HOST, port, pool, 16, 120, count_limit=args.count)
                    cpu = loadgen.cpu_seconds(process.pid) - before
                    if result.errors:
                        raise SystemExit(f"{label}: {result.errors} errors")
                    if round_:  # the first round warms up
                        figures[label].append(cpu / result.requests * 1e6)
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait()
    ceiling = statistics.median(figures["bare Starlette app (ceiling)"])
    print(f"\n{args.rounds} rounds of {args.count} CreateUser, SQLite, audit {'on' if args.audit else 'off'}: "
          "server CPU µs per request, median (× the ceiling's median), every round")
    for label, values in figures.items():
        median = statistics.median(values)
        print(f"{label:30s} {median:6.0f} ({median / ceiling:5.2f}×)  {[round(value) for value in values]}")


if __name__ == "__main__":
    main()
