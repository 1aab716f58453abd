"""What the gateway's cache epoch (gateway/cache_epoch.py) costs each forwarded request: the read of
``gateway_state.cache_epoch`` in the decision's transaction, beside an empty read transaction measured
in the same run (the floor every decision pays), on SQLite. On PostgreSQL the read goes in the same
round trip as the caller's key (store.fastpath.read_ahead).

Run:  .venv/bin/python bench/bench_cache_epoch.py [--reads N]
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from iamd.cli.bootstrap import open_state  # noqa: E402
from iamd.config import Settings  # noqa: E402
from iamd.gateway.cache_epoch import CacheEpoch  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reads", type=int, default=20_000)
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory() as tmp:
        state = open_state(Settings(data_dir=tmp, account_id="123456789012", root_access_key_id="AKIAIOSFODNN7EXAMPLE",
                                    root_secret_access_key="x" * 40, audit=False))
        epoch = CacheEpoch(lambda: None)
        with state.store.transaction() as tx:
            epoch.fresh(tx)
            started = time.process_time()
            for _ in range(args.reads):
                epoch.fresh(tx)
            per_read = (time.process_time() - started) / args.reads
        started = time.process_time()
        for _ in range(args.reads // 10):
            with state.store.transaction():
                pass
        per_transaction = (time.process_time() - started) / (args.reads // 10)
        state.store.dispose()
    print(f"cache epoch read      {per_read * 1e6:6.1f} µs CPU")
    print(f"empty read transaction {per_transaction * 1e6:6.1f} µs CPU")
    print(f"ratio read / transaction: {per_read / per_transaction:.2f}")


if __name__ == "__main__":
    main()
