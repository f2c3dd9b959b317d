"""Uzum Market seller OpenAPI client.

There is no official spec (MARKETPLACES.md §1): every Uzum detail is UNCONFIRMED and kept behind one
named constant or function in the "UNCONFIRMED" section below, so a correction after the first live call
is a one-line change. Parsing is tolerant: replies may come wrapped in `{"payload": ...}` or bare, extra
fields are ignored, ids and barcodes may be numbers or strings, times milliseconds or seconds.

What each capability calls (all paced by `connectors.uzum.limits.uzum_pace`, one budget per token):

- connection:  GET /v1/shops (raw token, Bearer fallback on 401)
- catalog:     GET /v1/product/shop/{shopId}?page&size (0-based), every shop of the account context
- stock read:  GET /v2/fbs/sku/stocks (paged; stops early once every asked SKU was seen)
- stock push:  POST /v2/fbs/sku/stocks {"skuAmountList": [the objects GET returned, with the new amount]},
               UZUM_STOCK_BATCH per request. FBS stock only: `StockUpdate.warehouse_id` is ignored.
- prices:      POST /v1/product/{shopId}/sendPriceData {"priceData": [...]}, UZUM_PRICE_BATCH per request
- orders:      GET /v2/fbs/orders (shopIds repeated, size <= 50), /v2/fbs/orders/count, /v1/fbs/order/{id},
               POST /v1/fbs/order/{id}/confirm | cancel (reasons: GET /v1/fbs/order/return-reasons)
- sales:       GET /v1/finance/orders (payload.orderItems), summed per day (Tashkent time) and SKU
- warehouses:  Uzum has none (stock is per SKU and scheme): `list_warehouses()` returns [], so generic flows
               ("pick a warehouse if there are any") just skip the step instead of failing.
- ship:        not in the API (FBS orders are handed over at the drop-off point): NotSupported.

Per-item reasons (`ItemResult.reason`) this client gives:
  `promo_locked`   Uzum error `sku-price-001`: the SKU is in a promotion, its price cannot change
  `not_found`      the SKU is not in the account (stock: not in GET /v2/fbs/sku/stocks; or Uzum said so)
  `invalid_value`  negative stock, a price <= 0, or Uzum refused the value
  `not_linked`     Uzum refused stock for an SKU that is not on the FBS scheme
  `unavailable` / `rate_limited` / `bad_response`   the batch still failed after every retry (try later)
  any other Uzum error code, as Uzum gave it, when we cannot map it.
A refused batch whose errors name SKUs rejects those and resends the rest; a known item-level code without
an SKU (e.g. the promo lock) is narrowed down by halving the batch. A key or permission error is raised.

Orders cursor (`orders_since`): Uzum has no "updated since" filter (as far as we know), so every poll re-reads
the orders created in the last UZUM_ORDER_LOOKBACK_DAYS, plus every CREATED order whatever its date, and
compares each order's status with the one the cursor remembers. New orders and changed statuses are
returned; the new cursor remembers the statuses just read (zlib + base64url JSON: opaque, compact). Storing
the cursor only after handling the page gives at-least-once delivery: a crash repeats one poll's changes
once, never forever; a cursor that cannot be read starts over (the window's orders again). Changes to
orders older than the window (other than CREATED ones) are not seen. Cost: the window's orders / 50
requests per poll, plus one for CREATED.
"""
from __future__ import annotations

import base64
import json
import logging
import zlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

import httpx
from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

from connectors.base import (
    AccountContext,
    AuthError,
    BadResponse,
    Choice,
    ConnectionInfo,
    ConnectorError,
    Credentials,
    ItemOutcome,
    ItemResult,
    KeyExpired,
    Listing,
    Marketplace,
    MarketplaceUnavailable,
    NoShops,
    NotSupported,
    Order,
    OrderItem,
    OrderPage,
    PermissionDenied,
    PriceUpdate,
    RateLimited,
    SalesRow,
    Scheme,
    StockLevel,
    StockUpdate,
)
from connectors.clock import Clock
from connectors.http import (
    BaseClient,
    ErrorPolicy,
    HttpCore,
    RateLimitSignal,
    Reply,
    backoff_delay,
    first_text,
    parse_model,
    retry_after_header,
)
from connectors.pacing import Pace, credential_id
from connectors.uzum.limits import uzum_pace

log = logging.getLogger("connectors.uzum")

T = TypeVar("T")
Item = dict[str, Any]  # one `skuAmountList` / `priceData` item as sent
Send = Callable[[list[Item]], Awaitable[None]]

# =========================================================================================================
# UNCONFIRMED (MARKETPLACES.md §1): each uncertain detail in exactly one place.
# =========================================================================================================
# Most third-party clients send the raw token, a minority `Bearer`. We try them in this order; the first
# that is not answered 401 is remembered for the client's life and reported in ConnectionInfo.extra.
UZUM_AUTH_SCHEMES: tuple[str, ...] = ("raw", "bearer")

UZUM_CURRENCY = "UZS"
# Page sizes. Orders: "OpenAPI max for GET /v2/fbs/orders" = 50 in third-party code. The others have no
# known maximum; these are conservative. Whether GET /v2/fbs/sku/stocks pages at all is unknown: a server
# that ignores `page` is detected (the same first item again) and the read ends.
UZUM_PRODUCTS_PAGE_SIZE = 100
UZUM_STOCKS_PAGE_SIZE = 1000
UZUM_ORDERS_PAGE_SIZE = 50
UZUM_FINANCE_PAGE_SIZE = 100
UZUM_MIN_PAGE_SIZE = 10  # halving a refused page size stops here (see UzumClient._paged)
# Items per write request. No documented maximum; third-party code batches stock by 100.
UZUM_STOCK_BATCH = 100
UZUM_PRICE_BATCH = 100
# How far back `orders_since` re-reads orders to notice status changes (see the module docstring).
UZUM_ORDER_LOOKBACK_DAYS = 14
# dateTo is "now" plus this much, so an order stamped by a server clock slightly ahead of ours is not missed.
UZUM_CLOCK_SKEW = 600
# Sales are summed per calendar day in Uzbekistan time (UTC+5, no daylight saving).
UZUM_TZ = timezone(timedelta(hours=5), "Asia/Tashkent")
# Error codes that refuse one item, not the request; the reason each becomes. `sku-price-001` is seen in
# third-party code ("Ску нельзя редактировать", a SKU in a promotion); the others are the sandbox's stand-ins.
UZUM_ITEM_ERROR_REASONS: dict[str, str] = {
    "sku-price-001": "promo_locked",
    "sku-not-found": "not_found",
    "sku-price-invalid": "invalid_value",
    "sku-amount-invalid": "invalid_value",
    "sku-not-linked-fbs": "not_linked",
}
# Statuses after which an order counts as confirmed / cancelled (to re-check an action whose reply was lost).
UZUM_CONFIRMED_STATUSES = frozenset({"PACKING", "PENDING_DELIVERY", "DELIVERING", "DELIVERED", "COMPLETED"})
UZUM_CANCELLED_STATUSES = frozenset({"CANCELED", "CANCELLED"})
# Finance statuses of an order item that is not a sale.
UZUM_FINANCE_CANCELLED = frozenset({"CANCELED", "CANCELLED"})


def uzum_auth_header(token: str, scheme: str) -> dict[str, str]:
    """The Authorization header for one scheme (the ONE place that knows how Uzum wants the token)."""
    if scheme == "raw":
        return {"Authorization": token}
    if scheme == "bearer":
        return {"Authorization": f"Bearer {token}"}
    raise ValueError(f"unknown Uzum auth scheme {scheme!r}")


def unwrap_uzum_payload(data: Any) -> Any:
    """Envelope: third-party code reads `{"payload": ...}`, and a few endpoints reply bare; accept both."""
    if isinstance(data, dict) and "payload" in data:
        return data["payload"]
    return data


def uzum_time_param(unix_seconds: float) -> int:
    """dateFrom / dateTo query value: epoch milliseconds in most third-party clients (one doubts ms vs s)."""
    return int(unix_seconds * 1000)


def uzum_time_to_unix(value: Any) -> int | None:
    """A time in a reply -> unix seconds: epoch ms or s (told apart by size), a digit string, or ISO 8601."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.lstrip("-").isdigit():
            value = int(text)
        else:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            return int((moment if moment.tzinfo else moment.replace(tzinfo=UZUM_TZ)).timestamp())
    if isinstance(value, (int, float)):
        # 1e11 seconds is the year 5138; 1e11 ms is 1973: anything larger is milliseconds.
        return int(value / 1000) if abs(value) >= 1e11 else int(value)
    return None


def uzum_price_item(sku_id: str, update: PriceUpdate) -> dict[str, Any]:
    """One `priceData` item. Fields from one third-party client: fullPrice is the crossed-out price, sellPrice
    the price paid. Whole sums: UZS has no fractional prices in practice."""
    sell = int(update.price.to_integral_value())
    full = int(update.old_price.to_integral_value()) if update.old_price is not None else sell
    return {"skuId": _wire_id(sku_id), "fullPrice": max(full, sell), "sellPrice": sell}


def uzum_stock_item(current: dict[str, Any], amount: int) -> dict[str, Any]:
    """One `skuAmountList` item: the object GET /v2/fbs/sku/stocks returned, with the new amount."""
    return {**current, "amount": amount}


def uzum_cancel_body(reason: str) -> dict[str, Any]:
    """Body of POST /v1/fbs/order/{id}/cancel: a reason code from /v1/fbs/order/return-reasons."""
    return {"reason": reason}


def uzum_reason(code: str | None) -> str:
    """The ItemResult reason for an Uzum error code (an unknown code is passed on as given)."""
    if not code:
        return "rejected"
    return UZUM_ITEM_ERROR_REASONS.get(code, code)


def uzum_finance_revenue(price: Decimal | None, quantity: int) -> Decimal:
    """Revenue of one finance order item: `sellPrice` is taken as the unit price."""
    return (price or Decimal(0)) * quantity


def _wire_id(value: str) -> int | str:
    # Uzum ids are numbers on the wire; keep anything else as given.
    return int(value) if value.isdigit() else value


# =========================================================================================================
# Errors
# =========================================================================================================
@dataclass(frozen=True)
class UzumError:
    """One item of an error reply's `errors` list (UNCONFIRMED shape; `skuId` where the server names one)."""

    code: str | None
    message: str | None
    sku_id: str | None = None


def parse_uzum_errors(body: Any) -> tuple[UzumError, ...]:
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return ()
    found = []
    for item in body["errors"]:
        if isinstance(item, dict):
            sku = item.get("skuId")
            found.append(UzumError(first_text(item.get("code")), first_text(item.get("message"), item.get("detail")),
                                   None if sku is None else str(sku)))
    return tuple(found)


def _uzum_message(reply: Reply) -> str | None:
    # UNCONFIRMED error shape: `{"errors": [{"code", "message"}]}` in third-party code; be tolerant.
    body = reply.body
    if not isinstance(body, dict):
        return None
    errors = parse_uzum_errors(body)
    if errors:
        return first_text(errors[0].message, errors[0].code)
    return first_text(body.get("message"), body.get("error"), body.get("detail"))


def _uzum_rate_limit(reply: Reply, now: float) -> RateLimitSignal | None:
    # Uzum answers 429 (third-party code); no documented header, so honour a standard Retry-After if any.
    if reply.status == 429:
        return RateLimitSignal(retry_after_header(reply, now))
    return None


UZUM_POLICY = ErrorPolicy(Marketplace.UZUM, rate_limit=_uzum_rate_limit, message=_uzum_message)

# A 4xx with these statuses refuses what we sent (not the key, not the rate).
_REFUSAL_STATUSES = frozenset({400, 404, 409, 422})


def _refusal(error: ConnectorError) -> tuple[UzumError, ...] | None:
    """The errors of a reply that refused what we sent (per-item results need their codes and SKUs), or None if
    the failure was something else."""
    if error.status in _REFUSAL_STATUSES:
        return parse_uzum_errors(error.body)
    return None


def _transient(error: ConnectorError) -> bool:
    """Worth repeating the same request: the server failed, asked us to wait, or sent an unreadable reply."""
    if isinstance(error, (MarketplaceUnavailable, RateLimited)):
        return True
    return isinstance(error, BadResponse) and (error.status is None or 200 <= error.status < 300)


def _failure_reason(error: ConnectorError) -> str:
    if isinstance(error, RateLimited):
        return "rate_limited"
    if isinstance(error, MarketplaceUnavailable):
        return "unavailable"
    return "bad_response"


# =========================================================================================================
# Reply models (tolerant: extra fields ignored, numbers or strings, several names where clients disagree)
# =========================================================================================================
def _text(value: Any) -> Any:
    # Ids and barcodes arrive as numbers or strings; we keep text (barcodes may have leading zeros).
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(int(value))
    return value.strip() if isinstance(value, str) else value


def _status(value: Any) -> Any:
    # A product status is an object `{"value": "ACTIVE", "title": ...}` in third-party code, or plain text.
    if isinstance(value, dict):
        return first_text(value.get("value"), value.get("title"))
    return value


def _money(value: Any) -> Any:
    if value is None or isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


Text = Annotated[str, BeforeValidator(_text)]
Money = Annotated[Decimal | None, BeforeValidator(_money)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class UzumShop(_Model):
    id: int | str
    name: str | None = None


# The seller's own SKU code: `sellerSkuCode` in stock rows, `sellerItemCode` in one client's product list.
_SELLER_CODE = Field(None, validation_alias=AliasChoices("sellerSkuCode", "sellerItemCode", "sellerCode"))


class UzumProductSku(_Model):
    skuId: Text
    skuTitle: str | None = None
    productTitle: str | None = None
    barcode: Text | None = None
    seller_code: Text | None = _SELLER_CODE
    price: Money = Field(None, validation_alias=AliasChoices("price", "sellPrice"))
    quantityFbs: int | None = None


class UzumProduct(_Model):
    productId: Text
    title: str | None = None
    status: Annotated[str | None, BeforeValidator(_status)] = None
    price: Money = None
    skuList: list[UzumProductSku] = Field(default_factory=list)


class UzumProductPage(_Model):
    productList: list[UzumProduct] = Field(default_factory=list, validation_alias=AliasChoices("productList", "products"))
    total: int | None = Field(None, validation_alias=AliasChoices("totalProductsAmount", "totalElements"))


class UzumSkuAmount(_Model):
    skuId: Text
    amount: int = 0


@dataclass(frozen=True)
class StockRow:
    """A row of GET /v2/fbs/sku/stocks: what we read from it, and the object as sent (to echo it back)."""

    sku: str
    amount: int
    raw: dict[str, Any]


class UzumOrderItem(_Model):
    skuId: Text | None = None
    productId: Text | None = None
    skuTitle: str | None = None
    productTitle: str | None = None
    seller_code: Text | None = _SELLER_CODE
    amount: int = Field(1, validation_alias=AliasChoices("amount", "quantity"))
    price: Money = Field(None, validation_alias=AliasChoices("price", "sellPrice"))


class UzumOrder(_Model):
    id: Text
    status: str
    scheme: str | None = None
    shopId: Text | None = None
    dateCreated: Any = None
    dateAcceptUntil: Any = None
    dateDeliverUntil: Any = None
    price: Money = None
    orderItems: list[UzumOrderItem] = Field(default_factory=list, validation_alias=AliasChoices("orderItems", "items"))


class UzumOrderPage(_Model):
    orders: list[UzumOrder] = Field(default_factory=list)
    totalElements: int | None = None


class UzumFinanceItem(_Model):
    orderId: Text | None = None
    skuId: Text | None = None
    skuTitle: str | None = None
    seller_code: Text | None = _SELLER_CODE
    date: Any = None
    status: str | None = None
    cancelled: bool | None = None
    sellPrice: Money = None
    amount: int = 0
    amountReturns: int = 0


class UzumFinancePage(_Model):
    orderItems: list[UzumFinanceItem] = Field(default_factory=list)
    totalElements: int | None = None


class UzumReason(_Model):
    code: Text = Field(validation_alias=AliasChoices("reason", "code", "id"))
    title: str | None = Field(None, validation_alias=AliasChoices("title", "name", "description"))


# ------------------------------------------------------------------------------------------- parsers
def parse_uzum_shops(data: Any) -> list[UzumShop]:
    """`GET /v1/shops` -> shops, whether the list is in `payload` or at the top level."""
    payload = unwrap_uzum_payload(data)
    if not isinstance(payload, list):
        raise BadResponse("uzum /v1/shops: expected a list of shops")
    return parse_model(list[UzumShop], payload, "uzum /v1/shops")


def parse_product_page(data: Any) -> tuple[list[UzumProduct], int | None]:
    page = parse_model(UzumProductPage, unwrap_uzum_payload(data), "uzum products")
    return page.productList, page.total


def parse_stock_page(data: Any) -> tuple[list[StockRow], int | None]:
    payload = unwrap_uzum_payload(data)
    if not isinstance(payload, dict) or not isinstance(payload.get("skuAmountList"), list):
        raise BadResponse("uzum stocks: expected payload.skuAmountList")
    raws = [raw for raw in payload["skuAmountList"] if isinstance(raw, dict)]
    rows = parse_model(list[UzumSkuAmount], raws, "uzum stocks")
    total = payload.get("totalElements")
    return [StockRow(row.skuId, row.amount, raw) for row, raw in zip(rows, raws)], (
        total if isinstance(total, int) else None)


def parse_order_page(data: Any) -> tuple[list[UzumOrder], int | None]:
    page = parse_model(UzumOrderPage, unwrap_uzum_payload(data), "uzum orders")
    return page.orders, page.totalElements


def parse_order(data: Any) -> UzumOrder:
    return parse_model(UzumOrder, unwrap_uzum_payload(data), "uzum order")


def parse_finance_page(data: Any) -> tuple[list[UzumFinanceItem], int | None]:
    page = parse_model(UzumFinancePage, unwrap_uzum_payload(data), "uzum finance orders")
    return page.orderItems, page.totalElements


def parse_reasons(data: Any) -> list[UzumReason]:
    payload = unwrap_uzum_payload(data)
    if isinstance(payload, dict):  # tolerate `{"payload": {"reasons": [...]}}`-like shapes
        payload = next((v for v in payload.values() if isinstance(v, list)), payload)
    return parse_model(list[UzumReason], payload, "uzum return reasons")


def parse_count(data: Any) -> int:
    payload = unwrap_uzum_payload(data)
    if isinstance(payload, dict):
        payload = next((payload[k] for k in ("count", "total", "totalElements") if k in payload), None)
    if isinstance(payload, bool) or not isinstance(payload, int):
        raise BadResponse("uzum orders/count: expected a number")
    return payload


def _ignore(data: Any) -> None:
    return None


# =========================================================================================================
# Normalization
# =========================================================================================================
def to_listing(product: UzumProduct, shop_id: str) -> Listing:
    skus = product.skuList
    first = skus[0] if skus else None
    stocks = [s.quantityFbs for s in skus]
    return Listing(
        marketplace=Marketplace.UZUM,
        external_id=product.productId,
        seller_sku=first.seller_code if first else None,
        name=product.title or (first.productTitle if first else None) or product.productId,
        barcodes=tuple(dict.fromkeys(s.barcode for s in skus if s.barcode)),
        status=product.status.lower() if product.status else None,
        price=first.price if first and first.price is not None else product.price,
        currency=UZUM_CURRENCY,
        stock=sum(stocks) if stocks and None not in stocks else None,  # type: ignore[arg-type]
        stock_ids=tuple(s.skuId for s in skus),
        # Prices are per SKU; a product with several SKUs is priced by its first one here.
        price_id=first.skuId if first else None,
        extra={"shop_id": shop_id},
    )


def to_order(order: UzumOrder) -> Order:
    items = tuple(
        OrderItem(sku=item.seller_code or item.skuTitle, name=item.productTitle or item.skuTitle,
                  quantity=item.amount, price=item.price, external_id=item.skuId)
        for item in order.orderItems
    )
    total = order.price
    if total is None and items and all(i.price is not None for i in items):
        total = sum((i.price * i.quantity for i in items), Decimal(0))  # type: ignore[operator]
    scheme = (order.scheme or "FBS").upper()
    accept_until = uzum_time_to_unix(order.dateAcceptUntil)
    return Order(
        marketplace=Marketplace.UZUM,
        external_id=order.id,
        status=order.status,
        created_at=uzum_time_to_unix(order.dateCreated) or 0,
        items=items,
        scheme=Scheme(scheme) if scheme in Scheme.__members__ else Scheme.FBS,
        # Ship-by: the deadline to hand the order over; before confirmation the accept deadline is the first.
        ship_by=uzum_time_to_unix(order.dateDeliverUntil) or accept_until,
        total=total,
        currency=UZUM_CURRENCY,
        shop_id=order.shopId,
        extra={"accept_until": accept_until} if accept_until else {},
    )


class SalesTally:
    """Finance order items summed per (day in Tashkent, SKU), cancelled items left out; fed page by page."""

    def __init__(self, date_from: date, date_to: date):
        self.date_from, self.date_to = date_from, date_to
        self._totals: dict[tuple[date, str], list] = {}

    def add(self, item: UzumFinanceItem) -> None:
        if item.cancelled or (item.status or "").upper() in UZUM_FINANCE_CANCELLED:
            return
        moment = uzum_time_to_unix(item.date)
        sku = item.seller_code or item.skuTitle or item.skuId
        if moment is None or not sku:
            return
        day = datetime.fromtimestamp(moment, UZUM_TZ).date()
        if not self.date_from <= day <= self.date_to:
            return
        row = self._totals.setdefault((day, sku), [0, Decimal(0), 0])
        row[0] += item.amount
        row[1] += uzum_finance_revenue(item.sellPrice, item.amount)
        row[2] += item.amountReturns

    def rows(self) -> list[SalesRow]:
        return [SalesRow(day=day, sku=sku, quantity=q, revenue=r, currency=UZUM_CURRENCY, returns=ret)
                for (day, sku), (q, r, ret) in sorted(self._totals.items())]


# ------------------------------------------------------------------------------------ orders cursor
_CURSOR_VERSION = 1


def encode_cursor(seen: dict[str, str]) -> str:
    """The statuses of the orders in the window -> an opaque, compact string."""
    raw = json.dumps({"v": _CURSOR_VERSION, "seen": seen}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, str]:
    """The statuses a cursor remembers; {} for None or a cursor we cannot read (start over, lose nothing)."""
    if not cursor:
        return {}
    try:
        data = json.loads(zlib.decompress(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))))
    except (ValueError, zlib.error):
        return {}
    if not isinstance(data, dict) or data.get("v") != _CURSOR_VERSION or not isinstance(data.get("seen"), dict):
        return {}
    return {str(k): str(v) for k, v in data["seen"].items()}


# =========================================================================================================
# Client
# =========================================================================================================
# Whole-call attempts for reads and absolute writes (setting a stock or price twice leaves the same state).
# HttpCore already retries 5xx, timeouts and 429s inside each attempt; this outer loop also covers replies
# that cannot be read (a 200 with a broken body), which HttpCore hands back at once.
UZUM_CALL_ATTEMPTS = 4
# GET /v2/fbs/sku/stocks objects kept between calls (stock pushes echo them back), oldest dropped first.
UZUM_STOCK_CACHE_MAX = 20_000


class UzumClient(BaseClient):
    marketplace = Marketplace.UZUM

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        timeout: float = 15.0,
        auth_scheme: str | None = None,
        account: AccountContext | None = None,
    ):
        self._token = credentials.api_key
        # A scheme the service stored from an earlier check goes first; the others remain as fallback.
        order = list(UZUM_AUTH_SCHEMES)
        if auth_scheme in order:
            order.remove(auth_scheme)
            order.insert(0, auth_scheme)
        self._schemes = order
        self.auth_scheme: str | None = None  # set once a scheme has been accepted
        self.account = account or AccountContext()
        self._pace_key = credential_id(self._token)
        self._shops: list[str] | None = None
        self._stock_cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._http = HttpCore(
            policy=UZUM_POLICY,
            base_url=base_url,
            auth_headers=uzum_auth_header(self._token, order[0]),
            secrets=[self._token],
            transport=transport,
            clock=clock,
            timeout=timeout,
        )

    # -- requests ----------------------------------------------------------------------------------
    def _pace(self) -> Pace:
        return uzum_pace(self._pace_key, clock=self._http.clock)

    async def _send(self, method: str, path: str, *, params: Any = None, json_body: Any = None,
                    idempotent: bool = True) -> Any:
        """One paced request with the auth-scheme fallback: on 401 try the next scheme once, then report a bad key."""
        schemes = [self.auth_scheme] if self.auth_scheme else self._schemes
        for index, scheme in enumerate(schemes):
            self._http.set_auth_headers(uzum_auth_header(self._token, scheme))
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

    async def _call(self, method: str, path: str, parse: Callable[[Any], T], *, params: Any = None,
                    json_body: Any = None) -> T:
        """`_send` + `parse`, repeated on transient failures (only for reads and absolute writes)."""
        for attempt in range(1, UZUM_CALL_ATTEMPTS + 1):
            try:
                return parse(await self._send(method, path, params=params, json_body=json_body))
            except ConnectorError as exc:
                if attempt == UZUM_CALL_ATTEMPTS or not _transient(exc):
                    raise
                # After a rate-limit reply the pace already holds every request on this token.
                if not isinstance(exc, RateLimited):
                    await self._http.clock.sleep(backoff_delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _paged(self, path: str, parse: Callable[[Any], tuple[list[T], int | None]],
                     ident: Callable[[T], str], size: int, params: Sequence[tuple[str, Any]] = ()
                     ) -> AsyncIterator[list[T]]:
        """Every page of a page/size (0-based) list, streamed. Ends at an empty page, at the reported total,
        or when a page starts with the same item as the one before (a server that ignores `page`). A short
        page does not end the read: a server may cap `size` below what we asked for (or refuse it: then the
        first page is asked again with half the size)."""
        page, read, previous_first = 0, 0, None
        while True:
            try:
                items, total = await self._call("GET", path, parse, params=[*params, ("page", page), ("size", size)])
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

    async def _shop_params(self) -> list[tuple[str, Any]]:
        """`shopIds`, repeated once per shop (how the order and finance lists take them)."""
        return [("shopIds", shop) for shop in await self._shop_ids()]

    async def _shop_ids(self) -> list[str]:
        """The shop of the account context, or every shop the token sees."""
        if self.account.shop_id:
            return [str(self.account.shop_id)]
        if self._shops is None:
            self._shops = [str(s.id) for s in await self._call("GET", "/v1/shops", parse_uzum_shops)]
        if not self._shops:
            raise NoShops("uzum: the token sees no shops")
        return self._shops

    # -- connection --------------------------------------------------------------------------------
    async def check_connection(self) -> ConnectionInfo:
        shops = parse_uzum_shops(await self._send("GET", "/v1/shops"))
        if not shops:
            raise NoShops("uzum: the token sees no shops")
        choices = [Choice(id=str(shop.id), name=shop.name or f"Shop {shop.id}") for shop in shops]
        return ConnectionInfo(
            marketplace=self.marketplace,
            # /v1/shops is all we read; the first shop's name is the best "account" name it gives.
            account_name=choices[0].name,
            shops=choices,
            extra={"auth_scheme": self.auth_scheme},
        )

    async def list_warehouses(self) -> list[Choice]:
        # No warehouse endpoint exists: stock is per SKU and scheme. [] = nothing to pick (module docstring).
        return []

    # -- catalog -----------------------------------------------------------------------------------
    async def iter_listings(self) -> AsyncIterator[Listing]:
        for shop_id in await self._shop_ids():
            async for products in self._paged(f"/v1/product/shop/{shop_id}", parse_product_page,
                                              lambda p: p.productId, UZUM_PRODUCTS_PAGE_SIZE):
                for product in products:
                    yield to_listing(product, shop_id)

    # -- stock -------------------------------------------------------------------------------------
    async def _stock_rows(self) -> AsyncIterator[StockRow]:
        """Every row of GET /v2/fbs/sku/stocks (all shops of the token), remembering each for stock pushes."""
        async for rows in self._paged("/v2/fbs/sku/stocks", parse_stock_page, lambda r: r.sku,
                                      UZUM_STOCKS_PAGE_SIZE):
            for row in rows:  # the whole page first: a reader that stops early still leaves it cached
                self._remember(row.sku, row.raw)
            for row in rows:
                yield row

    def _remember(self, sku: str, raw: dict[str, Any]) -> None:
        self._stock_cache[sku] = raw
        self._stock_cache.move_to_end(sku)
        while len(self._stock_cache) > UZUM_STOCK_CACHE_MAX:
            self._stock_cache.popitem(last=False)

    async def _find_stock_rows(self, skus: Sequence[str], *, fresh: bool) -> dict[str, dict[str, Any]]:
        """The current stock objects of these SKUs (fresh: read now; else the cache first). Reading stops as
        soon as every SKU was seen; SKUs missing from the result are not in the account."""
        found = {} if fresh else {s: self._stock_cache[s] for s in skus if s in self._stock_cache}
        wanted = set(skus) - found.keys()
        if wanted:
            async for row in self._stock_rows():
                if row.sku in wanted:
                    found[row.sku] = row.raw
                    wanted.discard(row.sku)
                    if not wanted:
                        break
        return found

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """FBS stock of these skuIds; SKUs the account does not have are left out."""
        found = await self._find_stock_rows(skus, fresh=True)
        return [StockLevel(sku=s, quantity=parse_model(UzumSkuAmount, found[s], "uzum stock").amount)
                for s in dict.fromkeys(skus) if s in found]

    async def update_stock(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        latest = {u.sku: u for u in updates}  # the same SKU twice: the last one wins
        results: dict[str, ItemResult] = {}
        valid = []
        for u in latest.values():
            if u.quantity < 0:
                results[u.sku] = _rejected(u.sku, "invalid_value", "negative stock")
            else:
                valid.append(u)
        current = await self._find_stock_rows([u.sku for u in valid], fresh=False)
        items = []
        for u in valid:
            if u.sku in current:
                items.append(uzum_stock_item(current[u.sku], u.quantity))
            else:
                results[u.sku] = _rejected(u.sku, "not_found", "not in GET /v2/fbs/sku/stocks")
        results.update(await self._write_all(items, UZUM_STOCK_BATCH, self._post_stocks))
        for item in items:  # what Uzum now holds, for the next push
            if results[_item_sku(item)].outcome is ItemOutcome.ACCEPTED:
                self._remember(_item_sku(item), item)
        return [_with_warehouse(results[sku], u.warehouse_id) for sku, u in latest.items()]

    async def _post_stocks(self, batch: list[Item]) -> None:
        await self._call("POST", "/v2/fbs/sku/stocks", _ignore, json_body={"skuAmountList": batch})

    # -- prices ------------------------------------------------------------------------------------
    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        shops = await self._shop_ids()
        if len(shops) > 1:
            # Prices are set per shop and skuIds do not say their shop: guessing could price the wrong shop.
            raise ValueError("uzum: update_prices needs AccountContext.shop_id when the token has several shops")
        shop_id = shops[0]
        latest = {u.sku: u for u in updates}
        results: dict[str, ItemResult] = {}
        items = []
        for u in latest.values():
            if u.price <= 0 or (u.old_price is not None and u.old_price < 0):
                results[u.sku] = _rejected(u.sku, "invalid_value", "price must be above zero")
            else:
                items.append(uzum_price_item(u.sku, u))

        async def send(batch: list[Item]) -> None:
            await self._call("POST", f"/v1/product/{shop_id}/sendPriceData", _ignore, json_body={"priceData": batch})

        results.update(await self._write_all(items, UZUM_PRICE_BATCH, send))
        return [results[sku] for sku in latest]

    # -- batch writes ------------------------------------------------------------------------------
    async def _write_all(self, items: list[Item], size: int, send: Send) -> dict[str, ItemResult]:
        """Send `items` in batches of `size`, one after another; the result of each item by its skuId."""
        results: dict[str, ItemResult] = {}
        for batch in _chunks(items, size):
            results.update((r.sku, r) for r in await self._write(batch, send))
        return results

    async def _write(self, batch: list[Item], send: Send) -> list[ItemResult]:
        """Send one batch and say what happened to each item (see the module docstring)."""
        try:
            await send(batch)
        except (AuthError, PermissionDenied):
            raise  # the key cannot write at all: every later batch would fail the same way
        except ConnectorError as exc:
            errors = _refusal(exc)
            if errors is None:
                return [_rejected(_item_sku(i), _failure_reason(exc), exc.detail) for i in batch]
            named = {e.sku_id: e for e in errors if e.sku_id is not None}
            refused = [_rejected(k, uzum_reason(named[k].code), named[k].message)
                       for k in map(_item_sku, batch) if k in named]
            if refused:
                rest = [i for i in batch if _item_sku(i) not in named]
                return refused + (await self._write(rest, send) if rest else [])
            code = next((e.code for e in errors if e.code), None)
            if len(batch) > 1 and code in UZUM_ITEM_ERROR_REASONS:
                # An item-level refusal that does not say which item: find it by halving the batch.
                middle = len(batch) // 2
                return await self._write(batch[:middle], send) + await self._write(batch[middle:], send)
            return [_rejected(_item_sku(i), uzum_reason(code), exc.detail) for i in batch]
        return [ItemResult(sku=_item_sku(i), outcome=ItemOutcome.ACCEPTED) for i in batch]

    # -- orders ------------------------------------------------------------------------------------
    async def _orders(self, *, status: str | None = None, since: float | None = None,
                      until: float | None = None) -> list[UzumOrder]:
        """Every FBS order of the context's shops matching the filters, each once (pages may shift while read)."""
        params = await self._shop_params()
        if status:
            params.append(("status", status))
        if since is not None:
            params.append(("dateFrom", uzum_time_param(since)))
        if until is not None:
            params.append(("dateTo", uzum_time_param(until)))
        found: dict[str, UzumOrder] = {}
        async for orders in self._paged("/v2/fbs/orders", parse_order_page, lambda o: o.id,
                                        UZUM_ORDERS_PAGE_SIZE, params):
            found.update((o.id, o) for o in orders)
        return sorted(found.values(), key=lambda o: (uzum_time_to_unix(o.dateCreated) or 0, o.id))

    async def new_orders(self) -> list[Order]:
        return [to_order(o) for o in await self._orders(status="CREATED")]

    async def orders_since(self, cursor: str | None) -> OrderPage:
        """New orders and status changes since `cursor` (semantics in the module docstring)."""
        seen = decode_cursor(cursor)
        now = self._http.clock.now()
        since = now - UZUM_ORDER_LOOKBACK_DAYS * 86400
        recent = await self._orders(since=since, until=now + UZUM_CLOCK_SKEW)
        # Orders waiting for the seller are read without dates too: a wrong date unit (uzum_time_param is
        # UNCONFIRMED) must never hide a new order; it only leaves a warning.
        waiting = await self._orders(status="CREATED")
        in_recent = {o.id for o in recent}
        if any(o.id not in in_recent and (uzum_time_to_unix(o.dateCreated) or 0) >= since for o in waiting):
            log.warning("uzum: the dateFrom/dateTo window missed recent orders; check uzum_time_param's unit")
        orders = {o.id: o for o in [*recent, *waiting]}
        changed = [to_order(o) for o in orders.values() if seen.get(o.id) != o.status]
        changed.sort(key=lambda order: (order.created_at, order.external_id))
        return OrderPage(orders=changed, cursor=encode_cursor({o.id: o.status for o in orders.values()}))

    async def order_count(self, status: str | None = None) -> int:
        """How many FBS orders the context's shops have (in `status`, if given)."""
        params = await self._shop_params()
        if status:
            params.append(("status", status))
        return await self._call("GET", "/v2/fbs/orders/count", parse_count, params=params)

    async def get_order(self, order_id: str) -> Order:
        return to_order(await self._call("GET", f"/v1/fbs/order/{order_id}", parse_order))

    async def cancel_reasons(self) -> list[Choice]:
        """The reasons Uzum accepts for cancelling an order (GET /v1/fbs/order/return-reasons)."""
        reasons = await self._call("GET", "/v1/fbs/order/return-reasons", parse_reasons)
        return [Choice(id=r.code, name=r.title or r.code) for r in reasons]

    async def confirm_order(self, order_id: str) -> Order:
        return await self._order_action(order_id, "confirm", None, UZUM_CONFIRMED_STATUSES)

    async def cancel_order(self, order_id: str, reason: str | None = None) -> Order:
        if reason is None:
            # No reason given: Uzum's first listed reason (the one its cabinet offers first).
            reasons = await self.cancel_reasons()
            if not reasons:
                raise BadResponse("uzum: no cancellation reasons offered")
            reason = reasons[0].id
        return await self._order_action(order_id, "cancel", uzum_cancel_body(reason), UZUM_CANCELLED_STATUSES)

    async def _order_action(self, order_id: str, action: str, body: Any, done: frozenset[str]) -> Order:
        """POST an order action once (not repeated: it is not idempotent). When its reply is lost or
        unreadable, the order is read back: if it reached `done`, the action happened."""
        try:
            data = await self._send("POST", f"/v1/fbs/order/{order_id}/{action}", json_body=body, idempotent=False)
        except (MarketplaceUnavailable, BadResponse) as exc:
            if isinstance(exc, BadResponse) and not _transient(exc):
                raise  # Uzum refused the action (e.g. the order is past that status)
            order = await self.get_order(order_id)
            if order.status in done:
                return order
            raise
        try:
            return to_order(parse_order(data))
        except BadResponse:  # the reply is not the order: read it
            return await self.get_order(order_id)

    async def ship_order(self, order_id: str) -> Order:
        raise NotSupported("Uzum's seller API has no shipping call: FBS orders are handed over at the drop-off point")

    # -- analytics ---------------------------------------------------------------------------------
    async def sales(self, date_from: date, date_to: date) -> list[SalesRow]:
        start = datetime.combine(date_from, time.min, UZUM_TZ).timestamp()
        end = datetime.combine(date_to + timedelta(days=1), time.min, UZUM_TZ).timestamp() - 1
        params = await self._shop_params()
        params += [("dateFrom", uzum_time_param(start)), ("dateTo", uzum_time_param(end))]
        tally = SalesTally(date_from, date_to)
        async for page in self._paged("/v1/finance/orders", parse_finance_page,
                                      lambda i: f"{i.orderId}:{i.skuId}:{i.skuTitle}:{i.date}",
                                      UZUM_FINANCE_PAGE_SIZE, params):
            for item in page:
                tally.add(item)
        return tally.rows()


# ------------------------------------------------------------------------------------------- helpers
def _item_sku(item: Item) -> str:
    return str(item["skuId"])


def _rejected(sku: str, reason: str, detail: str | None = None) -> ItemResult:
    return ItemResult(sku=sku, outcome=ItemOutcome.REJECTED, reason=reason, detail=detail)


def _with_warehouse(result: ItemResult, warehouse_id: str | None) -> ItemResult:
    if warehouse_id is None:
        return result
    return ItemResult(result.sku, result.outcome, result.reason, result.detail, warehouse_id)


def _chunks(items: list[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
