"""``iamd``: serve the API, and administer accounts and policies offline."""

from __future__ import annotations

import argparse
import sys

from iamd.cli import collector


def build_parser() -> argparse.ArgumentParser:
    # Imported here, with the collector held off (main): these imports are most of a server's start.
    from iamd.cli import account, backup, coverage, events, serve, service

    parser = argparse.ArgumentParser(prog="iamd", description="An IAM and STS server.")
    subcommands = parser.add_subparsers(dest="command", required=True)
    serve.add_parser(subcommands)
    account.add_parser(subcommands)
    coverage.add_parser(subcommands)
    backup.add_parser(subcommands)
    events.add_parser(subcommands)
    service.add_parser(subcommands)
    try:
        from iamd.cli import policy
    except ImportError:  # the offline policy commands need only the engine; absent in a partial install
        pass
    else:
        policy.add_parser(subcommands)
    return parser


def main(argv: list[str] | None = None) -> int:
    with collector.held_off():
        args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
