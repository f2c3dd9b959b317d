"""The finance job: each marketplace's own money figures (sales, returns, commission, logistics, storage, payout —
connectors.base.FinanceEntry) copied into `finance_entries`, so reports read our database and never wait on a
marketplace.

The first run of an integration backfills BACKFILL_DAYS; later runs (daily, and on demand from the Analytics
screen) read from REVISE_DAYS before the last day read, because marketplaces book late and correct their reports
for a few days. A line read again (same marketplace key) replaces its earlier reading, so nothing is doubled.

The period is read WINDOW_DAYS at a time, oldest first, each window stored with the cursor in its own transaction:
the connector keeps each API's limits by waiting, and some are tight (Wildberries' finance reports: one request a
minute, a Base token two a day). A window that would wait longer than WINDOW_WAIT is left for the next run, and
what was read stays read: a Base token's 90-day backfill takes a few days instead of blocking a job slot.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import FinanceEntry
from db.bulk import insert_rows, update_rows
from db.models import FinanceRecord, MarketplaceIntegration, new_ids
from services.jobs import schedule
from services.jobs.types import JobContext, JobKind, JobResult

BACKFILL_DAYS = 90
REVISE_DAYS = 3
WINDOW_DAYS = 30
WINDOW_WAIT = 300.0  # seconds one window may take (pacing waits included) before it is left for the next run
_COLUMNS = ("day", "kind", "amount", "currency", "sku", "order_external_id", "quantity")


@dataclass
class FinanceReport:
    integration_id: str
    since: str = ""
    until: str = ""
    read: int = 0
    added: int = 0
    changed: int = 0
    left_for_later: str | None = None  # the first day not read this time (a marketplace limit)

    def counts(self) -> dict:
        return {"since": self.since, "until": self.until, "read": self.read, "added": self.added,
                "changed": self.changed, "left_for_later": self.left_for_later}


def period_to_read(cursor: str | None, today: date) -> tuple[date, date]:
    """From the day after BACKFILL_DAYS ago on a first run, else REVISE_DAYS before the last day read."""
    try:
        last = date.fromisoformat(cursor) if cursor else None
    except ValueError:
        last = None
    if last is None:
        return today - timedelta(days=BACKFILL_DAYS - 1), today
    return min(last, today) - timedelta(days=REVISE_DAYS), today


def windows(since: date, until: date) -> list[tuple[date, date]]:
    """since..until in WINDOW_DAYS pieces, oldest first."""
    pieces, start = [], since
    while start <= until:
        end = min(until, start + timedelta(days=WINDOW_DAYS - 1))
        pieces.append((start, end))
        start = end + timedelta(days=1)
    return pieces


async def fetch(ctx: JobContext) -> JobResult:
    async with ctx.platform.sessionmaker() as session:
        plan = await schedule.get_or_create(session, ctx.integration_id, JobKind.FINANCE)
        cursor = plan.cursor
        await session.commit()
    today = datetime.fromtimestamp(ctx.started_at, timezone.utc).date()
    since, until = period_to_read(cursor, today)
    report = FinanceReport(ctx.integration_id, since.isoformat(), until.isoformat())
    for first, last in windows(since, until):
        try:
            entries = await asyncio.wait_for(ctx.client.finance(first, last), WINDOW_WAIT)
        except asyncio.TimeoutError:
            report.left_for_later = first.isoformat()
            break
        report.read += len(entries)
        async with ctx.platform.sessionmaker() as session:
            integration = await session.get(MarketplaceIntegration, ctx.integration_id)
            if integration is None:  # deleted while it ran
                break
            added, changed = await save(session, integration, entries)
            report.added, report.changed = report.added + added, report.changed + changed
            plan = await schedule.get_or_create(session, ctx.integration_id, JobKind.FINANCE)
            if not plan.cursor or plan.cursor < last.isoformat():
                plan.cursor = last.isoformat()
            await session.commit()
    return JobResult(report=report, partial=report.left_for_later is not None)


def _values(entry: FinanceEntry) -> tuple:
    return (entry.day.isoformat(), entry.kind.value, entry.amount, str(entry.currency), entry.sku, entry.order_id,
            entry.quantity)


async def save(session: AsyncSession, integration: MarketplaceIntegration,
               entries: list[FinanceEntry]) -> tuple[int, int]:
    """Insert the lines not seen before, update those whose figures changed. Returns (added, changed)."""
    latest: dict[str, tuple] = {}
    for entry in entries:  # one reply may repeat a line (pages shifting under us): the last reading wins
        latest[entry.key] = _values(entry)
    if not latest:
        return 0, 0
    known: dict[str, tuple[str, tuple]] = {}
    keys = list(latest)
    for start in range(0, len(keys), 1000):
        rows = await session.execute(
            select(FinanceRecord.key, FinanceRecord.id, *(getattr(FinanceRecord, c) for c in _COLUMNS))
            .where(FinanceRecord.integration_id == integration.id, FinanceRecord.key.in_(keys[start:start + 1000])))
        for key, row_id, *values in rows:
            known[key] = (row_id, tuple(values))
    fresh = [key for key in keys if key not in known]
    changed = [(known[key][0], *latest[key]) for key in keys
               if key in known and known[key][1] != latest[key]]
    table = FinanceRecord.__table__
    if fresh:
        ids = new_ids(len(fresh))
        await insert_rows(session, table, ("id", "integration_id", "partner_id", "marketplace", "key", *_COLUMNS),
                          [(row_id, integration.id, integration.partner_id, integration.marketplace, key, *latest[key])
                           for row_id, key in zip(ids, fresh)])
    if changed:
        await update_rows(session, table, "id", _COLUMNS, changed)
    return len(fresh), len(changed)
