"""Where the audit trail's CPU goes, thread by thread: GetUser with the trail on and off, this code and
(``--baseline SRC``) another checkout's, four servers measured in turn in alternating rounds (as
bench_alternating.py). Around each timed window it reads every thread of the server
(``/proc/<pid>/task/<tid>/stat``: user and system time; ``schedstat``: time on a core, to the
nanosecond; ``status``: voluntary and involuntary context switches) and splits them into the event
loop's thread (the main one) and all the others (the trail's flush, the thread pool's hops).

    .venv/bin/python bench/bench_trail_threads.py [--rounds 5] [--seconds 2] [--connections 16]
        [--baseline SRC] [--postgresql URL]

Per request, medians over the rounds: user and system µs of each part (clock ticks: coarse for the
small ones), their time on a core (µs), context switches; and the trail's share, on / off. On PostgreSQL,
also the CPU of the server's database backends (they run its queries and the trail's COPY on the same
cores).
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_alternating  # noqa: E402
import bench_api  # noqa: E402
import loadgen  # noqa: E402

HOST = "127.0.0.1"
TICK = os.sysconf("SC_CLK_TCK")
# The figures kept per thread: user s, system s, on a core s, voluntary, involuntary switches, minor page
# faults (a fault is system time: memory the allocator gave back and took again).
FIELDS = 6


def thread_figures(pid: int) -> dict[int, tuple[float, ...]]:
    """Each live thread of ``pid``: user and system seconds, seconds on a core, voluntary and involuntary
    context switches, minor page faults, so far."""
    figures = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        base = f"/proc/{pid}/task/{task}"
        try:
            stat = open(f"{base}/stat").read().rsplit(")", 1)[1].split()
            ran = int(open(f"{base}/schedstat").read().split()[0]) / 1e9
            voluntary = involuntary = 0
            for line in open(f"{base}/status"):
                if line.startswith("voluntary_ctxt_switches"):
                    voluntary = int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    involuntary = int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):  # a thread that ended meanwhile
            continue
        figures[int(task)] = (int(stat[11]) / TICK, int(stat[12]) / TICK, ran, voluntary, involuntary, int(stat[7]))
    return figures


def backends_cpu(admin_url: str, pid: int) -> dict[int, float]:
    """PostgreSQL's backends serving the server ``pid`` (its database, named in its environment): each one's
    user + system seconds so far. They run the trail's COPY, on the same cores."""
    import psycopg

    environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
    url = next(item.split(b"=", 1)[1].decode() for item in environ if item.startswith(b"IAMD_DATABASE_URL="))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        pids = [row[0] for row in connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                                      [url.rsplit("/", 1)[1]])]
    seconds = {}
    for backend in pids:
        try:
            fields = open(f"/proc/{backend}/stat").read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        seconds[backend] = (int(fields[11]) + int(fields[12])) / TICK
    return seconds


def split(pid: int, before: dict, after: dict) -> tuple[list[float], list[float], int]:
    """The window's figures of the loop's thread and of the others summed, and how many others ran."""
    loop, others, busy = [0.0] * FIELDS, [0.0] * FIELDS, 0
    for tid, figures in after.items():
        start = before.get(tid, (0.0,) * FIELDS)  # a thread started in the window: all its figures
        delta = [a - b for a, b in zip(figures, start, strict=True)]
        target = loop if tid == pid else others
        if tid != pid and delta[2] > 0:
            busy += 1
        for k in range(FIELDS):
            target[k] += delta[k]
    return loop, others, busy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--baseline", metavar="SRC")
    parser.add_argument("--postgresql", metavar="URL", default="")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    bench_api.DATABASE_URL = args.postgresql
    configs = {"on": ("true", None), "off": ("false", None)}
    if args.baseline:
        configs = {"base on": ("true", args.baseline), "on": ("true", None),
                   "base off": ("false", args.baseline), "off": ("false", None)}
    servers: dict[str, tuple[subprocess.Popen, int]] = {}
    rows: dict[str, list[dict]] = {label: [] for label in configs}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for index, (label, (audit, source)) in enumerate(configs.items()):
                bench_api.AUDIT = audit
                servers[label] = bench_api.seeded_server(Path(tmp) / f"iamd{index}", 10_000, source)
            pools = {label: bench_alternating._pool("GetUser", port) for label, (_p, port) in servers.items()}
            for _round in range(args.rounds):
                for label, (process, port) in servers.items():
                    loadgen.run(HOST, port, pools[label][:200], args.connections, 0.5)  # warm
                    before, process_before = thread_figures(process.pid), loadgen.cpu_seconds(process.pid)
                    database = backends_cpu(args.postgresql, process.pid) if args.postgresql else {}
                    result = loadgen.run(HOST, port, pools[label], args.connections, args.seconds)
                    loop, others, busy = split(process.pid, before, thread_figures(process.pid))
                    count = result.requests
                    whole = (loadgen.cpu_seconds(process.pid) - process_before) / count * 1e6  # dead threads' too
                    after = backends_cpu(args.postgresql, process.pid) if args.postgresql else {}
                    backends = sum(after.values()) - sum(database.get(backend, 0.0) for backend in after)
                    per = [v / count * 1e6 for v in loop[:3]] + [v / count for v in loop[3:]]
                    per += [v / count * 1e6 for v in others[:3]] + [v / count for v in others[3:]]
                    rows[label].append({"figures": per, "rate": result.rate, "errors": result.errors, "busy": busy,
                                         "database": backends / count * 1e6, "process": whole})
        finally:
            for process, _port in servers.values():
                process.terminate()
                process.wait()

    def median(label: str, k: int) -> float:
        return statistics.median(row["figures"][k] for row in rows[label])

    print(f"\nGetUser, {args.connections} connections, {args.rounds} rounds of {args.seconds:g} s, "
          f"{'PostgreSQL' if args.postgresql else 'SQLite'}: medians per request "
          "(user/system: clock ticks; 'core': schedstat)")
    print(f"{'':9s} | {'the loop thread':^41s} | {'the other threads':^41s} |")
    print(f"{'':9s} | {'user':>6s} {'system':>6s} {'core':>6s} {'vol':>6s} {'invol':>6s} {'faults':>6s} "
          f"| {'user':>6s} {'system':>6s} {'core':>6s} {'vol':>6s} {'invol':>6s} {'faults':>6s} | "
          f"{'all, core':>9s} {'req/s':>6s} threads errors")
    for label in configs:
        cells = [median(label, k) for k in range(2 * FIELDS)]
        total = statistics.median(row["figures"][2] + row["figures"][FIELDS + 2] for row in rows[label])
        rate = statistics.median(row["rate"] for row in rows[label])
        busy = max(row["busy"] for row in rows[label])
        part = "{:6.1f} {:6.1f} {:6.1f} {:6.3f} {:6.3f} {:6.2f}"
        print(f"{label:9s} | {part.format(*cells[:FIELDS])} | {part.format(*cells[FIELDS:])} "
              f"| {total:9.1f} {rate:6.0f} {busy:7d} {sum(row['errors'] for row in rows[label]):6d}")
    for label in configs:
        print(f"{label:9s} all threads' µs on a core by round: "
              f"{[round(row['figures'][2] + row['figures'][FIELDS + 2]) for row in rows[label]]}")
    for label in configs:
        print(f"{label:9s} the process (/proc/<pid>/stat, clock ticks, as bench_alternating.py): median "
              f"{statistics.median(row['process'] for row in rows[label]):.0f} µs a request, by round "
              f"{[round(row['process']) for row in rows[label]]}")
    if args.postgresql:
        for label in configs:
            print(f"{label:9s} PostgreSQL's backends (user + system, clock ticks): median "
                  f"{statistics.median(row['database'] for row in rows[label]):.0f} µs a request, by round "
                  f"{[round(row['database']) for row in rows[label]]}")
    core, other_core = 2, FIELDS + 2  # the figures' places: the loop's time on a core, the others'
    for prefix in ("base ", "") if args.baseline else ("",):
        on, off = f"{prefix}on", f"{prefix}off"
        on_all = [row["figures"][core] + row["figures"][other_core] for row in rows[on]]
        off_all = [row["figures"][core] + row["figures"][other_core] for row in rows[off]]
        by_round = statistics.median(a / b for a, b in zip(on_all, off_all, strict=True))
        of_medians = statistics.median(on_all) / statistics.median(off_all)
        loop = median(on, core) - median(off, core)
        user, system = median(on, 0) - median(off, 0), median(on, 1) - median(off, 1)
        others = median(on, other_core) - median(off, other_core)
        print(f"{prefix or 'this '}trail's share (all threads on a core, on / off): median of the rounds' ratios "
              f"{by_round:.3f}, ratio of the medians {of_medians:.3f}; on − off: the loop {loop:+.1f} µs "
              f"(user {user:+.1f}, system {system:+.1f}), the others {others:+.1f} µs")

if __name__ == "__main__":
    main()
