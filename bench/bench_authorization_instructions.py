"""Instructions per call of the authorization API on a live iamd server (all its threads, HTTP included),
counted by callgrind as bench_instructions.py counts the Query API's, beside the bare Starlette app's.

    .venv/bin/python bench/bench_authorization_instructions.py [--pairs 1] [--requests 300] [--baseline SRC]

VerifyAndAuthorize with ``--pairs`` 1 (the bench_authorization_api.py pool: one pair, a Service, a
SourceIp in the Context) or 10 (five actions on two resources), and GetCallerIdentity from the same
service key for scale, each with the audit trail on and off; with ``--baseline SRC`` the same for the
iamd package under SRC (main's src, say) served by this venv. Every call signed before counting.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_authorization_api as authz  # noqa: E402
import bench_instructions  # noqa: E402
import loadgen  # noqa: E402
from bench_api import HOST, free_port, wait_for  # noqa: E402


def _wait_started(port: int, process: subprocess.Popen) -> None:
    """wait_for, three times over: iamd under callgrind on a loaded machine can take more than its minute."""
    for attempt in range(3):
        try:
            wait_for(port, process)
            return
        except SystemExit as error:
            if str(error) != "server did not start" or attempt == 2:
                raise

ACTIONS = ["orders:GetOrder", "orders:ListOrders", "orders:CancelOrder", "orders:GetInvoice", "orders:UpdateOrder"]


def _server(out_dir: Path, name: str, audit: str, source: str | None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {"IAMD_DATA_DIR": str(out_dir / name), "IAMD_PORT": str(port), "PATH": "/usr/bin:/bin", "IAMD_WORKERS": "1",
           "IAMD_AUDIT": audit, "IAMD_ACCOUNT_ID": authz.ACCOUNT, "IAMD_ROOT_ACCESS_KEY_ID": authz.KEY,
           "IAMD_ROOT_SECRET_ACCESS_KEY": authz.SECRET}
    if source:
        env["PYTHONPATH"] = source
    process = subprocess.Popen(bench_instructions._callgrind(out_dir, name)
                               + [sys.executable, "-m", "iamd.cli.main", "serve"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_started(port, process)
    except BaseException:  # not started in time: never leave it running under callgrind
        process.kill()
        process.wait()
        raise
    return process, port


def _pools(port: int, count: int) -> dict[str, list[bytes]]:
    service, client, _ = authz.principals(port)
    skey, ssecret = service["AccessKeyId"], service["SecretAccessKey"]
    materials = [authz.client_material(client["AccessKeyId"], client["SecretAccessKey"], i) for i in range(count)]
    order = authz.ORDER
    return {
        "GetCallerIdentity": [loadgen.sign(HOST, port, {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                                           skey, ssecret, "sts")] * 50,
        "VerifyAndAuthorize, 1 pair": [authz.json_call(port, "VerifyAndAuthorize", {
            "Request": m, "Service": "orders", "Actions": ["orders:GetOrder"], "Resources": [order + f"o-{i}"],
            "Context": {"aws:SourceIp": "10.0.0.1"}}, skey, ssecret) for i, m in enumerate(materials)],
        "VerifyAndAuthorize, 10 pairs": [authz.json_call(port, "VerifyAndAuthorize", {
            "Request": m, "Actions": ACTIONS, "Resources": [order + f"o-{i}", order + f"o-{i + 1}"]}, skey, ssecret)
            for i, m in enumerate(materials)],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, choices=[1, 10], default=1)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--baseline", metavar="SRC", help="also serve the iamd package under SRC")
    parser.add_argument("--source", metavar="SRC", help="serve 'this code' from SRC (a snapshot) instead of the venv's")
    parser.add_argument("--no-identity", action="store_true", help="skip GetCallerIdentity")
    args = parser.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))
    configs = {"audit on": ("true", args.source), "audit off": ("false", args.source)}
    if args.baseline:
        configs.update({"baseline, audit on": ("true", args.baseline), "baseline, audit off": ("false", args.baseline)})
    operation = f"VerifyAndAuthorize, {args.pairs} pair{'s' if args.pairs > 1 else ''}"
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp)
        port = free_port()
        bare = subprocess.Popen(bench_instructions._callgrind(out_dir, "bare")
                                + [sys.executable, str(Path(__file__).with_name("bare_app.py")), str(port)])
        try:
            wait_for(port, bare)
            figures["bare Starlette app (ceiling)"] = bench_instructions._counted(
                out_dir, "bare", bare, port, [loadgen.plain_get(HOST, port)] * 200, args.requests, False)
        finally:
            bare.terminate()
            bare.wait()
        for index, (label, (audit, source)) in enumerate(configs.items()):
            process, port = _server(out_dir, f"iamd{index}", audit, source)
            try:
                pools = _pools(port, args.requests + 100)
                figures[f"{label}: {operation}"] = bench_instructions._counted(
                    out_dir, f"iamd{index}", process, port, pools[operation], args.requests, False)
                if not args.no_identity:
                    for dump in out_dir.glob(f"iamd{index}.out*"):
                        dump.unlink()
                    figures[f"{label}: GetCallerIdentity"] = bench_instructions._counted(
                        out_dir, f"iamd{index}", process, port, pools["GetCallerIdentity"], args.requests, False)
            finally:
                process.terminate()
                process.wait()
    ceiling = figures["bare Starlette app (ceiling)"]
    print(f"\n{args.requests} calls a figure, SQLite: instructions per call (server process, all threads)")
    for label, figure in figures.items():
        print(f"{label:56s} {figure:12,.0f}  {figure / ceiling:5.2f} x the ceiling")


if __name__ == "__main__":
    main()
