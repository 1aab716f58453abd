"""``iamd account create|list|set-root-password``: administer the server's accounts directly in the store.

``set-root-password`` reads the new root console password from standard input (one line; never from
the command line, where other users of the machine could read it) and stores only its argon2id hash.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime

from iamd.cli.bootstrap import open_state, set_root_password
from iamd.cli.settings_flags import add_settings_flags, settings_from
from iamd.errors import NoSuchEntity
from iamd.service.account import accounts

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
    root = actions.add_parser("set-root-password",
                              help="set the root user's console password, read from standard input")
    root.add_argument("--account-id", dest="target_account_id", required=True, help="the account's 12 digits")
    add_settings_flags(root, _STORE_FLAGS)
    root.set_defaults(func=run_set_root_password)


def run_create(args: argparse.Namespace) -> int:
    state = open_state(settings_from(args), create_first_account=False)
    with state.store.transaction(write=True) as tx:
        created = accounts.create_account(tx, state.box, datetime.now(UTC).replace(microsecond=0),
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


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("New root password: ")
        if getpass.getpass("Confirm: ") != first:
            raise SystemExit("iamd: the passwords do not match")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def run_set_root_password(args: argparse.Namespace) -> int:
    password = _read_password()
    if not password:
        raise SystemExit("iamd: no password on standard input")
    state = open_state(settings_from(args), create_first_account=False)
    try:
        with state.store.transaction(write=True) as tx:
            set_root_password(tx, args.target_account_id, password)
    except NoSuchEntity as error:
        raise SystemExit(f"iamd: {error.message}") from None
    print(f"iamd: the root password of account {args.target_account_id} is set")
    return 0
