"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('at', sa.Integer(), nullable=False),
    sa.Column('actor_telegram_id', sa.BigInteger(), nullable=True),
    sa.Column('partner_id', sa.String(length=36), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('details', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_partner_id'), ['partner_id'], unique=False)

    op.create_table('invites',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Integer(), nullable=True),
    sa.Column('max_uses', sa.Integer(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('revoked', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('marketplace_api_configs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('marketplace', sa.String(length=16), nullable=False),
    sa.Column('api_endpoint', sa.Text(), nullable=False),
    sa.Column('auth_type', sa.String(length=16), nullable=False),
    sa.Column('rate_limit', sa.Integer(), nullable=True),
    sa.Column('documentation', sa.Text(), nullable=True),
    sa.Column('created_at', sa.Integer(), nullable=False),
    sa.Column('is_override', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('marketplace')
    )
    op.create_table('partners',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('telegram_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('username', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('timezone', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('notification_prefs', sa.Text(), nullable=True),
    sa.Column('invite_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['invite_id'], ['invites.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('telegram_id')
    )
    op.create_table('marketplace_integrations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('partner_id', sa.String(length=36), nullable=False),
    sa.Column('marketplace', sa.String(length=16), nullable=False),
    sa.Column('api_key', sa.Text(), nullable=True),
    sa.Column('api_secret', sa.Text(), nullable=True),
    sa.Column('seller_id', sa.Text(), nullable=True),
    sa.Column('active', sa.Integer(), nullable=False),
    sa.Column('last_sync_at', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('shop_name', sa.Text(), nullable=True),
    sa.Column('account_name', sa.Text(), nullable=True),
    sa.Column('key_hint', sa.String(length=8), nullable=True),
    sa.Column('business_id', sa.Text(), nullable=True),
    sa.Column('warehouse_ids', sa.Text(), nullable=True),
    sa.Column('token_type', sa.String(length=16), nullable=True),
    sa.Column('token_expires_at', sa.Integer(), nullable=True),
    sa.Column('last_check_at', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=32), nullable=True),
    sa.Column('last_error_detail', sa.Text(), nullable=True),
    sa.Column('failure_streak', sa.Integer(), nullable=False),
    sa.Column('discovered', sa.Text(), nullable=True),
    sa.Column('settings', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('partner_id', 'marketplace', 'seller_id', name='uq_integration_shop')
    )
    with op.batch_alter_table('marketplace_integrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketplace_integrations_partner_id'), ['partner_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('marketplace_integrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketplace_integrations_partner_id'))

    op.drop_table('marketplace_integrations')
    op.drop_table('partners')
    op.drop_table('marketplace_api_configs')
    op.drop_table('invites')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_partner_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
