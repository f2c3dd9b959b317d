"""What /healthz and /metrics (bot/web.py, bot/metrics.py) read from the database: shared by every replica."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import MarketplaceIntegration, OutboxMessage, SyncRun

UNSENT = ("pending", "sending")


async def database_answers(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Raises when the database does not answer."""
    async with sessionmaker() as session:
        await session.execute(sa.text("SELECT 1"))


async def outbox_backlog(session: AsyncSession, now: float) -> tuple[dict[str, int], int]:
    """({status: rows} of the messages not yet sent, how many pending ones are due now)."""
    rows = await session.execute(sa.select(OutboxMessage.status, sa.func.count())
                                 .where(OutboxMessage.status.in_(UNSENT)).group_by(OutboxMessage.status))
    due = await session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                               .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= int(now)))
    return {status: count for status, count in rows}, due or 0


async def job_runs(session: AsyncSession) -> list[tuple[str, str, str, int]]:
    """(kind, marketplace, status, runs) over the recorded job runs."""
    rows = await session.execute(
        sa.select(SyncRun.kind, MarketplaceIntegration.marketplace, SyncRun.status, sa.func.count())
        .join(MarketplaceIntegration, MarketplaceIntegration.id == SyncRun.integration_id)
        .group_by(SyncRun.kind, MarketplaceIntegration.marketplace, SyncRun.status))
    return [(kind, str(getattr(marketplace, "value", marketplace)), status, count)
            for kind, marketplace, status, count in rows]
