"""The finance job: each marketplace's own money figures (sales, returns, commission, logistics, storage, payout —
connectors.base.FinanceEntry) copied into `finance_entries`, so reports read our database and never wait on a
marketplace.

The first run of an integration backfills BACKFILL_DAYS; later runs (daily, and on demand from the Analytics
screen) read from REVISE_DAYS before the last day read, because marketplaces book late and correct their reports
for a few days. A line read again (same marketplace key) replaces its earlier reading, so nothing is doubled.
The connector keeps each API's limits (Wildberries' finance reports allow one request a minute).
"""
from __future__ import annotations

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
_COLUMNS = ("day", "kind", "amount", "currency", "sku", "order_external_id", "quantity")


@dataclass
class FinanceReport:
    integration_id: str
    since: str = ""
    until: str = ""
    read: int = 0
    added: int = 0
    changed: int = 0

    def counts(self) -> dict:
        return {"since": self.since, "until": self.until, "read": self.read, "added": self.added,
                "changed": self.changed}


def period_to_read(cursor: str | None, today: date) -> tuple[date, date]:
    """From the day after BACKFILL_DAYS ago on a first run, else REVISE_DAYS before the last day read."""
    try:
        last = date.fromisoformat(cursor) if cursor else None
    except ValueError:
        last = None
    if last is None:
        return today - timedelta(days=BACKFILL_DAYS - 1), today
    return min(last, today) - timedelta(days=REVISE_DAYS), today


async def fetch(ctx: JobContext) -> JobResult:
    async with ctx.platform.sessionmaker() as session:
        plan = await schedule.get_or_create(session, ctx.integration_id, JobKind.FINANCE)
        cursor = plan.cursor
        await session.commit()
    today = datetime.fromtimestamp(ctx.started_at, timezone.utc).date()
    since, until = period_to_read(cursor, today)
    entries = await ctx.client.finance(since, until)
    report = FinanceReport(ctx.integration_id, since.isoformat(), until.isoformat(), read=len(entries))

    async def store(session: AsyncSession, integration: MarketplaceIntegration) -> None:
        report.added, report.changed = await save(session, integration, entries)
        plan = await schedule.get_or_create(session, integration.id, JobKind.FINANCE)
        plan.cursor = until.isoformat()

    return JobResult(report=report, finish=store)


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
