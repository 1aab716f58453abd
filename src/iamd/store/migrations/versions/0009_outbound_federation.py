"""outbound web identity federation: issuers per account and their token signing keys

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 17:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('outbound_federation',
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('issuer_id', sa.String(length=36), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_outbound_federation_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_outbound_federation')),
    sa.UniqueConstraint('issuer_id', name=op.f('uq_outbound_federation_issuer_id'))
    )
    op.create_table('token_signing_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('algorithm', sa.String(length=8), nullable=False),
    sa.Column('private_key', sa.LargeBinary(), nullable=False),
    sa.Column('public_jwk', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_token_signing_keys_account_id_accounts')),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_token_signing_keys'))
    )
    op.create_index(op.f('ix_token_signing_keys_account_id'), 'token_signing_keys', ['account_id'], unique=False)


def downgrade() -> None:

    op.drop_index(op.f('ix_token_signing_keys_account_id'), table_name='token_signing_keys')
    op.drop_table('token_signing_keys')
    op.drop_table('outbound_federation')
