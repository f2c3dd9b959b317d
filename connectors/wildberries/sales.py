"""Wildberries sales analytics, per day and seller SKU, and the finance report's money lines.

- GET statistics /api/v1/supplier/sales?dateFrom&flag=0 (rows changed since dateFrom, up to ~80,000 per reply;
  the next reply starts at the last row's lastChangeDate). Base token: 1 request per 2 h (limits.WB_LIMITS).
- POST finance /api/finance/v1/sales-reports/detailed {dateFrom, dateTo, limit, rrdId, period} (the sales report
  detail by period; pages by the last row's rrdId until 204). 1 request a minute; Base token 2 per 24 h. The old
  statistics reportDetailByPeriod is gone from the 2026-08 docs and is never called. What each field becomes:
  docs/finance-wildberries.md.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date as _date
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from connectors.base import FinanceEntry, MoneyKind, SalesRow
from connectors.wildberries.errors import Garbled
from connectors.wildberries.limits import (
    WB_FINANCE_FIRST_DAY,
    WB_FINANCE_MAX_DAYS,
    WB_FINANCE_PAGE,
    WB_FINANCE_REPORT_PERIOD,
    WB_FINANCE_SHORT_PAGE_IS_LAST,
    WB_SALES_FULL_REPLY,
)
from connectors.wildberries.models import WB_CURRENCY, WbReportRow, WbSale, currency_of_text, moscow_day, parse_reply

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


# ------------------------------------------------------------------------------------------ finance
WB_FINANCE_PATH = "/api/finance/v1/sales-reports/detailed"
# docTypeName of goods rows (the spec's example is "Продажа"). UNCONFIRMED that the English docs' API sends the
# same Russian words; other rows (logistics, storage, fines, corrections) carry only the fee fields below.
WB_SALE_DOC_TYPES = frozenset({"продажа"})
WB_RETURN_DOC_TYPES = frozenset({"возврат"})
# Fee fields of any row -> (kind when positive, kind when negative: money WB pays the seller instead).
# UNCONFIRMED: the signs (WB documents none) and that rebillLogisticCost is charged on top of deliveryService.
WB_FEE_FIELDS: tuple[tuple[str, MoneyKind, MoneyKind], ...] = (
    ("deliveryService", MoneyKind.LOGISTICS, MoneyKind.COMPENSATION),
    ("rebillLogisticCost", MoneyKind.LOGISTICS, MoneyKind.COMPENSATION),
    ("paidAcceptance", MoneyKind.LOGISTICS, MoneyKind.COMPENSATION),
    ("paidStorage", MoneyKind.STORAGE, MoneyKind.COMPENSATION),
    ("penalty", MoneyKind.PENALTY, MoneyKind.COMPENSATION),
    ("deduction", MoneyKind.OTHER_FEE, MoneyKind.COMPENSATION),
    ("cashbackAmount", MoneyKind.OTHER_FEE, MoneyKind.COMPENSATION),
    ("cashbackCommissionChange", MoneyKind.OTHER_FEE, MoneyKind.COMPENSATION),
    # "WB fee adjustment": a positive one is paid to the seller
    ("additionalPayment", MoneyKind.COMPENSATION, MoneyKind.OTHER_FEE),
)


def _periods(date_from: _date, date_to: _date) -> Iterator[tuple[_date, _date]]:
    """[date_from, date_to] in spans of at most WB_FINANCE_MAX_DAYS days, none before WB's data starts."""
    start = max(date_from, WB_FINANCE_FIRST_DAY)
    while start <= date_to:
        end = min(date_to, start + timedelta(days=WB_FINANCE_MAX_DAYS - 1))
        yield start, end
        start = end + timedelta(days=1)


def _add(figures: dict[MoneyKind, Decimal], kind: MoneyKind, amount: Decimal) -> None:
    figures[kind] = figures.get(kind, Decimal(0)) + amount


def _row_figures(row: WbReportRow) -> dict[MoneyKind, Decimal]:
    """One report row's money per kind (positive amounts).

    Goods rows: the sale / refund is `retailAmount` ("Sales on WB"); on a sale WB keeps `retailAmount - forPay`
    ("Net revenue for sold items"), of which `acquiringFee` is the payment fee (OTHER_FEE) and the rest its
    commission; on a return what WB gives back of its fee is COMPENSATION. UNCONFIRMED: that formula (WB names
    several partial fee fields, e.g. ppvzSalesCommission, vw, ppvzReward, whose sum it does not document) and the
    sign of return rows (amounts are taken as absolute values there)."""
    figures: dict[MoneyKind, Decimal] = {}
    doc = (row.docTypeName or "").strip().lower()
    retail, for_pay = row.retailAmount or Decimal(0), row.forPay or Decimal(0)
    if doc in WB_SALE_DOC_TYPES:
        _add(figures, MoneyKind.SALE, abs(retail))
        kept, acquiring = retail - for_pay, row.acquiringFee or Decimal(0)
        for amount, kind, back in ((kept - acquiring, MoneyKind.COMMISSION, MoneyKind.COMPENSATION),
                                   (acquiring, MoneyKind.OTHER_FEE, MoneyKind.COMPENSATION)):
            if amount:
                _add(figures, kind if amount > 0 else back, abs(amount))
    elif doc in WB_RETURN_DOC_TYPES:
        _add(figures, MoneyKind.RETURN, abs(retail))
        given_back = abs(retail) - abs(for_pay)
        if given_back:
            _add(figures, MoneyKind.COMPENSATION if given_back > 0 else MoneyKind.COMMISSION, abs(given_back))
    for name, kind, negative in WB_FEE_FIELDS:
        amount = getattr(row, name) or Decimal(0)
        if amount:
            _add(figures, kind if amount > 0 else negative, abs(amount))
    return figures


# Kinds that name the order and the product where the row has them (storage, fines and the like do not).
_TIED_KINDS = frozenset({MoneyKind.SALE, MoneyKind.RETURN, MoneyKind.COMMISSION, MoneyKind.LOGISTICS,
                         MoneyKind.OTHER_FEE, MoneyKind.COMPENSATION})


def finance_entries(rows: Iterable[WbReportRow]) -> list[FinanceEntry]:
    """Report rows -> FinanceEntry per row and kind (key `rrdId:kind`); the same row read twice counts once."""
    entries: dict[str, FinanceEntry] = {}
    for row in rows:
        day = row.rrDate or row.dateTo
        if day is None:
            raise Garbled(f"wildberries {WB_FINANCE_PATH}: row {row.rrdId} has no date")
        currency = currency_of_text(row.currency)
        order_id = str(row.orderId) if row.orderId else None
        sku = row.vendorCode or (str(row.nmId) if row.nmId else None)
        for kind, amount in _row_figures(row).items():
            tied = kind in _TIED_KINDS and order_id is not None
            quantity = abs(row.quantity) if kind in (MoneyKind.SALE, MoneyKind.RETURN) and row.quantity else None
            key = f"{row.rrdId}:{kind.value}"
            entries[key] = FinanceEntry(day=day, kind=kind, amount=amount, currency=currency, key=key,
                                        sku=sku if tied else None, order_id=order_id if tied else None,
                                        quantity=quantity)
    return sorted(entries.values(), key=lambda e: (e.day, e.key))


async def _report_page(client: WildberriesClient, body: dict) -> list[WbReportRow]:
    """One reply of the detail; 204 ("No data") is the end: an empty page."""
    what = f"wildberries POST {WB_FINANCE_PATH}"

    async def attempt() -> list[WbReportRow]:
        response = await client.send("POST", "finance", WB_FINANCE_PATH, group="finance_reports", body=body)
        if response.status_code == 204:
            return []
        if response.status_code != 200:
            raise Garbled(f"{what}: unexpected status {response.status_code}", status=response.status_code)
        return parse_reply(list[WbReportRow], response, what)

    return await client.call(attempt)


async def finance(client: WildberriesClient, date_from: _date, date_to: _date) -> list[FinanceEntry]:
    """The money lines of the sales report detail for [date_from, date_to] (Moscow days), one request per
    WB_FINANCE_MAX_DAYS and page, paced at the finance limit (a Base token's requests come 12 h apart)."""
    rows: list[WbReportRow] = []
    for start, end in _periods(date_from, date_to):
        after = 0
        while True:
            body = {"dateFrom": start.isoformat(), "dateTo": f"{end.isoformat()}T23:59:59",
                    "limit": WB_FINANCE_PAGE, "rrdId": after, "period": WB_FINANCE_REPORT_PERIOD}
            page = await _report_page(client, body)
            rows += page
            if not page or (WB_FINANCE_SHORT_PAGE_IS_LAST and len(page) < WB_FINANCE_PAGE):
                break
            if page[-1].rrdId <= after:  # a reply that does not move on would loop for ever
                raise Garbled(f"wildberries POST {WB_FINANCE_PATH}: rrdId did not advance past {after}")
            after = page[-1].rrdId
    return finance_entries(rows)
