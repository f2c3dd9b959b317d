"""Uzum FBS stock.

- read:  GET /v2/fbs/sku/stocks (paged; all shops of the token; stops early once every asked SKU was seen).
- push:  POST /v2/fbs/sku/stocks {"skuAmountList": [the objects GET returned, with the new amount]},
         UZUM_STOCK_BATCH per request. FBS stock only: `StockUpdate.warehouse_id` is ignored (Uzum has no
         warehouses; it is echoed back on the result). The objects read are kept (`client.stock_cache`, at most
         UZUM_STOCK_CACHE_MAX, oldest dropped first) so later pushes need no read; what a push set is kept too.
Per-item results of a refused batch: connectors.uzum.errors.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from typing import Any

from connectors.base import ItemOutcome, ItemResult, StockLevel, StockUpdate
from connectors.uzum.errors import Item, item_sku, rejected, write_all
from connectors.uzum.limits import (
    UZUM_STOCK_BATCH,
    UZUM_STOCK_CACHE_MAX,
    UZUM_STOCKS_PAGE_SIZE,
)
from connectors.uzum.models import StockRow, UzumCalls, ignore_reply, parse_stock_page


def uzum_stock_item(current: dict[str, Any], amount: int) -> Item:
    """One `skuAmountList` item: the object GET /v2/fbs/sku/stocks returned, with the new amount."""
    return {**current, "amount": amount}


def remember(cache: OrderedDict[str, StockRow], row: StockRow) -> None:
    cache[row.sku] = row
    cache.move_to_end(row.sku)
    while len(cache) > UZUM_STOCK_CACHE_MAX:
        cache.popitem(last=False)


async def stock_rows(client: UzumCalls) -> AsyncIterator[StockRow]:
    """Every row of GET /v2/fbs/sku/stocks (all shops of the token), remembering each for stock pushes."""
    async for rows in client.paged("/v2/fbs/sku/stocks", parse_stock_page, lambda r: r.sku, UZUM_STOCKS_PAGE_SIZE):
        for row in rows:  # the whole page first: a reader that stops early still leaves it cached
            remember(client.stock_cache, row)
        for row in rows:
            yield row


async def find_stock_rows(client: UzumCalls, skus: Sequence[str], *, fresh: bool) -> dict[str, StockRow]:
    """The current stock rows of these SKUs (fresh: read now; else the cache first). Reading stops as soon as
    every SKU was seen; SKUs missing from the result are not in the account."""
    cache = client.stock_cache
    found = {} if fresh else {s: cache[s] for s in skus if s in cache}
    wanted = set(skus) - found.keys()
    if wanted:
        async for row in stock_rows(client):
            if row.sku in wanted:
                found[row.sku] = row
                wanted.discard(row.sku)
                if not wanted:
                    break
    return found


async def read_stock(client: UzumCalls, skus: Sequence[str]) -> list[StockLevel]:
    """FBS stock of these skuIds; SKUs the account does not have are left out."""
    found = await find_stock_rows(client, skus, fresh=True)
    return [StockLevel(sku=s, quantity=found[s].amount) for s in dict.fromkeys(skus) if s in found]


async def update_stock(client: UzumCalls, updates: Sequence[StockUpdate]) -> list[ItemResult]:
    latest = {u.sku: u for u in updates}  # the same SKU twice: the last one wins
    results: dict[str, ItemResult] = {}
    valid = []
    for u in latest.values():
        if u.quantity < 0:
            results[u.sku] = rejected(u.sku, "invalid_value", "negative stock")
        else:
            valid.append(u)
    current = await find_stock_rows(client, [u.sku for u in valid], fresh=False)
    items = []
    for u in valid:
        if u.sku in current:
            items.append(uzum_stock_item(current[u.sku].raw, u.quantity))
        else:
            results[u.sku] = rejected(u.sku, "not_found", "not in GET /v2/fbs/sku/stocks")

    async def send(batch: list[Item]) -> None:
        await client.call("POST", "/v2/fbs/sku/stocks", ignore_reply, json_body={"skuAmountList": batch})

    results.update(await write_all(items, UZUM_STOCK_BATCH, send))
    for item in items:  # what Uzum now holds, for the next push
        sku = item_sku(item)
        if results[sku].outcome is ItemOutcome.ACCEPTED:
            remember(client.stock_cache, StockRow(sku, item["amount"], item))
    return [_with_warehouse(results[sku], u.warehouse_id) for sku, u in latest.items()]


def _with_warehouse(result: ItemResult, warehouse_id: str | None) -> ItemResult:
    if warehouse_id is None:
        return result
    return ItemResult(result.sku, result.outcome, result.reason, result.detail, warehouse_id)
