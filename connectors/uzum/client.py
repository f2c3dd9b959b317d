"""The Uzum Market seller OpenAPI client (`connectors.base.MarketplaceClient`).

The client owns the HttpCore (auth-scheme fallback, pacing, whole-call retries, paging) and the account context;
each capability is a module-level function of its feature module, called with the client (`models.UzumCalls` is
what they use of it): account (connection, shops, warehouses), catalog, stock, prices, orders, sales. Every
request is paced by `connectors.uzum.limits.uzum_pace`, one budget per token. There is no official spec
(MARKETPLACES.md §1): the UNCONFIRMED details are named constants / functions in those modules.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar, Unpack

from connectors.base import (
    AccountContext,
    AuthError,
    BadResponse,
    Choice,
    ConnectorError,
    Credentials,
    KeyExpired,
    Marketplace,
    NoShops,
    RateLimited,
)
from connectors.client_base import BaseClient, Features
from connectors.clock import Clock
from connectors.http import Connection, HttpCore, backoff_delay
from connectors.pacing import Pace, credential_id
from connectors.uzum import (
    account as uzum_account,  # `account` is the AccountContext here
)
from connectors.uzum import catalog, orders, prices, sales, stock
from connectors.uzum.errors import UZUM_POLICY, transient
from connectors.uzum.limits import UZUM_CALL_ATTEMPTS, UZUM_MIN_PAGE_SIZE, uzum_pace
from connectors.uzum.models import StockRow

T = TypeVar("T")


class UzumClient(BaseClient):
    marketplace = Marketplace.UZUM
    features = Features(account=uzum_account, catalog=catalog, stock=stock, prices=prices, orders=orders, sales=sales)

    def __init__(self, credentials: Credentials, *, auth_scheme: str | None = None,
                 account: AccountContext | None = None, **connection: Unpack[Connection]):
        self._token = credentials.api_key
        self._schemes = uzum_account.auth_schemes(auth_scheme)
        self.auth_scheme: str | None = None  # set once a scheme has been accepted
        self.account = account or AccountContext()
        self.stock_cache: OrderedDict[str, StockRow] = OrderedDict()
        self._pace_key = credential_id(self._token)
        self._shops: list[str] | None = None
        self._http = HttpCore(policy=UZUM_POLICY, secrets=[self._token],
                              auth_headers=uzum_account.uzum_auth_header(self._token, self._schemes[0]), **connection)

    # -- account (connectors.uzum.account) ---------------------------------------------------------
    # -- catalog, stock, prices --------------------------------------------------------------------
    # -- orders (connectors.uzum.orders) -----------------------------------------------------------
    async def order_count(self, status: str | None = None) -> int:
        return await orders.order_count(self, status)

    async def cancel_reasons(self) -> list[Choice]:
        return await orders.cancel_reasons(self)

    # -- sales (connectors.uzum.sales) -------------------------------------------------------------
    # -- what the feature modules use (models.UzumCalls) -------------------------------------------
    @property
    def clock(self) -> Clock:
        return self._http.clock

    def _pace(self) -> Pace:
        return uzum_pace(self._pace_key, clock=self._http.clock)

    async def send(self, method: str, path: str, *, params: Any = None, json_body: Any = None,
                   idempotent: bool = True) -> Any:
        """One paced request with the auth-scheme fallback: on 401 try the next scheme once, then report a bad key."""
        schemes = [self.auth_scheme] if self.auth_scheme else self._schemes
        for index, scheme in enumerate(schemes):
            self._http.set_auth_headers(uzum_account.uzum_auth_header(self._token, scheme))
            try:
                data = await self._http.request_json(method, path, params=params, json_body=json_body,
                                                     idempotent=idempotent, pace=self._pace())
            except AuthError as exc:
                last = index == len(schemes) - 1
                if last or isinstance(exc, KeyExpired) or exc.status != 401:
                    raise
                continue
            self.auth_scheme = scheme
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    async def call(self, method: str, path: str, parse: Callable[[Any], T], *, params: Any = None,
                   json_body: Any = None) -> T:
        """`send` + `parse`, repeated on transient failures (only for reads and absolute writes)."""
        for attempt in range(1, UZUM_CALL_ATTEMPTS + 1):
            try:
                return parse(await self.send(method, path, params=params, json_body=json_body))
            except ConnectorError as exc:
                if attempt == UZUM_CALL_ATTEMPTS or not transient(exc):
                    raise
                # After a rate-limit reply the pace already holds every request on this token.
                if not isinstance(exc, RateLimited):
                    await self._http.clock.sleep(backoff_delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def paged(self, path: str, parse: Callable[[Any], tuple[list[T], int | None]],
                    ident: Callable[[T], str], size: int, params: Sequence[tuple[str, Any]] = ()
                    ) -> AsyncIterator[list[T]]:
        """Every page of a page/size (0-based) list, streamed. Ends at an empty page, at the reported total,
        or when a page starts with the same item as the one before (a server that ignores `page`). A short
        page does not end the read: a server may cap `size` below what we asked for (or refuse it: then the
        first page is asked again with half the size, down to UZUM_MIN_PAGE_SIZE)."""
        page, read, previous_first = 0, 0, None
        while True:
            try:
                items, total = await self.call("GET", path, parse, params=[*params, ("page", page), ("size", size)])
            except BadResponse as exc:
                # Our page sizes are guesses: a first page refused as a bad request is tried smaller.
                if page or exc.status not in (400, 422) or size // 2 < UZUM_MIN_PAGE_SIZE:
                    raise
                size //= 2
                continue
            if not items or ident(items[0]) == previous_first:
                return
            yield items
            read += len(items)
            previous_first = ident(items[0])
            if total is not None and read >= total:
                return
            page += 1

    async def shop_ids(self) -> list[str]:
        """The shop of the account context, or every shop the token sees (read once per client)."""
        if self._shops is None:
            self._shops = await uzum_account.shop_ids(self)
        if not self._shops:
            raise NoShops("uzum: the token sees no shops")
        return self._shops

    async def shop_params(self) -> list[tuple[str, Any]]:
        """`shopIds`, repeated once per shop (how the order and finance lists take them)."""
        return [("shopIds", shop) for shop in await self.shop_ids()]

