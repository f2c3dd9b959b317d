"""The daily summary: at the partner's time (default 09:00 in their time zone), yesterday's figures against the day
before, the last days as a chart, and what needs attention — products running out (services.analytics stock cover
against the partner's horizon), integrations failing, keys expiring within a week. Weekly instead: on Mondays, about
the 7 days before, against the week before. Off: nothing.

It goes through the outbox (AlertKind.SUMMARY; rendered and drawn in the partner's language when sent, quiet hours
held by the sender), with the dedupe key `summary:{partner}:{their local date}`: one per partner per day whatever
runs it — every minute's timer, several replicas, a restart. A partner with no integration gets none.

Made for many partners at once: the partners due are found with one query (their settings are read in Python),
those already served today with one more per thousand keys, and the figures of up to BATCH partners of one time zone
come from a handful of grouped queries, never a query per partner.
"""
from __future__ import annotations

import logging
import math
import time as clock
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import MoneyKind, OrderState
from db.models import FinanceRecord, IntegrationStatus, MarketplaceIntegration, OrderLine, OutboxMessage, Partner, Product
from services import analytics
from services.analytics import COVER_WINDOWS, Money, Period, Totals
from services.notifications import FAILURE_ALERT_AFTER
from services.outbox.policy import SummaryMode, prefs_of, zone
from services.outbox.records import AlertKind
from services.outbox.store import enqueue_many

log = logging.getLogger(__name__)

# A summary missed at its minute (the bot was down, the timer late) still goes this long after it, the same day.
CATCH_UP_SECONDS = 3 * 3600
CHART_DAYS = 7  # the chart shows the last week, whichever the mode
BATCH = 500  # partners whose figures are read together
KEYS_AT_ONCE = 1000
ATTENTION_SHOWN = 5  # per kind of attention item in the payload (the rest counted)
EXPIRY_WARN_DAYS = 7

_SOLD = OrderLine.state != OrderState.CANCELLED.value
_REVENUE = func.coalesce(OrderLine.price, 0) * OrderLine.quantity


@dataclass(frozen=True)
class Due:
    partner_id: str
    chat_id: int
    timezone: str
    mode: SummaryMode
    period: Period  # yesterday, or the 7 days before this Monday
    local_day: date  # the partner's today: the summary's day (its dedupe key)
    runs_out_days: int

    @property
    def key(self) -> str:
        return dedupe_key(self.partner_id, self.local_day)


def dedupe_key(partner_id: str, local_day: date) -> str:
    return f"summary:{partner_id}:{local_day.isoformat()}"


def due_now(mode: SummaryMode, summary_at: int, tz: ZoneInfo, at: float) -> tuple[Period, date] | None:
    """(period, the partner's today) if a summary is due at `at`: from the partner's minute, for CATCH_UP_SECONDS,
    on any day (daily) or on Mondays (weekly)."""
    if mode == SummaryMode.OFF:
        return None
    local = datetime.fromtimestamp(at, tz)
    today = local.date()
    if mode == SummaryMode.WEEKLY and today.weekday() != 0:
        return None
    start = (datetime.combine(today, time(), tz) + timedelta(minutes=summary_at)).timestamp()
    if not start <= at < start + CATCH_UP_SECONDS:
        return None
    yesterday = today - timedelta(days=1)
    first = yesterday - timedelta(days=6) if mode == SummaryMode.WEEKLY else yesterday
    return Period(first, yesterday), today


async def find_due(session: AsyncSession, at: float) -> list[Due]:
    """Reachable partners with an integration whose summary is due now and not queued yet today."""
    has_integration = exists().where(MarketplaceIntegration.partner_id == Partner.id,
                                     MarketplaceIntegration.status != IntegrationStatus.DRAFT)
    rows = await session.execute(select(Partner.id, Partner.telegram_id, Partner.timezone, Partner.notification_prefs)
                                 .where(Partner.status == "active", has_integration))
    due = []
    for partner_id, chat_id, tz_name, prefs_json in rows:
        prefs = prefs_of(_Prefs(prefs_json))
        when = due_now(prefs.summary, prefs.summary_at, zone(tz_name), at)
        if when is not None:
            due.append(Due(partner_id, chat_id, tz_name, prefs.summary, when[0], when[1], prefs.runs_out_days))
    queued = set()
    for start in range(0, len(due), KEYS_AT_ONCE):
        keys = [d.key for d in due[start:start + KEYS_AT_ONCE]]
        queued |= set(await session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))))
    return [d for d in due if d.key not in queued]


@dataclass(frozen=True)
class _Prefs:
    notification_prefs: str | None


async def queue_due(sessionmaker: async_sessionmaker[AsyncSession], at: float | None = None) -> int:
    """Queue every summary due at `at` (now); returns how many were queued. One transaction per batch."""
    at = clock.time() if at is None else at
    async with sessionmaker() as session:
        due = await find_due(session, at)
    groups: dict[tuple[str, Period], list[Due]] = defaultdict(list)
    for item in due:
        groups[(item.timezone, item.period)].append(item)
    queued = 0
    for (tz_name, period), members in groups.items():
        for start in range(0, len(members), BATCH):
            batch = members[start:start + BATCH]
            async with sessionmaker() as session:
                payloads = await payloads_for(session, batch, zone(tz_name), period, at)
                queued += await enqueue_many(session, [(d.partner_id, d.chat_id, AlertKind.SUMMARY.value, d.key,
                                                        payloads[d.partner_id]) for d in batch])
                await session.commit()
    if queued:
        log.info("summaries: %d queued", queued)
    return queued


async def run(platform) -> int:
    """The minute's job (services.jobs.GlobalJob.SUMMARIES)."""
    return await queue_due(platform.sessionmaker)


# ------------------------------------------------------------------------------------------------- figures

def _ids(column, partner_ids: list[str]):
    return column.in_(partner_ids)


async def totals_many(session: AsyncSession, partner_ids: list[str], period: Period, tz: ZoneInfo
                      ) -> dict[str, Totals]:
    """services.analytics.totals for many partners of one time zone at once."""
    start, end = period.bounds(tz)
    where = and_(_ids(OrderLine.partner_id, partner_ids), OrderLine.placed_at >= start, OrderLine.placed_at < end)
    result = {pid: Totals() for pid in partner_ids}
    for pid, orders, cancelled in await session.execute(
            select(OrderLine.partner_id, func.count(func.distinct(OrderLine.order_id)),
                   func.count(func.distinct(case((OrderLine.state == OrderState.CANCELLED.value, OrderLine.order_id)))))
            .where(where).group_by(OrderLine.partner_id)):
        result[pid].orders, result[pid].cancelled = int(orders or 0), int(cancelled or 0)
    for pid, currency, units, revenue, paid in await session.execute(
            select(OrderLine.partner_id, OrderLine.currency, func.sum(OrderLine.quantity), func.sum(_REVENUE),
                   func.count(func.distinct(OrderLine.order_id)))
            .where(where, _SOLD).group_by(OrderLine.partner_id, OrderLine.currency)):
        totals = result[pid]
        totals.units += int(units or 0)
        totals.revenue[currency or "?"] = Decimal(revenue or 0)
        totals.paid_orders[currency or "?"] = int(paid or 0)
    for pid, returned in await session.execute(
            select(FinanceRecord.partner_id,
                   func.count(func.distinct(func.coalesce(FinanceRecord.order_external_id, FinanceRecord.key))))
            .where(_ids(FinanceRecord.partner_id, partner_ids), FinanceRecord.kind == MoneyKind.RETURN.value,
                   FinanceRecord.day >= period.first.isoformat(), FinanceRecord.day <= period.last.isoformat())
            .group_by(FinanceRecord.partner_id)):
        result[pid].returned = int(returned or 0)
    return result


Daily = dict[date, dict[str, tuple[int, Money]]]


async def daily_many(session: AsyncSession, partner_ids: list[str], period: Period, tz: ZoneInfo
                     ) -> dict[str, Daily]:
    """services.analytics.daily for many partners: the day of each line is found in SQL against the day boundaries
    of the partner's time zone (exact across a DST change), so the rows come back already summed per day."""
    days = period.day_list()
    starts = [int(datetime.combine(d, time(), tz).timestamp()) for d in days]
    end = period.bounds(tz)[1]
    index = case(*[(OrderLine.placed_at < boundary, n) for n, boundary in enumerate(starts[1:])], else_=len(days) - 1)
    result: dict[str, Daily] = {pid: {d: {} for d in days} for pid in partner_ids}
    for pid, mp, currency, day_no, orders, revenue in await session.execute(
            select(OrderLine.partner_id, OrderLine.marketplace, OrderLine.currency, index,
                   func.count(func.distinct(OrderLine.order_id)), func.sum(_REVENUE))
            .where(_ids(OrderLine.partner_id, partner_ids), OrderLine.placed_at >= starts[0],
                   OrderLine.placed_at < end, _SOLD)
            .group_by(OrderLine.partner_id, OrderLine.marketplace, OrderLine.currency, index)):
        count, money = result[pid][days[int(day_no)]].get(mp, (0, {}))
        money = dict(money)
        money[currency or "?"] = money.get(currency or "?", Decimal(0)) + Decimal(revenue or 0)
        # one order has one currency: counting it once per currency row never counts it twice
        result[pid][days[int(day_no)]][mp] = (count + int(orders or 0), money)
    return result


async def running_out_many(session: AsyncSession, due: list[Due], at: float) -> dict[str, list[analytics.Cover]]:
    """Per partner, the products whose stock lasts no longer than their horizon (the soonest first)."""
    partner_ids = [d.partner_id for d in due]
    since = {days: int(at - days * 86400) for days in COVER_WINDOWS}
    sold = (select(OrderLine.partner_id, OrderLine.sku,
                   *[func.sum(case((OrderLine.placed_at >= since[days], OrderLine.quantity), else_=0)).label(f"d{days}")
                     for days in COVER_WINDOWS])
            .where(_ids(OrderLine.partner_id, partner_ids), OrderLine.placed_at >= min(since.values()), _SOLD)
            .group_by(OrderLine.partner_id, OrderLine.sku).subquery())
    rows = await session.execute(
        select(Product.id, Product.partner_id, Product.sku, Product.name, Product.stock,
               *[sold.c[f"d{days}"] for days in COVER_WINDOWS])
        .join(sold, and_(sold.c.partner_id == Product.partner_id, sold.c.sku == Product.sku)))
    horizon = {d.partner_id: d.runs_out_days for d in due}
    result: dict[str, list[analytics.Cover]] = defaultdict(list)
    for product_id, pid, sku, name, stock, *units in rows:
        cover = analytics.cover_of(product_id, sku, name, stock, dict(zip(COVER_WINDOWS, units)))
        if cover.days_left is not None and cover.days_left <= horizon[pid]:
            result[pid].append(cover)
    for covers in result.values():
        covers.sort(key=lambda c: (c.days_left, c.sku))
    return result


async def integrations_many(session: AsyncSession, partner_ids: list[str]) -> dict[str, list[MarketplaceIntegration]]:
    result: dict[str, list[MarketplaceIntegration]] = defaultdict(list)
    for integration in await session.scalars(
            select(MarketplaceIntegration).where(_ids(MarketplaceIntegration.partner_id, partner_ids),
                                                 MarketplaceIntegration.status != IntegrationStatus.DRAFT)
            .order_by(MarketplaceIntegration.created_at)):
        result[integration.partner_id].append(integration)
    return result


async def payloads_for(session: AsyncSession, due: list[Due], tz: ZoneInfo, period: Period, at: float
                       ) -> dict[str, dict]:
    """The outbox payload of each partner's summary (one time zone, one period): plain JSON, rendered at send."""
    ids = [d.partner_id for d in due]
    now_totals = await totals_many(session, ids, period, tz)
    before = await totals_many(session, ids, period.previous(), tz)
    chart = Period(period.last - timedelta(days=CHART_DAYS - 1), period.last)
    series = await daily_many(session, ids, chart, tz)
    running = await running_out_many(session, due, at)
    connected = await integrations_many(session, ids)
    payloads = {}
    for item in due:
        pid = item.partner_id
        by_marketplace: dict[str, Money] = defaultdict(dict)
        for day, per in series[pid].items():
            if period.first <= day <= period.last:
                for mp, (_, money) in per.items():
                    for cur, amount in money.items():
                        by_marketplace[mp][cur] = by_marketplace[mp].get(cur, Decimal(0)) + amount
        covers = running.get(pid, [])
        failing = [i for i in connected.get(pid, []) if i.status == IntegrationStatus.ERROR
                   or i.failure_streak >= FAILURE_ALERT_AFTER]
        expiring = [i for i in connected.get(pid, []) if i.token_expires_at
                    and at < i.token_expires_at <= at + EXPIRY_WARN_DAYS * 86400]
        payloads[pid] = {
            "mode": item.mode.value, "first": period.first.isoformat(), "last": period.last.isoformat(),
            "now": totals_to_data(now_totals[pid]), "before": totals_to_data(before[pid]),
            "by_marketplace": {mp: _money_data(m) for mp, m in by_marketplace.items()},
            "daily": daily_to_data(series[pid]),
            "running_out": [{"sku": c.sku, "name": c.name, "stock": c.stock, "days": round(c.days_left, 1)}
                            for c in covers[:ATTENTION_SHOWN]],
            "running_out_count": len(covers),
            "failing": [{**_where(i), "streak": i.failure_streak} for i in failing[:ATTENTION_SHOWN]],
            "expiring": [{**_where(i), "days": max(1, math.ceil((i.token_expires_at - at) / 86400))}
                         for i in expiring[:ATTENTION_SHOWN]],
        }
    return payloads


def _where(integration: MarketplaceIntegration) -> dict:
    return {"integration_id": integration.id, "marketplace": integration.marketplace,
            "shop": integration.shop_name or integration.account_name or integration.seller_id or ""}


# ------------------------------------------------------------------------------- payload <-> figures (JSON)

def _money_data(money: Money) -> dict[str, str]:
    return {cur: str(amount) for cur, amount in money.items()}


def _money_of(data) -> Money:
    return {str(cur): Decimal(str(amount)) for cur, amount in (data or {}).items()}


def totals_to_data(totals: Totals) -> dict:
    return {"orders": totals.orders, "cancelled": totals.cancelled, "returned": totals.returned,
            "units": totals.units, "revenue": _money_data(totals.revenue), "paid": dict(totals.paid_orders)}


def totals_from_data(data: dict | None) -> Totals:
    data = data or {}
    return Totals(int(data.get("orders", 0)), int(data.get("cancelled", 0)), int(data.get("returned", 0)),
                  int(data.get("units", 0)), _money_of(data.get("revenue")),
                  {str(cur): int(n) for cur, n in (data.get("paid") or {}).items()})


def daily_to_data(daily: Daily) -> dict:
    return {day.isoformat(): {mp: [count, _money_data(money)] for mp, (count, money) in per.items()}
            for day, per in sorted(daily.items())}


def daily_from_data(data: dict | None) -> Daily:
    return {date.fromisoformat(day): {mp: (int(value[0]), _money_of(value[1])) for mp, value in per.items()}
            for day, per in (data or {}).items()}


def by_marketplace_from_data(data: dict | None) -> dict[str, Money]:
    return {mp: _money_of(money) for mp, money in (data or {}).items()}


def period_from_data(data: dict) -> Period:
    return Period(date.fromisoformat(data["first"]), date.fromisoformat(data["last"]))
