"""Ozon Seller API client (specs/ozon/ozon-seller-api-swagger-en.json, MARKETPLACES.md §4).

Every method is a POST with a JSON body; `Client-Id` + `Api-Key` headers. What each capability calls:

- connection:   /v1/roles, /v1/seller/info, /v2/warehouse/list (cursor)
- catalog:      /v3/product/list (last_id, limit <= 1000) + /v3/product/info/list (<= 1000 ids) for details;
                iter_listings reads them one page ahead, parsed from the reply bytes (see `_listing_of`)
- stock read:   /v4/product/info/stocks (cursor, limit <= 1000)
- stock push:   /v2/products/stocks (<= 100 product-warehouse pairs, 80 req/min per account, the same pair at
                most once per 30 s: paced by connectors.ozon.limits.ozon_pace; per-item `updated` / `errors`)
- prices:       /v1/product/import/prices (<= 1000 items, each product <= 10 changes per hour; per-item errors)
- orders:       /v4/posting/fbs/unfulfilled/list and /v4/posting/fbs/list (cursor, limit <= 100),
                FBO /v3/posting/fbo/list; detail /v3/posting/fbs/get (FBO: /v2/posting/fbo/get)
- pack:         /v4/posting/fbs/ship, then re-checked with /v3/posting/fbs/get (a 200 does not mean packed;
                substatus `ship_failed` means pack again)
- cancel:       /v2/posting/fbs/cancel (cancel_reason_id)
- analytics:    /v1/analytics/data (1 request per minute, <= 1000 rows, offset)

Schemes: an FBS posting from an rFBS warehouse (or with a seller-side delivery integration) is Scheme.DBS;
FBO postings are Scheme.FBO. Push notifications are not handled here (a later issue).

ItemResult reasons (`ItemResult.reason`) this client gives, besides Ozon's own error codes in lower case:
`rate_limited` (Ozon's TOO_MANY_REQUESTS, or held back locally because the product's hourly price budget is
spent), `unknown_sku` (no Ozon product has that offer_id), `no_warehouse` (a stock update without a
warehouse and none in the client's AccountContext), `duplicate` (the same item twice in one call: the last one wins),
`not_updated` (Ozon answered `updated: false` without an error), `no_result` (Ozon's reply left the item out).
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Required

import httpx
from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from Python 3.12 on

from connectors.base import (
    AccountContext,
    AuthError,
    BadResponse,
    Choice,
    ConnectionInfo,
    ConnectorError,
    Credentials,
    IpRestricted,
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
    SalesRow,
    Scheme,
    StockLevel,
    StockUpdate,
    Warning,
)
from connectors.clock import Clock
from connectors.http import (
    BaseClient,
    ErrorPolicy,
    HttpCore,
    RateLimitSignal,
    Reply,
    check_key_expiry,
    first_text,
    parse_model,
    parse_model_json,
    retry_after_header,
)
from connectors.ozon.limits import ozon_gate, ozon_pace
from connectors.pacing import Pace

log = logging.getLogger("connectors.ozon")

# POST /v2/warehouse/list: `limit` is required, maximum 200 (v2WarehouseListV2Request).
WAREHOUSE_PAGE_LIMIT = 200
MAX_PAGES = 50

# What the bot does with an Ozon key and one method that proves each is allowed. /v1/roles lists the
# methods each role of the key may call; a capability is present if any role allows its method.
OZON_REQUIRED_METHODS: dict[str, str] = {
    "stocks": "/v2/products/stocks",
    "prices": "/v1/product/import/prices",
    "orders": "/v4/posting/fbs/unfulfilled/list",
}
# UNCONFIRMED: the role names Ozon uses for a full-access key. The spec's example lists a role "Admin"
# with a short method list, so an admin role is taken to allow everything.
OZON_ADMIN_ROLES = frozenset({"admin", "administrator"})

# ----------------------------------------------------------------------------------- error policy
# Error texts from the swagger's "Errors" tag; matched case-insensitively as substrings.
OZON_RATE_LIMIT_TEXT = "you have reached request rate limit per second"
OZON_CIRCLE_OPEN_TEXT = "circle is open"
# "Circle is open": the method is blocked "for a few minutes"; no header says how long, so this estimate
# (longer than the inline-wait cap) hands the wait back to the caller instead of hammering the method.
OZON_CIRCLE_OPEN_WAIT = 120.0
# Per-second limit: one second is by definition enough.
OZON_PER_SECOND_WAIT = 1.0

OZON_AUTH_MESSAGES: tuple[tuple[str, type[ConnectorError]], ...] = (
    ("api-key is restricted to specific ip addresses", IpRestricted),
    ("api-key is missing a required role", PermissionDenied),
    ("api-key is deactivated", KeyExpired),
    ("invalid api-key", AuthError),
    ("client-id", AuthError),  # e.g. "Invalid Client-Id" / "Client-Id is not specified"
)


def _ozon_message(reply: Reply) -> str | None:
    # rpcStatus: {"code": int, "message": str, "details": [...]}
    body = reply.body
    if isinstance(body, dict):
        return first_text(body.get("message"), body.get("error"))
    return first_text(reply.text[:300]) if reply.text and not reply.text.lstrip().startswith("<") else None


def _ozon_rate_limit(reply: Reply, now: float) -> RateLimitSignal | None:
    # UNCONFIRMED status: the spec documents only texts. A 429 or either text is a rate limit.
    text = (_ozon_message(reply) or "").lower()
    server_says = retry_after_header(reply, now)  # if Ozon ever sends one, it wins
    if OZON_CIRCLE_OPEN_TEXT in text:
        return RateLimitSignal(server_says if server_says is not None else OZON_CIRCLE_OPEN_WAIT)
    if OZON_RATE_LIMIT_TEXT in text or reply.status == 429:
        return RateLimitSignal(server_says if server_says is not None else OZON_PER_SECOND_WAIT)
    return None


def _ozon_classify(reply: Reply, message: str) -> type[ConnectorError] | None:
    text = message.lower()
    for needle, cls in OZON_AUTH_MESSAGES:
        if needle in text:
            return cls
    return None


OZON_POLICY = ErrorPolicy(Marketplace.OZON, rate_limit=_ozon_rate_limit, message=_ozon_message, classify=_ozon_classify)


# ------------------------------------------------------------------------------------------ models
class _Model(BaseModel):
    """Tolerant reading: unknown fields are ignored and an explicit `null` counts as absent (real Ozon replies
    carry `null` for objects, arrays and dates the schema calls non-nullable, as the spec's own examples show)."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data


class OzonRole(_Model):
    name: str = ""
    methods: list[str] = []


class OzonRoles(_Model):
    expires_at: datetime | None = None
    roles: list[OzonRole] = []


class OzonCompany(_Model):
    name: str | None = None
    legal_name: str | None = None
    inn: str | None = None
    currency: str | None = None


class OzonSellerInfo(_Model):
    company: OzonCompany | None = None


class OzonWarehouse(_Model):
    warehouse_id: int
    name: str | None = None
    status: str | None = None
    is_rfbs: bool | None = None


class OzonWarehousePage(_Model):
    warehouses: list[OzonWarehouse] = []
    cursor: str | None = None
    has_next: bool = False


def missing_capabilities(roles: list[OzonRole]) -> list[str]:
    """The capabilities of OZON_REQUIRED_METHODS that no role of the key allows."""
    if any(role.name.strip().lower() in OZON_ADMIN_ROLES for role in roles):
        return []
    allowed = [m.rstrip("/") for role in roles for m in role.methods if m]

    def covered(method: str) -> bool:
        # A role may list a method or a prefix of methods (the spec's example shows "/v1/posting").
        return any(method == a or method.startswith(a + "/") for a in allowed)

    return [name for name, method in OZON_REQUIRED_METHODS.items() if not covered(method)]



# ------------------------------------------------------------------------------ operation limits
PRODUCT_PAGE_LIMIT = 1000  # /v3/product/list: limit 1..1000
PRODUCT_INFO_BATCH = 1000  # /v3/product/info/list: up to 1000 ids in total per request
MAX_PRODUCT_PAGES = 1000  # 1,000,000 products: a loop guard, not a business limit
STOCK_PAGE_LIMIT = 1000  # /v4/product/info/stocks: limit <= 1000
STOCK_READ_BATCH = 1000  # offer_ids per /v4/product/info/stocks filter
STOCK_BATCH = 100  # /v2/products/stocks: 100 product-warehouse pairs per request
PRICE_BATCH = 1000  # /v1/product/import/prices: prices.maxItems
POSTING_PAGE_LIMIT = 100  # /v4/posting/fbs/*list, /v3/posting/fbo/list: limit 1..100
MAX_ORDER_PAGES = 200  # 20,000 postings per call: a loop guard
ANALYTICS_PAGE_LIMIT = 1000  # /v1/analytics/data: limit 1..1000
MAX_ANALYTICS_PAGES = 100
# Stock types of the seller's own warehouses in stock replies (`type` / `source`); "fbo" is Ozon's stock.
OZON_SELLER_STOCK_TYPES = frozenset({"fbs", "rfbs"})
# Metrics every seller may ask for (the others need a Premium subscription).
ANALYTICS_METRICS = ("revenue", "ordered_units")
ANALYTICS_DIMENSIONS = ("sku", "day")

# A price change that would wait longer than this for its product's hourly budget (10 per hour) is not
# queued: it comes back as `rate_limited` at once and the rest of the batch goes out.
OZON_PRICE_MAX_QUEUE = 60.0

# ------------------------------------------------------------------------------------ orders
# What "new" means: the posting waits for the seller to pack it.
OZON_NEW_ORDER_STATUSES = ("awaiting_packaging",)
OZON_PACKABLE_STATUS = "awaiting_packaging"
OZON_SHIP_FAILED = "ship_failed"  # substatus: packing failed, pack again
# UNCONFIRMED: whether /v4/posting/fbs/unfulfilled/list needs a date filter. The spec marks none required but
# says "use either the cutoff filter or the delivering_date filter"; a cutoff window is always sent.
OZON_UNFULFILLED_CUTOFF_BACK = timedelta(days=90)
OZON_UNFULFILLED_CUTOFF_AHEAD = timedelta(days=90)
# "The period shouldn't be longer than one year" (the list methods; FBO: PERIOD_IS_TOO_LONG).
OZON_MAX_PERIOD = timedelta(days=364)
# orders_since(): a first call looks this far back; later calls re-read this much before the stored
# watermark, so a change indexed late is not missed (orders are stored once by posting number).
OZON_FIRST_SYNC = timedelta(days=30)
OZON_ORDER_OVERLAP = timedelta(minutes=10)
# Packing: a 200 from /v4/posting/fbs/ship does not mean packed. Re-check with /v3/posting/fbs/get up to
# OZON_SHIP_CHECKS times, OZON_SHIP_CHECK_DELAY apart; pack again on `ship_failed`, OZON_SHIP_ATTEMPTS in all.
OZON_SHIP_ATTEMPTS = 3
OZON_SHIP_CHECKS = 3
OZON_SHIP_CHECK_DELAY = 2.0
# /v2/posting/fbs/cancel reasons (the method's description and /v1/posting/fbs/cancel-reason): 352 "product
# is out of stock" is what a seller cancelling from the bot means by default; 402 "other" needs a message.
OZON_CANCEL_REASON_OUT_OF_STOCK = 352
OZON_CANCEL_REASON_OTHER = 402
OZON_CANCEL_MESSAGE_LIMIT = 500
# UNCONFIRMED: delivery integrations of rFBS postings (seller-side delivery), used only when the posting's
# warehouse is not in /v2/warehouse/list (which says `is_rfbs` per warehouse). "ozon" (Ozon logistics) and
# "hybryd" (Russian Post) are FBS.
OZON_RFBS_INTEGRATION_TYPES = frozenset({"non_integrated", "3pl_tracking", "aggregator"})


# ------------------------------------------------------------------------- stock item key (UNCONFIRMED)
# UNCONFIRMED (MARKETPLACES.md §4.2): how a /v2/products/stocks item names its product. The method text says
# "offer_id or product_id; if both, offer_id wins; use only one"; the item schema (English and Russian) says
# `required: [product_id, quant_size, stock, warehouse_id]` while defining no `quant_size` property.
# The first shape follows the schema: product_id (resolved from the offer_id) plus quant_size 1, which is
# what the prices method documents for a regular (non-"Economy") product. If Ozon rejects a whole request
# naming one of these fields, the client switches once to the other shape (offer_id only) and resends.
# This function is the only place that decides it.
OZON_STOCK_SHAPES = ("product_id", "offer_id")
OZON_STOCK_QUANT_SIZE = 1
# A 400 naming one of these fields makes the client try the other shape.
OZON_STOCK_SHAPE_FIELDS = ("product_id", "quant_size", "offer_id")


def ozon_stock_item(shape: str, *, offer_id: str, product_id: int | None, stock: int, warehouse_id: int) -> dict:
    """One `stocks[]` item of POST /v2/products/stocks in the given shape (see OZON_STOCK_SHAPES)."""
    if shape == "product_id":
        if product_id is None:
            raise ValueError("the product_id shape needs a product_id")
        return {"product_id": product_id, "quant_size": OZON_STOCK_QUANT_SIZE, "stock": stock,
                "warehouse_id": warehouse_id}
    if shape == "offer_id":
        return {"offer_id": offer_id, "stock": stock, "warehouse_id": warehouse_id}
    raise ValueError(f"unknown Ozon stock item shape {shape!r}")


def _other_shape(shape: str) -> str:
    return OZON_STOCK_SHAPES[1] if shape == OZON_STOCK_SHAPES[0] else OZON_STOCK_SHAPES[0]


# ------------------------------------------------------------------------------------ value helpers
def _lenient_datetime(value: Any) -> Any:
    """Dates as Ozon sends them; an unreadable one (the spec's examples hold "string") is None."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


When = Annotated[datetime | None, BeforeValidator(_lenient_datetime)]


def decimal_or_none(value: Any) -> Decimal | None:
    """A money value: "1299.99", 1299.99 or 1200 -> Decimal; "" / None / junk -> None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def _money_text(value: Decimal) -> str:
    """A price as Ozon's string fields take it: plain decimal notation, never an exponent."""
    return format(value.normalize() if value == value.to_integral_value() else value, "f")


CENT = Decimal("0.01")


def unix(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


def ozon_time(seconds: float) -> str:
    """Unix seconds -> RFC 3339 in UTC with milliseconds ("2026-01-21T07:13:56.042Z"), as the spec's
    examples and its format hints ("YYYY-MM-DDThh:mm:ss.mcsZ") write the filters' dates."""
    moment = datetime.fromtimestamp(round(seconds, 3), tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ------------------------------------------------------------------------------- catalog models
# ------------------------------------------------------------------------- catalog pages (rows)
# A catalog read is two replies per 1,000 products (/v3/product/list, /v3/product/info/list: ~1.4 MB). They
# are validated straight from the reply bytes by pydantic-core (`parse_model_json`) into plain dicts, with no
# Python validator, so the per-object work stays in Rust (a `_Model` per product cost 4x as much).
# The tolerance of `_Model` is kept by declaring every field nullable: an explicit `null` reads as None, and
# None is taken as the field's default where the rows are used (`_listing_of`). A key Ozon leaves out is absent
# from the dict (`.get`). Unknown fields are ignored; a wrong type or a missing id is still BadResponse.
class _RefRow(TypedDict, total=False):
    """One item of /v3/product/list."""

    product_id: Required[int]
    offer_id: str | None  # None: ""
    archived: bool | None  # None: False
    has_fbo_stocks: bool | None
    has_fbs_stocks: bool | None


class _RefResult(TypedDict, total=False):
    items: list[_RefRow] | None  # None: []
    last_id: str | None  # None: ""
    total: int | None


class _RefPage(TypedDict, total=False):
    result: _RefResult | None  # None: {}


class _StatusesRow(TypedDict, total=False):
    status: str | None
    status_name: str | None
    moderate_status: str | None
    validation_status: str | None


class _StockRow(TypedDict, total=False):
    present: int | None  # None: 0
    reserved: int | None  # None: 0
    sku: int | None
    source: str | None


class _StocksRow(TypedDict, total=False):
    has_stock: bool | None
    stocks: list[_StockRow] | None  # None: []


class _InfoRow(TypedDict, total=False):
    """One item of /v3/product/info/list (what a Listing needs)."""

    id: Required[int]
    offer_id: str | None  # None: ""
    sku: int | None
    name: str | None  # None: ""
    barcodes: list[str] | None  # None: []
    price: str | None
    old_price: str | None
    min_price: str | None
    currency_code: str | None
    is_archived: bool | None  # None: False
    is_autoarchived: bool | None  # None: False
    statuses: _StatusesRow | None
    stocks: _StocksRow | None


class _InfoPage(TypedDict, total=False):
    items: list[_InfoRow] | None  # None: []


# How many offer_id -> product_id and SKU -> offer_id pairs a client keeps: the newest learned. Enough for the
# items of any one call and for the catalogs of most sellers, far less than a 100,000-product catalog read end
# to end (41 MB). A call that needs ids works on its own mapping (`_resolve_product_ids`, `_offers_for`) and
# reads the missing ones again, so nothing depends on the cache holding the whole catalog.
OZON_ID_CACHE = 10_000


class _IdCache(dict):
    """A dict of ids learned from replies that keeps at most `limit` pairs: `learn()` drops the oldest learned
    past it. Reads are plain dict reads; every write goes through `learn()`."""

    def __init__(self, limit: int | None = None):
        super().__init__()
        self.limit = OZON_ID_CACHE if limit is None else limit

    def learn(self, pairs: Iterable[tuple[Hashable, Any]]) -> None:
        self.update(pairs)
        excess = len(self) - self.limit
        if excess > 0:
            for key in list(itertools.islice(self, excess)):
                del self[key]


def _listing_of(marketplace: Marketplace, ref: _RefRow, info: _InfoRow | None,
                types: frozenset[str] = OZON_SELLER_STOCK_TYPES) -> Listing:
    """The Listing of one product of the fast catalog read: its /v3/product/list ref and its /v3/product/info/list
    details (None: the reply left it out). `stock` is the free stock of the stock types `types`; FBO stock (Ozon's
    own) goes to extra["fbo_stock"]. A None field reads as the models' default ("", 0, False, [])."""
    offer = ref.get("offer_id") or ""
    if info is None:
        return Listing(
            marketplace=marketplace, external_id=str(ref["product_id"]), seller_sku=offer or None, name=offer,
            barcodes=(), status="archived" if ref.get("archived") else None, price=None, currency=None, stock=None,
            stock_ids=(offer,) if offer else (), price_id=offer or None, extra={},
        )
    offer = info.get("offer_id") or offer
    if ref.get("archived") or info.get("is_archived") or info.get("is_autoarchived"):
        status: str | None = "archived"
    else:
        statuses = info.get("statuses")
        status = ((statuses.get("status") or "").lower() or None) if statuses is not None else None
    stock = fbo = None
    stocks = info.get("stocks")
    entries = stocks.get("stocks") if stocks is not None else None
    if entries:
        stock = fbo = 0
        for entry in entries:
            source = (entry.get("source") or "").lower()
            if source in types:
                free = (entry.get("present") or 0) - (entry.get("reserved") or 0)
                if free > 0:
                    stock += free
            if source == "fbo":
                fbo += entry.get("present") or 0
    # extra: the values that are neither None nor "" (sku, old_price, min_price, fbo_stock, in that order).
    extra: dict[str, Any] = {}
    if (sku := info.get("sku")) is not None:
        extra["sku"] = sku
    if old_price := info.get("old_price"):
        extra["old_price"] = old_price
    if min_price := info.get("min_price"):
        extra["min_price"] = min_price
    if fbo is not None:
        extra["fbo_stock"] = fbo
    return Listing(
        marketplace=marketplace,
        external_id=str(ref["product_id"]),
        seller_sku=offer or None,
        name=info.get("name") or offer,
        barcodes=tuple(filter(None, info.get("barcodes") or ())),
        status=status,
        price=decimal_or_none(info.get("price")),
        currency=info.get("currency_code") or None,
        stock=stock,
        stock_ids=(offer,) if offer else (),
        price_id=offer or None,
        extra=extra,
    )


class _Prefetch:
    """The read-ahead tasks of one iter_listings(). A task leaves the set once its result is taken (`take`);
    `aclose()` cancels whatever is left and waits for it, so no task stays pending and no exception goes
    unretrieved when the caller stops early or an error ends the read."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def start(self, coro: Any) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        return task

    async def take(self, task: asyncio.Task) -> Any:
        try:
            return await task
        finally:
            if task.done():
                self._tasks.discard(task)

    async def aclose(self) -> None:
        tasks, self._tasks = self._tasks, set()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


class OzonStockEntry(_Model):
    type: str = ""  # fbs / rfbs / fbo / fbp
    present: int = 0
    reserved: int = 0
    sku: int | None = None


class OzonStockItem(_Model):
    offer_id: str = ""
    product_id: int | None = None
    stocks: list[OzonStockEntry] = []


class OzonStockPage(_Model):
    items: list[OzonStockItem] = []
    cursor: str = ""
    total: int | None = None


class OzonItemError(_Model):
    code: str = ""
    message: str = ""


class OzonUpdateResult(_Model):
    """One item of the /v2/products/stocks and /v1/product/import/prices replies."""

    offer_id: str | None = None
    product_id: int | None = None
    warehouse_id: int | None = None
    updated: bool = False
    errors: list[OzonItemError] = []


class OzonUpdateReply(_Model):
    result: list[OzonUpdateResult] = []


# -------------------------------------------------------------------------------- posting models
# UNCONFIRMED: the English spec's example of /v4/posting/fbs/list disagrees with its own schema: it wraps the
# page in `result` and names posting fields `status_alias`, `status_transcription`, `cutoff` and product
# fields `product_offer_id`, `product_name`, `product_id` (the SKU), `marketplace_seller_price_currency_code`.
# The schema (and the unfulfilled list's example) have them at the top level under the documented names.
# Both shapes are read, so a live reply of either kind never looks like "no orders"; the schema's names win.
def _alias(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


class OzonPostingProduct(_Model):
    sku: int | None = _alias("sku", "product_id")
    offer_id: str | None = _alias("offer_id", "product_offer_id")
    name: str | None = _alias("name", "product_name")
    quantity: int = 0
    # Lists give {"amount", "currency"}; /v3/posting/fbs/get gives a string plus `currency_code`; the spec's
    # FBO example gives a string. Read by `unit_price()`.
    price: Any = None
    currency_code: str | None = _alias("currency_code", "marketplace_seller_price_currency_code")

    def unit_price(self) -> tuple[Decimal | None, str | None]:
        if isinstance(self.price, dict):
            return decimal_or_none(self.price.get("amount")), self.price.get("currency") or self.currency_code
        return decimal_or_none(self.price), self.currency_code


class OzonDeliveryMethod(_Model):
    id: int | None = None
    name: str | None = None
    warehouse_id: int | None = None
    warehouse: str | None = None
    tpl_provider: str | None = None


class OzonAnalyticsData(_Model):
    warehouse_id: int | None = None
    warehouse: str | None = None
    warehouse_name: str | None = None


class OzonCancellation(_Model):
    cancel_reason: str | None = None
    cancel_reason_id: int | None = None
    cancellation_initiator: str | None = None


class OzonPosting(_Model):
    """A posting (shipment) from any of the FBS / FBO list and detail methods."""

    posting_number: str
    order_id: int | None = None
    order_number: str | None = None
    status: str = Field(default="", validation_alias=AliasChoices("status", "status_alias"))
    substatus: str | None = _alias("substatus", "status_transcription")
    in_process_at: When = None
    created_at: When = None  # FBO
    shipment_date: When = _alias("shipment_date", "cutoff")
    delivering_date: When = None
    products: list[OzonPostingProduct] = []
    delivery_method: OzonDeliveryMethod | None = None
    analytics_data: OzonAnalyticsData | None = None
    tpl_integration_type: str | None = None
    available_actions: list[str] = []
    cancellation: OzonCancellation | None = None

    @property
    def warehouse_id(self) -> int | None:
        if self.delivery_method and self.delivery_method.warehouse_id:
            return self.delivery_method.warehouse_id
        if self.analytics_data and self.analytics_data.warehouse_id:
            return self.analytics_data.warehouse_id
        return None


class OzonPostingPage(_Model):
    postings: list[OzonPosting] = []
    cursor: str = ""
    has_next: bool = False

    @model_validator(mode="before")
    @classmethod
    def _unwrap_result(cls, data: Any) -> Any:
        # The /v4/posting/fbs/list example's `{"result": {"postings": ...}}` (see the note above).
        if isinstance(data, dict) and "postings" not in data and isinstance(data.get("result"), dict):
            return data["result"]
        return data


class OzonPostingReply(_Model):
    result: OzonPosting


class OzonCancelReply(_Model):
    result: bool = False


class OzonAnalyticsDimension(_Model):
    id: str = ""
    name: str | None = None


class OzonAnalyticsRow(_Model):
    dimensions: list[OzonAnalyticsDimension] = []
    metrics: list[float | None] = []


class OzonAnalyticsResult(_Model):
    data: list[OzonAnalyticsRow] = []
    totals: list[float | None] = []


class OzonAnalyticsReply(_Model):
    result: OzonAnalyticsResult = OzonAnalyticsResult()


class OzonShipFailed(BadResponse):
    """Ozon kept answering `ship_failed` for the posting after every packing attempt."""


# ------------------------------------------------------------------------------------------ client
def _item_result(sku: str, result: OzonUpdateResult | None, redact: Callable[[str], str],
                 warehouse_id: str | None = None) -> ItemResult:
    """ItemResult of one item of a stocks / prices reply (None: the reply left the item out)."""
    if result is None:
        return ItemResult(sku, ItemOutcome.REJECTED, "no_result", "Ozon's reply did not mention this item",
                          warehouse_id=warehouse_id)
    error = next((e for e in result.errors if e.code or e.message), None)
    detail = redact(" ".join(f"{error.code}: {error.message}".split()).strip(": "))[:200] if error else None
    if result.updated:
        return ItemResult(sku, ItemOutcome.ACCEPTED, detail=detail, warehouse_id=warehouse_id)
    if error is None:
        return ItemResult(sku, ItemOutcome.REJECTED, "not_updated", warehouse_id=warehouse_id)
    code = error.code.strip().upper()
    reason = "rate_limited" if code == "TOO_MANY_REQUESTS" else (code.lower() or "rejected")
    return ItemResult(sku, ItemOutcome.REJECTED, reason, detail, warehouse_id=warehouse_id)


class OzonClient(BaseClient):
    marketplace = Marketplace.OZON

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
        client_id = (credentials.client_id or "").strip()
        if not client_id:
            raise AuthError("ozon needs a Client-Id as well as an Api-Key", detail="Client-Id missing")
        self.client_id = client_id
        # account.warehouse_id: the FBS / rFBS warehouse stock goes to when a StockUpdate names none.
        self.account = account or AccountContext()
        self._http = HttpCore(
            policy=OZON_POLICY,
            base_url=base_url,
            auth_headers={"Client-Id": client_id, "Api-Key": credentials.api_key},
            transport=transport,
            clock=clock,
            timeout=timeout,
        )
        # Learned from every product reply: offer_id -> product_id, Ozon SKU -> offer_id (the newest
        # OZON_ID_CACHE of each; see _IdCache).
        self._product_ids: _IdCache = _IdCache()
        self._offers_by_sku: _IdCache = _IdCache()
        # The stock item shape in use (see ozon_stock_item); switches once if Ozon rejects it.
        self.stock_shape: str = OZON_STOCK_SHAPES[0]
        # warehouse_id -> is_rfbs, read once on the first posting that needs it.
        self._warehouse_kinds: dict[int, bool] | None = None

    # -- plumbing ----------------------------------------------------------------------------------
    def _pace(self, method: str | None = None, **kwargs: Any) -> Pace:
        """The global 50 rps per Client-Id, plus the method's own limit / per-item gate."""
        return ozon_pace(self.client_id, method, clock=self._http.clock, **kwargs)

    async def _post(self, path: str, body: Any, model: Any, *, pace: Pace | None = None,
                    idempotent: bool = True) -> Any:
        data = await self._http.request_json("POST", path, json_body=body, pace=pace or self._pace(),
                                             idempotent=idempotent)
        return parse_model(model, data, f"ozon {path}")

    # -- connection --------------------------------------------------------------------------------
    async def roles(self) -> OzonRoles:
        # No request body: the spec defines none for /v1/roles.
        return parse_model(OzonRoles, await self._http.request_json("POST", "/v1/roles"), "ozon /v1/roles")

    async def seller_info(self) -> OzonSellerInfo:
        data = await self._http.request_json("POST", "/v1/seller/info")  # no body either
        return parse_model(OzonSellerInfo, data, "ozon /v1/seller/info")

    async def warehouses(self) -> list[OzonWarehouse]:
        """FBS/rFBS warehouses, following `cursor` while `has_next`."""
        result: list[OzonWarehouse] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            body: dict[str, object] = {"limit": WAREHOUSE_PAGE_LIMIT}
            if cursor:
                body["cursor"] = cursor
            data = await self._http.request_json("POST", "/v2/warehouse/list", json_body=body)
            page = parse_model(OzonWarehousePage, data, "ozon /v2/warehouse/list")
            result.extend(page.warehouses)
            cursor = page.cursor
            if not page.has_next or not cursor:
                self._warehouse_kinds = {w.warehouse_id: bool(w.is_rfbs) for w in result}
                return result
            if cursor in seen:
                raise BadResponse("ozon /v2/warehouse/list: cursor repeats")
            seen.add(cursor)
        raise BadResponse("ozon /v2/warehouse/list: too many pages")

    async def list_warehouses(self) -> list[Choice]:
        return [
            Choice(
                id=str(w.warehouse_id),
                name=w.name or f"Warehouse {w.warehouse_id}",
                extra={"status": w.status, "is_rfbs": w.is_rfbs},
            )
            for w in await self.warehouses()
        ]

    async def check_connection(self) -> ConnectionInfo:
        roles = await self.roles()
        expires_at = int(roles.expires_at.timestamp()) if roles.expires_at else None
        warnings = check_key_expiry(self.marketplace, expires_at, self._http.clock.now())
        missing = missing_capabilities(roles.roles)

        # The company name is a nicety: a key without the role for it still connects.
        account_name = f"Ozon {self.client_id}"
        try:
            company = (await self.seller_info()).company
        except IpRestricted:
            raise
        except PermissionDenied:
            company = None
        if company and (company.name or company.legal_name):
            account_name = company.name or company.legal_name or account_name

        try:
            warehouses = await self.list_warehouses()
        except IpRestricted:
            raise
        except PermissionDenied:
            warehouses = []
            missing.append("warehouses")

        if missing:
            warnings.append(Warning.OZON_MISSING_ROLES)
        return ConnectionInfo(
            marketplace=self.marketplace,
            account_name=account_name,
            account_id=self.client_id,
            warehouses=warehouses,
            expires_at=expires_at,
            scopes=[role.name for role in roles.roles],
            warnings=warnings,
            extra={"missing_roles": missing, "inn": company.inn if company else None},
        )

    # -- catalog -----------------------------------------------------------------------------------
    def _learn_rows(self, refs: Sequence[_RefRow] = (), infos: Sequence[_InfoRow] = ()) -> None:
        """Remember offer_id -> product_id and SKU -> offer_id from product replies (the newest OZON_ID_CACHE)."""
        self._product_ids.learn((ref["offer_id"], ref["product_id"]) for ref in refs if ref.get("offer_id"))
        self._product_ids.learn((info["offer_id"], info["id"]) for info in infos if info.get("offer_id"))
        self._offers_by_sku.learn((info["sku"], info["offer_id"]) for info in infos
                                  if info.get("offer_id") and info.get("sku"))

    async def _post_rows(self, path: str, body: Any, type_: Any) -> Any:
        """`_post` for the big catalog pages: the reply validated from its bytes (connectors.http.parse_model_json)
        into the TypedDict rows above. Same request path: retries, pacing and error mapping of HttpCore."""
        response = await self._http.request("POST", path, json_body=body, pace=self._pace())
        return parse_model_json(type_, response.content, f"ozon {path}", status=response.status_code)

    async def iter_listings(self) -> AsyncIterator[Listing]:
        """Every product: /v3/product/list pages (last_id) with /v3/product/info/list for the details.
        `stock` is the free stock of the account warehouse's type (see `_stock_scope`).

        Pages are read ahead: while the caller works through page k, page k+1 is read (its product list, then
        its details), and as soon as a page's product list is in, the next page's list is sent too (it needs
        this last_id, so the lists go one after another), overlapping this page's details. So at most one page
        of listings waits ahead of the caller, plus the product refs of the page after it. Every request goes
        through the same pacing; an error reaches the caller in order, after the listings of the pages before it;
        a caller that stops early (break, aclose(), an exception) cancels whatever is still in flight."""
        types, _ = await self._stock_scope()
        tasks = _Prefetch()
        seen: set[str] = set()
        page: asyncio.Task | None = tasks.start(self._catalog_page(tasks, tasks.start(self._product_refs("")), 1,
                                                                   types, seen))
        try:
            number = 1
            while page is not None:
                listings, follow, error = await tasks.take(page)
                number += 1
                page = None if follow is None else tasks.start(self._catalog_page(tasks, follow, number, types, seen))
                for listing in listings:
                    yield listing
                del listings
                if error is not None:
                    raise error
        finally:
            await tasks.aclose()

    async def _product_refs(self, last_id: str) -> tuple[list[_RefRow], str]:
        """One /v3/product/list page of the whole catalog: (its product refs, the last_id it gives)."""
        body = {"filter": {"visibility": "ALL"}, "last_id": last_id, "limit": PRODUCT_PAGE_LIMIT}
        result = (await self._post_rows("/v3/product/list", body, _RefPage)).get("result") or {}
        refs = result.get("items") or []
        self._learn_rows(refs=refs)
        return refs, result.get("last_id") or ""

    async def _catalog_page(self, tasks: _Prefetch, refs_task: asyncio.Task, number: int, types: frozenset[str],
                            seen: set[str]) -> tuple[list[Listing], asyncio.Task | None, BadResponse | None]:
        """Page `number` of iter_listings: its product list (`refs_task`, already sent), then its details. Once the
        list is in, the next page's list is sent at once (its task is returned: the next page's `refs_task`) so it
        overlaps the details. A last_id seen before, or a page past MAX_PRODUCT_PAGES, is the error that follows
        this page's listings (returned, for the caller to raise after them)."""
        refs, last_id = await tasks.take(refs_task)
        follow: asyncio.Task | None = None
        error: BadResponse | None = None
        if refs and len(refs) >= PRODUCT_PAGE_LIMIT and last_id:
            if last_id in seen:
                error = BadResponse("ozon /v3/product/list: last_id repeats")
            elif number >= MAX_PRODUCT_PAGES:
                error = BadResponse("ozon /v3/product/list: too many pages")
            else:
                seen.add(last_id)
                follow = tasks.start(self._product_refs(last_id))
        return await self._catalog_details(refs, types), follow, error

    async def _catalog_details(self, refs: Sequence[_RefRow], types: frozenset[str]) -> list[Listing]:
        """The listings of one page of refs; details from /v3/product/info/list, PRODUCT_INFO_BATCH ids a request."""
        if not refs:
            return []
        infos: dict[int, _InfoRow] = {}
        for chunk in _chunks(list(dict.fromkeys(ref["product_id"] for ref in refs)), PRODUCT_INFO_BATCH):
            page = await self._post_rows("/v3/product/info/list", {"product_id": [str(i) for i in chunk]}, _InfoPage)
            items = page.get("items") or []
            self._learn_rows(infos=items)
            infos.update((info["id"], info) for info in items)
        marketplace = self.marketplace
        return [_listing_of(marketplace, ref, infos.get(ref["product_id"]), types) for ref in refs]

    async def product_info(self, *, product_ids: Sequence[int] = (), skus: Sequence[int] = ()) -> list[_InfoRow]:
        """/v3/product/info/list in batches of PRODUCT_INFO_BATCH ids (one kind of id per request)."""
        found: list[_InfoRow] = []
        for field_name, ids in (("product_id", product_ids), ("sku", skus)):
            for chunk in _chunks(list(dict.fromkeys(ids)), PRODUCT_INFO_BATCH):
                reply = await self._post_rows("/v3/product/info/list", {field_name: [str(i) for i in chunk]},
                                              _InfoPage)
                items = reply.get("items") or []
                self._learn_rows(infos=items)
                found.extend(items)
        return found

    async def _resolve_product_ids(self, offers: Iterable[str]) -> dict[str, int]:
        """offer_id -> product_id of the offers Ozon knows: the ones the client has learned, the others read with
        /v3/product/list filtered by offer_id. The mapping is the caller's for its call (the client keeps only
        the newest OZON_ID_CACHE ids)."""
        wanted = [o for o in dict.fromkeys(offers) if o]
        known = self._product_ids
        found = {o: known[o] for o in wanted if o in known}
        missing = [o for o in wanted if o not in found]
        for chunk in _chunks(missing, PRODUCT_PAGE_LIMIT):
            body = {"filter": {"offer_id": list(chunk), "visibility": "ALL"}, "last_id": "", "limit": len(chunk)}
            refs = ((await self._post_rows("/v3/product/list", body, _RefPage)).get("result") or {}).get("items") or []
            self._learn_rows(refs=refs)
            found.update((ref["offer_id"], ref["product_id"]) for ref in refs if ref.get("offer_id"))
        return found

    # -- stock -------------------------------------------------------------------------------------
    async def _stock_scope(self) -> tuple[frozenset[str], str | None]:
        """What a stock figure counts: the type ("fbs" / "rfbs") of the account's warehouse, the one stock is
        pushed to, and that warehouse; both seller types and no warehouse when it is not known. Ozon's stock
        reads give one figure per type, so it is that warehouse's own stock while the account has one
        warehouse of its type (per-warehouse figures: /v1/product/info/warehouse/stocks)."""
        warehouse = str(self.account.warehouse_id or "").strip()
        if warehouse.isdigit():
            kinds = await self._kinds()
            if kinds is not None and int(warehouse) in kinds:
                return frozenset({"rfbs" if kinds[int(warehouse)] else "fbs"}), warehouse
        return OZON_SELLER_STOCK_TYPES, None

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """Stock of each offer_id (/v4/product/info/stocks) in the scope of `_stock_scope` (FBO is Ozon's own
        stock, never counted). `quantity` is what is free to sell (present - reserved), the same meaning as a
        StockUpdate's quantity; offers Ozon does not know are left out."""
        types, warehouse = await self._stock_scope()
        levels: list[StockLevel] = []
        for chunk in _chunks(list(dict.fromkeys(s for s in skus if s)), STOCK_READ_BATCH):
            cursor = ""
            seen: set[str] = set()
            for _ in range(MAX_PAGES):
                body: dict[str, Any] = {"filter": {"offer_id": list(chunk), "visibility": "ALL"},
                                        "limit": STOCK_PAGE_LIMIT}
                if cursor:
                    body["cursor"] = cursor
                page = await self._post("/v4/product/info/stocks", body, OzonStockPage)
                self._product_ids.learn((item.offer_id, item.product_id) for item in page.items
                                        if item.product_id and item.offer_id)
                for item in page.items:
                    own = [s for s in item.stocks if s.type.lower() in types]
                    present = sum(s.present for s in own)
                    reserved = sum(s.reserved for s in own)
                    levels.append(StockLevel(item.offer_id, max(present - reserved, 0), warehouse, reserved))
                if not page.items or len(page.items) < STOCK_PAGE_LIMIT or not page.cursor:
                    break
                if page.cursor in seen:
                    raise BadResponse("ozon /v4/product/info/stocks: cursor repeats")
                seen.add(page.cursor)
                cursor = page.cursor
            else:
                raise BadResponse("ozon /v4/product/info/stocks: too many pages")
        return levels

    async def update_stock(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        """Set the free-to-sell quantity of offer_ids at warehouses, 100 pairs per request, paced (80 per
        minute per account, each pair at most once per 30 s). One ItemResult per update."""
        results: list[ItemResult] = []
        pairs: dict[tuple[str, str], StockUpdate] = {}
        for update in updates:
            warehouse = str(update.warehouse_id or self.account.warehouse_id or "").strip()
            if not warehouse.isdigit():
                results.append(ItemResult(update.sku, ItemOutcome.REJECTED, "no_warehouse",
                                          "no Ozon warehouse to put the stock in", warehouse_id=warehouse or None))
                continue
            key = (update.sku, warehouse)
            if key in pairs:
                results.append(ItemResult(update.sku, ItemOutcome.REJECTED, "duplicate",
                                          "a later update of the same item in this call wins", warehouse_id=warehouse))
            pairs[key] = update
        # offer_id -> product_id for this call (the client's own cache keeps only the newest OZON_ID_CACHE).
        product_ids: dict[str, int] = {}
        if self.stock_shape == "product_id":
            product_ids = await self._resolve_product_ids(offer for offer, _ in pairs)
        for batch in _chunks(list(pairs.items()), STOCK_BATCH):
            results.extend(await self._push_stock(batch, product_ids))
        return results

    async def _push_stock(self, batch: Sequence[tuple[tuple[str, str], StockUpdate]],
                          product_ids: dict[str, int]) -> list[ItemResult]:
        shape = self.stock_shape
        for attempt in range(2):
            if shape == "product_id" and shape != self.stock_shape:  # switched to it: learn the ids first
                product_ids.update(await self._resolve_product_ids(offer for (offer, _), _ in batch))
            rejected: list[ItemResult] = []
            sent: list[tuple[str, str, int | None]] = []
            items: list[dict] = []
            for (offer, warehouse), update in batch:
                product_id = product_ids.get(offer)
                if product_id is None:
                    product_id = self._product_ids.get(offer)
                if shape == "product_id" and product_id is None:
                    rejected.append(ItemResult(offer, ItemOutcome.REJECTED, "unknown_sku",
                                               "no Ozon product has this offer_id", warehouse_id=warehouse))
                    continue
                sent.append((offer, warehouse, product_id))
                items.append(ozon_stock_item(shape, offer_id=offer, product_id=product_id,
                                             stock=max(update.quantity, 0), warehouse_id=int(warehouse)))
            if not items:
                return rejected
            pace = self._pace("stocks", pairs=[(offer, warehouse) for offer, warehouse, _ in sent])
            try:
                data = await self._http.request_json("POST", "/v2/products/stocks", json_body={"stocks": items},
                                                     pace=pace)
            except BadResponse as exc:
                named = (exc.detail or "").lower()
                if attempt == 0 and exc.status == 400 and any(f in named for f in OZON_STOCK_SHAPE_FIELDS):
                    log.warning("ozon /v2/products/stocks refused the %s item shape (%s); trying %s",
                                shape, exc.detail, _other_shape(shape))
                    shape = _other_shape(shape)
                    continue
                raise
            self.stock_shape = shape
            reply = parse_model(OzonUpdateReply, data, "ozon /v2/products/stocks")
            by_offer: dict[tuple[str, str | None], OzonUpdateResult] = {}
            by_product: dict[tuple[int, str | None], OzonUpdateResult] = {}
            for r in reply.result:  # a result without warehouse_id matches its product at any warehouse
                wh = str(r.warehouse_id) if r.warehouse_id else None
                if r.offer_id:
                    by_offer.setdefault((r.offer_id, wh), r)
                if r.product_id:
                    by_product.setdefault((r.product_id, wh), r)
            out = []
            for offer, warehouse, product_id in sent:
                found = by_offer.get((offer, warehouse)) or by_offer.get((offer, None))
                if found is None and product_id is not None:
                    found = by_product.get((product_id, warehouse)) or by_product.get((product_id, None))
                out.append(_item_result(offer, found, self._http.redact, warehouse))
            return rejected + out
        raise AssertionError("unreachable")  # pragma: no cover

    # -- prices ------------------------------------------------------------------------------------
    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        """Set prices by offer_id, 1000 per request. A product changed 10 times in the last hour is not
        queued for long (OZON_PRICE_MAX_QUEUE): it comes back `rate_limited` and the rest goes out."""
        results: list[ItemResult] = []
        latest: dict[str, PriceUpdate] = {}
        for update in updates:
            if update.sku in latest:
                results.append(ItemResult(update.sku, ItemOutcome.REJECTED, "duplicate",
                                          "a later update of the same item in this call wins"))
            latest[update.sku] = update
        gate = ozon_gate(self.client_id, "price_products", clock=self._http.clock)
        ready: list[PriceUpdate] = []
        for sku, update in latest.items():
            wait = gate.estimate_wait([sku])
            if wait > OZON_PRICE_MAX_QUEUE:
                results.append(ItemResult(sku, ItemOutcome.REJECTED, "rate_limited",
                                          f"Ozon allows 10 price changes per hour; next in {wait:.0f} s"))
            else:
                ready.append(update)
        for batch in _chunks(ready, PRICE_BATCH):
            body = {"prices": [self._price_item(u) for u in batch]}
            data = await self._http.request_json("POST", "/v1/product/import/prices", json_body=body,
                                                 pace=self._pace(products=[u.sku for u in batch]))
            reply = parse_model(OzonUpdateReply, data, "ozon /v1/product/import/prices")
            by_offer = {r.offer_id: r for r in reply.result if r.offer_id}
            by_product = {r.product_id: r for r in reply.result if r.product_id}
            for u in batch:
                found = by_offer.get(u.sku)
                if found is None and u.sku in self._product_ids:  # best effort: the ids learned lately
                    found = by_product.get(self._product_ids[u.sku])
                results.append(_item_result(u.sku, found, self._http.redact))
        return results

    @staticmethod
    def _price_item(update: PriceUpdate) -> dict:
        item: dict[str, Any] = {"offer_id": update.sku, "price": _money_text(update.price)}
        if update.old_price is not None:
            item["old_price"] = _money_text(update.old_price)  # "0" resets the crossed-out price
        if update.currency:
            item["currency_code"] = update.currency
        return item

    # -- orders ------------------------------------------------------------------------------------
    async def _posting_pages(self, path: str, body: dict) -> list[OzonPosting]:
        postings: list[OzonPosting] = []
        cursor = ""
        seen: set[str] = set()
        for _ in range(MAX_ORDER_PAGES):
            page_body = {**body, "limit": POSTING_PAGE_LIMIT}
            if cursor:
                page_body["cursor"] = cursor
            page = await self._post(path, page_body, OzonPostingPage)
            postings.extend(page.postings)
            if not page.has_next or not page.cursor:
                return postings
            if page.cursor in seen:
                raise BadResponse(f"ozon {path}: cursor repeats")
            seen.add(page.cursor)
            cursor = page.cursor
        raise BadResponse(f"ozon {path}: too many pages")

    async def _kinds(self) -> dict[int, bool] | None:
        """warehouse_id -> is_rfbs, read once; None if the warehouse list cannot be read now."""
        if self._warehouse_kinds is None:
            try:
                await self.warehouses()
            except IpRestricted:
                raise
            except (PermissionDenied, MarketplaceUnavailable, BadResponse):
                return None
        return self._warehouse_kinds

    @staticmethod
    def _scheme(posting: OzonPosting, kinds: dict[int, bool] | None) -> Scheme:
        warehouse = posting.warehouse_id
        if kinds is not None and warehouse in kinds:
            return Scheme.DBS if kinds[warehouse] else Scheme.FBS
        if (posting.tpl_integration_type or "").lower() in OZON_RFBS_INTEGRATION_TYPES:
            return Scheme.DBS
        return Scheme.FBS

    def _order(self, posting: OzonPosting, scheme: Scheme) -> Order:
        items: list[OrderItem] = []
        total = Decimal(0)
        total_known = bool(posting.products)
        currency: str | None = None
        for product in posting.products:
            price, product_currency = product.unit_price()
            currency = currency or product_currency or None
            items.append(OrderItem(sku=product.offer_id or None, name=product.name, quantity=product.quantity,
                                   price=price, external_id=str(product.sku) if product.sku else None))
            if price is None:
                total_known = False
            else:
                total += price * product.quantity
        warehouse = posting.warehouse_id
        extra = {
            "order_number": posting.order_number,
            "order_id": posting.order_id,
            "substatus": posting.substatus,
            "tpl_integration_type": posting.tpl_integration_type,
            "available_actions": list(posting.available_actions),
            "cancel_reason": posting.cancellation.cancel_reason if posting.cancellation else None,
        }
        return Order(
            marketplace=self.marketplace,
            external_id=posting.posting_number,
            status=posting.status,
            created_at=unix(posting.in_process_at or posting.created_at) or 0,
            items=tuple(items),
            scheme=scheme,
            ship_by=unix(posting.shipment_date),
            total=total if total_known else None,
            currency=currency,
            shop_id=str(warehouse) if warehouse else None,
            extra={k: v for k, v in extra.items() if v not in (None, "", [])},
        )

    async def _fbs_orders(self, postings: Sequence[OzonPosting]) -> list[Order]:
        kinds = await self._kinds() if postings else None
        return [self._order(p, self._scheme(p, kinds)) for p in postings]

    async def new_orders(self) -> list[Order]:
        """FBS and rFBS postings waiting to be packed (/v4/posting/fbs/unfulfilled/list)."""
        now = self._http.clock.now()
        body = {
            "filter": {
                "cutoff_from": ozon_time(now - OZON_UNFULFILLED_CUTOFF_BACK.total_seconds()),
                "cutoff_to": ozon_time(now + OZON_UNFULFILLED_CUTOFF_AHEAD.total_seconds()),
                "statuses": list(OZON_NEW_ORDER_STATUSES),
            },
            "sort_dir": "ASC",
        }
        return await self._fbs_orders(await self._posting_pages("/v4/posting/fbs/unfulfilled/list", body))

    async def orders_since(self, cursor: str | None) -> OrderPage:
        """Postings whose status changed since the cursor (FBS / rFBS: /v4/posting/fbs/list filtered by
        last_changed_status_date) and FBO postings created since then (/v3/posting/fbo/list has no status
        filter). The cursor is the end of the window read, in unix seconds; None starts OZON_FIRST_SYNC back.
        An FBO list the key has no role for is skipped."""
        now = self._http.clock.now()
        watermark: float | None = None
        if cursor:
            try:
                watermark = float(cursor)
            except ValueError:
                log.warning("ozon orders_since: unreadable cursor, starting over")
        oldest = now - OZON_MAX_PERIOD.total_seconds()
        start = (watermark - OZON_ORDER_OVERLAP.total_seconds()) if watermark is not None \
            else now - OZON_FIRST_SYNC.total_seconds()
        start = min(max(start, oldest), now)
        fbs_filter = {
            "since": ozon_time(oldest),
            "to": ozon_time(now),
            "last_changed_status_date": {"from": ozon_time(start), "to": ozon_time(now)},
        }
        postings = await self._posting_pages("/v4/posting/fbs/list", {"filter": fbs_filter, "sort_dir": "ASC"})
        orders = await self._fbs_orders(postings)
        try:
            fbo = await self._posting_pages(
                "/v3/posting/fbo/list",
                {"filter": {"since": ozon_time(start), "to": ozon_time(now)}, "sort_dir": "ASC"},
            )
        except IpRestricted:
            raise
        except PermissionDenied:
            fbo = []
        seen = {o.external_id for o in orders}
        orders += [self._order(p, Scheme.FBO) for p in fbo if p.posting_number not in seen]
        return OrderPage(orders, str(int(now)))

    async def _fbs_posting(self, posting_number: str) -> OzonPosting:
        reply = await self._post("/v3/posting/fbs/get", {"posting_number": posting_number}, OzonPostingReply)
        return reply.result

    async def get_order(self, order_id: str) -> Order:
        """An FBS / rFBS posting (/v3/posting/fbs/get); a posting that is not there is looked up as FBO."""
        try:
            posting = await self._fbs_posting(order_id)
        except BadResponse as exc:
            if exc.status != 404:
                raise
            reply = await self._post("/v2/posting/fbo/get", {"posting_number": order_id}, OzonPostingReply)
            return self._order(reply.result, Scheme.FBO)
        return (await self._fbs_orders([posting]))[0]

    async def confirm_order(self, order_id: str) -> Order:
        """Pack the posting (/v4/posting/fbs/ship, all its products in one package), then re-check it with
        /v3/posting/fbs/get: a 200 does not mean packed. `ship_failed` -> pack again (OZON_SHIP_ATTEMPTS in
        all, then OzonShipFailed). A posting past `awaiting_packaging` is returned as it is (idempotent);
        one still being packed asynchronously is returned with status `awaiting_packaging`."""
        posting = await self._fbs_posting(order_id)
        for attempt in range(1, OZON_SHIP_ATTEMPTS + 1):
            if posting.status != OZON_PACKABLE_STATUS:
                return (await self._fbs_orders([posting]))[0]
            body = {"packages": [{"products": self._package_products(posting)}], "posting_number": order_id}
            failure: ConnectorError | None = None
            try:
                await self._http.request_json("POST", "/v4/posting/fbs/ship", json_body=body, pace=self._pace(),
                                              idempotent=False)
            except (MarketplaceUnavailable, BadResponse) as exc:
                # A timeout / 5xx may have been applied, a 4xx may mean "already packed": look before failing.
                failure = exc
            posting = await self._await_packing(order_id)
            if posting.status != OZON_PACKABLE_STATUS:
                return (await self._fbs_orders([posting]))[0]
            if isinstance(failure, BadResponse) or (failure is not None and posting.substatus != OZON_SHIP_FAILED):
                raise failure
            if posting.substatus != OZON_SHIP_FAILED:
                return (await self._fbs_orders([posting]))[0]  # still being packed
            log.info("ozon posting packing failed (ship_failed), attempt %d of %d", attempt, OZON_SHIP_ATTEMPTS)
        raise OzonShipFailed(f"ozon could not pack the posting after {OZON_SHIP_ATTEMPTS} attempts",
                             detail="ship_failed")

    async def ship_order(self, order_id: str) -> Order:
        """Ozon has no separate "shipped" call for FBS: the posting goes to the courier from
        `awaiting_deliver` (acts / pick-up). So this packs the posting if it still waits for packing (see
        confirm_order) and otherwise returns it as it is; its status says where it is."""
        return await self.confirm_order(order_id)

    @staticmethod
    def _package_products(posting: OzonPosting) -> list[dict]:
        quantities: dict[int, int] = {}
        for product in posting.products:
            if not product.sku or product.quantity <= 0:
                raise BadResponse("ozon posting has a product without an SKU or quantity; cannot pack it")
            quantities[product.sku] = quantities.get(product.sku, 0) + product.quantity
        if not quantities:
            raise BadResponse("ozon posting has no products to pack")
        # `product_id` here is the Ozon SKU (posting.products[].sku), as the method's schema says.
        return [{"product_id": sku, "quantity": quantity} for sku, quantity in quantities.items()]

    async def _await_packing(self, posting_number: str) -> OzonPosting:
        posting = await self._fbs_posting(posting_number)
        for _ in range(OZON_SHIP_CHECKS - 1):
            if posting.status != OZON_PACKABLE_STATUS or posting.substatus == OZON_SHIP_FAILED:
                break
            await self._http.clock.sleep(OZON_SHIP_CHECK_DELAY)
            posting = await self._fbs_posting(posting_number)
        return posting

    @staticmethod
    def cancel_reason(reason: str | None) -> tuple[int, str | None]:
        """(cancel_reason_id, cancel_reason_message): no reason -> 352 "out of stock"; a number -> that id;
        any other text -> 402 "other" with the text as the message (402 requires one)."""
        text = " ".join((reason or "").split())
        if not text:
            return OZON_CANCEL_REASON_OUT_OF_STOCK, None
        if text.isdigit():
            reason_id = int(text)
            return reason_id, ("Cancelled by the seller" if reason_id == OZON_CANCEL_REASON_OTHER else None)
        return OZON_CANCEL_REASON_OTHER, text[:OZON_CANCEL_MESSAGE_LIMIT]

    async def cancel_order(self, order_id: str, reason: str | None = None) -> Order:
        """Cancel an FBS / rFBS posting (/v2/posting/fbs/cancel); the reply is re-read with get_order."""
        reason_id, message = self.cancel_reason(reason)
        body: dict[str, Any] = {"cancel_reason_id": reason_id, "posting_number": order_id}
        if message:
            body["cancel_reason_message"] = message
        try:
            reply = await self._post("/v2/posting/fbs/cancel", body, OzonCancelReply, idempotent=False)
        except MarketplaceUnavailable:
            # It may have been applied: the posting's status decides.
            order = await self.get_order(order_id)
            if order.status == "cancelled":
                return order
            raise
        if not reply.result:
            raise BadResponse("ozon did not cancel the posting", detail="cancel refused")
        return await self.get_order(order_id)

    # -- analytics ---------------------------------------------------------------------------------
    async def sales(self, date_from: date, date_to: date) -> list[SalesRow]:
        """Ordered units and revenue per SKU and day (/v1/analytics/data, paced at 1 request per minute,
        1000 rows per page). `sku` is the offer_id where Ozon's SKU can be mapped to one, else the Ozon SKU."""
        rows: list[OzonAnalyticsRow] = []
        offset = 0
        for _ in range(MAX_ANALYTICS_PAGES):
            body = {
                "date_from": date_from.isoformat(),
                "date_to": date_to.isoformat(),
                "metrics": list(ANALYTICS_METRICS),
                "dimension": list(ANALYTICS_DIMENSIONS),
                "filters": [],
                "limit": ANALYTICS_PAGE_LIMIT,
                "offset": offset,
            }
            reply = await self._post("/v1/analytics/data", body, OzonAnalyticsReply, pace=self._pace("analytics"))
            rows.extend(reply.result.data)
            if len(reply.result.data) < ANALYTICS_PAGE_LIMIT:
                break
            offset += len(reply.result.data)
        else:
            raise BadResponse("ozon /v1/analytics/data: too many pages")

        totals: dict[tuple[date, str], list[Decimal]] = {}
        for row in rows:
            if len(row.dimensions) < 2:
                continue
            sku, day_text = row.dimensions[0].id, row.dimensions[1].id
            try:
                day = date.fromisoformat(day_text.strip()[:10])
            except ValueError:
                log.warning("ozon analytics: unreadable day %r", day_text[:20])
                continue
            revenue = decimal_or_none(row.metrics[0] if row.metrics else None) or Decimal(0)
            units = decimal_or_none(row.metrics[1] if len(row.metrics) > 1 else None) or Decimal(0)
            entry = totals.setdefault((day, sku), [Decimal(0), Decimal(0)])
            entry[0] += revenue
            entry[1] += units
        totals = {key: value for key, value in totals.items() if any(value)}  # rows of nothing sold
        offers = await self._offers_for(sku for _, sku in totals)
        return [
            SalesRow(day=day, sku=offers.get(sku, sku), quantity=int(units), revenue=revenue.quantize(CENT))
            for (day, sku), (revenue, units) in sorted(totals.items())
        ]

    async def _offers_for(self, skus: Iterable[str]) -> dict[str, str]:
        """Ozon SKU (as text) -> offer_id, asking /v3/product/info/list for the ones not learned yet."""
        wanted = {int(s) for s in skus if s.isdigit()}
        known = self._offers_by_sku  # the newest OZON_ID_CACHE learned: this call keeps its own mapping
        found = {s: known[s] for s in wanted if s in known}
        unknown = [s for s in wanted if s not in found]
        if unknown:
            try:
                infos = await self.product_info(skus=sorted(unknown))
            except IpRestricted:
                raise
            except PermissionDenied:
                # the key may read analytics but not products: keep Ozon's SKUs (but those learned meanwhile)
                found.update((s, known[s]) for s in unknown if s in known)
            else:
                found.update((info["sku"], info["offer_id"]) for info in infos
                             if info.get("offer_id") and info.get("sku"))
        return {str(s): found[s] for s in wanted if s in found}
