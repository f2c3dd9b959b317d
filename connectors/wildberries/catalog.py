"""Wildberries catalog: the seller's cards as Listings.

- POST content /content/v2/get/cards/list: cursor `updatedAt` + `nmID`, 100 per page, "repeat until `total` in
  the reply is less than `limit` in the request"; trashed cards are not listed at all.
- prices joined per page with POST discounts-prices /api/v2/list/goods/filter (`nmList` <= 1,000) when the
  token's limits make that cheap (not for Base tokens: 4 prices requests per hour, see limits.wb_prices_cheap).

A card's nmID is the listing (and keys its price); its sizes' chrtIDs key its stock.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from connectors.base import Listing, Marketplace
from connectors.wildberries.limits import (
    WB_CARDS_PAGE,
    WB_PRICE_PAGE,
    chunks,
    wb_prices_cheap,
)
from connectors.wildberries.models import (
    WB_CURRENCY,
    WbCard,
    WbCardsPage,
    WbGoods,
    WbGoodsReply,
    currency_of_text,
)

if TYPE_CHECKING:  # annotations only: the client imports this module
    from connectors.wildberries.client import WildberriesClient


def listing_from_card(card: WbCard, goods: WbGoods | None = None) -> Listing:
    """A card (+ its price row when joined) as a Listing: nmID is the listing, chrtIDs key its stock. Without a
    price row the currency is WB's default (the price is unknown, the currency is not)."""
    price, currency, extra = None, WB_CURRENCY, {"imt_id": card.imtID, "subject": card.subjectName,
                                                 "brand": card.brand}
    if goods is not None and goods.sizes:
        size = goods.sizes[0]  # one price per nmID unless the category allows per-size prices
        price, currency = size.discountedPrice, currency_of_text(goods.currencyIsoCode4217)
        extra.update(price_before_discount=size.price, discount=goods.discount)
    return Listing(
        marketplace=Marketplace.WILDBERRIES,
        external_id=str(card.nmID),
        seller_sku=card.vendorCode,
        name=card.title or card.vendorCode or str(card.nmID),
        barcodes=tuple(dict.fromkeys(sku for size in card.sizes for sku in size.skus)),
        status=None,  # cards carry no status; trashed cards are not listed at all
        price=price,
        currency=currency,
        stock_ids=tuple(str(size.chrtID) for size in card.sizes if size.chrtID is not None),
        price_id=str(card.nmID),
        extra=extra,
    )


async def iter_listings(client: WildberriesClient, *, with_prices: bool | None = None) -> AsyncIterator[Listing]:
    """Every card, page by page (never the whole catalog in memory). `with_prices` joins each page's prices
    (one extra request per page); by default only where the token's prices limit allows (not Base)."""
    join = wb_prices_cheap(client.token_info.type) if with_prices is None else with_prices
    cursor: dict[str, Any] = {"limit": WB_CARDS_PAGE}
    while True:
        body = {"settings": {"sort": {"ascending": True}, "filter": {"withPhoto": -1}, "cursor": cursor}}
        page = await client.read("POST", "content", "/content/v2/get/cards/list", WbCardsPage, group="content",
                                 body=body)
        prices = await _prices_of(client, [c.nmID for c in page.cards]) if join and page.cards else {}
        for card in page.cards:
            yield listing_from_card(card, prices.get(card.nmID))
        # "Repeat until `total` in the reply is less than `limit` in the request" (cards/list description).
        if page.cursor.total < WB_CARDS_PAGE or not page.cards or page.cursor.nmID is None:
            return
        cursor = {"limit": WB_CARDS_PAGE, "updatedAt": page.cursor.updatedAt, "nmID": page.cursor.nmID}


async def _prices_of(client: WildberriesClient, nm_ids: Sequence[int]) -> dict[int, WbGoods]:
    found: dict[int, WbGoods] = {}
    for chunk in chunks(nm_ids, WB_PRICE_PAGE):
        reply = await client.read("POST", "discounts-prices", "/api/v2/list/goods/filter", WbGoodsReply,
                                  group="prices", body={"nmList": list(chunk)})
        found.update((g.nmID, g) for g in reply.goods)
    return found
