"""Yandex Market's published rate limits (MARKETPLACES.md §2.2-2.3; x-resource-limit-config of the spec, "none"
tier) and the Pace each request takes."""
from __future__ import annotations

from connectors.base import Marketplace
from connectors.clock import Clock
from connectors.http import Reply, header_number, http_date_header
from connectors.pacing import GUARD_UNDOCUMENTED_WINDOWS as GUARD, HOUR, MINUTE, Pace, RateSpec, pacer_for

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
