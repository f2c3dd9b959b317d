"""Uzum sales: GET /v1/finance/orders (shopIds, dateFrom / dateTo, page / size; reply `orderItems`), summed per
calendar day in Tashkent time and SKU. Cancelled items are not sales; returns are counted per row. Money in UZS.
(GET /v1/finance/expenses exists as well; it is not read yet.)
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from connectors.base import SalesRow
from connectors.uzum.limits import UZUM_FINANCE_PAGE_SIZE
from connectors.uzum.models import (
    UZUM_CURRENCY,
    UZUM_TZ,
    UzumCalls,
    UzumFinanceItem,
    parse_finance_page,
    uzum_time_param,
    uzum_time_to_unix,
)

# UNCONFIRMED: finance statuses of an order item that is not a sale (besides its `cancelled` flag).
UZUM_FINANCE_CANCELLED = frozenset({"CANCELED", "CANCELLED"})


def uzum_finance_revenue(price: Decimal | None, quantity: int) -> Decimal:
    """Revenue of one finance order item: `sellPrice` is taken as the unit price (UNCONFIRMED)."""
    return (price or Decimal(0)) * quantity


async def sales(client: UzumCalls, date_from: date, date_to: date) -> list[SalesRow]:
    start = datetime.combine(date_from, time.min, UZUM_TZ).timestamp()
    end = datetime.combine(date_to + timedelta(days=1), time.min, UZUM_TZ).timestamp() - 1
    params = await client.shop_params()
    params += [("dateFrom", uzum_time_param(start)), ("dateTo", uzum_time_param(end))]
    tally = SalesTally(date_from, date_to)
    async for page in client.paged("/v1/finance/orders", parse_finance_page,
                                   lambda i: f"{i.orderId}:{i.skuId}:{i.skuTitle}:{i.date}",
                                   UZUM_FINANCE_PAGE_SIZE, params):
        for item in page:
            tally.add(item)
    return tally.rows()


class SalesTally:
    """Finance order items summed per (day in Tashkent, SKU), cancelled items left out; fed page by page."""

    def __init__(self, date_from: date, date_to: date):
        self.date_from, self.date_to = date_from, date_to
        self._totals: dict[tuple[date, str], list] = {}

    def add(self, item: UzumFinanceItem) -> None:
        if item.cancelled or (item.status or "").upper() in UZUM_FINANCE_CANCELLED:
            return
        moment = uzum_time_to_unix(item.date)
        sku = item.seller_code or item.skuTitle or item.skuId
        if moment is None or not sku:
            return
        day = datetime.fromtimestamp(moment, UZUM_TZ).date()
        if not self.date_from <= day <= self.date_to:
            return
        row = self._totals.setdefault((day, sku), [0, Decimal(0), 0])
        row[0] += item.amount
        row[1] += uzum_finance_revenue(item.sellPrice, item.amount)
        row[2] += item.amountReturns

    def rows(self) -> list[SalesRow]:
        return [SalesRow(day=day, sku=sku, quantity=q, revenue=r, currency=UZUM_CURRENCY, returns=ret)
                for (day, sku), (q, r, ret) in sorted(self._totals.items())]
