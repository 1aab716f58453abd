"""Copies of a SQLite store, taken while iamd serves: SQLite's online backup API.

The copy is consistent (one snapshot, whatever is written meanwhile) and holds every row, secrets
included, sealed as they are in the store: they open only with the same master key, which the copy
does not hold. PostgreSQL stores are copied with ``pg_dump`` (docs/operations.md).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


def sqlite_path(database_url: str) -> Path:
    parsed = make_url(database_url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise BackupError("iamd backup and restore copy SQLite stores; back PostgreSQL up with pg_dump "
                          "and restore it with pg_restore (see docs/operations.md)")
    return Path(parsed.database)


def backup(database_url: str, target: Path) -> None:
    source_path = sqlite_path(database_url)
    if not source_path.exists():
        raise BackupError(f"there is no store at {source_path}")
    if target.exists():
        raise BackupError(f"{target} exists; name a new file")
    _copy(source_path, target)


def restore(source: Path, database_url: str, *, replace: bool = False) -> None:
    target_path = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"there is no backup at {source}")
    if not _is_iamd_store(source):
        raise BackupError(f"{source} is not an iamd backup")
    if target_path.exists() and not replace:
        raise BackupError(f"a store exists at {target_path}; stop iamd and give --replace to overwrite it")
    target_path.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, target_path)


def _copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


def _is_iamd_store(path: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        connection.close()
    except sqlite3.DatabaseError:
        return False
    return {"alembic_version", "accounts", "access_keys"} <= tables
