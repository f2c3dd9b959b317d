"""What every marketplace client shares: it owns an HttpCore (and closes it), and each capability of
`connectors.base.MarketplaceClient` is a function of its package's feature module with the same name
(connectors/<marketplace>/{account,catalog,stock,prices,orders,sales}.py). A client names its modules once
(`features`); the calls below are written once for all four. A client overrides a method only where its
marketplace needs more (Wildberries' connection test reads the token itself).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from types import ModuleType
from typing import Any, ClassVar

from connectors.base import (
    CancelReason,
    Choice,
    ConnectionInfo,
    FinanceEntry,
    ItemResult,
    Listing,
    Marketplace,
    Order,
    OrderPage,
    PriceUpdate,
    SalesRow,
    StockLevel,
    StockUpdate,
)
from connectors.http import HttpCore


@dataclass(frozen=True)
class Features:
    """A connector package's feature modules."""

    account: ModuleType  # check_connection, list_warehouses
    catalog: ModuleType  # iter_listings
    stock: ModuleType  # read_stock, update_stock
    prices: ModuleType  # update_prices
    orders: ModuleType  # new_orders, orders_since, get_order, confirm_order, ship_order, cancel_order
    sales: ModuleType  # sales, finance


class BaseClient:
    marketplace: Marketplace
    features: ClassVar[Features]
    _http: HttpCore

    @property
    def api(self) -> Any:
        """What the feature functions take first: the client itself, unless it keeps a separate request object."""
        return self

    async def check_connection(self) -> ConnectionInfo:
        return await self.features.account.check_connection(self.api)

    async def list_warehouses(self) -> list[Choice]:
        return await self.features.account.list_warehouses(self.api)

    def iter_listings(self) -> AsyncIterator[Listing]:
        return self.features.catalog.iter_listings(self.api)

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        return await self.features.stock.read_stock(self.api, skus)

    async def update_stock(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        return await self.features.stock.update_stock(self.api, updates)

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        return await self.features.prices.update_prices(self.api, updates)

    async def new_orders(self) -> list[Order]:
        return await self.features.orders.new_orders(self.api)

    async def orders_since(self, cursor: str | None) -> OrderPage:
        return await self.features.orders.orders_since(self.api, cursor)

    async def get_order(self, order_id: str) -> Order:
        return await self.features.orders.get_order(self.api, order_id)

    async def confirm_order(self, order_id: str) -> Order:
        return await self.features.orders.confirm_order(self.api, order_id)

    async def ship_order(self, order_id: str) -> Order:
        return await self.features.orders.ship_order(self.api, order_id)

    async def cancel_order(self, order_id: str, reason: CancelReason | str | None = None) -> Order:
        return await self.features.orders.cancel_order(self.api, order_id, reason)

    async def sales(self, date_from: date, date_to: date) -> list[SalesRow]:
        return await self.features.sales.sales(self.api, date_from, date_to)

    async def finance(self, date_from: date, date_to: date) -> list[FinanceEntry]:
        return await self.features.sales.finance(self.api, date_from, date_to)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
