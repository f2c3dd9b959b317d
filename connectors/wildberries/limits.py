"""Wildberries' published rate limits (MARKETPLACES.md §3.2; x-wb-rate-limits of the 2026-08-19 spec) and the
Pace each request takes. WB documents a token bucket (Period / Limit / Interval / Burst), so these are plain
buckets (no window guard)."""
from __future__ import annotations

from connectors.base import Marketplace
from connectors.clock import Clock
from connectors.http import Reply, header_number
from connectors.pacing import DAY, HOUR, MINUTE, Pace, RateSpec, pacer_for

# Tiers: "standard" = Personal / Service / Base-with-secret; "base" = Base token; "test" = sandbox token.
WB_STANDARD = "standard"
WB_BASE = "base"
WB_TEST = "test"
WB_TOKEN_TIERS: dict[str, str] = {
    "personal": WB_STANDARD,
    "service": WB_STANDARD,  # "the service limit applies to all tokens within a single service": key by service id
    "base": WB_BASE,
    "test": WB_TEST,
    "unknown": WB_BASE,  # an unreadable token type gets the strictest limits
}
# Group -> the API category it belongs to (the sandbox limit is per whole category).
WB_GROUP_CATEGORY: dict[str, str] = {
    "content": "content",
    "marketplace": "marketplace",
    "prices": "prices",
    "statistics": "statistics",
    "statistics_sales": "statistics",
    "statistics_orders": "statistics",
    "analytics": "analytics",
    "analytics_funnel": "analytics",
    "seller_info": "common",
    "ping": "common",
    "supplies_warehouses": "supplies",
}
WB_LIMITS: dict[tuple[str, str], RateSpec] = {
    # POST content/v2/get/cards/list: 100/min, 600 ms, burst 5, for the whole Content category, all tokens.
    ("content", WB_STANDARD): RateSpec(100, MINUTE, burst=5),
    ("content", WB_BASE): RateSpec(100, MINUTE, burst=5),
    # Marketplace category (stocks, warehouses, orders): 300/min, 200 ms, burst 20.
    ("marketplace", WB_STANDARD): RateSpec(300, MINUTE, burst=20),
    # UNCONFIRMED: the intro example says Base 150/min burst 10; the Aug-2026 spec shows one row for all.
    ("marketplace", WB_BASE): RateSpec(150, MINUTE, burst=10),
    # discounts-prices-api (upload/task, list/goods/filter, history/tasks, buffer/tasks): 10 per 6 s, burst 5.
    ("prices", WB_STANDARD): RateSpec(10, 6.0, burst=5),
    ("prices", WB_BASE): RateSpec(4, HOUR, burst=1),  # 4 tasks per hour: queue, don't fail
    # statistics-api supplier/sales: 1/min burst 1; Base 1 per 2 h.
    ("statistics_sales", WB_STANDARD): RateSpec(1, MINUTE, burst=1),
    ("statistics_sales", WB_BASE): RateSpec(1, 2 * HOUR, burst=1),
    # statistics-api supplier/orders: 1/min burst 10; Base 1 per 3 h.
    ("statistics_orders", WB_STANDARD): RateSpec(1, MINUTE, burst=10),
    ("statistics_orders", WB_BASE): RateSpec(1, 3 * HOUR, burst=1),
    # Other statistics methods (e.g. supplier/stocks): UNCONFIRMED, paced like sales.
    ("statistics", WB_STANDARD): RateSpec(1, MINUTE, burst=1),
    ("statistics", WB_BASE): RateSpec(1, 2 * HOUR, burst=1),
    # seller-analytics-api sales-funnel/products: 3/min, 20 s, burst 3; Base 2 per hour (burst UNCONFIRMED: 1).
    ("analytics_funnel", WB_STANDARD): RateSpec(3, MINUTE, burst=3),
    ("analytics_funnel", WB_BASE): RateSpec(2, HOUR, burst=1),
    ("analytics", WB_STANDARD): RateSpec(3, MINUTE, burst=3),  # UNCONFIRMED for other analytics methods
    ("analytics", WB_BASE): RateSpec(2, HOUR, burst=1),
    # common-api seller-info: 1/min burst 10; Base 1 per 24 h.
    ("seller_info", WB_STANDARD): RateSpec(1, MINUTE, burst=10),
    ("seller_info", WB_BASE): RateSpec(1, DAY, burst=1),
    # supplies-api v1/warehouses: 6/min (burst UNCONFIRMED: 1); Base 1 per 12 h.
    ("supplies_warehouses", WB_STANDARD): RateSpec(6, MINUTE, burst=1),
    ("supplies_warehouses", WB_BASE): RateSpec(1, 12 * HOUR, burst=1),
    # <host>/ping: 3 per 30 s per host variant (March spec; burst UNCONFIRMED: 1). Key it by host too.
    ("ping", WB_STANDARD): RateSpec(3, 30.0, burst=1),
    ("ping", WB_BASE): RateSpec(3, 30.0, burst=1),
}
# Test token (sandbox hosts): at most 1 request/s for a whole category in total.
WB_TEST_LIMIT = RateSpec(1, 1.0, burst=1)
# "Marketplace 4xx responses count as 10 requests."
WB_MARKETPLACE_4XX_COST = 10


def wb_tier(token_type: str, has_secret: bool = False) -> str:
    """The limit tier of a WB token type ("base" with a service secret gets the standard limits)."""
    tier = WB_TOKEN_TIERS.get(token_type, WB_BASE)
    return WB_STANDARD if tier == WB_BASE and has_secret else tier


def wb_spec(group: str, tier: str) -> RateSpec:
    return WB_TEST_LIMIT if tier == WB_TEST else WB_LIMITS[(group, tier)]


def wb_pace(group: str, token_type: str, account: str, *, has_secret: bool = False, host: str | None = None,
            clock: Clock | None = None, max_wait: float | None = None) -> Pace:
    """Wildberries. `account`: the service id for Service tokens (their limit is shared by the whole
    service), else the seller id (`sid`). `group`: a key of WB_GROUP_CATEGORY. `host` for "ping"."""
    tier = wb_tier(token_type, has_secret)
    name = WB_GROUP_CATEGORY.get(group, group) if tier == WB_TEST else group
    key: tuple = (Marketplace.WILDBERRIES.value, account, name, tier)
    if host is not None:
        key += (host,)
    lim = pacer_for(key, wb_spec(name, tier), clock=clock)
    error_cost = WB_MARKETPLACE_4XX_COST if WB_GROUP_CATEGORY.get(group) == "marketplace" else None
    return Pace(lim, error_cost=error_cost, max_wait=max_wait)


def wb_remaining(reply: Reply, now: float) -> tuple[float, float | None] | None:
    """`ErrorPolicy.remaining` for WB: `X-Ratelimit-Remaining` (every reply but 429); the bucket refills."""
    value = header_number(reply.headers.get("X-Ratelimit-Remaining"))
    return None if value is None else (value, None)
