"""``iamd events export|prune``: the audit trail out of the store, for a SIEM; old events away.

    iamd events export [--account-id ID] [--since DATE] [--until DATE] [--output FILE] [--records]
        One CloudTrail record a line (JSON lines), oldest first; --records writes CloudTrail's log
        file shape instead: {"Records": [...]}. DATE: ISO 8601 (2026-11-01 or 2026-11-01T12:00:00Z).
    iamd events prune --older-than-days N
        Delete events older than N days now (the server does it in the background by its retention).
"""

from __future__ import annotations

import argparse
import heapq
import sys
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select

from iamd.audit.retention import prune
from iamd.audit.walk import trail_accounts
from iamd.cli.bootstrap import open_state
from iamd.cli.settings_flags import add_settings_flags, settings_from
from iamd.store.schema import events

_STORE_FLAGS = ("data_dir", "database_url", "master_key")
_BATCH = 1000


def add_parser(subcommands) -> None:
    parser = subcommands.add_parser("events", help="export or prune the audit trail (CloudTrail records)")
    actions = parser.add_subparsers(dest="events_command", required=True)
    export = actions.add_parser("export", help="write the events as JSON lines (or CloudTrail's file shape)")
    export.add_argument("--account-id", dest="export_account_id", help="only this account's events")
    export.add_argument("--since", type=parse_date, help="events at or after this time (ISO 8601)")
    export.add_argument("--until", type=parse_date, help="events before this time (ISO 8601)")
    export.add_argument("--output", "-o", default="-", help="file to write; - for standard output")
    export.add_argument("--records", action="store_true", help='write {"Records": [...]} as CloudTrail\'s files do')
    add_settings_flags(export, _STORE_FLAGS)
    export.set_defaults(func=run_export)
    pruning = actions.add_parser("prune", help="delete events older than N days")
    pruning.add_argument("--older-than-days", type=int, required=True)
    add_settings_flags(pruning, _STORE_FLAGS)
    pruning.set_defaults(func=run_prune)


def parse_date(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)  # Python 3.11 reads a trailing Z
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date: {text}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run_export(args: argparse.Namespace) -> int:
    state = open_state(settings_from(args), create_first_account=False)
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
    try:
        written = 0
        if args.records:
            out.write('{"Records":[')
        for text in _records(state.store, args):
            if args.records:
                out.write(("," if written else "") + "\n" + text)
            else:
                out.write(text + "\n")
            written += 1
        if args.records:
            out.write("\n]}\n")
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"iamd: {written} events exported", file=sys.stderr)
    return 0


def _records(store, args):
    """Every matching record, oldest first: each account's in batches on its time index (keyset on time
    and seq, never all at once), the accounts' streams merged in (time, seq) order. By time, not seq:
    read-only calls' events are written in batches, after later calls' changes."""
    if args.export_account_id:
        accounts = [args.export_account_id]
    else:
        with store.transaction(write=False) as tx:
            accounts = trail_accounts(tx)
    streams = [_account_records(store, account_id, args) for account_id in accounts]
    for _event_ms, _seq, record in heapq.merge(*streams):  # (time, seq) is unique: records never compared
        yield record


def _account_records(store, account_id: str, args):
    """(time, seq, record) of one account's matching events, oldest first."""
    after = None  # (event_ms, seq) of the last record read
    while True:
        query = select(events.c.event_ms, events.c.seq, events.c.record).where(events.c.account_id == account_id)
        if after is not None:
            query = query.where(or_(events.c.event_ms > after[0],
                                    and_(events.c.event_ms == after[0], events.c.seq > after[1])))
        if args.since:
            query = query.where(events.c.event_ms >= int(args.since.timestamp() * 1000))
        if args.until:
            query = query.where(events.c.event_ms < int(args.until.timestamp() * 1000))
        with store.transaction(write=False) as tx:
            rows = tx.execute(query.order_by(events.c.event_ms, events.c.seq).limit(_BATCH)).all()
        yield from map(tuple, rows)
        if len(rows) < _BATCH:
            return
        after = (rows[-1].event_ms, rows[-1].seq)


def run_prune(args: argparse.Namespace) -> int:
    state = open_state(settings_from(args), create_first_account=False)
    deleted = prune(state.store, args.older_than_days, datetime.now(UTC))
    print(f"iamd: {deleted} events deleted")
    return 0
