"""Uzum catalog: GET /v1/product/shop/{shopId}?page&size (0-based), every shop of the account context, streamed.

A product has one or more SKUs (variants); stock and prices are keyed by skuId, so a Listing carries every
skuId in `stock_ids` and its first one as `price_id`. Money is in UZS (no reply names a currency).
"""
from __future__ import annotations

from collections.abc import AsyncIterator

from connectors.base import Listing, Marketplace
from connectors.uzum.limits import UZUM_PRODUCTS_PAGE_SIZE
from connectors.uzum.models import (
    UZUM_CURRENCY,
    UzumCalls,
    UzumProduct,
    parse_product_page,
)


async def iter_listings(client: UzumCalls) -> AsyncIterator[Listing]:
    for shop_id in await client.shop_ids():
        async for products in client.paged(f"/v1/product/shop/{shop_id}", parse_product_page,
                                           lambda p: p.productId, UZUM_PRODUCTS_PAGE_SIZE):
            for product in products:
                yield to_listing(product, shop_id)


def to_listing(product: UzumProduct, shop_id: str) -> Listing:
    skus = product.skuList
    first = skus[0] if skus else None
    stocks = [s.quantityFbs for s in skus]
    return Listing(
        marketplace=Marketplace.UZUM,
        external_id=product.productId,
        seller_sku=first.seller_code if first else None,
        name=product.title or (first.productTitle if first else None) or product.productId,
        barcodes=tuple(dict.fromkeys(s.barcode for s in skus if s.barcode)),
        status=product.status.lower() if product.status else None,
        price=first.price if first and first.price is not None else product.price,
        currency=UZUM_CURRENCY,
        stock=sum(stocks) if stocks and None not in stocks else None,  # type: ignore[arg-type]
        stock_ids=tuple(s.skuId for s in skus),
        # Prices are per SKU; a product with several SKUs is priced by its first one here.
        price_id=first.skuId if first else None,
        extra={"shop_id": shop_id},
    )
