"""The newest revision read from the migration files is Alembic's own head, so that a start which
finds the schema current (and skips importing Alembic) is right to."""

from alembic.script import ScriptDirectory

from iamd.store import migrate
from iamd.store.database import Store


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
