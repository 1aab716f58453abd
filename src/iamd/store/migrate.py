"""Bring the database's schema to the newest migration, at start-up and in tests.

Alembic and what it imports (Mako, Pygments, every dialect's DDL) cost a fifth of a cold start, and
most starts find the schema current: the stored revision is read with one query first, and Alembic is
imported only when it differs from the newest revision of ``migrations/versions``.

An empty database (a fresh data directory) is not walked through every migration either: its newest
schema is made from ``schema.metadata`` in one step, with the rows the migrations insert, and stamped
with the newest revision, as Alembic stamps. ``tests/unit/test_migrate.py`` checks that this gives the
schema and rows the migrations give, table by table, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from sqlalchemy import inspect, text

from iamd.store import schema
from iamd.store.database import Store

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK = 0x1A4D  # advisory lock id: several processes starting at once migrate one at a time
# `revision = "0002"`, `down_revision: str | None = "0001"` (the annotated form of Alembic's newer template)
_REVISION = re.compile(r"""^(down_revision|revision)\s*(?::[^=\n]*)?=\s*['"]?(\w+)['"]?""", re.MULTILINE)
# The rows the migrations insert (op.bulk_insert), by table: a new schema made from the metadata needs them too.
FIRST_ROWS = {schema.gateway_state: [{"id": 1, "cache_epoch": 0}]}


def alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision: the one no migration names as its ``down_revision`` (read, not imported)."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION.findall(script.read_text()))
        revisions.add(found["revision"])
        parents.add(found.get("down_revision"))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads, not one: {sorted(heads)}")
    return heads.pop()


def stored_revision(connection) -> str | None:
    """The revision Alembic recorded, or None for a database it never touched."""
    if not connection.dialect.has_table(connection, "alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(store: Store) -> None:
    with store.engine.begin() as connection:
        if not store.is_sqlite:
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK})
        revision = stored_revision(connection)
        if revision == head_revision():
            return
        if revision is None and not inspect(connection).get_table_names():
            create_newest(connection)
            return
        from alembic import command

        command.upgrade(alembic_config(connection), "head")


def create_newest(connection) -> None:
    """Make the newest schema in an empty database at once: what running every migration makes."""
    if connection.dialect.name == "sqlite":
        # The store's SQLite connections leave BEGIN to iamd (database.py): one transaction, so that a
        # start stopped half way leaves an empty database, not a schema without its revision.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    schema.metadata.create_all(connection, checkfirst=False)
    for table, rows in FIRST_ROWS.items():
        connection.execute(table.insert(), rows)
    # Alembic's own table, as it creates it (alembic.runtime.migration), holding the newest revision.
    connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
    connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head_revision()})
