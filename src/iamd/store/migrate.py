"""Bring the database's schema to the newest migration, at start-up and in tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from iamd.store.database import Store

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK = 0x1A4D  # advisory lock id: several processes starting at once migrate one at a time


def alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(store: Store) -> None:
    with store.engine.begin() as connection:
        if not store.is_sqlite:
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK})
        command.upgrade(alembic_config(connection), "head")
