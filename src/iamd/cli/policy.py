"""``iamd policy``: offline policy commands, using only the policy engine.

    iamd policy check FILE [--kind identity|managed|trust|resource]
        Print each problem as FILE:LINE:COLUMN: MESSAGE (AWS's MalformedPolicyDocument messages,
        first the one AWS would give). Exit 0 when valid, 1 when not. "identity" is an inline
        policy, which may omit Version (then read with the 2008-10-17 rules); "managed" must say
        Version 2012-10-17, as CreatePolicy demands.

    iamd policy simulate --policy FILE [--policy FILE ...] [--boundary FILE ...] [--session FILE ...]
                         [--resource-policy FILE ... | --trust-policy FILE] [--same-account]
                         --action iam:X --resource ARN [--context KEY=VALUE ...]
                         [--context-list KEY=VALUE ...]
                         [--principal-arn ARN] [--principal-account ID]
        Print the decision and the statements that decided it. A --context key given several times
        becomes a multivalued key; --context-list makes a multivalued key even of one value (as
        aws:TagKeys is), which only ForAllValues:/ForAnyValue: operators match. --trust-policy weighs
        a role's trust policy as STS does: it must name the caller even with --same-account.
        Boundaries are checked as managed policies (Version required), --policy and --session files
        as inline ones. Exit 0 when allowed, 1 when denied, 2 when a policy is invalid or the options
        conflict.

FILE may be ``-`` for standard input. ``add_parser(subparsers)`` registers the ``policy`` command;
each command sets ``func(args) -> exit code``.
"""

from __future__ import annotations

import argparse
import sys

from iamd.policy import PolicySet, Request, authorize, check_policy, parse_policy
from iamd.policy.checks import KINDS

__all__ = ["add_parser", "run_check", "run_simulate"]


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def run_check(args: argparse.Namespace) -> int:
    try:
        text = _read(args.file)
    except OSError as exc:
        print(f"{args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    problems = check_policy(text, args.kind)
    for problem in problems:
        print(f"{args.file}:{problem.line}:{problem.column}: {problem.message}")
    if not problems:
        print(f"{args.file}: valid {args.kind} policy")
    return 1 if problems else 0


def _load(paths: list, kind: str, policy_type: str) -> tuple | None:
    policies = []
    for path in paths:
        text = _read(path)
        problems = check_policy(text, kind)
        if problems:
            for problem in problems:
                print(f"{path}:{problem.line}:{problem.column}: {problem.message}", file=sys.stderr)
            return None
        policies.append(parse_policy(text, path, policy_type))
    return tuple(policies)


def _context(pairs: list, list_pairs: list) -> dict | None:
    context: dict = {}
    for pair, multivalued in [(p, False) for p in pairs] + [(p, True) for p in list_pairs]:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            print(f"--context {pair!r}: expected KEY=VALUE", file=sys.stderr)
            return None
        if key in context:
            previous = context[key]
            context[key] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            context[key] = [value] if multivalued else value
    return context


def run_simulate(args: argparse.Namespace) -> int:
    try:
        identity = _load(args.policy, "identity", "IAM Policy")
        boundary = _load(args.boundary, "managed", "IAM Policy") if args.boundary else ()
        session = _load(args.session, "identity", "IAM Policy") if args.session else ()
        resource = _load(args.resource_policy, "resource", "resource") if args.resource_policy else ()
        if args.trust_policy:
            if args.resource_policy:
                print("--trust-policy and --resource-policy: give one or the other", file=sys.stderr)
                return 2
            resource = _load([args.trust_policy], "trust", "Trust Policy")
    except OSError as exc:
        print(f"{exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    context = _context(args.context, args.context_list)
    if identity is None or boundary is None or session is None or resource is None or context is None:
        return 2
    policy_set = PolicySet(
        identity=identity,
        boundary=boundary if args.boundary else None,
        session=session if args.session else None,
        resource=resource,
        resource_alone_grants=args.same_account,
        trust=bool(args.trust_policy),
    )
    request = Request(args.action, args.resource, context, args.principal_arn, args.principal_account)
    decision = authorize(request, policy_set)
    line = decision.decision
    if decision.denied_by:
        line += f" (decided by the {decision.denied_by} policies)"
    print(line)
    for m in decision.matched:
        sid = m.sid or "(no Sid)"
        print(
            f"  {m.effect:<5} {m.policy_id}:{m.start[0]}:{m.start[1]}-{m.end[0]}:{m.end[1]} {sid} [{m.part}]"
        )
    if decision.missing_context_values:
        print("  missing context values: " + ", ".join(decision.missing_context_values))
    return 0 if decision.allowed else 1


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``policy`` (with ``check`` and ``simulate``) on an argparse subparsers object."""
    parser = subparsers.add_parser("policy", help="check and simulate IAM policies offline")
    commands = parser.add_subparsers(dest="policy_command", metavar="{check,simulate,generate}")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    check = commands.add_parser("check", help="report every problem in a policy document")
    check.add_argument("file", help="policy JSON file, or - for standard input")
    check.add_argument("--kind", choices=KINDS, default="identity")
    check.set_defaults(func=run_check)

    simulate = commands.add_parser("simulate", help="decide one request against policies")
    simulate.add_argument("--policy", action="append", required=True, metavar="FILE", help="identity-based policy")
    simulate.add_argument("--boundary", action="append", default=[], metavar="FILE", help="permissions boundary")
    simulate.add_argument("--session", action="append", default=[], metavar="FILE", help="session policy")
    simulate.add_argument("--resource-policy", action="append", default=[], metavar="FILE",
                          help="resource-based policy")
    simulate.add_argument("--trust-policy", metavar="FILE",
                          help="a role's trust policy: it must allow the caller, as STS requires")
    simulate.add_argument("--same-account", action="store_true",
                          help="the resource is in the caller's account: a resource-based policy (or a trust "
                               "policy) naming the caller grants on its own")
    simulate.add_argument("--action", required=True, help="e.g. iam:CreateUser")
    simulate.add_argument("--resource", required=True, help="resource ARN, or *")
    simulate.add_argument("--context", action="append", default=[], metavar="KEY=VALUE")
    simulate.add_argument("--context-list", action="append", default=[], metavar="KEY=VALUE",
                          help="a value of a multivalued key")
    simulate.add_argument("--principal-arn", default="", help="the caller's ARN (for Principal)")
    simulate.add_argument("--principal-account", default="", help="the caller's account id")
    simulate.set_defaults(func=run_simulate)

    try:  # generation reads the store's audit trail: absent where only the engine is installed
        from iamd.cli import policy_generate
    except ImportError:
        pass
    else:
        policy_generate.add_parser(commands)
    return parser
