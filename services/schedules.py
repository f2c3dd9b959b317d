"""Each integration's recurring jobs and when they run next. The timers live in this table, not in
APScheduler's memory: a restart resumes exactly where the schedule was."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MarketplaceIntegration, Schedule, now

# Defaults: orders every 5 minutes, the catalog daily, stock reconciliation every 15 minutes.
DEFAULT_INTERVALS = {"orders": 300, "catalog": 86400, "reconcile": 900}
# The partner may choose these order-poll intervals in the bot.
ORDER_INTERVALS = (60, 300, 900, 3600)
# A new integration: its first (baseline) order poll soon; the others on their own rhythm.
FIRST_RUN_DELAY = {"orders": 0, "catalog": 3600, "reconcile": 900}


async def get_or_create(session: AsyncSession, integration_id: str, kind: str) -> Schedule:
    schedule = await session.get(Schedule, (integration_id, kind))
    if schedule is None:
        schedule = Schedule(integration_id=integration_id, kind=kind, interval_seconds=DEFAULT_INTERVALS[kind],
                            next_run_at=now() + FIRST_RUN_DELAY[kind])
        session.add(schedule)
        await session.flush()
    return schedule


async def ensure(session: AsyncSession, integration_id: str) -> None:
    for kind in DEFAULT_INTERVALS:
        await get_or_create(session, integration_id, kind)


async def ensure_all(session: AsyncSession) -> None:
    """At start-up: every saved integration has its schedule rows (integrations made before they existed)."""
    ids = await session.scalars(select(MarketplaceIntegration.id).where(MarketplaceIntegration.status != "draft"))
    for integration_id in list(ids):
        await ensure(session, integration_id)


async def due(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(Schedule.integration_id, Schedule.kind)
        .join(MarketplaceIntegration, MarketplaceIntegration.id == Schedule.integration_id)
        .where(Schedule.next_run_at <= now(), MarketplaceIntegration.status.in_(["active", "error"]))
        .order_by(Schedule.next_run_at))
    return [(i, k) for i, k in rows]


async def finished(session: AsyncSession, integration_id: str, kind: str) -> None:
    schedule = await get_or_create(session, integration_id, kind)
    schedule.last_run_at = now()
    schedule.next_run_at = now() + schedule.interval_seconds


async def run_now(session: AsyncSession, integration_id: str, kind: str) -> None:
    """"Retry now" and webhooks: due at once (the scheduler's next tick starts it)."""
    schedule = await get_or_create(session, integration_id, kind)
    schedule.next_run_at = now()


async def set_interval(session: AsyncSession, integration_id: str, kind: str, seconds: int) -> None:
    schedule = await get_or_create(session, integration_id, kind)
    schedule.interval_seconds = seconds
    schedule.next_run_at = min(schedule.next_run_at, now() + seconds)


async def of(session: AsyncSession, integration_id: str) -> dict[str, Schedule]:
    rows = await session.scalars(select(Schedule).where(Schedule.integration_id == integration_id))
    return {row.kind: row for row in rows}
