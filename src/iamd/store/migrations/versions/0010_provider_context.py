"""OIDC and SAML providers: trusted identity propagation settings (context provider, IAM Identity Center instance)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 17:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


TABLES = ('oidc_providers', 'saml_providers')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('context_provider', sa.Text(), nullable=True))
            batch.add_column(sa.Column('identity_center_instance_arn', sa.String(length=1224), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('identity_center_instance_arn')
            batch.drop_column('context_provider')
