"""events: three indexes fewer (time alone, event name, access key): each cost every event's insert
(~4-8k instructions a GetUser's event on SQLite). The export and the prune walk each account's time
index instead; LookupEvents by EventName or AccessKeyId reads a bounded stretch of the account's
events a page (audit/lookup.py), as it already did for EventSource and ReadOnly.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 10:00:00.000000
"""
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_events_time', table_name='events')
    op.drop_index('ix_events_account_name', table_name='events')
    op.drop_index('ix_events_access_key', table_name='events')


def downgrade() -> None:
    op.create_index('ix_events_access_key', 'events', ['access_key_id', 'event_ms'], unique=False)
    op.create_index('ix_events_account_name', 'events', ['account_id', 'event_name', 'event_ms'], unique=False)
    op.create_index('ix_events_time', 'events', ['event_ms'], unique=False)
