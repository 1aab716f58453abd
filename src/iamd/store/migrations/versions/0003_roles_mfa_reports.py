"""roles, instance profiles, MFA devices, password history, credential reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 06:12:53.748658
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('credential_reports',
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('generated_at', sa.DateTime(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_credential_reports_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_credential_reports'))
    )
    op.create_table('deletion_tasks',
    sa.Column('id', sa.String(length=512), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_deletion_tasks_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deletion_tasks'))
    )
    op.create_table('instance_profiles',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_key', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_instance_profiles_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instance_profiles')),
    sa.UniqueConstraint('account_id', 'name_key', name=op.f('uq_instance_profiles_account_id_name_key'))
    )
    op.create_table('roles',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_key', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('max_session_duration', sa.Integer(), nullable=False),
    sa.Column('assume_role_policy', sa.Text(), nullable=False),
    sa.Column('permissions_boundary', sa.String(length=2048), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_region', sa.String(length=64), nullable=True),
    sa.Column('service_linked', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_roles_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roles')),
    sa.UniqueConstraint('account_id', 'name_key', name=op.f('uq_roles_account_id_name_key'))
    )
    op.create_table('instance_profile_roles',
    sa.Column('profile_id', sa.String(length=32), nullable=False),
    sa.Column('role_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['instance_profiles.id'],
                            name=op.f('fk_instance_profile_roles_profile_id_instance_profiles')),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_instance_profile_roles_role_id_roles')),
    sa.PrimaryKeyConstraint('profile_id', 'role_id', name=op.f('pk_instance_profile_roles'))
    )
    with op.batch_alter_table('instance_profile_roles', schema=None) as batch_op:
        batch_op.create_index('ix_instance_profile_roles_role', ['role_id'], unique=False)

    op.create_table('mfa_devices',
    sa.Column('serial_number', sa.String(length=256), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=226), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('seed', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('enabled_at', sa.DateTime(), nullable=True),
    sa.Column('last_time_step', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_mfa_devices_account_id_accounts')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mfa_devices_user_id_users')),
    sa.PrimaryKeyConstraint('serial_number', name=op.f('pk_mfa_devices')),
    sa.UniqueConstraint('id', name=op.f('uq_mfa_devices_id'))
    )
    with op.batch_alter_table('mfa_devices', schema=None) as batch_op:
        batch_op.create_index('ix_mfa_devices_user', ['user_id'], unique=False)

    op.create_table('password_history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_history_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_history'))
    )
    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.create_index('ix_password_history_user', ['user_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.drop_index('ix_password_history_user')

    op.drop_table('password_history')
    with op.batch_alter_table('mfa_devices', schema=None) as batch_op:
        batch_op.drop_index('ix_mfa_devices_user')

    op.drop_table('mfa_devices')
    with op.batch_alter_table('instance_profile_roles', schema=None) as batch_op:
        batch_op.drop_index('ix_instance_profile_roles_role')

    op.drop_table('instance_profile_roles')
    op.drop_table('roles')
    op.drop_table('instance_profiles')
    op.drop_table('deletion_tasks')
    op.drop_table('credential_reports')

