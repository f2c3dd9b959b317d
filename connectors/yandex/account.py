"""The Yandex Market account: the key, the connection test, the ids every other call needs, and the warehouses.

- connection:  GET  /v2/campaigns (getCampaigns; pageToken, limit <= 100): every campaign (shop) of the key's cabinet,
               with its business (cabinet) id, placement type and API availability. The partner picks the campaign,
               so `ConnectionInfo.seller_id` stays None (the picked shop is the id); `account_id` is the businessId
               when the campaigns share one.
- ids:         the AccountContext gives campaignId (`shop_id`) and businessId; where it leaves one out and the key's
               campaigns decide it (one campaign, or one business), it is found from GET /v2/campaigns.
- warehouses:  POST /v2/businesses/{businessId}/warehouses (getPagedWarehouses; pageToken, limit <= 30; our shop's
               only when one is set).
- the key:     the partner types one Api-Key (Settings -> "API и модули" in the cabinet), sent as `Api-Key: <key>`
               exactly as issued (no `Bearer `: that gives 401 "Api-Key token prefix invalid"). It is opaque: there
               is nothing in it to decode (no expiry - Api-Keys never expire -, no scopes; a 403 names a missing
               scope). A legacy OAuth token (`y0_...`, `Authorization: Bearer`) is refused with a hint to create an
               Api-Key instead (`check_key`).
"""
from __future__ import annotations

from collections.abc import AsyncIterator

from connectors.base import Choice, ConnectionInfo, Marketplace, NoShops
from connectors.yandex import limits
from connectors.yandex.api import YandexApi
from connectors.yandex.models import (
    YandexCampaign,
    YandexCampaignsPage,
    YandexWarehousesReply,
)

# ---------------------------------------------------------------------------------------- the key
# Legacy OAuth tokens start like this (the current OAuth page shows `Authorization: Bearer y0_...`).
OAUTH_TOKEN_PREFIX = "y0_"
# An Api-Key ("ACMA:...") is longer than this; anything shorter is a wrong paste. Our own sanity bounds (Yandex
# publishes no key length).
MIN_KEY_LENGTH = 20
MAX_KEY_LENGTH = 4096


def check_key(value: str) -> str | None:
    """The format check of a typed key, before anything is sent (`PROFILE.check_key`): None if it looks like an
    Api-Key, else the id of the text saying what is wrong ("format-yandex-oauth": an OAuth token was pasted;
    "format-yandex-key": anything else). `value` as services.key_formats.normalize() leaves it (stray quotes,
    spaces and a pasted `Bearer ` removed)."""
    if not value or len(value) > MAX_KEY_LENGTH or any(ch.isspace() for ch in value):
        return "format-yandex-key"
    if value.startswith(OAUTH_TOKEN_PREFIX):
        return "format-yandex-oauth"  # an OAuth token: the partner should create an Api-Key instead
    return None if len(value) >= MIN_KEY_LENGTH else "format-yandex-key"


# ------------------------------------------------------------------------------------ connection
async def iter_campaigns(api: YandexApi) -> AsyncIterator[YandexCampaign]:
    """Every campaign (shop) of the token's cabinet, following pageToken pages."""
    async for campaign in api.paged(
        "GET", "/v2/campaigns", YandexCampaignsPage, scope=api.cabinet, resource="getCampaigns",
        limit=limits.CAMPAIGNS_PAGE_LIMIT, items=lambda p: (p.campaigns, p.paging),
        max_pages=limits.CAMPAIGNS_MAX_PAGES,
    ):
        yield campaign


async def check_connection(api: YandexApi) -> ConnectionInfo:
    campaigns = [c async for c in iter_campaigns(api)]
    if not campaigns:
        raise NoShops("yandex: the token's cabinet has no campaigns")
    shops = [
        Choice(
            id=str(c.id),
            name=c.display_name(),
            extra={
                "business_id": str(c.business.id) if c.business and c.business.id else None,
                "business_name": c.business.name if c.business else None,
                "placement_type": c.placementType,
                "api_availability": c.apiAvailability,
            },
        )
        for c in campaigns
    ]
    # An Api-Key belongs to one cabinet (business); keep every id in case an OAuth token spans more.
    businesses: dict[str, str | None] = {}
    for shop in shops:
        if shop.extra["business_id"]:
            businesses.setdefault(shop.extra["business_id"], shop.extra["business_name"])
    single = len(businesses) == 1
    names = [name or f"Business {bid}" for bid, name in businesses.items()]
    return ConnectionInfo(
        marketplace=Marketplace.YANDEX,
        account_name=", ".join(names) if names else shops[0].name,
        account_id=next(iter(businesses)) if single else None,
        shops=shops,
        seller_id=None,  # the partner picks a campaign from `shops`: that pick is the integration's id
        extra={"business_ids": list(businesses)},
    )


# ------------------------------------------------------------------------------------------- ids
async def discover(api: YandexApi) -> None:
    """Fill in the businessId / campaignId the AccountContext left out, from the key's campaigns."""
    campaigns = [c async for c in iter_campaigns(api)]
    if api.campaign_id is None and len(campaigns) == 1:
        api.campaign_id = campaigns[0].id
    mine = [c for c in campaigns if c.id == api.campaign_id] or campaigns
    businesses = {c.business.id for c in mine if c.business and c.business.id}
    if api.business_id is None and len(businesses) == 1:
        api.business_id = businesses.pop()


async def business_id(api: YandexApi) -> int:
    if api.business_id is None:
        await discover(api)
    if api.business_id is None:
        raise NoShops("yandex: no single business (cabinet) for this key; set AccountContext.business_id")
    return api.business_id


async def campaign_id(api: YandexApi) -> int:
    if api.campaign_id is None:
        await discover(api)
    if api.campaign_id is None:
        raise NoShops("yandex: the key has several campaigns; set AccountContext.shop_id")
    return api.campaign_id


# ------------------------------------------------------------------------------------ warehouses
async def list_warehouses(api: YandexApi) -> list[Choice]:
    """The seller's warehouses (of our shop when one is set)."""
    business = await business_id(api)
    return [
        Choice(id=str(w.id), name=w.name,
               extra={"campaign_id": str(w.campaignId) if w.campaignId else None, "express": w.express,
                      "group_id": str(w.groupInfo.id) if w.groupInfo and w.groupInfo.id else None})
        async for w in api.paged(
            "POST", f"/v2/businesses/{business}/warehouses", YandexWarehousesReply,
            scope=f"business:{business}", resource="getPagedWarehouses", limit=limits.WAREHOUSES_PAGE_LIMIT,
            items=lambda p: (p.result.warehouses, p.result.paging), body=api.campaign_filter() or None,
        )
    ]
