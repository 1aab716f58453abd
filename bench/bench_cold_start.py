"""Cold start: the time from starting ``iamd serve`` to its first answers, on a fresh data directory
(the schema made, the first account created) and on a restart of it, each repeated.

    .venv/bin/python bench/bench_cold_start.py [--repeat 5] [--postgresql URL]

Two figures per start: the first answered ``/health``, and the first answered signed request
(GetCallerIdentity, which needs botocore's model and the caller's key). The client polls every 5 ms.
The environment is passed on (less IAMD_*), so ``PYTHONPATH=<another checkout>/src`` measures that one.
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
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import loadgen  # noqa: E402
from bench_api import ACCOUNT, HOST, KEY, SECRET, free_port, fresh_database_url  # noqa: E402


def start_once(data_dir: str, database_url: str) -> tuple[float, float]:
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("IAMD_")}
    env.update(IAMD_DATA_DIR=data_dir, IAMD_PORT=str(port), IAMD_WORKERS="1", IAMD_DATABASE_URL=database_url,
               IAMD_ACCOUNT_ID=ACCOUNT, IAMD_ROOT_ACCESS_KEY_ID=KEY, IAMD_ROOT_SECRET_ACCESS_KEY=SECRET)
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
        return health, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgresql", metavar="URL", default="")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    figures: dict[str, list[tuple[float, float]]] = {"fresh": [], "restart": []}
    for _ in range(args.repeat):
        database_url = fresh_database_url(args.postgresql) if args.postgresql else ""
        with tempfile.TemporaryDirectory() as data_dir:
            figures["fresh"].append(start_once(data_dir, database_url))
            figures["restart"].append(start_once(data_dir, database_url))
    print(f"\n{'start':10s} {'first /health':>22s} {'first GetCallerIdentity':>26s}"
          f"   (median, min-max of {args.repeat})")
    for kind, rows in figures.items():
        health = [row[0] for row in rows]
        api = [row[1] for row in rows]
        print(f"{kind:10s} {statistics.median(health):8.2f} s ({min(health):.2f}-{max(health):.2f})   "
              f"{statistics.median(api):12.2f} s ({min(api):.2f}-{max(api):.2f})")


if __name__ == "__main__":
    main()
