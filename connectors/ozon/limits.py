"""Ozon's published limits in one place (MARKETPLACES.md §4.2-4.3): the rate limits per Client-Id and the Pace
each request takes, every batch and page size, the longest period a list method takes, and the waits, retry
counts and loop guards the client uses. Bucket vs window: UNCONFIRMED (connectors.pacing.GUARD_UNDOCUMENTED_WINDOWS).

Feature modules read these as `limits.NAME` (module attributes), so a test may patch one in one place."""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from datetime import timedelta, timezone

from connectors.base import Marketplace
from connectors.clock import Clock
from connectors.pacing import GUARD_UNDOCUMENTED_WINDOWS as GUARD
from connectors.pacing import HOUR, MINUTE, Limiter, Pace, RateSpec, gate_for, pacer_for

# ------------------------------------------------------------------------------------- rate limits
OZON_GLOBAL = RateSpec(50, 1.0, window=GUARD)  # "a maximum of 50 requests per second to all methods"
OZON_STOCKS = RateSpec(80, MINUTE, window=GUARD)  # POST /v2/products/stocks: 80 requests per minute
OZON_ANALYTICS = RateSpec(1, MINUTE, window=GUARD)  # POST /v1/analytics/data: 1 request per minute
OZON_SAME_PAIR_INTERVAL = 30.0  # the same product-warehouse pair's stock at most once per 30 s
OZON_PRICE_PER_PRODUCT = (10, HOUR)  # each product's price at most 10 times per hour
# POST /v3/finance/transaction/list: "Use the method with sequential sending of requests" and no number: one
# request in flight per account, whoever sends it (the daily job and a backfill of the same account included).
OZON_FINANCE = RateSpec.parallel(1)
OZON_LIMITS: dict[str, RateSpec] = {"global": OZON_GLOBAL, "stocks": OZON_STOCKS, "analytics": OZON_ANALYTICS,
                                    "finance": OZON_FINANCE}
OZON_GATES: dict[str, tuple[float, int]] = {
    "stock_pairs": (OZON_SAME_PAIR_INTERVAL, 1),
    "price_products": (OZON_PRICE_PER_PRODUCT[1], OZON_PRICE_PER_PRODUCT[0]),
}
# A price change that would wait longer than this for its product's hourly budget (10 per hour) is not
# queued: it comes back as `rate_limited` at once and the rest of the batch goes out.
OZON_PRICE_MAX_QUEUE = 60.0

# "Circle is open": the method is blocked "for a few minutes"; no header says how long, so this estimate
# (longer than the inline-wait cap) hands the wait back to the caller instead of hammering the method.
OZON_CIRCLE_OPEN_WAIT = 120.0
# Per-second limit: one second is by definition enough.
OZON_PER_SECOND_WAIT = 1.0

# ------------------------------------------------------------------------------ batch and page sizes
WAREHOUSE_PAGE_LIMIT = 200  # POST /v2/warehouse/list: `limit` is required, maximum 200 (v2WarehouseListV2Request)
PRODUCT_PAGE_LIMIT = 1000  # /v3/product/list: limit 1..1000
PRODUCT_INFO_BATCH = 1000  # /v3/product/info/list: up to 1000 ids in total per request
STOCK_PAGE_LIMIT = 1000  # /v4/product/info/stocks: limit <= 1000
STOCK_READ_BATCH = 1000  # offer_ids per /v4/product/info/stocks filter
STOCK_BATCH = 100  # /v2/products/stocks: 100 product-warehouse pairs per request
PRICE_BATCH = 1000  # /v1/product/import/prices: prices.maxItems
POSTING_PAGE_LIMIT = 100  # /v4/posting/fbs/*list, /v3/posting/fbo/list: limit 1..100
ANALYTICS_PAGE_LIMIT = 1000  # /v1/analytics/data: limit 1..1000
TRANSACTION_PAGE_SIZE = 1000  # /v3/finance/transaction/list: page_size maximum 1000; `page` counts from 1
OZON_CANCEL_MESSAGE_LIMIT = 500  # /v2/posting/fbs/cancel: cancel_reason_message, characters

# ---------------------------------------------------------------------------------------- periods
# "The period shouldn't be longer than one year" (the list methods; FBO: PERIOD_IS_TOO_LONG).
OZON_MAX_PERIOD = timedelta(days=364)
# /v3/finance/transaction/list: "The maximum period for which you can get information in one request is 1
# month". UNCONFIRMED how Ozon counts a month: each request stays inside one calendar month (never longer
# than this many days), which is a month by any reading.
OZON_FINANCE_MAX_DAYS = 31
# UNCONFIRMED: the time zone of `operation_date` ("2021-11-01 00:00:00", no zone). Ozon's seller account
# keeps its books in Moscow time, so a day of the report is a Moscow day, and the request's UTC bounds are
# that day's Moscow midnight.
OZON_FINANCE_TZ = timezone(timedelta(hours=3), "MSK")
# UNCONFIRMED: whether an operation's `items` lists every unit (the same SKU once per unit) or every product
# once; the spec gives no quantity. True: a unit per entry (the quantity of a sale is the number of entries).
OZON_ITEMS_ARE_UNITS = True
# UNCONFIRMED: whether /v4/posting/fbs/unfulfilled/list needs a date filter. The spec marks none required but
# says "use either the cutoff filter or the delivering_date filter"; a cutoff window this wide is always sent.
OZON_UNFULFILLED_CUTOFF_BACK = timedelta(days=90)
OZON_UNFULFILLED_CUTOFF_AHEAD = timedelta(days=90)
# orders_since(): a first call looks this far back; later calls re-read this much before the stored
# watermark, so a change indexed late is not missed (orders are stored once by posting number).
OZON_FIRST_SYNC = timedelta(days=30)
OZON_ORDER_OVERLAP = timedelta(minutes=10)

# ------------------------------------------------------------------------------- retries and guards
# Packing: a 200 from /v4/posting/fbs/ship does not mean packed. Re-check with /v3/posting/fbs/get up to
# OZON_SHIP_CHECKS times, OZON_SHIP_CHECK_DELAY seconds apart; pack again on `ship_failed`, OZON_SHIP_ATTEMPTS in all.
OZON_SHIP_ATTEMPTS = 3
OZON_SHIP_CHECKS = 3
OZON_SHIP_CHECK_DELAY = 2.0
# Loop guards, not business limits: a cursor that never ends is a BadResponse after this many pages.
MAX_PAGES = 50  # warehouse list, stock read (per batch of offers)
MAX_PRODUCT_PAGES = 1000  # 1,000,000 products
MAX_ORDER_PAGES = 200  # 20,000 postings per call
MAX_ANALYTICS_PAGES = 100
MAX_FINANCE_PAGES = 1000  # 1,000,000 operations in one calendar month
# How many offer_id -> product_id and SKU -> offer_id pairs a client keeps: the newest learned. Enough for the
# items of any one call and for the catalogs of most sellers, far less than a 100,000-product catalog read end
# to end (41 MB). A call that needs ids works on its own mapping and reads the missing ones again, so nothing
# depends on the cache holding the whole catalog (connectors.ozon.catalog.IdCache).
OZON_ID_CACHE = 10_000


def chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    """`items` in batches of at most `size` (one of the batch sizes above)."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ------------------------------------------------------------------------------------------ pacing
def ozon_pace(client_id: str, method: str | None = None, *, pairs: Iterable[Hashable] = (),
              products: Iterable[Hashable] = (), clock: Clock | None = None, max_wait: float | None = None) -> Pace:
    """Ozon. `method`: "stocks" / "analytics" / "finance" / None (only the global 50 rps). `pairs`: the request's
    (product, warehouse) pairs for stocks; `products`: its products for prices (10 per hour each)."""
    base = Marketplace.OZON.value
    limiters: list[Limiter] = []
    if method is not None:
        limiters.append(pacer_for((base, client_id, method), OZON_LIMITS[method], clock=clock))
    limiters.append(pacer_for((base, client_id, "global"), OZON_GLOBAL, clock=clock))
    pairs, products = tuple(pairs), tuple(products)
    if pairs and products:
        raise ValueError("one request is either a stock or a price update")
    gate, keys = None, ()
    if pairs:
        gate, keys = ozon_gate(client_id, "stock_pairs", clock=clock), pairs
    elif products:
        gate, keys = ozon_gate(client_id, "price_products", clock=clock), products
    return Pace(*limiters, gate=gate, keys=keys, max_wait=max_wait)


def ozon_gate(client_id: str, name: str, *, clock: Clock | None = None):
    """The per-item gate `name` ("stock_pairs" | "price_products") of one Client-Id."""
    interval, limit = OZON_GATES[name]
    return gate_for((Marketplace.OZON.value, client_id, name), interval, limit=limit, clock=clock)
