"""The Yandex Market catalog.

- catalog:  POST /v2/businesses/{businessId}/offer-mappings (getOfferMappings): no request body = the whole catalog;
            pageToken, limit <= 100; streamed one page at a time.

Ids: the offerId IS the seller SKU (`Listing.external_id`, `seller_sku`, `stock_ids`, `price_id` all hold it).
Status: the offer's status in our shop (PUBLISHED, NO_STOCKS...), else "archived", else the card's status, lower case.
Money: the offer's basic price (the price for all shops), its currency as an ISO code (RUR -> RUB; none: RUB).
"""
from __future__ import annotations

from collections.abc import AsyncIterator

from connectors.base import Listing, Marketplace
from connectors.yandex import limits
from connectors.yandex.account import business_id
from connectors.yandex.api import YandexApi
from connectors.yandex.models import (
    YandexOffer,
    YandexOfferMapping,
    YandexOfferMappingsPage,
    to_currency,
)


async def iter_listings(api: YandexApi) -> AsyncIterator[Listing]:
    """The whole catalog (no request body = every offer), 100 per page, streamed."""
    business = await business_id(api)
    campaign = api.campaign_id
    async for mapping in api.paged(
        "POST", f"/v2/businesses/{business}/offer-mappings", YandexOfferMappingsPage,
        scope=f"business:{business}", resource="getOfferMappings", limit=limits.OFFERS_PAGE_LIMIT,
        items=lambda p: (p.result.offerMappings, p.result.paging),
    ):
        yield normalize_listing(mapping, campaign)


def normalize_listing(item: YandexOfferMapping, campaign_id: int | None) -> Listing:
    offer = item.offer
    price = offer.basicPrice
    return Listing(
        marketplace=Marketplace.YANDEX,
        external_id=offer.offerId,
        seller_sku=offer.offerId,
        name=offer.name or offer.offerId,
        barcodes=tuple(offer.barcodes or ()),
        status=listing_status(offer, campaign_id),
        price=price.value if price else None,
        currency=to_currency(price.currencyId if price else None),
        stock_ids=(offer.offerId,),
        price_id=offer.offerId,
        extra={
            "market_sku": item.mapping.marketSku if item.mapping else None,
            "card_status": offer.cardStatus,
            "vendor": offer.vendor,
        },
    )


def listing_status(offer: YandexOffer, campaign_id: int | None) -> str | None:
    """The offer's status in our shop (PUBLISHED, NO_STOCKS...), else archived, else the card's status."""
    for campaign in offer.campaigns or ():
        if campaign.campaignId == campaign_id and campaign.status:
            return campaign.status.lower()
    if offer.archived:
        return "archived"
    return offer.cardStatus.lower() if offer.cardStatus else None
