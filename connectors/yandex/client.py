"""Yandex Market Partner API client (official spec: specs/yandex/partner-api, MARKETPLACES.md §2).

What each capability calls (`Api-Key` header; every URL carries its version prefix):

- connection:  GET  /v2/campaigns (pageToken, limit <= 100)
- catalog:     POST /v2/businesses/{businessId}/offer-mappings (no body = the whole catalog; pageToken, limit <= 100)
- stock read:  POST /v2/campaigns/{campaignId}/offers/stocks (offerIds <= 500 per request, no paging then)
- stock push:  PUT  /v2/campaigns/{campaignId}/offers/stocks (<= 2,000 skus and <= 512 KB per request;
               100,000 SKUs per minute, counted in items)
- prices:      POST /v2/businesses/{businessId}/offer-prices/updates (<= 500 offers; all shops) by default;
               POST /v2/campaigns/{campaignId}/offer-prices/updates (<= 2,000) only when the cabinet's settings
               (POST /v2/businesses/{businessId}/settings) say `onlyDefaultPrice: false`; 10,000 offers/min each
- orders:      POST /v1/businesses/{businessId}/orders (getBusinessOrders; pageToken, limit <= 50; dates at most
               30 days apart) for new orders (PROCESSING/STARTED), orders changed since a cursor, one order
- actions:     PUT  /v2/campaigns/{campaignId}/orders/{orderId}/status: confirm = PROCESSING/READY_TO_SHIP,
               ship = PROCESSING/SHIPPED, cancel = CANCELLED/SHOP_FAILED (then the order is read back)
- analytics:   POST /v2/campaigns/{campaignId}/stats/orders (dateFrom/dateTo, pageToken, limit <= 200), summed
               per day and seller SKU
- warehouses:  POST /v2/businesses/{businessId}/warehouses (getPagedWarehouses; pageToken, limit <= 30)

Pacing: every request passes `connectors.yandex.limits.yandex_pace` for its scope (the campaign or business in its URL,
else the cabinet) and operationId: at most 2 requests in flight per scope, the resource's published limit
(item-counted where the spec counts items), and the `X-RateLimit-Resource-*` headers of every reply.

Ids: the offerId IS the seller SKU (`Listing.external_id`, `seller_sku`, `stock_ids`, `price_id` all hold it).
Money: Yandex writes roubles as `RUR`; normalized models say `RUB`.
Order status: "<status>/<substatus>", e.g. "PROCESSING/STARTED" (new), "PROCESSING/READY_TO_SHIP" (confirmed).

ItemResult reasons (`ItemResult.reason`) this client gives:
- `not_found`: the marketplace does not know the SKU (not in the catalog / the shop);
- `invalid_value`: quantity or price out of range, or an SKU the API cannot take (checked before sending, or
  the marketplace's own "must be" / "Value of field" refusal);
- `only_default_price`: the cabinet uses one price for all shops, a shop price was refused (423);
- `locked`: the cabinet or shop is being migrated (other 423 replies);
- `duplicate`: the same SKU twice in one call; the last one wins;
- `rate_limited`: the request stayed over the limit after the retries; send it again later;
- `unavailable`: the marketplace failed (5xx, timeouts, unreadable replies) after the retries; send it again;
- `rejected`: any other refusal; `detail` has the marketplace's text.

Not supported (NotSupported): FBY supply requests (out of scope for the bot).
"""
from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from importlib import metadata
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict

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
    Listing,
    Marketplace,
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
    Supply,
)
from connectors.clock import Clock
from connectors.http import (
    BaseClient,
    ErrorPolicy,
    HttpCore,
    RateLimitSignal,
    Reply,
    first_text,
    http_date_header,
    parse_model,
)
from connectors.pacing import Pace, credential_id
from connectors.yandex.limits import yandex_pace, yandex_remaining

# ------------------------------------------------------------------------------------------ limits
# `limit` of GET /v2/campaigns (PageLimit100WithoutDefault: 1..100).
CAMPAIGNS_PAGE_LIMIT = 100
# A loop guard for campaigns: 100 pages x 100 campaigns is far beyond any real cabinet.
MAX_PAGES = 100
OFFERS_PAGE_LIMIT = 100  # getOfferMappings: PageLimit100Truncate
STOCK_READ_BATCH = 500  # getStocks: GetWarehouseStocksRequest.offerIds maxItems (answered whole, no paging)
STOCK_UPDATE_BATCH = 2_000  # updateStocks: UpdateStocksRequest.skus maxItems
BUSINESS_PRICE_BATCH = 500  # updateBusinessPrices: UpdateBusinessPricesRequest.offers maxItems
CAMPAIGN_PRICE_BATCH = 2_000  # updatePrices: UpdatePricesRequest.offers maxItems
ORDERS_PAGE_LIMIT = 50  # getBusinessOrders: PageLimit50Truncate
STATS_PAGE_LIMIT = 200  # getOrdersStats: PageLimit200
WAREHOUSES_PAGE_LIMIT = 30  # getPagedWarehouses: PageLimit30
# "The maximum size of the request body is 512 KB" (concepts/limits): long SKUs can hit it before 2,000 items.
MAX_BODY_BYTES = 512 * 1024
MAX_STOCK_COUNT = 2_000_000_000  # UpdateStockItemDTO.count maximum
# ShopSku: 1..255 characters, not only spaces, no control characters.
SHOP_SKU = re.compile(r"^(?=.*\S.*)[^\x00-\x08\x0A-\x1f\x7f]{1,255}$")

# --------------------------------------------------------------------------------------- orders
ORDERS_MAX_RANGE = timedelta(days=30)  # getBusinessOrders: "at most 30 days per request"
# The first orders_since() (no cursor) looks back as far as one request reaches (Yandex's own default too).
ORDERS_FIRST_LOOKBACK = ORDERS_MAX_RANGE
# Each poll starts this much before the cursor: whether updateDateFrom is inclusive, and its precision, are
# UNCONFIRMED; the overlap is filtered out by the cursor's (time, ids) so nothing repeats.
ORDERS_CURSOR_OVERLAP = timedelta(seconds=1)
# When a poll saw nothing newer, the cursor still moves up to this long before the poll's end: an update
# that Yandex indexes later than that is missed (new orders are also read by new_orders()).
ORDERS_SETTLE = timedelta(minutes=1)
# Yandex writes dates without a zone (shipment dates, stats days) in Moscow time. UNCONFIRMED for every field.
MARKET_TZ = timezone(timedelta(hours=3))

NEW_ORDER = ("PROCESSING", "STARTED")
CONFIRM = ("PROCESSING", "READY_TO_SHIP")
SHIP = ("PROCESSING", "SHIPPED")
CANCEL = ("CANCELLED", "SHOP_FAILED")  # the only cancellation a shop may give (updateOrderStatus)
SCHEMES = {"FBS": Scheme.FBS, "FBY": Scheme.FBO, "DBS": Scheme.DBS, "EXPRESS": Scheme.EXPRESS,
           "LAAS": Scheme.FBS}  # LaaS: the seller's goods, Market's logistics
# getOrdersStats statuses that are not sales (the goods never reached the buyer).
NOT_SALES = frozenset({"CANCELLED_BEFORE_PROCESSING", "CANCELLED_IN_PROCESSING", "CANCELLED_IN_DELIVERY",
                       "UNPAID", "LOST"})

# Business settings are limited to 100 requests per hour: remember them this long (seconds).
SETTINGS_TTL = 600.0
# A read whose 200 reply cannot be parsed (cut off, garbage) is sent again this many times in total.
READ_ATTEMPTS = 3

# --------------------------------------------------------------------------------------- reasons
NOT_FOUND = "not_found"
INVALID_VALUE = "invalid_value"
ONLY_DEFAULT_PRICE = "only_default_price"
LOCKED = "locked"
DUPLICATE = "duplicate"
RATE_LIMITED = "rate_limited"
UNAVAILABLE = "unavailable"
REJECTED = "rejected"
# The HTTP statuses that refuse a batch's items (rather than the call): 400 bad data, 423 locked.
REFUSAL_STATUSES = frozenset({400, 423})


def _integration_header() -> str:
    """`X-Market-Integration: <name>/<version>` labels our calls in the cabinet's request log."""
    try:
        version = metadata.version("sellercloudx-bot")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"SellerCloudX/{version}"


# ----------------------------------------------------------------------------------- error policy
@dataclass(frozen=True)
class YandexError:
    code: str
    message: str


def errors_of(body: Any) -> tuple[YandexError, ...]:
    """ApiErrorResponse: {"status": "ERROR", "errors": [{"code": "...", "message": "..."}]}."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return ()
    return tuple(
        YandexError(str(e.get("code") or ""), str(e.get("message") or "")) for e in errors if isinstance(e, dict)
    )


def _yandex_message(reply: Reply) -> str | None:
    texts = [first_text(e.message, e.code) for e in errors_of(reply.body)]
    return "; ".join(t for t in texts if t) or None


def _number_header(reply: Reply, name: str) -> float | None:
    try:
        return float(reply.headers.get(name, "").strip())
    except ValueError:
        return None


def _yandex_rate_limit(reply: Reply, now: float) -> RateLimitSignal | None:
    # 420 Enhance Your Calm. A spent resource says when it resets in X-RateLimit-Resource-Until (RFC 822).
    # Every reply carries that header, so a 420 while the resource still has budget left is the
    # parallel-requests limit: waiting for the resource window would be wrong, our own backoff is right.
    if reply.status != 420:
        return None
    remaining = _number_header(reply, "X-RateLimit-Resource-Remaining")
    if remaining is not None and remaining > 0:
        return RateLimitSignal(None)
    return RateLimitSignal(http_date_header(reply, "X-RateLimit-Resource-Until", now))


def _yandex_classify(reply: Reply, message: str) -> type[ConnectorError] | None:
    # The status defaults are Yandex's meaning: 401 bad/missing key -> AuthError, 403 "Token does not have any
    # of the scopes" or an inactive shop -> PermissionDenied. Api-Keys never expire.
    return None


YANDEX_POLICY = ErrorPolicy(
    Marketplace.YANDEX,
    rate_limit=_yandex_rate_limit,
    message=_yandex_message,
    classify=_yandex_classify,
    remaining=yandex_remaining,
)


# ------------------------------------------------------------------------------------------ models
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class YandexBusiness(_Model):
    id: int | None = None
    name: str | None = None


class YandexCampaign(_Model):
    id: int
    domain: str | None = None
    clientId: int | None = None  # deprecated in the spec; a last-resort name only
    business: YandexBusiness | None = None
    placementType: str | None = None
    apiAvailability: str | None = None

    def display_name(self) -> str:
        return (
            self.domain
            or (self.business.name if self.business else None)
            or f"Campaign {self.id}"
        )


class YandexPaging(_Model):
    nextPageToken: str | None = None


class YandexCampaignsPage(_Model):
    campaigns: list[YandexCampaign]
    paging: YandexPaging | None = None


class YandexEmpty(_Model):
    """EmptyApiResponse: {"status": "OK"} (parsed so that a cut-off 200 is not taken for success)."""

    status: str | None = None


# --- catalog: getOfferMappings
class YandexPrice(_Model):
    value: Decimal | None = None
    currencyId: str | None = None
    discountBase: Decimal | None = None


class YandexOfferCampaign(_Model):
    campaignId: int
    status: str | None = None


class YandexOffer(_Model):
    offerId: str
    name: str | None = None
    vendor: str | None = None
    barcodes: list[str] | None = None
    basicPrice: YandexPrice | None = None
    cardStatus: str | None = None
    campaigns: list[YandexOfferCampaign] | None = None
    archived: bool | None = None


class YandexMapping(_Model):
    marketSku: int | None = None
    marketSkuName: str | None = None
    marketCategoryId: int | None = None


class YandexOfferMapping(_Model):
    offer: YandexOffer
    mapping: YandexMapping | None = None


class YandexOfferMappingsResult(_Model):
    offerMappings: list[YandexOfferMapping]
    paging: YandexPaging | None = None


class YandexOfferMappingsPage(_Model):
    result: YandexOfferMappingsResult


# --- stock: getStocks
class YandexStock(_Model):
    type: str
    count: int


class YandexWarehouseOffer(_Model):
    offerId: str
    stocks: list[YandexStock]

    def count(self, kind: str) -> int | None:
        found = [s.count for s in self.stocks if s.type == kind]
        return sum(found) if found else None


class YandexWarehouseStocks(_Model):
    warehouseId: int
    offers: list[YandexWarehouseOffer]


class YandexStocksResult(_Model):
    warehouses: list[YandexWarehouseStocks]
    paging: YandexPaging | None = None


class YandexStocksPage(_Model):
    result: YandexStocksResult


# --- business settings
class YandexBusinessSettings(_Model):
    onlyDefaultPrice: bool | None = None
    currency: str | None = None


class YandexSettingsResult(_Model):
    settings: YandexBusinessSettings | None = None


class YandexSettingsReply(_Model):
    result: YandexSettingsResult | None = None


# --- orders: getBusinessOrders
class YandexMoney(_Model):
    value: Decimal
    currencyId: str | None = None


class YandexPrices(_Model):
    """ItemPriceDTO / OrderPriceDTO: the goods cost `payment` + `cashback` (Plus points)."""

    payment: YandexMoney | None = None
    cashback: YandexMoney | None = None

    def goods_total(self) -> tuple[Decimal | None, str | None]:
        parts = [p for p in (self.payment, self.cashback) if p is not None]
        if not parts:
            return None, None
        return sum((p.value for p in parts), Decimal(0)), next((p.currencyId for p in parts if p.currencyId), None)


class YandexOrderItem(_Model):
    id: int | None = None
    offerId: str
    offerName: str | None = None
    count: int
    prices: YandexPrices | None = None


class YandexShipment(_Model):
    shipmentDate: date | None = None
    shipmentTime: str | None = None


class YandexDelivery(_Model):
    shipment: YandexShipment | None = None


class YandexOrder(_Model):
    orderId: int
    campaignId: int | None = None
    programType: str | None = None
    status: str
    substatus: str | None = None
    creationDate: datetime
    updateDate: datetime | None = None
    fake: bool | None = None
    items: list[YandexOrderItem]
    prices: YandexPrices | None = None
    delivery: YandexDelivery | None = None

    @property
    def changed_at(self) -> datetime:
        return aware(self.updateDate or self.creationDate)


class YandexOrdersPage(_Model):
    orders: list[YandexOrder]
    paging: YandexPaging | None = None


# --- analytics: getOrdersStats
class YandexStatsPrice(_Model):
    type: str | None = None
    costPerItem: Decimal | None = None
    total: Decimal | None = None


class YandexStatsDetail(_Model):
    itemStatus: str | None = None
    itemCount: int | None = None


class YandexStatsItem(_Model):
    shopSku: str | None = None
    offerName: str | None = None
    count: int | None = None
    prices: list[YandexStatsPrice] | None = None
    details: list[YandexStatsDetail] | None = None

    def revenue(self) -> Decimal:
        """What the buyer paid for these units: the BUYER price (after discounts, coupons included)."""
        return sum((p.total or Decimal(0) for p in self.prices or () if p.type == "BUYER"), Decimal(0))

    def returned(self) -> int:
        return sum(d.itemCount or 0 for d in self.details or () if d.itemStatus == "RETURNED")


class YandexStatsOrder(_Model):
    id: int | None = None
    creationDate: date | None = None
    status: str | None = None
    fake: bool | None = None
    items: list[YandexStatsItem]
    currency: str | None = None


class YandexStatsResult(_Model):
    orders: list[YandexStatsOrder]
    paging: YandexPaging | None = None


class YandexStatsReply(_Model):
    result: YandexStatsResult


# --- warehouses: getPagedWarehouses
class YandexWarehouseGroup(_Model):
    id: int | None = None
    name: str | None = None


class YandexWarehouse(_Model):
    id: int
    name: str
    campaignId: int | None = None
    express: bool | None = None
    groupInfo: YandexWarehouseGroup | None = None


class YandexWarehousesResult(_Model):
    warehouses: list[YandexWarehouse]
    paging: YandexPaging | None = None


class YandexWarehousesReply(_Model):
    result: YandexWarehousesResult


class OrderNotFound(BadResponse):
    """getBusinessOrders did not return the order asked for."""


# ------------------------------------------------------------------------------- small conversions
def to_yandex_currency(code: str | None) -> str | None:
    return "RUR" if code == "RUB" else code


def from_yandex_currency(code: str | None) -> str | None:
    return "RUB" if code == "RUR" else code


def price_json(update: PriceUpdate, default_currency: str) -> dict:
    """UpdateBusinessPricesDTO / PriceDTO: value, currencyId, and the crossed-out price as discountBase."""
    price: dict[str, Any] = {"value": money_json(update.price),
                             "currencyId": to_yandex_currency(update.currency) or default_currency}
    if update.old_price is not None:
        price["discountBase"] = money_json(update.old_price)
    return price


def money_json(value: Decimal) -> int | float:
    """A JSON number with at most 2 decimals ("Value of field has too high scale" otherwise)."""
    value = value.quantize(Decimal("0.01"))
    return int(value) if value == value.to_integral_value() else float(value)


def aware(moment: datetime) -> datetime:
    """A zone-less time from Yandex is Moscow time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=MARKET_TZ)


def iso(moment: datetime, timespec: str = "seconds") -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")


def unix(moment: datetime) -> int:
    return int(aware(moment).timestamp())


def ship_by(order: YandexOrder) -> int | None:
    """The shipment date (and time, if given) in Moscow time."""
    shipment = order.delivery.shipment if order.delivery else None
    if shipment is None or shipment.shipmentDate is None:
        return None
    moment = datetime.combine(shipment.shipmentDate, datetime.min.time(), MARKET_TZ)
    if shipment.shipmentTime:
        hours, _, minutes = shipment.shipmentTime.partition(":")
        if hours.isdigit() and minutes[:2].isdigit():
            moment = moment.replace(hour=int(hours), minute=int(minutes[:2]))
    return int(moment.timestamp())


def order_status(status: str, substatus: str | None) -> str:
    return f"{status}/{substatus}" if substatus else status


def normalize_order(order: YandexOrder) -> Order:
    items = []
    for item in order.items:
        total, _ = item.prices.goods_total() if item.prices else (None, None)
        unit = (total / item.count).quantize(Decimal("0.01")) if total is not None and item.count else None
        items.append(OrderItem(sku=item.offerId, name=item.offerName, quantity=item.count, price=unit,
                               external_id=item.offerId))
    total, currency = order.prices.goods_total() if order.prices else (None, None)
    return Order(
        marketplace=Marketplace.YANDEX,
        external_id=str(order.orderId),
        status=order_status(order.status, order.substatus),
        created_at=unix(order.creationDate),
        items=tuple(items),
        scheme=SCHEMES.get(order.programType or "", Scheme.FBS),
        ship_by=ship_by(order),
        total=total,
        currency=from_yandex_currency(currency),
        updated_at=unix(order.changed_at),
        shop_id=str(order.campaignId) if order.campaignId else None,
        extra={"substatus": order.substatus, "fake": bool(order.fake)},
    )


def normalize_listing(item: YandexOfferMapping, campaign_id: int | None) -> Listing:
    offer = item.offer
    price = offer.basicPrice
    return Listing(
        marketplace=Marketplace.YANDEX,
        external_id=offer.offerId,
        seller_sku=offer.offerId,
        name=offer.name or offer.offerId,
        barcodes=tuple(offer.barcodes or ()),
        status=listing_status(offer, campaign_id),
        price=price.value if price else None,
        currency=from_yandex_currency(price.currencyId) if price else None,
        stock_ids=(offer.offerId,),
        price_id=offer.offerId,
        extra={
            "market_sku": item.mapping.marketSku if item.mapping else None,
            "card_status": offer.cardStatus,
            "vendor": offer.vendor,
        },
    )


def listing_status(offer: YandexOffer, campaign_id: int | None) -> str | None:
    """The offer's status in our shop (PUBLISHED, NO_STOCKS...), else archived, else the card's status."""
    for campaign in offer.campaigns or ():
        if campaign.campaignId == campaign_id and campaign.status:
            return campaign.status.lower()
    if offer.archived:
        return "archived"
    return offer.cardStatus.lower() if offer.cardStatus else None


# ------------------------------------------------------------------------------------- batch writes
@dataclass(frozen=True)
class _Entry:
    """One item of a batch write: where it was in the caller's list, its SKU, its JSON, and why it cannot be
    sent (checked locally), if so."""

    position: int
    sku: str
    payload: dict
    warehouse_id: str | None = None
    problem: str | None = None

    def result(self, outcome: ItemOutcome, reason: str | None = None, detail: str | None = None) -> ItemResult:
        return ItemResult(self.sku, outcome, reason, detail, warehouse_id=self.warehouse_id)


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def batches(entries: Sequence[_Entry], max_items: int, max_bytes: int = MAX_BODY_BYTES) -> Iterable[list[_Entry]]:
    """Split into requests of at most `max_items` items and `max_bytes` of items' JSON (minus a margin)."""
    budget = max_bytes - 1024  # the envelope: {"skus": [...]} and separators
    batch: list[_Entry] = []
    size = 0
    for entry in entries:
        cost = _json_size(entry.payload) + 2
        if batch and (len(batch) >= max_items or size + cost > budget):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += cost
    if batch:
        yield batch


def sendable(entries: Sequence[_Entry], results: list[ItemResult | None]) -> list[_Entry]:
    """The entries to send: valid ones, the last per SKU. The others get their result now: `invalid_value`
    (checked locally) or `duplicate` (an earlier update of the same SKU in this call; the last one wins)."""
    last = {entry.sku: entry for entry in entries if entry.problem is None}
    kept = []
    for entry in entries:
        if entry.problem is not None:
            results[entry.position] = entry.result(ItemOutcome.REJECTED, INVALID_VALUE, entry.problem)
        elif last[entry.sku] is not entry:
            results[entry.position] = entry.result(ItemOutcome.REJECTED, DUPLICATE,
                                                   "superseded by a later update in the same call")
        else:
            kept.append(entry)
    return kept


# Where a refusal names an item, the SKU appears as one token of the message, e.g. "Unable to find mapping for
# offerId: SKU-1" (a 400 body seen in yandex-market/yandex-market-php-partner#33 lists one error per bad item).
_TOKEN_SPLIT = re.compile(r"[\s'\"`,;:()\[\]{}<>]+")


def refused_items(errors: Sequence[YandexError], skus: set[str]) -> dict[str, YandexError]:
    """UNCONFIRMED: which SKUs of a refused batch each error names (SKUs containing spaces are not found)."""
    named: dict[str, YandexError] = {}
    for error in errors:
        for token in _TOKEN_SPLIT.split(error.message):
            if token in skus:
                named.setdefault(token, error)
    return named


def refusal_reason(status: int | None, text: str) -> str:
    """A reason code for a refusal, from the HTTP status and the marketplace's text. Only "Partner use only default
    price" (423) is a documented text; the words matched for the others are UNCONFIRMED (hence `rejected` + the
    marketplace's own detail as the fallback)."""
    lowered = text.lower()
    if status == 423:
        return ONLY_DEFAULT_PRICE if "default price" in lowered else LOCKED
    if "not found" in lowered or "unable to find" in lowered or "unknown" in lowered:
        return NOT_FOUND
    if "must be" in lowered or "value of" in lowered or "invalid" in lowered or "scale" in lowered:
        return INVALID_VALUE
    return REJECTED


def _error_text(error: YandexError | None, fallback: str | None) -> str:
    if error is None:
        return fallback or ""
    return first_text(error.message, error.code) or fallback or ""


T = TypeVar("T")


async def _all(coros: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Run concurrently (the pace caps what is in flight); on the first error cancel the rest and raise it."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in coros]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [t.result() for t in tasks]


# ------------------------------------------------------------------------------------------ cursor
@dataclass(frozen=True)
class OrdersCursor:
    """Where orders_since() stopped: the newest update time seen, and which orders (in which status) were seen at
    exactly that time, so an order changed twice within one second still comes back.

    Serialized as "<ISO time>|<id>:<status>,..."; opaque to callers, stored durably by the service.
    """

    since: datetime
    seen: frozenset[str] = frozenset()

    def dump(self) -> str:
        # Full precision: an update time with milliseconds must compare equal when read back.
        return f"{iso(self.since, 'auto')}|{','.join(sorted(self.seen))}"

    @classmethod
    def load(cls, text: str) -> OrdersCursor:
        moment, _, seen = text.partition("|")
        try:
            since = datetime.fromisoformat(moment)
        except ValueError:
            raise ValueError(f"not a Yandex orders cursor: {text[:40]!r}") from None
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        return cls(since, frozenset(s for s in seen.split(",") if s))

    @staticmethod
    def key(order: YandexOrder) -> str:
        return f"{order.orderId}:{order_status(order.status, order.substatus)}"

    def is_new(self, order: YandexOrder) -> bool:
        changed = order.changed_at
        return changed > self.since or (changed == self.since and self.key(order) not in self.seen)

    def advance(self, seen: Sequence[YandexOrder], floor: datetime) -> OrdersCursor:
        """The cursor after a poll that saw `seen` and covered everything up to `floor`."""
        newest = max((o.changed_at for o in seen), default=None)
        if newest is None or newest < floor:
            return self if self.since >= floor else OrdersCursor(floor)
        keys = {self.key(o) for o in seen if o.changed_at == newest}
        return OrdersCursor(newest, frozenset(keys | (self.seen if newest == self.since else set())))


# ------------------------------------------------------------------------------------------ client
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
            headers={"X-Market-Integration": _integration_header()},
            transport=transport,
            clock=clock,
            timeout=timeout,
        )
        account = account or AccountContext()
        self._business_id = int(account.business_id) if account.business_id else None
        self._campaign_id = int(account.shop_id) if account.shop_id else None
        # Limits of URLs without a campaign or business are counted per cabinet: one key = one cabinet.
        self._cabinet = f"cabinet:{credential_id(credentials.api_key)}"
        self._settings: tuple[float, YandexBusinessSettings] | None = None

    # -- plumbing ------------------------------------------------------------------------------------
    def _pace(self, scope: str, resource: str, cost: int = 1) -> Pace:
        return yandex_pace(scope, resource, cost=cost, clock=self._http.clock)

    async def _call(self, method: str, path: str, model: type[T], *, scope: str, resource: str, cost: int = 1,
                    params: dict | None = None, body: Any = None, idempotent: bool = True) -> T:
        """One paced request whose reply is parsed with `model`.

        A 200 that does not parse (cut off, garbage) is sent again when the call is idempotent: a read, or a write
        that sets values (stock, prices), may safely happen twice. Order status changes are never re-sent here.
        """
        pace = self._pace(scope, resource, cost)
        attempts = READ_ATTEMPTS if idempotent else 1
        for attempt in range(1, attempts + 1):
            try:
                data = await self._http.request_json(method, path, params=params, json_body=body,
                                                     idempotent=idempotent, pace=pace)
                return parse_model(model, data, f"yandex {method} {path}")
            except BadResponse as exc:
                unreadable_2xx = exc.status is None or exc.status < 300
                if not unreadable_2xx or attempt == attempts:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _paged(self, method: str, path: str, model: type[T], *, scope: str, resource: str, limit: int,
                     items: Callable[[T], tuple[list, YandexPaging | None]], body: Any = None,
                     max_pages: int | None = None) -> AsyncIterator[Any]:
        """Every item of every page (pageToken + limit), one page in memory at a time."""
        token: str | None = None
        seen: set[str] = set()
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": limit}
            if token:
                params["pageToken"] = token
            page = await self._call(method, path, model, scope=scope, resource=resource, params=params, body=body)
            found, paging = items(page)
            for item in found:
                yield item
            token = paging.nextPageToken if paging else None
            pages += 1
            if not token or not found:
                return
            if token in seen:  # a server repeating a token would loop forever
                raise BadResponse(f"yandex {path}: page token repeats")
            if max_pages is not None and pages >= max_pages:
                raise BadResponse(f"yandex {path}: too many pages")
            seen.add(token)

    # -- ids -----------------------------------------------------------------------------------------
    async def _discover(self) -> None:
        """Fill in the businessId / campaignId the AccountContext left out, from the key's campaigns."""
        campaigns = [c async for c in self.iter_campaigns()]
        if self._campaign_id is None and len(campaigns) == 1:
            self._campaign_id = campaigns[0].id
        mine = [c for c in campaigns if c.id == self._campaign_id] or campaigns
        businesses = {c.business.id for c in mine if c.business and c.business.id}
        if self._business_id is None and len(businesses) == 1:
            self._business_id = businesses.pop()

    async def _business(self) -> int:
        if self._business_id is None:
            await self._discover()
        if self._business_id is None:
            raise NoShops("yandex: no single business (cabinet) for this key; set AccountContext.business_id")
        return self._business_id

    async def _campaign(self) -> int:
        if self._campaign_id is None:
            await self._discover()
        if self._campaign_id is None:
            raise NoShops("yandex: the key has several campaigns; set AccountContext.shop_id")
        return self._campaign_id

    # -- connection ----------------------------------------------------------------------------------
    async def iter_campaigns(self) -> AsyncIterator[YandexCampaign]:
        """Every campaign (shop) of the token's cabinet, following pageToken pages."""
        async for campaign in self._paged(
            "GET", "/v2/campaigns", YandexCampaignsPage, scope=self._cabinet, resource="getCampaigns",
            limit=CAMPAIGNS_PAGE_LIMIT, items=lambda p: (p.campaigns, p.paging), max_pages=MAX_PAGES,
        ):
            yield campaign

    async def check_connection(self) -> ConnectionInfo:
        campaigns = [c async for c in self.iter_campaigns()]
        if not campaigns:
            raise NoShops("yandex: the token's cabinet has no campaigns")
        shops = [
            Choice(
                id=str(c.id),
                name=c.display_name(),
                extra={
                    "business_id": str(c.business.id) if c.business and c.business.id else None,
                    "business_name": c.business.name if c.business else None,
                    "placement_type": c.placementType,
                    "api_availability": c.apiAvailability,
                },
            )
            for c in campaigns
        ]
        # An Api-Key belongs to one cabinet (business); keep every id in case an OAuth token spans more.
        businesses: dict[str, str | None] = {}
        for shop in shops:
            if shop.extra["business_id"]:
                businesses.setdefault(shop.extra["business_id"], shop.extra["business_name"])
        single = len(businesses) == 1
        names = [name or f"Business {bid}" for bid, name in businesses.items()]
        return ConnectionInfo(
            marketplace=self.marketplace,
            account_name=", ".join(names) if names else shops[0].name,
            account_id=next(iter(businesses)) if single else None,
            shops=shops,
            extra={"business_ids": list(businesses)},
        )

    # -- catalog -------------------------------------------------------------------------------------
    async def iter_listings(self) -> AsyncIterator[Listing]:
        """The whole catalog (no request body = every offer), 100 per page, streamed."""
        business = await self._business()
        campaign = self._campaign_id
        async for mapping in self._paged(
            "POST", f"/v2/businesses/{business}/offer-mappings", YandexOfferMappingsPage,
            scope=f"business:{business}", resource="getOfferMappings", limit=OFFERS_PAGE_LIMIT,
            items=lambda p: (p.result.offerMappings, p.result.paging),
        ):
            yield normalize_listing(mapping, campaign)

    # -- stock ---------------------------------------------------------------------------------------
    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """Stock of these SKUs in our shop, per warehouse. Unknown SKUs are left out."""
        campaign = await self._campaign()
        wanted = list(dict.fromkeys(skus))
        chunks = [wanted[i:i + STOCK_READ_BATCH] for i in range(0, len(wanted), STOCK_READ_BATCH)]
        pages = await _all(self._stock_chunk(campaign, chunk) for chunk in chunks)
        return [level for page in pages for level in page]

    async def _stock_chunk(self, campaign: int, skus: list[str]) -> list[StockLevel]:
        # With offerIds the list comes back whole: no pageToken / limit (GetWarehouseStocksRequest.offerIds).
        page = await self._call(
            "POST", f"/v2/campaigns/{campaign}/offers/stocks", YandexStocksPage, scope=f"campaign:{campaign}",
            resource="getStocks", cost=len(skus), body={"offerIds": skus},
        )
        levels = []
        for warehouse in page.result.warehouses:
            for offer in warehouse.offers:
                available = offer.count("AVAILABLE")
                if available is None:  # FIT = available + reserved
                    available = (offer.count("FIT") or 0) - (offer.count("FREEZE") or 0)
                levels.append(StockLevel(offer.offerId, max(available, 0), str(warehouse.warehouseId),
                                         reserved=offer.count("FREEZE")))
        return levels

    async def update_stock(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        """Set available stock in our shop, 2,000 SKUs per request (for a warehouse group: one warehouse)."""
        campaign = await self._campaign()
        entries = [
            _Entry(position, u.sku, {"sku": u.sku, "items": [{"count": u.quantity}]}, u.warehouse_id,
                   problem=None if SHOP_SKU.match(u.sku) and 0 <= u.quantity <= MAX_STOCK_COUNT
                   else f"the count must be 0..{MAX_STOCK_COUNT} and the SKU 1..255 characters")
            for position, u in enumerate(updates)
        ]

        async def send(batch: list[dict]) -> None:
            await self._call("PUT", f"/v2/campaigns/{campaign}/offers/stocks", YandexEmpty,
                             scope=f"campaign:{campaign}", resource="updateStocks", cost=len(batch),
                             body={"skus": batch})

        return await self._write(entries, STOCK_UPDATE_BATCH, send)

    # -- prices --------------------------------------------------------------------------------------
    async def business_settings(self) -> YandexBusinessSettings:
        """The cabinet's settings (onlyDefaultPrice, currency), remembered for SETTINGS_TTL (100 per hour)."""
        now = self._http.clock.now()
        if self._settings is not None and now - self._settings[0] < SETTINGS_TTL:
            return self._settings[1]
        business = await self._business()
        reply = await self._call("POST", f"/v2/businesses/{business}/settings", YandexSettingsReply,
                                 scope=f"business:{business}", resource="getBusinessSettings")
        settings = (reply.result.settings if reply.result else None) or YandexBusinessSettings()
        self._settings = (now, settings)
        return settings

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        """Prices for all shops (500 per request); for our shop only (2,000) if the cabinet allows shop prices."""
        settings = await self.business_settings()
        per_shop = settings.onlyDefaultPrice is False and (self._campaign_id is not None)
        currency = settings.currency or "RUR"
        entries = [
            _Entry(position, u.sku, {"offerId": u.sku, "price": price_json(u, currency)},
                   problem=None if SHOP_SKU.match(u.sku) and u.price > 0 and (u.old_price or 0) >= 0
                   else "the price must be above 0 and the SKU 1..255 characters")
            for position, u in enumerate(updates)
        ]
        if per_shop:
            campaign = await self._campaign()
            path, scope, resource, size = (f"/v2/campaigns/{campaign}/offer-prices/updates", f"campaign:{campaign}",
                                           "updatePrices", CAMPAIGN_PRICE_BATCH)
        else:
            business = await self._business()
            path, scope, resource, size = (f"/v2/businesses/{business}/offer-prices/updates",
                                           f"business:{business}", "updateBusinessPrices", BUSINESS_PRICE_BATCH)

        async def send(batch: list[dict]) -> None:
            await self._call("POST", path, YandexEmpty, scope=scope, resource=resource, cost=len(batch),
                             body={"offers": batch})

        results = await self._write(entries, size, send)
        if any(r.reason == ONLY_DEFAULT_PRICE for r in results):
            self._settings = None  # the cabinet changed its mind: read the settings again next time
        return results

    # -- batch writes (stock and prices) --------------------------------------------------------------
    async def _write(self, entries: list[_Entry], max_items: int,
                     send: Callable[[list[dict]], Awaitable[None]]) -> list[ItemResult]:
        """Send `entries` in batches; one result per entry, in the caller's order."""
        results: list[ItemResult | None] = [None] * len(entries)
        kept = sendable(entries, results)
        outcomes = await _all(self._write_batch(batch, send) for batch in batches(kept, max_items))
        for outcome in outcomes:
            for position, result in outcome:
                results[position] = result
        assert all(r is not None for r in results)
        return results  # type: ignore[return-value]

    async def _write_batch(self, batch: list[_Entry], send: Callable[[list[dict]], Awaitable[None]], *,
                           resend: bool = True) -> list[tuple[int, ItemResult]]:
        """One request; if Yandex refuses items it names, those are rejected and the rest sent once more."""
        try:
            await send([e.payload for e in batch])
        except (AuthError, PermissionDenied):
            raise  # nothing will work with this key: the call fails
        except RateLimited as exc:
            return [(e.position, e.result(ItemOutcome.REJECTED, RATE_LIMITED, exc.detail)) for e in batch]
        except ConnectorError as exc:
            if exc.status not in REFUSAL_STATUSES:
                if exc.status is not None and 400 <= exc.status < 500:
                    raise  # 404 campaign / business not found and the like: the call is wrong, not the items
                return [(e.position, e.result(ItemOutcome.REJECTED, UNAVAILABLE, exc.detail)) for e in batch]
            return await self._refused(batch, send, exc, resend)
        return [(e.position, e.result(ItemOutcome.ACCEPTED)) for e in batch]

    async def _refused(self, batch: list[_Entry], send: Callable[[list[dict]], Awaitable[None]],
                       exc: ConnectorError, resend: bool) -> list[tuple[int, ItemResult]]:
        errors = errors_of(exc.body)  # a batch refusal lists one error per refused item
        named = refused_items(errors, {e.sku for e in batch}) if exc.status == 400 else {}
        if named and resend:
            results = []
            for entry in batch:
                if entry.sku in named:
                    text = _error_text(named[entry.sku], exc.detail)
                    results.append((entry.position, entry.result(ItemOutcome.REJECTED,
                                                                  refusal_reason(400, text), text[:200])))
            rest = [e for e in batch if e.sku not in named]
            # UNCONFIRMED whether a refused batch applied the other items: sending them again is safe (set-to).
            return results + (await self._write_batch(rest, send, resend=False) if rest else [])
        text = _error_text(errors[0] if errors else None, exc.detail)
        reason = refusal_reason(exc.status, text)
        return [(e.position, e.result(ItemOutcome.REJECTED, reason, text[:200] or None)) for e in batch]

    # -- orders --------------------------------------------------------------------------------------
    def _orders_pages(self, business: int, body: dict) -> AsyncIterator[YandexOrder]:
        return self._paged("POST", f"/v1/businesses/{business}/orders", YandexOrdersPage,
                           scope=f"business:{business}", resource="getBusinessOrders", limit=ORDERS_PAGE_LIMIT,
                           items=lambda p: (p.orders, p.paging), body=body)

    def _campaign_filter(self) -> dict:
        return {"campaignIds": [self._campaign_id]} if self._campaign_id is not None else {}

    async def new_orders(self) -> list[Order]:
        """Orders waiting for the seller: PROCESSING / STARTED (Yandex's default window: the last 30 days)."""
        business = await self._business()
        body = {**self._campaign_filter(), "statuses": [NEW_ORDER[0]], "substatuses": [NEW_ORDER[1]]}
        return [normalize_order(o) async for o in self._orders_pages(business, body)]

    async def orders_since(self, cursor: str | None) -> OrderPage:
        """Every order created or changed after `cursor` (None: the last 30 days), and the cursor to store.

        An order comes back again only when it changes again (its updateDate moves). A cursor older than 30 days
        is caught up in 30-day windows.
        """
        business = await self._business()
        now = datetime.fromtimestamp(self._http.clock.now(), timezone.utc).replace(microsecond=0)
        position = OrdersCursor.load(cursor) if cursor else OrdersCursor(now - ORDERS_FIRST_LOOKBACK)
        found: dict[int, YandexOrder] = {}
        while True:
            start = position.since - ORDERS_CURSOR_OVERLAP
            end = min(start + ORDERS_MAX_RANGE, now)
            body = {**self._campaign_filter(), "dates": {"updateDateFrom": iso(start), "updateDateTo": iso(end)}}
            seen = [o async for o in self._orders_pages(business, body) if position.is_new(o)]
            for order in seen:
                found[order.orderId] = order
            position = position.advance(seen, min(end, now - ORDERS_SETTLE))
            if end >= now:
                break
        orders = sorted(found.values(), key=lambda o: (o.changed_at, o.orderId))
        return OrderPage([normalize_order(o) for o in orders], position.dump())

    async def get_order(self, order_id: str) -> Order:
        """One order by id (UNCONFIRMED: that getBusinessOrders applies no default 30-day window to orderIds)."""
        business = await self._business()
        body = {"orderIds": [int(order_id)]}
        async for order in self._orders_pages(business, body):
            if str(order.orderId) == str(order_id):
                return normalize_order(order)
        raise OrderNotFound(f"yandex: order {order_id} not found", status=404)

    async def confirm_order(self, order_id: str) -> Order:
        return await self._set_status(order_id, CONFIRM)

    async def ship_order(self, order_id: str) -> Order:
        return await self._set_status(order_id, SHIP)

    async def cancel_order(self, order_id: str, reason: str | None = None) -> Order:
        """Cancel as the shop (CANCELLED/SHOP_FAILED: the only reason a shop may give; `reason` is not sent)."""
        return await self._set_status(order_id, CANCEL)

    async def _set_status(self, order_id: str, target: tuple[str, str]) -> Order:
        """PUT the status, then read the order back. Not retried blindly: if the PUT failed or was refused, the
        order is read to see whether it already has the target status (a lost reply, a double tap)."""
        campaign = await self._order_campaign(order_id)
        body = {"order": {"status": target[0], "substatus": target[1]}}
        try:
            await self._call("PUT", f"/v2/campaigns/{campaign}/orders/{order_id}/status", YandexEmpty,
                             scope=f"campaign:{campaign}", resource="updateOrderStatus", body=body,
                             idempotent=False)
        except (AuthError, PermissionDenied, RateLimited):
            raise
        except ConnectorError:
            order = await self.get_order(order_id)
            if order.status == order_status(*target):
                return order
            raise
        return await self.get_order(order_id)

    async def _order_campaign(self, order_id: str) -> int:
        """Our shop, or (without one) the campaign the order belongs to."""
        if self._campaign_id is not None:
            return self._campaign_id
        shop = (await self.get_order(order_id)).shop_id
        return int(shop) if shop else await self._campaign()

    # -- analytics -----------------------------------------------------------------------------------
    async def sales(self, date_from: date, date_to: date) -> list[SalesRow]:
        """Units and revenue per day (order creation date) and seller SKU; cancelled and test orders are left out."""
        campaign = await self._campaign()
        totals: dict[tuple[date, str], list] = {}
        async for order in self._paged(
            "POST", f"/v2/campaigns/{campaign}/stats/orders", YandexStatsReply, scope=f"campaign:{campaign}",
            resource="getOrdersStats", limit=STATS_PAGE_LIMIT, items=lambda p: (p.result.orders, p.result.paging),
            body={"dateFrom": date_from.isoformat(), "dateTo": date_to.isoformat()},
        ):
            if order.fake or order.status in NOT_SALES or order.creationDate is None:
                continue
            for item in order.items:
                if not item.shopSku:  # the delivery line ("Доставка") has no SKU
                    continue
                row = totals.setdefault((order.creationDate, item.shopSku), [0, Decimal(0), 0, order.currency])
                row[0] += item.count or 0
                row[1] += item.revenue()
                row[2] += item.returned()
        return [
            SalesRow(day=day, sku=sku, quantity=qty, revenue=revenue, currency=from_yandex_currency(currency),
                     returns=returns)
            for (day, sku), (qty, revenue, returns, currency) in sorted(totals.items())
        ]

    # -- warehouses ----------------------------------------------------------------------------------
    async def list_warehouses(self) -> list[Choice]:
        """The seller's warehouses (of our shop when one is set)."""
        business = await self._business()
        return [
            Choice(id=str(w.id), name=w.name,
                   extra={"campaign_id": str(w.campaignId) if w.campaignId else None, "express": w.express,
                          "group_id": str(w.groupInfo.id) if w.groupInfo and w.groupInfo.id else None})
            async for w in self._paged(
                "POST", f"/v2/businesses/{business}/warehouses", YandexWarehousesReply,
                scope=f"business:{business}", resource="getPagedWarehouses", limit=WAREHOUSES_PAGE_LIMIT,
                items=lambda p: (p.result.warehouses, p.result.paging), body=self._campaign_filter() or None,
            )
        ]

    # -- supplies ------------------------------------------------------------------------------------
    async def list_supplies(self) -> list[Supply]:
        raise NotSupported("Yandex FBY supply requests are not handled by the bot (out of scope for this release).")

    async def create_supply(self, name: str) -> Supply:
        raise NotSupported("Yandex FBY supply requests are not handled by the bot (out of scope for this release).")

