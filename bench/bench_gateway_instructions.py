"""Instructions of iamd's process per forwarded small request (S3 GetObject 1 KiB, DynamoDB GetItem, S3
ListObjectsV2), counted by valgrind's callgrind, beside the bare Starlette app's count in the same run:
a figure the machine's load cannot move (bench/bench_instructions.py does the same for the Query API).

    .venv/bin/python bench/bench_gateway_instructions.py [--requests 300] [--baseline SRC]
                                                         [--upstream keepalive|moto] [--keep DIR]

One upstream (moto's application behind uvicorn, kept alive, or moto's own server) serves every iamd;
each iamd runs under ``valgrind --tool=callgrind --instr-atstart=no`` on SQLite, audit off, one worker:
start-up, the setup and 100 warming requests uncounted, then counting on for N requests of one kind,
off, dumped. With ``--baseline SRC`` the same for the iamd package under SRC (the src directory of a
``git worktree add`` of main, say) served by this venv. ``--keep DIR`` keeps the callgrind files there
(``callgrind_annotate --inclusive=yes DIR/iamd0.out.2-01``) to profile the forward path. Requires valgrind.

Two figures per request: the whole process, and its main thread (the event loop, where the forward runs
on SQLite). The difference is mostly the resources' policies read again from the upstream when their
cache entries expire (every 5 s): under callgrind a request takes ~50 times longer, so those reads weigh
~50 times more per request than at full speed.
"""

from __future__ import annotations

import argparse
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).parent))
import loadgen  # noqa: E402
from bench_api import HOST, free_port  # noqa: E402
from bench_gateway import ACCOUNT, BUCKET, KEY, OBJECT, SECRET, TABLE, pools, start  # noqa: E402
from bench_instructions import _callgrind  # noqa: E402


def _wait(port: int, process: subprocess.Popen, seconds: float = 300.0) -> None:
    """A server under callgrind starts some fifty times slower than without."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("server exited early")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("server did not start")


def _setup(moto_port: int) -> None:
    """The bucket, its object and the table, made straight at the upstream in iamd's account."""
    def account(request, **_):
        request.headers["x-moto-account-id"] = ACCOUNT

    options = dict(endpoint_url=f"http://{HOST}:{moto_port}", region_name="us-east-1", aws_access_key_id="moto",
                   aws_secret_access_key="moto")
    s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}), **options)
    dynamodb = boto3.client("dynamodb", **options)
    for client in (s3, dynamodb):
        client.meta.events.register("before-sign", account)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=OBJECT, Body=os.urandom(1024))
    dynamodb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "item-1"}, "v": {"S": "x" * 100}})


def _counted(out_dir: Path, name: str, process: subprocess.Popen, port: int, pool: list[bytes], count: int
             ) -> tuple[float, float]:
    """Instructions per request over ``count`` requests from ``pool`` (cycled), after 100 uncounted: the
    whole process's, and its main thread's (the event loop: on SQLite the whole forward path)."""
    loadgen.run(HOST, port, pool, 4, 120, count_limit=100)
    time.sleep(1.0)
    before = set(out_dir.glob(f"{name}.out*"))
    subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], capture_output=True, check=True)
    result = loadgen.run(HOST, port, pool, 16, 900, count_limit=count)
    time.sleep(0.5)
    subprocess.run(["callgrind_control", "-i", "off", str(process.pid)], capture_output=True, check=True)
    subprocess.run(["callgrind_control", "-d", str(process.pid)], capture_output=True, check=True)
    if result.errors:  # counted all the same, and said: under callgrind an upstream read may time out
        print(f"  ({name}: {result.errors} of {count} answers were not 200)", flush=True)
    total = main = 0
    for dump in set(out_dir.glob(f"{name}.out*")) - before:
        figure = 0
        for line in dump.read_text(errors="replace").splitlines():
            if line.startswith(("summary:", "totals:")):
                figure = max(figure, int(line.split()[1]))
        total += figure
        if dump.name.endswith("-01"):
            main += figure
    return total / count, main / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--baseline", metavar="SRC", help="also serve the iamd package under SRC")
    parser.add_argument("--upstream", choices=("keepalive", "moto"), default="keepalive")
    parser.add_argument("--keep", metavar="DIR", help="keep callgrind's files in DIR")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]), flush=True)
    sources = {"this code": None}
    if args.baseline:
        sources["baseline"] = args.baseline
    figures: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-gateway-instr-") as tmp:
        out_dir = Path(args.keep or tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        moto_port = free_port()
        if args.upstream == "moto":
            moto_command = [str(Path(sys.executable).parent / "moto_server"), "-p", str(moto_port)]
        else:
            moto_command = [sys.executable, "-m", "uvicorn", "--interface", "wsgi", "--port", str(moto_port),
                            "--no-access-log", "--log-level", "warning", "--app-dir", str(Path(__file__).parent),
                            "moto_keepalive:app"]
        moto = start(moto_command, dict(os.environ), moto_port, Path(tmp) / "moto.log")
        try:
            _setup(moto_port)
            bare_port = free_port()
            bare = subprocess.Popen(_callgrind(out_dir, "bare") + ["--separate-threads=yes"] + [sys.executable,
                                                                    str(Path(__file__).with_name("bare_app.py")),
                                                                    str(bare_port)])
            try:
                _wait(bare_port, bare)
                figures[("ceiling", "bare Starlette app")] = _counted(
                    out_dir, "bare", bare, bare_port, [loadgen.plain_get(HOST, bare_port)] * 200, args.requests)[0]
            finally:
                bare.terminate()
                bare.wait()
            for index, (label, source) in enumerate(sources.items()):
                name, port = f"iamd{index}", free_port()
                env = {k: v for k, v in os.environ.items() if not k.startswith(("IAMD_", "AWS_"))}
                data = Path(tmp) / name
                data.mkdir()
                env.update(IAMD_PORT=str(port), IAMD_DATA_DIR=str(data), IAMD_WORKERS="1", IAMD_ACCOUNT_ID=ACCOUNT,
                           IAMD_ROOT_ACCESS_KEY_ID=KEY, IAMD_ROOT_SECRET_ACCESS_KEY=SECRET, IAMD_AUDIT="0",
                           IAMD_UPSTREAM_URL=f"http://{HOST}:{moto_port}")
                if source:
                    env["PYTHONPATH"] = source
                command = [sys.executable, "-m", "iamd.cli.main", "serve"]
                iamd = subprocess.Popen(_callgrind(out_dir, name) + ["--separate-threads=yes", *command],
                                        env=env, stdout=open(out_dir / f"{name}.log", "ab"),
                                        stderr=subprocess.STDOUT)
                try:
                    _wait(port, iamd)
                    for request, pool in pools(port, KEY, SECRET, {}).items():
                        total, main = _counted(out_dir, name, iamd, port, pool, args.requests)
                        figures[(label, request)], figures[(f"{label}, main thread", request)] = total, main
                        print(f"{label:10} {request:22} {total:12,.0f} (main thread {main:,.0f})", flush=True)
                finally:
                    iamd.terminate()
                    iamd.wait()
        finally:
            moto.terminate()
            moto.wait(timeout=10)
    ceiling = figures[("ceiling", "bare Starlette app")]
    print(f"\nforwarded requests, {args.requests} each, upstream {args.upstream}, SQLite, audit off: "
          f"instructions per request (iamd's process, all threads); ceiling {ceiling:,.0f}")
    requests = [request for label, request in figures if label == "this code"]
    for part in ("", ", main thread"):
        print(f"\n{'request' + part:22} " + " ".join(f"{label:>22}" for label in sources)
              + ("   this / baseline" if args.baseline else ""))
        for request in requests:
            cells = [f"{figures[(label + part, request)]:12,.0f} ({figures[(label + part, request)] / ceiling:5.2f}x)"
                     for label in sources]
            ratio = (f"   {figures[('this code' + part, request)] / figures[('baseline' + part, request)]:.2f}"
                     if args.baseline else "")
            print(f"{request:22} " + " ".join(f"{cell:>22}" for cell in cells) + ratio)
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
