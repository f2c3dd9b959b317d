"""analytics: order lines as rows, the marketplaces' finance figures, broadcasts, cost prices, stock-cover alerts,
partners' last activity

Order lines are filled from the orders' JSON `items` of orders stored before this revision, so reports cover the
history at once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""
import json
import uuid
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.add_column('products', sa.Column('cost_price', MONEY, nullable=True))
    op.add_column('products', sa.Column('cover_alerted_at', sa.Integer(), nullable=True))
    op.add_column('partners', sa.Column('last_seen_at', sa.Integer(), nullable=True))
    op.create_index('ix_partners_last_seen_at', 'partners', ['last_seen_at'])
    op.create_table(
        'order_lines',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('order_id', sa.String(36), sa.ForeignKey('orders.id', ondelete='CASCADE'), nullable=False),
        sa.Column('partner_id', sa.String(36), sa.ForeignKey('partners.id', ondelete='CASCADE'), nullable=False),
        sa.Column('marketplace', sa.String(16), nullable=False),
        sa.Column('sku', sa.Text()),
        sa.Column('name', sa.Text()),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('price', MONEY),
        sa.Column('currency', sa.String(3)),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('placed_at', sa.Integer(), nullable=False),
    )
    op.create_index('ix_order_lines_order_id', 'order_lines', ['order_id'])
    op.create_index('ix_order_lines_partner_placed', 'order_lines', ['partner_id', 'placed_at'])
    op.create_table(
        'finance_entries',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('integration_id', sa.String(36), sa.ForeignKey('marketplace_integrations.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('partner_id', sa.String(36), sa.ForeignKey('partners.id', ondelete='CASCADE'), nullable=False),
        sa.Column('marketplace', sa.String(16), nullable=False),
        sa.Column('day', sa.String(10), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('key', sa.Text(), nullable=False),
        sa.Column('sku', sa.Text()),
        sa.Column('order_external_id', sa.Text()),
        sa.Column('quantity', sa.Integer()),
        sa.UniqueConstraint('integration_id', 'key', name='uq_finance_key'),
    )
    op.create_index('ix_finance_partner_day', 'finance_entries', ['partner_id', 'day'])
    op.create_table(
        'broadcasts',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('admin_telegram_id', sa.BigInteger(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('audience', sa.Text(), nullable=False),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.Integer(), nullable=False),
        sa.Column('reported_at', sa.Integer()),
    )
    _fill_order_lines()


def _fill_order_lines() -> None:
    bind = op.get_bind()
    orders = bind.execute(sa.text(
        "SELECT o.id, o.partner_id, i.marketplace, o.items, o.currency, o.state, o.placed_at "
        "FROM orders o JOIN marketplace_integrations i ON i.id = o.integration_id")).fetchall()
    lines = sa.table('order_lines', *(sa.column(c) for c in (
        'id', 'order_id', 'partner_id', 'marketplace', 'sku', 'name', 'quantity', 'price', 'currency', 'state',
        'placed_at')))
    rows = []
    for order_id, partner_id, marketplace, items, currency, state, placed_at in orders:
        try:
            parsed = json.loads(items or "[]")
        except ValueError:
            parsed = []
        for item in parsed if isinstance(parsed, list) else []:
            if not isinstance(item, dict):
                continue
            rows.append({'id': str(uuid.uuid4()), 'order_id': order_id, 'partner_id': partner_id,
                         'marketplace': marketplace, 'sku': item.get('sku'), 'name': item.get('name'),
                         'quantity': int(item.get('quantity') or 0), 'price': _money(item.get('price')),
                         'currency': currency, 'state': state, 'placed_at': placed_at})
    if rows:
        op.bulk_insert(lines, rows)


def _money(value):
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def downgrade() -> None:
    op.drop_table('broadcasts')
    op.drop_index('ix_finance_partner_day', 'finance_entries')
    op.drop_table('finance_entries')
    op.drop_index('ix_order_lines_partner_placed', 'order_lines')
    op.drop_index('ix_order_lines_order_id', 'order_lines')
    op.drop_table('order_lines')
    op.drop_index('ix_partners_last_seen_at', 'partners')
    op.drop_column('partners', 'last_seen_at')
    op.drop_column('products', 'cover_alerted_at')
    op.drop_column('products', 'cost_price')
