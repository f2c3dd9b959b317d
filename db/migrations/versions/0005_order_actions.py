"""orders: the actions the marketplace allows now, and a claim on an action being sent

`actions` (JSON list of connectors.base.OrderAction values) is what the order's connector said the seller may do
in the order's current status; the card shows those buttons. Orders stored before it get what the card offered
then: by our state (new: confirm, ship, cancel; active: ship, cancel), without "ship" where the seller API has no
such call (Uzum, Ozon). `action_started_at` claims an action on its way to the marketplace, so a double tap — on
any replica — sends it once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('orders', sa.Column('actions', sa.Text(), nullable=True))
    op.add_column('orders', sa.Column('action_started_at', sa.Integer(), nullable=True))
    op.execute("""
        UPDATE orders SET actions = CASE
            WHEN state = 'new' AND integration_id IN (
                SELECT id FROM marketplace_integrations WHERE marketplace IN ('uzum', 'ozon'))
                THEN '["cancel", "confirm"]'
            WHEN state = 'new' THEN '["cancel", "confirm", "ship"]'
            WHEN state = 'active' AND integration_id IN (
                SELECT id FROM marketplace_integrations WHERE marketplace IN ('uzum', 'ozon'))
                THEN '["cancel"]'
            WHEN state = 'active' THEN '["cancel", "ship"]'
            ELSE '[]' END
    """)


def downgrade() -> None:
    op.drop_column('orders', 'action_started_at')
    op.drop_column('orders', 'actions')
