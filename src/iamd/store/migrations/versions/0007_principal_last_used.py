"""last use of each service per principal (user, role, root)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 08:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:

    table = op.create_table('principal_last_used',
    sa.Column('principal_id', sa.String(length=32), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('principal_kind', sa.String(length=8), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_principal_last_used_account_id_accounts')),
    sa.PrimaryKeyConstraint('principal_id', 'service', name=op.f('pk_principal_last_used'))
    )

    # What was known before: each long-term access key's latest use, counted for its user (or root).
    keys = sa.table('access_keys', sa.column('account_id', sa.String), sa.column('user_id', sa.String),
                    sa.column('last_used_at', sa.DateTime), sa.column('last_used_service', sa.String),
                    sa.column('last_used_region', sa.String))
    latest: dict = {}
    for account_id, user_id, when, service, region in op.get_bind().execute(
            sa.select(keys.c.account_id, keys.c.user_id, keys.c.last_used_at, keys.c.last_used_service,
                      keys.c.last_used_region)
            .where(keys.c.last_used_at.isnot(None), keys.c.last_used_service.isnot(None))):
        principal_id = user_id or account_id
        known = latest.get((principal_id, service))
        if known is None or when > known['last_used_at']:
            latest[(principal_id, service)] = {
                'principal_id': principal_id, 'service': service, 'account_id': account_id,
                'principal_kind': 'user' if user_id else 'root', 'last_used_at': when, 'region': region or ''}
    if latest:
        op.bulk_insert(table, [latest[key] for key in sorted(latest)])


def downgrade() -> None:

    op.drop_table('principal_last_used')
