"""``iamd backup FILE`` and ``iamd restore FILE``: copy a SQLite store, and put a copy back.

The master key is not in the copy (it seals the secrets in it): keep ``master.key`` (or the
``IAMD_MASTER_KEY`` value) apart from the backups, and give the same key to the restored server.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from iamd.cli.settings_flags import add_settings_flags, settings_from
from iamd.store.backup import BackupError, backup, restore

_STORE_FLAGS = ("data_dir", "database_url")
_KEY_REMINDER = ("iamd: the master key is not in the backup: keep {key} apart from it; a restored server "
                 "needs the same key to open the secrets it holds")


def add_parser(subcommands) -> None:
    take = subcommands.add_parser("backup", help="copy the SQLite store to FILE, while iamd serves")
    take.add_argument("file", type=Path)
    add_settings_flags(take, _STORE_FLAGS)
    take.set_defaults(func=run_backup)
    put = subcommands.add_parser("restore", help="put a backup in place as the store (iamd stopped)")
    put.add_argument("file", type=Path)
    put.add_argument("--replace", action="store_true", help="overwrite an existing store")
    add_settings_flags(put, _STORE_FLAGS)
    put.set_defaults(func=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        backup(settings.effective_database_url, args.file)
    except BackupError as error:
        print(f"iamd backup: {error}", file=sys.stderr)
        return 1
    print(f"iamd: backed up the store to {args.file}")
    print(_KEY_REMINDER.format(key=settings.data_path / "master.key"), file=sys.stderr)
    return 0


def run_restore(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        restore(args.file, settings.effective_database_url, replace=args.replace)
    except BackupError as error:
        print(f"iamd restore: {error}", file=sys.stderr)
        return 1
    print(f"iamd: restored {args.file} as the store of {settings.data_path}")
    print(_KEY_REMINDER.format(key=settings.data_path / "master.key"), file=sys.stderr)
    return 0
