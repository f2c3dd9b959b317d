"""Yandex Market prices.

- all shops (the default):  POST /v2/businesses/{businessId}/offer-prices/updates (updateBusinessPrices), <= 500 offers
                            per request: `offers[]: {offerId, price: {value, currencyId, discountBase?}}`.
- one shop:                 POST /v2/campaigns/{campaignId}/offer-prices/updates (updatePrices), <= 2,000 offers; only
                            when the cabinet's settings (POST /v2/businesses/{businessId}/settings, getBusinessSettings,
                            100/h: remembered for limits.SETTINGS_TTL) say `onlyDefaultPrice: false`, otherwise 423
                            "Partner use only default price" (reason `only_default_price`; the settings are then read
                            again next time).
Both are counted in offers, 10,000 per minute. Values: at most 2 decimals; the crossed-out price is `discountBase`.
Currency: `PriceUpdate.currency` None is the cabinet's own currency (its settings), else RUR; RUB is sent as RUR,
other codes (including the "RUR" services pass today) as given.
Results per item: see the reasons in connectors.yandex.errors.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from connectors.base import ItemResult, PriceUpdate
from connectors.yandex import limits
from connectors.yandex.account import business_id, campaign_id
from connectors.yandex.api import Entry, YandexApi, write
from connectors.yandex.errors import ONLY_DEFAULT_PRICE
from connectors.yandex.models import (
    DEFAULT_CURRENCY,
    YandexBusinessSettings,
    YandexEmpty,
    YandexSettingsReply,
    to_yandex_currency,
)


async def business_settings(api: YandexApi) -> YandexBusinessSettings:
    """The cabinet's settings (onlyDefaultPrice, currency), remembered for SETTINGS_TTL (100 per hour)."""
    now = api.clock.now()
    if api.settings is not None and now - api.settings[0] < limits.SETTINGS_TTL:
        return api.settings[1]
    business = await business_id(api)
    reply = await api.call("POST", f"/v2/businesses/{business}/settings", YandexSettingsReply,
                           scope=f"business:{business}", resource="getBusinessSettings")
    settings = (reply.result.settings if reply.result else None) or YandexBusinessSettings()
    api.settings = (now, settings)
    return settings


async def update_prices(api: YandexApi, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
    """Prices for all shops (500 per request); for our shop only (2,000) if the cabinet allows shop prices."""
    settings = await business_settings(api)
    per_shop = settings.onlyDefaultPrice is False and (api.campaign_id is not None)
    currency = settings.currency or to_yandex_currency(DEFAULT_CURRENCY)
    entries = [
        Entry(position, u.sku, {"offerId": u.sku, "price": price_json(u, currency)},
              problem=None if limits.SHOP_SKU.match(u.sku) and u.price > 0 and (u.old_price or 0) >= 0
              else "the price must be above 0 and the SKU 1..255 characters")
        for position, u in enumerate(updates)
    ]
    if per_shop:
        campaign = await campaign_id(api)
        path, scope, resource, size = (f"/v2/campaigns/{campaign}/offer-prices/updates", f"campaign:{campaign}",
                                       "updatePrices", limits.CAMPAIGN_PRICE_BATCH)
    else:
        business = await business_id(api)
        path, scope, resource, size = (f"/v2/businesses/{business}/offer-prices/updates",
                                       f"business:{business}", "updateBusinessPrices", limits.BUSINESS_PRICE_BATCH)

    async def send(batch: list[dict]) -> None:
        await api.call("POST", path, YandexEmpty, scope=scope, resource=resource, cost=len(batch),
                       body={"offers": batch})

    results = await write(entries, size, send)
    if any(r.reason == ONLY_DEFAULT_PRICE for r in results):
        api.settings = None  # the cabinet changed its mind: read the settings again next time
    return results


def price_json(update: PriceUpdate, default_currency: str) -> dict:
    """UpdateBusinessPricesDTO / PriceDTO: value, currencyId, and the crossed-out price as discountBase."""
    price: dict[str, Any] = {"value": money_json(update.price),
                             "currencyId": to_yandex_currency(update.currency) or default_currency}
    if update.old_price is not None:
        price["discountBase"] = money_json(update.old_price)
    return price


def money_json(value: Decimal) -> int | float:
    """A JSON number with at most 2 decimals ("Value of field has too high scale" otherwise)."""
    value = value.quantize(limits.PRICE_QUANTUM)
    return int(value) if value == value.to_integral_value() else float(value)
