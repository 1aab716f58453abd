"""gateway_state.cache_epoch: the gateway's upstream caches dropped in every process at once

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-25 23:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table('gateway_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('cache_epoch', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_state'))
    )
    op.bulk_insert(table, [{'id': 1, 'cache_epoch': 0}])


def downgrade() -> None:
    op.drop_table('gateway_state')
