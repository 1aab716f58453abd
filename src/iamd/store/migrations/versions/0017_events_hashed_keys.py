"""events looked up by 8-byte hashes of (account, value): five BigInteger columns and their indexes in
place of the indexes on (account_id, string, event_ms); rows already stored get their hashes here

Why: an index led by the account id (the same in almost every row) and a string compares every key
field by field on every insert; one led by a distinct integer settles most comparisons at once. On
SQLite the events' indexes cost ~12k fewer instructions an event (issue #15 item 4).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 04:30:00.000000
"""
import hashlib

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# (new column, the column it hashes, its old index and that index's columns)
_HASHED = (
    ('username_hash', 'username', 'ix_events_account_username', ['account_id', 'username', 'event_ms']),
    ('event_name_hash', 'event_name', 'ix_events_account_name', ['account_id', 'event_name', 'event_ms']),
    ('resource_name_hash', 'resource_name', 'ix_events_account_resource', ['account_id', 'resource_name', 'event_ms']),
    ('principal_hash', 'principal_key', 'ix_events_account_principal', ['account_id', 'principal_key', 'event_ms']),
    ('access_key_hash', 'access_key_id', 'ix_events_access_key', ['access_key_id', 'event_ms']),
)
_BATCH = 5000


def _key(account_id, value):
    """audit/keys.py's value_key, copied: a migration must not change when the code does."""
    if value is None:
        return None
    digest = hashlib.blake2b(f"{account_id}\0{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def upgrade() -> None:
    for column, _source, _index, _columns in _HASHED:
        op.add_column('events', sa.Column(column, sa.BigInteger(), nullable=True))
    _fill_hashes()
    for column, _source, index, _columns in _HASHED:
        op.drop_index(index, table_name='events')
        op.create_index(f'ix_events_{column}', 'events', [column, 'event_ms'])


def _fill_hashes() -> None:
    """The rows stored before this revision, in batches of seq (never the whole table in memory)."""
    connection = op.get_bind()
    events = sa.table('events', sa.column('seq'), sa.column('account_id'),
                      *(sa.column(source) for _column, source, _index, _columns in _HASHED),
                      *(sa.column(column) for column, _source, _index, _columns in _HASHED))
    read = sa.select(events.c.seq, events.c.account_id,
                     *(events.c[source] for _column, source, _index, _columns in _HASHED))
    update = (events.update().where(events.c.seq == sa.bindparam('row_seq'))
              .values({column: sa.bindparam(f'new_{column}') for column, _source, _index, _columns in _HASHED}))
    after = None
    while True:
        query = read.order_by(events.c.seq).limit(_BATCH)
        if after is not None:
            query = query.where(events.c.seq > after)
        rows = connection.execute(query).all()
        if not rows:
            return
        connection.execute(update, [
            {'row_seq': row[0], **{f'new_{column}': _key(row[1], row[2 + place])
                                   for place, (column, _source, _index, _columns) in enumerate(_HASHED)}}
            for row in rows])
        after = rows[-1][0]


def downgrade() -> None:
    for column, _source, index, columns in _HASHED:
        op.drop_index(f'ix_events_{column}', table_name='events')
        op.create_index(index, 'events', columns)
    with op.batch_alter_table('events') as batch:
        for column, _source, _index, _columns in _HASHED:
            batch.drop_column(column)
