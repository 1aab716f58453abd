"""saml_assertions_seen: SAML assertion IDs redeemed by AssumeRoleWithSAML, refused when replayed

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('saml_assertions_seen',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_saml_assertions_seen'))
    )
    op.create_index(op.f('ix_saml_assertions_seen_expires_at'), 'saml_assertions_seen', ['expires_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_saml_assertions_seen_expires_at'), table_name='saml_assertions_seen')
    op.drop_table('saml_assertions_seen')
