"""credentials and identity providers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 06:49:41.882969
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('oidc_providers',
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('url', sa.String(length=255), nullable=False),
    sa.Column('client_ids', sa.Text(), nullable=False),
    sa.Column('thumbprints', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oidc_providers_account_id_accounts')),
    sa.PrimaryKeyConstraint('arn', name=op.f('pk_oidc_providers')),
    sa.UniqueConstraint('id', name=op.f('uq_oidc_providers_id'))
    )
    op.create_table('saml_providers',
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('metadata_document', sa.Text(), nullable=False),
    sa.Column('uuid', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('valid_until', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_saml_providers_account_id_accounts')),
    sa.PrimaryKeyConstraint('arn', name=op.f('pk_saml_providers')),
    sa.UniqueConstraint('id', name=op.f('uq_saml_providers_id'))
    )
    op.create_table('server_certificates',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_key', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('chain', sa.Text(), nullable=True),
    sa.Column('private_key', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_server_certificates_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_server_certificates')),
    sa.UniqueConstraint('account_id', 'name_key', name=op.f('uq_server_certificates_account_id_name_key'))
    )
    op.create_table('service_specific_credentials',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('service_name', sa.String(length=128), nullable=False),
    sa.Column('service_user_name', sa.String(length=200), nullable=False),
    sa.Column('password', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_service_specific_credentials_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_specific_credentials'))
    )
    with op.batch_alter_table('service_specific_credentials', schema=None) as batch_op:
        batch_op.create_index('ix_service_specific_credentials_user', ['user_id'], unique=False)

    op.create_table('signing_certificates',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_signing_certificates_account_id_accounts')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_signing_certificates_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_certificates'))
    )
    with op.batch_alter_table('signing_certificates', schema=None) as batch_op:
        batch_op.create_index('ix_signing_certificates_user', ['user_id'], unique=False)

    op.create_table('ssh_public_keys',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ssh_public_keys_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ssh_public_keys'))
    )
    with op.batch_alter_table('ssh_public_keys', schema=None) as batch_op:
        batch_op.create_index('ix_ssh_public_keys_user', ['user_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('ssh_public_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_ssh_public_keys_user')

    op.drop_table('ssh_public_keys')
    with op.batch_alter_table('signing_certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_signing_certificates_user')

    op.drop_table('signing_certificates')
    with op.batch_alter_table('service_specific_credentials', schema=None) as batch_op:
        batch_op.drop_index('ix_service_specific_credentials_user')

    op.drop_table('service_specific_credentials')
    op.drop_table('server_certificates')
    op.drop_table('saml_providers')
    op.drop_table('oidc_providers')

