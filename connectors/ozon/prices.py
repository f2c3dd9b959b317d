"""Ozon prices: set the price (and the crossed-out price) of offers.

Call: /v1/product/import/prices (<= 1000 items per request: prices.maxItems), items keyed by offer_id, prices
as strings in plain decimal notation; `old_price` "0" resets the crossed-out price. Each product's price may
change at most 10 times per hour (connectors.ozon.limits.OZON_PRICE_PER_PRODUCT): a change that would wait
longer than OZON_PRICE_MAX_QUEUE for its product's budget comes back `rate_limited` at once and the rest goes
out. Per-item `updated` / `errors` are read by connectors.ozon.errors.item_result.

Currency: a PriceUpdate without one sends no `currency_code` (Ozon then takes the account's currency, RUB by
default); one given is sent as its ISO 4217 code ("RUR" -> "RUB").

Functions here take the OzonClient as `client` (connectors.ozon.client; not imported here).
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from connectors.base import ItemOutcome, ItemResult, PriceUpdate
from connectors.http import parse_model
from connectors.ozon import limits
from connectors.ozon.errors import item_result
from connectors.ozon.models import OzonUpdateReply, currency_code


def money_text(value: Decimal) -> str:
    """A price as Ozon's string fields take it: plain decimal notation, never an exponent."""
    return format(value.normalize() if value == value.to_integral_value() else value, "f")


def price_item(update: PriceUpdate) -> dict:
    """One `prices[]` item of POST /v1/product/import/prices."""
    item: dict[str, Any] = {"offer_id": update.sku, "price": money_text(update.price)}
    if update.old_price is not None:
        item["old_price"] = money_text(update.old_price)  # "0" resets the crossed-out price
    if update.currency:
        item["currency_code"] = currency_code(update.currency).value
    return item


async def update_prices(client: Any, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
    """Set prices by offer_id, 1000 per request. A product changed 10 times in the last hour is not
    queued for long (OZON_PRICE_MAX_QUEUE): it comes back `rate_limited` and the rest goes out."""
    results: list[ItemResult] = []
    latest: dict[str, PriceUpdate] = {}
    for update in updates:
        if update.sku in latest:
            results.append(ItemResult(update.sku, ItemOutcome.REJECTED, "duplicate",
                                      "a later update of the same item in this call wins"))
        latest[update.sku] = update
    gate = limits.ozon_gate(client.client_id, "price_products", clock=client.http.clock)
    ready: list[PriceUpdate] = []
    for sku, update in latest.items():
        wait = gate.estimate_wait([sku])
        if wait > limits.OZON_PRICE_MAX_QUEUE:
            results.append(ItemResult(sku, ItemOutcome.REJECTED, "rate_limited",
                                      f"Ozon allows {limits.OZON_PRICE_PER_PRODUCT[0]} price changes per hour; "
                                      f"next in {wait:.0f} s"))
        else:
            ready.append(update)
    for batch in limits.chunks(ready, limits.PRICE_BATCH):
        body = {"prices": [price_item(u) for u in batch]}
        data = await client.http.request_json("POST", "/v1/product/import/prices", json_body=body,
                                              pace=client.pace(products=[u.sku for u in batch]))
        reply = parse_model(OzonUpdateReply, data, "ozon /v1/product/import/prices")
        by_offer = {r.offer_id: r for r in reply.result if r.offer_id}
        by_product = {r.product_id: r for r in reply.result if r.product_id}
        for u in batch:
            found = by_offer.get(u.sku)
            if found is None and u.sku in client.product_ids:  # best effort: the ids learned lately
                found = by_product.get(client.product_ids[u.sku])
            results.append(item_result(u.sku, found, client.http.redact))
    return results
