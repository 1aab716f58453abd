"""service last accessed reports and the STS token preference

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 08:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('last_accessed_jobs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('granularity', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_last_accessed_jobs_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_last_accessed_jobs'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('global_endpoint_token_version', sa.Integer(), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('global_endpoint_token_version')

    op.drop_table('last_accessed_jobs')
