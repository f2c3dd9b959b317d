"""Ozon sales analytics: ordered units and revenue per SKU and day.

Call: /v1/analytics/data (date_from, date_to, metrics revenue + ordered_units, dimensions sku + day, limit
<= 1000 rows, offset), paced at 1 request per minute per account (connectors.ozon.limits.OZON_ANALYTICS).
Without a Premium subscription only the last 3 months and some metrics are available; ANALYTICS_METRICS are
the ones every seller may ask for.

Finance (`finance()`): /v3/finance/transaction/list, every accrual of the period (sales, returns, commissions,
services per posting, storage, promotion ...). At most one calendar month per request (limits.OZON_FINANCE_MAX_DAYS),
`page` from 1 with page_size <= 1000 while `page < page_count`, sent one at a time per account ("sequential
sending of requests": limits.OZON_FINANCE). How the fields map to MoneyKind: `operation_entries()` and
docs/finance-ozon.md.

Functions here take the OzonClient as `client` (connectors.ozon.client; not imported here).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from connectors.base import BadResponse, FinanceEntry, MoneyKind, SalesRow
from connectors.ozon import limits
from connectors.ozon.models import (
    OZON_CURRENCY,
    OzonAnalyticsReply,
    OzonAnalyticsRow,
    OzonOperation,
    OzonTransactionReply,
    decimal_or_none,
)

log = logging.getLogger("connectors.ozon")

# Metrics every seller may ask for (the others need a Premium subscription), and how the rows are cut.
ANALYTICS_METRICS = ("revenue", "ordered_units")
ANALYTICS_DIMENSIONS = ("sku", "day")
CENT = Decimal("0.01")


async def sales(client: Any, date_from: date, date_to: date) -> list[SalesRow]:
    """Ordered units and revenue per SKU and day (/v1/analytics/data, paced at 1 request per minute,
    1000 rows per page). `sku` is the offer_id where Ozon's SKU can be mapped to one, else the Ozon SKU."""
    rows: list[OzonAnalyticsRow] = []
    offset = 0
    for _ in range(limits.MAX_ANALYTICS_PAGES):
        body = {
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "metrics": list(ANALYTICS_METRICS),
            "dimension": list(ANALYTICS_DIMENSIONS),
            "filters": [],
            "limit": limits.ANALYTICS_PAGE_LIMIT,
            "offset": offset,
        }
        reply = await client.post("/v1/analytics/data", body, OzonAnalyticsReply, pace=client.pace("analytics"))
        rows.extend(reply.result.data)
        if len(reply.result.data) < limits.ANALYTICS_PAGE_LIMIT:
            break
        offset += len(reply.result.data)
    else:
        raise BadResponse("ozon /v1/analytics/data: too many pages")

    totals: dict[tuple[date, str], list[Decimal]] = {}
    for row in rows:
        if len(row.dimensions) < 2:
            continue
        sku, day_text = row.dimensions[0].id, row.dimensions[1].id
        try:
            day = date.fromisoformat(day_text.strip()[:10])
        except ValueError:
            log.warning("ozon analytics: unreadable day %r", day_text[:20])
            continue
        revenue = decimal_or_none(row.metrics[0] if row.metrics else None) or Decimal(0)
        units = decimal_or_none(row.metrics[1] if len(row.metrics) > 1 else None) or Decimal(0)
        entry = totals.setdefault((day, sku), [Decimal(0), Decimal(0)])
        entry[0] += revenue
        entry[1] += units
    totals = {key: value for key, value in totals.items() if any(value)}  # rows of nothing sold
    offers = await client.offers_for(sku for _, sku in totals)
    return [
        SalesRow(day=day, sku=offers.get(sku, sku), quantity=int(units), revenue=revenue.quantize(CENT))
        for (day, sku), (revenue, units) in sorted(totals.items())
    ]


# ------------------------------------------------------------------------------------------ finance
TRANSACTIONS = "/v3/finance/transaction/list"
# Service names (the `services[].name` list of the swagger's OperationService) that are logistics: delivery to
# and from the buyer, pipelines, drop-off, pick-up, cross-docking, packing, return processing.
OZON_LOGISTICS_SERVICES = frozenset({
    "MarketplaceNotDeliveredCostItem", "MarketplaceReturnAfterDeliveryCostItem", "MarketplaceDeliveryCostItem",
    "ItemAdvertisementForSupplierLogistic", "ItemAdvertisementForSupplierLogisticSeller",
    "MarketplaceServiceItemDelivToCustomer", "MarketplaceServiceItemDirectFlowTrans",
    "MarketplaceServiceItemDropoffFF", "MarketplaceServiceItemDropoffPVZ", "MarketplaceServiceItemDropoffSC",
    "MarketplaceServiceItemDropoffPPZ", "MarketplaceServiceItemFulfillment", "MarketplaceServiceItemPickup",
    "MarketplaceServiceItemReturnAfterDelivToCustomer", "MarketplaceServiceItemReturnFlowTrans",
    "MarketplaceServiceItemReturnNotDelivToCustomer", "MarketplaceServiceItemReturnPartGoodsCustomer",
    "MarketplaceServiceItemDeliveryKGT", "MarketplaceServiceItemDirectFlowLogistic",
    "MarketplaceServiceItemReturnFlowLogistic", "MarketplaceServiceItemRedistributionReturnsPVZ",
    "MarketplaceServiceItemReturnFromStock",
})
OZON_STORAGE_SERVICES = frozenset({
    "OperationMarketplaceServiceStorage", "MarketplaceReturnStorageServiceAtThePickupPointFbsItem",
    "MarketplaceReturnStorageServiceInTheWarehouseFbsItem",
})
OZON_ADVERTISING_SERVICES = frozenset({
    "MarketplaceMarketingActionCostItem", "MarketplaceSaleReviewsItem", "MarketplaceServicePremiumPromotion",
    "MarketplaceServicePremiumCashbackIndividualPoints", "ItemAgentServiceStarsMembership",
})
# What an operation's `amount` beyond its itemised fields is (storage, promotion and the like carry only
# `amount`), by `operation_type` (the swagger's operation_type list); a charge of any other type is OTHER_FEE.
OZON_OPERATION_KINDS: dict[str, MoneyKind] = {
    "OperationMarketplaceServiceStorage": MoneyKind.STORAGE,
    "MarketplaceReturnStorageServiceAtThePickupPointFbsItem": MoneyKind.STORAGE,
    "MarketplaceReturnStorageServiceInTheWarehouseFbsItem": MoneyKind.STORAGE,
    "MarketplaceMarketingActionCostOperation": MoneyKind.ADVERTISING,
    "MarketplaceSaleReviewsOperation": MoneyKind.ADVERTISING,
    "OperationMarketplaceServicePremiumCashback": MoneyKind.ADVERTISING,
    "MarketplaceServicePremiumPromotion": MoneyKind.ADVERTISING,
    "MarketplaceServicePremiumCashbackIndividualPoints": MoneyKind.ADVERTISING,
    "ItemAgentServiceStarsMembership": MoneyKind.ADVERTISING,
    "OperationElectronicServiceStencil": MoneyKind.ADVERTISING,
    "OperationElectronicServicesPromotionInSearch": MoneyKind.ADVERTISING,
    "OperationMarketplaceServiceItemElectronicServicesBrandShelf": MoneyKind.ADVERTISING,
    "OperationItemReturn": MoneyKind.LOGISTICS,
    "OperationReturnGoodsFBSofRMS": MoneyKind.LOGISTICS,
    "OperationMarketplaceCrossDockServiceWriteOff": MoneyKind.LOGISTICS,
    "MarketplaceServiceItemDeliveryKGT": MoneyKind.LOGISTICS,
    "MarketplaceServiceItemDirectFlowLogistic": MoneyKind.LOGISTICS,
    "MarketplaceServiceItemReturnFlowLogistic": MoneyKind.LOGISTICS,
    "MarketplaceServiceItemRedistributionReturnsPVZ": MoneyKind.LOGISTICS,
    "OperationClaim": MoneyKind.PENALTY,
    "OperationMarketplaceWithHoldingForUndeliverableGoods": MoneyKind.PENALTY,
}
# Kinds tied to the posting and its product when the operation names them (storage, ads etc. are the account's).
_PER_ORDER = frozenset({MoneyKind.SALE, MoneyKind.RETURN, MoneyKind.COMMISSION, MoneyKind.LOGISTICS})


def service_kind(name: str) -> MoneyKind:
    if name in OZON_LOGISTICS_SERVICES:
        return MoneyKind.LOGISTICS
    if name in OZON_STORAGE_SERVICES:
        return MoneyKind.STORAGE
    if name in OZON_ADVERTISING_SERVICES:
        return MoneyKind.ADVERTISING
    return MoneyKind.OTHER_FEE


def operation_day(operation: OzonOperation) -> date:
    """The accounting day of an operation: the date `operation_date` writes (limits.OZON_FINANCE_TZ)."""
    try:
        return date.fromisoformat(operation.operation_date.strip()[:10])
    except ValueError:
        raise BadResponse(f"ozon {TRANSACTIONS}: unreadable operation_date",
                          detail=operation.operation_date[:30]) from None


def signed_figures(operation: OzonOperation) -> dict[MoneyKind, Decimal]:
    """The operation's money per kind, signed as Ozon writes it (+ to the seller). The sale price is SALE when
    positive (RETURN when taken back); each fee field is its kind; what `amount` holds beyond the itemised
    fields is the operation type's kind (OZON_OPERATION_KINDS)."""
    figures: dict[MoneyKind, Decimal] = {}

    def add(kind: MoneyKind, value: Decimal) -> None:
        if value:
            figures[kind] = figures.get(kind, Decimal(0)) + value

    sale = operation.accruals_for_sale
    add(MoneyKind.SALE if sale > 0 else MoneyKind.RETURN, sale)
    add(MoneyKind.COMMISSION, operation.sale_commission)
    add(MoneyKind.LOGISTICS, operation.delivery_charge + operation.return_delivery_charge)
    for service in operation.services:
        add(service_kind(service.name), service.price)
    itemised = (sale + operation.sale_commission + operation.delivery_charge + operation.return_delivery_charge
                + sum((s.price for s in operation.services), Decimal(0)))
    add(OZON_OPERATION_KINDS.get(operation.operation_type, MoneyKind.OTHER_FEE), operation.amount - itemised)
    return figures


def entry_kind(kind: MoneyKind, value: Decimal) -> MoneyKind:
    """A figure's kind once its sign is taken off: money a fee kind gives back to the seller (a commission
    refunded with a return, a service charge reversed) adds to the payout, so it is COMPENSATION."""
    if kind in (MoneyKind.SALE, MoneyKind.RETURN):
        return kind
    return MoneyKind.COMPENSATION if value > 0 else kind


def operation_entries(operation: OzonOperation, offers: dict[str, str]) -> list[FinanceEntry]:
    """The FinanceEntry lines of one operation: one per kind, keyed `{operation_id}:{kind}`. Sales, returns,
    commissions and logistics name the posting and the product (the seller's offer_id, `offers`: Ozon SKU ->
    offer_id) when the operation is about one product; quantity: the units of a sale or a return."""
    day = operation_day(operation)
    posting = operation.posting.posting_number if operation.posting else ""
    skus = [item.sku for item in operation.items if item.sku]
    sku = str(skus[0]) if skus and len(set(skus)) == 1 else None
    if skus and sku is None:
        log.info("ozon finance: operation %s covers %d products; its figures name no product",
                 operation.operation_id, len(set(skus)))
    units = len(skus) if limits.OZON_ITEMS_ARE_UNITS else len(set(skus))
    totals: dict[MoneyKind, Decimal] = {}
    for kind, value in signed_figures(operation).items():
        kind = entry_kind(kind, value)
        totals[kind] = totals.get(kind, Decimal(0)) + value
    entries = []
    for kind, value in totals.items():
        if not value:
            continue
        per_order = kind in _PER_ORDER
        entries.append(FinanceEntry(
            day=day, kind=kind, amount=abs(value).quantize(CENT), currency=OZON_CURRENCY,
            key=f"{operation.operation_id}:{kind}",
            sku=offers.get(sku, sku) if per_order and sku else None,
            order_id=posting if per_order and posting else None,
            quantity=units if kind in (MoneyKind.SALE, MoneyKind.RETURN) and units else None,
        ))
    return entries


def month_spans(date_from: date, date_to: date) -> Iterator[tuple[date, date]]:
    """date_from..date_to cut at calendar months: each span is one request (limits.OZON_FINANCE_MAX_DAYS)."""
    start = date_from
    while start <= date_to:
        next_month = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        end = min(date_to, next_month - timedelta(days=1), start + timedelta(days=limits.OZON_FINANCE_MAX_DAYS - 1))
        yield start, end
        start = end + timedelta(days=1)


def ozon_moment(moment: datetime) -> str:
    """An instant in the filter's format ("2021-11-01T00:00:00.000Z")."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def span_filter(first: date, last: date) -> dict:
    """The `filter.date` of the days first..last of Ozon's books (limits.OZON_FINANCE_TZ), both included."""
    tz = limits.OZON_FINANCE_TZ
    start = datetime.combine(first, time(0), tz)
    end = datetime.combine(last, time(23, 59, 59, 999_000), tz)
    return {"from": ozon_moment(start), "to": ozon_moment(end)}


async def transactions(client: Any, first: date, last: date) -> list[OzonOperation]:
    """Every operation of first..last (one calendar month at most), page by page."""
    operations: list[OzonOperation] = []
    for page in range(1, limits.MAX_FINANCE_PAGES + 1):
        # `posting_number` is left out: the filter is oneOf {posting_number} | {date}, and both present match both.
        body = {"filter": {"date": span_filter(first, last), "operation_type": [], "transaction_type": "all"},
                "page": page, "page_size": limits.TRANSACTION_PAGE_SIZE}
        reply = await client.post(TRANSACTIONS, body, OzonTransactionReply, pace=client.pace("finance"))
        operations.extend(reply.result.operations)
        if page >= reply.result.page_count or not reply.result.operations:
            return operations
    raise BadResponse(f"ozon {TRANSACTIONS}: too many pages")


async def finance(client: Any, date_from: date, date_to: date) -> list[FinanceEntry]:
    """Ozon's accruals of date_from..date_to (both included, days of Ozon's books) as FinanceEntry lines, from
    /v3/finance/transaction/list (one request per calendar month and page, one at a time per account)."""
    operations: dict[int, OzonOperation] = {}
    for first, last in month_spans(date_from, date_to):
        for operation in await transactions(client, first, last):
            operations[operation.operation_id] = operation  # a page boundary shifting under us repeats one
    kept = [op for op in operations.values() if date_from <= operation_day(op) <= date_to]
    offers = await client.offers_for({str(item.sku) for op in kept for item in op.items if item.sku})
    entries = [entry for op in kept for entry in operation_entries(op, offers)]
    return sorted(entries, key=lambda e: (e.day, e.key))
