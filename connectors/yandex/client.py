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

from collections.abc import AsyncIterator, Sequence
from datetime import date
from importlib import metadata

import httpx

from connectors.base import (
    AccountContext,
    CancelReason,
    Choice,
    ConnectionInfo,
    Credentials,
    ItemResult,
    Listing,
    Marketplace,
    NotSupported,
    Order,
    OrderPage,
    PriceUpdate,
    SalesRow,
    StockLevel,
    StockUpdate,
    Supply,
)
from connectors.clock import Clock
from connectors.http import BaseClient, HttpCore
from connectors.yandex import account, catalog, orders, prices, sales, stock
from connectors.yandex.api import YandexApi
from connectors.yandex.errors import YANDEX_POLICY
from connectors.yandex.models import YandexBusinessSettings, YandexCampaign

SUPPLIES_NOT_SUPPORTED = "Yandex FBY supply requests are not handled by the bot (out of scope for this release)."


class YandexClient(BaseClient):
    marketplace = Marketplace.YANDEX

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        timeout: float = 15.0,
        account: AccountContext | None = None,
    ):
        self._http = HttpCore(
            policy=YANDEX_POLICY,
            base_url=base_url,
            # Api-Key exactly as issued: a `Bearer ` prefix gives 401 "Api-Key token prefix invalid".
            auth_headers={"Api-Key": credentials.api_key},
            headers={"X-Market-Integration": integration_header()},
            transport=transport,
            clock=clock,
            timeout=timeout,
        )
        # (`account` here is the AccountContext argument; elsewhere it is the connectors.yandex.account module.)
        self._api = YandexApi(self._http, credentials, account)

    # -- account -------------------------------------------------------------------------------------
    async def check_connection(self) -> ConnectionInfo:
        return await account.check_connection(self._api)

    def iter_campaigns(self) -> AsyncIterator[YandexCampaign]:
        return account.iter_campaigns(self._api)

    async def list_warehouses(self) -> list[Choice]:
        return await account.list_warehouses(self._api)

    # -- catalog, stock, prices ----------------------------------------------------------------------
    def iter_listings(self) -> AsyncIterator[Listing]:
        return catalog.iter_listings(self._api)

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        return await stock.read_stock(self._api, skus)

    async def update_stock(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        return await stock.update_stock(self._api, updates)

    async def business_settings(self) -> YandexBusinessSettings:
        return await prices.business_settings(self._api)

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        return await prices.update_prices(self._api, updates)

    # -- orders --------------------------------------------------------------------------------------
    async def new_orders(self) -> list[Order]:
        return await orders.new_orders(self._api)

    async def orders_since(self, cursor: str | None) -> OrderPage:
        return await orders.orders_since(self._api, cursor)

    async def get_order(self, order_id: str) -> Order:
        return await orders.get_order(self._api, order_id)

    async def confirm_order(self, order_id: str) -> Order:
        return await orders.confirm_order(self._api, order_id)

    async def ship_order(self, order_id: str) -> Order:
        return await orders.ship_order(self._api, order_id)

    async def cancel_order(self, order_id: str, reason: CancelReason | str | None = None) -> Order:
        return await orders.cancel_order(self._api, order_id, reason)

    # -- sales ---------------------------------------------------------------------------------------
    async def sales(self, date_from: date, date_to: date) -> list[SalesRow]:
        return await sales.sales(self._api, date_from, date_to)

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
