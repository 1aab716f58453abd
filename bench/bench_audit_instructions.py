"""Instructions per GetUser in-process (QueryApi.handle, no HTTP), audit on and off, counted by callgrind
around 1,000 calls and the flush of their events: the trail's own cost, repeatable to a fraction of a
percent (over HTTP, bench_instructions.py's figures move by ±3 % between runs, as much as the trail).

    .venv/bin/python bench/bench_audit_instructions.py [--baseline SRC] [--postgresql URL] [--calls 1000]

The caller is the root user; its GetUser events are deferred and flushed as the server does. With
``--baseline SRC`` the same for the iamd package under SRC, served by this venv. Requires valgrind.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def child(audit: bool, calls: int, database_url: str) -> None:
    """Runs under callgrind: set up, warm up, then count ``calls`` GetUsers and the flush."""
    import loadgen
    from profile_request import KEY, SECRET, as_request

    from iamd.cli.bootstrap import open_state
    from iamd.config import Settings
    from iamd.service.runtime import new_environment
    from iamd.web.api import QueryApi

    if database_url:
        from bench_api import fresh_database_url

        database_url = fresh_database_url(database_url)
    state = open_state(Settings(data_dir=tempfile.mkdtemp(), database_url=database_url, account_id="123456789012",
                                root_access_key_id=KEY, root_secret_access_key=SECRET))
    env = new_environment(state.box, Settings(audit=audit))
    api = QueryApi(state.store, env)
    env.audit.attach(state.store)  # as the server does: read-only calls' events wait for a flush
    iam = {"Version": "2010-05-08"}
    for index in range(50):
        api.handle(*as_request(loadgen.sign("127.0.0.1", 1, {**iam, "Action": "CreateUser", "UserName": f"u{index}"},
                                            KEY, SECRET)))
    requests = [as_request(loadgen.sign("127.0.0.1", 1, {**iam, "Action": "GetUser", "UserName": f"u{index % 50}"},
                                        KEY, SECRET)) for index in range(100)]

    def run(count: int) -> None:
        for index in range(count):
            assert api.handle(*requests[index % 100])[0] == 200
        env.audit.flush()

    run(1200)
    control = ["callgrind_control", "-i"]
    subprocess.run([*control, "on", str(os.getpid())], capture_output=True, check=True)
    run(calls)
    subprocess.run([*control, "off", str(os.getpid())], capture_output=True, check=True)
    subprocess.run(["callgrind_control", "-d", str(os.getpid())], capture_output=True, check=True)


def count(out_dir: Path, name: str, audit: bool, source: str | None, args) -> float:
    env = {**os.environ, "PYTHONPATH": source} if source else None
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out_dir / name}.out",
               f"--log-file={out_dir / name}.log", sys.executable, __file__, "--child", "on" if audit else "off",
               "--calls", str(args.calls), "--postgresql", args.postgresql]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    total = 0
    for dump in out_dir.glob(f"{name}.out*"):
        for line in dump.read_text(errors="replace").splitlines():
            if line.startswith(("summary:", "totals:")):
                total = max(total, int(line.split()[1]))
    return total / args.calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", metavar="SRC")
    parser.add_argument("--postgresql", metavar="URL", default="")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--child", choices=["on", "off"])
    args = parser.parse_args()
    if args.child:
        child(args.child == "on", args.calls, args.postgresql)
        return
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        for prefix, source in [("", None)] + ([("baseline, ", args.baseline)] if args.baseline else []):
            for audit in (True, False):
                label = f"{prefix}audit {'on' if audit else 'off'}"
                figures[label] = count(Path(tmp), label.replace(", ", "-").replace(" ", "-"), audit, source, args)
    print(f"\nGetUser in-process, {args.calls} calls, {'PostgreSQL' if args.postgresql else 'SQLite'}: "
          "instructions per call (iamd's process)")
    for label, figure in figures.items():
        print(f"{label:22s} {figure:12,.0f}")
    for prefix in ("", "baseline, "):
        on, off = figures.get(f"{prefix}audit on"), figures.get(f"{prefix}audit off")
        if on and off:
            print(f"{prefix or 'this code, '}audit on / off: {on / off:.3f} (the trail: {on - off:,.0f})")


if __name__ == "__main__":
    main()
