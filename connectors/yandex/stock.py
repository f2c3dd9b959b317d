"""Yandex Market stock (of our shop: the campaign).

- read:  POST /v2/campaigns/{campaignId}/offers/stocks (getStocks): offerIds <= 500 per request, answered whole (no
         paging then); counted in offers. Per warehouse: AVAILABLE (else FIT - FREEZE) is what can be sold, FREEZE is
         reserved. Unknown SKUs are left out.
- push:  PUT  /v2/campaigns/{campaignId}/offers/stocks (updateStocks): `skus[]: {sku, items: [{count}]}`, <= 2,000 skus
         and <= 512 KB per request; 100,000 SKUs per minute, counted in items. The SKU must match the catalog
         exactly; for a warehouse group send one warehouse only. Counts 0..2,000,000,000.
         Results per item: see the reasons in connectors.yandex.errors.
"""
from __future__ import annotations

from collections.abc import Sequence

from connectors.base import ItemResult, StockLevel, StockUpdate
from connectors.yandex import limits
from connectors.yandex.account import campaign_id
from connectors.yandex.api import Entry, YandexApi, gather, write
from connectors.yandex.models import YandexEmpty, YandexStocksPage


async def read_stock(api: YandexApi, skus: Sequence[str]) -> list[StockLevel]:
    """Stock of these SKUs in our shop, per warehouse. Unknown SKUs are left out."""
    campaign = await campaign_id(api)
    wanted = list(dict.fromkeys(skus))
    size = limits.STOCK_READ_BATCH
    chunks = [wanted[i:i + size] for i in range(0, len(wanted), size)]
    pages = await gather(_stock_chunk(api, campaign, chunk) for chunk in chunks)
    return [level for page in pages for level in page]


async def _stock_chunk(api: YandexApi, campaign: int, skus: list[str]) -> list[StockLevel]:
    # With offerIds the list comes back whole: no pageToken / limit (GetWarehouseStocksRequest.offerIds).
    page = await api.call(
        "POST", f"/v2/campaigns/{campaign}/offers/stocks", YandexStocksPage, scope=f"campaign:{campaign}",
        resource="getStocks", cost=len(skus), body={"offerIds": skus},
    )
    levels = []
    for warehouse in page.result.warehouses:
        for offer in warehouse.offers:
            available = offer.count("AVAILABLE")
            if available is None:  # FIT = available + reserved
                available = (offer.count("FIT") or 0) - (offer.count("FREEZE") or 0)
            levels.append(StockLevel(offer.offerId, max(available, 0), str(warehouse.warehouseId),
                                     reserved=offer.count("FREEZE")))
    return levels


async def update_stock(api: YandexApi, updates: Sequence[StockUpdate]) -> list[ItemResult]:
    """Set available stock in our shop, 2,000 SKUs per request (for a warehouse group: one warehouse)."""
    campaign = await campaign_id(api)
    entries = [
        Entry(position, u.sku, {"sku": u.sku, "items": [{"count": u.quantity}]}, u.warehouse_id,
              problem=None if limits.SHOP_SKU.match(u.sku) and 0 <= u.quantity <= limits.MAX_STOCK_COUNT
              else f"the count must be 0..{limits.MAX_STOCK_COUNT} and the SKU 1..255 characters")
        for position, u in enumerate(updates)
    ]

    async def send(batch: list[dict]) -> None:
        await api.call("PUT", f"/v2/campaigns/{campaign}/offers/stocks", YandexEmpty,
                       scope=f"campaign:{campaign}", resource="updateStocks", cost=len(batch),
                       body={"skus": batch})

    return await write(entries, limits.STOCK_UPDATE_BATCH, send)
