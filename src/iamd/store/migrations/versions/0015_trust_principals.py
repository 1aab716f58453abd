"""roles.trust_principals: a trust policy's user and role principals pinned to their unique ids

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25 20:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('roles') as batch:
        batch.add_column(sa.Column('trust_principals', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('roles') as batch:
        batch.drop_column('trust_principals')
