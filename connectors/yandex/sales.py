"""Yandex Market sales (analytics) and finance, both from one report.

- sales:   POST /v2/campaigns/{campaignId}/stats/orders (getOrdersStats; dateFrom/dateTo, pageToken, limit <= 200):
           units, revenue and returns summed per day (the order's creation date, Moscow time) and seller SKU.
           Revenue is what the buyer paid (the BUYER price, after discounts, coupons included). Cancelled, unpaid,
           lost and test (fake) orders are not sales (`NOT_SALES`); the delivery line ("Доставка") has no SKU and is
           left out. The data is delayed up to 40 minutes (Yandex: use getBusinessOrders for real time).
- finance: the same operation by updateFrom/updateTo: per order whose goods reached the buyer (`FINANCE_STATUSES`),
           each SKU's sale (BUYER total) and return (returned units x BUYER price per unit), and each service of
           `commissions[]` mapped to a MoneyKind (`COMMISSION_KINDS`), all on the day of the order's last status
           change (statusUpdateDate, Moscow time). The report has no storage of goods, ads outside orders, penalties
           or payouts: those are in Yandex's async reports (docs/finance-yandex.md).

Both split a period into requests of at most limits.STATS_MAX_DAYS days.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from decimal import Decimal

from connectors.base import FinanceEntry, MoneyKind, SalesRow
from connectors.yandex import limits
from connectors.yandex.account import campaign_id
from connectors.yandex.api import YandexApi
from connectors.yandex.models import MARKET_TZ, YandexStatsOrder, YandexStatsReply, aware, to_currency

# getOrdersStats statuses that are not sales (the goods never reached the buyer).
NOT_SALES = frozenset({"CANCELLED_BEFORE_PROCESSING", "CANCELLED_IN_PROCESSING", "CANCELLED_IN_DELIVERY",
                       "UNPAID", "LOST"})
# The statuses whose money has moved: the goods reached the buyer (and some may have come back). UNCONFIRMED whether
# Market also bills services (delivery, sorting) for orders cancelled in delivery or lost: those are left out.
FINANCE_STATUSES = frozenset({"DELIVERED", "PARTIALLY_DELIVERED", "PARTIALLY_RETURNED", "RETURNED"})
# OrdersStatsCommissionType -> what the service is. A type newer than our copy of the spec is an OTHER_FEE: a charge
# all the same. (FULFILLMENT "not returned since 1 Jan 2024", INSTALLMENT "since 24 Feb 2022" are kept for old orders.)
COMMISSION_KINDS: dict[str, MoneyKind] = {
    "FEE": MoneyKind.COMMISSION,  # placing the goods on Market: the sales commission
    "LOYALTY_PARTICIPATION_FEE": MoneyKind.ADVERTISING,  # loyalty programme, reviews for points
    "AUCTION_PROMOTION": MoneyKind.ADVERTISING,  # sales boost paid per sale
    "INSTALLMENT": MoneyKind.OTHER_FEE,
    "DELIVERY_TO_CUSTOMER": MoneyKind.LOGISTICS,
    "EXPRESS_DELIVERY_TO_CUSTOMER": MoneyKind.LOGISTICS,
    "CROSSREGIONAL_DELIVERY": MoneyKind.LOGISTICS,  # the middle mile
    "FULFILLMENT": MoneyKind.LOGISTICS,  # warehouse handling
    "SORTING": MoneyKind.LOGISTICS,  # order handling (FBS)
    "INTAKE_SORTING": MoneyKind.LOGISTICS,  # collecting orders from the seller's warehouse
    "RETURN_PROCESSING": MoneyKind.LOGISTICS,  # handling returns at the warehouse
    "FULFILLMENT_WITHDRAW": MoneyKind.LOGISTICS,  # taking goods out of Market's warehouse
    "RETURNED_ORDERS_STORAGE": MoneyKind.STORAGE,  # keeping unredeemed and returned orders
    "AGENCY": MoneyKind.OTHER_FEE,  # accepting the buyer's payment (acquiring)
    "PAYMENT_TRANSFER": MoneyKind.OTHER_FEE,  # transferring the buyer's payment
    "ILLIQUID_GOODS_SALE": MoneyKind.OTHER_FEE,  # Market's reward for selling goods left at its warehouse
    "ITEM_BOOKING": MoneyKind.OTHER_FEE,  # Market Yandex Go only
}
# Price parts besides the BUYER price (Plus points, Market's coupons): UNCONFIRMED that Market pays them to the seller
# on top of what the buyer paid; taken as COMPENSATION so that profit counts them, one line each.
COMPENSATED_PRICES = ("CASHBACK", "MARKETPLACE")
CENT = Decimal("0.01")


def stats_windows(date_from: date, date_to: date) -> Iterator[tuple[date, date]]:
    """date_from..date_to (both included) in requests of at most STATS_MAX_DAYS days."""
    start = date_from
    while start <= date_to:
        end = min(date_to, start + timedelta(days=limits.STATS_MAX_DAYS - 1))
        yield start, end
        start = end + timedelta(days=1)


async def stats_orders(api: YandexApi, date_from: date, date_to: date, *, by_update: bool
                       ) -> AsyncIterator[YandexStatsOrder]:
    """Every order of getOrdersStats created (or, `by_update`, changed) in the period, window by window."""
    campaign = await campaign_id(api)
    names = ("updateFrom", "updateTo") if by_update else ("dateFrom", "dateTo")
    for start, end in stats_windows(date_from, date_to):
        async for order in api.paged(
            "POST", f"/v2/campaigns/{campaign}/stats/orders", YandexStatsReply, scope=f"campaign:{campaign}",
            resource="getOrdersStats", limit=limits.STATS_PAGE_LIMIT,
            items=lambda p: (p.result.orders, p.result.paging),
            body={names[0]: start.isoformat(), names[1]: end.isoformat()},
        ):
            yield order


async def sales(api: YandexApi, date_from: date, date_to: date) -> list[SalesRow]:
    """Units and revenue per day (order creation date) and seller SKU; cancelled and test orders are left out."""
    totals: dict[tuple[date, str], list] = {}
    async for order in stats_orders(api, date_from, date_to, by_update=False):
        if order.fake or order.status in NOT_SALES or order.creationDate is None:
            continue
        for item in order.items:
            if not item.shopSku:  # the delivery line ("Доставка") has no SKU
                continue
            row = totals.setdefault((order.creationDate, item.shopSku), [0, Decimal(0), 0, order.currency])
            row[0] += item.count or 0
            row[1] += item.revenue()
            row[2] += item.returned()
    return [
        SalesRow(day=day, sku=sku, quantity=qty, revenue=revenue, currency=to_currency(currency), returns=returns)
        for (day, sku), (qty, revenue, returns, currency) in sorted(totals.items())
    ]


async def finance(api: YandexApi, date_from: date, date_to: date) -> list[FinanceEntry]:
    """The money of the orders whose last status change falls in date_from..date_to (Moscow days): sales, returns
    and Market's services, one entry per (order, SKU, kind) and per (order, service). Test orders are left out."""
    entries: dict[str, FinanceEntry] = {}
    async for order in stats_orders(api, date_from, date_to, by_update=True):
        for entry in order_entries(order):
            if date_from <= entry.day <= date_to:
                entries[entry.key] = entry  # an order changed in two windows is read twice: kept once
    return sorted(entries.values(), key=lambda e: (e.day, e.key))


def order_entries(order: YandexStatsOrder) -> list[FinanceEntry]:
    """One order's finance entries (none while its goods have not reached the buyer)."""
    if order.fake or order.status not in FINANCE_STATUSES or order.id is None:
        return []
    moment = order.statusUpdateDate
    day = aware(moment).astimezone(MARKET_TZ).date() if moment is not None else order.creationDate
    if day is None:
        return []
    order_id = str(order.id)
    currency = to_currency(order.currency)
    sold: dict[str, dict[MoneyKind | str, list]] = {}  # sku -> kind -> [amount, units]
    for item in order.items:
        if not item.shopSku:  # the delivery line ("Доставка") is what the buyer paid Market for delivery
            continue
        lines = sold.setdefault(item.shopSku, {})
        units, returned = item.count or 0, item.returned()
        unit_price, total = item.price("BUYER")
        if not unit_price and units:
            unit_price = total / units
        _add(lines, MoneyKind.SALE, total, units)
        _add(lines, MoneyKind.RETURN, unit_price * returned, returned)
        for kind in COMPENSATED_PRICES:
            _add(lines, kind, item.price(kind)[1], None)
    entries = [
        FinanceEntry(day=day, kind=_kind(kind), amount=_money(amount), currency=currency,
                     key=f"{order_id}:{sku}:{str(kind).lower()}", sku=sku, order_id=order_id, quantity=units)
        for sku, lines in sold.items() for kind, (amount, units) in lines.items() if amount > 0
    ]
    # Services are billed per order: they name a SKU only when the order holds one.
    only_sku = next(iter(sold)) if len(sold) == 1 else None
    services: dict[str, Decimal] = {}
    for commission in order.commissions or ():
        if commission.type and commission.actual:
            services[commission.type] = services.get(commission.type, Decimal(0)) + commission.actual
    for service, amount in services.items():
        # A negative service is Market giving a charge back: money to the seller.
        kind = COMMISSION_KINDS.get(service, MoneyKind.OTHER_FEE) if amount > 0 else MoneyKind.COMPENSATION
        if amount:
            entries.append(FinanceEntry(day=day, kind=kind, amount=_money(abs(amount)), currency=currency,
                                        key=f"{order_id}:{service}:{kind.value}", sku=only_sku, order_id=order_id))
    return entries


def _add(lines: dict, kind: MoneyKind | str, amount: Decimal, units: int | None) -> None:
    """Sum one item's amount (and units) into its SKU's line of that kind (a SKU may be on several items)."""
    line = lines.setdefault(kind, [Decimal(0), None if units is None else 0])
    line[0] += amount
    if units is not None:
        line[1] += units


def _kind(kind: MoneyKind | str) -> MoneyKind:
    return kind if isinstance(kind, MoneyKind) else MoneyKind.COMPENSATION


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT)
