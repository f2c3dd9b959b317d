"""The Ozon Seller API client (specs/ozon/ozon-seller-api-swagger-en.json, MARKETPLACES.md §4).

Every method is a POST with a JSON body; `Client-Id` + `Api-Key` headers. The client owns the HttpCore (pacing,
retries, error mapping by connectors.ozon.errors.OZON_POLICY), the account context and what it learns as it goes
(ids, the warehouses' kinds, the stock item shape); each capability is a module-level function of the feature
module that describes it, taking the client:

    account   check_connection, list_warehouses (+ roles, seller info, the stock scope of the account warehouse)
    catalog   iter_listings (+ product details, offer_id <-> product_id / SKU mappings)
    stock     read_stock, update_stock
    prices    update_prices
    orders    new_orders, orders_since, get_order, confirm_order, ship_order, cancel_order
    sales     sales, finance
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Unpack

from connectors.base import (
    AccountContext,
    AuthError,
    Credentials,
    Marketplace,
)
from connectors.client_base import BaseClient, Features
from connectors.http import Connection, HttpCore, parse_model, parse_model_json
from connectors.ozon import account, catalog, orders, prices, sales, stock
from connectors.ozon.errors import OZON_POLICY
from connectors.ozon.limits import ozon_pace
from connectors.ozon.models import (
    OzonRoles,
    OzonSellerInfo,
    OzonWarehouse,
    ProductInfoRow,
)
from connectors.pacing import Pace


class OzonClient(BaseClient):
    """One Ozon account (Client-Id + Api-Key). `account.warehouse_id`: the FBS / rFBS warehouse stock goes to
    when a StockUpdate names none (and whose stock type the stock figures count)."""

    marketplace = Marketplace.OZON
    features = Features(account=account, catalog=catalog, stock=stock, prices=prices, orders=orders, sales=sales)

    def __init__(self, credentials: Credentials, *, account: AccountContext | None = None,
                 **connection: Unpack[Connection]):
        client_id = (credentials.client_id or "").strip()
        if not client_id:
            raise AuthError("ozon needs a Client-Id as well as an Api-Key", detail="Client-Id missing")
        self.client_id = client_id
        self.account = account or AccountContext()
        self._http = HttpCore(policy=OZON_POLICY, auth_headers={"Client-Id": client_id, "Api-Key": credentials.api_key},
                              **connection)
        # Learned from every product reply: offer_id -> product_id, Ozon SKU -> offer_id (the newest
        # limits.OZON_ID_CACHE of each; see catalog.IdCache).
        self.product_ids: catalog.IdCache = catalog.IdCache()
        self.offers_by_sku: catalog.IdCache = catalog.IdCache()
        # The stock item shape in use (see stock.ozon_stock_item); switches once if Ozon rejects it.
        self.stock_shape: str = stock.OZON_STOCK_SHAPES[0]
        # warehouse_id -> is_rfbs, read once on the first posting / stock figure that needs it.
        self.rfbs_by_warehouse: dict[int, bool] | None = None

    # -- plumbing the feature modules use ----------------------------------------------------------
    @property
    def http(self) -> HttpCore:
        return self._http

    def pace(self, method: str | None = None, **kwargs: Any) -> Pace:
        """The global 50 rps per Client-Id, plus the method's own limit / per-item gate (limits.ozon_pace)."""
        return ozon_pace(self.client_id, method, clock=self._http.clock, **kwargs)

    async def post(self, path: str, body: Any, model: Any, *, pace: Pace | None = None,
                   idempotent: bool = True) -> Any:
        """POST `body` and parse the reply into `model` (connectors.ozon.models)."""
        data = await self._http.request_json("POST", path, json_body=body, pace=pace or self.pace(),
                                             idempotent=idempotent)
        return parse_model(model, data, f"ozon {path}")

    async def post_rows(self, path: str, body: Any, type_: Any) -> Any:
        """`post` for the big catalog pages: the reply validated from its bytes (connectors.http.parse_model_json)
        into the models' TypedDict rows. Same request path: retries, pacing and error mapping of HttpCore."""
        response = await self._http.request("POST", path, json_body=body, pace=self.pace())
        return parse_model_json(type_, response.content, f"ozon {path}", status=response.status_code)

    # -- account -----------------------------------------------------------------------------------
    async def roles(self) -> OzonRoles:
        return await account.roles(self)

    async def seller_info(self) -> OzonSellerInfo:
        return await account.seller_info(self)

    async def warehouses(self) -> list[OzonWarehouse]:
        return await account.warehouses(self)

    async def warehouse_kinds(self) -> dict[int, bool] | None:
        return await account.warehouse_kinds(self)

    async def stock_scope(self) -> tuple[frozenset[str], str | None]:
        return await account.stock_scope(self)

    # -- catalog -----------------------------------------------------------------------------------
    async def product_info(self, *, product_ids: Sequence[int] = (), skus: Sequence[int] = ()
                           ) -> list[ProductInfoRow]:
        return await catalog.product_info(self, product_ids=product_ids, skus=skus)

    async def resolve_product_ids(self, offers: Iterable[str]) -> dict[str, int]:
        return await catalog.resolve_product_ids(self, offers)

    async def offers_for(self, skus: Iterable[str]) -> dict[str, str]:
        return await catalog.offers_for(self, skus)

    # -- stock and prices --------------------------------------------------------------------------
    # -- orders ------------------------------------------------------------------------------------
    # -- analytics ---------------------------------------------------------------------------------