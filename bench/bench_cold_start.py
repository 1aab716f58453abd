"""Cold start: the time from starting ``iamd serve`` to its first answers, on a fresh data directory
(the schema made, the first account created) and on a restart of it, each repeated.

    .venv/bin/python bench/bench_cold_start.py [--repeat 5] [--postgresql URL] [--baseline OTHER/src] [--workers N]
    .venv/bin/python bench/bench_cold_start.py --instructions [--baseline OTHER/src]

Three figures per start: the first answered ``/health``, the first answered signed request
(GetCallerIdentity, which needs botocore's model and the caller's key), and the CPU time the server
had used by then (user + system, from ``/proc``: less moved by other processes' load than the wall
clock, though not immune to it). The client polls every 5 ms. The environment is passed on (less
IAMD_*), so ``PYTHONPATH=<another checkout>/src`` measures that one; ``--baseline`` alternates this
tree's starts with that one's in the same run and prints the ratios.

``--instructions`` counts instead, under callgrind, the instructions of everything ``serve`` does before
uvicorn listens (``cold_start_probe.py``), fresh and restarted: repeatable whatever the load.

Each tree's modules are compiled first, as pip does at install: with PYTHONDONTWRITEBYTECODE set (as
in some shells), every start would otherwise compile iamd's ~200 modules again, a third of a start.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import loadgen  # noqa: E402
from bench_api import ACCOUNT, HOST, KEY, SECRET, free_port, fresh_database_url  # noqa: E402

SRC = str(Path(__file__).resolve().parent.parent / "src")


def start_once(data_dir: str, database_url: str, src: str | None, workers: int) -> tuple[float, float, float]:
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("IAMD_")}
    env.update(IAMD_DATA_DIR=data_dir, IAMD_PORT=str(port), IAMD_WORKERS=str(workers), IAMD_DATABASE_URL=database_url,
               IAMD_ACCOUNT_ID=ACCOUNT, IAMD_ROOT_ACCESS_KEY_ID=KEY, IAMD_ROOT_SECRET_ACCESS_KEY=SECRET)
    if src is not None:
        env["PYTHONPATH"] = src
    signed = loadgen.sign(HOST, port, {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, KEY, SECRET, "sts")
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "serve"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit("iamd exited early")
            try:
                urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=2).read()
                break
            except OSError:
                time.sleep(0.005)
        health = time.perf_counter() - started
        status = loadgen.run(HOST, port, [signed], connections=1, seconds=60, count_limit=1)
        if status.errors:
            raise SystemExit("the first GetCallerIdentity failed")
        return health, time.perf_counter() - started, _tree_cpu_seconds(process.pid)
    finally:
        process.terminate()
        process.wait()


def start_instructions(data_dir: str, src: str | None) -> int:
    """Instructions (callgrind, the whole process) from exec to where uvicorn would start listening."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("IAMD_")}
    env.update(IAMD_DATA_DIR=data_dir, IAMD_WORKERS="1", IAMD_ACCOUNT_ID=ACCOUNT, IAMD_ROOT_ACCESS_KEY_ID=KEY,
               IAMD_ROOT_SECRET_ACCESS_KEY=SECRET)
    if src is not None:
        env["PYTHONPATH"] = src
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={scratch}/out",
                               sys.executable, str(Path(__file__).with_name("cold_start_probe.py"))],
                              env=env, capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


def _tree_cpu_seconds(pid: int) -> float:
    """The CPU time of the server and of its worker processes (with --workers above 1)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return loadgen.cpu_seconds(pid) + sum(_tree_cpu_seconds(int(child)) for child in children)


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):5.2f} s ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgresql", metavar="URL", default="")
    parser.add_argument("--instructions", action="store_true", help="count instructions under callgrind instead")
    parser.add_argument("--workers", type=int, default=1, help="IAMD_WORKERS (default 1)")
    parser.add_argument("--baseline", metavar="SRC", default="",
                        help="another tree's src/, started alternately with this one's in the same run")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    print("load average at the start:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    # With --baseline, this tree's src is named explicitly, so that a PYTHONPATH in the caller's
    # environment does not decide which code "this" is.
    trees = {"this": SRC, "baseline": args.baseline} if args.baseline else {"this": None}
    for src in [SRC, *os.environ.get("PYTHONPATH", "").split(os.pathsep), args.baseline]:
        if src and Path(src, "iamd").is_dir():
            subprocess.run([sys.executable, "-m", "compileall", "-q", src], check=True)
    if args.instructions:
        counts = {}
        for tree, src in trees.items():
            with tempfile.TemporaryDirectory() as data_dir:
                counts[tree] = [start_instructions(data_dir, src) for _ in ("fresh", "restart")]
        print(f"\n{'tree':9s} {'fresh':>16s} {'restart':>16s}   (instructions to where uvicorn listens)")
        for tree, (fresh, restart) in counts.items():
            print(f"{tree:9s} {fresh:16,d} {restart:16,d}")
        if args.baseline:
            print("this ÷ baseline: fresh {:.2f}, restart {:.2f}".format(
                *(counts["this"][i] / counts["baseline"][i] for i in (0, 1))))
        return
    figures = {(tree, kind): [] for tree in trees for kind in ("fresh", "restart")}
    for _ in range(args.repeat):
        for tree, src in trees.items():
            database_url = fresh_database_url(args.postgresql) if args.postgresql else ""
            with tempfile.TemporaryDirectory() as data_dir:
                figures[tree, "fresh"].append(start_once(data_dir, database_url, src, args.workers))
                figures[tree, "restart"].append(start_once(data_dir, database_url, src, args.workers))
    print("load average at the end:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"\n{'tree':9s} {'start':8s} {'first /health':>22s} {'first GetCallerIdentity':>24s}"
          f" {'server CPU by then':>24s}   (median, min-max of {args.repeat})")
    for (tree, kind), rows in figures.items():
        print(f"{tree:9s} {kind:8s} " + "   ".join(summary([row[i] for row in rows]) for i in range(3)))
    if args.baseline:
        print("\nthis ÷ baseline (medians):  first GetCallerIdentity, server CPU")
        for kind in ("fresh", "restart"):
            ratios = [statistics.median(row[i] for row in figures["this", kind])
                      / statistics.median(row[i] for row in figures["baseline", kind]) for i in (1, 2)]
            print(f"  {kind:8s} {ratios[0]:.2f}   {ratios[1]:.2f}")


if __name__ == "__main__":
    main()
