"""Ozon stock: read the free stock of offers and set it per warehouse.

Calls:
- read:  /v4/product/info/stocks (filter offer_id + visibility ALL, cursor, limit <= 1000): per offer, one
         figure per stock type (fbs / rfbs / fbo / fbp); the ones of the account warehouse's type count
         (connectors.ozon.account.stock_scope), FBO is Ozon's own stock and never counted.
- push:  /v2/products/stocks (<= 100 product-warehouse pairs per request, 80 requests per minute per account,
         the same pair at most once per 30 s: paced by connectors.ozon.limits.ozon_pace; per-item `updated` /
         `errors`, read by connectors.ozon.errors.item_result). Stock excludes reserved units; Ozon takes it
         only once the product's status is `price_sent`.

A StockUpdate's `sku` is the offer_id; its warehouse is the update's own or the account's (AccountContext.
warehouse_id). ItemResult reasons: see connectors.ozon.errors.

Functions here take the OzonClient as `client` (connectors.ozon.client; not imported here).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from connectors.base import (
    BadResponse,
    ItemOutcome,
    ItemResult,
    StockLevel,
    StockUpdate,
)
from connectors.http import parse_model
from connectors.ozon import limits
from connectors.ozon.errors import item_result
from connectors.ozon.models import OzonStockPage, OzonUpdateReply, OzonUpdateResult

log = logging.getLogger("connectors.ozon")

# ------------------------------------------------------------------------- stock item key (UNCONFIRMED)
# UNCONFIRMED (MARKETPLACES.md §4.2): how a /v2/products/stocks item names its product. The method text says
# "offer_id or product_id; if both, offer_id wins; use only one"; the item schema (English and Russian) says
# `required: [product_id, quant_size, stock, warehouse_id]` while defining no `quant_size` property.
# The first shape follows the schema: product_id (resolved from the offer_id) plus quant_size 1, which is
# what the prices method documents for a regular (non-"Economy") product. If Ozon rejects a whole request
# naming one of these fields, the client switches once to the other shape (offer_id only) and resends.
# `ozon_stock_item` is the only place that decides it.
OZON_STOCK_SHAPES = ("product_id", "offer_id")
OZON_STOCK_QUANT_SIZE = 1
# A 400 naming one of these fields makes the client try the other shape.
OZON_STOCK_SHAPE_FIELDS = ("product_id", "quant_size", "offer_id")


def ozon_stock_item(shape: str, *, offer_id: str, product_id: int | None, stock: int, warehouse_id: int) -> dict:
    """One `stocks[]` item of POST /v2/products/stocks in the given shape (see OZON_STOCK_SHAPES)."""
    if shape == "product_id":
        if product_id is None:
            raise ValueError("the product_id shape needs a product_id")
        return {"product_id": product_id, "quant_size": OZON_STOCK_QUANT_SIZE, "stock": stock,
                "warehouse_id": warehouse_id}
    if shape == "offer_id":
        return {"offer_id": offer_id, "stock": stock, "warehouse_id": warehouse_id}
    raise ValueError(f"unknown Ozon stock item shape {shape!r}")


def other_shape(shape: str) -> str:
    return OZON_STOCK_SHAPES[1] if shape == OZON_STOCK_SHAPES[0] else OZON_STOCK_SHAPES[0]


# --------------------------------------------------------------------------------------------- read
async def read_stock(client: Any, skus: Sequence[str]) -> list[StockLevel]:
    """Stock of each offer_id (/v4/product/info/stocks) in the scope of `stock_scope` (FBO is Ozon's own
    stock, never counted). `quantity` is what is free to sell (present - reserved), the same meaning as a
    StockUpdate's quantity; offers Ozon does not know are left out."""
    types, warehouse = await client.stock_scope()
    levels: list[StockLevel] = []
    for chunk in limits.chunks(list(dict.fromkeys(s for s in skus if s)), limits.STOCK_READ_BATCH):
        cursor = ""
        seen: set[str] = set()
        for _ in range(limits.MAX_PAGES):
            body: dict[str, Any] = {"filter": {"offer_id": list(chunk), "visibility": "ALL"},
                                    "limit": limits.STOCK_PAGE_LIMIT}
            if cursor:
                body["cursor"] = cursor
            page = await client.post("/v4/product/info/stocks", body, OzonStockPage)
            client.product_ids.learn((item.offer_id, item.product_id) for item in page.items
                                     if item.product_id and item.offer_id)
            for item in page.items:
                own = [s for s in item.stocks if s.type.lower() in types]
                present = sum(s.present for s in own)
                reserved = sum(s.reserved for s in own)
                levels.append(StockLevel(item.offer_id, max(present - reserved, 0), warehouse, reserved))
            if not page.items or len(page.items) < limits.STOCK_PAGE_LIMIT or not page.cursor:
                break
            if page.cursor in seen:
                raise BadResponse("ozon /v4/product/info/stocks: cursor repeats")
            seen.add(page.cursor)
            cursor = page.cursor
        else:
            raise BadResponse("ozon /v4/product/info/stocks: too many pages")
    return levels


# --------------------------------------------------------------------------------------------- push
async def update_stock(client: Any, updates: Sequence[StockUpdate]) -> list[ItemResult]:
    """Set the free-to-sell quantity of offer_ids at warehouses, 100 pairs per request, paced (80 per
    minute per account, each pair at most once per 30 s). One ItemResult per update."""
    results: list[ItemResult] = []
    pairs: dict[tuple[str, str], StockUpdate] = {}
    for update in updates:
        warehouse = str(update.warehouse_id or client.account.warehouse_id or "").strip()
        if not warehouse.isdigit():
            results.append(ItemResult(update.sku, ItemOutcome.REJECTED, "no_warehouse",
                                      "no Ozon warehouse to put the stock in", warehouse_id=warehouse or None))
            continue
        key = (update.sku, warehouse)
        if key in pairs:
            results.append(ItemResult(update.sku, ItemOutcome.REJECTED, "duplicate",
                                      "a later update of the same item in this call wins", warehouse_id=warehouse))
        pairs[key] = update
    # offer_id -> product_id for this call (the client's own cache keeps only the newest OZON_ID_CACHE).
    product_ids: dict[str, int] = {}
    if client.stock_shape == "product_id":
        product_ids = await client.resolve_product_ids(offer for offer, _ in pairs)
    for batch in limits.chunks(list(pairs.items()), limits.STOCK_BATCH):
        results.extend(await _push_stock(client, batch, product_ids))
    return results


async def _push_stock(client: Any, batch: Sequence[tuple[tuple[str, str], StockUpdate]],
                      product_ids: dict[str, int]) -> list[ItemResult]:
    shape = client.stock_shape
    for attempt in range(2):
        if shape == "product_id" and shape != client.stock_shape:  # switched to it: learn the ids first
            product_ids.update(await client.resolve_product_ids(offer for (offer, _), _ in batch))
        rejected: list[ItemResult] = []
        sent: list[tuple[str, str, int | None]] = []
        items: list[dict] = []
        for (offer, warehouse), update in batch:
            product_id = product_ids.get(offer)
            if product_id is None:
                product_id = client.product_ids.get(offer)
            if shape == "product_id" and product_id is None:
                rejected.append(ItemResult(offer, ItemOutcome.REJECTED, "unknown_sku",
                                           "no Ozon product has this offer_id", warehouse_id=warehouse))
                continue
            sent.append((offer, warehouse, product_id))
            items.append(ozon_stock_item(shape, offer_id=offer, product_id=product_id,
                                         stock=max(update.quantity, 0), warehouse_id=int(warehouse)))
        if not items:
            return rejected
        pace = client.pace("stocks", pairs=[(offer, warehouse) for offer, warehouse, _ in sent])
        try:
            data = await client.http.request_json("POST", "/v2/products/stocks", json_body={"stocks": items},
                                                  pace=pace)
        except BadResponse as exc:
            named = (exc.detail or "").lower()
            if attempt == 0 and exc.status == 400 and any(f in named for f in OZON_STOCK_SHAPE_FIELDS):
                log.warning("ozon /v2/products/stocks refused the %s item shape (%s); trying %s",
                            shape, exc.detail, other_shape(shape))
                shape = other_shape(shape)
                continue
            raise
        client.stock_shape = shape
        reply = parse_model(OzonUpdateReply, data, "ozon /v2/products/stocks")
        by_offer: dict[tuple[str, str | None], OzonUpdateResult] = {}
        by_product: dict[tuple[int, str | None], OzonUpdateResult] = {}
        for r in reply.result:  # a result without warehouse_id matches its product at any warehouse
            wh = str(r.warehouse_id) if r.warehouse_id else None
            if r.offer_id:
                by_offer.setdefault((r.offer_id, wh), r)
            if r.product_id:
                by_product.setdefault((r.product_id, wh), r)
        out = []
        for offer, warehouse, product_id in sent:
            found = by_offer.get((offer, warehouse)) or by_offer.get((offer, None))
            if found is None and product_id is not None:
                found = by_product.get((product_id, warehouse)) or by_product.get((product_id, None))
            out.append(item_result(offer, found, client.http.redact, warehouse))
        return rejected + out
    raise AssertionError("unreachable")  # pragma: no cover
