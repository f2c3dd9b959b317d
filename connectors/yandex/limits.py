"""Yandex Market's published limits, in one place: the rate limits (MARKETPLACES.md §2.2-2.3; x-resource-limit-config
of the spec, "none" tier) and the Pace each request takes; batch and page sizes (the schemas' maxItems and page
limits); the body size, value ranges and periods the API allows; and our own retry counts and memo times.
"""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from connectors.base import Marketplace
from connectors.clock import Clock
from connectors.http import Reply, header_number, http_date_header
from connectors.pacing import GUARD_UNDOCUMENTED_WINDOWS as GUARD
from connectors.pacing import HOUR, MINUTE, Pace, RateSpec, pacer_for

# Parallel requests per campaignId (/campaigns/{id}/...), per businessId (/businesses/{id}/...), per cabinet
# otherwise. The new page says 4, the Sept-2025 page said 2: design for <= 2.
YANDEX_MAX_PARALLEL = 2
YANDEX_PARALLEL = RateSpec.parallel(YANDEX_MAX_PARALLEL)
# Resource limits by operationId. The medium tier is sometimes higher (what decides it is UNCONFIRMED), so
# these are the lower "none" numbers. Resources counted in items (YANDEX_ITEM_COUNTED) take cost=<items>;
# for reads counted in the reply's items, pass the page `limit` as the cost.
YANDEX_RESOURCE_LIMITS: dict[str, RateSpec] = {
    "getCampaigns": RateSpec(1_000, HOUR, window=GUARD),
    "getCampaign": RateSpec(5_000, HOUR, window=GUARD),
    "getAuthTokenInfo": RateSpec(100, HOUR, window=GUARD),
    "getBusinessSettings": RateSpec(100, HOUR, window=GUARD),
    "getOfferMappings": RateSpec(100, MINUTE, window=GUARD),  # medium: 600/min
    "getCampaignOffers": RateSpec(1_000, MINUTE, window=GUARD),  # medium: 10,000/min
    "getStocks": RateSpec(100_000, MINUTE, window=GUARD),  # offers in the reply
    "updateStocks": RateSpec(100_000, MINUTE, window=GUARD),  # SKUs in the request (<= 2,000 per request)
    "updateBusinessPrices": RateSpec(10_000, MINUTE, window=GUARD),  # offers in the request (<= 500)
    "updatePrices": RateSpec(10_000, MINUTE, max_parallel=12, window=GUARD),  # offers (<= 2,000); 12 parallel
    "getDefaultPrices": RateSpec(5_000, MINUTE, window=GUARD),  # offers in the reply; medium 10,000
    "getPrices": RateSpec(150_000, MINUTE, window=GUARD),  # offers in the reply
    "getBusinessOrders": RateSpec(10_000, HOUR, max_parallel=6, window=GUARD),
    "getOrders": RateSpec(10_000, HOUR, max_parallel=6, window=GUARD),  # deprecated
    "getOrder": RateSpec(10_000, HOUR, max_parallel=6, window=GUARD),  # deprecated
    "updateOrderStatus": RateSpec(10_000, HOUR, window=GUARD),
    "updateOrderStatuses": RateSpec(10_000, HOUR, window=GUARD),  # orders in the reply
    "setOrderBoxLayout": RateSpec(10_000, HOUR, window=GUARD),
    "getOrdersStats": RateSpec(10_000, HOUR, window=GUARD),
    "getGoodsStats": RateSpec(2_000, MINUTE, window=GUARD),  # shopSkus in the reply (<= 500 per request)
    "getPagedWarehouses": RateSpec(100, HOUR, window=GUARD),
    "getWarehouses": RateSpec(100, MINUTE, window=GUARD),  # deprecated
    "getFulfillmentWarehouses": RateSpec(100, HOUR, window=GUARD),
}
YANDEX_ITEM_COUNTED = frozenset(
    {"getStocks", "updateStocks", "updateBusinessPrices", "updatePrices", "getDefaultPrices", "getPrices",
     "updateOrderStatuses", "getGoodsStats"}
)


def yandex_pace(scope: str, resource: str, *, cost: float = 1, clock: Clock | None = None,
                max_wait: float | None = None) -> Pace:
    """Yandex. `scope`: "campaign:<id>" / "business:<id>" (the URL's) or "cabinet:<credential_id>";
    `resource`: the operationId; `cost`: items for YANDEX_ITEM_COUNTED resources."""
    resource_lim = pacer_for((Marketplace.YANDEX.value, scope, resource), YANDEX_RESOURCE_LIMITS[resource], clock=clock)
    parallel = pacer_for((Marketplace.YANDEX.value, scope, "parallel"), YANDEX_PARALLEL, clock=clock)
    return Pace((resource_lim, cost), parallel, max_wait=max_wait)


def yandex_remaining(reply: Reply, now: float) -> tuple[float, float | None] | None:
    """`ErrorPolicy.remaining` for Yandex: `X-RateLimit-Resource-Remaining` until `-Until` (RFC 822)."""
    value = header_number(reply.headers.get("X-RateLimit-Resource-Remaining"))
    if value is None:
        return None
    until = http_date_header(reply, "X-RateLimit-Resource-Until", now)
    return value, (None if until is None else now + until)


# ------------------------------------------------------------------------------- page and batch sizes
# `limit` of GET /v2/campaigns (PageLimit100WithoutDefault: 1..100).
CAMPAIGNS_PAGE_LIMIT = 100
# A loop guard for campaigns: 100 pages x 100 campaigns is far beyond any real cabinet.
CAMPAIGNS_MAX_PAGES = 100
OFFERS_PAGE_LIMIT = 100  # getOfferMappings: PageLimit100Truncate
STOCK_READ_BATCH = 500  # getStocks: GetWarehouseStocksRequest.offerIds maxItems (answered whole, no paging)
STOCK_UPDATE_BATCH = 2_000  # updateStocks: UpdateStocksRequest.skus maxItems
BUSINESS_PRICE_BATCH = 500  # updateBusinessPrices: UpdateBusinessPricesRequest.offers maxItems
CAMPAIGN_PRICE_BATCH = 2_000  # updatePrices: UpdatePricesRequest.offers maxItems
ORDERS_PAGE_LIMIT = 50  # getBusinessOrders: PageLimit50Truncate
STATS_PAGE_LIMIT = 200  # getOrdersStats: PageLimit200
WAREHOUSES_PAGE_LIMIT = 30  # getPagedWarehouses: PageLimit30

# ---------------------------------------------------------------------------------- sizes and values
# "The maximum size of the request body is 512 KB" (concepts/limits): long SKUs can hit it before 2,000 items.
MAX_BODY_BYTES = 512 * 1024
MAX_STOCK_COUNT = 2_000_000_000  # UpdateStockItemDTO.count maximum
# Prices take at most 2 decimals ("Value of field has too high scale" otherwise).
PRICE_QUANTUM = Decimal("0.01")
# ShopSku: 1..255 characters, not only spaces, no control characters.
SHOP_SKU = re.compile(r"^(?=.*\S.*)[^\x00-\x08\x0A-\x1f\x7f]{1,255}$")

# ------------------------------------------------------------------------------------------ periods
ORDERS_MAX_RANGE = timedelta(days=30)  # getBusinessOrders: "at most 30 days per request"
# getOrdersStats: UNCONFIRMED. The spec and the method's page name no longest period (only 200 orders per page);
# we ask at most this many days per request, the orders methods' documented 30, so a long period never meets an
# undocumented cap as one huge request.
STATS_MAX_DAYS = 30
# The first orders_since() (no cursor) looks back as far as one request reaches (Yandex's own default too).
ORDERS_FIRST_LOOKBACK = ORDERS_MAX_RANGE
# Each poll starts this much before the cursor: whether updateDateFrom is inclusive, and its precision, are
# UNCONFIRMED; the overlap is filtered out by the cursor's (time, ids) so nothing repeats.
ORDERS_CURSOR_OVERLAP = timedelta(seconds=1)
# When a poll saw nothing newer, the cursor still moves up to this long before the poll's end: an update
# that Yandex indexes later than that is missed (new orders are also read by new_orders()).
ORDERS_SETTLE = timedelta(minutes=1)

# ------------------------------------------------------------------------------- retries and memos
# Business settings are limited to 100 requests per hour (getBusinessSettings): remember them this long (seconds).
SETTINGS_TTL = 600.0
# A read whose 200 reply cannot be parsed (cut off, garbage) is sent again this many times in total.
READ_ATTEMPTS = 3

# ----------------------------------------------------------------------------------- notifications
# How long Market waits for our reply to a notification (paths/notification.yaml): reply first, poll after.
NOTIFICATION_REPLY_TIMEOUT = 10.0
PING_REPLY_TIMEOUT = 1.0
