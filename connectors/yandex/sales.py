"""Yandex Market sales (analytics).

- sales:  POST /v2/campaigns/{campaignId}/stats/orders (getOrdersStats; dateFrom/dateTo, pageToken, limit <= 200):
          units, revenue and returns summed per day (the order's creation date, Moscow time) and seller SKU.
          Revenue is what the buyer paid (the BUYER price, after discounts, coupons included). Cancelled, unpaid,
          lost and test (fake) orders are not sales (`NOT_SALES`); the delivery line ("Доставка") has no SKU and is
          left out. The data is delayed (Yandex: use getBusinessOrders for real time).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from connectors.base import SalesRow
from connectors.yandex import limits
from connectors.yandex.account import campaign_id
from connectors.yandex.api import YandexApi
from connectors.yandex.models import YandexStatsReply, to_currency

# getOrdersStats statuses that are not sales (the goods never reached the buyer).
NOT_SALES = frozenset({"CANCELLED_BEFORE_PROCESSING", "CANCELLED_IN_PROCESSING", "CANCELLED_IN_DELIVERY",
                       "UNPAID", "LOST"})


async def sales(api: YandexApi, date_from: date, date_to: date) -> list[SalesRow]:
    """Units and revenue per day (order creation date) and seller SKU; cancelled and test orders are left out."""
    campaign = await campaign_id(api)
    totals: dict[tuple[date, str], list] = {}
    async for order in api.paged(
        "POST", f"/v2/campaigns/{campaign}/stats/orders", YandexStatsReply, scope=f"campaign:{campaign}",
        resource="getOrdersStats", limit=limits.STATS_PAGE_LIMIT, items=lambda p: (p.result.orders, p.result.paging),
        body={"dateFrom": date_from.isoformat(), "dateTo": date_to.isoformat()},
    ):
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
