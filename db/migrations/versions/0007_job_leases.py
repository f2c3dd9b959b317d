"""job leases: every job and alert is claimed first, so several bot processes share one database

`job_leases` holds who runs a job now (per kind and integration, or per period of a platform-wide job) and until
when (services/jobs/leases.py). `outbox.claimed_by` / `lease_until` say which sender holds a `sending` row and
until when; after that another sender may take it over (services/outbox/store.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'job_leases',
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('subject', sa.String(length=64), nullable=False),
        sa.Column('holder', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.Integer(), nullable=False),
        sa.Column('again', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'subject'),
    )
    op.add_column('outbox', sa.Column('claimed_by', sa.String(length=64), nullable=True))
    op.add_column('outbox', sa.Column('lease_until', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('lease_until')
        batch.drop_column('claimed_by')
    op.drop_table('job_leases')
