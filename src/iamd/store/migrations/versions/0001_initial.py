"""initial schema: accounts, users, keys, groups, policies, login profiles

Revision ID: 0001
Revises:
Create Date: 2026-11-24 05:53:19.046139
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('accounts',
    sa.Column('id', sa.String(length=12), nullable=False),
    sa.Column('alias', sa.String(length=63), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('password_policy', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('alias', name=op.f('uq_accounts_alias'))
    )
    op.create_table('inline_policies',
    sa.Column('entity_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('entity_kind', sa.String(length=8), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('entity_id', 'name', name=op.f('pk_inline_policies'))
    )
    op.create_table('tags',
    sa.Column('resource_id', sa.String(length=128), nullable=False),
    sa.Column('key_match', sa.String(length=128), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('value', sa.String(length=256), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('resource_id', 'key_match', name=op.f('pk_tags'))
    )
    op.create_table('groups',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_key', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_groups_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('account_id', 'name_key', name=op.f('uq_groups_account_id_name_key'))
    )
    op.create_table('managed_policies',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_key', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('default_version_id', sa.String(length=16), nullable=False),
    sa.Column('next_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_managed_policies_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_managed_policies')),
    sa.UniqueConstraint('account_id', 'name_key', name=op.f('uq_managed_policies_account_id_name_key')),
    sa.UniqueConstraint('arn', name=op.f('uq_managed_policies_arn'))
    )
    op.create_table('policy_attachments',
    sa.Column('entity_id', sa.String(length=32), nullable=False),
    sa.Column('policy_arn', sa.String(length=2048), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('entity_kind', sa.String(length=8), nullable=False),
    sa.Column('attached_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_policy_attachments_account_id_accounts')),
    sa.PrimaryKeyConstraint('entity_id', 'policy_arn', name=op.f('pk_policy_attachments'))
    )
    with op.batch_alter_table('policy_attachments', schema=None) as batch_op:
        batch_op.create_index('ix_policy_attachments_policy', ['account_id', 'policy_arn'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_key', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('permissions_boundary', sa.String(length=2048), nullable=True),
    sa.Column('password_last_used', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_users_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('account_id', 'name_key', name=op.f('uq_users_account_id_name_key'))
    )
    op.create_table('access_keys',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('secret', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_service', sa.String(length=64), nullable=True),
    sa.Column('last_used_region', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_access_keys_account_id_accounts')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_access_keys_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_keys'))
    )
    with op.batch_alter_table('access_keys', schema=None) as batch_op:
        batch_op.create_index('ix_access_keys_user', ['user_id'], unique=False)

    op.create_table('group_members',
    sa.Column('group_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_members_group_id_groups')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_group_members_user_id_users')),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_group_members'))
    )
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index('ix_group_members_user', ['user_id'], unique=False)

    op.create_table('login_profiles',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(), nullable=False),
    sa.Column('password_reset_required', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_profiles_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_login_profiles'))
    )
    op.create_table('policy_versions',
    sa.Column('policy_id', sa.String(length=32), nullable=False),
    sa.Column('version_id', sa.String(length=16), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['managed_policies.id'],
                            name=op.f('fk_policy_versions_policy_id_managed_policies')),
    sa.PrimaryKeyConstraint('policy_id', 'version_id', name=op.f('pk_policy_versions'))
    )



def downgrade() -> None:

    op.drop_table('policy_versions')
    op.drop_table('login_profiles')
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_index('ix_group_members_user')

    op.drop_table('group_members')
    with op.batch_alter_table('access_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_access_keys_user')

    op.drop_table('access_keys')
    op.drop_table('users')
    with op.batch_alter_table('policy_attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_policy_attachments_policy')

    op.drop_table('policy_attachments')
    op.drop_table('managed_policies')
    op.drop_table('groups')
    op.drop_table('tags')
    op.drop_table('inline_policies')
    op.drop_table('accounts')

