"""``iamd serve``: start the API server."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from iamd.cli.bootstrap import open_state
from iamd.cli.settings_flags import add_settings_flags, settings_from
from iamd.service.runtime import new_environment
from iamd.web.app import create_app
from iamd.web.limits import timed_protocol


def add_parser(subcommands) -> None:
    parser = subcommands.add_parser("serve", help="start the IAM and STS API server")
    add_settings_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    state = open_state(settings)
    endpoint = f"http://{settings.host}:{settings.port}"
    print(f"iamd: serving IAM and STS at {endpoint} (database {state.store.engine.url.render_as_string()})")
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
    env = new_environment(state.box)
    app = create_app(state.store, env, read_timeout=settings.read_timeout)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False,
                http=timed_protocol(settings.read_timeout), timeout_keep_alive=settings.timeout_keep_alive)
    return 0
