"""Each integration's recurring jobs and when they run next. The timers live in this table, not in APScheduler's
memory: a restart resumes exactly where the schedule was."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import RUNNABLE, IntegrationStatus, MarketplaceIntegration, Schedule, now
from services.jobs.types import JobKind

# Defaults: orders every 5 minutes, the catalog and the finance report daily, stock reconciliation every 15 minutes.
DEFAULT_INTERVALS = {JobKind.ORDERS: 300, JobKind.CATALOG: 86400, JobKind.RECONCILE: 900, JobKind.FINANCE: 86400}
SCHEDULED = tuple(DEFAULT_INTERVALS)
# The partner may choose these order-poll intervals in the bot.
ORDER_INTERVALS = (60, 300, 900, 3600)
# A new integration: its first (baseline) order poll soon, its finance backfill right after; the others on their
# own rhythm.
FIRST_RUN_DELAY = {JobKind.ORDERS: 0, JobKind.CATALOG: 3600, JobKind.RECONCILE: 900, JobKind.FINANCE: 60}
# A failed run is tried again soon: after this many seconds, doubling with each failure in a row, never later than
# its ordinary interval.
RETRY_FIRST = 30


def retry_delay(interval: int, failure_streak: int) -> int:
    return min(interval, RETRY_FIRST * 2 ** max(0, failure_streak - 1))


async def get_or_create(session: AsyncSession, integration_id: str, kind: str) -> Schedule:
    schedule = await session.get(Schedule, (integration_id, kind))
    if schedule is None:
        kind = JobKind(kind)
        schedule = Schedule(integration_id=integration_id, kind=kind.value, interval_seconds=DEFAULT_INTERVALS[kind],
                            next_run_at=now() + FIRST_RUN_DELAY[kind])
        session.add(schedule)
        await session.flush()
    return schedule


async def ensure(session: AsyncSession, integration_id: str) -> None:
    for kind in SCHEDULED:
        await get_or_create(session, integration_id, kind)


async def ensure_all(session: AsyncSession) -> None:
    """At start-up: every saved integration has its schedule rows (integrations made before they existed)."""
    ids = await session.scalars(select(MarketplaceIntegration.id).where(MarketplaceIntegration.status != IntegrationStatus.DRAFT))
    for integration_id in list(ids):
        await ensure(session, integration_id)


async def due(session: AsyncSession, limit: int | None = None) -> list[tuple[str, str]]:
    """(integration id, kind) of the runs due now, the longest overdue first."""
    query = (select(Schedule.integration_id, Schedule.kind)
             .join(MarketplaceIntegration, MarketplaceIntegration.id == Schedule.integration_id)
             .where(Schedule.next_run_at <= now(), MarketplaceIntegration.status.in_(RUNNABLE))
             .order_by(Schedule.next_run_at))
    if limit is not None:
        query = query.limit(limit)
    return [(i, k) for i, k in await session.execute(query)]


async def finished(session: AsyncSession, integration_id: str, kind: str, *, ok: bool,
                   failure_streak: int = 0) -> None:
    """A run ended: the next one after the interval, or soon after a failure."""
    schedule = await get_or_create(session, integration_id, kind)
    schedule.last_run_at = now()
    if ok:
        schedule.last_ok_at = schedule.last_run_at
        schedule.next_run_at = now() + schedule.interval_seconds
    else:
        schedule.next_run_at = now() + retry_delay(schedule.interval_seconds, failure_streak)


async def run_now(session: AsyncSession, integration_id: str, kind: str) -> None:
    """"Retry now" and order actions: due at once (the runner's next tick starts it)."""
    schedule = await get_or_create(session, integration_id, kind)
    schedule.next_run_at = now()


async def set_interval(session: AsyncSession, integration_id: str, kind: str, seconds: int) -> None:
    schedule = await get_or_create(session, integration_id, kind)
    schedule.interval_seconds = seconds
    schedule.next_run_at = min(schedule.next_run_at, now() + seconds)


async def of(session: AsyncSession, integration_id: str) -> dict[str, Schedule]:
    rows = await session.scalars(select(Schedule).where(Schedule.integration_id == integration_id))
    return {row.kind: row for row in rows}
