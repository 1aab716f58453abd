"""events by time alone: read-only calls' events are written in batches (audit/writer.py), so insertion
order (seq) no longer follows time; the export and the prune walk this index instead

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 20:00:00.000000
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_events_time', 'events', ['event_ms'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_events_time', table_name='events')
