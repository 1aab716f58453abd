"""the audit trail: events, their extra resources, policy generation jobs

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-15 08:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('event_ms', sa.BigInteger(), nullable=False),
    sa.Column('event_source', sa.String(length=64), nullable=False),
    sa.Column('event_name', sa.String(length=128), nullable=False),
    sa.Column('username', sa.String(length=256), nullable=True),
    sa.Column('access_key_id', sa.String(length=128), nullable=True),
    sa.Column('read_only', sa.Boolean(), nullable=False),
    sa.Column('principal_key', sa.String(length=2048), nullable=True),
    sa.Column('error_code', sa.String(length=128), nullable=True),
    sa.Column('resource_type', sa.String(length=64), nullable=True),
    sa.Column('resource_name', sa.String(length=2048), nullable=True),
    sa.Column('record', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_events'))
    )
    op.create_index('ix_events_account_time', 'events', ['account_id', 'event_ms'])
    op.create_index('ix_events_account_username', 'events', ['account_id', 'username', 'event_ms'])
    op.create_index('ix_events_account_name', 'events', ['account_id', 'event_name', 'event_ms'])
    op.create_index('ix_events_account_resource', 'events', ['account_id', 'resource_name', 'event_ms'])
    op.create_index('ix_events_account_principal', 'events', ['account_id', 'principal_key', 'event_ms'])
    op.create_index('ix_events_access_key', 'events', ['access_key_id', 'event_ms'])
    op.create_table('event_resources',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('event_ms', sa.BigInteger(), nullable=False),
    sa.Column('resource_type', sa.String(length=64), nullable=False),
    sa.Column('resource_name', sa.String(length=2048), nullable=False),
    sa.PrimaryKeyConstraint('seq', 'position', name=op.f('pk_event_resources'))
    )
    op.create_index('ix_event_resources_name', 'event_resources', ['account_id', 'resource_name', 'event_ms'])
    op.create_index('ix_event_resources_type', 'event_resources', ['account_id', 'resource_type', 'event_ms'])
    op.create_table('policy_generations',
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('principal_arn', sa.String(length=2048), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_on', sa.DateTime(), nullable=False),
    sa.Column('completed_on', sa.DateTime(), nullable=True),
    sa.Column('start_time', sa.DateTime(), nullable=False),
    sa.Column('end_time', sa.DateTime(), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('client_token', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_policy_generations'))
    )
    op.create_index(op.f('ix_policy_generations_account_id'), 'policy_generations', ['account_id'])
    op.create_index('ix_policy_generations_token', 'policy_generations', ['account_id', 'client_token'])


def downgrade() -> None:
    op.drop_table('policy_generations')
    op.drop_table('event_resources')
    op.drop_table('events')
