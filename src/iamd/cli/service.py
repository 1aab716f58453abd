"""``iamd service register FILE | list | describe PREFIX | deregister PREFIX``: the operator's own services'
definitions (service/authorization_api/registry.py), straight in the store.

A definition registered here belongs to the operator: no account may replace or remove it through the
authorization API. A bad file is refused with every problem found, one per line; exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from iamd.cli.bootstrap import open_state
from iamd.cli.settings_flags import add_settings_flags, settings_from
from iamd.errors import AwsError
from iamd.service.authorization_api import registry

_STORE_FLAGS = ("data_dir", "database_url", "master_key")


def add_parser(subcommands) -> None:
    parser = subcommands.add_parser("service", help="register your own services' actions, resources and keys")
    actions = parser.add_subparsers(dest="service_command", required=True)
    register = actions.add_parser("register", help="register (or replace) a service definition from a JSON file")
    register.add_argument("file", help="the definition (docs/authorization-api.md); - for standard input")
    register.set_defaults(func=run_register)
    listing = actions.add_parser("list", help="list the registered services")
    listing.set_defaults(func=run_list)
    describe = actions.add_parser("describe", help="print a registered service's definition")
    describe.add_argument("prefix")
    describe.set_defaults(func=run_describe)
    deregister = actions.add_parser("deregister", help="remove a service definition")
    deregister.add_argument("prefix")
    deregister.set_defaults(func=run_deregister)
    for command in (register, listing, describe, deregister):
        add_settings_flags(command, _STORE_FLAGS)


def _read(path: str) -> object:
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    return json.loads(text)


def run_register(args: argparse.Namespace) -> int:
    try:
        definition = _read(args.file)
    except OSError as error:
        print(f"{args.file}: {error.strerror}", file=sys.stderr)
        return 1
    except ValueError as error:
        line, column = getattr(error, "lineno", "?"), getattr(error, "colno", "?")
        print(f"{args.file}:{line}:{column}: not valid JSON: {getattr(error, 'msg', error)}", file=sys.stderr)
        return 1
    found = registry.problems(definition)
    if found:
        for problem in found:
            print(f"{args.file}: {problem}", file=sys.stderr)
        return 1
    state = open_state(settings_from(args), create_first_account=False)
    with state.store.transaction(write=True) as tx:
        registered = registry.register(tx, definition, "", datetime.now(UTC))
    arn = registry.service_arn(registered.prefix)
    print(f"registered {registered.prefix}: {len(registered.actions)} actions ({arn})")
    return 0


def run_list(args: argparse.Namespace) -> int:
    state = open_state(settings_from(args), create_first_account=False)
    with state.store.transaction(write=False) as tx:
        for definition in registry.all_definitions(tx):
            owner = definition.owner_account_id or "operator"
            print(f"{definition.prefix}\t{len(definition.actions)} actions\t{owner}\t"
                  f"{definition.registered_at.isoformat()}")
    return 0


def run_describe(args: argparse.Namespace) -> int:
    state = open_state(settings_from(args), create_first_account=False)
    with state.store.transaction(write=False) as tx:
        found = registry.find(tx, args.prefix)
    if found is None:
        print(f"No service is registered with prefix {args.prefix}.", file=sys.stderr)
        return 1
    print(json.dumps(found.describe(), indent=2))
    return 0


def run_deregister(args: argparse.Namespace) -> int:
    state = open_state(settings_from(args), create_first_account=False)
    try:
        with state.store.transaction(write=True) as tx:
            registry.deregister(tx, args.prefix, "")
    except AwsError as error:
        print(error.message, file=sys.stderr)
        return 1
    print(f"deregistered {args.prefix}")
    return 0
