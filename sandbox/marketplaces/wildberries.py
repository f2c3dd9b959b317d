"""Wildberries API stand-in, mounted at /wb/{category}: one "host" per category, so the bot's
template WILDBERRIES_API_URL=http://127.0.0.1:PORT/wb/{category} maps
`https://{category}-api.wildberries.ru` to `…/wb/{category}`.

Specs: specs/wildberries/ru-yaml-2026-03-11 (01-general /ping and seller-info, 02-products cards, stocks,
warehouses and prices, 03-orders-fbs orders and supplies, 12-reports sales; the en JSON
financial-reports-and-accounting: the finance sales report detail); limits from the en JSONs'
`x-wb-rate-limits` (MARKETPLACES.md §3.2). Auth errors and 429 are problem+json
`{title, detail, code, requestId, origin, status, statusText, timestamp}`; 429 carries
X-Ratelimit-Retry/-Limit/-Reset, every other reply X-Ratelimit-Remaining.

State: the shared Catalog of the seller (`SandboxState.catalog("wildberries", sid)`; stock is kept per
warehouse, keyed by the warehouse id as a string) and OrderBook; what only WB has (supplies, price tasks,
discounts) lives in a `WbBook` on the state (`wb_book`). Products get deterministic WB ids:
nmID = NM_ID_BASE + index, chrtID = CHRT_ID_BASE + index (one size per product); the Catalog price is WB's
`price` before the seller's discount.
Orders: `state.orders.create("wildberries", sid, lines, shop_id=<warehouse id>, scheme="FBS")` (only FBS orders
are served; the first warehouse when shop_id is None). Each sandbox order is one buyer basket (`orderUid`);
WB shows one assembly task per unit, id `order.id * TASK_ID_FACTOR + unit` (`wb_task_ids`). Actions on a task
move its whole basket (the OrderBook keeps one status per order). Sales come from DELIVERED and RETURNED orders
(a RETURNED one, or `extra["returned"] = True`, adds a return row); the finance report's money is
sandbox.marketplaces.fees' (`report_rows`).

Limits are token buckets per seller (per service for Service tokens), method group and token tier, counted in
`state.now()`; with `state.enforce_rate_limits` an empty bucket answers 429. Marketplace-category 4xx replies
cost 10 requests, as WB documents.
"""
from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Iterator

from aiohttp import web

from sandbox.marketplaces.accounts import (
    WB_CATEGORY_POSITIONS,
    WB_READ_ONLY_BIT,
    SandboxState,
    WbSeller,
    decode_wb_token,
    wb_bit,
)
from sandbox.marketplaces.catalog import Catalog, Lifecycle, Product, SandboxOrder
from sandbox.marketplaces.fees import RATES, SOLD, booked_on, line_figures, storage_days, storage_fee
from sandbox.marketplaces.common import (
    ACCOUNT,
    INJECTED_RATE_LIMIT_WAIT,
    STATE,
    Controls,
    Dialect,
    Reply,
    json_response,
    marketplace_app,
    read_credential,
    read_json_body,
)

# URL category (the host name without "-api") → the token category it needs
# (the /ping description's table). common-api answers a token of any category.
WB_HOST_CATEGORY: dict[str, str | None] = {
    "content": "content",
    "seller-analytics": "analytics",
    "discounts-prices": "prices",
    "marketplace": "marketplace",
    "statistics": "statistics",
    "advert": "promotion",
    "feedbacks": "feedbacks",
    "buyer-chat": "buyers_chat",
    "supplies": "supplies",
    "returns": "returns",
    "documents": "documents",
    "finance": "finance",
    "user-management": "users",
    "common": None,
}

DAY = 24 * 60 * 60
MOSCOW = timezone(timedelta(hours=3))

# Deterministic WB ids of catalog product N.
NM_ID_BASE = 300_000_000
CHRT_ID_BASE = 500_000_000
TASK_ID_FACTOR = 100  # task id = order id * 100 + unit (1..99)
SUPPLY_PREFIX = "WB-GI-"
CARDS_EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)  # product N was last updated N seconds after this

# Batch maxima (ru YAMLs).
CARDS_MAX_LIMIT = 100
CARDS_DEFAULT_LIMIT = 10
STOCKS_MAX_ITEMS = 1_000
STOCK_MAX_AMOUNT = 100_000
PRICES_MAX_GOODS = 1_000
PRICES_MAX_LIMIT = 1_000
ORDERS_MAX_LIMIT = 1_000
STATUS_MAX_IDS = 1_000
SUPPLY_MAX_ORDERS = 100
SUPPLY_NAME_MAX = 128
ORDERS_MAX_SPAN = 30 * DAY
SALES_MAX_ROWS = 80_000
# A price task becomes "processed" this many marketplace seconds after its upload.
PRICE_TASK_DELAY = 1.0


# --------------------------------------------------------------------------------------------
# Published limits (x-wb-rate-limits of the 2026-08-19 en JSONs) as token buckets
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limit:
    """`limit` requests per `period` seconds, at most `burst` at once (WB's Period / Limit / Burst)."""

    limit: int
    period: float
    burst: int

    @property
    def rate(self) -> float:
        return self.limit / self.period


STANDARD, BASE = "standard", "base"  # Personal / Service (and Base with a secret, UNCONFIRMED how sent); Base
_MARKETPLACE = {STANDARD: Limit(300, 60, 20), BASE: Limit(150, 60, 10)}  # Base: the intro's example (UNCONFIRMED)
LIMITS: dict[str, dict[str, Limit]] = {
    "ping": {STANDARD: Limit(3, 30, 3), BASE: Limit(3, 30, 3)},  # "3 requests every 30 seconds", per host
    "seller-info": {STANDARD: Limit(1, 60, 10), BASE: Limit(1, DAY, 1)},
    "content": {STANDARD: Limit(100, 60, 5), BASE: Limit(100, 60, 5)},
    "stocks": _MARKETPLACE,  # all inventory methods except delete
    "warehouses": _MARKETPLACE,  # seller warehouse methods
    "fbs": _MARKETPLACE,  # FBS assembly orders, supplies and passes
    "cancel": {STANDARD: Limit(100, 60, 20), BASE: Limit(100, 60, 20)},
    "prices": {STANDARD: Limit(10, 6, 5), BASE: Limit(4, 3600, 1)},  # every Prices and Discounts method
    "sales": {STANDARD: Limit(1, 60, 1), BASE: Limit(1, 2 * 3600, 1)},
    # finance-api sales-reports/detailed: 1 per minute; Base "2 requests per 24 h, interval 12 h, burst 1"
    "finance-reports": {STANDARD: Limit(1, 60, 1), BASE: Limit(2, DAY, 1)},
}
MARKETPLACE_GROUPS = frozenset({"stocks", "warehouses", "fbs", "cancel"})
ERROR_COST = 10  # "One request with 4XX response codes is counted as 10 requests" (Marketplace)
# Float rounding between a client's and our own arithmetic must not turn an exact boundary into a 429.
TOKEN_EPSILON = 1e-6


@dataclass
class TokenBucket:
    limit: Limit
    tokens: float
    stamp: float

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.limit.burst, self.tokens + (now - self.stamp) * self.limit.rate)
            self.stamp = now

    def take(self, now: float, *, enforce: bool) -> bool:
        """Count one request; False (nothing taken) when the bucket is empty and limits are enforced."""
        self._refill(now)
        if self.tokens + TOKEN_EPSILON < 1:
            return not enforce
        self.tokens -= 1
        return True

    def charge(self, cost: float, now: float) -> None:
        self._refill(now)
        self.tokens -= cost

    def remaining(self, now: float) -> int:
        self._refill(now)
        return max(0, math.floor(self.tokens + TOKEN_EPSILON))

    def retry_in(self, now: float) -> int:
        self._refill(now)
        return max(1, math.ceil((1 - self.tokens) / self.limit.rate))

    def reset_in(self, now: float) -> int:
        self._refill(now)
        return max(1, math.ceil((self.limit.burst - self.tokens) / self.limit.rate))


# --------------------------------------------------------------------------------------------
# What only Wildberries keeps
# --------------------------------------------------------------------------------------------
@dataclass
class WbSupply:
    id: str
    sid: str
    name: str
    created_at: float
    done: bool = False
    closed_at: float | None = None
    cargo_type: int = 0  # "a new supply has no cargo type": it takes the first order's


@dataclass
class PriceTask:
    id: int
    sid: str
    goods: list[dict]
    uploaded_at: float  # state.now()
    upload_date: float  # unix, for the replies
    results: list[dict] | None = None  # per good, once processed

    @property
    def status(self) -> int:
        failed = sum(1 for r in self.results or [] if r["status"] == 3)
        return 3 if not failed else 6 if failed == len(self.goods) else 5


@dataclass
class WbBook:
    supplies: dict[str, WbSupply] = field(default_factory=dict)
    order_supply: dict[int, str] = field(default_factory=dict)  # sandbox order id -> supply id
    tasks: dict[int, PriceTask] = field(default_factory=dict)
    discounts: dict[tuple[str, int], int] = field(default_factory=dict)  # (sid, index) -> %
    next_supply: int = 1_000_001
    next_task: int = 5_000_001


def wb_book(state: SandboxState) -> WbBook:
    """The WB-only book of a SandboxState. SandboxState has no field for it, so it rides on the instance:
    every app built on the same state shares it."""
    book = getattr(state, "wildberries_book", None)
    if book is None:
        book = WbBook()
        state.wildberries_book = book  # type: ignore[attr-defined]
    return book


def nm_id(index: int) -> int:
    return NM_ID_BASE + index


def chrt_id(index: int) -> int:
    return CHRT_ID_BASE + index


def _index(value: Any, base: int, catalog: Catalog) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    index = value - base
    return index if index in catalog else None


def wb_task_ids(order: SandboxOrder) -> list[int]:
    """The WB assembly task ids of a sandbox order: one per unit."""
    units = sum(line.quantity for line in order.lines)
    return [order.id * TASK_ID_FACTOR + unit for unit in range(1, min(units, TASK_ID_FACTOR - 1) + 1)]


# --------------------------------------------------------------------------------------------
# Callers, errors and the dialect
# --------------------------------------------------------------------------------------------
@dataclass
class WbCaller:
    seller: WbSeller
    claims: dict[str, Any]

    @property
    def is_base_token(self) -> bool:
        return self.claims.get("acc") == 1

    @property
    def tier(self) -> str:
        return BASE if self.is_base_token else STANDARD

    @property
    def limit_account(self) -> str:
        # "The service limit applies to all tokens within a single service."
        issued_for = self.claims.get("for")
        if isinstance(issued_for, str) and issued_for.startswith("asid:"):
            return issued_for
        return self.seller.sid

    @property
    def read_only(self) -> bool:
        return bool(self.scopes & wb_bit(WB_READ_ONLY_BIT))

    @property
    def scopes(self) -> int:
        s = self.claims.get("s")
        return s if isinstance(s, int) and not isinstance(s, bool) else 0


@dataclass(frozen=True)
class RouteInfo:
    group: str  # a key of LIMITS
    write: bool = False  # x-readonly-method: false (refused to read-only tokens)
    # 03-orders-fbs documents its 401/429 bodies as application/json; every other WB file as problem+json.
    plain_problem: bool = False


ROUTE_INFO = web.AppKey("wb_routes", dict)
BUCKET = web.RequestKey("wb_bucket", object)
READ_ONLY_STATUS = 401  # UNCONFIRMED: WB's reply to a write with a read-only token
READ_ONLY_DETAIL = "token scope not allowed: read only token"


def category_of(request: web.Request) -> str:
    """The WB "host" of the request: "/wb/content/ping" → "content"."""
    return request.path.removeprefix(WildberriesDialect.prefix + "/").split("/")[0]


def route_info(request: web.Request) -> RouteInfo | None:
    name = request.match_info.route.name
    return request.config_dict[ROUTE_INFO].get(name) if name else None


def problem(request: web.Request, status: int, title: str, detail: str, headers: dict | None = None) -> web.Response:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    body = {
        "title": title,
        "detail": detail,
        "code": uuid.uuid4().hex[:12],
        "requestId": uuid.uuid4().hex,
        "origin": f"s2s-api-auth-{category_of(request) or 'wb'}",
        "status": status,
        "statusText": HTTPStatus(status).phrase,
        "timestamp": now.isoformat().replace("+00:00", "Z"),
    }
    info = route_info(request)
    content_type = "application/json" if info and info.plain_problem else "application/problem+json"
    return json_response(body, status=status, headers=headers, content_type=content_type)


def unauthorized(request: web.Request, detail: str) -> Reply:
    return Reply(problem(request, 401, "unauthorized", detail))


def wb_error(status: int, code: str, message: str, data: Any = None) -> Reply:
    """Marketplace business errors: `{code, message[, data]}` (schema Error)."""
    body = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    return Reply(json_response(body, status=status))


def prices_error(text: str, status: int = 400) -> Reply:
    """Prices and content errors: `{data, error, errorText}` (schemas ResponseError, responseBodyContentError400)."""
    return Reply(json_response({"data": None, "error": True, "errorText": text}, status=status))


def too_many_stock_items() -> Reply:
    """UNCONFIRMED: WB's reply to more than 1,000 stock items (the schema's maxItems) — a body-validation 400."""
    return wb_error(400, "IncorrectRequestBody", "Incorrect required body")


class WildberriesDialect(Dialect):
    name = "wildberries"
    prefix = "/wb"

    def __init__(self, state: SandboxState):
        self.state = state

    def authenticate(self, request: web.Request) -> WbCaller:
        category = category_of(request)
        if category not in WB_HOST_CATEGORY:
            raise Reply(self.error(request, 404, f"unknown WB API host {category}-api"))
        token = read_credential(request, "Authorization")
        if token is None:
            raise unauthorized(request, "empty Authorization header")
        try:
            claims = decode_wb_token(token)
        except ValueError as exc:
            raise unauthorized(request, f"token problem; {exc}") from None
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= self.state.clock():
            raise unauthorized(request, "token problem; token is expired")
        seller = self.state.wildberries.get(claims.get("sid", ""))
        if seller is None:
            raise unauthorized(request, "token problem; seller not found")
        if claims.get("acc") == 2 or claims.get("t") is True:
            # A test token works only on the *-sandbox hosts (api-information.json, "Test token").
            raise unauthorized(request, "token problem; test token is valid in the sandbox only")
        caller = WbCaller(seller, claims)
        needed = WB_HOST_CATEGORY[category]
        if needed is not None and not caller.scopes & wb_bit(WB_CATEGORY_POSITIONS[needed]):
            raise unauthorized(request, "token scope not allowed")
        info = route_info(request)
        if info is not None and info.write and caller.read_only:
            raise Reply(problem(request, READ_ONLY_STATUS, "unauthorized", READ_ONLY_DETAIL))
        self._take_quota(request, caller, info)
        return caller

    def _bucket(self, request: web.Request, caller: WbCaller, info: RouteInfo) -> TokenBucket:
        """The caller's bucket for the route's group (per seller, or per service for Service tokens)."""
        key: tuple = ("wildberries", caller.limit_account, info.group, caller.tier)
        if info.group == "ping":  # "applies individually to each instance of the method on each host"
            key += (category_of(request),)
        bucket = self.state.quotas.get(key)
        if bucket is None:
            limit = LIMITS[info.group][caller.tier]
            bucket = self.state.quotas[key] = TokenBucket(limit, float(limit.burst), self.state.now())
        return bucket

    def _take_quota(self, request: web.Request, caller: WbCaller, info: RouteInfo | None) -> None:
        if info is None:
            return
        bucket = self._bucket(request, caller, info)
        now = self.state.now()
        if not bucket.take(now, enforce=self.state.enforce_rate_limits):
            raise Reply(self._too_many(request, bucket.limit, bucket.retry_in(now), bucket.reset_in(now)))
        request[BUCKET] = bucket

    def _too_many(self, request: web.Request, limit: Limit, retry: int, reset: int) -> web.Response:
        headers = {"X-Ratelimit-Retry": str(retry), "X-Ratelimit-Limit": str(limit.burst),
                   "X-Ratelimit-Reset": str(reset)}
        return problem(request, 429, "too many requests", f"limited by {uuid.uuid4()}", headers=headers)

    def error(self, request: web.Request, status: int, message: str) -> web.Response:
        return problem(request, status, HTTPStatus(status).phrase.lower(), message)

    def rate_limited(self, request: web.Request) -> web.Response:
        info = route_info(request) or RouteInfo("ping")
        wait = INJECTED_RATE_LIMIT_WAIT
        return self._too_many(request, LIMITS[info.group][BASE], wait, wait)

    def finish(self, request: web.Request, response: web.StreamResponse) -> None:
        if response.status == 429:
            return
        now = self.state.now()
        bucket: TokenBucket | None = request.get(BUCKET)
        info = route_info(request)
        if bucket is not None and 400 <= response.status < 500 and info and info.group in MARKETPLACE_GROUPS:
            bucket.charge(ERROR_COST - 1, now)  # the request itself was counted on the way in
        if bucket is not None:
            remaining = bucket.remaining(now)
        else:  # refused before counting (auth, unknown route): nothing of the caller's was spent
            remaining = LIMITS[info.group][BASE].burst if info else LIMITS["fbs"][BASE].burst
        response.headers.setdefault("X-Ratelimit-Remaining", str(remaining))


# --------------------------------------------------------------------------------------------
# Request helpers
# --------------------------------------------------------------------------------------------
def _caller(request: web.Request) -> WbCaller:
    return request[ACCOUNT]


def _state(request: web.Request) -> SandboxState:
    return request.config_dict[STATE]


def _catalog(request: web.Request) -> Catalog:
    return _state(request).catalog("wildberries", _caller(request).seller.sid)


async def _body(request: web.Request, on_error: Callable[[], Reply]) -> Any:
    try:
        return await read_json_body(request)
    except ValueError:
        raise on_error() from None


def _int_param(request: web.Request, name: str, *, required: bool, default: int | None = None,
               on_error: Callable[[], Reply]) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        if required:
            raise on_error()
        return default
    try:
        return int(raw)
    except ValueError:
        raise on_error() from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _moscow(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, MOSCOW).replace(microsecond=0).isoformat()


def _moscow_naive(seconds: float) -> str:
    """Statistics dates: Moscow time without a zone."""
    return datetime.fromtimestamp(seconds, MOSCOW).strftime("%Y-%m-%dT%H:%M:%S")


def _incorrect_parameter() -> Reply:
    return wb_error(400, "IncorrectParameter", "Передан некорректный параметр")


def _incorrect_body() -> Reply:
    return wb_error(400, "IncorrectRequestBody", "Некорректное тело запроса")


# --------------------------------------------------------------------------------------------
# Handlers: general
# --------------------------------------------------------------------------------------------
async def ping(request: web.Request) -> web.Response:
    """GET https://{category}-api.wildberries.ru/ping"""
    ts = datetime.now(MOSCOW).replace(microsecond=0).isoformat()
    return json_response({"TS": ts, "Status": "OK"})


async def list_warehouses(request: web.Request) -> web.Response:
    """GET https://marketplace-api.wildberries.ru/api/v3/warehouses (schema Warehouse)."""
    return json_response(
        [
            {
                "name": w.name,
                "officeId": w.office_id,
                "id": w.id,
                "cargoType": w.cargo_type,
                "deliveryType": w.delivery_type,
                "isDeleting": False,
                "isProcessing": False,
            }
            for w in _caller(request).seller.warehouses
        ]
    )


async def seller_info(request: web.Request) -> web.Response:
    """GET https://common-api.wildberries.ru/api/v1/seller-info"""
    seller = _caller(request).seller
    return json_response({"name": seller.name, "sid": seller.sid, "tradeMark": seller.trade_mark})


# --------------------------------------------------------------------------------------------
# Handlers: content
# --------------------------------------------------------------------------------------------
def _updated_at(index: int) -> str:
    return (CARDS_EPOCH + timedelta(seconds=index)).isoformat(timespec="microseconds").replace("+00:00", "Z")


def card_json(product: Product) -> dict:
    return {
        "nmID": nm_id(product.index),
        "imtID": nm_id(product.index),
        "subjectID": 105,
        "subjectName": "Sandbox goods",
        "vendorCode": product.sku,
        "brand": "SellerCloudX Sandbox",
        "title": product.name,
        "needKiz": False,
        "sizes": [{"chrtID": chrt_id(product.index), "techSize": "0", "wbSize": "", "skus": [product.barcode]}],
        "createdAt": _updated_at(product.index),
        "updatedAt": _updated_at(product.index),
    }


def _card_indexes(catalog: Catalog, after: int | None, ascending: bool) -> Iterator[int]:
    """Listed products (not in the trash) after the cursor's product, in updatedAt order (= index order)."""
    if ascending:
        indexes: Iterator[int] = iter(range((after or 0) + 1, catalog.size + 1))
    else:
        indexes = iter(range((after if after is not None else catalog.size + 1) - 1, 0, -1))
    return (i for i in indexes if i not in catalog.archived)


async def cards_list(request: web.Request) -> web.Response:
    """POST https://content-api.wildberries.ru/content/v2/get/cards/list (cursor pagination)."""
    def bad(text: str = "Request body can not be decoded") -> Reply:
        return Reply(json_response({"data": None, "error": True, "errorText": text, "additionalErrors": None},
                                   status=400))

    body = await _body(request, bad)
    settings = body.get("settings") if isinstance(body, dict) else None
    settings = settings if isinstance(settings, dict) else {}
    cursor = settings.get("cursor") if isinstance(settings.get("cursor"), dict) else {}
    limit = cursor.get("limit", CARDS_DEFAULT_LIMIT)
    if not _is_int(limit) or not 1 <= limit <= CARDS_MAX_LIMIT:
        raise bad(f"cursor.limit must be 1..{CARDS_MAX_LIMIT}")
    sort = settings.get("sort") if isinstance(settings.get("sort"), dict) else {}
    catalog = _catalog(request)
    after = _index(cursor.get("nmID"), NM_ID_BASE, catalog) if "nmID" in cursor else None
    if "nmID" in cursor and after is None:
        raise bad("cursor.nmID is not a card of this seller")
    cards = []
    for index in _card_indexes(catalog, after, bool(sort.get("ascending", False))):
        cards.append(card_json(catalog.product(index)))
        if len(cards) == limit:
            break
    reply_cursor: dict[str, Any] = {"total": len(cards)}
    if cards:
        reply_cursor.update(updatedAt=cards[-1]["updatedAt"], nmID=cards[-1]["nmID"])
    elif "nmID" in cursor:
        reply_cursor.update(updatedAt=cursor.get("updatedAt"), nmID=cursor["nmID"])
    return json_response({"cards": cards, "cursor": reply_cursor})


# --------------------------------------------------------------------------------------------
# Handlers: stocks (seller warehouses)
# --------------------------------------------------------------------------------------------
def _warehouse(request: web.Request) -> str:
    """The {warehouseId} of the path, if it is one of the seller's warehouses."""
    raw = request.match_info["warehouseId"]
    if not raw.isdigit():
        raise _incorrect_parameter()
    if int(raw) not in {w.id for w in _caller(request).seller.warehouses}:
        raise wb_error(404, "NotFound", "Не найдено")
    return raw


async def read_stocks(request: web.Request) -> web.Response:
    """POST https://marketplace-api.wildberries.ru/api/v3/stocks/{warehouseId}"""
    warehouse = _warehouse(request)
    body = await _body(request, _incorrect_body)
    ids = body.get("chrtIds") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(_is_int(i) for i in ids):
        raise _incorrect_body()
    catalog = _catalog(request)
    stocks = []
    for chrt in ids:
        index = _index(chrt, CHRT_ID_BASE, catalog)
        if index is not None:
            stocks.append({"chrtId": chrt, "amount": catalog.get_stock(index, warehouse)})
    return json_response({"stocks": stocks})


async def update_stocks(request: web.Request) -> web.Response:
    """PUT https://marketplace-api.wildberries.ru/api/v3/stocks/{warehouseId}

    WB does not validate field names: an item without `chrtId` (e.g. the switched-off `{sku, amount}`) is
    ignored and the reply is still 204. Unknown chrtIds and amounts over 100,000 answer 409 naming the items,
    and then nothing is applied.
    """
    warehouse = _warehouse(request)
    body = await _body(request, _incorrect_body)
    items = body.get("stocks") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise _incorrect_body()
    if len(items) > STOCKS_MAX_ITEMS:
        raise too_many_stock_items()
    catalog = _catalog(request)
    updates, unknown, too_large = [], [], []
    for item in items:
        if "chrtId" not in item:
            continue  # the 204-and-nothing-changed trap
        chrt, amount = item["chrtId"], item.get("amount")
        if not _is_int(chrt) or not _is_int(amount) or amount < 0:
            raise wb_error(400, "IncorrectRequest", "Переданы некорректные данные")
        index = _index(chrt, CHRT_ID_BASE, catalog)
        if index is None:
            unknown.append({"chrtId": chrt, "amount": amount})
        elif amount > STOCK_MAX_AMOUNT:
            too_large.append({"chrtId": chrt, "amount": amount})
        else:
            updates.append((index, amount))
    errors = []
    if unknown:
        errors.append({"code": "NotFound", "message": "Not found", "data": unknown})
    if too_large:
        errors.append({"code": "UploadDataLimit", "message": "Upload limit exceeded.", "data": too_large})
    if errors:
        raise Reply(json_response(errors, status=409))
    for index, amount in updates:
        catalog.set_stock(index, amount, warehouse)
    return web.Response(status=204)


# --------------------------------------------------------------------------------------------
# Handlers: prices and discounts
# --------------------------------------------------------------------------------------------
def _discount(request: web.Request, index: int) -> int:
    return wb_book(_state(request)).discounts.get((_caller(request).seller.sid, index), 0)


def goods_json(request: web.Request, index: int) -> dict:
    catalog = _catalog(request)
    price, discount = catalog.get_price(index), _discount(request, index)
    discounted = round(price * (100 - discount) / 100, 2)
    return {
        "nmID": nm_id(index),
        "vendorCode": catalog.product(index).sku,
        "sizes": [{"sizeID": chrt_id(index), "price": price, "discountedPrice": discounted,
                   "clubDiscountedPrice": discounted, "techSizeName": "0"}],
        "currencyIsoCode4217": "RUB",
        "discount": discount,
        "clubDiscount": 0,
        "editableSizePrice": False,
    }


def _invalid_parameters() -> Reply:
    return prices_error("Invalid request parameters")


def _process_due_tasks(request: web.Request) -> None:
    """Apply every price task of this seller whose processing time has come (tasks are asynchronous)."""
    state, sid = _state(request), _caller(request).seller.sid
    now = state.now()
    for task in wb_book(state).tasks.values():
        if task.sid == sid and task.results is None and now >= task.uploaded_at + PRICE_TASK_DELAY:
            task.results = [_apply_good(request, good) for good in task.goods]


def _apply_good(request: web.Request, good: dict) -> dict:
    """One good of a task: a new discounted price at least 3 times lower than the current one goes to price
    quarantine (the old price stays); otherwise price and discount are set."""
    catalog, book, sid = _catalog(request), wb_book(_state(request)), _caller(request).seller.sid
    index = _index(good["nmID"], NM_ID_BASE, catalog)
    row = {"nmID": good["nmID"], "vendorCode": "", "sizeID": 0, "techSizeName": "0",
           "price": good.get("price", 0), "currencyIsoCode4217": "RUB", "discount": good.get("discount", 0),
           "clubDiscount": 0, "status": 2, "errorText": ""}
    if index is None:
        return {**row, "status": 3, "errorText": "Invalid item No."}
    old_price, old_discount = catalog.get_price(index), book.discounts.get((sid, index), 0)
    price, discount = good.get("price", old_price), good.get("discount", old_discount)
    row.update(vendorCode=catalog.product(index).sku, sizeID=chrt_id(index), price=price, discount=discount)
    if price * (100 - discount) * 3 <= old_price * (100 - old_discount):
        text = "The new price is several times lower than the current price. Item has been moved to Price Quarantine"
        return {**row, "status": 3, "errorText": text}
    catalog.set_price(index, price)
    book.discounts[(sid, index)] = discount
    return row


async def list_goods(request: web.Request) -> web.Response:
    """GET https://discounts-prices-api.wildberries.ru/api/v2/list/goods/filter (limit <= 1000, offset)."""
    _process_due_tasks(request)
    limit = _int_param(request, "limit", required=True, on_error=_invalid_parameters)
    offset = _int_param(request, "offset", required=False, default=0, on_error=_invalid_parameters)
    only = _int_param(request, "filterNmID", required=False, on_error=_invalid_parameters)
    if not 1 <= limit <= PRICES_MAX_LIMIT or offset < 0:
        raise _invalid_parameters()
    catalog = _catalog(request)
    if only is not None:
        index = _index(only, NM_ID_BASE, catalog)
        indexes = [index] if index is not None else []
    else:
        indexes = [p.index for p in catalog.page(offset, limit)]
    return json_response({"data": {"listGoods": [goods_json(request, i) for i in indexes]},
                          "error": False, "errorText": ""})


async def filter_goods(request: web.Request) -> web.Response:
    """POST https://discounts-prices-api.wildberries.ru/api/v2/list/goods/filter ({"nmList": [...]} <= 1000)."""
    _process_due_tasks(request)
    body = await _body(request, _invalid_parameters)
    nm_list = body.get("nmList") if isinstance(body, dict) else None
    if not isinstance(nm_list, list) or not 1 <= len(nm_list) <= PRICES_MAX_GOODS or not all(map(_is_int, nm_list)):
        raise _invalid_parameters()
    catalog = _catalog(request)
    indexes = [i for i in (_index(nm, NM_ID_BASE, catalog) for nm in nm_list) if i is not None]
    return json_response({"data": {"listGoods": [goods_json(request, i) for i in indexes]},
                          "error": False, "errorText": ""})


def _check_goods(request: web.Request, goods: Any) -> list[dict]:
    """upload/task validation in the order of the spec's 400 examples."""
    if not isinstance(goods, list) or not all(isinstance(g, dict) for g in goods):
        raise prices_error("Invalid data format")
    if not goods:
        raise prices_error("Empty data")
    if len(goods) > PRICES_MAX_GOODS:
        # The spec's own example text (its description says to read it as 1000 items).
        raise prices_error("Upload limit exceeded: You can upload a maximum of 10 000 items")
    ids = [g.get("nmID") for g in goods]
    if not all(map(_is_int, ids)):
        raise prices_error("Invalid item No.")
    if len(set(ids)) != len(ids):
        raise prices_error("Duplicate item Nos.")
    for good in goods:
        price, discount = good.get("price"), good.get("discount")
        if price is None and discount is None:
            raise prices_error("Price and discount not specified")
        if isinstance(price, float):
            raise prices_error("Price should be a whole number")
        if price is not None and (not _is_int(price) or price <= 0):
            raise prices_error("Invalid price value")
        if discount is not None and (not _is_int(discount) or not 0 <= discount <= 99):
            raise prices_error("Invalid discount value")
    catalog, sid, book = _catalog(request), _caller(request).seller.sid, wb_book(_state(request))
    known = [g for g in goods if _index(g["nmID"], NM_ID_BASE, catalog) is not None]
    if not known:
        raise prices_error("All item Nos. are specified incorrectly, or the specified prices and discounts are "
                           "already set")

    def unchanged(good: dict) -> bool:
        index = _index(good["nmID"], NM_ID_BASE, catalog)
        return (good.get("price", catalog.get_price(index)) == catalog.get_price(index)
                and good.get("discount", 0) == book.discounts.get((sid, index), 0))

    if len(known) == len(goods) and all(map(unchanged, goods)):
        raise prices_error("The specified prices and discounts are already set")
    return goods


async def upload_task(request: web.Request) -> web.Response:
    """POST https://discounts-prices-api.wildberries.ru/api/v2/upload/task -> a task processed asynchronously."""
    _process_due_tasks(request)
    body = await _body(request, lambda: prices_error("Invalid data format"))
    goods = _check_goods(request, body.get("data") if isinstance(body, dict) else None)
    state, sid = _state(request), _caller(request).seller.sid
    book = wb_book(state)
    for task in book.tasks.values():
        if task.sid == sid and task.results is None and task.goods == goods:
            return json_response({"data": {"id": task.id, "alreadyExists": True}, "error": False,
                                  "errorText": "This task already exists"}, status=208)
    task = PriceTask(book.next_task, sid, goods, uploaded_at=state.now(), upload_date=state.clock())
    book.tasks[task.id] = task
    book.next_task += 1
    return json_response({"data": {"id": task.id, "alreadyExists": False}, "error": False, "errorText": ""})


def _own_task(request: web.Request) -> PriceTask | None:
    upload_id = _int_param(request, "uploadID", required=True, on_error=_invalid_parameters)
    task = wb_book(_state(request)).tasks.get(upload_id)
    return task if task is not None and task.sid == _caller(request).seller.sid else None


def _task_json(task: PriceTask, status: int) -> dict:
    done = task.results is not None
    return {"uploadID": task.id, "status": status, "uploadDate": _moscow(task.upload_date),
            "activationDate": _moscow(task.upload_date), "overAllGoodsNumber": len(task.goods),
            "successGoodsNumber": sum(1 for r in task.results if r["status"] == 2) if done else 0}


async def history_tasks(request: web.Request) -> web.Response:
    """GET …/api/v2/history/tasks?uploadID= — a processed task (data null while it is still processing)."""
    _process_due_tasks(request)
    task = _own_task(request)
    data = _task_json(task, task.status) if task is not None and task.results is not None else None
    return json_response({"data": data, "error": False, "errorText": ""})


async def buffer_tasks(request: web.Request) -> web.Response:
    """GET …/api/v2/buffer/tasks?uploadID= — a task still processing (status 1), else data null."""
    _process_due_tasks(request)
    task = _own_task(request)
    data = _task_json(task, 1) if task is not None and task.results is None else None
    return json_response({"data": data, "error": False, "errorText": ""})


async def history_goods(request: web.Request) -> web.Response:
    """GET …/api/v2/history/goods/task?uploadID=&limit=&offset= — per-good results of a processed task."""
    _process_due_tasks(request)
    limit = _int_param(request, "limit", required=True, on_error=_invalid_parameters)
    offset = _int_param(request, "offset", required=False, default=0, on_error=_invalid_parameters)
    if not 1 <= limit <= PRICES_MAX_LIMIT or offset < 0:
        raise _invalid_parameters()
    task = _own_task(request)
    rows = (task.results or []) if task is not None else []
    upload_id = task.id if task is not None else int(request.query["uploadID"])
    return json_response({"data": {"uploadID": upload_id, "historyGoods": rows[offset:offset + limit]}})


# --------------------------------------------------------------------------------------------
# Handlers: FBS orders and supplies
# --------------------------------------------------------------------------------------------
# The neutral lifecycle in WB's words: (supplierStatus, wbStatus).
WB_STATUS = {
    Lifecycle.NEW: ("new", "waiting"),
    Lifecycle.CONFIRMED: ("confirm", "waiting"),
    Lifecycle.SHIPPED: ("complete", "waiting"),
    Lifecycle.DELIVERED: ("complete", "sold"),
    Lifecycle.CANCELLED: ("cancel", "canceled"),
    # WB's FBS statuses have no word for goods the buyer sent back after receiving them: the task stays sold, and
    # the return shows only in the reports (sales `R…` rows, the finance detail's "Возврат").
    Lifecycle.RETURNED: ("complete", "sold"),
}


@dataclass(frozen=True)
class TaskView:
    """One unit of a sandbox order, as WB's assembly task."""

    order: SandboxOrder
    unit: int  # 1-based
    index: int  # the product

    @property
    def id(self) -> int:
        return self.order.id * TASK_ID_FACTOR + self.unit


def _units(order: SandboxOrder) -> Iterator[TaskView]:
    lines = (line.index for line in order.lines for _ in range(line.quantity))
    for unit, index in enumerate(lines, start=1):
        if unit >= TASK_ID_FACTOR:
            return
        yield TaskView(order, unit, index)


def _fbs_orders(request: web.Request) -> list[SandboxOrder]:
    state, sid = _state(request), _caller(request).seller.sid
    return [o for o in state.orders.of("wildberries", sid) if o.scheme == "FBS"]


def _tasks(request: web.Request) -> list[TaskView]:
    return [task for order in _fbs_orders(request) for task in _units(order)]


def _find_order(request: web.Request, task_id: int) -> SandboxOrder | None:
    order = _state(request).orders.orders.get(task_id // TASK_ID_FACTOR)
    if order is None or order.marketplace != "wildberries" or order.account != _caller(request).seller.sid:
        return None
    if order.scheme != "FBS" or not any(t.id == task_id for t in _units(order)):
        return None
    return order


def task_json(request: web.Request, task: TaskView, *, new: bool = False) -> dict:
    """Schema Order (GET /api/v3/orders) or OrderNew (GET /api/v3/orders/new)."""
    order, catalog = task.order, _catalog(request)
    product = catalog.product(task.index) if task.index in catalog else None
    price = next(line.price for line in order.lines if line.index == task.index) * 100  # kopecks
    seller = _caller(request).seller
    warehouse = next((w for w in seller.warehouses if str(w.id) == str(order.shop_id)), seller.warehouses[0])
    body = {
        "address": None,
        "scanPrice": None,
        "deliveryType": "fbs",
        "orderUid": f"sbx-{order.id}",
        "article": product.sku if product else "",
        "colorCode": "",
        "rid": f"sbx.{task.id}.0",
        "createdAt": _rfc3339(order.created_at),
        "offices": ["Подольск"],
        "skus": [product.barcode] if product else [],
        "id": task.id,
        "warehouseId": warehouse.id,
        "officeId": warehouse.office_id,
        "nmId": nm_id(task.index),
        "chrtId": chrt_id(task.index),
        "price": price,
        "convertedPrice": price,
        "currencyCode": 643,
        "convertedCurrencyCode": 643,
        "cargoType": 1,
        "crossBorderType": 0,
        "comment": "",
        "isZeroOrder": False,
        "options": {"isB2b": False},
    }
    if new:
        body.update(salePrice=price, finalPrice=price, convertedFinalPrice=price, requiredMeta=[], optionalMeta=[])
    else:
        supply = wb_book(_state(request)).order_supply.get(order.id)
        if supply is not None:
            body["supplyId"] = supply
    return body


async def new_orders(request: web.Request) -> web.Response:
    """GET https://marketplace-api.wildberries.ru/api/v3/orders/new"""
    tasks = [t for t in _tasks(request) if t.order.status == Lifecycle.NEW]
    return json_response({"orders": [task_json(request, t, new=True) for t in tasks]})


async def list_orders(request: web.Request) -> web.Response:
    """GET …/api/v3/orders?limit=&next=&dateFrom=&dateTo= (created in the period, <= 30 days; ids after `next`)."""
    now = _state(request).orders.clock()
    limit = _int_param(request, "limit", required=True, on_error=_incorrect_parameter)
    after = _int_param(request, "next", required=True, on_error=_incorrect_parameter)
    date_from = _int_param(request, "dateFrom", required=False, default=int(now) - ORDERS_MAX_SPAN,
                           on_error=_incorrect_parameter)
    date_to = _int_param(request, "dateTo", required=False, default=int(now) + 1, on_error=_incorrect_parameter)
    if not 1 <= limit <= ORDERS_MAX_LIMIT or after < 0 or date_to - date_from > ORDERS_MAX_SPAN + 1:
        raise _incorrect_parameter()
    tasks = sorted((t for t in _tasks(request) if date_from <= t.order.created_at <= date_to and t.id > after),
                   key=lambda t: t.id)[:limit]
    return json_response({"next": tasks[-1].id if tasks else after,
                          "orders": [task_json(request, t) for t in tasks]})


async def order_statuses(request: web.Request) -> web.Response:
    """POST …/api/v3/orders/status ({"orders": [ids]} <= 1000)."""
    body = await _body(request, _incorrect_body)
    ids = body.get("orders") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not 1 <= len(ids) <= STATUS_MAX_IDS or not all(map(_is_int, ids)):
        raise _incorrect_body()
    statuses = []
    for task_id in ids:
        order = _find_order(request, task_id)
        if order is not None:
            supplier, wb = WB_STATUS[order.status]
            statuses.append({"id": task_id, "supplierStatus": supplier, "wbStatus": wb})
    return json_response({"orders": statuses})


def _task_id(request: web.Request) -> int:
    raw = request.match_info["orderId"]
    if not raw.isdigit():
        raise _incorrect_parameter()
    return int(raw)


async def cancel_order(request: web.Request) -> web.Response:
    """PATCH …/api/v3/orders/{orderId}/cancel: new / confirm -> cancel (and out of its supply)."""
    order = _find_order(request, _task_id(request))
    if order is None:
        raise wb_error(404, "NotFound", "Не найдено")
    if order.status not in (Lifecycle.NEW, Lifecycle.CONFIRMED):
        raise wb_error(409, "StatusMismatch", "Несоответствие статусов, проверьте их правильность")
    _state(request).orders.set_status(order.id, Lifecycle.CANCELLED)
    wb_book(_state(request)).order_supply.pop(order.id, None)
    return web.Response(status=204)


def supply_json(supply: WbSupply) -> dict:
    return {"id": supply.id, "isB2b": False, "done": supply.done, "createdAt": _rfc3339(supply.created_at),
            "closedAt": _rfc3339(supply.closed_at) if supply.closed_at else None, "scanDt": None,
            "name": supply.name, "cargoType": supply.cargo_type, "crossBorderType": 0, "destinationOfficeId": None}


def _own_supply(request: web.Request) -> WbSupply:
    supply = wb_book(_state(request)).supplies.get(request.match_info["supplyId"])
    if supply is None or supply.sid != _caller(request).seller.sid:
        raise wb_error(404, "NotFound", "Не найдено")
    return supply


async def create_supply(request: web.Request) -> web.Response:
    """POST …/api/v3/supplies {"name"} -> 201 {"id"}."""
    body = await _body(request, _incorrect_body)
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not 1 <= len(name) <= SUPPLY_NAME_MAX:
        raise _incorrect_body()
    state = _state(request)
    book = wb_book(state)
    supply = WbSupply(f"{SUPPLY_PREFIX}{book.next_supply}", _caller(request).seller.sid, name, state.orders.clock())
    book.supplies[supply.id] = supply
    book.next_supply += 1
    return json_response({"id": supply.id}, status=201)


async def list_supplies(request: web.Request) -> web.Response:
    """GET …/api/v3/supplies?limit=&next= (by creation; `next` is the last supply's number)."""
    limit = _int_param(request, "limit", required=True, on_error=_incorrect_parameter)
    after = _int_param(request, "next", required=True, on_error=_incorrect_parameter)
    if not 1 <= limit <= ORDERS_MAX_LIMIT or after < 0:
        raise _incorrect_parameter()
    sid = _caller(request).seller.sid
    mine = (s for s in wb_book(_state(request)).supplies.values() if s.sid == sid and _supply_number(s) > after)
    page = sorted(mine, key=_supply_number)[:limit]
    return json_response({"next": _supply_number(page[-1]) if page else after,
                          "supplies": [supply_json(s) for s in page]})


def _supply_number(supply: WbSupply) -> int:
    return int(supply.id.removeprefix(SUPPLY_PREFIX))


async def get_supply(request: web.Request) -> web.Response:
    """GET …/api/v3/supplies/{supplyId}"""
    return json_response(supply_json(_own_supply(request)))


async def add_to_supply(request: web.Request) -> web.Response:
    """PATCH …/api/marketplace/v3/supplies/{supplyId}/orders ({"orders": [ids]} <= 100): -> confirm."""
    supply = _own_supply(request)
    body = await _body(request, _incorrect_parameter)
    ids = body.get("orders") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not 1 <= len(ids) <= SUPPLY_MAX_ORDERS or not all(map(_is_int, ids)):
        raise _incorrect_parameter()
    orders = [_find_order(request, task_id) for task_id in ids]
    refused = supply.done or any(o is None or o.status not in (Lifecycle.NEW, Lifecycle.CONFIRMED) for o in orders)
    if refused:
        raise wb_error(409, "FailedToAddSupplyOrder", "Не удалось закрепить сборочное задание за поставкой. "
                       "Убедитесь, что сборочное задание и поставка удовлетворяют всем необходимым требованиям.")
    state = _state(request)
    for order in orders:
        state.orders.set_status(order.id, Lifecycle.CONFIRMED)
        wb_book(state).order_supply[order.id] = supply.id
    supply.cargo_type = supply.cargo_type or 1  # every sandbox task is cargoType 1
    return web.Response(status=204)


async def deliver_supply(request: web.Request) -> web.Response:
    """PATCH …/api/v3/supplies/{supplyId}/deliver: close it; its orders -> complete (shipped)."""
    supply = _own_supply(request)
    state = _state(request)
    book = wb_book(state)
    members = [oid for oid, sid in book.order_supply.items() if sid == supply.id]
    if supply.done:  # UNCONFIRMED: the spec shows no example for delivering a closed supply
        raise wb_error(409, "StatusMismatch", "Несоответствие статусов, проверьте их правильность")
    if not members:
        raise wb_error(409, "SupplyHasZeroOrders", "Не удалось обработать поставку. Убедитесь, что за ней "
                       "закреплён хотя бы одно сборочное задание.")
    for oid in members:
        if state.orders.orders[oid].status == Lifecycle.CONFIRMED:
            state.orders.set_status(oid, Lifecycle.SHIPPED)
    supply.done, supply.closed_at = True, state.orders.clock()
    return web.Response(status=204)


# --------------------------------------------------------------------------------------------
# Handlers: statistics
# --------------------------------------------------------------------------------------------
def _statistics_error(text: str) -> Reply:
    return Reply(json_response({"errors": [text]}, status=400))


def _date_from(raw: str | None) -> float:
    """`dateFrom`: RFC 3339 date or date-time; without a zone it is Moscow time."""
    if not raw:
        raise _statistics_error("dateFrom: field required")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Reply(json_response({"errors": "dateFrom: Value not validated"}, status=400)) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=MOSCOW)).timestamp()


def sale_rows(request: web.Request, order: SandboxOrder) -> list[dict]:
    """A delivered order's units as sales report rows (`S…`), plus returns (`R…`) when `extra["returned"]`.

    The sign of return amounts is UNCONFIRMED (here negative)."""
    catalog, seller = _catalog(request), _caller(request).seller
    rows = []
    for task in _units(order):
        product = catalog.product(task.index) if task.index in catalog else None
        price = next(line.price for line in order.lines if line.index == task.index)
        stamp = _moscow_naive(order.updated_at)
        row = {"date": stamp, "lastChangeDate": stamp, "warehouseName": seller.warehouses[0].name,
               "warehouseType": "Склад продавца", "countryName": "Россия", "oblastOkrugName": "",
               "regionName": "", "supplierArticle": product.sku if product else "", "nmId": nm_id(task.index),
               "barcode": product.barcode if product else "", "category": "", "subject": "Sandbox goods",
               "brand": "SellerCloudX Sandbox", "techSize": "0", "incomeID": 0, "isSupply": False,
               "isRealization": True, "totalPrice": price, "discountPercent": 0, "spp": 0, "paymentSaleAmount": 0,
               "forPay": round(price * 0.85, 2), "finishedPrice": price, "priceWithDisc": price,
               "saleID": f"S{task.id}", "sticker": "", "gNumber": f"sbx-{order.id}", "srid": f"sbx.{task.id}.0"}
        rows.append(row)
        if order.extra.get("returned") or order.status == Lifecycle.RETURNED:
            rows.append({**row, "saleID": f"R{task.id}", "forPay": -row["forPay"], "finishedPrice": -price,
                         "priceWithDisc": -price, "totalPrice": -price})
    return rows


async def supplier_sales(request: web.Request) -> web.Response:
    """GET https://statistics-api.wildberries.ru/api/v1/supplier/sales?dateFrom=&flag=

    flag=0: rows changed at or after dateFrom (up to ~80,000, oldest first); flag=1: every row of that day."""
    since = _date_from(request.query.get("dateFrom"))
    flag = request.query.get("flag", "0")
    state, sid = _state(request), _caller(request).seller.sid
    delivered = [o for o in state.orders.of("wildberries", sid) if o.status in SOLD]
    rows = [row for order in delivered for row in sale_rows(request, order)]
    if flag == "1":
        day = datetime.fromtimestamp(since, MOSCOW).date().isoformat()
        rows = [r for r in rows if r["date"].startswith(day)]
    else:
        floor = _moscow_naive(since)
        rows = [r for r in rows if r["lastChangeDate"] >= floor]
    rows.sort(key=lambda r: r["lastChangeDate"])
    return json_response(rows[:SALES_MAX_ROWS])


# --------------------------------------------------------------------------------------------
# Handlers: finance (the sales report detail, figures from sandbox.marketplaces.fees)
# --------------------------------------------------------------------------------------------
FINANCE_MAX_ROWS = 100_000  # `limit` maximum
# UNCONFIRMED (as the connector's WB_FINANCE_MAX_DAYS): the longest period one request may ask.
FINANCE_MAX_DAYS = 31
FINANCE_PERIODS = ("daily", "weekly")
# rrdId of a row: the order's task id and the row's place (sale, its logistics, the return, its logistics), so
# a row keeps its id across re-reads; storage rows of day N after these.
_ROW_PLACES = 10
STORAGE_RRD_BASE = 10**13


def _finance_error(detail: str) -> Reply:
    """A 400 in the shape of response400FinancialReports (problem+json)."""
    body = {"title": "GetReportDetailByPeriodNB decode error", "detail": detail, "origin": "open-api-finreports",
            "requestId": str(uuid.uuid4()), "status": 400}
    return Reply(json_response(body, status=400, content_type="application/problem+json"))


def _report_day(raw: Any, name: str) -> date:
    """`dateFrom` / `dateTo`: an RFC 3339 date or a zoneless date-time (Moscow time)."""
    if not isinstance(raw, str) or not raw:
        raise _finance_error(f"missing {name} params")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _finance_error(f"invalid {name}") from None
    return (moment.astimezone(MOSCOW) if moment.tzinfo else moment).date()


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _blank_row(first: date, last: date, stamp: str) -> dict:
    """A report row with every field of SalesReportsDetailedRes (the schema requires nearly all), money "0"."""
    zero, day, end = "0", first.isoformat(), last.isoformat()
    return {
        "acquiringBank": "", "acquiringFee": zero, "acquiringPercent": 0, "additionalPayment": zero,
        "articleSubstitution": "", "b2bCustomerTin": "", "brandName": "SellerCloudX Sandbox", "cashbackAmount": zero,
        "cashbackCommissionChange": zero, "cashbackDiscount": zero, "commissionPercent": 0, "country": "Россия",
        "createDate": end, "currency": "RUB", "dateFrom": day, "dateTo": end, "declarationNumber": "",
        "deduction": zero, "deliveryAmount": 0, "deliveryMethod": "FBS", "deliveryService": zero, "dlvPrc": 0,
        "docTypeName": "", "fixTariffDateFrom": day, "fixTariffDateTo": end, "forPay": zero, "giBoxTypeName": "",
        "giId": 0, "installmentCofinancingAmount": zero, "isB2b": False, "isKgvpV2": 0, "kvw": 0, "kvwBase": 0,
        "loyaltyDiscount": 0, "loyaltyId": 0, "nmId": 0, "officeName": "", "orderDt": stamp, "orderId": 0,
        "orderUid": "", "paidAcceptance": zero, "paidStorage": zero, "paidWithSocialCertificate": False,
        "paymentProcessing": "", "paymentSchedule": zero, "penalty": zero, "ppvzOfficeId": 0, "ppvzOfficeName": "",
        "ppvzReward": zero, "ppvzSalesCommission": zero, "ppvzSupplierInn": "", "ppvzSupplierName": "",
        "productDiscountForReport": 0, "quantity": 0, "rebillLogisticCost": zero, "reportId": 0, "reportType": 1,
        "retailAmount": zero, "retailPrice": zero, "retailPriceWithDisc": zero, "returnAmount": 0, "rrDate": day,
        "rrdId": 0, "saleDt": stamp, "salePercent": 0, "salePriceAffiliatedDiscountPrc": 0,
        "salePricePromocodeDiscountPrc": 0, "salePriceWholesaleDiscountPrc": 0, "sellerOperName": "",
        "sellerPromo": "", "sellerPromoDiscount": 0, "sellerPromoId": 0, "shkId": 0, "sku": "", "spp": 0, "srid": "",
        "srvDbs": False, "stickerId": "", "subjectName": "Sandbox goods", "supRatingUp": 0, "techSize": "0",
        "title": "", "trbxId": "", "uuidPromocode": "", "vendorCode": "", "vw": zero, "vwNds": zero,
        "warehouseLogisticsCoeff": 0, "wibesDiscountPercent": 0,
    }


def report_rows(request: web.Request, first: date, last: date) -> list[dict]:
    """The seller's sales report detail for [first, last]: per line of each delivered / returned order the sale
    (its commission is what WB keeps of `forPay`) and the delivery, a returned one also the refund and the return
    delivery, on the day of the order's last change; a storage row for each day up to today."""
    state, seller, catalog = _state(request), _caller(request).seller, _catalog(request)
    base = _blank_row(first, last, _rfc3339(datetime.combine(last, datetime.min.time(), MOSCOW).timestamp()))
    base["officeName"] = seller.warehouses[0].name
    rows: list[dict] = []
    for order in state.orders.of("wildberries", seller.sid):
        if order.scheme != "FBS" or order.status not in SOLD:
            continue
        day = booked_on(order, MOSCOW)
        if not first <= day <= last:
            continue
        units = list(_units(order))
        for line in order.lines:
            figures = line_figures("wildberries", order, line)
            task = next((t for t in units if t.index == line.index), None)
            if figures is None or task is None:
                continue
            product = catalog.product(line.index) if line.index in catalog else None
            goods = {**base, "rrDate": day.isoformat(), "orderId": task.id, "srid": f"sbx.{task.id}.0",
                     "orderUid": f"sbx-{order.id}", "ppvzSalesCommission": _money(figures.commission),
                     "nmId": nm_id(line.index), "vendorCode": product.sku if product else "",
                     "sku": product.barcode if product else "", "title": product.name if product else "",
                     "orderDt": _rfc3339(order.created_at), "saleDt": _rfc3339(order.updated_at or order.created_at),
                     "retailPrice": _money(Decimal(line.price)), "retailPriceWithDisc": _money(Decimal(line.price)),
                     "commissionPercent": float(RATES["wildberries"].commission * 100)}
            rrd = task.id * _ROW_PLACES
            rows.append({**goods, "rrdId": rrd + 1, "docTypeName": "Продажа", "sellerOperName": "Продажа",
                         "quantity": line.quantity, "retailAmount": _money(figures.revenue),
                         "forPay": _money(figures.revenue - figures.commission)})
            rows.append({**goods, "rrdId": rrd + 2, "sellerOperName": "Логистика", "deliveryAmount": line.quantity,
                         "deliveryService": _money(figures.logistics)})
            if order.status == Lifecycle.RETURNED:
                # WB keeps its commission on a return here (fees.LineFigures.payout): the whole refund is taken back
                rows.append({**goods, "rrdId": rrd + 3, "docTypeName": "Возврат", "sellerOperName": "Возврат",
                             "quantity": line.quantity, "retailAmount": _money(figures.refund),
                             "forPay": _money(figures.refund)})
                rows.append({**goods, "rrdId": rrd + 4, "sellerOperName": "Логистика",
                             "returnAmount": line.quantity, "deliveryService": _money(figures.return_logistics)})
    today = datetime.fromtimestamp(state.orders.clock(), MOSCOW).date()
    for day in storage_days(first, min(last, today)):
        rows.append({**base, "rrdId": STORAGE_RRD_BASE + day.toordinal(), "rrDate": day.isoformat(),
                     "sellerOperName": "Хранение", "paidStorage": _money(storage_fee("wildberries"))})
    return sorted(rows, key=lambda r: r["rrdId"])


async def sales_report_detail(request: web.Request) -> web.Response:
    """POST https://finance-api.wildberries.ru/api/finance/v1/sales-reports/detailed
    {dateFrom, dateTo, limit <= 100000, rrdId, period}: rows after `rrdId`, oldest id first; 204 when none."""
    body = await _body(request, lambda: _finance_error("request body can not be decoded"))
    if not isinstance(body, dict):
        raise _finance_error("request body can not be decoded")
    first, last = _report_day(body.get("dateFrom"), "dateFrom"), _report_day(body.get("dateTo"), "dateTo")
    limit, after = body.get("limit", FINANCE_MAX_ROWS), body.get("rrdId", 0)
    period = body.get("period", "weekly")
    if not _is_int(limit) or not 1 <= limit <= FINANCE_MAX_ROWS or not _is_int(after) or after < 0:
        raise _finance_error(f"limit must be 1..{FINANCE_MAX_ROWS}, rrdId a row id")
    if period not in FINANCE_PERIODS:
        raise _finance_error("period must be daily or weekly")
    if last < first or (last - first).days >= FINANCE_MAX_DAYS:
        raise _finance_error(f"the period must be 1..{FINANCE_MAX_DAYS} days")
    rows = [row for row in report_rows(request, first, last) if row["rrdId"] > after][:limit]
    if not rows:
        return web.Response(status=204)
    return json_response(rows)


# --------------------------------------------------------------------------------------------
# The app
# --------------------------------------------------------------------------------------------
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _fbs(*, write: bool = False) -> RouteInfo:
    """A route of 03-orders-fbs.yaml: the FBS orders / supplies limit group, plain-JSON auth errors."""
    return RouteInfo("fbs", write=write, plain_problem=True)


# (method, path under /wb, handler, route name, what the route is)
ROUTES: list[tuple[str, str, Handler, str, RouteInfo]] = [
    ("GET", "/{category}/ping", ping, "ping", RouteInfo("ping")),
    ("GET", "/common/api/v1/seller-info", seller_info, "seller-info", RouteInfo("seller-info")),
    ("GET", "/marketplace/api/v3/warehouses", list_warehouses, "warehouses", RouteInfo("warehouses")),
    ("POST", "/content/content/v2/get/cards/list", cards_list, "cards-list", RouteInfo("content")),
    ("POST", "/marketplace/api/v3/stocks/{warehouseId}", read_stocks, "stocks-read", RouteInfo("stocks")),
    ("PUT", "/marketplace/api/v3/stocks/{warehouseId}", update_stocks, "stocks-update",
     RouteInfo("stocks", write=True)),
    ("GET", "/discounts-prices/api/v2/list/goods/filter", list_goods, "goods-list", RouteInfo("prices")),
    ("POST", "/discounts-prices/api/v2/list/goods/filter", filter_goods, "goods-filter", RouteInfo("prices")),
    ("POST", "/discounts-prices/api/v2/upload/task", upload_task, "upload-task", RouteInfo("prices", write=True)),
    ("GET", "/discounts-prices/api/v2/history/tasks", history_tasks, "history-tasks", RouteInfo("prices")),
    ("GET", "/discounts-prices/api/v2/history/goods/task", history_goods, "history-goods", RouteInfo("prices")),
    ("GET", "/discounts-prices/api/v2/buffer/tasks", buffer_tasks, "buffer-tasks", RouteInfo("prices")),
    ("GET", "/marketplace/api/v3/orders/new", new_orders, "orders-new", _fbs()),
    ("GET", "/marketplace/api/v3/orders", list_orders, "orders", _fbs()),
    ("POST", "/marketplace/api/v3/orders/status", order_statuses, "orders-status", _fbs()),
    ("PATCH", "/marketplace/api/v3/orders/{orderId}/cancel", cancel_order, "order-cancel",
     RouteInfo("cancel", write=True, plain_problem=True)),
    ("POST", "/marketplace/api/v3/supplies", create_supply, "supply-create", _fbs(write=True)),
    ("GET", "/marketplace/api/v3/supplies", list_supplies, "supplies", _fbs()),
    ("GET", "/marketplace/api/v3/supplies/{supplyId}", get_supply, "supply", _fbs()),
    ("PATCH", "/marketplace/api/marketplace/v3/supplies/{supplyId}/orders", add_to_supply, "supply-add",
     _fbs(write=True)),
    ("PATCH", "/marketplace/api/v3/supplies/{supplyId}/deliver", deliver_supply, "supply-deliver",
     _fbs(write=True)),
    ("GET", "/statistics/api/v1/supplier/sales", supplier_sales, "sales", RouteInfo("sales")),
    ("POST", "/finance/api/finance/v1/sales-reports/detailed", sales_report_detail, "finance-detailed",
     RouteInfo("finance-reports")),
]


def build_wildberries_app(state: SandboxState, controls: Controls) -> web.Application:
    app = marketplace_app(
        WildberriesDialect(state),
        controls,
        state,
        [web.route(method, path, handler, name=name) for method, path, handler, name, _ in ROUTES],
    )
    app[ROUTE_INFO] = {name: info for _, _, _, name, info in ROUTES}
    return app
