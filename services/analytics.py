"""Sales analytics, read from our own tables only (order_lines, finance_entries, products): the report of a period
against the one before it, profit from cost prices and the marketplaces' own fees, and stock cover.

Money stays per currency everywhere (UZS for Uzum, RUB for the others): sums are dicts keyed by currency and are
never added across currencies. Days are the partner's days (their time zone).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import FEE_KINDS, MoneyKind, OrderState
from db.models import FinanceRecord, OrderLine, Product

TOP = 10
COVER_WINDOWS = (14, 30)  # days of sales the stock cover is averaged over
MAX_CUSTOM_DAYS = 366

Money = dict[str, Decimal]  # currency -> amount


class PeriodKind(StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    DAYS_7 = "7d"
    DAYS_30 = "30d"
    THIS_MONTH = "month"
    LAST_MONTH = "last_month"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    """Whole days first..last (both included), in the partner's time zone."""

    first: date
    last: date
    kind: PeriodKind = PeriodKind.CUSTOM

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def bounds(self, tz: ZoneInfo) -> tuple[int, int]:
        """Unix seconds [start, end) of the period in that time zone."""
        start = datetime.combine(self.first, time(), tz)
        end = datetime.combine(self.last + timedelta(days=1), time(), tz)
        return int(start.timestamp()), int(end.timestamp())

    def day_list(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


def period_of(kind: PeriodKind, today: date) -> Period:
    if kind == PeriodKind.TODAY:
        return Period(today, today, kind)
    if kind == PeriodKind.YESTERDAY:
        day = today - timedelta(days=1)
        return Period(day, day, kind)
    if kind == PeriodKind.DAYS_7:
        return Period(today - timedelta(days=6), today, kind)
    if kind == PeriodKind.DAYS_30:
        return Period(today - timedelta(days=29), today, kind)
    if kind == PeriodKind.THIS_MONTH:
        return Period(today.replace(day=1), today, kind)
    if kind == PeriodKind.LAST_MONTH:
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last, kind)
    raise ValueError(kind)


class BadRange(ValueError):
    """A typed date range the bot cannot use; `reason` names which rule it broke (for the partner's message)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y")


def _parse_day(text: str) -> date:
    for form in _DATE_FORMATS:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise BadRange("format")


_DATE_TOKEN = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}")
_BETWEEN = re.compile(r"\s*(?:-|–|—|\.\.|to|по|gacha)?\s*", re.IGNORECASE)


def parse_range(text: str, today: date) -> Period:
    """"01.11.2026 - 15.11.2026" (also ISO dates, a dash of any kind, or one date for one day) -> Period. Raises
    BadRange."""
    text = text.strip()
    parts = _DATE_TOKEN.findall(text)
    rest = _DATE_TOKEN.sub(" ", text)
    if not 1 <= len(parts) <= 2 or not _BETWEEN.fullmatch(rest):
        raise BadRange("format")
    first = _parse_day(parts[0])
    last = _parse_day(parts[-1])
    if last < first:
        raise BadRange("order")
    if last > today:
        raise BadRange("future")
    if (last - first).days + 1 > MAX_CUSTOM_DAYS:
        raise BadRange("too_long")
    return Period(first, last)


# ---------------------------------------------------------------------------------------------- the report

@dataclass
class Totals:
    orders: int = 0  # every order placed in the period, cancelled ones included
    cancelled: int = 0
    returned: int = 0  # orders the marketplaces' finance reports show refunds for, in the period
    units: int = 0  # sold: not cancelled
    revenue: Money = field(default_factory=dict)  # not cancelled, per currency
    paid_orders: dict[str, int] = field(default_factory=dict)  # not cancelled orders, per currency

    @property
    def cancel_share(self) -> float | None:
        return self.cancelled / self.orders if self.orders else None

    @property
    def return_share(self) -> float | None:
        return self.returned / self.orders if self.orders else None

    @property
    def average_order(self) -> Money:
        return {cur: (amount / self.paid_orders[cur]).quantize(Decimal("0.01"))
                for cur, amount in self.revenue.items() if self.paid_orders.get(cur)}


@dataclass
class ProductFigure:
    sku: str
    name: str
    units: int = 0
    revenue: Money = field(default_factory=dict)  # per currency (a product sold on Uzum and Ozon has both)


@dataclass
class Report:
    period: Period
    marketplace: str | None
    totals: Totals
    before: Totals  # the previous period of the same length
    by_marketplace: dict[str, Money]  # revenue per marketplace and currency
    top_revenue: dict[str, list[ProductFigure]]  # currency -> the top products by revenue in it
    top_units: list[ProductFigure]
    daily: dict[date, dict[str, tuple[int, Money]]]  # day -> marketplace -> (orders, revenue)


def change(now: float | int | Decimal, before: float | int | Decimal) -> float | None:
    """Δ % against the previous period; None where there is nothing to compare with."""
    if not before:
        return None
    return float((Decimal(now) - Decimal(before)) / Decimal(before) * 100)


def _line_filter(partner_id: str, start: int, end: int, marketplace: str | None):
    cond = [OrderLine.partner_id == partner_id, OrderLine.placed_at >= start, OrderLine.placed_at < end]
    if marketplace:
        cond.append(OrderLine.marketplace == marketplace)
    return and_(*cond)


_SOLD = OrderLine.state != OrderState.CANCELLED.value
_LINE_REVENUE = func.coalesce(OrderLine.price, 0) * OrderLine.quantity


async def totals(session: AsyncSession, partner_id: str, period: Period, tz: ZoneInfo,
                 marketplace: str | None = None) -> Totals:
    start, end = period.bounds(tz)
    where = _line_filter(partner_id, start, end, marketplace)
    result = Totals()
    orders = await session.execute(
        select(func.count(func.distinct(OrderLine.order_id)),
               func.count(func.distinct(case((OrderLine.state == OrderState.CANCELLED.value, OrderLine.order_id)))))
        .where(where))
    result.orders, result.cancelled = orders.one()
    rows = await session.execute(
        select(OrderLine.currency, func.sum(OrderLine.quantity), func.sum(_LINE_REVENUE),
               func.count(func.distinct(OrderLine.order_id)))
        .where(where, _SOLD).group_by(OrderLine.currency))
    for currency, units, revenue, paid in rows:
        currency = currency or "?"
        result.units += int(units or 0)
        result.revenue[currency] = Decimal(revenue or 0)
        result.paid_orders[currency] = int(paid or 0)
    result.returned = await _returned_orders(session, partner_id, period, marketplace)
    return result


async def _returned_orders(session: AsyncSession, partner_id: str, period: Period, marketplace: str | None) -> int:
    cond = [FinanceRecord.partner_id == partner_id, FinanceRecord.kind == MoneyKind.RETURN.value,
            FinanceRecord.day >= period.first.isoformat(), FinanceRecord.day <= period.last.isoformat()]
    if marketplace:
        cond.append(FinanceRecord.marketplace == marketplace)
    value = await session.scalar(select(func.count(func.distinct(
        func.coalesce(FinanceRecord.order_external_id, FinanceRecord.key)))).where(*cond))
    return int(value or 0)


async def report(session: AsyncSession, partner_id: str, period: Period, tz: ZoneInfo,
                 marketplace: str | None = None) -> Report:
    start, end = period.bounds(tz)
    where = _line_filter(partner_id, start, end, marketplace)
    by_marketplace: dict[str, Money] = defaultdict(dict)
    for mp, currency, revenue in await session.execute(
            select(OrderLine.marketplace, OrderLine.currency, func.sum(_LINE_REVENUE))
            .where(where, _SOLD).group_by(OrderLine.marketplace, OrderLine.currency)):
        by_marketplace[mp][currency or "?"] = Decimal(revenue or 0)
    products: dict[str, ProductFigure] = {}
    for sku, name, currency, units, revenue in await session.execute(
            select(OrderLine.sku, func.max(OrderLine.name), OrderLine.currency, func.sum(OrderLine.quantity),
                   func.sum(_LINE_REVENUE))
            .where(where, _SOLD).group_by(OrderLine.sku, OrderLine.currency)):
        item = products.setdefault(sku or "?", ProductFigure(sku or "?", name or ""))
        item.units += int(units or 0)
        item.revenue[currency or "?"] = Decimal(revenue or 0)
    currencies = sorted({cur for item in products.values() for cur in item.revenue})
    top_revenue = {cur: sorted((p for p in products.values() if cur in p.revenue),
                               key=lambda p: (-p.revenue[cur], p.sku))[:TOP] for cur in currencies}
    top_units = sorted(products.values(), key=lambda p: (-p.units, p.sku))[:TOP]
    return Report(period, marketplace, await totals(session, partner_id, period, tz, marketplace),
                  await totals(session, partner_id, period.previous(), tz, marketplace), dict(by_marketplace),
                  top_revenue, top_units, await daily(session, partner_id, period, tz, marketplace))


# Orders are grouped into quarter-hour buckets in SQL, then the buckets into the partner's days: exact in every time
# zone (offsets are whole quarter hours, daylight saving included) without the database knowing time zones.
BUCKET = 900


async def daily(session: AsyncSession, partner_id: str, period: Period, tz: ZoneInfo,
                marketplace: str | None = None) -> dict[date, dict[str, tuple[int, Money]]]:
    """Orders (not cancelled) and revenue per partner-local day and marketplace: the charts' series."""
    start, end = period.bounds(tz)
    bucket = ((OrderLine.placed_at - start) // BUCKET).label("bucket")
    rows = await session.execute(
        select(bucket, OrderLine.marketplace, OrderLine.currency, func.count(func.distinct(OrderLine.order_id)),
               func.sum(_LINE_REVENUE))
        .where(_line_filter(partner_id, start, end, marketplace), _SOLD)
        .group_by(bucket, OrderLine.marketplace, OrderLine.currency))
    days: dict[date, dict[str, list]] = {day: {} for day in period.day_list()}
    for index, mp, currency, orders, revenue in rows:
        day = datetime.fromtimestamp(start + int(index) * BUCKET, tz).date()
        figures = days.setdefault(day, {}).setdefault(mp, [0, {}])
        figures[0] += int(orders or 0)
        money = figures[1]
        money[currency or "?"] = money.get(currency or "?", Decimal(0)) + Decimal(revenue or 0)
    return {day: {mp: (orders, money) for mp, (orders, money) in per.items()} for day, per in days.items()}


# ---------------------------------------------------------------------------------------------- profit

@dataclass
class ProductProfit:
    sku: str
    name: str
    currency: str
    units: int  # sold minus returned, per the finance reports
    sales: Decimal  # sales minus refunds
    fees: Decimal  # the marketplaces' fees tied to this product
    cost_price: Decimal | None

    @property
    def cost(self) -> Decimal | None:
        return None if self.cost_price is None else self.cost_price * self.units

    @property
    def profit(self) -> Decimal | None:
        return None if self.cost is None else self.sales - self.fees - self.cost

    @property
    def margin(self) -> float | None:
        profit = self.profit
        return None if profit is None or not self.sales else float(profit / self.sales * 100)


@dataclass
class Profit:
    products: list[ProductProfit]  # with a cost price
    without_cost: list[ProductProfit]  # no cost price: never counted as zero cost
    sales: Money  # every product's sales minus refunds
    fees: Money  # every fee of the period (tied to a product or not), compensations taken off
    other_fees: Money  # fees tied to no product (storage, ads): charged to the period's total profit
    profit: Money  # products with a cost price, less the fees tied to no product
    revenue_without_cost: Money  # sales of the products without a cost price (left out of `profit`)

    @property
    def margin(self) -> dict[str, float]:
        return {cur: float(self.profit[cur] / self.sales[cur] * 100)
                for cur in self.profit if self.sales.get(cur)}


def _signed(kind: str, amount: Decimal) -> tuple[str, Decimal] | None:
    """How a finance figure moves profit: ("sales" | "fees", signed amount); None for the record-only payout."""
    if kind == MoneyKind.SALE:
        return "sales", amount
    if kind == MoneyKind.RETURN:
        return "sales", -amount
    if kind in FEE_KINDS:
        return "fees", amount
    if kind == MoneyKind.COMPENSATION:  # paid to the seller besides sales: a fee taken back
        return "fees", -amount
    return None


async def profit(session: AsyncSession, partner_id: str, period: Period, marketplace: str | None = None) -> Profit:
    """Gross profit of the period from the marketplaces' own finance figures: per product, sales − refunds − its
    fees − cost price × units (sold − returned); in total, less the fees tied to no product."""
    cond = [FinanceRecord.partner_id == partner_id, FinanceRecord.day >= period.first.isoformat(),
            FinanceRecord.day <= period.last.isoformat()]
    if marketplace:
        cond.append(FinanceRecord.marketplace == marketplace)
    rows = await session.execute(
        select(FinanceRecord.sku, FinanceRecord.currency, FinanceRecord.kind, func.sum(FinanceRecord.amount),
               func.sum(FinanceRecord.quantity))
        .where(*cond).group_by(FinanceRecord.sku, FinanceRecord.currency, FinanceRecord.kind))
    per: dict[tuple[str, str], dict] = {}
    sales: Money = defaultdict(Decimal)
    fees: Money = defaultdict(Decimal)
    other: Money = defaultdict(Decimal)
    for sku, currency, kind, amount, quantity in rows:
        effect = _signed(kind, Decimal(amount or 0))
        if effect is None:
            continue
        what, value = effect
        (sales if what == "sales" else fees)[currency] += value
        if not sku:
            if what == "fees":
                other[currency] += value
            continue
        figures = per.setdefault((sku, currency), {"sales": Decimal(0), "fees": Decimal(0), "units": 0})
        figures[what] += value
        if kind == MoneyKind.SALE:
            figures["units"] += int(quantity or 0)
        elif kind == MoneyKind.RETURN:
            figures["units"] -= int(quantity or 0)
    known = {}
    if per:
        skus = sorted({sku for sku, _ in per})
        for start in range(0, len(skus), 1000):
            for sku, name, cost in await session.execute(
                    select(Product.sku, Product.name, Product.cost_price)
                    .where(Product.partner_id == partner_id, Product.sku.in_(skus[start:start + 1000]))):
                known[sku] = (name, cost)
    with_cost, without = [], []
    for (sku, currency), figures in sorted(per.items()):
        name, cost = known.get(sku, ("", None))
        item = ProductProfit(sku, name, currency, figures["units"], figures["sales"], figures["fees"],
                             Decimal(cost) if cost is not None else None)
        (with_cost if item.cost_price is not None else without).append(item)
    total: Money = defaultdict(Decimal)
    for item in with_cost:
        total[item.currency] += item.profit
    for currency, value in other.items():
        total[currency] -= value
    left_out: Money = defaultdict(Decimal)
    for item in without:
        left_out[item.currency] += item.sales
    with_cost.sort(key=lambda p: (-(p.profit or 0), p.sku))
    return Profit(with_cost, without, dict(sales), dict(fees), dict(other), dict(total), dict(left_out))


# ---------------------------------------------------------------------------------------------- stock cover

@dataclass(frozen=True)
class Cover:
    product_id: str
    sku: str
    name: str
    stock: int
    per_day: dict[int, float]  # window (days) -> average units sold a day
    days_left: float | None  # None: nothing sold lately, the stock is not running out

    @property
    def rate(self) -> float:
        return self.per_day.get(COVER_WINDOWS[0]) or self.per_day.get(COVER_WINDOWS[-1]) or 0.0


async def covers(session: AsyncSession, partner_id: str, at: float, product_ids: list[str] | None = None
                 ) -> dict[str, Cover]:
    """Per product: average units sold a day over the last 14 and 30 days, and the days its stock lasts at the
    14-day rate (the 30-day rate when nothing sold in 14 days)."""
    windows = {days: int(at - days * 86400) for days in COVER_WINDOWS}
    oldest = min(windows.values())
    sold = {days: func.sum(case((OrderLine.placed_at >= since, OrderLine.quantity), else_=0))
            for days, since in windows.items()}
    query = (select(OrderLine.sku, *sold.values())
             .where(OrderLine.partner_id == partner_id, OrderLine.placed_at >= oldest, OrderLine.placed_at <= at,
                    _SOLD)
             .group_by(OrderLine.sku))
    units = {sku: dict(zip(sold, values)) for sku, *values in await session.execute(query)}
    products = select(Product.id, Product.sku, Product.name, Product.stock).where(Product.partner_id == partner_id)
    if product_ids is not None:
        products = products.where(Product.id.in_(product_ids))
    result = {}
    for product_id, sku, name, stock in await session.execute(products):
        per_day = {days: float(units.get(sku, {}).get(days) or 0) / days for days in COVER_WINDOWS}
        rate = per_day[COVER_WINDOWS[0]] or per_day[COVER_WINDOWS[-1]]
        result[product_id] = Cover(product_id, sku, name, stock, per_day,
                                   max(0.0, stock / rate) if rate > 0 else None)
    return result

