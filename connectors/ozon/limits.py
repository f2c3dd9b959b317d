"""Ozon's published rate limits (MARKETPLACES.md §4.2-4.3), per Client-Id, and the Pace each request takes.
Bucket vs window: UNCONFIRMED (see connectors.pacing.GUARD_UNDOCUMENTED_WINDOWS)."""
from __future__ import annotations

from collections.abc import Hashable, Iterable

from connectors.base import Marketplace
from connectors.clock import Clock
from connectors.pacing import GUARD_UNDOCUMENTED_WINDOWS as GUARD, HOUR, MINUTE, Limiter, Pace, RateSpec, gate_for, pacer_for

OZON_GLOBAL = RateSpec(50, 1.0, window=GUARD)  # "a maximum of 50 requests per second to all methods"
OZON_STOCKS = RateSpec(80, MINUTE, window=GUARD)  # POST /v2/products/stocks: 80 requests per minute
OZON_ANALYTICS = RateSpec(1, MINUTE, window=GUARD)  # POST /v1/analytics/data: 1 request per minute
OZON_SAME_PAIR_INTERVAL = 30.0  # the same product-warehouse pair's stock at most once per 30 s
OZON_PRICE_PER_PRODUCT = (10, HOUR)  # each product's price at most 10 times per hour
OZON_LIMITS: dict[str, RateSpec] = {"global": OZON_GLOBAL, "stocks": OZON_STOCKS, "analytics": OZON_ANALYTICS}
OZON_GATES: dict[str, tuple[float, int]] = {
    "stock_pairs": (OZON_SAME_PAIR_INTERVAL, 1),
    "price_products": (OZON_PRICE_PER_PRODUCT[1], OZON_PRICE_PER_PRODUCT[0]),
}


def ozon_pace(client_id: str, method: str | None = None, *, pairs: Iterable[Hashable] = (),
              products: Iterable[Hashable] = (), clock: Clock | None = None, max_wait: float | None = None) -> Pace:
    """Ozon. `method`: "stocks" / "analytics" / None (only the global 50 rps). `pairs`: the request's
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
