"""Uzum sales and finance: GET /v1/finance/orders (order lines: sellPrice, amount, amountReturns, commission,
status) and GET /v1/finance/expenses (charges: delivery, storage, ...). Both take shopIds, dateFrom / dateTo
(unit: models.UZUM_TIME_PARAM_PER_SECOND) and page / size; a period longer than UZUM_FINANCE_MAX_DAYS is read as
several requests. Days are Tashkent calendar days; money is UZS. Every shape is UNCONFIRMED (MARKETPLACES.md §1.2).

`sales`: order lines summed per day (the order's date) and SKU; cancelled lines are not sales.
`finance`: what the seller earned and paid, line by line, on the day it was booked:

  /v1/finance/orders line (status in UZUM_FINANCE_BOOKED)     -> SALE      sellPrice x amount
                                                                 RETURN    sellPrice x amountReturns
                                                                 COMMISSION  |commission|
  /v1/finance/expenses charge, by `source` (UZUM_EXPENSE_KINDS)  -> LOGISTICS, STORAGE, ADVERTISING, PENALTY,
                                                                 anything else OTHER_FEE; |paymentPrice|
Order lines are booked on `dateIssued` (else their `date`), charges on `dateService` (else `dateCreated`). Which
date /v1/finance/orders filters on is unknown, so it is read from UZUM_FINANCE_LOOKBACK_DAYS before the period
and only the lines booked in it are kept. Uzum gives no payouts through these calls (no PAYOUT entries).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from connectors.base import FinanceEntry, MoneyKind, SalesRow
from connectors.uzum.limits import (
    UZUM_EXPENSES_PAGE_SIZE,
    UZUM_FINANCE_LOOKBACK_DAYS,
    UZUM_FINANCE_MAX_DAYS,
    UZUM_FINANCE_PAGE_SIZE,
)
from connectors.uzum.models import (
    UZUM_CURRENCY,
    UZUM_TZ,
    UzumCalls,
    UzumExpense,
    UzumFinanceItem,
    parse_expense_page,
    parse_finance_page,
    uzum_time_param,
    uzum_time_to_unix,
)

T = TypeVar("T")

# UNCONFIRMED: finance statuses of an order item that is not a sale (besides its `cancelled` flag).
UZUM_FINANCE_CANCELLED = frozenset({"CANCELED", "CANCELLED"})
# UNCONFIRMED: finance statuses of an order line whose money is booked (delivered: due to the seller or paid out;
# returned). Lines in other statuses (PROCESSING: still on its way) are not in the seller's finance yet.
UZUM_FINANCE_BOOKED = frozenset({"TO_WITHDRAW", "WITHDRAWN", "COMPLETED", "RETURNED"})
# UNCONFIRMED: expense `source` words -> what the charge is (upper case; anything else is OTHER_FEE).
UZUM_EXPENSE_KINDS: dict[str, MoneyKind] = {
    "LOGISTICS": MoneyKind.LOGISTICS,
    "DELIVERY": MoneyKind.LOGISTICS,
    "STORAGE": MoneyKind.STORAGE,
    "MARKETING": MoneyKind.ADVERTISING,
    "ADVERTISING": MoneyKind.ADVERTISING,
    "PENALTY": MoneyKind.PENALTY,
    "FINE": MoneyKind.PENALTY,
}


def uzum_finance_revenue(price: Decimal | None, quantity: int) -> Decimal:
    """Revenue of one finance order item: `sellPrice` is taken as the unit price (UNCONFIRMED)."""
    return (price or Decimal(0)) * quantity


def item_sku(item: UzumFinanceItem | UzumExpense) -> str | None:
    """The seller's SKU of a finance line, as connectors.uzum.orders.to_order gives OrderItem.sku."""
    return item.seller_code or item.skuTitle


def uzum_day(value: Any) -> date | None:
    moment = uzum_time_to_unix(value)
    return None if moment is None else datetime.fromtimestamp(moment, UZUM_TZ).date()


def cancelled(item: UzumFinanceItem | UzumExpense) -> bool:
    return bool(getattr(item, "cancelled", False)) or (item.status or "").upper() in UZUM_FINANCE_CANCELLED


# ------------------------------------------------------------------------------------------------ reads
async def read_finance(client: UzumCalls, path: str, parse: Callable[[Any], tuple[list[T], int | None]],
                       ident: Callable[[T], str], size: int, date_from: date, date_to: date) -> AsyncIterator[T]:
    """Every item of a finance list over the Tashkent days date_from..date_to, in requests of at most
    UZUM_FINANCE_MAX_DAYS, each paged; an item is given once even if two requests return it."""
    shops = await client.shop_params()
    seen: set[str] = set()
    first = date_from
    while first <= date_to:
        after = min(first + timedelta(days=UZUM_FINANCE_MAX_DAYS), date_to + timedelta(days=1))
        start = datetime.combine(first, time.min, UZUM_TZ).timestamp()
        end = datetime.combine(after, time.min, UZUM_TZ).timestamp()
        # dateTo is inclusive: one unit before the next request's dateFrom.
        params = [*shops, ("dateFrom", uzum_time_param(start)), ("dateTo", uzum_time_param(end) - 1)]
        async for page in client.paged(path, parse, ident, size, params):
            for item in page:
                key = ident(item)
                if key not in seen:
                    seen.add(key)
                    yield item
        first = after


def finance_orders(client: UzumCalls, date_from: date, date_to: date) -> AsyncIterator[UzumFinanceItem]:
    return read_finance(client, "/v1/finance/orders", parse_finance_page, line_key, UZUM_FINANCE_PAGE_SIZE,
                        date_from, date_to)


def line_key(item: UzumFinanceItem) -> str:
    """Uzum's id of the order line; without one, what identifies it (order, SKU, date)."""
    return item.id or f"{item.orderId}:{item.skuId}:{item.skuTitle}:{item.date}"


# ------------------------------------------------------------------------------------------------ sales
async def sales(client: UzumCalls, date_from: date, date_to: date) -> list[SalesRow]:
    tally = SalesTally(date_from, date_to)
    async for item in finance_orders(client, date_from, date_to):
        tally.add(item)
    return tally.rows()


class SalesTally:
    """Finance order items summed per (day in Tashkent, SKU), cancelled items left out; fed item by item."""

    def __init__(self, date_from: date, date_to: date):
        self.date_from, self.date_to = date_from, date_to
        self._totals: dict[tuple[date, str], list] = {}

    def add(self, item: UzumFinanceItem) -> None:
        if cancelled(item):
            return
        day, sku = uzum_day(item.date), item_sku(item) or item.skuId
        if day is None or not sku or not self.date_from <= day <= self.date_to:
            return
        row = self._totals.setdefault((day, sku), [0, Decimal(0), 0])
        row[0] += item.amount
        row[1] += uzum_finance_revenue(item.sellPrice, item.amount)
        row[2] += item.amountReturns

    def rows(self) -> list[SalesRow]:
        return [SalesRow(day=day, sku=sku, quantity=q, revenue=r, currency=UZUM_CURRENCY, returns=ret)
                for (day, sku), (q, r, ret) in sorted(self._totals.items())]


# ---------------------------------------------------------------------------------------------- finance
async def finance(client: UzumCalls, date_from: date, date_to: date) -> list[FinanceEntry]:
    entries: list[FinanceEntry] = []
    async for item in finance_orders(client, date_from - timedelta(days=UZUM_FINANCE_LOOKBACK_DAYS), date_to):
        entries += order_line_entries(item)
    async for charge in read_finance(client, "/v1/finance/expenses", parse_expense_page, lambda e: e.id,
                                     UZUM_EXPENSES_PAGE_SIZE, date_from, date_to):
        entries += expense_entries(charge)
    return [e for e in entries if date_from <= e.day <= date_to]


def order_line_entries(item: UzumFinanceItem) -> list[FinanceEntry]:
    """The sale, return and commission of one finance order line (none until its money is booked)."""
    day = uzum_day(item.dateIssued) or uzum_day(item.date)
    if cancelled(item) or (item.status or "").upper() not in UZUM_FINANCE_BOOKED or day is None:
        return []
    key, sku = line_key(item), item_sku(item)

    def entry(kind: MoneyKind, amount: Decimal, quantity: int | None = None) -> FinanceEntry:
        return FinanceEntry(day=day, kind=kind, amount=abs(amount), currency=UZUM_CURRENCY, key=f"{key}:{kind}",
                            sku=sku, order_id=item.orderId, quantity=quantity)

    found = [entry(MoneyKind.SALE, uzum_finance_revenue(item.sellPrice, item.amount), item.amount)]
    if item.amountReturns:
        found.append(entry(MoneyKind.RETURN, uzum_finance_revenue(item.sellPrice, item.amountReturns),
                           item.amountReturns))
    if item.commission:
        found.append(entry(MoneyKind.COMMISSION, item.commission))
    return found


def expense_entries(charge: UzumExpense) -> list[FinanceEntry]:
    """One charge of /v1/finance/expenses (none if it is cancelled or of no amount)."""
    day = uzum_day(charge.dateService) or uzum_day(charge.dateCreated)
    if cancelled(charge) or not charge.paymentPrice or day is None:
        return []
    kind = UZUM_EXPENSE_KINDS.get((charge.source or "").strip().upper(), MoneyKind.OTHER_FEE)
    # Prefixed: expense ids and order line ids are separate numberings.
    return [FinanceEntry(day=day, kind=kind, amount=abs(charge.paymentPrice), currency=UZUM_CURRENCY,
                         key=f"expense:{charge.id}:{kind}", sku=item_sku(charge), order_id=charge.orderId)]
