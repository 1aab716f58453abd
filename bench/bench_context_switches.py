"""Where a request's CPU time beyond its instructions goes: user and system CPU, and the voluntary and
involuntary context switches of all the server's threads (``/proc/<pid>/task/*/status``), per GetUser,
this code against another checkout's (``--baseline SRC``) in alternating rounds. A voluntary switch is
a thread going to sleep (a hop to a thread and back costs several, and on an idle machine each sleep
ends in a wake-up).

    .venv/bin/python bench/bench_context_switches.py [--rounds 5] [--seconds 2] [--connections 16]
        [--baseline SRC] [--postgresql URL] [--no-audit] [--realtime]

--realtime runs the servers' threads (and those they start) under SCHED_FIFO, priority 1 (root only): the
other processes of a loaded machine then preempt them no more than on an idle one, an approximation of an
idle machine for the server alone (the load generator and PostgreSQL still share the cores).
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_alternating  # noqa: E402
import bench_api  # noqa: E402
import loadgen  # noqa: E402

HOST = "127.0.0.1"


def switches(pid: int) -> tuple[int, int]:
    """Voluntary and involuntary context switches of all of ``pid``'s threads so far."""
    voluntary = involuntary = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as status:
                for line in status:
                    if line.startswith("voluntary_ctxt_switches"):
                        voluntary += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        involuntary += int(line.split()[1])
        except FileNotFoundError:  # a thread that ended meanwhile
            pass
    return voluntary, involuntary


def loop_thread(pid: int) -> tuple[float, float]:
    """Seconds the server's main thread (uvicorn's event loop) ran and waited for a core so far
    (``/proc/<pid>/task/<pid>/schedstat``): over a window, what is left of the wall time it slept."""
    run, wait, _slices = open(f"/proc/{pid}/task/{pid}/schedstat").read().split()
    return int(run) / 1e9, int(wait) / 1e9


def cpu_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of ``pid`` so far."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--baseline", metavar="SRC")
    parser.add_argument("--postgresql", metavar="URL", default="")
    parser.add_argument("--no-audit", action="store_true")
    parser.add_argument("--realtime", action="store_true")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    bench_api.DATABASE_URL = args.postgresql
    bench_api.AUDIT = "false" if args.no_audit else "true"
    sources = {"this": None, **({"baseline": args.baseline} if args.baseline else {})}
    popen = subprocess.Popen
    servers: dict[str, tuple[subprocess.Popen, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            bare_port = bench_api.free_port()  # the ceiling: a bare Starlette app under the same uvicorn
            servers["ceiling"] = (popen([sys.executable, str(Path(__file__).with_name("bare_app.py")), str(bare_port)]),
                                  bare_port)
            bench_api.wait_for(bare_port, servers["ceiling"][0])
            for index, (label, source) in enumerate(sources.items()):

                servers[label] = bench_api.seeded_server(Path(tmp) / f"iamd{index}", 10_000, source)
            if args.realtime:
                for process, _port in servers.values():
                    for task in os.listdir(f"/proc/{process.pid}/task"):
                        os.sched_setscheduler(int(task), os.SCHED_FIFO, os.sched_param(1))
            pools = {label: bench_alternating._pool("GetUser", port) if label != "ceiling"
                     else [loadgen.plain_get(HOST, port)] * 200 for label, (_, port) in servers.items()}
            rows: dict[str, list[tuple[float, ...]]] = {label: [] for label in servers}
            for _round in range(args.rounds):
                for label, (process, port) in servers.items():
                    loadgen.run(HOST, port, pools[label][:200], args.connections, 0.3)  # warm
                    user, system = cpu_times(process.pid)
                    voluntary, involuntary = switches(process.pid)
                    ran, waited, started = *loop_thread(process.pid), time.monotonic()
                    result = loadgen.run(HOST, port, pools[label], args.connections, args.seconds)
                    user_after, system_after = cpu_times(process.pid)
                    voluntary_after, involuntary_after = switches(process.pid)
                    ran_after, waited_after = loop_thread(process.pid)
                    wall = time.monotonic() - started
                    count = result.requests
                    rows[label].append(((user_after - user) / count * 1e6, (system_after - system) / count * 1e6,
                                        (voluntary_after - voluntary) / count,
                                        (involuntary_after - involuntary) / count, result.rate, result.errors,
                                        (ran_after - ran) / wall, (waited_after - waited) / wall))
            audit = "off" if args.no_audit else "on"
            print(f"\nGetUser, {args.connections} connections, audit {audit}, {args.rounds} rounds of "
                  f"{args.seconds:g} s{', servers SCHED_FIFO' if args.realtime else ''}, "
                  f"{'PostgreSQL' if args.postgresql else 'SQLite'}: medians per request")
            ceiling = statistics.median(row[0] + row[1] for row in rows["ceiling"])
            for label, measured in rows.items():
                user, system, voluntary, involuntary, rate = (statistics.median(row[k] for row in measured)
                                                              for k in range(5))
                total = statistics.median(row[0] + row[1] for row in measured)
                print(f"{label:9s} user {user:5.0f} µs  system {system:4.0f} µs  total {total:5.0f} µs "
                      f"({total / ceiling:5.2f}× the ceiling)  "
                      f"voluntary switches {voluntary:5.2f}  involuntary {involuntary:5.2f}  {rate:6.0f} req/s  "
                      f"errors {sum(row[5] for row in measured)}")
                ran, waited = (statistics.median(row[k] for row in measured) for k in (6, 7))
                print(f"{'':9s} the loop's thread: running {ran:4.0%}, waiting for a core {waited:4.0%}, "
                      f"asleep {1 - ran - waited:4.0%} of the time")
                print(f"{'':9s} total µs by round {[round(row[0] + row[1]) for row in measured]}, "
                      f"req/s by round {[round(row[4]) for row in measured]}, "
                      f"the loop asleep by round {[f'{1 - row[6] - row[7]:.0%}' for row in measured]}")
        finally:
            for process, _port in servers.values():
                process.terminate()
                process.wait()


if __name__ == "__main__":
    main()
