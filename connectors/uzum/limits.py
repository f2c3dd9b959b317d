"""Uzum's limits in one place: rate limits, page sizes, batch sizes, windows and retry counts.

Uzum publishes none of them (MARKETPLACES.md §1.3, §5): 429 is seen in third-party code, and the one figure any
client names is "OpenAPI max for GET /v2/fbs/orders" = 50. Everything here is UNCONFIRMED, each a named constant
so a correction after the first live call is a one-line change. The sandbox stand-in models the same numbers
(`sandbox/marketplaces/uzum.py`; a contract test checks they agree).
"""
from __future__ import annotations

from connectors.base import Marketplace
from connectors.clock import Clock
from connectors.pacing import GUARD_UNDOCUMENTED_WINDOWS as GUARD
from connectors.pacing import Pace, RateSpec, pacer_for

# -- rate limits (every request of a token, paced by `uzum_pace`) -----------------------------------------
UZUM_DEFAULT = RateSpec(5, 1.0, burst=5, window=GUARD)  # UNCONFIRMED: a conservative guess, per token
UZUM_LIMITS: dict[str, RateSpec] = {"default": UZUM_DEFAULT}
UZUM_429_PENALTY = 1.0  # UNCONFIRMED: hold the token's limiter at least this long after a 429

# -- page sizes (page/size lists, 0-based) ----------------------------------------------------------------
# Orders: 50 in third-party code. The others have no known maximum; these are conservative. Whether
# GET /v2/fbs/sku/stocks pages at all is unknown: a server that ignores `page` is detected (the same first item
# again) and the read ends.
UZUM_PRODUCTS_PAGE_SIZE = 100  # GET /v1/product/shop/{shopId}
UZUM_STOCKS_PAGE_SIZE = 1000  # GET /v2/fbs/sku/stocks
UZUM_ORDERS_PAGE_SIZE = 50  # GET /v2/fbs/orders
UZUM_FINANCE_PAGE_SIZE = 100  # GET /v1/finance/orders
UZUM_EXPENSES_PAGE_SIZE = 100  # GET /v1/finance/expenses
UZUM_MIN_PAGE_SIZE = 10  # halving a refused page size stops here (see UzumClient.paged)

# -- write batches (items per request) --------------------------------------------------------------------
# No documented maximum; third-party code batches stock by 100.
UZUM_STOCK_BATCH = 100  # POST /v2/fbs/sku/stocks skuAmountList
UZUM_PRICE_BATCH = 100  # POST /v1/product/{shopId}/sendPriceData priceData

# -- periods ----------------------------------------------------------------------------------------------
# How far back `orders_since` re-reads orders to notice status changes (see connectors.uzum.orders).
UZUM_ORDER_LOOKBACK_DAYS = 14
# dateTo is "now" plus this much (seconds), so an order stamped by a server clock slightly ahead of ours is
# not missed.
UZUM_CLOCK_SKEW = 600

# Finance reports (GET /v1/finance/orders, /v1/finance/expenses): the longest dateFrom..dateTo one request
# may ask for. No client names a maximum; a month is what seller cabinets' reports offer at once.
UZUM_FINANCE_MAX_DAYS = 31
# Which date /v1/finance/orders filters on is unknown (probably the order's date, as its `date` field): its
# money is booked later (delivery, return), so each read starts this many days earlier and keeps the lines
# booked in the asked period. 30 covers a return (the sandbox's come up to 15 days after the order).
UZUM_FINANCE_LOOKBACK_DAYS = 30

# -- retries and caches -----------------------------------------------------------------------------------
# Whole-call attempts for reads and absolute writes (setting a stock or price twice leaves the same state).
# HttpCore already retries 5xx, timeouts and 429s inside each attempt; this outer loop also covers replies
# that cannot be read (a 200 with a broken body), which HttpCore hands back at once. Order actions are sent
# once (they are not idempotent).
UZUM_CALL_ATTEMPTS = 4
# GET /v2/fbs/sku/stocks objects kept between calls (stock pushes echo them back), oldest dropped first.
UZUM_STOCK_CACHE_MAX = 20_000


def uzum_pace(account: str, name: str = "default", *, clock: Clock | None = None,
              max_wait: float | None = None) -> Pace:
    """Uzum. `account`: `credential_id(token)`. Everything here is UNCONFIRMED (see UZUM_DEFAULT)."""
    lim = pacer_for((Marketplace.UZUM.value, account, name), UZUM_LIMITS.get(name, UZUM_DEFAULT), clock=clock)
    return Pace(lim, min_penalty=UZUM_429_PENALTY, max_wait=max_wait)
