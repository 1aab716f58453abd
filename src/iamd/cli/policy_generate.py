"""``iamd policy generate --principal ARN [--since DATE] [--until DATE]``: a least-privilege policy from
the principal's recorded calls (audit/generate.py), and the statements of its current policies that
allowed nothing in the window. Prints JSON: the policy, the notes, the suggested conditions, the
unused statements; ``--policy-only`` prints the policy alone, ready for create-policy."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

from iamd.audit.analyzer import generate_for
from iamd.cli.bootstrap import open_state
from iamd.cli.events import parse_date
from iamd.cli.settings_flags import add_settings_flags, settings_from
from iamd.errors import AwsError

_STORE_FLAGS = ("data_dir", "database_url", "master_key")


def add_parser(commands) -> None:
    generate = commands.add_parser("generate", help="a least-privilege policy from a principal's recorded calls")
    generate.add_argument("--principal", required=True, help="the ARN of an IAM user or role")
    generate.add_argument("--since", type=parse_date, help="start of the window (ISO 8601); default 90 days ago")
    generate.add_argument("--until", type=parse_date, help="end of the window (ISO 8601); default now")
    generate.add_argument("--policy-only", action="store_true", help="print the policy document alone")
    add_settings_flags(generate, _STORE_FLAGS)
    generate.set_defaults(func=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    state = open_state(settings_from(args), create_first_account=False)
    until = args.until or datetime.now(UTC) + timedelta(seconds=1)
    since = args.since or until - timedelta(days=90)
    account_id = args.principal.split(":")[4] if args.principal.count(":") >= 5 else ""
    try:
        with state.store.transaction(write=False) as tx:
            generated = generate_for(tx, account_id, args.principal, since, until)
    except AwsError as error:
        print(f"iamd: {error.message}")
        return 2
    print(json.dumps(generated.policy if args.policy_only else generated.as_json(), indent=2))
    return 0
