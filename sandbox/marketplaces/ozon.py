"""Ozon Seller API stand-in, mounted at /ozon (real base: https://api-seller.ozon.ru).

Spec: specs/ozon/ozon-seller-api-swagger-en.json. Headers Client-Id + Api-Key; errors are `rpcStatus`
`{"code": <gRPC code>, "message": "...", "details": []}` (MARKETPLACES.md §4). Served:

- connection: /v1/roles, /v1/seller/info, /v2/warehouse/list
- catalog: /v3/product/list, /v3/product/info/list; stock: /v4/product/info/stocks, /v2/products/stocks;
  prices: /v1/product/import/prices (the account's shared Catalog, see catalog.py)
- postings: /v4/posting/fbs/unfulfilled/list, /v4/posting/fbs/list, /v3/posting/fbs/get, /v4/posting/fbs/ship,
  /v2/posting/fbs/cancel, /v3/posting/fbo/list, /v2/posting/fbo/get (the shared OrderBook; `add_order()`
  makes postings, `fail_next_packing()` makes packing fail the way Ozon's does)
- analytics: /v1/analytics/data (from the account's orders)
- finance: /v3/finance/transaction/list (the accruals of the account's delivered and returned orders and a daily
  storage charge, with the figures of sandbox.marketplaces.fees)

Every reply is valid against the spec (tests/unit/test_sandbox_ozon_state.py checks them).
"""
from __future__ import annotations

import base64
import binascii
import itertools
import json
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from aiohttp import web

from sandbox.marketplaces import fees
from sandbox.marketplaces.accounts import OZON_CLIENT_ID, OzonApiKey, OzonSeller, OzonWarehouse, SandboxState
from sandbox.marketplaces.catalog import (Catalog, Lifecycle, OrderLine, SandboxOrder, ean13, index_of,
                                         product_name, sku_of)
from sandbox.marketplaces.common import (
    ACCOUNT,
    STATE,
    Controls,
    Dialect,
    Reply,
    json_response,
    marketplace_app,
    read_credential,
    read_json_body,
)

# UNCONFIRMED: the HTTP status of a bad or deactivated Api-Key. The three methods served here
# declare only 200 and `default` (rpcStatus); across the swagger the only auth-like status
# documented is 403 "Access denied" with an rpcStatus body (134 methods). The gRPC code 7
# (PERMISSION_DENIED) is what grpc-gateway maps to 403, so the two agree.
OZON_AUTH_ERROR_STATUS = 403
OZON_AUTH_ERROR_CODE = 7
INVALID_KEY_MESSAGE = "Invalid Api-Key, please check the key and try again"
DEACTIVATED_KEY_MESSAGE = "Api-key is deactivated, use another one or generate a new one"

# UNCONFIRMED: the HTTP status of Ozon's rate-limit reply (the spec lists none); the message and
# gRPC code 8 (RESOURCE_EXHAUSTED, which grpc-gateway maps to 429) are from the Errors tag.
OZON_RATE_LIMIT_STATUS = 429
RATE_LIMIT_MESSAGE = "You have reached request rate limit per second"
REQUESTS_PER_SECOND = 50  # per Client-Id, all methods (tag Process)

MAX_WAREHOUSE_LIMIT = 200  # v2WarehouseListV2Request.limit.maximum

# HTTP status → gRPC status code, as grpc-gateway pairs them.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 6, 429: 8, 500: 13, 503: 14}


def rpc_status(status: int, message: str, code: int | None = None) -> web.Response:
    body = {"code": code if code is not None else GRPC_CODES.get(status, 2), "message": message, "details": []}
    return json_response(body, status=status)


@dataclass
class OzonCaller:
    seller: OzonSeller
    key: OzonApiKey


class OzonDialect(Dialect):
    name = "ozon"
    prefix = "/ozon"

    def __init__(self, state: SandboxState):
        self.state = state

    def authenticate(self, request: web.Request) -> OzonCaller:
        seller = self.state.ozon.get(read_credential(request, "Client-Id") or "")
        key = seller.keys.get(read_credential(request, "Api-Key") or "") if seller else None
        if seller is None or key is None:
            raise Reply(rpc_status(OZON_AUTH_ERROR_STATUS, INVALID_KEY_MESSAGE, OZON_AUTH_ERROR_CODE))
        if key.deactivated or key.expires_at.timestamp() <= self.state.clock():
            raise Reply(rpc_status(OZON_AUTH_ERROR_STATUS, DEACTIVATED_KEY_MESSAGE, OZON_AUTH_ERROR_CODE))
        if quota_refused(self.state, ("ozon", seller.client_id), REQUESTS_PER_SECOND, 1.0):
            raise Reply(self.rate_limited(request))
        return OzonCaller(seller, key)

    def error(self, request: web.Request, status: int, message: str) -> web.Response:
        return rpc_status(status, message)

    def server_error(self, request: web.Request) -> web.Response:
        return rpc_status(500, "Internal error")

    def rate_limited(self, request: web.Request) -> web.Response:
        return rpc_status(OZON_RATE_LIMIT_STATUS, RATE_LIMIT_MESSAGE, 8)


# --------------------------------------------------------------------------------------------
# Handlers
# --------------------------------------------------------------------------------------------
def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


async def roles(request: web.Request) -> web.Response:
    """POST /v1/roles (no request body): the key's roles and expiry."""
    caller: OzonCaller = request[ACCOUNT]
    return json_response({"expires_at": iso(caller.key.expires_at), "roles": caller.key.roles})


async def seller_info(request: web.Request) -> web.Response:
    """POST /v1/seller/info (no request body)."""
    caller: OzonCaller = request[ACCOUNT]
    return json_response(
        {
            "company": caller.seller.company,
            "ratings": [],
            "subscription": {"is_premium": False, "type": "UNSPECIFIED"},
        }
    )


# When every sandbox warehouse and product was "created" (and last updated).
CREATED_AT = "2026-01-15T09:00:00Z"


def warehouse_json(w: OzonWarehouse) -> dict:
    """One item of v2WarehouseListV2Response.warehouses."""
    created = CREATED_AT
    return {
        "warehouse_id": w.warehouse_id,
        "name": w.name,
        "status": w.status,
        "warehouse_type": "RFBS" if w.is_rfbs else "FBS",
        "is_rfbs": w.is_rfbs,
        "address_info": {"address": w.address, "latitude": 55.75, "longitude": 37.61, "utc": "UTC+03:00"},
        "carriage_label_type": "BIG",
        "courier_comment": "",
        "courier_phones": [],
        "created_at": created,
        "updated_at": created,
        "cut_in_time": 0,
        "first_mile": {
            "type": "DROP_OFF",
            "dropoff_point_id": "",
            "timeslot_id": 0,
            "timeslot_from": "09:00",
            "timeslot_to": "18:00",
            "first_mile_is_changing": False,
        },
        "has_entrusted_acceptance": False,
        "has_postings_limit": False,
        "is_auto_assembly": False,
        "is_comfort": False,
        "is_express": False,
        "is_kgt": False,
        "is_waybill_enabled": False,
        "min_postings_limit": 0,
        "phone": "+7(999)000-00-01",
        "postings_limit": -1,
        "sla_cut_in": 1440,
        "timetable": {"timetable_from": created, "timetable_to": created, "working_hours": []},
        "with_item_list": False,
        "working_days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
    }


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(cursor))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise Reply(rpc_status(400, "invalid cursor")) from None
    if not isinstance(offset, int) or offset < 0:
        raise Reply(rpc_status(400, "invalid cursor"))
    return offset


async def list_warehouses(request: web.Request) -> web.Response:
    """POST /v2/warehouse/list {limit (required, ≤200), cursor, warehouse_ids}."""
    caller: OzonCaller = request[ACCOUNT]
    try:
        body = await read_json_body(request)
    except ValueError:
        raise Reply(rpc_status(400, "invalid request payload: malformed JSON")) from None
    body = body if isinstance(body, dict) else {}
    limit = body.get("limit")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_WAREHOUSE_LIMIT:
        raise Reply(rpc_status(400, f"invalid request payload: limit must be in range [1, {MAX_WAREHOUSE_LIMIT}]"))
    warehouses = caller.seller.warehouses
    ids = body.get("warehouse_ids") or []
    if ids:
        wanted = {str(i) for i in ids}
        warehouses = [w for w in warehouses if str(w.warehouse_id) in wanted]
    offset = decode_cursor(body["cursor"]) if body.get("cursor") else 0
    page = warehouses[offset : offset + limit]
    has_next = offset + len(page) < len(warehouses)
    return json_response(
        {
            "cursor": encode_cursor(offset + len(page)) if has_next else "",
            "warehouses": [warehouse_json(w) for w in page],
            "has_next": has_next,
        }
    )


# ============================================================================================
# Catalog, stock, prices, orders and analytics (the seller's data lives in SandboxState: the shared
# Catalog of the account and the shared OrderBook; what only Ozon knows lives in `OzonBook` below).
# ============================================================================================
# Ids of catalog product N (catalog.product(N)): offer_id is the shared SKU ("SKU-000001").
PRODUCT_ID_BASE = 300_000_000  # product_id = PRODUCT_ID_BASE + N
OZON_SKU_BASE = 1_900_000_000  # Ozon SKU = OZON_SKU_BASE + N
CURRENCY = "RUB"

MAX_PRODUCT_LIMIT = 1000  # /v3/product/list limit; /v3/product/info/list ids in total
MAX_STOCK_LIMIT = 1000  # /v4/product/info/stocks limit
MAX_STOCK_ITEMS = 100  # /v2/products/stocks: 100 product-warehouse pairs
MAX_PRICE_ITEMS = 1000  # /v1/product/import/prices: prices.maxItems
MAX_POSTING_LIMIT = 100  # posting lists: limit 1..100
MAX_ANALYTICS_LIMIT = 1000
MAX_ANALYTICS_METRICS = 14
MAX_PERIOD = 366 * 86400  # "the period shouldn't be longer than one year"

# Limits (counted in SandboxState.now(), answered only while `enforce_rate_limits` is on).
STOCK_REQUESTS_PER_MINUTE = 80  # per account
SAME_PAIR_INTERVAL = 30.0  # a product-warehouse pair's stock at most once per 30 s -> TOO_MANY_REQUESTS
ANALYTICS_REQUESTS_PER_MINUTE = 1
PRICE_CHANGES_PER_HOUR = 10  # per product

# Per-item error codes. TOO_MANY_REQUESTS is documented (/v2/products/stocks); the others are the sandbox's
# own choice (UNCONFIRMED: the spec names no other codes).
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
PRODUCT_NOT_FOUND = "NOT_FOUND"
WAREHOUSE_NOT_FOUND = "WAREHOUSE_NOT_FOUND"
INVALID_VALUE = "INVALID_VALUE"

# Lifecycle -> (status, substatus) as Ozon shows a posting. UNCONFIRMED for RETURNED: the posting status lists
# have no "returned"; a buyer's return is a separate object (/v1/returns/list) and the posting stays
# `delivered`; the substatus is the nearest the lists have ("returned to the warehouse").
POSTING_STATUS = {
    Lifecycle.NEW: ("awaiting_packaging", "posting_created"),
    Lifecycle.CONFIRMED: ("awaiting_deliver", "posting_not_in_carriage"),
    Lifecycle.SHIPPED: ("delivering", "posting_on_way_to_city"),
    Lifecycle.DELIVERED: ("delivered", "posting_delivered"),
    Lifecycle.CANCELLED: ("cancelled", "posting_canceled"),
    Lifecycle.RETURNED: ("delivered", "posting_returned_to_warehouse"),
}
UNFULFILLED = (Lifecycle.NEW, Lifecycle.CONFIRMED, Lifecycle.SHIPPED)
OPEN = (Lifecycle.NEW, Lifecycle.CONFIRMED)  # units of these orders are reserved
SHIP_FAILED = "ship_failed"
# /v2/posting/fbs/cancel reasons the sandbox accepts (the method's description; 402 needs a message).
CANCEL_REASONS = {352: "Product is out of stock", 400: "Only defective products left",
                  401: "Cancellation from arbitration", 402: "Other reason",
                  665: "The customer didn't pick the order", 666: "Delivery isn't available in the region",
                  667: "Order was lost by the delivery service"}


@dataclass
class OzonBook:
    """What only the Ozon stand-in keeps per SandboxState: old prices, the time each stock pair and price
    was last changed (for the documented per-item limits)."""

    old_prices: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    stock_stamps: dict[tuple[str, int, int], float] = field(default_factory=dict)
    price_stamps: dict[tuple[str, int], list[float]] = field(default_factory=dict)


_BOOKS: dict[int, OzonBook] = {}


def ozon_book(state: SandboxState) -> OzonBook:
    """The OzonBook of a SandboxState (made on first use, dropped with the state)."""
    key = id(state)
    if key not in _BOOKS:
        _BOOKS[key] = OzonBook()
        weakref.finalize(state, _BOOKS.pop, key, None)
    return _BOOKS[key]


def product_id_of(index: int) -> int:
    return PRODUCT_ID_BASE + index


def ozon_sku_of(index: int) -> int:
    return OZON_SKU_BASE + index


def posting_number_of(order: SandboxOrder) -> str:
    return f"{order.id}-0001-1"


def order_number_of(order: SandboxOrder) -> str:
    return f"{order.id}-0001"


def add_order(state: SandboxState, lines: list[tuple[int, int]], *, client_id: str = OZON_CLIENT_ID,
              warehouse_id: int | None = None, fbo: bool = False, ship_within: float = 2 * 86400) -> SandboxOrder:
    """A new Ozon posting of catalog products [(index, quantity), ...] (for tests and the demo).

    FBS / rFBS postings belong to a seller warehouse (the first one unless given; an rFBS warehouse makes the
    order's scheme "DBS"); `fbo=True` makes an FBO posting (Ozon's warehouse: listed by /v3/posting/fbo/list).
    """
    seller = state.ozon[client_id]
    catalog = state.catalog("ozon", client_id)
    order_lines = [OrderLine(index, quantity, catalog.get_price(index)) for index, quantity in lines]
    if fbo:
        return state.orders.create("ozon", client_id, order_lines, scheme="FBO", ship_within=ship_within)
    warehouse = next((w for w in seller.warehouses if w.warehouse_id == warehouse_id), None) \
        if warehouse_id is not None else seller.warehouses[0]
    if warehouse is None:
        raise KeyError(f"no warehouse {warehouse_id} for Ozon client {client_id}")
    return state.orders.create("ozon", client_id, order_lines, shop_id=str(warehouse.warehouse_id),
                               scheme="DBS" if warehouse.is_rfbs else "FBS", ship_within=ship_within)


def fail_next_packing(order: SandboxOrder, times: int = 1) -> None:
    """Make the next `times` /v4/posting/fbs/ship calls for this order answer 200 but leave the posting
    unpacked with substatus `ship_failed` (what the real API does now and then)."""
    order.extra["ship_failures"] = times


# --------------------------------------------------------------------------------------- parsing
def bad_request(message: str) -> Reply:
    return Reply(rpc_status(400, message))


async def body_of(request: web.Request) -> dict:
    try:
        body = await read_json_body(request)
    except ValueError:
        raise bad_request("invalid request payload: malformed JSON") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_request("invalid request payload: the body must be a JSON object")
    return body


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def int_field(body: dict, name: str, *, low: int | None = None, high: int | None = None,
              default: int | None = None) -> int:
    value = body.get(name, default)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():  # int64 may come as a string
        value = int(value)
    if not _is_int(value) or (low is not None and value < low) or (high is not None and value > high):
        bounds = f" in range [{low}, {high}]" if low is not None and high is not None else ""
        raise bad_request(f"invalid request payload: {name} must be an integer{bounds}")
    return value


def list_field(body: dict, name: str, *, limit: int | None = None) -> list:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request(f"invalid request payload: {name} must be an array")
    if limit is not None and len(value) > limit:
        raise bad_request(f"invalid request payload: {name} must contain at most {limit} items")
    return value


def object_field(body: dict, name: str) -> dict:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"invalid request payload: {name} must be an object")
    return value


def time_field(body: dict, name: str) -> float | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise bad_request(f"invalid request payload: {name} must be a date-time string")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"invalid request payload: {name} is not a valid date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def iso_at(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def money(value: object) -> str:
    """A price as Ozon writes it: a decimal string with two places ("1234.00", "99.50")."""
    if type(value) is int:  # the catalog's whole-rouble prices: the same text without a Decimal
        return f"{value}.00"
    return f"{Decimal(str(value)):.2f}"


def quota_refused(state: SandboxState, key: tuple, limit: int, period: float) -> bool:
    """Count one request against a per-account quota; True if it is over and limits are enforced. The window
    forgives the sandbox's jitter allowance (at most a tenth of it: Ozon's windows are long)."""
    quota = state.quotas.get_quota(key, limit, period - state.forgiven(period, at_most=0.1))
    return not quota.take(state.now()) and state.enforce_rate_limits


# --------------------------------------------------------------------------------------- catalog
def _catalog(request: web.Request) -> tuple[SandboxState, OzonCaller, Catalog]:
    state: SandboxState = request.app[STATE]
    caller: OzonCaller = request[ACCOUNT]
    return state, caller, state.catalog("ozon", caller.seller.client_id)


def _index(catalog: Catalog, *, offer_id: object = None, product_id: object = None, sku: object = None) -> int | None:
    """The catalog index an offer_id / product_id / Ozon SKU names (None if no such product)."""
    index: int | None = None
    if isinstance(offer_id, str) and offer_id:
        index = index_of(offer_id)
    elif product_id not in (None, "", 0):
        try:
            index = int(product_id) - PRODUCT_ID_BASE
        except (TypeError, ValueError):
            return None
    elif sku not in (None, "", 0):
        try:
            index = int(sku) - OZON_SKU_BASE
        except (TypeError, ValueError):
            return None
    return index if index is not None and index in catalog else None


def _seller_warehouses(caller: OzonCaller, *, rfbs: bool | None = None) -> list[OzonWarehouse]:
    return [w for w in caller.seller.warehouses if rfbs is None or w.is_rfbs == rfbs]


def warehouse_keys(warehouses: list[OzonWarehouse]) -> tuple[str, ...]:
    """Warehouse ids the way Catalog.stock and `reservations` key a warehouse (strings)."""
    return tuple(str(w.warehouse_id) for w in warehouses)


def reservations(state: SandboxState, client_id: str) -> dict[tuple[int, str | None], int]:
    """(product index, warehouse) -> units in open (unpacked or packed, not yet shipped) FBS / rFBS postings.
    Computed once per request: a page of 1000 products must not scan the order book 1000 times."""
    held: dict[tuple[int, str | None], int] = {}
    for order in state.orders.of("ozon", client_id):
        if order.status in OPEN and order.scheme != "FBO":
            for line in order.lines:
                held[(line.index, order.shop_id)] = held.get((line.index, order.shop_id), 0) + line.quantity
    return held


def reserved(held: dict[tuple[int, str | None], int], index: int, keys: tuple[str, ...]) -> int:
    """Units of the product held by open postings at these warehouses (`keys`: see warehouse_keys)."""
    units = 0
    if held:  # else no open postings: the usual case on a big catalog
        for key in keys:
            units += held.get((index, key), 0)
    return units


def present(catalog: Catalog, index: int, keys: tuple[str, ...]) -> int:
    """Units at these warehouses, reserved ones included (a push sets free-to-sell + reserved)."""
    return catalog.stock_at(index, keys)


@dataclass(frozen=True)
class StockScope:
    """The seller's own warehouses of one kind, as stock replies group them."""

    kind: str  # "fbs" or "rfbs"
    warehouse_ids: list[int]
    keys: tuple[str, ...]  # the same ids as Catalog.stock and reservations key them


def stock_scopes(caller: OzonCaller) -> list[StockScope]:
    """FBS then rFBS (a kind the seller has no warehouse of is left out). Worked out once per request, not once
    per product."""
    scopes = []
    for kind, rfbs in (("fbs", False), ("rfbs", True)):
        warehouses = _seller_warehouses(caller, rfbs=rfbs)
        if warehouses:
            scopes.append(StockScope(kind, [w.warehouse_id for w in warehouses], warehouse_keys(warehouses)))
    return scopes


def _visible(catalog: Catalog, index: int, visibility: str) -> bool:
    archived = index in catalog.archived
    return archived if visibility == "ARCHIVED" else not archived


def _archived_indexes(catalog: Catalog) -> list[int]:
    """The archived products of the catalog, in index order."""
    return sorted(i for i in catalog.archived if i in catalog)


def _nth_unarchived(archived: list[int], n: int) -> int:
    """The index of the n-th (from 0) product that is not archived, given the archived ones in order (the
    result may be past the catalog's end). Skips the archived ones before it instead of walking the catalog."""
    index = n + 1
    for i in archived:
        if i > index:
            break
        index += 1
    return index


def _filtered_indexes(catalog: Catalog, filt: dict) -> list[int] | None:
    """Indexes named by filter.offer_id / filter.product_id (None: no id filter)."""
    offers = list_field(filt, "offer_id", limit=MAX_PRODUCT_LIMIT)
    products = list_field(filt, "product_id", limit=MAX_PRODUCT_LIMIT)
    if not offers and not products:
        return None
    found = [_index(catalog, offer_id=str(o)) for o in offers] + [_index(catalog, product_id=p) for p in products]
    return sorted({i for i in found if i is not None})


async def product_list(request: web.Request) -> web.Response:
    """POST /v3/product/list {filter{offer_id[], product_id[], visibility}, last_id, limit 1..1000}."""
    _, caller, catalog = _catalog(request)
    body = await body_of(request)
    filt = object_field(body, "filter")
    visibility = filt.get("visibility") or "ALL"
    limit = int_field(body, "limit", low=1, high=MAX_PRODUCT_LIMIT, default=MAX_PRODUCT_LIMIT)
    last_id = body.get("last_id") or ""
    after = decode_cursor(str(last_id)) if last_id else 0
    named = _filtered_indexes(catalog, filt)
    if named is not None:
        indexes = [i for i in named if _visible(catalog, i, visibility)]
        total = len(indexes)
        page = [i for i in indexes if i > after][:limit]
    else:  # the whole catalog: walk on from last_id, never from the start (catalogs go up to 100,000)
        archived = sum(1 for i in catalog.archived if i in catalog)
        total = archived if visibility == "ARCHIVED" else catalog.size - archived
        candidates = sorted(i for i in catalog.archived if i > after) if visibility == "ARCHIVED" \
            else range(after + 1, catalog.size + 1)
        page = list(itertools.islice((i for i in candidates if _visible(catalog, i, visibility)), limit))
    keys = warehouse_keys(caller.seller.warehouses)
    items = [
        {
            "product_id": product_id_of(i),
            "offer_id": sku_of(i),
            "has_fbo_stocks": False,
            "has_fbs_stocks": present(catalog, i, keys) > 0,
            "archived": i in catalog.archived,
            "is_discounted": False,
            "quants": [],
        }
        for i in page
    ]
    # last_id: the last product of the page (empty once the list is exhausted), as Ozon pages it.
    return json_response({"result": {"items": items, "total": total,
                                     "last_id": encode_cursor(page[-1]) if page else ""}})


class ProductInfo:
    """Builds the items of one /v3/product/info/list reply.

    A reply holds up to 1,000 products, so what is the same for all of them (the seller's warehouses, the
    reservations, the ~30 fields no product changes) is worked out once, in __init__, and `item` adds only
    what differs per product. Items of one reply share these parts: they are serialized, never changed.
    """

    def __init__(self, state: SandboxState, caller: OzonCaller, catalog: Catalog):
        self.catalog = catalog
        self.client_id = caller.seller.client_id
        self.old_prices = ozon_book(state).old_prices
        self.held = reservations(state, self.client_id)
        self.scopes = stock_scopes(caller)
        self.statuses = {archived: self._statuses(archived) for archived in (False, True)}
        self.template = self._template()

    @staticmethod
    def _statuses(archived: bool) -> dict:
        return {
            "is_created": True,
            "moderate_status": "approved",
            "status": "archived" if archived else "price_sent",
            "status_description": "",
            "status_failed": "",
            "status_name": "Archived" if archived else "Ready for sale",
            "status_tooltip": "",
            "status_updated_at": CREATED_AT,
            "validation_status": "success",
        }

    @staticmethod
    def _template() -> dict:
        """An item with its fixed fields set and the per-product ones None, in the reply's field order (`item`
        fills a copy: assigning a key a copied dict has keeps its place)."""
        per_product = None
        return {
            "id": per_product,
            "offer_id": per_product,
            "sku": per_product,
            "name": per_product,
            "barcodes": per_product,
            "currency_code": CURRENCY,
            "price": per_product,
            "old_price": per_product,
            "min_price": per_product,
            "vat": "0",
            "is_archived": per_product,
            "is_autoarchived": False,
            "is_discounted": False,
            "is_kgt": False,
            "is_super": False,
            "has_discounted_fbo_item": False,
            "discounted_fbo_stocks": 0,
            "created_at": CREATED_AT,
            "updated_at": CREATED_AT,
            "description_category_id": 17028922,
            "type_id": 91565,
            "images": [],
            "images360": [],
            "color_image": [],
            "primary_image": [],
            "errors": [],
            "commissions": [],
            "promotions": [],
            "availabilities": [],
            "model_info": per_product,
            "sources": per_product,
            "statuses": per_product,
            "stocks": per_product,
            "visibility_details": per_product,
            "volume_weight": 0.5,
        }

    def item(self, index: int) -> dict:
        """The item of catalog product `index` (an index in the catalog: product_info_list checked it)."""
        catalog, held = self.catalog, self.held
        product_id, sku = product_id_of(index), ozon_sku_of(index)
        price = money(catalog.get_price(index))
        old_price = self.old_prices.get((self.client_id, index))
        archived = index in catalog.archived
        stocks, has_stock = [], False
        for scope in self.scopes:
            units = present(catalog, index, scope.keys)
            has_stock = has_stock or units > 0
            stocks.append({"present": units, "reserved": reserved(held, index, scope.keys), "sku": sku,
                           "source": scope.kind})
        item = self.template.copy()
        item["id"] = product_id
        # The product's fields one by one (= catalog.product(index)'s, without making the Product).
        item["offer_id"] = sku_of(index)
        item["sku"] = sku
        item["name"] = product_name(index)
        item["barcodes"] = [ean13(index)]
        item["price"] = price
        item["old_price"] = money(old_price) if old_price is not None else "0.00"
        item["min_price"] = price
        item["is_archived"] = archived
        item["model_info"] = {"count": 1, "model_id": product_id}
        item["sources"] = [{"created_at": CREATED_AT, "quant_code": "", "shipment_type": "SHIPMENT_TYPE_GENERAL",
                            "sku": sku, "source": "sds"}]
        item["statuses"] = self.statuses[archived]
        item["stocks"] = {"has_stock": has_stock, "stocks": stocks}
        item["visibility_details"] = {"has_price": True, "has_stock": has_stock}
        return item


async def product_info_list(request: web.Request) -> web.Response:
    """POST /v3/product/info/list {offer_id[] | product_id[] | sku[]}: up to 1000 ids in total."""
    state, caller, catalog = _catalog(request)
    body = await body_of(request)
    offers, products, skus = (list_field(body, name) for name in ("offer_id", "product_id", "sku"))
    if len(offers) + len(products) + len(skus) > MAX_PRODUCT_LIMIT:
        raise bad_request(f"invalid request payload: at most {MAX_PRODUCT_LIMIT} identifiers in total")
    found = [_index(catalog, offer_id=str(o)) for o in offers] + [_index(catalog, product_id=p) for p in products]
    found += [_index(catalog, sku=s) for s in skus]
    indexes = list(dict.fromkeys(i for i in found if i is not None))
    info = ProductInfo(state, caller, catalog)
    return json_response({"items": [info.item(i) for i in indexes]})


def _stock_page(catalog: Catalog, filt: dict, visibility: str, body: dict, limit: int) -> tuple[list[int], int, int]:
    """(the page's indexes, its offset, how many products match) for /v4/product/info/stocks: the cursor is an
    offset into the matching products. Without an id filter the page is found without listing the catalog."""
    named = _filtered_indexes(catalog, filt)
    offset = decode_cursor(body["cursor"]) if body.get("cursor") else 0
    if named is not None:
        indexes = [i for i in named if _visible(catalog, i, visibility)]
        return indexes[offset:offset + limit], offset, len(indexes)
    archived = _archived_indexes(catalog)
    if visibility == "ARCHIVED":
        return archived[offset:offset + limit], offset, len(archived)
    candidates = range(_nth_unarchived(archived, offset), catalog.size + 1)
    page = list(itertools.islice((i for i in candidates if i not in catalog.archived), limit))
    return page, offset, catalog.size - len(archived)


async def product_stocks(request: web.Request) -> web.Response:
    """POST /v4/product/info/stocks {filter (required){offer_id[], product_id[], visibility}, limit (required,
    <= 1000), cursor}: FBS and rFBS stock per product (FBO stock is Ozon's and not modelled)."""
    state, caller, catalog = _catalog(request)
    body = await body_of(request)
    if "filter" not in body:
        raise bad_request("invalid request payload: filter is required")
    filt = object_field(body, "filter")
    limit = int_field(body, "limit", low=1, high=MAX_STOCK_LIMIT)
    visibility = filt.get("visibility") or "ALL"
    page, offset, total = _stock_page(catalog, filt, visibility, body, limit)
    held = reservations(state, caller.seller.client_id)
    scopes = stock_scopes(caller)
    items = [{"offer_id": sku_of(i), "product_id": product_id_of(i),
              "stocks": [{"type": scope.kind, "sku": ozon_sku_of(i), "present": present(catalog, i, scope.keys),
                          "reserved": reserved(held, i, scope.keys), "shipment_type": "SHIPMENT_TYPE_GENERAL",
                          "warehouse_ids": scope.warehouse_ids}  # shared by the page's items: only serialized
                         for scope in scopes]}
             for i in page]
    more = offset + len(page) < total
    return json_response({"items": items, "total": total,
                          "cursor": encode_cursor(offset + len(page)) if more else ""})


def _item_key(catalog: Catalog, item: dict) -> tuple[int | None, str | None, int | None]:
    """(index, offer_id, product_id) of a stocks / prices item: offer_id wins over product_id (the spec)."""
    offer = item.get("offer_id") if isinstance(item.get("offer_id"), str) and item.get("offer_id") else None
    product = item.get("product_id")
    product = int(product) if _is_int(product) or (isinstance(product, str) and product.isdigit()) else None
    index = _index(catalog, offer_id=offer) if offer else _index(catalog, product_id=product)
    return index, offer, product


def _error(code: str, message: str) -> list[dict]:
    return [{"code": code, "message": message}]


async def update_stocks(request: web.Request) -> web.Response:
    """POST /v2/products/stocks {stocks (required): [{offer_id | product_id, stock, warehouse_id}] <= 100}.

    The item key: offer_id if given (it wins over product_id, as the method says), else product_id; the
    schema's undefined `quant_size` is accepted and ignored. `stock` is free to sell (reserved units are not
    in it), so the warehouse then holds stock + reserved. Limits (when enforced): 80 requests per minute per
    account; the same product-warehouse pair once per 30 s, else TOO_MANY_REQUESTS in the item's errors.
    """
    state, caller, catalog = _catalog(request)
    body = await body_of(request)
    if "stocks" not in body:
        raise bad_request("invalid request payload: stocks is required")
    stocks = list_field(body, "stocks", limit=MAX_STOCK_ITEMS)
    client_id = caller.seller.client_id
    if quota_refused(state, ("ozon", client_id, "stocks"), STOCK_REQUESTS_PER_MINUTE, 60.0):
        raise Reply(rpc_status(OZON_RATE_LIMIT_STATUS, RATE_LIMIT_MESSAGE, 8))
    book = ozon_book(state)
    warehouses = {w.warehouse_id: w for w in caller.seller.warehouses}
    held = reservations(state, client_id)
    now = state.now()
    result = []
    for item in stocks:
        if not isinstance(item, dict):
            raise bad_request("invalid request payload: stocks items must be objects")
        index, offer, product = _item_key(catalog, item)
        warehouse = item.get("warehouse_id")
        warehouse = int(warehouse) if _is_int(warehouse) or (isinstance(warehouse, str) and warehouse.isdigit()) else None
        stock = item.get("stock")
        entry: dict = {"warehouse_id": warehouse or 0, "product_id": product_id_of(index) if index else (product or 0),
                       "offer_id": sku_of(index) if index else (offer or ""), "updated": False, "errors": []}
        if index is None:
            entry["errors"] = _error(PRODUCT_NOT_FOUND, "product not found")
        elif warehouse not in warehouses:
            entry["errors"] = _error(WAREHOUSE_NOT_FOUND, "warehouse not found")
        elif not _is_int(stock) or stock < 0:
            entry["errors"] = _error(INVALID_VALUE, "stock must be a non-negative integer")
        else:
            pair = (client_id, index, warehouse)
            last = book.stock_stamps.get(pair)
            if state.enforce_rate_limits and last is not None and now - last < SAME_PAIR_INTERVAL:
                entry["errors"] = _error(TOO_MANY_REQUESTS, "Too many requests: the stock of a product at a "
                                         "warehouse can be updated once in 30 seconds")
            else:
                book.stock_stamps[pair] = now
                catalog.set_stock(index, stock + reserved(held, index, (str(warehouse),)), str(warehouse))
                entry["updated"] = True
        result.append(entry)
    return json_response({"result": result})


def _price(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


async def import_prices(request: web.Request) -> web.Response:
    """POST /v1/product/import/prices {prices: [{offer_id | product_id, price, old_price ("0" resets),
    currency_code, ...}] <= 1000}. Each product's price at most 10 times per hour (when enforced)."""
    state, caller, catalog = _catalog(request)
    body = await body_of(request)
    prices = list_field(body, "prices", limit=MAX_PRICE_ITEMS)
    client_id = caller.seller.client_id
    book = ozon_book(state)
    now = state.now()
    result = []
    for item in prices:
        if not isinstance(item, dict):
            raise bad_request("invalid request payload: prices items must be objects")
        index, offer, product = _item_key(catalog, item)
        entry: dict = {"product_id": product_id_of(index) if index else (product or 0),
                       "offer_id": sku_of(index) if index else (offer or ""), "updated": False, "errors": []}
        price = _price(item.get("price"))
        old_price = _price(item["old_price"]) if "old_price" in item else None
        currency = item.get("currency_code")
        if index is None:
            entry["errors"] = _error(PRODUCT_NOT_FOUND, "product not found")
        elif price is None or price <= 0:
            entry["errors"] = _error(INVALID_VALUE, "price must be a positive number")
        elif "old_price" in item and old_price is None:
            entry["errors"] = _error(INVALID_VALUE, "old_price must be a number")
        elif old_price and old_price <= price:
            entry["errors"] = _error(INVALID_VALUE, "old_price must be greater than price")
        elif currency not in (None, "", CURRENCY):
            entry["errors"] = _error(INVALID_VALUE, f"currency_code must be the account's currency {CURRENCY}")
        else:
            stamps = [t for t in book.price_stamps.get((client_id, index), []) if now - t < 3600]
            if state.enforce_rate_limits and len(stamps) >= PRICE_CHANGES_PER_HOUR:
                entry["errors"] = _error(TOO_MANY_REQUESTS, "the price of a product can be changed at most "
                                         "10 times per hour")
            else:
                book.price_stamps[(client_id, index)] = stamps + [now]
                catalog.set_price(index, price)
                if old_price is not None:
                    book.old_prices[(client_id, index)] = old_price
                entry["updated"] = True
        result.append(entry)
    return json_response({"result": result})


# --------------------------------------------------------------------------------------- postings
def _orders(state: SandboxState, caller: OzonCaller, *, fbo: bool) -> list[SandboxOrder]:
    return [o for o in state.orders.of("ozon", caller.seller.client_id) if (o.scheme == "FBO") == fbo]


def _find_order(state: SandboxState, caller: OzonCaller, posting_number: object, *, fbo: bool) -> SandboxOrder:
    if not isinstance(posting_number, str) or not posting_number:
        raise bad_request("invalid request payload: posting_number is required")
    for order in _orders(state, caller, fbo=fbo):
        if posting_number_of(order) == posting_number:
            return order
    raise Reply(rpc_status(404, "POSTING_NOT_FOUND"))


def _status(order: SandboxOrder) -> tuple[str, str]:
    status, substatus = POSTING_STATUS[order.status]
    if order.status == Lifecycle.NEW:
        substatus = order.extra.get("substatus", substatus)  # `ship_failed` after a failed packing
    return status, substatus


def _warehouse_of(caller: OzonCaller, order: SandboxOrder) -> OzonWarehouse | None:
    return next((w for w in caller.seller.warehouses if str(w.warehouse_id) == order.shop_id), None)


def posting_json(state: SandboxState, caller: OzonCaller, order: SandboxOrder, *, detail: bool = False) -> dict:
    """An FBS / rFBS posting: list shape (`detail=False`: price {amount, currency}) or /v3/posting/fbs/get's
    (price string + currency_code)."""
    catalog = state.catalog("ozon", caller.seller.client_id)
    status, substatus = _status(order)
    warehouse = _warehouse_of(caller, order)
    rfbs = bool(warehouse and warehouse.is_rfbs)
    products = []
    for line in order.lines:
        product = catalog.product(line.index)
        item = {"name": product.name, "offer_id": product.sku, "quantity": line.quantity, "sku": ozon_sku_of(line.index)}
        if detail:
            item.update(price=money(line.price), currency_code=CURRENCY)
        else:
            item.update(price={"amount": money(line.price), "currency": CURRENCY})
        products.append(item)
    actions = {"awaiting_packaging": ["ship", "cancel", "label_download"],
               "awaiting_deliver": ["cancel", "label_download"]}.get(status, [])
    cancelled = order.status == Lifecycle.CANCELLED
    reason_id = int(order.extra.get("cancel_reason_id", 0)) if cancelled else 0
    return {
        "posting_number": posting_number_of(order),
        "order_id": order.id,
        "order_number": order_number_of(order),
        "status": status,
        "substatus": substatus,
        "in_process_at": iso_at(order.created_at),
        "shipment_date": iso_at(order.ship_by),
        "delivery_method": {
            "id": 15_110_000_000 + (warehouse.warehouse_id % 1000 if warehouse else 0),
            "name": f"{'Seller delivery' if rfbs else 'Ozon Logistics'}, {warehouse.name if warehouse else ''}".strip(", "),
            "tpl_provider": "Seller" if rfbs else "Ozon Logistics",
            "tpl_provider_id": 0 if rfbs else 24,
            "warehouse": warehouse.name if warehouse else "",
            "warehouse_id": warehouse.warehouse_id if warehouse else 0,
        },
        "tpl_integration_type": "non_integrated" if rfbs else "ozon",
        "tracking_number": "",
        "products": products,
        "available_actions": actions,
        "cancellation": {
            "cancel_reason_id": reason_id,
            "cancel_reason": CANCEL_REASONS.get(reason_id, "") if cancelled else "",
            "cancellation_type": "seller" if cancelled else "",
            "cancellation_initiator": "Seller" if cancelled else "",
            "cancelled_after_ship": False,
            "affect_cancellation_rating": False,
        },
        "is_express": False,
        "is_multibox": False,
        "multi_box_qty": 0,
        "parent_posting_number": "",
        "delivery_schema": "SDS",
    }


def fbo_posting_json(state: SandboxState, caller: OzonCaller, order: SandboxOrder, *, detail: bool = False) -> dict:
    """An FBO posting: /v3/posting/fbo/list shape (price {amount, currency}) or /v2/posting/fbo/get's."""
    catalog = state.catalog("ozon", caller.seller.client_id)
    status, substatus = _status(order)
    products = []
    for line in order.lines:
        product = catalog.product(line.index)
        item = {"name": product.name, "offer_id": product.sku, "quantity": line.quantity,
                "sku": ozon_sku_of(line.index), "digital_codes": [], "is_marketplace_buyout": False}
        if detail:
            item.update(price=money(line.price), currency_code=CURRENCY)
        else:
            item.update(price={"amount": money(line.price), "currency": CURRENCY})
        products.append(item)
    return {
        "posting_number": posting_number_of(order),
        "order_id": order.id,
        "order_number": order_number_of(order),
        "status": status,
        "substatus": substatus,
        "created_at": iso_at(order.created_at),
        "in_process_at": iso_at(order.created_at),
        "cancel_reason_id": 0,
        "products": products,
        "analytics_data": {"warehouse_id": 15_431_806_189_000, "warehouse_name": "OZON Sandbox FBO",
                           "delivery_type": "PVZ", "is_legal": False, "is_premium": False,
                           "payment_type_group_name": "by card online"},
        "additional_data": [],
    }


def _page(items: list, body: dict, limit: int) -> tuple[list, str, bool]:
    offset = decode_cursor(body["cursor"]) if body.get("cursor") else 0
    page = items[offset:offset + limit]
    more = offset + len(page) < len(items)
    return page, encode_cursor(offset + len(page)) if more else "", more


def _sorted(orders: list[SandboxOrder], body: dict) -> list[SandboxOrder]:
    direction = str(body.get("sort_dir") or "ASC").upper()
    if direction not in ("ASC", "DESC"):
        raise bad_request("invalid request payload: sort_dir must be ASC or DESC")
    return sorted(orders, key=lambda o: (o.created_at, o.id), reverse=direction == "DESC")


def _statuses(filt: dict) -> set[str] | None:
    statuses = list_field(filt, "statuses")
    return {str(s) for s in statuses} or None


def _in_warehouses(order: SandboxOrder, filt: dict) -> bool:
    ids = {str(i) for i in list_field(filt, "warehouse_ids", limit=1000)}
    return not ids or order.shop_id in ids


async def fbs_unfulfilled_list(request: web.Request) -> web.Response:
    """POST /v4/posting/fbs/unfulfilled/list {filter{cutoff_from/to | delivering_date_from/to, statuses,
    warehouse_ids}, limit 1..100, cursor, sort_dir}. One of the two date filters is required (UNCONFIRMED:
    the spec's text says "use either", the schema marks neither required); both at once is an error."""
    state: SandboxState = request.app[STATE]
    caller: OzonCaller = request[ACCOUNT]
    body = await body_of(request)
    filt = object_field(body, "filter")
    limit = int_field(body, "limit", low=1, high=MAX_POSTING_LIMIT)
    cutoff = (time_field(filt, "cutoff_from"), time_field(filt, "cutoff_to"))
    delivering = (time_field(filt, "delivering_date_from"), time_field(filt, "delivering_date_to"))
    if any(v is not None for v in cutoff) and any(v is not None for v in delivering):
        raise bad_request("use either the cutoff filter or the delivering_date filter, not both")
    window = cutoff if any(v is not None for v in cutoff) else delivering
    if None in window:
        raise bad_request("filter: cutoff_from and cutoff_to (or delivering_date_from and delivering_date_to) "
                          "are required")
    statuses = _statuses(filt)
    orders = []
    for order in _orders(state, caller, fbo=False):
        status, _ = _status(order)
        if order.status not in UNFULFILLED or (statuses and status not in statuses) or not _in_warehouses(order, filt):
            continue
        if window[0] <= order.ship_by <= window[1]:
            orders.append(order)
    page, cursor, more = _page(_sorted(orders, body), body, limit)
    return json_response({"postings": [posting_json(state, caller, o) for o in page], "count": len(orders),
                          "cursor": cursor, "has_next": more})


async def fbs_list(request: web.Request) -> web.Response:
    """POST /v4/posting/fbs/list {filter (required){since, to (required; <= 1 year), statuses, warehouse_ids,
    order_id, last_changed_status_date{from, to}}, limit (required) 1..100, cursor, sort_dir}."""
    state: SandboxState = request.app[STATE]
    caller: OzonCaller = request[ACCOUNT]
    body = await body_of(request)
    if "filter" not in body:
        raise bad_request("invalid request payload: filter is required")
    filt = object_field(body, "filter")
    limit = int_field(body, "limit", low=1, high=MAX_POSTING_LIMIT)
    since, to = time_field(filt, "since"), time_field(filt, "to")
    if since is None or to is None:
        raise bad_request("invalid request payload: filter.since and filter.to are required")
    if to - since > MAX_PERIOD:
        raise bad_request("PERIOD_IS_TOO_LONG")
    changed = object_field(filt, "last_changed_status_date")
    changed_from, changed_to = time_field(changed, "from"), time_field(changed, "to")
    statuses = _statuses(filt)
    order_id = filt.get("order_id")
    orders = []
    for order in _orders(state, caller, fbo=False):
        status, _ = _status(order)
        if not since <= order.created_at <= to or (statuses and status not in statuses):
            continue
        if not _in_warehouses(order, filt) or (order_id not in (None, 0) and str(order.id) != str(order_id)):
            continue
        if changed_from is not None and order.updated_at < changed_from:
            continue
        if changed_to is not None and order.updated_at > changed_to:
            continue
        orders.append(order)
    page, cursor, more = _page(_sorted(orders, body), body, limit)
    return json_response({"postings": [posting_json(state, caller, o) for o in page], "cursor": cursor,
                          "has_next": more})


async def fbo_list(request: web.Request) -> web.Response:
    """POST /v3/posting/fbo/list {filter{since, to (<= 1 year, else PERIOD_IS_TOO_LONG), statuses,
    posting_numbers}, limit 1..100, cursor, sort_dir}."""
    state: SandboxState = request.app[STATE]
    caller: OzonCaller = request[ACCOUNT]
    body = await body_of(request)
    filt = object_field(body, "filter")
    limit = int_field(body, "limit", low=1, high=MAX_POSTING_LIMIT)
    since, to = time_field(filt, "since"), time_field(filt, "to")
    if since is not None and to is not None and to - since > MAX_PERIOD:
        raise bad_request("PERIOD_IS_TOO_LONG")
    statuses = _statuses(filt)
    numbers = {str(n) for n in list_field(filt, "posting_numbers", limit=1000)}
    orders = []
    for order in _orders(state, caller, fbo=True):
        status, _ = _status(order)
        if (since is not None and order.created_at < since) or (to is not None and order.created_at > to):
            continue
        if (statuses and status not in statuses) or (numbers and posting_number_of(order) not in numbers):
            continue
        orders.append(order)
    page, cursor, more = _page(_sorted(orders, body), body, limit)
    return json_response({"postings": [fbo_posting_json(state, caller, o) for o in page], "cursor": cursor,
                          "has_next": more})


async def fbs_get(request: web.Request) -> web.Response:
    """POST /v3/posting/fbs/get {posting_number (required), with{...}}; 404 POSTING_NOT_FOUND otherwise."""
    state: SandboxState = request.app[STATE]
    caller: OzonCaller = request[ACCOUNT]
    body = await body_of(request)
    order = _find_order(state, caller, body.get("posting_number"), fbo=False)
    return json_response({"result": posting_json(state, caller, order, detail=True)})


async def fbo_get(request: web.Request) -> web.Response:
    """POST /v2/posting/fbo/get {posting_number (required)}."""
    state: SandboxState = request.app[STATE]
    caller: OzonCaller = request[ACCOUNT]
    body = await body_of(request)
    order = _find_order(state, caller, body.get("posting_number"), fbo=True)
    return json_response({"result": fbo_posting_json(state, caller, order, detail=True)})


async def fbs_ship(request: web.Request) -> web.Response:
    """POST /v4/posting/fbs/ship {packages (required)[{products[{product_id (= Ozon SKU), quantity}]}],
    posting_number (required)}: awaiting_packaging -> awaiting_deliver when the packages hold exactly the
    posting's products. A `fail_next_packing()` order answers 200 and stays unpacked with `ship_failed`."""
    state: SandboxState = request.app[STATE]
    caller: OzonCaller = request[ACCOUNT]
    body = await body_of(request)
    order = _find_order(state, caller, body.get("posting_number"), fbo=False)
    packages = list_field(body, "packages")
    if not packages:
        raise bad_request("invalid request payload: packages is required")
    packed: dict[int, int] = {}
    for package in packages:
        if not isinstance(package, dict):
            raise bad_request("invalid request payload: packages items must be objects")
        for item in list_field(package, "products"):
            if not isinstance(item, dict):
                raise bad_request("invalid request payload: products items must be objects")
            sku = int_field(item, "product_id", low=1)
            packed[sku] = packed.get(sku, 0) + int_field(item, "quantity", low=1)
    wanted: dict[int, int] = {}
    for line in order.lines:
        wanted[ozon_sku_of(line.index)] = wanted.get(ozon_sku_of(line.index), 0) + line.quantity
    if order.status != Lifecycle.NEW:
        raise bad_request("POSTING_ALREADY_SHIPPED" if order.status != Lifecycle.CANCELLED else "POSTING_CANCELLED")
    if packed != wanted:
        raise bad_request("INVALID_PRODUCTS: the packages must hold exactly the products of the posting")
    failures = int(order.extra.get("ship_failures", 0))
    if failures > 0:
        order.extra["ship_failures"] = failures - 1
        order.extra["substatus"] = SHIP_FAILED
        state.orders.set_status(order.id, Lifecycle.NEW)
    else:
        order.extra.pop("substatus", None)
        state.orders.set_status(order.id, Lifecycle.CONFIRMED)
    number = posting_number_of(order)
    catalog = state.catalog("ozon", caller.seller.client_id)
    additional = [{"posting_number": number, "products": [
        {"name": catalog.product(line.index).name, "offer_id": sku_of(line.index), "sku": ozon_sku_of(line.index),
         "quantity": line.quantity, "price": money(line.price), "currency_code": CURRENCY, "mandatory_mark": []}
        for line in order.lines]}]
    with_ = object_field(body, "with")
    return json_response({"result": [number], "additional_data": additional if with_.get("additional_data") else []})


async def fbs_cancel(request: web.Request) -> web.Response:
    """POST /v2/posting/fbs/cancel {cancel_reason_id (required), cancel_reason_message (required for 402),
    posting_number (required)}. Delivered postings cannot be cancelled."""
    state: SandboxState = request.app[STATE]
    caller: OzonCaller = request[ACCOUNT]
    body = await body_of(request)
    order = _find_order(state, caller, body.get("posting_number"), fbo=False)
    reason = int_field(body, "cancel_reason_id", low=1)
    if reason not in CANCEL_REASONS:
        raise bad_request("INVALID_CANCEL_REASON")
    if reason == 402 and not str(body.get("cancel_reason_message") or "").strip():
        raise bad_request("cancel_reason_message is required for cancel_reason_id 402")
    if order.status in (Lifecycle.DELIVERED, Lifecycle.RETURNED, Lifecycle.CANCELLED):
        raise bad_request("POSTING_CANNOT_BE_CANCELLED")
    order.extra["cancel_reason_id"] = reason
    order.extra.pop("substatus", None)
    state.orders.set_status(order.id, Lifecycle.CANCELLED)
    return json_response({"result": True})


# --------------------------------------------------------------------------------------- analytics
ANALYTICS_DIMENSIONS = ("sku", "day", "week", "month")


async def analytics_data(request: web.Request) -> web.Response:
    """POST /v1/analytics/data {date_from, date_to, metrics (<= 14), dimension, filters, sort, limit (<= 1000),
    offset}: ordered units and revenue from the account's non-cancelled orders by their creation day; other
    metrics are 0. Dimensions served: sku, day, week, month. 1 request per minute (when enforced)."""
    state: SandboxState = request.app[STATE]
    caller: OzonCaller = request[ACCOUNT]
    body = await body_of(request)
    for name in ("date_from", "date_to", "dimension", "metrics", "limit"):
        if name not in body:
            raise bad_request(f"invalid request payload: {name} is required")
    try:
        first = date.fromisoformat(str(body["date_from"])[:10])
        last = date.fromisoformat(str(body["date_to"])[:10])
    except ValueError:
        raise bad_request("invalid request payload: date_from and date_to must be dates (YYYY-MM-DD)") from None
    metrics = list_field(body, "metrics")
    dimensions = list_field(body, "dimension")
    if not metrics or len(metrics) > MAX_ANALYTICS_METRICS:
        raise bad_request(f"InvalidArgument: specify 1 to {MAX_ANALYTICS_METRICS} metrics")
    if not dimensions or any(d not in ANALYTICS_DIMENSIONS for d in dimensions):
        raise bad_request(f"InvalidArgument: dimensions served by the sandbox: {', '.join(ANALYTICS_DIMENSIONS)}")
    limit = int_field(body, "limit", low=1, high=MAX_ANALYTICS_LIMIT)
    offset = int_field(body, "offset", low=0, default=0)
    if quota_refused(state, ("ozon", caller.seller.client_id, "analytics"), ANALYTICS_REQUESTS_PER_MINUTE, 60.0):
        raise Reply(rpc_status(OZON_RATE_LIMIT_STATUS, RATE_LIMIT_MESSAGE, 8))
    catalog = state.catalog("ozon", caller.seller.client_id)
    groups: dict[tuple, dict[str, Decimal]] = {}
    names: dict[tuple, list[str]] = {}
    for order in state.orders.of("ozon", caller.seller.client_id):
        day = datetime.fromtimestamp(order.created_at, tz=timezone.utc).date()
        if not first <= day <= last:
            continue
        for line in order.lines:
            ids, labels = [], []
            for dimension in dimensions:
                if dimension == "sku":
                    ids.append(str(ozon_sku_of(line.index)))
                    labels.append(catalog.product(line.index).name)
                elif dimension == "day":
                    ids.append(day.isoformat())
                    labels.append("")
                elif dimension == "week":
                    monday = day - timedelta(days=day.weekday())
                    ids.append(monday.isoformat())
                    labels.append("")
                else:
                    ids.append(day.strftime("%Y-%m"))
                    labels.append("")
            key = tuple(ids)
            names[key] = labels
            values = groups.setdefault(key, {})
            if order.status == Lifecycle.CANCELLED:
                values["cancellations"] = values.get("cancellations", Decimal(0)) + line.quantity
                continue
            values["ordered_units"] = values.get("ordered_units", Decimal(0)) + line.quantity
            values["revenue"] = values.get("revenue", Decimal(0)) + Decimal(str(line.price)) * line.quantity
            if order.status in fees.SOLD:
                values["delivered_units"] = values.get("delivered_units", Decimal(0)) + line.quantity
    rows = [
        {"dimensions": [{"id": i, "name": n} for i, n in zip(key, names[key])],
         "metrics": [float(groups[key].get(m, 0)) for m in metrics]}
        for key in sorted(groups)
    ]
    totals = [float(sum((groups[key].get(m, Decimal(0)) for key in groups), Decimal(0))) for m in metrics]
    stamp = datetime.fromtimestamp(state.clock(), tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return json_response({"result": {"data": rows[offset:offset + limit], "totals": totals}, "timestamp": stamp})


# ----------------------------------------------------------------------------------------- finance
MAX_TRANSACTION_PAGE_SIZE = 1000  # financev3FinanceTransactionListV3Request.page_size.maximum
# "The maximum period for which you can get information in one request is 1 month": refused beyond 31 days.
MAX_TRANSACTION_PERIOD = 31 * 86400
# The stand-in's books are in Moscow time, as Ozon's seller account shows them (`operation_date` has no zone).
BOOKS_TZ = timezone(timedelta(hours=3), "MSK")
STORAGE_OPERATION_BASE = 90_000_000_000  # + the day's ordinal: one storage accrual per account and day


@dataclass(frozen=True)
class Accrual:
    moment: float  # unix seconds
    operation: dict


def _operation(operation_id: int, moment: float, operation_type: str, name: str, kind: str, *,
               sale: Decimal = Decimal(0), commission: Decimal = Decimal(0), services: tuple = (),
               amount: Decimal, posting: dict | None = None, items: list | None = None) -> Accrual:
    return Accrual(moment, {
        "operation_id": operation_id,
        "operation_type": operation_type,
        "operation_date": datetime.fromtimestamp(moment, BOOKS_TZ).strftime("%Y-%m-%d %H:%M:%S"),
        "operation_type_name": name,
        "delivery_charge": 0,
        "return_delivery_charge": 0,
        "accruals_for_sale": float(sale),
        "sale_commission": float(commission),
        "amount": float(amount),
        "type": kind,
        "posting": posting or {"delivery_schema": "", "order_date": "", "posting_number": "", "warehouse_id": 0},
        "items": items or [],
        "services": [{"name": n, "price": float(p)} for n, p in services],
    })


def order_accruals(state: SandboxState, caller: OzonCaller, order: SandboxOrder) -> list[Accrual]:
    """What Ozon books for one delivered (or returned) posting, per line (fees.line_figures), at its last change:
    the sale with its commission and delivery; for a return also the refund and the return delivery."""
    catalog = state.catalog("ozon", caller.seller.client_id)
    moment = order.updated_at or order.created_at
    warehouse = _warehouse_of(caller, order)
    schema = "FBO" if order.scheme == "FBO" else ("RFBS" if warehouse and warehouse.is_rfbs else "FBS")
    posting = {"delivery_schema": schema, "order_date": iso_at(order.created_at),
               "posting_number": posting_number_of(order), "warehouse_id": warehouse.warehouse_id if warehouse else 0}
    accruals = []
    for number, line in enumerate(order.lines, 1):
        figures = fees.line_figures("ozon", order, line)
        if figures is None:
            continue
        items = [{"name": catalog.product(line.index).name, "sku": ozon_sku_of(line.index)}] * line.quantity
        base = (order.id * 100 + number) * 10
        accruals.append(_operation(
            base + 1, moment, "OperationAgentDeliveredToCustomer", "Delivery to the customer", "orders",
            sale=figures.revenue, commission=-figures.commission,
            services=(("MarketplaceServiceItemDirectFlowLogistic", -figures.logistics),),
            amount=figures.revenue - figures.commission - figures.logistics, posting=posting, items=items))
        if figures.refund or figures.return_logistics:
            accruals.append(_operation(
                base + 2, moment, "ClientReturnAgentOperation", "Getting a returned order from the customer",
                "returns", sale=-figures.refund, amount=-figures.refund, posting=posting, items=items))
            accruals.append(_operation(
                base + 3, moment, "OperationItemReturn", "Delivery and processing of a returned order", "returns",
                services=(("MarketplaceServiceItemReturnFlowLogistic", -figures.return_logistics),),
                amount=-figures.return_logistics, posting=posting, items=items))
    return accruals


def storage_accruals(state: SandboxState, first: date, last: date) -> list[Accrual]:
    """The account's daily storage charge (fees.storage_fee) for each day first..last up to today."""
    today = datetime.fromtimestamp(state.clock(), BOOKS_TZ).date()
    return [_operation(STORAGE_OPERATION_BASE + day.toordinal(),
                       datetime.combine(day, datetime.min.time(), BOOKS_TZ).timestamp(),
                       "OperationMarketplaceServiceStorage", "Warehouse placement service", "services",
                       amount=-fees.storage_fee("ozon"))
            for day in fees.storage_days(first, min(last, today))]


async def transaction_list(request: web.Request) -> web.Response:
    """POST /v3/finance/transaction/list {filter{date{from, to} (<= 1 month) | posting_number, operation_type[],
    transaction_type}, page (from 1), page_size (<= 1000)}: the account's accruals of the period (order_accruals,
    storage_accruals), oldest first. The spec asks for sequential requests and gives no rate; the global 50 rps
    applies."""
    state: SandboxState = request.app[STATE]
    caller: OzonCaller = request[ACCOUNT]
    body = await body_of(request)
    for name in ("page", "page_size"):
        if name not in body:
            raise bad_request(f"invalid request payload: {name} is required")
    page = int_field(body, "page", low=1)
    size = int_field(body, "page_size", low=1, high=MAX_TRANSACTION_PAGE_SIZE)
    filt = object_field(body, "filter")
    period = object_field(filt, "date")
    start, end = time_field(period, "from"), time_field(period, "to")
    number = str(filt.get("posting_number") or "")
    if not number and (start is None or end is None):
        raise bad_request("invalid request payload: filter.date.from and filter.date.to are required")
    if start is not None and end is not None:
        if end < start:
            raise bad_request("invalid request payload: filter.date.from is after filter.date.to")
        if end - start > MAX_TRANSACTION_PERIOD:
            raise bad_request("PERIOD_IS_TOO_LONG: the period must not be longer than one month")
    types = {str(t) for t in list_field(filt, "operation_type")}
    kind = str(filt.get("transaction_type") or "all")
    accruals = [a for order in state.orders.of("ozon", caller.seller.client_id) if order.status in fees.SOLD
                for a in order_accruals(state, caller, order)]
    if start is not None and end is not None and not number:
        accruals += storage_accruals(state, datetime.fromtimestamp(start, BOOKS_TZ).date(),
                                     datetime.fromtimestamp(end, BOOKS_TZ).date())
    kept = [a for a in accruals
            if (start is None or start <= a.moment) and (end is None or a.moment <= end)
            and (not number or a.operation["posting"]["posting_number"] == number)
            and (not types or a.operation["operation_type"] in types)
            and kind in ("all", a.operation["type"])]
    kept.sort(key=lambda a: (a.moment, a.operation["operation_id"]))
    rows = kept[(page - 1) * size:page * size]
    return json_response({"result": {"operations": [a.operation for a in rows],
                                     "page_count": -(-len(kept) // size), "row_count": len(kept)}})


def build_ozon_app(state: SandboxState, controls: Controls) -> web.Application:
    return marketplace_app(
        OzonDialect(state),
        controls,
        state,
        [
            web.post("/v1/roles", roles),
            web.post("/v1/seller/info", seller_info),
            web.post("/v2/warehouse/list", list_warehouses),
            web.post("/v3/product/list", product_list),
            web.post("/v3/product/info/list", product_info_list),
            web.post("/v4/product/info/stocks", product_stocks),
            web.post("/v2/products/stocks", update_stocks),
            web.post("/v1/product/import/prices", import_prices),
            web.post("/v4/posting/fbs/unfulfilled/list", fbs_unfulfilled_list),
            web.post("/v4/posting/fbs/list", fbs_list),
            web.post("/v3/posting/fbs/get", fbs_get),
            web.post("/v4/posting/fbs/ship", fbs_ship),
            web.post("/v2/posting/fbs/cancel", fbs_cancel),
            web.post("/v3/posting/fbo/list", fbo_list),
            web.post("/v2/posting/fbo/get", fbo_get),
            web.post("/v1/analytics/data", analytics_data),
            web.post("/v3/finance/transaction/list", transaction_list),
        ],
    )
