"""``iamd serve``: start the API server, in one process or several sharing the database.

The start-up work (master key, migrations, the first account and its one-time key printout) happens
here, once; then either this process serves, or uvicorn starts ``workers`` processes that each open
the already-migrated store (``iamd.web.worker``). Each process keeps its own caches; every change bumps
the account's change counter in the database, which every process reads with the caller's key, so a
revoked permission holds on the next request to any of them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from dataclasses import fields

import uvicorn

from iamd import logs
from iamd.cli import collector
from iamd.cli.bootstrap import State, open_state
from iamd.cli.settings_flags import add_settings_flags, settings_from
from iamd.config import Settings, env_name

# Used at first start only; worker processes never need them, so they are not passed on.
_FIRST_START_ONLY = ("root_access_key_id", "root_secret_access_key", "root_password")


def add_parser(subcommands) -> None:
    parser = subcommands.add_parser("serve", help="start the IAM and STS API server")
    add_settings_flags(parser)
    parser.add_argument("--upstream", dest="upstream_url", default=None, metavar="URL",
                        help="forward other AWS services' requests there once authorized (same as --upstream-url)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # The start-up work with the collector held off, and what it made (modules, the API model, compiled
    # statements) frozen out of its sight: a full collection (~60 ms, every few seconds under load, as
    # read-only events wait a second in memory) walks only what requests made (cli/collector.py).
    with collector.held_off():
        settings, state, options = _start_up(args)
        workers = settings.effective_workers
        app = None
        if workers == 1:
            # Imported here: with several workers, each imports the application itself (web/worker.py),
            # and the supervisor, which only opens the state and watches them, need not (a third of its start).
            from iamd.service.runtime import new_environment
            from iamd.web.app import create_app

            app = create_app(state.store, new_environment(state.box, settings), read_timeout=settings.read_timeout,
                             settings=settings)
    if app is not None:
        from iamd.web.limits import timed_protocol

        uvicorn.run(app, http=timed_protocol(settings.read_timeout), **options)
        return 0
    state.store.dispose()  # each worker opens its own connections
    _hand_settings_to_workers(settings)
    with tempfile.TemporaryDirectory(prefix="iamd-metrics-") as metrics_dir:
        # The metrics library's multi-process mode: each worker writes its samples here.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        # By name: a worker is a new process, which builds the protocol from the settings handed to it.
        uvicorn.run("iamd.web.worker:create_worker_app", factory=True, workers=workers,
                    http="iamd.web.worker_protocol:WorkerProtocol", **options)
    return 0


def _start_up(args: argparse.Namespace) -> tuple[Settings, State, dict]:
    """The settings, the opened state (master key, schema, first account) and uvicorn's options."""
    settings = settings_from(args)
    logs.configure(settings.log_level, settings.log_format, settings.access_log)
    state = open_state(settings)
    tls = _tls_files(settings)
    scheme = "https" if tls else "http"
    endpoint = f"{scheme}://{settings.host}:{settings.port}"
    workers = settings.effective_workers
    print(f"iamd: serving IAM and STS at {endpoint} (database {state.store.engine.url.render_as_string()}, "
          f"{workers} worker process{'es' if workers > 1 else ''})")
    if settings.upstream_url:
        print(f"iamd: every other AWS service's requests authorized, then forwarded to {settings.upstream_url}")
    if settings.self_signed:
        print(f"iamd: self-signed certificate {tls['ssl_certfile']}: give it to clients "
              f"(aws --ca-bundle, boto3 verify=, AWS_CA_BUNDLE)")
    _print_first_start(settings, state, endpoint)
    # ws="none": no WebSocket endpoint, so uvicorn need not import a WebSocket library at start.
    options = dict(host=settings.host, port=settings.port, log_level="warning", access_log=False, ws="none",
                   timeout_keep_alive=settings.timeout_keep_alive, **tls)
    return settings, state, options


def _tls_files(settings: Settings) -> dict:
    if settings.self_signed:
        from iamd.security.self_signed import ensure_certificate  # cryptography's x509: only for TLS

        cert, key = ensure_certificate(settings.data_path)
        return {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    if settings.tls_cert:
        return {"ssl_certfile": settings.tls_cert, "ssl_keyfile": settings.tls_key}
    return {}


def _hand_settings_to_workers(settings: Settings) -> None:
    """Workers read their settings from the environment: put the resolved ones (flags included) there."""
    for setting in fields(Settings):
        name = env_name(setting.name)
        if setting.name in _FIRST_START_ONLY:
            os.environ.pop(name, None)
            continue
        value = getattr(settings, setting.name)
        os.environ[name] = ("1" if value else "") if isinstance(value, bool) else str(value)


def _print_first_start(settings: Settings, state, endpoint: str) -> None:
    if state.new_account is not None:
        created = state.new_account
        print(f"iamd: created account {created.account_id}")
        if not settings.root_access_key_id:
            # Shown once, here; it is never logged and cannot be read back.
            print("iamd: the root user's access key (shown only now):")
            print(f"  aws_access_key_id     = {created.root_access_key_id}")
            print(f"  aws_secret_access_key = {created.root_secret_access_key}")
    print(f"Web console: {endpoint}/console/signin/<account alias or id>")
    if state.new_account is not None and not settings.root_password:
        print(f"  the root user's console password: echo '...' | iamd account set-root-password "
              f"--account-id {state.new_account.account_id}")
    print("Use it with the aws CLI:")
    print(f"  aws --endpoint-url {endpoint} iam list-users")
    print("and with boto3:")
    print(f"  boto3.client('iam', endpoint_url='{endpoint}', region_name='us-east-1')")
    print(f"  boto3.client('sts', endpoint_url='{endpoint}', region_name='us-east-1')", flush=True)
