"""the authorization API: the operator's own services' definitions

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 20:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_definitions',
    sa.Column('prefix', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_account_id', sa.String(length=12), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', name=op.f('pk_service_definitions')),
    sa.UniqueConstraint('id', name=op.f('uq_service_definitions_id'))
    )


def downgrade() -> None:
    op.drop_table('service_definitions')
