"""console sessions and sign-in failure counts, shared by every server process

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 08:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('console_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=True),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('user_name', sa.String(length=64), server_default='', nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('mfa_serial', sa.String(length=256), server_default='', nullable=False),
    sa.Column('mfa_at', sa.DateTime(), nullable=True),
    sa.Column('reset_reason', sa.String(length=16), server_default='', nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_console_sessions'))
    )
    op.create_index(op.f('ix_console_sessions_expires_at'), 'console_sessions', ['expires_at'], unique=False)

    op.create_table('console_signin_failures',
    sa.Column('account_key', sa.String(length=64), nullable=False),
    sa.Column('user_key', sa.String(length=128), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('not_before', sa.DateTime(), nullable=True),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('account_key', 'user_key', name=op.f('pk_console_signin_failures'))
    )
    op.create_index(op.f('ix_console_signin_failures_updated_at'), 'console_signin_failures', ['updated_at'],
                    unique=False)


def downgrade() -> None:

    op.drop_index(op.f('ix_console_signin_failures_updated_at'), table_name='console_signin_failures')
    op.drop_table('console_signin_failures')
    op.drop_index(op.f('ix_console_sessions_expires_at'), table_name='console_sessions')
    op.drop_table('console_sessions')
