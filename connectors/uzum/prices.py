"""Uzum prices: POST /v1/product/{shopId}/sendPriceData {"priceData": [...]}, UZUM_PRICE_BATCH items per request.

Prices are set per shop and keyed by skuId (`Listing.price_id`); skuIds do not say their shop, so a token with
several shops needs AccountContext.shop_id. Prices are whole sums (UZS): `PriceUpdate.currency` None or "UZS";
any other currency is refused per item (Uzum cannot take it, and sending the number would misprice the SKU).
Per-item results of a refused batch (e.g. the promo lock `sku-price-001`): connectors.uzum.errors.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.base import ItemResult, PriceUpdate
from connectors.uzum.errors import Item, rejected, write_all
from connectors.uzum.limits import UZUM_PRICE_BATCH
from connectors.uzum.models import UZUM_CURRENCY, UzumCalls, ignore_reply, wire_id


def uzum_price_item(sku_id: str, update: PriceUpdate) -> dict[str, Any]:
    """One `priceData` item (UNCONFIRMED fields, from one third-party client): fullPrice is the crossed-out price,
    sellPrice the price paid. Whole sums: UZS has no fractional prices in practice."""
    sell = int(update.price.to_integral_value())
    full = int(update.old_price.to_integral_value()) if update.old_price is not None else sell
    return {"skuId": wire_id(sku_id), "fullPrice": max(full, sell), "sellPrice": sell}


def price_problem(update: PriceUpdate) -> str | None:
    """Why this update cannot be sent (the rejection's detail), or None."""
    if update.currency is not None and update.currency.strip().upper() != UZUM_CURRENCY:
        return f"Uzum prices are in {UZUM_CURRENCY.value}, not {update.currency}"
    if update.price <= 0 or (update.old_price is not None and update.old_price < 0):
        return "price must be above zero"
    return None


async def update_prices(client: UzumCalls, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
    shops = await client.shop_ids()
    if len(shops) > 1:
        # Prices are set per shop and skuIds do not say their shop: guessing could price the wrong shop.
        raise ValueError("uzum: update_prices needs AccountContext.shop_id when the token has several shops")
    shop_id = shops[0]
    latest = {u.sku: u for u in updates}
    results: dict[str, ItemResult] = {}
    items = []
    for u in latest.values():
        problem = price_problem(u)
        if problem:
            results[u.sku] = rejected(u.sku, "invalid_value", problem)
        else:
            items.append(uzum_price_item(u.sku, u))

    async def send(batch: list[Item]) -> None:
        await client.call("POST", f"/v1/product/{shop_id}/sendPriceData", ignore_reply, json_body={"priceData": batch})

    results.update(await write_all(items, UZUM_PRICE_BATCH, send))
    return [results[sku] for sku in latest]
