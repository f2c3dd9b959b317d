"""Wildberries sales analytics, per day and seller SKU.

- GET statistics /api/v1/supplier/sales?dateFrom&flag=0 (rows changed since dateFrom, up to ~80,000 per reply;
  the next reply starts at the last row's lastChangeDate). Base token: 1 request per 2 h (limits.WB_LIMITS).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date as _date
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from connectors.base import SalesRow
from connectors.wildberries.limits import WB_SALES_FULL_REPLY
from connectors.wildberries.models import WB_CURRENCY, WbSale, moscow_day

if TYPE_CHECKING:  # annotations only: the client imports this module
    from connectors.wildberries.client import WildberriesClient


def wb_statistics_time(text: str) -> str:
    """A statistics `dateFrom`: the schema wants an RFC 3339 date-time, WB reads Moscow time, and its own dates
    (lastChangeDate) come without a zone, so the Moscow offset is added. UNCONFIRMED that WB honours an offset
    (its description also allows a bare date or a zoneless time, which the schema's format rejects)."""
    return text if text.endswith("Z") or "+" in text[10:] else f"{text}+03:00"


def _sale_kind(sale: WbSale) -> str | None:
    """`S…` is a sale, `R…` a return (saleID); other rows (corrections) do not count."""
    prefix = (sale.saleID or "")[:1].upper()
    return {"S": "sale", "R": "return"}.get(prefix)


def sales_rows(sales: Iterable[WbSale], date_from: _date, date_to: _date) -> list[SalesRow]:
    """Sales report rows -> one row per day and seller SKU inside [date_from, date_to].

    Revenue is `priceWithDisc` (the price the seller's payout is computed from) of sales minus returns, in WB's
    default currency (the report names none).
    UNCONFIRMED: the sign WB gives return rows; amounts are taken as absolute values.
    """
    totals: dict[tuple[_date, str], list] = {}
    for sale in sales:
        day, kind = moscow_day(sale.date), _sale_kind(sale)
        if day is None or kind is None or not (date_from <= day <= date_to):
            continue
        sku = sale.supplierArticle or str(sale.nmId)
        entry = totals.setdefault((day, sku), [0, 0, Decimal(0)])
        amount = abs(sale.priceWithDisc or Decimal(0))
        if kind == "sale":
            entry[0] += 1
            entry[2] += amount
        else:
            entry[1] += 1
            entry[2] -= amount
    return [SalesRow(day=day, sku=sku, quantity=qty, revenue=revenue, currency=WB_CURRENCY, returns=back)
            for (day, sku), (qty, back, revenue) in sorted(totals.items())]


async def sales(client: WildberriesClient, date_from: _date, date_to: _date) -> list[SalesRow]:
    """Sales and returns per day and seller SKU, from the statistics sales report (flag=0: rows changed since
    dateFrom, up to ~80,000 per reply; the next reply starts at the last row's lastChangeDate)."""
    rows: dict[str, WbSale] = {}
    since = wb_statistics_time(datetime.combine(date_from, datetime.min.time()).isoformat())
    while True:
        page = await client.read("GET", "statistics", "/api/v1/supplier/sales", list[WbSale],
                                 group="statistics_sales", params={"dateFrom": since, "flag": 0})
        rows.update((sale.saleID, sale) for sale in page if sale.saleID)  # pages overlap at the boundary
        if len(page) < WB_SALES_FULL_REPLY or not page[-1].lastChangeDate:
            return sales_rows(rows.values(), date_from, date_to)
        since = wb_statistics_time(page[-1].lastChangeDate)
