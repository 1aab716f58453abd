"""``iamd account create|list``: administer the server's accounts directly in the store."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

from iamd.cli.bootstrap import open_state
from iamd.cli.settings_flags import add_settings_flags, settings_from
from iamd.service import accounts

_STORE_FLAGS = ("data_dir", "database_url", "master_key")


def add_parser(subcommands) -> None:
    parser = subcommands.add_parser("account", help="create and list accounts")
    actions = parser.add_subparsers(dest="account_command", required=True)
    create = actions.add_parser("create", help="create an account and print its root access key once")
    create.add_argument("--id", dest="new_account_id", help="12 digits; random when omitted")
    add_settings_flags(create, _STORE_FLAGS)
    create.set_defaults(func=run_create)
    listing = actions.add_parser("list", help="list the accounts")
    add_settings_flags(listing, _STORE_FLAGS)
    listing.set_defaults(func=run_list)


def run_create(args: argparse.Namespace) -> int:
    state = open_state(settings_from(args), create_first_account=False)
    with state.store.transaction(write=True) as tx:
        created = accounts.create_account(tx, state.box, datetime.now(timezone.utc).replace(microsecond=0),
                                          account_id=args.new_account_id)
    print(f"account_id            = {created.account_id}")
    print(f"aws_access_key_id     = {created.root_access_key_id}")
    print(f"aws_secret_access_key = {created.root_secret_access_key}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    state = open_state(settings_from(args), create_first_account=False)
    with state.store.transaction(write=False) as tx:
        for row in accounts.list_accounts(tx):
            print(f"{row.id}\t{row.alias or '-'}\t{row.created_at.isoformat()}")
    return 0
