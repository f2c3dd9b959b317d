"""The Yandex Market Partner API client (official spec: specs/yandex/partner-api, MARKETPLACES.md §2).

`YandexClient` implements connectors.base.MarketplaceClient. It owns the HttpCore (`Api-Key` header; every URL
carries its version prefix) and the account context, held in a `connectors.yandex.api.YandexApi` that every
capability function takes. What each capability calls is in its module's docstring:

- account.py   connection test (GET /v2/campaigns), businessId / campaignId discovery, warehouses, the key check
- catalog.py   POST /v2/businesses/{businessId}/offer-mappings
- stock.py     POST / PUT /v2/campaigns/{campaignId}/offers/stocks
- prices.py    POST /v2/businesses/{businessId}/offer-prices/updates (or the campaign's, when the cabinet allows)
- orders.py    POST /v1/businesses/{businessId}/orders; PUT /v2/campaigns/{campaignId}/orders/{orderId}/status;
               the status -> state / actions table and the cancel reasons
- sales.py     POST /v2/campaigns/{campaignId}/stats/orders
- webhooks.py  push notifications (served by bot/web.py)
- errors.py, limits.py, models.py: how Yandex says no, its limits, its reply shapes.

Not supported (NotSupported): FBY supply requests (out of scope for the bot).
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from importlib import metadata
from typing import Unpack

from connectors.base import (
    AccountContext,
    Credentials,
    Marketplace,
    NotSupported,
    Supply,
)
from connectors.client_base import BaseClient, Features
from connectors.http import Connection, HttpCore
from connectors.yandex import account, catalog, orders, prices, sales, stock
from connectors.yandex.api import YandexApi
from connectors.yandex.errors import YANDEX_POLICY
from connectors.yandex.models import YandexBusinessSettings, YandexCampaign

SUPPLIES_NOT_SUPPORTED = "Yandex FBY supply requests are not handled by the bot (out of scope for this release)."


class YandexClient(BaseClient):
    marketplace = Marketplace.YANDEX
    features = Features(account=account, catalog=catalog, stock=stock, prices=prices, orders=orders, sales=sales)

    def __init__(self, credentials: Credentials, *, account: AccountContext | None = None,
                 **connection: Unpack[Connection]):
        # Api-Key exactly as issued: a `Bearer ` prefix gives 401 "Api-Key token prefix invalid".
        self._http = HttpCore(policy=YANDEX_POLICY, auth_headers={"Api-Key": credentials.api_key},
                              headers={"X-Market-Integration": integration_header()}, **connection)
        # (`account` here is the AccountContext argument; elsewhere it is the connectors.yandex.account module.)
        self._api = YandexApi(self._http, credentials, account)

    @property
    def api(self) -> YandexApi:
        return self._api

    # -- account -------------------------------------------------------------------------------------
    def iter_campaigns(self) -> AsyncIterator[YandexCampaign]:
        return account.iter_campaigns(self._api)

    # -- catalog, stock, prices ----------------------------------------------------------------------
    async def business_settings(self) -> YandexBusinessSettings:
        return await prices.business_settings(self._api)

    # -- orders --------------------------------------------------------------------------------------
    # -- sales ---------------------------------------------------------------------------------------
    # -- supplies ------------------------------------------------------------------------------------
    async def list_supplies(self) -> list[Supply]:
        raise NotSupported(SUPPLIES_NOT_SUPPORTED)

    async def create_supply(self, name: str) -> Supply:
        raise NotSupported(SUPPLIES_NOT_SUPPORTED)


def integration_header() -> str:
    """`X-Market-Integration: <name>/<version>` labels our calls in the cabinet's request log."""
    try:
        version = metadata.version("sellercloudx-bot")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"SellerCloudX/{version}"
