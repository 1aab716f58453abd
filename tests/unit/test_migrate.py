"""The newest revision read from the migration files is Alembic's own head, so that a start which
finds the schema current (and skips importing Alembic) is right to; and an empty database made at
once from the metadata (a fresh data directory) gets what running every migration gives."""

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from iamd.store import migrate
from iamd.store.database import Store
from tests.api.conftest import PG_URL
from tests.api.server import PostgresDatabase


def test_head_revision_is_alembics_head():
    scripts = ScriptDirectory(str(migrate.MIGRATIONS))
    assert migrate.head_revision() == scripts.get_current_head()


def test_a_current_schema_is_left_alone_and_a_new_one_is_made(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'iamd.db'}")
    with store.engine.connect() as connection:
        assert migrate.stored_revision(connection) is None
    migrate.upgrade(store)
    migrate.upgrade(store)  # already current: nothing to do
    with store.engine.connect() as connection:
        assert migrate.stored_revision(connection) == migrate.head_revision()
    store.dispose()


def _schema_and_rows(store: Store) -> dict:
    """Every table as the database describes it (columns, keys, indexes, constraints) and its rows."""
    with store.engine.connect() as connection:
        described = inspect(connection)
        tables = {}
        for name in sorted(described.get_table_names()):
            columns = [(c["name"], str(c["type"]), c["nullable"], c.get("default"))
                       for c in described.get_columns(name)]
            tables[name] = {
                "columns": columns,  # in order
                "primary key": described.get_pk_constraint(name),
                "foreign keys": sorted(map(repr, described.get_foreign_keys(name))),
                "indexes": sorted(map(repr, described.get_indexes(name))),
                "unique": sorted(map(repr, described.get_unique_constraints(name))),
                "checks": sorted(map(repr, described.get_check_constraints(name))),
                "rows": sorted(map(repr, connection.execute(text(f'SELECT * FROM "{name}"')).all())),
            }
        return tables


def _databases(tmp_path):
    """Two empty databases on each server the tests have: SQLite always, PostgreSQL when given."""
    yield Store.open(f"sqlite:///{tmp_path / 'migrated.db'}"), Store.open(f"sqlite:///{tmp_path / 'made.db'}")
    if PG_URL:
        migrated, made = PostgresDatabase(PG_URL), PostgresDatabase(PG_URL)
        try:
            yield Store.open(migrated.url), Store.open(made.url)
        finally:
            migrated.drop()
            made.drop()


def test_a_new_schema_made_at_once_is_the_one_every_migration_makes(tmp_path):
    for migrated, made in _databases(tmp_path):
        with migrated.engine.begin() as connection:
            command.upgrade(migrate.alembic_config(connection), "head")  # each migration in turn
        migrate.upgrade(made)  # an empty database: made from the metadata, then stamped
        try:
            assert _schema_and_rows(made) == _schema_and_rows(migrated)
            with made.engine.connect() as connection:
                assert migrate.stored_revision(connection) == migrate.head_revision()
        finally:
            migrated.dispose()
            made.dispose()


def test_a_database_holding_other_tables_is_left_to_alembic(tmp_path, monkeypatch):
    """Only an empty database is made at once; anything else goes through the migrations."""
    store = Store.open(f"sqlite:///{tmp_path / 'iamd.db'}")
    with store.engine.begin() as connection:
        connection.execute(text("CREATE TABLE someone_elses (id INTEGER)"))
    monkeypatch.setattr(migrate, "create_newest", lambda connection: pytest.fail("made at once"))
    migrate.upgrade(store)
    with store.engine.connect() as connection:
        assert migrate.stored_revision(connection) == migrate.head_revision()
    store.dispose()
