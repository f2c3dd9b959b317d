"""Wildberries client (specs/wildberries, MARKETPLACES.md §3).

WB has one host per API category, so the base URL is a template with `{category}` (the host's name
before `-api`): `https://{category}-api.wildberries.ru`, or e.g. `http://127.0.0.1:8080/wb/{category}`.

What each capability calls (paths from the ru YAMLs of 2026-03-11, limits from the en JSONs of 2026-08-19):

- connection:  GET <host>/ping per needed category, GET marketplace /api/v3/warehouses
- catalog:     POST content /content/v2/get/cards/list (cursor `updatedAt` + `nmID`, 100 per page, stop when
               `cursor.total` < limit); prices joined per page with POST discounts-prices /api/v2/list/goods/filter
               (`nmList` <= 1,000) when the token's limits make that cheap (not for Base tokens)
- prices read: GET discounts-prices /api/v2/list/goods/filter (limit <= 1,000, offset; `iter_prices`)
- stock:       POST / PUT marketplace /api/v3/stocks/{warehouseId}, items `{chrtId, amount}`, <= 1,000 per
               request and warehouse. The old `sku` field was switched off: WB answers 204 and changes nothing,
               so only `chrtId` is ever sent. A 409 names the offending items: they are rejected, the rest resent.
- prices:      POST discounts-prices /api/v2/upload/task (<= 1,000 goods {nmID, price, discount}) -> task id;
               GET /api/v2/history/tasks (+ /api/v2/buffer/tasks) for its state and /api/v2/history/goods/task for
               per-good errors (price quarantine...). A Base token has 4 requests per hour for the whole prices
               category, so its uploads queue in the pacer and its tasks are not polled (results are QUEUED;
               `price_task_results(task_id)` checks later).
- orders:      GET marketplace /api/v3/orders/new; GET /api/v3/orders (limit <= 1,000, `next`, dateFrom <= 30 days
               back) + POST /api/v3/orders/status (<= 1,000 ids) for the durable `orders_since` cursor
- actions:     supplies: POST /api/v3/supplies, GET /api/v3/supplies (limit/next), GET /api/v3/supplies/{id},
               PATCH /api/marketplace/v3/supplies/{id}/orders (<= 100, moves orders to `confirm`),
               PATCH /api/v3/supplies/{id}/deliver; PATCH /api/v3/orders/{id}/cancel
- sales:       GET statistics /api/v1/supplier/sales?dateFrom&flag=0 (Base token: 1 per 2 h), per day per SKU

Every request goes through `connectors.wildberries.limits.wb_pace` (per seller or service, category, token tier); the
server's `X-Ratelimit-*` headers win over the local estimate. (`/ping` alone is not paced, see `ping`.)

Beyond the MarketplaceClient protocol: `iter_prices`, `price_task_results`, `confirm_orders` (batch),
`list_supplies`, `create_supply`, `deliver_supply`. Nothing raises NotSupported: WB has every capability of the
protocol. Orders are FBS assembly tasks: one unit each, statuses `supplierStatus` (Order.status) and `wbStatus`
(Order.extra["wb_status"]); `orders_since` keeps a durable cursor (WbOrdersCursor) of the scan start, the ids
inside the rescanned overlap and the open orders' last statuses.

ItemResult reasons (`ItemResult.reason`):
- stock:  `invalid_sku` (not a chrtId), `invalid_quantity` (not 0..100,000), `no_warehouse`, `superseded` (the same
          item later in the same call wins), `unknown_item` (WB NotFound), `amount_too_large` (UploadDataLimit),
          `cargo_warehouse_mismatch` (CargoWarehouseRestriction*), `scheme_not_allowed` (ProductPropertyConflict,
          DeliveryTypeRestriction), `warehouse_busy` (StoreIsProcessing), `unknown_warehouse` (404),
          `stock_blocked` (406), `bad_request` (400), `rejected` (any other WB refusal)
- prices: `invalid_sku` (not an nmID), `invalid_price`, `superseded`, `price_quarantine` (the new price is at least
          3 times lower: WB keeps selling at the old one), `price_locked_sale` (the item is in a sale for high
          inventory), `unknown_item`, `unknown_item_or_unchanged` (WB's own ambiguous "all item Nos. are specified
          incorrectly, or ... already set"), `unchanged` (ACCEPTED: the same price is already set),
          `task_cancelled`, `bad_request`, `rejected`; QUEUED items carry `detail="wb task <id>[ (…)]"`
- orders: `invalid_order` (not an order id), `not_confirmed` (WB refused to add it to a supply)
- both:   `unavailable` / `rate_limited` when a batch still failed after every retry (the caller retries later).
"""
from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date as _date
from datetime import datetime, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

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
    Supply,
    Warning,
)
from connectors.clock import Clock
from connectors.http import (
    BaseClient,
    ErrorPolicy,
    HttpCore,
    RateLimitSignal,
    Reply,
    backoff_delay,
    check_key_expiry,
    first_text,
    parse_model,
    seconds_header,
)
from connectors.pacing import MINUTE, Pace, RateSpec, credential_id, pacer_for
from connectors.wildberries.limits import wb_pace, wb_remaining, wb_tier

# ------------------------------------------------------------------------------------------- token
# Token types by the JWT `acc` claim (en-json api-information.json, "About the token").
WB_TOKEN_TYPES = {1: "base", 2: "test", 3: "personal", 4: "service"}

# Category names by their bit position in the `s` claim (same table).
WB_CATEGORY_BITS: dict[int, str] = {
    1: "content",
    2: "analytics",
    3: "prices",  # Prices and discounts
    4: "marketplace",
    5: "statistics",
    6: "promotion",
    7: "feedbacks",  # Feedbacks and questions
    9: "buyers_chat",
    10: "supplies",
    11: "returns",  # Buyers returns
    12: "documents",
    13: "finance",
    16: "users",
}
WB_READ_ONLY_BIT = 30

# What the bot needs (stock, prices, orders, catalog, sales) and the host that answers `/ping` for each.
WB_REQUIRED_CATEGORIES: tuple[str, ...] = ("content", "prices", "marketplace", "statistics", "analytics")
WB_CATEGORY_HOSTS: dict[str, str] = {
    "content": "content",
    "prices": "discounts-prices",
    "marketplace": "marketplace",
    "statistics": "statistics",
    "analytics": "seller-analytics",
}
# Pinged when the token holds none of the categories above: /ping on common-api still checks the token.
WB_COMMON_HOST = "common"


def wb_scope_bit(position: int) -> int:
    """The mask value of "bit position N" in the WB `s` claim: 1 << N (positions count from 0 at the LSB).

    The docs' table starts at position 1 (Content) and never uses 0, which only makes sense for
    0-based positions (a 1-based table would start at 1 = 1<<0 and list it). Independent decoders agree:
    they shift `s` right one bit at a time and map the i-th bit (value 1 << i) to category i, and real
    tokens published in open source carry e.g. s=128 = 1<<7 = Feedbacks (an auto-reply tool's token),
    whereas 1-based reading would make that position 8, which the table does not define.
    If this ever turns out wrong, this one function is the fix.
    """
    return 1 << position


@dataclass(frozen=True)
class WbTokenInfo:
    type: str  # "base" | "test" | "personal" | "service" | "unknown"
    categories: frozenset[str]
    read_only: bool
    expires_at: int | None  # unix seconds (`exp`)
    seller_id: str | None  # `sid`
    service_id: str | None = None  # from `for: asid:<id>` on service tokens


def _b64url_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def decode_wb_token(token: str) -> WbTokenInfo:
    """Read a WB token locally (no signature check: only WB can verify it; this is for type/scope/expiry).

    Raises AuthError when the text is not a JWT at all, which is what a partner pasting the wrong thing
    needs to hear. Never puts the token into the error.
    """
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise AuthError("wildberries: the token is not a JWT", detail="not a WB API token")
    try:
        payload = _b64url_json(parts[1])
    except (ValueError, binascii.Error, UnicodeError):
        raise AuthError("wildberries: the token payload cannot be decoded", detail="not a WB API token") from None
    if not isinstance(payload, dict):
        raise AuthError("wildberries: the token payload is not an object", detail="not a WB API token")

    mask = payload.get("s")
    mask = mask if isinstance(mask, int) and not isinstance(mask, bool) else 0
    categories = frozenset(name for pos, name in WB_CATEGORY_BITS.items() if mask & wb_scope_bit(pos))

    acc = payload.get("acc")
    token_type = WB_TOKEN_TYPES.get(acc, "unknown") if isinstance(acc, int) else "unknown"
    if token_type == "unknown" and payload.get("t") is True:
        token_type = "test"
    issued_for = payload.get("for")
    service_id = issued_for[5:] if isinstance(issued_for, str) and issued_for.startswith("asid:") else None

    exp = payload.get("exp")
    return WbTokenInfo(
        type=token_type,
        categories=categories,
        read_only=bool(mask & wb_scope_bit(WB_READ_ONLY_BIT)),
        expires_at=int(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None,
        seller_id=str(payload["sid"]) if payload.get("sid") else None,
        service_id=service_id,
    )


def wb_token_warnings(info: WbTokenInfo) -> tuple[list[Warning], list[str]]:
    """Warnings about the token itself, plus the required categories it lacks."""
    warnings: list[Warning] = []
    by_type = {"personal": Warning.WB_PERSONAL_TOKEN, "base": Warning.WB_BASE_TOKEN, "test": Warning.WB_TEST_TOKEN}
    if info.type in by_type:
        warnings.append(by_type[info.type])
    if info.read_only:
        warnings.append(Warning.WB_READ_ONLY)
    missing = [c for c in WB_REQUIRED_CATEGORIES if c not in info.categories]
    if missing:
        warnings.append(Warning.WB_MISSING_CATEGORIES)
    return warnings, missing


# ----------------------------------------------------------------------------------- error policy
def _wb_message(reply: Reply) -> str | None:
    # Auth / limit errors are problem+json {title, detail, ...}; marketplace errors {code, message} (stock
    # errors: a list of them); prices errors {error, errorText}.
    body = reply.body
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if not isinstance(body, dict):
        return None
    return first_text(body.get("detail"), body.get("message"), body.get("errorText"), body.get("title"),
                      body.get("code"))


def _wb_rate_limit(reply: Reply, now: float) -> RateLimitSignal | None:
    # 429 carries X-Ratelimit-Retry: seconds until a retry is allowed (api-information.json).
    if reply.status == 429:
        wait = seconds_header(reply, "X-Ratelimit-Retry")
        return RateLimitSignal(wait if wait is not None else seconds_header(reply, "Retry-After"))
    return None


def _wb_classify(reply: Reply, message: str) -> type[ConnectorError] | None:
    # UNCONFIRMED wording: WB's 401 detail names the cause ("token expired", "token scope not allowed").
    text = message.lower()
    if reply.status == 401 and "expired" in text:
        return KeyExpired
    if reply.status == 401 and "scope" in text:
        return PermissionDenied
    return None


WB_POLICY = ErrorPolicy(Marketplace.WILDBERRIES, rate_limit=_wb_rate_limit, message=_wb_message,
                        classify=_wb_classify, remaining=wb_remaining)


# -------------------------------------------------------------------------------------- constants
# Batch and page maxima (ru YAMLs; MARKETPLACES.md §3.3).
WB_CARDS_PAGE = 100  # cards/list cursor.limit maximum
WB_STOCK_BATCH = 1_000  # PUT /api/v3/stocks/{warehouseId}: stocks maxItems
WB_STOCK_READ_BATCH = 1_000  # UNCONFIRMED: POST /api/v3/stocks/{warehouseId} sets no maxItems; same as the write
WB_MAX_AMOUNT = 100_000  # stocks[].amount maximum
WB_PRICE_BATCH = 1_000  # upload/task: "Максимум 1 000 товаров"
WB_PRICE_PAGE = 1_000  # list/goods/filter and history/goods/task: limit maximum
WB_ORDERS_PAGE = 1_000  # GET /api/v3/orders: limit maximum
WB_STATUS_BATCH = 1_000  # POST /api/v3/orders/status: orders maxItems
WB_SUPPLY_BATCH = 100  # PATCH /api/marketplace/v3/supplies/{supplyId}/orders: orders maxItems
WB_SUPPLIES_PAGE = 1_000  # GET /api/v3/supplies: limit maximum
WB_MAX_DISCOUNT = 99  # UNCONFIRMED: WB discounts are whole percents below 100

# PATCH /api/v3/orders/{orderId}/cancel has its own limit (orders-fbs.json x-wb-rate-limits): 100/min, burst 20.
WB_CANCEL_LIMIT = RateSpec(100, MINUTE, burst=20)

# A read that failed (5xx, timeout, rate limit, an unreadable 2xx) is tried again up to this many times on top
# of HttpCore's own retries; rate-limit waits happen in the pacer, the others back off.
WB_CALL_TRIES = 4

# Price tasks are processed asynchronously: poll this many times, this far apart, before answering QUEUED.
WB_PRICE_TASK_POLLS = 5
WB_PRICE_TASK_POLL_INTERVAL = 2.0
# Task and good statuses (02-products.yaml TaskStatus / GoodStatus).
WB_TASK_DONE, WB_TASK_CANCELLED, WB_TASK_PARTLY_FAILED, WB_TASK_FAILED = 3, 4, 5, 6
WB_GOOD_FAILED = 3


def wb_prices_cheap(token_type: str) -> bool:
    """Whether the prices category may be used freely. A Base token has 4 requests per hour for all of it
    (uploads, status checks, price lists alike), so for Base tokens the catalog is listed without prices and
    price tasks are not polled (their items come back QUEUED; `price_task_results` checks later)."""
    return wb_tier(token_type) != "base"


# Orders. GET /api/v3/orders answers at most 30 days per request ("максимум 30 календарных дней").
WB_ORDERS_MAX_SPAN = 30 * 86_400
WB_ORDERS_SPAN_MARGIN = 3_600  # stay an hour inside the 30 days (clock skew between us and WB)
WB_ORDERS_FIRST_LOOKBACK = 30 * 86_400 - WB_ORDERS_SPAN_MARGIN  # the first poll: everything WB still lists
# UNCONFIRMED how late an order can appear in /api/v3/orders after its createdAt: each poll rescans this much
# before the newest order seen, and remembers the ids inside it so none repeats.
WB_ORDERS_OVERLAP = 3_600
# Orders that never reached a final state stop being tracked this long after creation.
WB_ORDER_TRACK_SECONDS = 45 * 86_400
# wbStatus values after which nothing changes any more (POST /api/v3/orders/status); supplierStatus `cancel` too.
WB_FINAL_WB_STATUSES = frozenset({"sold", "canceled", "canceled_by_client", "declined_by_client", "defect"})
WB_ORDER_CACHE_SIZE = 10_000  # orders kept in memory for get_order and the actions

# Supplies made by confirm_order.
WB_SUPPLY_NAME = "SellerCloudX {day}"

# Sales: one reply holds up to about 80,000 rows ("условное ограничение 80000 строк"). UNCONFIRMED how close to
# that a cut-off reply comes: one this long is taken as cut off and continued (a Base token's next request
# comes 2 hours later), a shorter one as the end (WB's own rule, "until an empty array", costs one more).
WB_SALES_FULL_REPLY = 75_000
MOSCOW = timezone(timedelta(hours=3))  # WB's statistics dates have no zone: Moscow time

# ISO 4217 numeric codes in orders (currencyCode / convertedCurrencyCode).
WB_CURRENCIES = {643: "RUB", 933: "BYN", 398: "KZT", 51: "AMD", 417: "KGS", 860: "UZS", 156: "CNY", 840: "USD",
                 978: "EUR"}
WB_DEFAULT_CURRENCY = "RUB"

# Stock 409 codes -> reasons (02-products.yaml examples of PUT /api/v3/stocks/{warehouseId}).
WB_STOCK_REASONS = {
    "NotFound": "unknown_item",
    "UploadDataLimit": "amount_too_large",
    "CargoWarehouseRestrictionMGT": "cargo_warehouse_mismatch",
    "CargoWarehouseRestrictionSGT": "cargo_warehouse_mismatch",
    "CargoWarehouseRestrictionSGTKGTPlus": "cargo_warehouse_mismatch",
    "CargoWarehouseRestrictionKGTPlus": "cargo_warehouse_mismatch",
    "ProductPropertyConflict": "scheme_not_allowed",
    "DeliveryTypeRestriction": "scheme_not_allowed",
    "StoreIsProcessing": "warehouse_busy",
}
WB_STOCK_STATUS_REASONS = {400: "bad_request", 404: "unknown_warehouse", 406: "stock_blocked"}
# UNCONFIRMED: whether WB applies the other items of a batch answered 409. We assume it applies none and send
# them again without the rejected ones (amounts are absolute, so a repeat is harmless either way).
WB_STOCK_409_APPLIES_NOTHING = True


def wb_price_reason(text: str | None) -> str:
    """A reason code for a WB price refusal text (upload/task 400 errorText, history/goods/task errorText)."""
    lowered = (text or "").lower()
    rules = (
        ("specified incorrectly", "unknown_item_or_unchanged"),  # "All item Nos. are specified incorrectly, or ..."
        ("quarantine", "price_quarantine"),
        ("several times lower", "price_quarantine"),
        ("sale due to high inventory", "price_locked_sale"),
        ("already set", "unchanged"),
        ("item no", "unknown_item"),
    )
    return next((reason for needle, reason in rules if needle in lowered), "rejected")

# ------------------------------------------------------------------------------------------ models
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class WbPing(_Model):
    TS: str | None = None
    Status: str | None = None


class WbWarehouse(_Model):
    id: int
    name: str | None = None
    officeId: int | None = None
    cargoType: int | None = None
    deliveryType: int | None = None
    isDeleting: bool | None = None
    isProcessing: bool | None = None


class WbError(_Model):
    code: str | None = None
    message: str | None = None


# --- content: POST /content/v2/get/cards/list
class WbCardSize(_Model):
    chrtID: int | None = None
    techSize: str | None = None
    skus: list[str] = Field(default_factory=list)


class WbCard(_Model):
    nmID: int
    imtID: int | None = None
    vendorCode: str | None = None
    title: str | None = None
    brand: str | None = None
    subjectName: str | None = None
    sizes: list[WbCardSize] = Field(default_factory=list)
    updatedAt: str | None = None


class WbCardsCursor(_Model):
    updatedAt: str | None = None
    nmID: int | None = None
    total: int = 0


class WbCardsPage(_Model):
    cards: list[WbCard] = Field(default_factory=list)
    cursor: WbCardsCursor = Field(default_factory=WbCardsCursor)


# --- marketplace: stocks
class WbStock(_Model):
    chrtId: int
    amount: int = 0


class WbStocks(_Model):
    stocks: list[WbStock] = Field(default_factory=list)


class WbStockErrorItem(_Model):
    chrtId: int | None = None
    sku: str | None = None
    amount: int | None = None


class WbStockError(_Model):
    code: str | None = None
    message: str | None = None
    data: list[WbStockErrorItem] | None = None


# --- discounts-prices
class WbPriceSize(_Model):
    sizeID: int | None = None
    price: Decimal | None = None
    discountedPrice: Decimal | None = None


class WbGoods(_Model):
    nmID: int
    vendorCode: str | None = None
    sizes: list[WbPriceSize] = Field(default_factory=list)
    currencyIsoCode4217: str | None = None
    discount: int | None = None


class WbGoodsData(_Model):
    listGoods: list[WbGoods] = Field(default_factory=list)


class WbGoodsReply(_Model):
    data: WbGoodsData | None = None
    error: bool = False
    errorText: str | None = None


class WbTaskCreatedData(_Model):
    id: int
    alreadyExists: bool | None = None


class WbTaskCreated(_Model):
    data: WbTaskCreatedData | None = None
    error: bool = False
    errorText: str | None = None


class WbTaskState(_Model):
    uploadID: int | None = None
    status: int | None = None
    overAllGoodsNumber: int | None = None
    successGoodsNumber: int | None = None


class WbTaskStateReply(_Model):
    data: WbTaskState | None = None
    error: bool = False
    errorText: str | None = None


class WbGoodResult(_Model):
    nmID: int
    vendorCode: str | None = None
    price: int | None = None
    discount: int | None = None
    status: int | None = None
    errorText: str | None = None


class WbGoodResultsData(_Model):
    uploadID: int | None = None
    historyGoods: list[WbGoodResult] | None = None


class WbGoodResultsReply(_Model):
    data: WbGoodResultsData | None = None


# --- marketplace: FBS orders (schemas Order / OrderNew) and supplies
class WbTask(_Model):
    """One FBS assembly task: one unit of one size (WB's "order")."""

    id: int
    createdAt: str | None = None
    rid: str | None = None
    orderUid: str | None = None
    article: str | None = None
    nmId: int | None = None
    chrtId: int | None = None
    skus: list[str] | None = None
    price: int | None = None  # sale currency x 100
    convertedPrice: int | None = None  # seller's currency x 100
    currencyCode: int | None = None
    convertedCurrencyCode: int | None = None
    warehouseId: int | None = None
    supplyId: str | None = None
    cargoType: int | None = None
    sellerDate: str | None = None  # dd.mm.yyyy: when to bring an oversized order to WB (cargoType 2)


class WbTasksPage(_Model):
    next: int = 0
    orders: list[WbTask] = Field(default_factory=list)


class WbTaskStatus(_Model):
    id: int
    supplierStatus: str | None = None
    wbStatus: str | None = None

    @property
    def key(self) -> str:
        return f"{self.supplierStatus}/{self.wbStatus}"

    @property
    def final(self) -> bool:
        return self.supplierStatus == "cancel" or self.wbStatus in WB_FINAL_WB_STATUSES


class WbTaskStatuses(_Model):
    orders: list[WbTaskStatus] = Field(default_factory=list)


class WbSupply(_Model):
    id: str
    name: str | None = None
    done: bool | None = None
    createdAt: str | None = None
    closedAt: str | None = None
    cargoType: int | None = None


class WbSuppliesPage(_Model):
    next: int = 0
    supplies: list[WbSupply] = Field(default_factory=list)


class WbSupplyCreated(_Model):
    id: str


# --- statistics: GET /api/v1/supplier/sales (schema SalesItem)
class WbSale(_Model):
    date: str
    lastChangeDate: str | None = None
    supplierArticle: str | None = None
    nmId: int | None = None
    barcode: str | None = None
    saleID: str | None = None
    priceWithDisc: Decimal | None = None
    forPay: Decimal | None = None

# --------------------------------------------------------------------------------------- helpers
T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _int_id(text: str | int | None) -> int | None:
    """A WB numeric id (nmID, chrtId, order id) from our string form; None if it is not one."""
    value = str(text).strip() if text is not None else ""
    return int(value) if value.isdigit() and len(value) <= 18 else None


def _unix(text: str | None, *, zone: timezone = timezone.utc) -> int | None:
    """RFC 3339 (orders, supplies) or a zoneless WB statistics date (Moscow time) -> unix seconds."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return int(moment.timestamp())


def _moscow_day(text: str | None) -> _date | None:
    seconds = _unix(text, zone=MOSCOW)
    return None if seconds is None else datetime.fromtimestamp(seconds, MOSCOW).date()


def _dotted_day(text: str | None) -> int | None:
    """WB's `dd.mm.yyyy` (sellerDate) -> the start of that day in Moscow (the conservative ship-by)."""
    try:
        day = datetime.strptime(text or "", "%d.%m.%Y")
    except ValueError:
        return None
    return int(day.replace(tzinfo=MOSCOW).timestamp())


def _rejected(sku: str, reason: str, detail: str | None = None, warehouse_id: str | None = None) -> ItemResult:
    return ItemResult(sku, ItemOutcome.REJECTED, reason, detail, warehouse_id)


def _failed_batch(skus: Iterable[str], error: ConnectorError, warehouse_id: str | None = None) -> list[ItemResult]:
    """A whole batch that still failed after every retry: each item rejected with the error's cause."""
    return [_rejected(sku, str(error.cause), error.detail, warehouse_id) for sku in skus]


# ----------------------------------------------------------------------------------- normalizers
def listing_from_card(card: WbCard, goods: WbGoods | None = None) -> Listing:
    """A card (+ its price row when joined) as a Listing: nmID is the listing, chrtIDs key its stock."""
    price, currency, extra = None, None, {"imt_id": card.imtID, "subject": card.subjectName, "brand": card.brand}
    if goods is not None and goods.sizes:
        size = goods.sizes[0]  # one price per nmID unless the category allows per-size prices
        price, currency = size.discountedPrice, goods.currencyIsoCode4217
        extra.update(price_before_discount=size.price, discount=goods.discount)
    return Listing(
        marketplace=Marketplace.WILDBERRIES,
        external_id=str(card.nmID),
        seller_sku=card.vendorCode,
        name=card.title or card.vendorCode or str(card.nmID),
        barcodes=tuple(dict.fromkeys(sku for size in card.sizes for sku in size.skus)),
        status=None,  # cards carry no status; trashed cards are not listed at all
        price=price,
        currency=currency,
        stock_ids=tuple(str(size.chrtID) for size in card.sizes if size.chrtID is not None),
        price_id=str(card.nmID),
        extra=extra,
    )


def price_from_goods(goods: WbGoods) -> PriceUpdate | None:
    """A list/goods/filter row as the normalized price: what the buyer pays, and the crossed-out price."""
    if not goods.sizes or goods.sizes[0].discountedPrice is None:
        return None
    size = goods.sizes[0]
    crossed = size.price if goods.discount else None
    return PriceUpdate(sku=str(goods.nmID), price=size.discountedPrice, old_price=crossed,
                       currency=goods.currencyIsoCode4217)


def wb_price_and_discount(price: Decimal, old_price: Decimal | None) -> tuple[int, int]:
    """Our (selling price, crossed-out price) as WB's (price, discount %): WB sells at price x (1 - discount/100).

    Without a higher crossed-out price the discount is 0. With one, WB's price is the crossed-out price and the
    discount is rounded down, so the buyer never pays less than asked (whole roubles, whole percents).
    """
    if old_price is None or old_price <= price:
        return int(price.to_integral_value(ROUND_CEILING)), 0
    discount = int(((1 - price / old_price) * 100).to_integral_value(ROUND_FLOOR))
    return int(old_price.to_integral_value(ROUND_CEILING)), max(0, min(discount, WB_MAX_DISCOUNT))


def _money(kopecks: int | None) -> Decimal | None:
    return None if kopecks is None else Decimal(kopecks) / 100


def order_from_task(task: WbTask, status: WbTaskStatus | None, default_status: str = "new") -> Order:
    """One assembly task as an Order of one unit. Prices come in kopecks: the seller's currency is preferred."""
    if task.convertedPrice is not None:
        kopecks, code = task.convertedPrice, task.convertedCurrencyCode
    else:
        kopecks, code = task.price, task.currencyCode
    unit_price = _money(kopecks)
    currency = WB_CURRENCIES.get(code, str(code)) if code is not None else WB_DEFAULT_CURRENCY
    item = OrderItem(sku=task.article, name=None, quantity=1, price=unit_price,
                     external_id=str(task.nmId) if task.nmId is not None else None)
    return Order(
        marketplace=Marketplace.WILDBERRIES,
        external_id=str(task.id),
        status=(status.supplierStatus if status and status.supplierStatus else default_status),
        created_at=_unix(task.createdAt) or 0,
        items=(item,),
        scheme=Scheme.FBS,
        ship_by=_dotted_day(task.sellerDate),  # WB gives a date only for oversized (cargoType 2) orders
        total=unit_price,
        currency=currency,
        shop_id=str(task.warehouseId) if task.warehouseId is not None else None,
        extra={
            "wb_status": status.wbStatus if status else None,
            "supply_id": task.supplyId,
            "chrt_id": task.chrtId,
            "barcodes": list(task.skus or []),
            "rid": task.rid,
            "order_uid": task.orderUid,
            "cargo_type": task.cargoType,
        },
    )


def supply_from_wb(supply: WbSupply) -> Supply:
    closed = bool(supply.done)
    return Supply(external_id=supply.id, name=supply.name, status="closed" if closed else "open",
                  created_at=_unix(supply.createdAt), closed=closed)


def _sale_kind(sale: WbSale) -> str | None:
    """`S…` is a sale, `R…` a return (saleID); other rows (corrections) do not count."""
    prefix = (sale.saleID or "")[:1].upper()
    return {"S": "sale", "R": "return"}.get(prefix)


def sales_rows(sales: Iterable[WbSale], date_from: _date, date_to: _date) -> list[SalesRow]:
    """Sales report rows -> one row per day and seller SKU inside [date_from, date_to].

    Revenue is `priceWithDisc` (the price the seller's payout is computed from) of sales minus returns.
    UNCONFIRMED: the sign WB gives return rows; amounts are taken as absolute values.
    """
    totals: dict[tuple[_date, str], list] = {}
    for sale in sales:
        day, kind = _moscow_day(sale.date), _sale_kind(sale)
        if day is None or kind is None or not (date_from <= day <= date_to):
            continue
        sku = sale.supplierArticle or str(sale.nmId)
        entry = totals.setdefault((day, sku), [0, 0, Decimal(0)])
        amount = abs(sale.priceWithDisc or Decimal(0))
        if kind == "sale":
            entry[0] += 1
            entry[2] += amount
        else:
            entry[1] += 1
            entry[2] -= amount
    return [SalesRow(day=day, sku=sku, quantity=qty, revenue=revenue, currency=WB_DEFAULT_CURRENCY, returns=back)
            for (day, sku), (qty, back, revenue) in sorted(totals.items())]


# ----------------------------------------------------------------------------------- orders cursor
@dataclass
class WbOrdersCursor:
    """What `orders_since` remembers between polls (the opaque cursor string, see `encode`).

    - since: the dateFrom of the next scan: the newest createdAt seen minus WB_ORDERS_OVERLAP;
    - seen:  ids created at or after `since` that were already reported (so the overlap repeats nothing);
    - open:  orders not yet in a final state: id -> (status key "supplierStatus/wbStatus", createdAt), so a
             status change is reported once and then not again.
    """

    since: int
    seen: set[int] = field(default_factory=set)
    open: dict[int, tuple[str, int]] = field(default_factory=dict)

    PREFIX = "wb1."

    def encode(self) -> str:
        payload = {"s": self.since, "seen": sorted(self.seen),
                   "open": [[oid, key, created] for oid, (key, created) in sorted(self.open.items())]}
        raw = zlib.compress(json.dumps(payload, separators=(",", ":")).encode())
        return self.PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> WbOrdersCursor:
        """Raises ValueError for a string this client did not make."""
        if not text.startswith(cls.PREFIX):
            raise ValueError("not a Wildberries orders cursor")
        body = text[len(cls.PREFIX):]
        try:
            payload = json.loads(zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))
            return cls(since=int(payload["s"]), seen={int(i) for i in payload["seen"]},
                       open={int(oid): (str(key), int(created)) for oid, key, created in payload["open"]})
        except (binascii.Error, zlib.error, ValueError, KeyError, TypeError) as exc:
            raise ValueError("corrupted Wildberries orders cursor") from exc

# ------------------------------------------------------------------------------------------ client
class _Garbled(BadResponse):
    """A 2xx reply we cannot read (cut-off JSON, an unexpected shape, a status WB never sends for the call):
    retried like a 5xx, because nothing says the server acted on it."""


class WbOrderNotFound(BadResponse):
    """No FBS assembly task with this id among the new ones and those of the last 30 days."""


# Failures worth another try of the same request (rate limits are waited out in the pacer first).
_TRANSIENT = (MarketplaceUnavailable, RateLimited, _Garbled)
_FINAL_TASK_STATES = (WB_TASK_DONE, WB_TASK_CANCELLED, WB_TASK_PARTLY_FAILED, WB_TASK_FAILED)
_Verdict = tuple[ItemOutcome, str | None, str | None]  # outcome, reason, detail
_ACCEPTED: _Verdict = (ItemOutcome.ACCEPTED, None, None)


def _parse(model: Any, response: httpx.Response, what: str) -> Any:
    try:
        data = response.json()
    except ValueError:
        raise _Garbled(f"{what}: reply is not JSON", status=response.status_code) from None
    try:
        return parse_model(model, data, what)
    except BadResponse as exc:
        raise _Garbled(str(exc), status=response.status_code) from None


def stock_rejections(body: Any, status: int | None, detail: str | None
                     ) -> tuple[dict[int, tuple[str, str | None]], tuple[str, str | None]]:
    """A refused stock PUT -> (rejections by chrtId where WB names the items, the reason for everything else).

    409 bodies are lists of {code, message, data: [{chrtId, sku, amount}]}; other statuses one {code, message}.
    An error whose items carry only a barcode (`sku`) cannot be matched to a chrtId and covers the batch.
    """
    errors = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
    fallback = WB_STOCK_STATUS_REASONS.get(status or 0, "rejected")
    per_item: dict[int, tuple[str, str | None]] = {}
    batch = (fallback, detail)
    for raw in errors:
        try:
            error = WbStockError.model_validate(raw)
        except ValueError:
            continue
        reason = WB_STOCK_REASONS.get(error.code or "", fallback) if status == 409 else fallback
        text = error.message or error.code or detail
        ids = [item.chrtId for item in error.data or [] if item.chrtId is not None]
        if ids:
            per_item.update((chrt, (reason, text)) for chrt in ids)
        else:
            batch = (reason, text)
    return per_item, batch


def _good_verdict(good: WbGoodResult | None, default: _Verdict) -> _Verdict:
    """One good of a processed price task (history/goods/task): status 3 or an error text is a refusal."""
    if good is None:
        return default
    if good.status == WB_GOOD_FAILED or good.errorText:
        reason = wb_price_reason(good.errorText)
        outcome = ItemOutcome.ACCEPTED if reason == "unchanged" else ItemOutcome.REJECTED
        return outcome, reason, good.errorText
    return _ACCEPTED


def _upload_refusal(status: int | None, text: str | None) -> _Verdict:
    """upload/task refused the whole batch: "already set" is success, the rest a refusal."""
    reason = wb_price_reason(text)
    if reason == "rejected" and status == 400:
        reason = "bad_request"
    outcome = ItemOutcome.ACCEPTED if reason == "unchanged" else ItemOutcome.REJECTED
    return outcome, reason, text


class WildberriesClient(BaseClient):
    """The Wildberries seller API for one token (and, for stock, one warehouse of the AccountContext)."""

    marketplace = Marketplace.WILDBERRIES

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
        self._token = credentials.api_key.strip()
        self._base_template = base_url
        self.account = account or AccountContext()
        self._http = HttpCore(
            policy=WB_POLICY,
            # No prefix: `Authorization: <JWT>` (securitySchemes.HeaderApiKey).
            auth_headers={"Authorization": self._token},
            transport=transport,
            clock=clock,
            timeout=timeout,
        )
        self._info: WbTokenInfo | None = None
        self._tasks: dict[int, WbTask] = {}  # recently seen orders, oldest first (get_order, actions)
        self._supply_id: str | None = None  # the open supply confirm_order adds to

    # -- token and pacing ----------------------------------------------------------------------------
    @property
    def token_info(self) -> WbTokenInfo:
        """The token's claims; an unreadable token gets the strictest limits (check_connection reports it)."""
        if self._info is None:
            try:
                self._info = decode_wb_token(self._token)
            except AuthError:
                self._info = WbTokenInfo("unknown", frozenset(), False, None, None)
        return self._info

    def _limit_account(self) -> str:
        # "The service limit applies to all tokens within a single service"; otherwise per seller.
        info = self.token_info
        return info.service_id or info.seller_id or credential_id(self._token)

    def _pace(self, group: str) -> Pace:
        return wb_pace(group, self.token_info.type, self._limit_account(), clock=self._http.clock)

    def _cancel_pace(self) -> Pace:
        """Cancelling has its own limit on top of the Marketplace category's."""
        general = self._pace("marketplace")
        key = (Marketplace.WILDBERRIES.value, self._limit_account(), "cancel", wb_tier(self.token_info.type))
        own = pacer_for(key, WB_CANCEL_LIMIT, clock=self._http.clock)
        return Pace(own, *general.parts, error_cost=general.error_cost)

    # -- requests ------------------------------------------------------------------------------------
    def host_url(self, host: str) -> str:
        """The base URL of one category host, e.g. 'marketplace' -> https://marketplace-api.wildberries.ru."""
        # str.replace, not format(): a base URL may legitimately contain other braces.
        return self._base_template.replace("{category}", host).rstrip("/")

    async def _call(self, attempt: Callable[[], Awaitable[T]], *, idempotent: bool = True) -> T:
        """Run one request attempt until it succeeds or fails for good (WB_CALL_TRIES, on top of HttpCore's).

        A rate-limit reply was not acted on, so even a non-idempotent write is tried again; the pacer was
        penalized with the server's wait, so the next attempt queues there."""
        for number in range(1, WB_CALL_TRIES + 1):
            try:
                return await attempt()
            except _TRANSIENT as exc:
                retry = idempotent or isinstance(exc, RateLimited)
                if number == WB_CALL_TRIES or not retry:
                    raise
                if not isinstance(exc, RateLimited):
                    await self._http.clock.sleep(backoff_delay(number))
        raise AssertionError("unreachable")

    async def _send(self, method: str, host: str, path: str, *, group: str, pace: Pace | None = None,
                    params: dict | None = None, body: Any = None, idempotent: bool = True) -> httpx.Response:
        return await self._http.request(method, path, base_url=self.host_url(host), params=params, json_body=body,
                                        idempotent=idempotent, pace=pace or self._pace(group))

    async def _read(self, method: str, host: str, path: str, model: Any, *, group: str, params: dict | None = None,
                    body: Any = None, idempotent: bool = True) -> Any:
        """A request whose JSON reply is parsed with `model`."""
        what = f"wildberries {method} {path}"

        async def attempt() -> Any:
            response = await self._send(method, host, path, group=group, params=params, body=body,
                                        idempotent=idempotent)
            return _parse(model, response, what)

        return await self._call(attempt, idempotent=idempotent)

    async def _write(self, method: str, path: str, *, body: Any = None, pace: Pace | None = None) -> None:
        """A Marketplace write WB answers with 204. Any other 2xx (a proxy's page, a garbled reply) is no proof
        that the write happened, so it is retried; every such write here is safe to repeat."""

        async def attempt() -> None:
            response = await self._send(method, "marketplace", path, group="marketplace", pace=pace, body=body)
            if response.status_code != 204:
                raise _Garbled(f"wildberries {method} {path}: expected 204, got {response.status_code}",
                               status=response.status_code)

        await self._call(attempt)

    async def _pages_by_next(self, path: str, model: Any, rows: Callable[[Any], list], *, limit: int,
                             params: dict | None = None) -> AsyncIterator[list]:
        """Marketplace lists paged by `next` (0 first, then the reply's); a short page is the last."""
        cursor = 0
        while True:
            page = await self._read("GET", "marketplace", path, model, group="marketplace",
                                    params={**(params or {}), "limit": limit, "next": cursor})
            yield rows(page)
            if len(rows(page)) < limit or page.next == cursor:
                return
            cursor = page.next

    async def _pages_by_offset(self, path: str, model: Any, rows: Callable[[Any], list], *, limit: int,
                               params: dict | None = None) -> AsyncIterator[list]:
        """Prices lists paged by limit / offset. WB says "until an empty array"; a short page already is the
        last (saves a Base token one of its 4 requests per hour)."""
        offset = 0
        while True:
            page = await self._read("GET", "discounts-prices", path, model, group="prices",
                                    params={**(params or {}), "limit": limit, "offset": offset})
            yield rows(page)
            if len(rows(page)) < limit:
                return
            offset += len(rows(page))

    # -- connection ----------------------------------------------------------------------------------
    async def ping(self, host: str) -> WbPing:
        # Not paced: a connection test pings each host once, and WB's own 429 (X-Ratelimit-Retry, slept in
        # HttpCore) covers a partner who repeats it within 30 s.
        data = await self._http.request_json("GET", "/ping", base_url=self.host_url(host))
        return parse_model(WbPing, data, f"wildberries {host} /ping")

    async def _warehouses(self) -> list[WbWarehouse]:
        return await self._read("GET", "marketplace", "/api/v3/warehouses", list[WbWarehouse], group="marketplace")

    async def list_warehouses(self) -> list[Choice]:
        """The seller's own warehouses (stock is kept per warehouse); those being deleted are left out."""
        return [
            Choice(id=str(w.id), name=w.name or f"Warehouse {w.id}",
                   extra={"office_id": w.officeId, "cargo_type": w.cargoType, "delivery_type": w.deliveryType})
            for w in await self._warehouses()
            if not w.isDeleting  # about to disappear: nothing to push stock to
        ]

    async def check_connection(self) -> ConnectionInfo:
        info = decode_wb_token(self._token)
        warnings = check_key_expiry(self.marketplace, info.expires_at, self._http.clock.now())
        token_warnings, missing = wb_token_warnings(info)
        warnings += token_warnings

        # /ping checks token, URL and category on each host we will use (3 per 30 s per host: once each).
        hosts = [WB_CATEGORY_HOSTS[c] for c in WB_REQUIRED_CATEGORIES if c in info.categories]
        for host in hosts or [WB_COMMON_HOST]:
            await self.ping(host)

        warehouses = await self.list_warehouses() if "marketplace" in info.categories else []
        sid = info.seller_id
        return ConnectionInfo(
            marketplace=self.marketplace,
            # Not from GET /api/v1/seller-info on purpose: a Base token may call it once per 24 h, and a
            # connection test must be repeatable. The service may fetch the real name later, once.
            account_name=f"WB seller {sid[:8]}" if sid else "WB seller",
            account_id=sid,
            warehouses=warehouses,
            expires_at=info.expires_at,
            token_type=info.type,
            scopes=sorted(info.categories),
            warnings=warnings,
            extra={
                "missing_categories": missing,
                "read_only": info.read_only,
                "service_id": info.service_id,
                "pinged_hosts": hosts or [WB_COMMON_HOST],
            },
        )

    # -- catalog and prices read ---------------------------------------------------------------------
    async def iter_listings(self, *, with_prices: bool | None = None) -> AsyncIterator[Listing]:
        """Every card, page by page (never the whole catalog in memory). `with_prices` joins each page's prices
        (one extra request per page); by default only where the token's prices limit allows (not Base)."""
        join = wb_prices_cheap(self.token_info.type) if with_prices is None else with_prices
        cursor: dict[str, Any] = {"limit": WB_CARDS_PAGE}
        while True:
            body = {"settings": {"sort": {"ascending": True}, "filter": {"withPhoto": -1}, "cursor": cursor}}
            page = await self._read("POST", "content", "/content/v2/get/cards/list", WbCardsPage, group="content",
                                    body=body)
            prices = await self._prices_of([c.nmID for c in page.cards]) if join and page.cards else {}
            for card in page.cards:
                yield listing_from_card(card, prices.get(card.nmID))
            # "Repeat until `total` in the reply is less than `limit` in the request" (cards/list description).
            if page.cursor.total < WB_CARDS_PAGE or not page.cards or page.cursor.nmID is None:
                return
            cursor = {"limit": WB_CARDS_PAGE, "updatedAt": page.cursor.updatedAt, "nmID": page.cursor.nmID}

    async def _prices_of(self, nm_ids: Sequence[int]) -> dict[int, WbGoods]:
        found: dict[int, WbGoods] = {}
        for chunk in _chunks(nm_ids, WB_PRICE_PAGE):
            reply = await self._read("POST", "discounts-prices", "/api/v2/list/goods/filter", WbGoodsReply,
                                     group="prices", body={"nmList": list(chunk)})
            found.update((g.nmID, g) for g in _goods_rows(reply))
        return found

    async def iter_prices(self) -> AsyncIterator[PriceUpdate]:
        """Every nmID's price (`price` = what the buyer pays, `old_price` = WB's price before the discount)."""
        pages = self._pages_by_offset("/api/v2/list/goods/filter", WbGoodsReply, _goods_rows, limit=WB_PRICE_PAGE)
        async for goods in pages:
            for row in goods:
                price = price_from_goods(row)
                if price is not None:
                    yield price

    # -- stock ---------------------------------------------------------------------------------------
    async def _stock_warehouses(self) -> list[str]:
        if self.account.warehouse_id:
            return [self.account.warehouse_id]
        return [choice.id for choice in await self.list_warehouses()]

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """Stock of these chrtIds at the account's warehouse (every seller warehouse when none is set)."""
        chrt_ids = [chrt for chrt in (_int_id(s) for s in skus) if chrt is not None]
        levels: list[StockLevel] = []
        for warehouse in await self._stock_warehouses() if chrt_ids else []:
            for chunk in _chunks(chrt_ids, WB_STOCK_READ_BATCH):
                reply = await self._read("POST", "marketplace", f"/api/v3/stocks/{warehouse}", WbStocks,
                                         group="marketplace", body={"chrtIds": list(chunk)})
                levels += [StockLevel(sku=str(s.chrtId), quantity=s.amount, warehouse_id=warehouse)
                           for s in reply.stocks]
        return levels

    async def update_stock(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        """Set absolute stock by chrtId: <= 1,000 items per request and warehouse (the update's warehouse, else
        the AccountContext's). One result per update, in order."""
        results: list[ItemResult | None] = [None] * len(updates)
        batches: dict[str, dict[int, int]] = {}  # warehouse -> chrtId -> position of the update that wins
        for position, update in enumerate(updates):
            warehouse = update.warehouse_id or self.account.warehouse_id
            problem = _stock_problem(update, warehouse)
            if problem:
                results[position] = _rejected(update.sku, problem, warehouse_id=warehouse)
                continue
            items = batches.setdefault(str(warehouse), {})
            chrt = _int_id(update.sku)
            if chrt in items:
                earlier = items[chrt]
                results[earlier] = _rejected(updates[earlier].sku, "superseded", "a later update in the same call",
                                             warehouse)
            items[chrt] = position
        for warehouse, items in batches.items():
            positions = list(items.values())
            for chunk in _chunks(positions, WB_STOCK_BATCH):
                pushed = await self._push_stock(warehouse, [updates[p] for p in chunk])
                for position, result in zip(chunk, pushed):
                    results[position] = result
        return [r for r in results if r is not None]

    async def _push_stock(self, warehouse: str, batch: Sequence[StockUpdate], rounds: int = 3) -> list[ItemResult]:
        """One PUT; a refusal that names items rejects those and sends the rest again (at most `rounds` times)."""
        body = {"stocks": [{"chrtId": _int_id(u.sku), "amount": u.quantity} for u in batch]}
        try:
            await self._write("PUT", f"/api/v3/stocks/{warehouse}", body=body)
        except (AuthError, PermissionDenied):
            raise
        except _TRANSIENT as exc:
            return _failed_batch((u.sku for u in batch), exc, warehouse)
        except ConnectorError as exc:
            per_item, (reason, detail) = stock_rejections(exc.body, exc.status, exc.detail)
            rest = [u for u in batch if _int_id(u.sku) not in per_item]
            if not per_item or not rest or rounds <= 1:
                return [_rejected(u.sku, *per_item.get(_int_id(u.sku), (reason, detail)), warehouse) for u in batch]
            if WB_STOCK_409_APPLIES_NOTHING:
                resent = await self._push_stock(warehouse, rest, rounds - 1)
            else:
                resent = [ItemResult(u.sku, ItemOutcome.ACCEPTED, warehouse_id=warehouse) for u in rest]
            by_chrt = {_int_id(result.sku): result for result in resent}
            return [by_chrt.get(_int_id(u.sku)) or _rejected(u.sku, *per_item[_int_id(u.sku)], warehouse)
                    for u in batch]
        return [ItemResult(u.sku, ItemOutcome.ACCEPTED, warehouse_id=warehouse) for u in batch]

    # -- prices --------------------------------------------------------------------------------------
    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        """Upload tasks of <= 1,000 goods (`sku` = nmID), then each task's per-good result (see the module
        docstring for Base tokens: paced to 4 per hour and answered QUEUED)."""
        results: list[ItemResult | None] = [None] * len(updates)
        goods: dict[int, tuple[int, dict]] = {}  # nmID -> (position of the update that wins, WB good)
        for position, update in enumerate(updates):
            nm_id = _int_id(update.sku)
            problem = _price_problem(update, nm_id)
            if problem:
                results[position] = _rejected(update.sku, problem)
                continue
            if nm_id in goods:
                earlier = goods[nm_id][0]
                results[earlier] = _rejected(updates[earlier].sku, "superseded", "a later update in the same call")
            price, discount = wb_price_and_discount(update.price, update.old_price)
            goods[nm_id] = (position, {"nmID": nm_id, "price": price, "discount": discount})
        for chunk in _chunks(list(goods.values()), WB_PRICE_BATCH):
            verdicts = await self._price_task([good for _, good in chunk])
            for position, good in chunk:
                results[position] = ItemResult(updates[position].sku, *verdicts[good["nmID"]])
        return [r for r in results if r is not None]

    async def _price_task(self, goods: list[dict]) -> dict[int, _Verdict]:
        """Upload one task and wait for its result where the token's limits allow."""
        nm_ids = [good["nmID"] for good in goods]
        try:
            # Safe to repeat: WB answers an identical pending upload with 208 and the same task id.
            created = await self._read("POST", "discounts-prices", "/api/v2/upload/task", WbTaskCreated,
                                       group="prices", body={"data": goods})
        except (AuthError, PermissionDenied):
            raise
        except _TRANSIENT as exc:
            return {nm: (ItemOutcome.REJECTED, str(exc.cause), exc.detail) for nm in nm_ids}
        except ConnectorError as exc:
            return dict.fromkeys(nm_ids, _upload_refusal(exc.status, exc.detail))
        if created.data is None:  # a 2xx that still says error: true
            return dict.fromkeys(nm_ids, _upload_refusal(400, created.errorText))
        task_id = created.data.id
        if not wb_prices_cheap(self.token_info.type):
            return dict.fromkeys(nm_ids, (ItemOutcome.QUEUED, None, f"wb task {task_id}"))
        return await self._await_task(task_id, nm_ids)

    async def _await_task(self, task_id: int, nm_ids: list[int]) -> dict[int, _Verdict]:
        for poll in range(WB_PRICE_TASK_POLLS):
            state = await self._task_state(task_id)
            if state is not None and state.status in _FINAL_TASK_STATES:
                return await self._task_verdicts(task_id, state.status, nm_ids)
            if poll + 1 < WB_PRICE_TASK_POLLS:
                await self._http.clock.sleep(WB_PRICE_TASK_POLL_INTERVAL)
        where = "waiting in WB's buffer" if await self._task_buffered(task_id) else "processing"
        return dict.fromkeys(nm_ids, (ItemOutcome.QUEUED, None, f"wb task {task_id} ({where})"))

    async def _task_state(self, task_id: int) -> WbTaskState | None:
        reply = await self._read("GET", "discounts-prices", "/api/v2/history/tasks", WbTaskStateReply,
                                 group="prices", params={"uploadID": task_id})
        return reply.data

    async def _task_buffered(self, task_id: int) -> bool:
        reply = await self._read("GET", "discounts-prices", "/api/v2/buffer/tasks", WbTaskStateReply,
                                 group="prices", params={"uploadID": task_id})
        return reply.data is not None and reply.data.uploadID is not None

    async def _task_goods(self, task_id: int) -> dict[int, WbGoodResult]:
        goods: dict[int, WbGoodResult] = {}
        pages = self._pages_by_offset("/api/v2/history/goods/task", WbGoodResultsReply,
                                      lambda reply: (reply.data.historyGoods if reply.data else None) or [],
                                      limit=WB_PRICE_PAGE, params={"uploadID": task_id})
        async for page in pages:
            goods.update((good.nmID, good) for good in page)
        return goods

    async def _task_verdicts(self, task_id: int, status: int, nm_ids: Iterable[int]) -> dict[int, _Verdict]:
        if status == WB_TASK_DONE:
            return dict.fromkeys(nm_ids, _ACCEPTED)
        if status == WB_TASK_CANCELLED:
            return dict.fromkeys(nm_ids, (ItemOutcome.REJECTED, "task_cancelled", f"wb task {task_id} was cancelled"))
        details = await self._task_goods(task_id)
        # 5: "goods without errors were updated"; 6: every good has an error.
        default = _ACCEPTED if status == WB_TASK_PARTLY_FAILED else (ItemOutcome.REJECTED, "rejected", None)
        return {nm: _good_verdict(details.get(nm), default) for nm in nm_ids}

    async def price_task_results(self, task_id: int | str) -> list[ItemResult]:
        """Per-good results of an earlier upload (e.g. a Base token's QUEUED items); [] while WB still works on it."""
        state = await self._task_state(int(task_id))
        if state is None or state.status not in _FINAL_TASK_STATES:
            return []
        details = await self._task_goods(int(task_id))
        verdicts = await self._task_verdicts(int(task_id), state.status, details)
        return [ItemResult(str(nm), *verdict) for nm, verdict in verdicts.items()]

    # -- orders --------------------------------------------------------------------------------------
    def _remember(self, tasks: Iterable[WbTask]) -> None:
        for task in tasks:
            self._tasks.pop(task.id, None)
            self._tasks[task.id] = task
        while len(self._tasks) > WB_ORDER_CACHE_SIZE:
            self._tasks.pop(next(iter(self._tasks)))

    async def new_orders(self) -> list[Order]:
        """Every FBS assembly task now waiting for the seller (one Order per unit: WB's model)."""
        page = await self._read("GET", "marketplace", "/api/v3/orders/new", WbTasksPage, group="marketplace")
        self._remember(page.orders)
        return [order_from_task(task, None) for task in page.orders]

    async def _scan_tasks(self, date_from: int) -> list[WbTask]:
        """Every task created since `date_from` (unix, <= 30 days back). No dateTo: WB's own "now" ends the
        period, so an order created a moment ago is never cut off by our clock lagging theirs."""
        tasks: list[WbTask] = []
        pages = self._pages_by_next("/api/v3/orders", WbTasksPage, lambda page: page.orders, limit=WB_ORDERS_PAGE,
                                    params={"dateFrom": date_from})
        async for page in pages:
            tasks += page
        self._remember(tasks)
        return tasks

    async def _statuses(self, order_ids: Iterable[int]) -> dict[int, WbTaskStatus]:
        found: dict[int, WbTaskStatus] = {}
        for chunk in _chunks(sorted(set(order_ids)), WB_STATUS_BATCH):
            reply = await self._read("POST", "marketplace", "/api/v3/orders/status", WbTaskStatuses,
                                     group="marketplace", body={"orders": list(chunk)})
            found.update((status.id, status) for status in reply.orders)
        return found

    @staticmethod
    def _oldest_date_from(now: int) -> int:
        return now - WB_ORDERS_MAX_SPAN + WB_ORDERS_SPAN_MARGIN

    async def orders_since(self, cursor: str | None) -> OrderPage:
        """Orders new since the cursor, plus known orders whose status changed; and the cursor to store.

        The cursor (WbOrdersCursor, opaque text) is only advanced in the returned page, so a restart before it
        is stored repeats the last poll instead of losing it, and nothing is reported twice after it is stored.
        Raises ValueError for a cursor this client did not make."""
        now = int(self._http.clock.now())
        state = WbOrdersCursor.decode(cursor) if cursor else WbOrdersCursor(since=now - WB_ORDERS_FIRST_LOOKBACK)
        scanned = await self._scan_tasks(max(state.since, self._oldest_date_from(now)))
        known = state.seen | state.open.keys()
        fresh = [task for task in scanned if task.id not in known]
        statuses = await self._statuses([*state.open, *(task.id for task in fresh)])
        changed = [oid for oid, (key, _) in state.open.items() if oid in statuses and statuses[oid].key != key]
        details = await self._details(changed, scanned, state, now)
        orders = [order_from_task(task, statuses.get(task.id)) for task in fresh]
        orders += [order_from_task(details[oid], statuses[oid]) for oid in changed]
        return OrderPage(orders=orders, cursor=_advance(state, scanned, fresh, statuses, now).encode())

    async def _details(self, order_ids: list[int], scanned: list[WbTask], state: WbOrdersCursor,
                       now: int) -> dict[int, WbTask]:
        """Full tasks for orders whose status changed: from this scan, the cache, else a scan back to them."""
        details = {task.id: task for task in scanned}
        missing = [oid for oid in order_ids if oid not in details and oid not in self._tasks]
        if missing:
            earliest = min(state.open[oid][1] for oid in missing)
            details.update((t.id, t) for t in await self._scan_tasks(max(earliest - 1, self._oldest_date_from(now))))
        # Older than WB lists: report the change with what the cursor knows (no item details).
        return {oid: details.get(oid) or self._tasks.get(oid) or _stub_task(oid, state.open[oid][1])
                for oid in order_ids}

    async def _find_task(self, order_id: int, *, fresh: bool = False) -> WbTask:
        """The task from the cache, else the new orders, else the last 30 days (WB has no single-order read)."""
        if not fresh and order_id in self._tasks:
            return self._tasks[order_id]
        page = await self._read("GET", "marketplace", "/api/v3/orders/new", WbTasksPage, group="marketplace")
        self._remember(page.orders)
        found = {task.id: task for task in page.orders}
        if order_id not in found:
            scanned = await self._scan_tasks(self._oldest_date_from(int(self._http.clock.now())))
            found.update((task.id, task) for task in scanned)
        if order_id not in found:
            raise WbOrderNotFound(f"wildberries: no order {order_id}", status=404, detail="order not found")
        return found[order_id]

    async def get_order(self, order_id: str) -> Order:
        oid = _order_id(order_id)
        task = await self._find_task(oid)
        return order_from_task(task, (await self._statuses([oid])).get(oid))

    # -- order actions and supplies ------------------------------------------------------------------
    async def list_supplies(self) -> list[Supply]:
        """Every FBS supply of the seller, open and closed."""
        pages = self._pages_by_next("/api/v3/supplies", WbSuppliesPage, lambda page: page.supplies,
                                    limit=WB_SUPPLIES_PAGE)
        return [supply_from_wb(supply) async for page in pages for supply in page]

    async def create_supply(self, name: str) -> Supply:
        """A new open FBS supply (name: 1..128 characters). Not retried after a timeout: it could exist twice."""
        name = name.strip()[:128] or WB_SUPPLY_NAME.format(day=self._today())
        created = await self._read("POST", "marketplace", "/api/v3/supplies", WbSupplyCreated, group="marketplace",
                                   body={"name": name}, idempotent=False)
        return Supply(external_id=created.id, name=name, status="open", created_at=int(self._http.clock.now()))

    async def deliver_supply(self, supply_id: str) -> None:
        """Close the supply and hand it to delivery: every order in it becomes `complete`."""
        try:
            await self._write("PATCH", f"/api/v3/supplies/{supply_id}/deliver")
        except BadResponse as exc:
            # A repeat after a lost 204 finds it closed already: that is the outcome we wanted.
            if exc.status != 409 or not await self._supply_done(supply_id):
                raise
        if self._supply_id == supply_id:
            self._supply_id = None

    async def _supply_done(self, supply_id: str) -> bool:
        supply = await self._read("GET", "marketplace", f"/api/v3/supplies/{supply_id}", WbSupply,
                                  group="marketplace")
        return bool(supply.done)

    def _today(self) -> str:
        return datetime.fromtimestamp(self._http.clock.now(), MOSCOW).date().isoformat()

    async def _open_supply(self) -> str:
        """The supply confirm_order adds to: the one used last if still open, else any open one, else a new one."""
        if self._supply_id is not None:
            try:
                if not await self._supply_done(self._supply_id):
                    return self._supply_id
            except BadResponse as exc:  # deleted in the cabinet
                if exc.status != 404:
                    raise
        opened = [s for s in await self.list_supplies() if not s.closed]
        supply = opened[-1] if opened else await self.create_supply(WB_SUPPLY_NAME.format(day=self._today()))
        self._supply_id = supply.external_id
        return supply.external_id

    async def _add_to_supply(self, supply_id: str, order_ids: Sequence[int]) -> None:
        await self._write("PATCH", f"/api/marketplace/v3/supplies/{supply_id}/orders",
                          body={"orders": list(order_ids)})
        for oid in order_ids:
            if oid in self._tasks:
                self._tasks[oid] = self._tasks[oid].model_copy(update={"supplyId": supply_id})

    async def confirm_orders(self, order_ids: Sequence[str]) -> list[ItemResult]:
        """Add orders to the open supply (one is created if none), <= 100 per request: WB moves them to
        `confirm`. One result per id, in order."""
        verdicts: dict[int, ItemResult] = {}
        valid = list(dict.fromkeys(oid for oid in map(_int_id, order_ids) if oid is not None))
        for chunk in _chunks(valid, WB_SUPPLY_BATCH):
            verdicts.update(await self._confirm_chunk(chunk))
        return [verdicts.get(_int_id(text)) or _rejected(text, "invalid_order") for text in order_ids]

    async def _confirm_chunk(self, chunk: Sequence[int], *, new_supply: bool = False) -> dict[int, ItemResult]:
        """WB's 409 does not say which order it refused: a refused chunk is retried one order at a time, and a
        single refused order that could still be confirmed once more in a fresh supply (a supply takes one
        cargo type only)."""
        try:
            if new_supply:
                supply = await self.create_supply(WB_SUPPLY_NAME.format(day=self._today()))
                self._supply_id = supply.external_id
            await self._add_to_supply(self._supply_id if new_supply else await self._open_supply(), chunk)
        except (AuthError, PermissionDenied):
            raise
        except _TRANSIENT as exc:
            return {oid: _rejected(str(oid), str(exc.cause), exc.detail) for oid in chunk}
        except ConnectorError as exc:
            if len(chunk) > 1:
                return {k: v for oid in chunk for k, v in (await self._confirm_chunk([oid])).items()}
            if not new_supply and exc.status == 409 and await self._confirmable(chunk[0]):
                return await self._confirm_chunk(chunk, new_supply=True)
            return {chunk[0]: _rejected(str(chunk[0]), "not_confirmed", exc.detail)}
        return {oid: ItemResult(str(oid), ItemOutcome.ACCEPTED) for oid in chunk}

    async def _confirmable(self, order_id: int) -> bool:
        status = (await self._statuses([order_id])).get(order_id)
        return status is not None and status.supplierStatus in ("new", "confirm")

    async def confirm_order(self, order_id: str) -> Order:
        """WB has no "confirm": adding the order to a supply moves it to `confirm` (on assembly)."""
        [result] = await self.confirm_orders([order_id])
        _raise_for(result)
        return await self.get_order(order_id)

    async def cancel_order(self, order_id: str, reason: str | None = None) -> Order:
        """PATCH …/cancel. WB takes no reason (`reason` is not sent)."""
        oid = _order_id(order_id)
        try:
            await self._write("PATCH", f"/api/v3/orders/{oid}/cancel", pace=self._cancel_pace())
        except BadResponse as exc:
            # A repeat after a lost 204 finds it cancelled already: that is the outcome we wanted.
            status = (await self._statuses([oid])).get(oid) if exc.status == 409 else None
            if status is None or status.supplierStatus != "cancel":
                raise
        return await self.get_order(order_id)

    async def ship_order(self, order_id: str) -> Order:
        """Hand the order's supply to delivery (confirming the order first if it is still new). WB ships whole
        supplies: every other order in the same supply is shipped with it."""
        oid = _order_id(order_id)
        status = (await self._statuses([oid])).get(oid)
        if status is None:
            raise WbOrderNotFound(f"wildberries: no order {oid}", status=404, detail="order not found")
        if status.supplierStatus == "complete":  # shipped already (e.g. with another order of its supply)
            return await self.get_order(order_id)
        if status.supplierStatus == "new":
            await self.confirm_order(order_id)
        elif status.supplierStatus != "confirm":
            raise ConnectorError(f"wildberries: order {oid} cannot be shipped in status {status.supplierStatus}",
                                 status=409, detail=f"order is {status.supplierStatus}")
        task = await self._find_task(oid)
        if task.supplyId is None:  # confirmed elsewhere (e.g. in the cabinet): ask WB where it went
            task = await self._find_task(oid, fresh=True)
        if task.supplyId is None:
            raise ConnectorError(f"wildberries: order {oid} is in no supply", status=409, detail="order in no supply")
        await self.deliver_supply(task.supplyId)
        return await self.get_order(order_id)

    # -- analytics -----------------------------------------------------------------------------------
    async def sales(self, date_from: _date, date_to: _date) -> list[SalesRow]:
        """Sales and returns per day and seller SKU, from the statistics sales report (flag=0: rows changed since
        dateFrom, up to ~80,000 per reply; the next reply starts at the last row's lastChangeDate)."""
        rows: dict[str, WbSale] = {}
        since = wb_statistics_time(datetime.combine(date_from, datetime.min.time()).isoformat())
        while True:
            page = await self._read("GET", "statistics", "/api/v1/supplier/sales", list[WbSale],
                                    group="statistics_sales", params={"dateFrom": since, "flag": 0})
            rows.update((sale.saleID, sale) for sale in page if sale.saleID)  # pages overlap at the boundary
            if len(page) < WB_SALES_FULL_REPLY or not page[-1].lastChangeDate:
                return sales_rows(rows.values(), date_from, date_to)
            since = wb_statistics_time(page[-1].lastChangeDate)


def wb_statistics_time(text: str) -> str:
    """A statistics `dateFrom`: the schema wants an RFC 3339 date-time, WB reads Moscow time, and its own dates
    (lastChangeDate) come without a zone, so the Moscow offset is added. UNCONFIRMED that WB honours an offset
    (its description also allows a bare date or a zoneless time, which the schema's format rejects)."""
    return text if text.endswith("Z") or "+" in text[10:] else f"{text}+03:00"


def _goods_rows(reply: WbGoodsReply) -> list[WbGoods]:
    return reply.data.listGoods if reply.data else []


def _stock_problem(update: StockUpdate, warehouse: str | None) -> str | None:
    if warehouse is None:
        return "no_warehouse"
    if _int_id(update.sku) is None:
        return "invalid_sku"
    if not 0 <= update.quantity <= WB_MAX_AMOUNT:
        return "invalid_quantity"
    return None


def _price_problem(update: PriceUpdate, nm_id: int | None) -> str | None:
    if nm_id is None:
        return "invalid_sku"
    try:
        if not update.price.is_finite() or update.price <= 0:
            return "invalid_price"
        if update.old_price is not None and (not update.old_price.is_finite() or update.old_price <= 0):
            return "invalid_price"
    except (AttributeError, InvalidOperation):
        return "invalid_price"
    return None


def _order_id(text: str) -> int:
    oid = _int_id(text)
    if oid is None:
        raise WbOrderNotFound(f"wildberries: {text!r} is not an order id", status=404, detail="order not found")
    return oid


_REASON_ERRORS: dict[str | None, type[ConnectorError]] = {"unavailable": MarketplaceUnavailable,
                                                         "rate_limited": RateLimited}


def _stub_task(order_id: int, created: int) -> WbTask:
    return WbTask(id=order_id, createdAt=datetime.fromtimestamp(created, timezone.utc).isoformat())


def _raise_for(result: ItemResult) -> None:
    """A single-order action's ItemResult as the exception the caller expects."""
    if result.outcome is ItemOutcome.ACCEPTED:
        return
    cls = _REASON_ERRORS.get(result.reason, BadResponse)
    raise cls(f"wildberries: order {result.sku}: {result.reason}", status=409, detail=result.detail)


def _advance(state: WbOrdersCursor, scanned: list[WbTask], fresh: list[WbTask],
             statuses: dict[int, WbTaskStatus], now: int) -> WbOrdersCursor:
    """The cursor after a poll: the scan start moves up to the newest order minus the overlap, the ids inside
    the overlap are remembered, and open orders keep their latest status until they are final or too old."""
    created = {task.id: _unix(task.createdAt) or now for task in scanned}
    since = max([state.since, *(c - WB_ORDERS_OVERLAP for c in created.values())])
    open_orders = dict(state.open)
    open_orders.update((task.id, ("", created[task.id])) for task in fresh)
    for oid, (key, born) in list(open_orders.items()):
        status = statuses.get(oid)
        if (status is not None and status.final) or born < now - WB_ORDER_TRACK_SECONDS:
            del open_orders[oid]
        elif status is not None:
            open_orders[oid] = (status.key, born)
    seen = {oid for oid, born in created.items() if born >= since}
    return WbOrdersCursor(since=since, seen=seen, open=open_orders)
