"""The Wildberries client (specs/wildberries, MARKETPLACES.md §3): one token, one account context.

The client owns the HttpCore, the token and the AccountContext, and the request helpers every capability uses
(`read`, `write`, `pages_by_next`, `pages_by_offset`, pacing). Each capability lives in its own module as
module-level functions that take the client: account (connection, warehouses), catalog, stock, prices, orders
(with the actions and supplies), sales; what each calls is in that module's docstring. Paths are from the ru
YAMLs of 2026-03-11, limits (limits.py) from the en JSONs of 2026-08-19.

Beyond the MarketplaceClient protocol: `iter_prices`, `price_task_results`, `confirm_orders` (batch),
`list_supplies`, `create_supply`, `deliver_supply`, `ping`. Nothing raises NotSupported: WB has every capability
of the protocol (and no webhooks).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar, Unpack

import httpx

from connectors.base import (
    AccountContext,
    AuthError,
    ConnectionInfo,
    Credentials,
    ItemResult,
    Listing,
    Marketplace,
    PriceUpdate,
    RateLimited,
    Supply,
)
from connectors.client_base import BaseClient, Features
from connectors.clock import Clock
from connectors.http import Connection, HttpCore, backoff_delay
from connectors.pacing import Pace, credential_id, pacer_for
from connectors.wildberries import account, catalog, orders, prices, sales, stock
from connectors.wildberries.account import (
    UNREADABLE_TOKEN,
    WbTokenInfo,
    decode_wb_token,
)
from connectors.wildberries.errors import TRANSIENT, WB_POLICY, Garbled
from connectors.wildberries.limits import (
    WB_CALL_TRIES,
    WB_CANCEL_LIMIT,
    wb_pace,
    wb_tier,
)
from connectors.wildberries.models import WbPing, parse_reply

T = TypeVar("T")


class WildberriesClient(BaseClient):
    """The Wildberries seller API for one token (and, for stock, one warehouse of the AccountContext)."""

    marketplace = Marketplace.WILDBERRIES
    features = Features(account=account, catalog=catalog, stock=stock, prices=prices, orders=orders, sales=sales)

    def __init__(self, credentials: Credentials, *, account: AccountContext | None = None,
                 **connection: Unpack[Connection]):
        self._token = credentials.api_key.strip()
        # A template: each request names its service's host, so the core has no base of its own.
        self._base_template = connection["base_url"]
        self.account = account or AccountContext()
        # No prefix: `Authorization: <JWT>` (securitySchemes.HeaderApiKey).
        self._http = HttpCore(policy=WB_POLICY, auth_headers={"Authorization": self._token},
                              **{**connection, "base_url": ""})
        self._info: WbTokenInfo | None = None
        self.memory = orders.OrderMemory()  # recently seen orders and the open supply (orders module)

    # -- the MarketplaceClient protocol ---------------------------------------------------------------
    async def check_connection(self) -> ConnectionInfo:
        return await account.check_connection(self, self._token)

    def iter_listings(self, *, with_prices: bool | None = None) -> AsyncIterator[Listing]:
        return catalog.iter_listings(self, with_prices=with_prices)

    # -- beyond the protocol --------------------------------------------------------------------------
    async def ping(self, host: str) -> WbPing:
        return await account.ping(self, host)

    def iter_prices(self) -> AsyncIterator[PriceUpdate]:
        return prices.iter_prices(self)

    async def price_task_results(self, task_id: int | str) -> list[ItemResult]:
        return await prices.price_task_results(self, task_id)

    async def confirm_orders(self, order_ids: Sequence[str]) -> list[ItemResult]:
        return await orders.confirm_orders(self, order_ids)

    async def list_supplies(self) -> list[Supply]:
        return await orders.list_supplies(self)

    async def create_supply(self, name: str) -> Supply:
        return await orders.create_supply(self, name)

    async def deliver_supply(self, supply_id: str) -> None:
        await orders.deliver_supply(self, supply_id)

    # -- token and pacing (for the feature modules) ---------------------------------------------------
    @property
    def http(self) -> HttpCore:
        return self._http

    @property
    def clock(self) -> Clock:
        return self._http.clock

    @property
    def token_info(self) -> WbTokenInfo:
        """The token's claims; an unreadable token gets the strictest limits (check_connection reports it)."""
        if self._info is None:
            try:
                self._info = decode_wb_token(self._token)
            except AuthError:
                self._info = UNREADABLE_TOKEN
        return self._info

    def _limit_account(self) -> str:
        # "The service limit applies to all tokens within a single service"; otherwise per seller.
        info = self.token_info
        return info.service_id or info.seller_id or credential_id(self._token)

    def pace(self, group: str) -> Pace:
        return wb_pace(group, self.token_info.type, self._limit_account(), clock=self._http.clock)

    def cancel_pace(self) -> Pace:
        """Cancelling has its own limit on top of the Marketplace category's."""
        general = self.pace("marketplace")
        key = (Marketplace.WILDBERRIES.value, self._limit_account(), "cancel", wb_tier(self.token_info.type))
        own = pacer_for(key, WB_CANCEL_LIMIT, clock=self._http.clock)
        return Pace(own, *general.parts, error_cost=general.error_cost)

    # -- requests (for the feature modules) -----------------------------------------------------------
    def host_url(self, host: str) -> str:
        """The base URL of one category host, e.g. 'marketplace' -> https://marketplace-api.wildberries.ru."""
        # str.replace, not format(): a base URL may legitimately contain other braces.
        return self._base_template.replace("{category}", host).rstrip("/")

    async def call(self, attempt: Callable[[], Awaitable[T]], *, idempotent: bool = True) -> T:
        """Run one request attempt until it succeeds or fails for good (WB_CALL_TRIES, on top of HttpCore's).

        A rate-limit reply was not acted on, so even a non-idempotent write is tried again; the pacer was
        penalized with the server's wait, so the next attempt queues there."""
        for number in range(1, WB_CALL_TRIES + 1):
            try:
                return await attempt()
            except TRANSIENT as exc:
                retry = idempotent or isinstance(exc, RateLimited)
                if number == WB_CALL_TRIES or not retry:
                    raise
                if not isinstance(exc, RateLimited):
                    await self._http.clock.sleep(backoff_delay(number))
        raise AssertionError("unreachable")

    async def send(self, method: str, host: str, path: str, *, group: str, pace: Pace | None = None,
                   params: dict | None = None, body: Any = None, idempotent: bool = True) -> httpx.Response:
        return await self._http.request(method, path, base_url=self.host_url(host), params=params, json_body=body,
                                        idempotent=idempotent, pace=pace or self.pace(group))

    async def read(self, method: str, host: str, path: str, model: Any, *, group: str, params: dict | None = None,
                   body: Any = None, idempotent: bool = True) -> Any:
        """A request whose JSON reply is parsed with `model`."""
        what = f"wildberries {method} {path}"

        async def attempt() -> Any:
            response = await self.send(method, host, path, group=group, params=params, body=body,
                                       idempotent=idempotent)
            return parse_reply(model, response, what)

        return await self.call(attempt, idempotent=idempotent)

    async def write(self, method: str, path: str, *, body: Any = None, pace: Pace | None = None) -> None:
        """A Marketplace write WB answers with 204. Any other 2xx (a proxy's page, a garbled reply) is no proof
        that the write happened, so it is retried; every such write here is safe to repeat."""

        async def attempt() -> None:
            response = await self.send(method, "marketplace", path, group="marketplace", pace=pace, body=body)
            if response.status_code != 204:
                raise Garbled(f"wildberries {method} {path}: expected 204, got {response.status_code}",
                              status=response.status_code)

        await self.call(attempt)

    async def pages_by_next(self, path: str, model: Any, rows: Callable[[Any], list], *, limit: int,
                            params: dict | None = None) -> AsyncIterator[list]:
        """Marketplace lists paged by `next` (0 first, then the reply's); a short page is the last."""
        cursor = 0
        while True:
            page = await self.read("GET", "marketplace", path, model, group="marketplace",
                                   params={**(params or {}), "limit": limit, "next": cursor})
            yield rows(page)
            if len(rows(page)) < limit or page.next == cursor:
                return
            cursor = page.next

    async def pages_by_offset(self, path: str, model: Any, rows: Callable[[Any], list], *, limit: int,
                              params: dict | None = None) -> AsyncIterator[list]:
        """Prices lists paged by limit / offset. WB says "until an empty array"; a short page already is the
        last (saves a Base token one of its 4 requests per hour)."""
        offset = 0
        while True:
            page = await self.read("GET", "discounts-prices", path, model, group="prices",
                                   params={**(params or {}), "limit": limit, "offset": offset})
            yield rows(page)
            if len(rows(page)) < limit:
                return
            offset += len(rows(page))
