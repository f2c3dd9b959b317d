"""Yandex Market Partner API stand-in, mounted at /yandex (real base: https://api.partner.market.yandex.ru).

Spec: specs/yandex/partner-api/openapi. Errors: `{"status": "ERROR", "errors": [{"code", "message"}]}`.
Served (operationId in brackets), backed by the shared Catalog and OrderBook (catalog.py):

- connection: GET /v2/campaigns [getCampaigns], GET /v2/campaigns/{campaignId} [getCampaign],
  POST /v2/auth/token [getAuthTokenInfo]
- catalog: POST /v2/businesses/{businessId}/offer-mappings [getOfferMappings] (only the offerIds filter is
  applied; other filters are accepted and ignored)
- stock: POST|PUT /v2/campaigns/{campaignId}/offers/stocks [getStocks, updateStocks] (one warehouse per campaign)
- prices: POST /v2/businesses/{businessId}/settings [getBusinessSettings], POST
  /v2/businesses/{businessId}/offer-prices/updates [updateBusinessPrices] (the catalog's price), POST
  /v2/campaigns/{campaignId}/offer-prices/updates [updatePrices] (a campaign's own prices; 423 "Partner use only
  default price" while the business has onlyDefaultPrice, the default: `yandex_book(state).only_default_price`)
- orders: POST /v1/businesses/{businessId}/orders [getBusinessOrders], PUT
  /v2/campaigns/{campaignId}/orders/{orderId}/status [updateOrderStatus] (`add_order()` makes orders)
- analytics and finance: POST /v2/campaigns/{campaignId}/stats/orders [getOrdersStats] (by creation or update
  day, at most MAX_STATS_DAYS per request): a delivered or returned order's payments and services are the fee model's
  figures (fees.py: FEE, DELIVERY_TO_CUSTOMER, RETURN_PROCESSING); warehouses: POST
  /v2/businesses/{businessId}/warehouses [getPagedWarehouses]

Limits (MARKETPLACES.md §2.3): every reply carries X-RateLimit-Resource-Limit/-Remaining/-Until for its resource,
counted per campaign (/campaigns/{id}/...), per business (/businesses/{id}/...) or per cabinet, in requests or in
items where the spec's x-resource-limit-config counts items. With `state.enforce_rate_limits`, a spent resource
and more than PARALLEL_LIMIT requests in flight per scope answer 420 Enhance Your Calm. Time is `state.now()`.
Batch maxima, the 512 KB body limit and the 30-day order range answer 400 as the API does.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import json
import math
import weakref
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any, Awaitable, Callable

from aiohttp import web

from sandbox.marketplaces.accounts import YANDEX_API_KEY, SandboxState, YandexApiKey, YandexBusiness, YandexCampaign
from sandbox.marketplaces.catalog import Catalog, Lifecycle, OrderLine, Product, SandboxOrder, index_of
from sandbox.marketplaces.fees import line_figures
from sandbox.marketplaces.common import (
    ACCOUNT,
    QUOTA,
    STATE,
    Controls,
    Dialect,
    INJECTED_RATE_LIMIT_WAIT,
    Quota,
    Reply,
    json_response,
    marketplace_app,
    read_credential,
)

MINUTE = 60
HOUR = 3600
# Units per period per scope, from each operation's x-resource-limit-config ("none" tier).
RESOURCE_LIMITS = {
    "getCampaigns": 1000,
    "getCampaign": 5000,
    "getAuthTokenInfo": 100,
    "getOfferMappings": 100,
    "getStocks": 100_000,
    "updateStocks": 100_000,
    "getBusinessSettings": 100,
    "updateBusinessPrices": 10_000,
    "updatePrices": 10_000,
    "getBusinessOrders": 10_000,
    "updateOrderStatus": 10_000,
    "getOrdersStats": 10_000,
    "getPagedWarehouses": 100,
}
DEFAULT_RESOURCE_LIMIT = 1000
RESOURCE_PERIODS = {name: MINUTE for name in
                    ("getOfferMappings", "getStocks", "updateStocks", "updateBusinessPrices", "updatePrices")}
DEFAULT_PERIOD = HOUR
# Resources counted in items (x-resource-limit-config `path`): of the request (the list in this body field,
# charged before the work) or of the reply (charged after it).
REQUEST_ITEMS = {"updateStocks": "skus", "updateBusinessPrices": "offers", "updatePrices": "offers"}
REPLY_ITEMS = frozenset({"getStocks"})
# UNCONFIRMED: parallel requests per campaign / business / cabinet. The current limits page says 4, the Sept-2025
# one said 2; the sandbox holds clients to the stricter number. (Per-method caps, getBusinessOrders 6 and
# updatePrices 12, can never bind under it.)
PARALLEL_LIMIT = 2
# Real seconds each request is held inside its parallel slot (tests raise it to make requests overlap).
SIMULATED_LATENCY = 0.0
MAX_BODY_BYTES = 512 * 1024  # "the maximum size of the request body is 512 KB"

MAX_LIMIT = 100  # PageLimit100WithoutDefault (campaigns)
DEFAULT_PAGE_SIZE = 50  # for the deprecated page/pageSize paging (the spec gives no default)
# Page sizes: (default, maximum, truncate). "Truncate" parameters clamp a larger limit; the others answer 400.
OFFERS_PAGE = (50, 100, True)  # PageLimit100Truncate
STOCKS_PAGE = (100, 200, False)  # PageLimit200
ORDERS_PAGE = (50, 50, True)  # PageLimit50Truncate
STATS_PAGE = (100, 200, False)  # PageLimit200
WAREHOUSES_PAGE = (15, 30, False)  # PageLimit30
# Batch maxima (maxItems of the request schemas).
MAX_OFFER_IDS = 100  # GetOfferMappingsRequest.offerIds
MAX_STOCK_OFFER_IDS = 500  # GetWarehouseStocksRequest.offerIds
MAX_STOCK_SKUS = 2000  # UpdateStocksRequest.skus
MAX_BUSINESS_PRICES = 500  # UpdateBusinessPricesRequest.offers
MAX_CAMPAIGN_PRICES = 2000  # UpdatePricesRequest.offers
MAX_ORDER_IDS = 50  # GetBusinessOrdersRequest.orderIds / campaignIds
MAX_WAREHOUSE_CAMPAIGNS = 25  # GetPagedWarehousesRequest.campaignIds
MAX_STOCK_COUNT = 2_000_000_000  # UpdateStockItemDTO.count
MAX_ORDER_DAYS = 30  # getBusinessOrders: at most 30 days per request, the last 30 days by default
# getOrdersStats: UNCONFIRMED (no period is documented); the stand-in holds clients to the orders methods' 30 days
# (connectors.yandex.limits.STATS_MAX_DAYS) so that their splitting of a long period is tested.
MAX_STATS_DAYS = 30

CURRENCY = "RUR"
MSK = timezone(timedelta(hours=3))  # Yandex's dates are Moscow dates
MARKET_SKU_BASE = 100_000_000_000  # marketSku = base + product index
WAREHOUSE_ID_BASE = 100_000_000  # a campaign's warehouse id = base + campaign id

# Scopes that open each method (x-auth-scopes), written as ApiKeyScopeType values.
READ_ANY = frozenset({
    "ALL_METHODS", "ALL_METHODS_READ_ONLY", "SETTINGS_MANAGEMENT", "FINANCE_AND_ACCOUNTING",
    "OFFERS_AND_CARDS_MANAGEMENT", "OFFERS_AND_CARDS_MANAGEMENT_READ_ONLY", "PRICING", "PRICING_READ_ONLY",
    "INVENTORY_AND_ORDER_PROCESSING", "INVENTORY_AND_ORDER_PROCESSING_READ_ONLY", "PROMOTION",
    "PROMOTION_READ_ONLY", "COMMUNICATION", "SUPPLIES_MANAGEMENT_READ_ONLY",
})
ANY_SCOPE = READ_ANY  # getCampaigns / getCampaign / getAuthTokenInfo
OFFERS_READ = frozenset({"ALL_METHODS", "ALL_METHODS_READ_ONLY", "OFFERS_AND_CARDS_MANAGEMENT",
                         "OFFERS_AND_CARDS_MANAGEMENT_READ_ONLY"})
OFFERS_WRITE = frozenset({"ALL_METHODS", "OFFERS_AND_CARDS_MANAGEMENT"})
PRICING_WRITE = frozenset({"ALL_METHODS", "PRICING"})
ORDERS_READ = frozenset({"ALL_METHODS", "ALL_METHODS_READ_ONLY", "INVENTORY_AND_ORDER_PROCESSING",
                         "INVENTORY_AND_ORDER_PROCESSING_READ_ONLY"})
ORDERS_WRITE = frozenset({"ALL_METHODS", "INVENTORY_AND_ORDER_PROCESSING"})
OPERATION_SCOPES = {
    "getOfferMappings": OFFERS_READ,
    "getStocks": OFFERS_READ,
    "updateStocks": OFFERS_WRITE,
    "updateBusinessPrices": PRICING_WRITE,
    "updatePrices": PRICING_WRITE,
    "getBusinessOrders": ORDERS_READ | {"FINANCE_AND_ACCOUNTING"},
    "updateOrderStatus": ORDERS_WRITE,
    "getOrdersStats": ORDERS_READ,
    "getPagedWarehouses": ORDERS_READ,
}

# Error codes by HTTP status. UNAUTHORIZED is the docs' example (error-codes page); METHOD_FAILURE
# for 420 is what a real 420 body quoted in third-party code carries; the others are a sandbox choice.
ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    420: "METHOD_FAILURE",
    423: "LOCKED",
    500: "INTERNAL_ERROR",
}
# UNCONFIRMED: the text that names a refused item. A real 400 of a price update lists one error per item, e.g.
# "Unable to find mapping for marketSku: 101326284311" (yandex-market/yandex-market-php-partner#33).
UNKNOWN_OFFER = "Unable to find mapping for offerId: {sku}"
ONLY_DEFAULT_PRICE = "Partner use only default price"  # 423 (error-codes page)


API_KEY = web.RequestKey("yandex_api_key", str)  # the caller's Api-Key: the account key of its Catalog / orders


def error_response(status: int, message: str) -> web.Response:
    return errors_response(status, [message])


def errors_response(status: int, messages: list[str]) -> web.Response:
    code = ERROR_CODES.get(status, "ERROR")
    return json_response({"status": "ERROR", "errors": [{"code": code, "message": m} for m in messages]},
                         status=status)


def bad_request(message: str) -> Reply:
    return Reply(error_response(400, message))


def resource_of(request: web.Request) -> str:
    """The limited resource: the operation, e.g. "getCampaigns"."""
    return request.match_info.route.name or request.path


def resource_path(request: web.Request) -> str:
    """The resource as Yandex names it in limit messages, e.g. "/v2/campaigns/{campaignId}"."""
    resource = request.match_info.route.resource
    return (resource.canonical if resource else request.path).removeprefix(YandexDialect.prefix)


def rfc822(timestamp: float) -> str:
    return format_datetime(datetime.fromtimestamp(timestamp, timezone.utc), usegmt=True)


def period_text(seconds: float) -> str:
    return "1 minute" if seconds == MINUTE else "1 hour" if seconds == HOUR else f"{seconds:g} seconds"


# --------------------------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------------------------
class YandexQuota(Quota):
    """A fixed window that starts on a whole second (so X-RateLimit-Resource-Until, an RFC 822 date with no
    fractions, is exact) and counts items where the resource does."""

    def take(self, now: float, cost: int = 1) -> bool:
        if now >= self.window_start + self.period:
            self.window_start, self.used = float(math.floor(now)), 0
        # A single request larger than the whole limit passes on an empty window, never on a used one.
        if self.used and self.used + cost > self.limit:
            return False
        self.used += cost
        return True

    def spent(self, now: float) -> bool:
        if now >= self.window_start + self.period:
            return False
        return self.used >= self.limit

    def until(self, now: float) -> float:
        """When the window resets (a whole second, so the RFC 822 header is exact)."""
        return max(self.window_start + self.period, float(math.ceil(now)))


def scope_of(request: web.Request) -> str:
    """Where Yandex counts a request: its campaign, its business, or (other URLs) the key's cabinet."""
    info = request.match_info
    if "campaignId" in info:
        return f"campaign:{info['campaignId']}"
    if "businessId" in info:
        return f"business:{info['businessId']}"
    account: YandexApiKey = request[ACCOUNT]
    return f"cabinet:{account.business.id}"


def quota_of(state: SandboxState, scope: str, resource: str) -> YandexQuota:
    key = ("yandex", scope, resource)
    if key not in state.quotas:
        limit = RESOURCE_LIMITS.get(resource, DEFAULT_RESOURCE_LIMIT)
        state.quotas[key] = YandexQuota(limit, RESOURCE_PERIODS.get(resource, DEFAULT_PERIOD))
    return state.quotas[key]


def limit_reply(state: SandboxState, request: web.Request, quota: Quota, until: float) -> web.Response:
    """420 "Hit rate limit…"; the client may retry after X-RateLimit-Resource-Until (`until`)."""
    message = (f"Hit rate limit of {quota.limit} requests per {period_text(quota.period)} "
               f"for resource {resource_path(request)}")
    response = error_response(420, message)
    response.headers["X-RateLimit-Resource-Limit"] = str(quota.limit)
    response.headers["X-RateLimit-Resource-Remaining"] = "0"
    response.headers["X-RateLimit-Resource-Until"] = rfc822(math.ceil(until))
    return response


def charge(request: web.Request, cost: int) -> None:
    """Count `cost` items of this request's resource; 420 if that is over the limit (and limits are on)."""
    state: SandboxState = request.app[STATE]
    quota: YandexQuota = request[QUOTA]
    now = state.now()
    if not quota.take(now, cost) and state.enforce_rate_limits:
        raise Reply(limit_reply(state, request, quota, quota.until(now)))


@dataclass
class YandexBook:
    """What only the Yandex stand-in keeps per SandboxState."""

    # businessId -> the cabinet's onlyDefaultPrice setting (True unless a test says otherwise).
    only_default_price: dict[int, bool] = field(default_factory=dict)
    # campaignId -> that shop's own price list (used while onlyDefaultPrice is False).
    campaign_prices: dict[int, Catalog] = field(default_factory=dict)
    in_flight: Counter = field(default_factory=Counter)  # scope -> requests being answered
    peak_in_flight: int = 0  # the most requests one scope ever had in flight
    parallel_refusals: int = 0  # 420 "Hit rate limit of N parallel requests" answered


_BOOKS: dict[int, YandexBook] = {}


def yandex_book(state: SandboxState) -> YandexBook:
    """The YandexBook of a SandboxState (made on first use, dropped with the state)."""
    key = id(state)
    if key not in _BOOKS:
        _BOOKS[key] = YandexBook()
        weakref.finalize(state, _BOOKS.pop, key, None)
    return _BOOKS[key]


def operation(handler: Callable[[web.Request], Awaitable[web.Response]]) -> Callable:
    """Hold one of the scope's parallel slots while answering (420 when all are taken and limits are on)."""

    @functools.wraps(handler)
    async def answer(request: web.Request) -> web.Response:
        state: SandboxState = request.app[STATE]
        book = yandex_book(state)
        scope = scope_of(request)
        if book.in_flight[scope] >= PARALLEL_LIMIT and state.enforce_rate_limits:
            book.parallel_refusals += 1
            raise Reply(error_response(420, f"Hit rate limit of {PARALLEL_LIMIT} parallel requests"))
        book.in_flight[scope] += 1
        book.peak_in_flight = max(book.peak_in_flight, book.in_flight[scope])
        try:
            if SIMULATED_LATENCY:
                await asyncio.sleep(SIMULATED_LATENCY)
            return await handler(request)
        finally:
            book.in_flight[scope] -= 1

    return answer


class YandexDialect(Dialect):
    name = "yandex"
    prefix = "/yandex"

    def __init__(self, state: SandboxState):
        self.state = state

    def authenticate(self, request: web.Request) -> YandexApiKey:
        key = read_credential(request, "Api-Key")
        if key is None:
            raise Reply(error_response(401, "Credentials are not specified"))
        if key.lower().startswith("bearer "):
            raise Reply(error_response(401, "Api-Key token prefix invalid"))
        account = self.state.yandex.get(key)
        if account is None:
            raise Reply(error_response(401, "Api-Key token is invalid"))
        request[ACCOUNT] = account
        request[API_KEY] = key
        # Limits are counted per scope; 4xx replies count too. Item-counted resources are charged by the handler
        # once it knows the items; here they are only refused when already spent.
        resource = resource_of(request)
        quota = quota_of(self.state, scope_of(request), resource)
        request[QUOTA] = quota
        now = self.state.now()
        counted_later = resource in REQUEST_ITEMS or resource in REPLY_ITEMS
        allowed = not quota.spent(now) if counted_later else quota.take(now)
        if not allowed and self.state.enforce_rate_limits:
            raise Reply(limit_reply(self.state, request, quota, quota.until(now)))
        if not OPERATION_SCOPES.get(resource, ANY_SCOPE) & set(account.scopes):
            raise Reply(error_response(403, "Token does not have any of the scopes to access the API method"))
        return account

    def error(self, request: web.Request, status: int, message: str) -> web.Response:
        return error_response(status, message)

    def rate_limited(self, request: web.Request) -> web.Response:
        resource = resource_of(request)
        quota = YandexQuota(RESOURCE_LIMITS.get(resource, DEFAULT_RESOURCE_LIMIT),
                            RESOURCE_PERIODS.get(resource, DEFAULT_PERIOD))
        return limit_reply(self.state, request, quota, self.state.now() + INJECTED_RATE_LIMIT_WAIT)

    def finish(self, request: web.Request, response: web.StreamResponse) -> None:
        now = self.state.now()
        quota: YandexQuota | None = request.get(QUOTA)
        if quota is None:  # not authenticated: show a fresh window
            resource = resource_of(request)
            quota = YandexQuota(RESOURCE_LIMITS.get(resource, DEFAULT_RESOURCE_LIMIT),
                                RESOURCE_PERIODS.get(resource, DEFAULT_PERIOD), window_start=math.floor(now))
        response.headers.setdefault("X-RateLimit-Resource-Limit", str(quota.limit))
        response.headers.setdefault("X-RateLimit-Resource-Remaining", str(quota.remaining))
        response.headers.setdefault("X-RateLimit-Resource-Until", rfc822(math.ceil(quota.until(now))))


# --------------------------------------------------------------------------------------------
# Request reading
# --------------------------------------------------------------------------------------------
def encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def decode_page_token(token: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise Reply(error_response(400, "Invalid page token")) from None
    if not isinstance(offset, int) or offset < 0:
        raise Reply(error_response(400, "Invalid page token"))
    return offset


def int_param(request: web.Request, name: str, *, low: int, high: int | None = None) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise Reply(error_response(400, f"Invalid value of parameter {name}: '{raw}'")) from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"greater than or equal to {low}"
        raise Reply(error_response(400, f"Value of {name} ({value}) must be {bound}"))
    return value


def page_of(request: web.Request, size: tuple[int, int, bool]) -> tuple[int, int]:
    """(offset, limit) from pageToken (alias page_token) and limit."""
    default, maximum, truncate = size
    limit = int_param(request, "limit", low=1, high=None if truncate else maximum)
    limit = default if limit is None else min(limit, maximum)
    token = request.query.get("pageToken") or request.query.get("page_token")
    return (decode_page_token(token) if token else 0), limit


def paging(offset: int, count: int, total: int) -> dict:
    """PackagingForwardScrollingPagerDTO: a nextPageToken while more is left."""
    return {"nextPageToken": encode_page_token(offset + count)} if offset + count < total else {}


async def body_of(request: web.Request, *, required: bool = False) -> dict:
    """The JSON object body; 400 as Yandex answers for a too big, malformed or missing body."""
    raw = await request.read()
    if len(raw) > MAX_BODY_BYTES:
        raise bad_request(f"The request is too big: {len(raw)} bytes, the maximum is {MAX_BODY_BYTES}")
    if not raw.strip():
        if required:
            raise bad_request("Missing field: request body")
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise bad_request(f"JSON: {exc}") from None
    if not isinstance(body, dict):
        raise bad_request("JSON: an object is expected")
    return body


def list_field(body: dict, name: str, maximum: int, *, required: bool = False) -> list | None:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"Missing field: {name}")
        return None
    if not isinstance(value, list):
        raise bad_request(f"JSON: {name} must be an array")
    if not 1 <= len(value) <= maximum:
        raise bad_request(f"Length of field ({name}) must be between 1 and {maximum}")
    return value


def date_field(value: Any, name: str, kind: type[date] | type[datetime]) -> Any:
    if value is None:
        return None
    try:
        parsed = kind.fromisoformat(str(value))
    except ValueError:
        raise bad_request(f"Value of field ({name}) must match the pattern: "
                          f"{'YYYY-MM-DD' if kind is date else 'ISO 8601 date-time'}") from None
    if isinstance(parsed, datetime) and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=MSK)
    return parsed


# --------------------------------------------------------------------------------------------
# Accounts, catalog, warehouses
# --------------------------------------------------------------------------------------------
def account_key(request: web.Request) -> str:
    """The account key of the shared Catalog / OrderBook: the Api-Key (the key of SandboxState.yandex)."""
    return request[API_KEY]


def catalog_of(request: web.Request) -> Catalog:
    state: SandboxState = request.app[STATE]
    return state.catalog("yandex", account_key(request))


def _known_elsewhere(state: SandboxState, *, business: int | None = None, campaign: int | None = None) -> bool:
    for key in state.yandex.values():
        if key.business.id == business or any(c.id == campaign for c in key.business.campaigns):
            return True
    return False


def _path_id(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or int(raw) < 1:
        raise bad_request(f"Invalid {name}: '{raw}'")
    return int(raw)


def own_business(request: web.Request, *, missing: int = 404) -> YandexBusiness:
    """The business in the URL, if it is the key's; 403 for another cabinet's, else `missing` (404, or 403 where
    the spec documents no 404)."""
    account: YandexApiKey = request[ACCOUNT]
    business_id = _path_id(request, "businessId")
    if account.business.id == business_id:
        return account.business
    state: SandboxState = request.app[STATE]
    if missing == 403 or _known_elsewhere(state, business=business_id):
        raise Reply(error_response(403, "Access denied"))
    raise Reply(error_response(404, f"Business not found: '{business_id}'"))


def own_campaign(request: web.Request, *, missing: int = 404) -> YandexCampaign:
    account: YandexApiKey = request[ACCOUNT]
    campaign_id = _path_id(request, "campaignId")
    for campaign in account.business.campaigns:
        if campaign.id == campaign_id:
            return campaign
    state: SandboxState = request.app[STATE]
    if missing == 403 or _known_elsewhere(state, campaign=campaign_id):
        raise Reply(error_response(403, "Access denied"))  # another cabinet's shop
    raise Reply(error_response(404, f"Campaign not found: '{campaign_id}'"))


def warehouse_id(campaign: YandexCampaign) -> int:
    """Each sandbox campaign has one warehouse of its own."""
    return WAREHOUSE_ID_BASE + campaign.id


def warehouse_name(campaign: YandexCampaign) -> str:
    return f"{campaign.domain} warehouse"


def moscow(timestamp: float) -> datetime:
    return datetime.fromtimestamp(math.floor(timestamp), MSK)


def product_of(catalog: Catalog, sku: Any) -> Product | None:
    index = index_of(sku) if isinstance(sku, str) else None
    return catalog.product(index) if index is not None and index in catalog else None


# --------------------------------------------------------------------------------------------
# Connection handlers
# --------------------------------------------------------------------------------------------
def campaign_json(campaign: YandexCampaign, business: YandexBusiness) -> dict:
    """CampaignDTO."""
    return {
        "id": campaign.id,
        "domain": campaign.domain,
        "clientId": campaign.client_id,
        "business": {"id": business.id, "name": business.name},
        "placementType": campaign.placement_type,
        "apiAvailability": campaign.api_availability,
    }


async def get_campaigns(request: web.Request) -> web.Response:
    """GET /v2/campaigns: pageToken (alias page_token) + limit ≤ 100; page/pageSize deprecated."""
    account: YandexApiKey = request[ACCOUNT]
    business = account.business
    campaigns = [campaign_json(c, business) for c in business.campaigns]
    token = request.query.get("pageToken") or request.query.get("page_token")
    limit = int_param(request, "limit", low=1, high=MAX_LIMIT)

    if token is None and limit is None and ("page" in request.query or "pageSize" in request.query):
        page = int_param(request, "page", low=1, high=10000) or 1
        size = int_param(request, "pageSize", low=1, high=MAX_LIMIT) or DEFAULT_PAGE_SIZE
        start = (page - 1) * size
        items = campaigns[start : start + size]
        pager = {
            "total": len(campaigns),
            "from": start + 1 if items else 0,
            "to": start + len(items),
            "currentPage": page,
            "pagesCount": math.ceil(len(campaigns) / size),
            "pageSize": size,
        }
        return json_response({"campaigns": items, "pager": pager})

    offset = decode_page_token(token) if token else 0
    items = campaigns[offset : offset + limit] if limit else campaigns[offset:]
    return json_response({"campaigns": items, "paging": paging(offset, len(items), len(campaigns))})


async def get_campaign(request: web.Request) -> web.Response:
    account: YandexApiKey = request[ACCOUNT]
    return json_response({"campaign": campaign_json(own_campaign(request), account.business)})


async def get_auth_token_info(request: web.Request) -> web.Response:
    account: YandexApiKey = request[ACCOUNT]
    return json_response({"status": "OK", "result": {"apiKey": {"name": account.name, "authScopes": account.scopes}}})


# --------------------------------------------------------------------------------------------
# Catalog and stock
# --------------------------------------------------------------------------------------------
def offer_mapping_json(product: Product, catalog: Catalog, business: YandexBusiness, now: float) -> dict:
    """GetOfferMappingDTO: the offer (its shops' statuses from their stock) and its Market card."""
    campaigns = [
        {"campaignId": c.id,
         "status": "PUBLISHED" if catalog.get_stock(product.index, str(warehouse_id(c))) > 0 else "NO_STOCKS"}
        for c in business.campaigns
    ]
    return {
        "offer": {
            "offerId": product.sku,
            "name": product.name,
            "vendor": "SellerCloudX",
            "barcodes": [product.barcode],
            "basicPrice": {"value": catalog.get_price(product.index), "currencyId": CURRENCY,
                           "updatedAt": moscow(now).isoformat()},
            "cardStatus": "HAS_CARD_CAN_UPDATE",
            "campaigns": campaigns,
            "archived": product.index in catalog.archived,
        },
        "mapping": {"marketSku": MARKET_SKU_BASE + product.index, "marketSkuName": product.name},
    }


@operation
async def get_offer_mappings(request: web.Request) -> web.Response:
    """No body (or no offerIds) = the whole catalog, page by page; offerIds = those offers, whole."""
    business = own_business(request)
    body = await body_of(request)
    catalog = catalog_of(request)
    now = request.app[STATE].now()
    offer_ids = list_field(body, "offerIds", MAX_OFFER_IDS)
    if offer_ids is not None:
        products = [p for p in (product_of(catalog, sku) for sku in offer_ids) if p is not None]
        pager: dict = {}
    else:
        offset, limit = page_of(request, OFFERS_PAGE)
        products = catalog.page(offset, limit)
        pager = paging(offset, len(products), catalog.size)
    mappings = [offer_mapping_json(p, catalog, business, now) for p in products]
    return json_response({"status": "OK", "result": {"paging": pager, "offerMappings": mappings}})


def stock_offer_json(product: Product, catalog: Catalog, campaign: YandexCampaign, now: float) -> dict:
    """WarehouseOfferDTO: AVAILABLE (what may be ordered) and FIT (available + reserved; nothing is reserved)."""
    count = catalog.get_stock(product.index, str(warehouse_id(campaign)))
    return {"offerId": product.sku, "stocks": [{"type": "FIT", "count": count}, {"type": "AVAILABLE", "count": count}],
            "updatedAt": moscow(now).isoformat()}


@operation
async def get_stocks(request: web.Request) -> web.Response:
    campaign = own_campaign(request, missing=403)  # getStocks documents no 404
    body = await body_of(request)
    catalog = catalog_of(request)
    offer_ids = list_field(body, "offerIds", MAX_STOCK_OFFER_IDS)
    if offer_ids is not None:  # "returned whole": no paging with offerIds
        products = [p for p in (product_of(catalog, sku) for sku in offer_ids) if p is not None]
        pager: dict = {}
    else:
        offset, limit = page_of(request, STOCKS_PAGE)
        products = catalog.page(offset, limit)
        pager = paging(offset, len(products), catalog.size)
    now = request.app[STATE].now()
    offers = [stock_offer_json(p, catalog, campaign, now) for p in products]
    charge(request, len(offers))  # counted in the reply's offers
    warehouses = [{"warehouseId": warehouse_id(campaign), "offers": offers}] if offers else []
    return json_response({"status": "OK", "result": {"paging": pager, "warehouses": warehouses}})


def stock_item_problem(item: Any) -> str | None:
    """UpdateStockDTO: {"sku", "items": [{"count"}]} with exactly one item and 0 <= count <= 2e9."""
    if not isinstance(item, dict) or not isinstance(item.get("sku"), str):
        return "Missing field: sku"
    items = item.get("items")
    if not isinstance(items, list) or len(items) != 1:
        return "Length of field (items) must be between 1 and 1"
    count = items[0].get("count") if isinstance(items[0], dict) else None
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_STOCK_COUNT:
        return f"Value of field (count) must be between 0 and {MAX_STOCK_COUNT}"
    return None


def refused(problems: list[str]) -> None:
    if problems:
        raise Reply(errors_response(400, problems))


def resolve_items(items: list, catalog: Catalog, key: str, problem: Callable[[Any], str | None]) -> list[tuple]:
    """[(product, item)] for a batch, or 400 listing every bad item (nothing is applied then)."""
    refused([p for p in (problem(item) for item in items) if p])
    counts = Counter(item[key] for item in items)
    refused([f"Duplicate {key}: {sku}" for sku, n in counts.items() if n > 1])
    resolved = [(product_of(catalog, item[key]), item) for item in items]
    refused([UNKNOWN_OFFER.format(sku=item[key]) for product, item in resolved if product is None])
    return resolved


@operation
async def update_stocks(request: web.Request) -> web.Response:
    campaign = own_campaign(request)
    skus = list_field(await body_of(request, required=True), "skus", MAX_STOCK_SKUS, required=True)
    charge(request, len(skus))  # counted in the request's skus
    catalog = catalog_of(request)
    for product, item in resolve_items(skus, catalog, "sku", stock_item_problem):
        catalog.set_stock(product.index, item["items"][0]["count"], str(warehouse_id(campaign)))
    return json_response({"status": "OK"})


# --------------------------------------------------------------------------------------------
# Prices
# --------------------------------------------------------------------------------------------
def only_default_price(state: SandboxState, business: YandexBusiness) -> bool:
    return yandex_book(state).only_default_price.get(business.id, True)


def campaign_prices(state: SandboxState, campaign: YandexCampaign) -> Catalog:
    """A shop's own prices (Catalog.get_price falls back to the catalog's starting price)."""
    book = yandex_book(state)
    if campaign.id not in book.campaign_prices:
        book.campaign_prices[campaign.id] = Catalog(size=state.catalog_size)
    return book.campaign_prices[campaign.id]


@operation
async def get_business_settings(request: web.Request) -> web.Response:
    business = own_business(request, missing=403)  # getBusinessSettings documents no 404
    settings = {"onlyDefaultPrice": only_default_price(request.app[STATE], business), "currency": CURRENCY}
    return json_response({"status": "OK", "result": {"info": {"id": business.id, "name": business.name},
                                                     "settings": settings}})


def price_item_problem(item: Any) -> str | None:
    """{"offerId", "price": {"value" >= 0, "currencyId", "discountBase"?}}."""
    if not isinstance(item, dict) or not isinstance(item.get("offerId"), str):
        return "Missing field: offerId"
    price = item.get("price")
    if not isinstance(price, dict) or "value" not in price or not price.get("currencyId"):
        return f"Missing field: price of {item['offerId']}"
    value = price["value"]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        return f"Value of field (price.value) must be greater than or equal to 0: {item['offerId']}"
    if round(value, 2) != value:
        return f"Value of field has too high scale: 'price' of {item['offerId']}"
    return None


async def apply_prices(request: web.Request, prices: Catalog, maximum: int) -> web.Response:
    offers = list_field(await body_of(request, required=True), "offers", maximum, required=True)
    charge(request, len(offers))  # counted in the request's offers
    for product, item in resolve_items(offers, catalog_of(request), "offerId", price_item_problem):
        prices.set_price(product.index, item["price"]["value"])
    return json_response({"status": "OK"})


@operation
async def update_business_prices(request: web.Request) -> web.Response:
    own_business(request)
    return await apply_prices(request, catalog_of(request), MAX_BUSINESS_PRICES)


@operation
async def update_campaign_prices(request: web.Request) -> web.Response:
    state: SandboxState = request.app[STATE]
    campaign = own_campaign(request)
    if only_default_price(state, request[ACCOUNT].business):
        raise Reply(error_response(423, ONLY_DEFAULT_PRICE))
    return await apply_prices(request, campaign_prices(state, campaign), MAX_CAMPAIGN_PRICES)


# --------------------------------------------------------------------------------------------
# Orders
# --------------------------------------------------------------------------------------------
# The neutral lifecycle in Yandex's words (status, substatus).
STATUS_WORDS = {
    Lifecycle.NEW: ("PROCESSING", "STARTED"),
    Lifecycle.CONFIRMED: ("PROCESSING", "READY_TO_SHIP"),
    Lifecycle.SHIPPED: ("PROCESSING", "SHIPPED"),
    Lifecycle.DELIVERED: ("DELIVERED", "DELIVERY_SERVICE_DELIVERED"),
    Lifecycle.CANCELLED: ("CANCELLED", "SHOP_FAILED"),
    # The spec documents no substatus of a returned order (BusinessOrderDTO requires one): UNKNOWN, its catch-all.
    Lifecycle.RETURNED: ("RETURNED", "UNKNOWN"),
}
# The status changes a shop may make (updateOrderStatus description): target -> (lifecycle, allowed from).
TRANSITIONS = {
    ("PROCESSING", "READY_TO_SHIP"): (Lifecycle.CONFIRMED, {Lifecycle.NEW}),
    ("PROCESSING", "SHIPPED"): (Lifecycle.SHIPPED, {Lifecycle.CONFIRMED}),
    ("CANCELLED", "SHOP_FAILED"): (Lifecycle.CANCELLED, {Lifecycle.NEW, Lifecycle.CONFIRMED}),
}
STATS_STATUS = {Lifecycle.NEW: "PROCESSING", Lifecycle.CONFIRMED: "PROCESSING", Lifecycle.SHIPPED: "DELIVERY",
                Lifecycle.DELIVERED: "DELIVERED", Lifecycle.CANCELLED: "CANCELLED_IN_PROCESSING",
                Lifecycle.RETURNED: "RETURNED"}
PROGRAM_TYPES = {"FBS": "FBS", "FBO": "FBY", "DBS": "DBS", "EXPRESS": "EXPRESS"}
SUBSTATUS_KEY = "yandex_substatus"


def status_words(order: SandboxOrder) -> tuple[str, str]:
    status, substatus = STATUS_WORDS[order.status]
    return status, order.extra.get(SUBSTATUS_KEY, substatus)


def add_order(state: SandboxState, lines: list[tuple[int, int]], *, api_key: str | None = None,
              campaign_id: int | None = None, scheme: str = "FBS") -> SandboxOrder:
    """A new order (PROCESSING/STARTED) of catalog products [(index, quantity), ...] for tests and the demo."""
    key = api_key or YANDEX_API_KEY
    business = state.yandex[key].business
    campaign = campaign_id or business.campaigns[0].id
    catalog = state.catalog("yandex", key)
    order_lines = [OrderLine(index, quantity, catalog.get_price(index)) for index, quantity in lines]
    return state.orders.create("yandex", key, order_lines, shop_id=str(campaign), scheme=scheme)


def orders_of(request: web.Request, business: YandexBusiness) -> list[SandboxOrder]:
    state: SandboxState = request.app[STATE]
    campaigns = {str(c.id) for c in business.campaigns}
    return [o for o in state.orders.of("yandex", account_key(request)) if (o.shop_id or "") in campaigns]


def money(value: float) -> dict:
    return {"value": value, "currencyId": CURRENCY}


def business_order_json(order: SandboxOrder, catalog: Catalog) -> dict:
    """BusinessOrderDTO."""
    status, substatus = status_words(order)
    ship_day = moscow(order.ship_by).date()
    return {
        "orderId": order.id,
        "campaignId": int(order.shop_id or 0),
        "programType": PROGRAM_TYPES.get(order.scheme, "FBS"),
        "status": status,
        "substatus": substatus,
        "creationDate": moscow(order.created_at).isoformat(),
        "updateDate": moscow(order.updated_at).isoformat(),
        "paymentType": "PREPAID",
        "paymentMethod": "YANDEX",
        "fake": False,
        "items": [
            {"id": order.id * 100 + n, "offerId": catalog.product(line.index).sku,
             "offerName": catalog.product(line.index).name, "count": line.quantity,
             "prices": {"payment": money(line.price * line.quantity), "subsidy": money(0)}}
            for n, line in enumerate(order.lines, 1)
        ],
        "prices": {"payment": money(order.total), "subsidy": money(0)},
        "delivery": {
            "type": "DELIVERY",
            "serviceName": "Market Courier",
            "deliveryServiceId": 1005471,
            "deliveryPartnerType": "YANDEX_MARKET",
            "dates": {"fromDate": (ship_day + timedelta(days=1)).isoformat()},
            "shipment": {"shipmentDate": ship_day.isoformat()},
        },
    }


def order_filter(body: dict, now: float) -> Callable[[SandboxOrder], bool]:
    """GetBusinessOrdersRequest's filters. Dates at most 30 days apart; no ids and no dates = created in the
    last 30 days."""
    order_ids = list_field(body, "orderIds", MAX_ORDER_IDS)
    campaign_ids = list_field(body, "campaignIds", MAX_ORDER_IDS)
    statuses = body.get("statuses") or None
    substatuses = body.get("substatuses") or None
    dates = body.get("dates") if isinstance(body.get("dates"), dict) else {}
    created_from = date_field(dates.get("creationDateFrom"), "creationDateFrom", date)
    created_to = date_field(dates.get("creationDateTo"), "creationDateTo", date)
    updated_from = date_field(dates.get("updateDateFrom"), "updateDateFrom", datetime)
    updated_to = date_field(dates.get("updateDateTo"), "updateDateTo", datetime)
    for start, end in ((created_from, created_to), (updated_from, updated_to)):
        if start is not None and end is not None and end - start > timedelta(days=MAX_ORDER_DAYS):
            raise bad_request(f"Too long time period. Maximum is '{MAX_ORDER_DAYS}' days")
    if order_ids is None and not any((created_from, created_to, updated_from, updated_to)):
        created_from = (moscow(now) - timedelta(days=MAX_ORDER_DAYS)).date()

    def wanted(order: SandboxOrder) -> bool:
        status, substatus = status_words(order)
        created, updated = moscow(order.created_at), moscow(order.updated_at)
        return all((
            order_ids is None or order.id in order_ids,
            campaign_ids is None or int(order.shop_id or 0) in campaign_ids,
            statuses is None or status in statuses,
            substatuses is None or substatus in substatuses,
            created_from is None or created.date() >= created_from,
            created_to is None or created.date() < created_to,  # "the end date is not included"
            updated_from is None or updated >= updated_from,
            updated_to is None or updated <= updated_to,
        ))

    return wanted


@operation
async def get_business_orders(request: web.Request) -> web.Response:
    state: SandboxState = request.app[STATE]
    business = own_business(request)
    wanted = order_filter(await body_of(request, required=True), state.orders.clock())
    orders = sorted((o for o in orders_of(request, business) if wanted(o)), key=lambda o: o.id)
    offset, limit = page_of(request, ORDERS_PAGE)
    page = orders[offset:offset + limit]
    catalog = catalog_of(request)
    return json_response({"orders": [business_order_json(o, catalog) for o in page],
                          "paging": paging(offset, len(page), len(orders))})


def dd_mm_yyyy(timestamp: float, with_time: bool = True) -> str:
    return moscow(timestamp).strftime("%d-%m-%Y %H:%M:%S" if with_time else "%d-%m-%Y")


def order_dto_json(order: SandboxOrder, catalog: Catalog) -> dict:
    """OrderDTO (the reply of updateOrderStatus), with its required fields."""
    status, substatus = status_words(order)
    return {
        "id": order.id,
        "status": status,
        "substatus": substatus,
        "creationDate": dd_mm_yyyy(order.created_at),
        "updatedAt": dd_mm_yyyy(order.updated_at),
        "currency": CURRENCY,
        "itemsTotal": order.total,
        "deliveryTotal": 0,
        "buyerItemsTotalBeforeDiscount": order.total,
        "paymentType": "PREPAID",
        "paymentMethod": "YANDEX",
        "fake": False,
        "items": [
            {"id": order.id * 100 + n, "offerId": catalog.product(line.index).sku,
             "offerName": catalog.product(line.index).name, "price": line.price, "buyerPrice": line.price,
             "buyerPriceBeforeDiscount": line.price, "count": line.quantity}
            for n, line in enumerate(order.lines, 1)
        ],
        "delivery": {"type": "DELIVERY", "serviceName": "Market Courier", "deliveryPartnerType": "YANDEX_MARKET",
                     "dates": {"fromDate": dd_mm_yyyy(order.ship_by + 86400, with_time=False)},
                     "deliveryServiceId": 1005471},
        "buyer": {"type": "PERSON"},
        "taxSystem": "OSN",
    }


@operation
async def update_order_status(request: web.Request) -> web.Response:
    state: SandboxState = request.app[STATE]
    campaign = own_campaign(request)
    raw_id = request.match_info["orderId"]
    order = next((o for o in orders_of(request, request[ACCOUNT].business)
                  if str(o.id) == raw_id and o.shop_id == str(campaign.id)), None)
    if order is None:
        raise Reply(error_response(404, f"Order not found: {raw_id}"))
    change = (await body_of(request, required=True)).get("order")
    if not isinstance(change, dict) or not change.get("status"):
        raise bad_request("Missing field: order.status")
    target = (change["status"], change.get("substatus"))
    lifecycle, allowed_from = TRANSITIONS.get(target, (None, set()))
    if lifecycle is None or order.status not in allowed_from:
        now_status = "/".join(status_words(order))
        raise bad_request(f"Status {'/'.join(str(t) for t in target)} is not allowed for order {order.id} "
                          f"in status {now_status}")
    state.orders.set_status(order.id, lifecycle)
    order.extra[SUBSTATUS_KEY] = target[1]
    return json_response({"order": order_dto_json(order, catalog_of(request))})


# --------------------------------------------------------------------------------------------
# Analytics and warehouses
# --------------------------------------------------------------------------------------------
# Which OrdersStatsCommissionType carries each part of the fee model (sandbox/marketplaces/fees.py).
FEE_SERVICES = (("FEE", "commission"), ("DELIVERY_TO_CUSTOMER", "logistics"), ("RETURN_PROCESSING", "return_logistics"))


def stats_commissions(order: SandboxOrder) -> list[dict]:
    """The order's services (OrdersStatsCommissionDTO), summed over its lines; none before delivery."""
    figures = [f for f in (line_figures("yandex", order, line) for line in order.lines) if f is not None]
    totals = [(service, sum(getattr(f, part) for f in figures)) for service, part in FEE_SERVICES]
    return [{"type": service, "actual": float(total)} for service, total in totals if figures and total]


def stats_payments(order: SandboxOrder) -> list[dict]:
    """OrdersStatsPaymentDTO: the buyer's payment once delivered, and its refund once returned."""
    if order.status not in (Lifecycle.DELIVERED, Lifecycle.RETURNED):
        return []
    day = moscow(order.updated_at).date().isoformat()
    kinds = ["PAYMENT"] + (["REFUND"] if order.status == Lifecycle.RETURNED else [])
    return [{"id": f"{order.id}-{kind.lower()}", "date": day, "type": kind, "source": "BUYER",
             "total": float(order.total), "paymentOrder": {"id": f"{order.id}{n}", "date": day}}
            for n, kind in enumerate(kinds, 1)]


def stats_item_json(order: SandboxOrder, line: OrderLine, catalog: Catalog, campaign: YandexCampaign) -> dict:
    """OrdersStatsItemDTO: the BUYER price; a returned order's units as RETURNED details."""
    item = {"offerName": catalog.product(line.index).name, "marketSku": MARKET_SKU_BASE + line.index,
            "shopSku": catalog.product(line.index).sku, "count": line.quantity,
            "prices": [{"type": "BUYER", "costPerItem": line.price, "total": line.price * line.quantity}],
            "warehouse": {"id": warehouse_id(campaign), "name": warehouse_name(campaign)}}
    if order.status == Lifecycle.RETURNED:
        item["details"] = [{"itemStatus": "RETURNED", "itemCount": line.quantity}]
    return item


def stats_order_json(order: SandboxOrder, catalog: Catalog, campaign: YandexCampaign) -> dict:
    """OrdersStatsOrderDTO: items with their BUYER price, the payments, and Market's services (fees.py)."""
    return {
        "id": order.id,
        "creationDate": moscow(order.created_at).date().isoformat(),
        "statusUpdateDate": moscow(order.updated_at).isoformat(),
        "status": STATS_STATUS[order.status],
        "paymentType": "PREPAID",
        "fake": False,
        "items": [stats_item_json(order, line, catalog, campaign) for line in order.lines],
        "payments": stats_payments(order),
        "commissions": stats_commissions(order),
        "currency": CURRENCY,
    }


@operation
async def get_orders_stats(request: web.Request) -> web.Response:
    campaign = own_campaign(request)
    body = await body_of(request)
    by_creation = body.get("dateFrom") is not None or body.get("dateTo") is not None
    by_update = body.get("updateFrom") is not None or body.get("updateTo") is not None
    if by_creation and by_update:
        raise bad_request("dateFrom/dateTo cannot be used together with updateFrom/updateTo")
    start = date_field(body.get("dateFrom") or body.get("updateFrom"), "dateFrom", date)
    end = date_field(body.get("dateTo") or body.get("updateTo"), "dateTo", date)
    if start is not None and end is not None and end - start >= timedelta(days=MAX_STATS_DAYS):
        raise bad_request(f"Too long time period. Maximum is '{MAX_STATS_DAYS}' days")

    def wanted(order: SandboxOrder) -> bool:
        day = moscow(order.updated_at if by_update else order.created_at).date()
        return order.shop_id == str(campaign.id) and (start is None or day >= start) and (end is None or day <= end)

    orders = sorted((o for o in orders_of(request, request[ACCOUNT].business) if wanted(o)), key=lambda o: o.id)
    offset, limit = page_of(request, STATS_PAGE)
    page = orders[offset:offset + limit]
    catalog = catalog_of(request)
    return json_response({"status": "OK", "result": {
        "orders": [stats_order_json(o, catalog, campaign) for o in page],
        "paging": paging(offset, len(page), len(orders)),
    }})


def warehouse_json(campaign: YandexCampaign, components: set[str]) -> dict:
    """WarehouseDetailsDTO; address and status only when asked for in `components`."""
    item: dict[str, Any] = {"id": warehouse_id(campaign), "name": warehouse_name(campaign),
                            "campaignId": campaign.id, "express": False}
    if "ADDRESS" in components:
        item["address"] = {"city": "Moskva", "street": "Sandbox st.", "number": str(campaign.id % 100),
                           "gps": {"latitude": 55.7558, "longitude": 37.6173}}
    if "STATUS" in components:
        item["status"] = {"status": "OTHER"}
    return item


@operation
async def get_paged_warehouses(request: web.Request) -> web.Response:
    business = own_business(request, missing=403)  # getPagedWarehouses documents no 404
    body = await body_of(request)
    campaign_ids = list_field(body, "campaignIds", MAX_WAREHOUSE_CAMPAIGNS)
    components = set(body.get("components") or ())
    campaigns = [c for c in business.campaigns if campaign_ids is None or c.id in campaign_ids]
    offset, limit = page_of(request, WAREHOUSES_PAGE)
    page = campaigns[offset:offset + limit]
    return json_response({"status": "OK", "result": {
        "warehouses": [warehouse_json(c, components) for c in page],
        "paging": paging(offset, len(page), len(campaigns)),
    }})


def build_yandex_app(state: SandboxState, controls: Controls) -> web.Application:
    return marketplace_app(
        YandexDialect(state),
        controls,
        state,
        [
            web.get("/v2/campaigns", operation(get_campaigns), name="getCampaigns"),
            web.get("/v2/campaigns/{campaignId}", operation(get_campaign), name="getCampaign"),
            web.post("/v2/auth/token", operation(get_auth_token_info), name="getAuthTokenInfo"),
            web.post("/v2/businesses/{businessId}/offer-mappings", get_offer_mappings, name="getOfferMappings"),
            web.post("/v2/campaigns/{campaignId}/offers/stocks", get_stocks, name="getStocks"),
            web.put("/v2/campaigns/{campaignId}/offers/stocks", update_stocks, name="updateStocks"),
            web.post("/v2/businesses/{businessId}/settings", get_business_settings, name="getBusinessSettings"),
            web.post("/v2/businesses/{businessId}/offer-prices/updates", update_business_prices,
                     name="updateBusinessPrices"),
            web.post("/v2/campaigns/{campaignId}/offer-prices/updates", update_campaign_prices,
                     name="updatePrices"),
            web.post("/v1/businesses/{businessId}/orders", get_business_orders, name="getBusinessOrders"),
            web.put("/v2/campaigns/{campaignId}/orders/{orderId}/status", update_order_status,
                    name="updateOrderStatus"),
            web.post("/v2/campaigns/{campaignId}/stats/orders", get_orders_stats, name="getOrdersStats"),
            web.post("/v2/businesses/{businessId}/warehouses", get_paged_warehouses, name="getPagedWarehouses"),
        ],
    )
