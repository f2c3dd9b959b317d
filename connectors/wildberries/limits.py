"""Wildberries' published limits in one place: the rate limits (MARKETPLACES.md §3.2; x-wb-rate-limits of the
2026-08-19 spec) and the Pace each request takes, then every batch size, page size, period, retry count and
polling budget the connector uses (ru YAMLs; MARKETPLACES.md §3.3).

WB documents a token bucket (Period / Limit / Interval / Burst), so the rate limits are plain buckets (no window
guard). Every request goes through `wb_pace` (per seller or service, category, token tier); the server's
`X-Ratelimit-*` headers win over the local estimate (`wb_remaining`). `/ping` alone is not paced (see
`connectors.wildberries.account.ping`).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TypeVar

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
    "finance_reports": "finance",
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
    # finance-api POST /api/finance/v1/sales-reports/detailed: 1/min burst 1; Base 2 per 24 h, interval 12 h
    # (financial-reports-and-accounting.json x-wb-rate-limits, 2026-08-19).
    ("finance_reports", WB_STANDARD): RateSpec(1, MINUTE, burst=1),
    ("finance_reports", WB_BASE): RateSpec(2, DAY, burst=1),
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


def wb_prices_cheap(token_type: str) -> bool:
    """Whether the prices category may be used freely. A Base token has 4 requests per hour for all of it
    (uploads, status checks, price lists alike), so for Base tokens the catalog is listed without prices and
    price tasks are not polled (their items come back QUEUED; `price_task_results` checks later)."""
    return wb_tier(token_type) != WB_BASE


# PATCH /api/v3/orders/{orderId}/cancel has its own limit (orders-fbs.json x-wb-rate-limits): 100/min, burst 20,
# on top of the Marketplace category's.
WB_CANCEL_LIMIT = RateSpec(100, MINUTE, burst=20)

# ------------------------------------------------------------------------------ batch and page maxima
WB_CARDS_PAGE = 100  # cards/list cursor.limit maximum
WB_STOCK_BATCH = 1_000  # PUT /api/v3/stocks/{warehouseId}: stocks maxItems
WB_STOCK_READ_BATCH = 1_000  # UNCONFIRMED: POST /api/v3/stocks/{warehouseId} sets no maxItems; same as the write
WB_MAX_AMOUNT = 100_000  # stocks[].amount maximum
WB_STOCK_PUSH_ROUNDS = 3  # PUTs per batch at most: one refused for named items is resent without them
WB_PRICE_BATCH = 1_000  # upload/task: "Максимум 1 000 товаров"
WB_PRICE_PAGE = 1_000  # list/goods/filter and history/goods/task: limit maximum
WB_MAX_DISCOUNT = 99  # UNCONFIRMED: WB discounts are whole percents below 100
WB_ORDERS_PAGE = 1_000  # GET /api/v3/orders: limit maximum
WB_STATUS_BATCH = 1_000  # POST /api/v3/orders/status: orders maxItems
WB_SUPPLY_BATCH = 100  # PATCH /api/marketplace/v3/supplies/{supplyId}/orders: orders maxItems
WB_SUPPLIES_PAGE = 1_000  # GET /api/v3/supplies: limit maximum
WB_SUPPLY_NAME_MAX = 128  # POST /api/v3/supplies: name 1..128 characters

# -------------------------------------------------------------------------------------------- retries
# A read that failed (5xx, timeout, rate limit, an unreadable 2xx) is tried again up to this many times on top
# of HttpCore's own retries; rate-limit waits happen in the pacer, the others back off.
WB_CALL_TRIES = 4

# Price tasks are processed asynchronously: poll this many times, this far apart, before answering QUEUED.
WB_PRICE_TASK_POLLS = 5
WB_PRICE_TASK_POLL_INTERVAL = 2.0

# ------------------------------------------------------------------------------------- orders periods
# GET /api/v3/orders answers at most 30 days per request ("максимум 30 календарных дней").
WB_ORDERS_MAX_SPAN = 30 * 86_400
WB_ORDERS_SPAN_MARGIN = 3_600  # stay an hour inside the 30 days (clock skew between us and WB)
WB_ORDERS_FIRST_LOOKBACK = 30 * 86_400 - WB_ORDERS_SPAN_MARGIN  # the first poll: everything WB still lists
# UNCONFIRMED how late an order can appear in /api/v3/orders after its createdAt: each poll rescans this much
# before the newest order seen, and remembers the ids inside it so none repeats.
WB_ORDERS_OVERLAP = 3_600
# Orders that never reached a final state stop being tracked this long after creation.
WB_ORDER_TRACK_SECONDS = 45 * 86_400
WB_ORDER_CACHE_SIZE = 10_000  # orders kept in memory for get_order and the actions

# Sales: one reply holds up to about 80,000 rows ("условное ограничение 80000 строк"). UNCONFIRMED how close to
# that a cut-off reply comes: one this long is taken as cut off and continued (a Base token's next request
# comes 2 hours later), a shorter one as the end (WB's own rule, "until an empty array", costs one more).
WB_SALES_FULL_REPLY = 75_000

# ------------------------------------------------------------------------------------- finance reports
# POST finance-api…/api/finance/v1/sales-reports/detailed (financial-reports-and-accounting.json, 2026-08-19).
WB_FINANCE_PAGE = 100_000  # `limit` maximum (and default): rows per reply; the next reply starts after `rrdId`
WB_FINANCE_FIRST_DAY = date(2024, 1, 29)  # "The data is available since January 29, 2024"
# UNCONFIRMED: the spec names no longest period per request. One request per month keeps a 90-day backfill at 3
# requests (3 minutes; a Base token's 2 a day make it a day and a half either way).
WB_FINANCE_MAX_DAYS = 31
# UNCONFIRMED which periodicity to ask: `daily` rows come a day after the operation, `weekly` only once the week's
# report is formed; the spec does not say whether the two list the same rows (the job reads daily).
WB_FINANCE_REPORT_PERIOD = "daily"
# UNCONFIRMED: WB says "repeat until 204"; a reply shorter than `limit` is taken as the last one (saves a Base
# token one of its 2 requests a day).
WB_FINANCE_SHORT_PAGE_IS_LAST = True


T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    """`items` in slices of at most `size` (a batch maximum above), in order."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
