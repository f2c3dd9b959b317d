"""Each integration's recurring jobs and when they run next. The timers live in this table, not in APScheduler's
memory: a restart resumes exactly where the schedule was."""
from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Integer, Update, bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import IntegrationStatus, MarketplaceIntegration, Schedule, now
from services.jobs.types import JobKind, Plan

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
# Doublings of the retry delay computed at most: far past any interval (30 s x 2^20 is a year), and small enough
# for an INTEGER column.
RETRY_DOUBLINGS_MAX = 20
TABLE = Schedule.__table__
_WITH_PLAN = (select(MarketplaceIntegration, Schedule.kind, Schedule.cursor, Schedule.baseline_done)
              .outerjoin(Schedule, (Schedule.integration_id == MarketplaceIntegration.id)
                         & (Schedule.kind == bindparam("plan_kind")))
              .where(MarketplaceIntegration.id == bindparam("plan_integration")))


def retry_delay(interval: int, failure_streak: int) -> int:
    return min(interval, _retry(failure_streak))


def _retry(failure_streak: int) -> int:
    return RETRY_FIRST * 2 ** min(RETRY_DOUBLINGS_MAX, max(0, failure_streak - 1))


async def integration_with_plan(session: AsyncSession, integration_id: str,
                                kind: str) -> tuple[MarketplaceIntegration | None, Plan | None]:
    """A run's start: the integration and, for a scheduled kind, its schedule row's cursor, in one query (None:
    no row yet; the job makes it)."""
    if kind not in SCHEDULED:
        return await session.get(MarketplaceIntegration, integration_id), None
    row = (await session.execute(_WITH_PLAN, {"plan_integration": integration_id, "plan_kind": str(kind)})).first()
    if row is None:
        return None, None
    integration, found, cursor, baseline_done = row
    return integration, (Plan(cursor, bool(baseline_done)) if found is not None else None)


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


async def finished(session: AsyncSession, integration_id: str, kind: str, *, ok: bool,
                   failure_streak: int = 0, values: dict[str, Any] | None = None) -> None:
    """A run ended: the next one after the interval, or soon after a failure. `values`: the job's own columns of
    the row (the orders poll's cursor), written by the same UPDATE (one statement per run, no read first)."""
    statement = finished_statement(integration_id, kind, ok=ok, failure_streak=failure_streak, values=values)
    if (await session.execute(*statement)).rowcount == 0:
        await create_then(session, integration_id, kind, statement)


def finished_statement(integration_id: str, kind: str, *, ok: bool, failure_streak: int = 0,
                       values: dict[str, Any] | None = None) -> tuple[Update, dict[str, Any]]:
    """finished()'s UPDATE and its parameters, for the runner to send with the run's other last writes
    (leases.release_after); when it changed no row, create_then."""
    values = values or {}
    params = {"plan_integration": integration_id, "plan_kind": str(kind), "plan_stamp": now(),
              **{f"plan_{name}": value for name, value in values.items()}}
    if not ok:
        params["plan_retry"] = _retry(failure_streak)
    return _finished(ok, tuple(values)), params


@functools.lru_cache(maxsize=16)
def _finished(ok: bool, columns: tuple[str, ...]) -> Update:
    # Built once per shape, with bound parameters (see services/jobs/runs.py _START).
    stamp, interval = bindparam("plan_stamp", type_=Integer), TABLE.c.interval_seconds
    if ok:
        moved = {"last_run_at": stamp, "last_ok_at": stamp, "next_run_at": stamp + interval}
    else:
        retry = bindparam("plan_retry", type_=Integer)
        moved = {"last_run_at": stamp, "next_run_at": stamp + case((interval < retry, interval), else_=retry)}
    return (update(TABLE).where(TABLE.c.integration_id == bindparam("plan_integration"),
                                TABLE.c.kind == bindparam("plan_kind"))
            .values(**moved, **{name: bindparam(f"plan_{name}") for name in columns}))


async def create_then(session: AsyncSession, integration_id: str, kind: str,
                      statement: tuple[Update, dict[str, Any]]) -> None:
    """The schedule row was missing (an integration older than schedules): made, then `statement` again."""
    await get_or_create(session, integration_id, kind)
    await session.execute(*statement)


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
