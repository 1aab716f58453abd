"""``iamd coverage``: print docs/coverage.md, the operations served, from the declarations."""

from __future__ import annotations

import argparse


def add_parser(subcommands) -> None:
    parser = subcommands.add_parser("coverage", help="print which IAM and STS operations are served (Markdown)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from iamd.web.coverage import coverage_markdown

    print(coverage_markdown())
    return 0
