"""Uzum Market seller OpenAPI stand-in, mounted at /uzum (real base: …/api/seller-openapi).

There is no official spec: shapes follow MARKETPLACES.md §1 (consistent third-party code), all UNCONFIRMED.
Envelope `{"payload": ...}`, except the product list and finance orders, which third-party code reads bare;
errors `{"errors": [{"code", "message"}]}`, plus `skuId` where an error is about one SKU. Codes: `sku-price-001`
is seen in third-party code; the others are this stand-in's own (sku-not-found, sku-amount-invalid,
sku-not-linked-fbs, sku-price-invalid, order-not-found, order-status-invalid, cancel-reason-invalid).

State (shared catalog.py / accounts.py):
- Each shop of a token has its own copy of the deterministic catalog: `uzum_catalog(state, token, shop_id)`
  (Catalog key `"<token>#<shopId>"`), so SKU-000001 with the same barcode is in both shops of a two-shop token.
  productId = shopId * ID_SPAN + index and skuId = SKU_ID_BASE + productId: unique, and reversible here.
  One SKU per product; `sellerSkuCode` / `sellerItemCode` / `skuTitle` all carry the seller's SKU-000001.
- Every NOT_LINKED_EVERY-th product is not linked to FBS: a stock update for it is refused per item.
  Products with index % PROMO_EVERY == PROMO_REMAINDER are in a promotion: a price update for a batch holding
  one is refused with `sku-price-001` (without saying which SKU, as in the third-party report).
- Orders: `state.orders` entries with marketplace "uzum", account = the token, shop_id = str(shopId) (None: the
  token's first shop), lines indexing that shop's catalog. Lifecycle statuses show as LIFECYCLE_STATUS.

Finance (sandbox/marketplaces/fees.py, booked in Tashkent days): GET /v1/finance/orders lists every order line
(filtered by the order's date, like the order list), with `dateIssued`, the sale's commission and the returned
units once its order is delivered (TO_WITHDRAW) or returned (RETURNED); GET /v1/finance/expenses lists the charges
by the day they are for (`dateService`): the delivery and the return delivery of each such line (LOGISTICS, with
its orderId and SKU) and a storage charge per shop for each day of the asked range up to today (STORAGE). Either
refuses a dateFrom..dateTo longer than FINANCE_MAX_DAYS.

Limits (the stand-in's model of the unknown real ones; the connector's constants must match, a test checks):
page sizes PRODUCTS_PAGE_MAX, STOCKS_PAGE_MAX, ORDERS_PAGE_MAX (50, the one figure third-party code names),
FINANCE_PAGE_MAX, EXPENSES_PAGE_MAX; finance periods FINANCE_MAX_DAYS; write batches STOCK_BATCH_MAX, PRICE_BATCH_MAX; with `state.enforce_rate_limits`, RATE_LIMIT
requests per RATE_PERIOD per token (counted in `state.now()`), else 429. A write batch with any bad item is
refused whole (400, nothing applied), each bad item named where we can.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from aiohttp import web

from sandbox.marketplaces.accounts import SandboxState, UzumSeller
from sandbox.marketplaces import fees
from sandbox.marketplaces.catalog import Catalog, Lifecycle, OrderLine, Product, SandboxOrder, product
from sandbox.marketplaces.common import (
    ACCOUNT,
    Controls,
    Dialect,
    Reply,
    json_response,
    marketplace_app,
    read_credential,
    read_json_body,
)

# UNCONFIRMED: real clients mostly send the raw token; a minority send "Bearer <token>".
# The sandbox accepts both so either connector behaviour works.
AUTH_PREFIXES = ("Bearer ",)

PRODUCTS_PAGE_MAX = 100
STOCKS_PAGE_MAX = 1000
ORDERS_PAGE_MAX = 50
FINANCE_PAGE_MAX = 100
EXPENSES_PAGE_MAX = 100
FINANCE_MAX_DAYS = 31  # the longest dateFrom..dateTo of a finance request
STOCK_BATCH_MAX = 100
PRICE_BATCH_MAX = 100
MAX_STOCK_AMOUNT = 1_000_000
RATE_LIMIT = 5  # requests per RATE_PERIOD per token: the same conservative guess the connector paces by
RATE_PERIOD = 1.0

ID_SPAN = 1_000_000  # products per shop the id scheme leaves room for (catalogs go up to 100,000)
SKU_ID_BASE = 100_000_000_000
NOT_LINKED_EVERY = 250
PROMO_EVERY, PROMO_REMAINDER = 20, 7
ACCEPT_WITHIN = 4 * 3600  # an FBS order must be confirmed within this many seconds of its creation

FBS_STATUSES = ("CREATED", "PACKING", "PENDING_DELIVERY", "DELIVERING", "DELIVERED", "COMPLETED", "CANCELED",
                "RETURNED")
LIFECYCLE_STATUS = {
    Lifecycle.NEW: "CREATED",
    Lifecycle.CONFIRMED: "PACKING",
    Lifecycle.SHIPPED: "DELIVERING",
    Lifecycle.DELIVERED: "DELIVERED",
    Lifecycle.CANCELLED: "CANCELED",
    Lifecycle.RETURNED: "RETURNED",
}
# Finance statuses of an order line: money booked once delivered (to be paid out) or returned.
FINANCE_STATUS = {Lifecycle.DELIVERED: "TO_WITHDRAW", Lifecycle.RETURNED: "RETURNED", Lifecycle.CANCELLED: "CANCELED"}
FINANCE_PENDING = "PROCESSING"
TASHKENT = timezone(timedelta(hours=5), "Asia/Tashkent")  # Uzum's days (UTC+5, no daylight saving)
# Expense ids: a line's delivery, a line's return delivery, a shop's storage of a day (unique per kind).
DELIVERY_ID_BASE, RETURN_ID_BASE, STORAGE_ID_BASE = 10**12, 2 * 10**12, 3 * 10**12
CANCEL_REASONS = (
    {"reason": "OUT_OF_STOCK", "title": "Tovar qolmagan / Товара нет в наличии"},
    {"reason": "DEFECTIVE", "title": "Tovar nuqsonli / Товар с браком"},
    {"reason": "CANNOT_SHIP_IN_TIME", "title": "O'z vaqtida topshirib bo'lmaydi / Не успеваю отгрузить"},
)


def error_body(code: str, message: str, **extra: Any) -> dict:
    return {"errors": [{"code": code, "message": message, **extra}]}


def refuse(status: int, code: str, message: str) -> Reply:
    return Reply(json_response(error_body(code, message), status=status))


# ----------------------------------------------------------------------------------------- ids
def catalog_key(token: str, shop_id: int | str) -> str:
    return f"{token}#{shop_id}"


def uzum_catalog(state: SandboxState, token: str, shop_id: int | str) -> Catalog:
    """The products of one shop of one token."""
    return state.catalog("uzum", catalog_key(token, shop_id))


def product_id(shop_id: int, index: int) -> int:
    return shop_id * ID_SPAN + index


def sku_id(shop_id: int, index: int) -> int:
    return SKU_ID_BASE + product_id(shop_id, index)


def linked_to_fbs(index: int) -> bool:
    return index % NOT_LINKED_EVERY != 0


def promo_locked(index: int) -> bool:
    return index % PROMO_EVERY == PROMO_REMAINDER


def ms(unix_seconds: float) -> int:
    # UNCONFIRMED: times in replies and dateFrom/dateTo are epoch milliseconds (most third-party clients).
    return int(unix_seconds * 1000)


def wire_sum(value: Decimal) -> int | float:
    """A sum as a JSON number (whole sums stay integers, as Uzum's prices are)."""
    return int(value) if value == value.to_integral_value() else float(value)


def day_start(day: date) -> float:
    return datetime.combine(day, time.min, TASHKENT).timestamp()


def line_id(order: SandboxOrder, number: int) -> int:
    """The id of an order's `number`-th line (1-based), in orders and finance replies."""
    return order.id * 100 + number


def storage_id(shop_id: int, day: date) -> int:
    return STORAGE_ID_BASE + shop_id * 10**6 + day.toordinal() % 10**6


def booked_at(order: SandboxOrder) -> float:
    """When a delivered / returned order's money is booked (fees.booked_on's moment: its last change)."""
    return order.updated_at or order.created_at


@dataclass(frozen=True)
class UzumCaller:
    token: str
    seller: UzumSeller

    @property
    def shop_ids(self) -> list[int]:
        return [shop.id for shop in self.seller.shops]


class UzumDialect(Dialect):
    name = "uzum"
    prefix = "/uzum"

    def __init__(self, state: SandboxState):
        self.state = state

    def authenticate(self, request: web.Request) -> UzumCaller:
        token = read_credential(request, "Authorization", strip=AUTH_PREFIXES) or ""
        seller = self.state.uzum.get(token)
        if seller is None:
            raise Reply(self.error(request, 401, "Invalid or expired token"))
        if self.state.enforce_rate_limits:
            self._take_quota(request, token)
        return UzumCaller(token, seller)

    def _take_quota(self, request: web.Request, token: str) -> None:
        # The client stamps a request when it sends it, we count it when it arrives (sandbox jitter allowance).
        period = RATE_PERIOD - self.state.forgiven(RATE_PERIOD, at_most=0.5)
        quota = self.state.quotas.get_quota(("uzum", token), RATE_LIMIT, period)
        if not quota.take(self.state.now()):
            raise Reply(self.rate_limited(request))

    def error(self, request: web.Request, status: int, message: str) -> web.Response:
        code = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
                405: "METHOD_NOT_ALLOWED"}.get(status, "INTERNAL_ERROR")
        return json_response(error_body(code, message), status=status)

    def rate_limited(self, request: web.Request) -> web.Response:
        # 429 is what third-party clients handle; body and headers UNCONFIRMED.
        return json_response(error_body("TOO_MANY_REQUESTS", "Too many requests"), status=429)


# ------------------------------------------------------------------------------------ requests
def int_param(request: web.Request, name: str, default: int | None = None, *, low: int = 0,
              high: int | None = None) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise refuse(400, "BAD_REQUEST", f"{name} must be a number") from None
    if value < low or (high is not None and value > high):
        raise refuse(400, "BAD_REQUEST", f"{name} must be between {low} and {high}")
    return value


def paging(request: web.Request, maximum: int) -> tuple[int, int]:
    page = int_param(request, "page", 0)
    size = int_param(request, "size", maximum, low=1, high=maximum)
    return page, size  # type: ignore[return-value]


def asked_shops(request: web.Request, caller: UzumCaller) -> list[int]:
    """`shopIds` (repeatable, required); each must be one of the token's shops."""
    raw = request.query.getall("shopIds", [])
    if not raw:
        raise refuse(400, "BAD_REQUEST", "shopIds is required")
    shops = []
    for value in raw:
        if not value.isdigit() or int(value) not in caller.shop_ids:
            raise refuse(403, "FORBIDDEN", f"Access to shop {value} is denied")
        shops.append(int(value))
    return shops


def path_shop(request: web.Request, caller: UzumCaller) -> int:
    value = request.match_info["shopId"]
    if not value.isdigit() or int(value) not in caller.shop_ids:
        raise refuse(403, "FORBIDDEN", f"Access to shop {value} is denied")
    return int(value)


async def read_body(request: web.Request) -> Any:
    try:
        return await read_json_body(request)
    except ValueError:
        raise refuse(400, "BAD_REQUEST", "Malformed JSON") from None
    except ConnectionResetError:
        # The client gave up while an injected "timeout" stalled us: nobody is left to answer (and the
        # change is not applied), without an error trace in the logs.
        raise refuse(400, "BAD_REQUEST", "Request body lost") from None


async def body_list(request: web.Request, field: str, maximum: int) -> list:
    body = await read_body(request)
    items = body.get(field) if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise refuse(400, "BAD_REQUEST", f"{field} must be a non-empty list")
    if len(items) > maximum:
        raise refuse(400, "BAD_REQUEST", f"{field} holds at most {maximum} items")
    return items


def whole(value: Any) -> int | None:
    """An integer JSON number (not a bool, not a fraction), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


# ---------------------------------------------------------------------------------- the stand-in
class UzumStandIn:
    """The endpoints, over the shared catalogs and order book."""

    def __init__(self, state: SandboxState):
        self.state = state

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v1/shops", self.shops),
            web.get(r"/v1/product/shop/{shopId}", self.products),
            web.post(r"/v1/product/{shopId}/sendPriceData", self.send_prices),
            web.get("/v2/fbs/sku/stocks", self.stocks),
            web.post("/v2/fbs/sku/stocks", self.set_stocks),
            web.get("/v2/fbs/orders", self.orders),
            web.get("/v2/fbs/orders/count", self.order_count),
            web.get("/v1/fbs/order/return-reasons", self.return_reasons),  # before {orderId}
            web.get(r"/v1/fbs/order/{orderId}", self.order),
            web.post(r"/v1/fbs/order/{orderId}/confirm", self.confirm),
            web.post(r"/v1/fbs/order/{orderId}/cancel", self.cancel),
            web.get("/v1/finance/orders", self.finance_orders),
            web.get("/v1/finance/expenses", self.finance_expenses),
        ]

    # -- lookups -----------------------------------------------------------------------------------
    def catalog(self, caller: UzumCaller, shop_id: int) -> Catalog:
        return uzum_catalog(self.state, caller.token, shop_id)

    def locate(self, caller: UzumCaller, value: Any, shops: list[int] | None = None) -> tuple[int, int] | None:
        """(shopId, product index) of a skuId among the caller's shops (or `shops`), else None."""
        number = whole(value) if not isinstance(value, str) else (int(value) if value.isdigit() else None)
        if number is None or number <= SKU_ID_BASE:
            return None
        shop_id, index = divmod(number - SKU_ID_BASE, ID_SPAN)
        if shop_id not in (shops or caller.shop_ids) or index not in self.catalog(caller, shop_id):
            return None
        return shop_id, index

    def order_shop(self, caller: UzumCaller, order: SandboxOrder) -> int | None:
        if order.shop_id is not None:
            return int(order.shop_id)
        return caller.shop_ids[0] if caller.shop_ids else None

    def own_order(self, request: web.Request) -> tuple[UzumCaller, SandboxOrder]:
        caller: UzumCaller = request[ACCOUNT]
        value = request.match_info["orderId"]
        order = self.state.orders.orders.get(int(value)) if value.isdigit() else None
        if order is None or order.marketplace != "uzum" or order.account != caller.token:
            raise refuse(404, "order-not-found", f"Order {value} not found")
        return caller, order

    # -- json --------------------------------------------------------------------------------------
    def product_json(self, shop_id: int, catalog: Catalog, item: Product) -> dict:
        price, stock = catalog.get_price(item.index), catalog.get_stock(item.index)
        status = "ARCHIVED" if item.index in catalog.archived else "ACTIVE"
        return {
            "productId": product_id(shop_id, item.index),
            "title": item.name,
            "category": "Sandbox",
            "status": {"value": status, "title": status.title()},
            "price": price,
            "quantityFbs": stock,
            "skuList": [{
                "skuId": sku_id(shop_id, item.index),
                "skuTitle": item.sku,
                "skuFullTitle": f"{item.name} ({item.sku})",
                "productTitle": item.name,
                "barcode": item.barcode,
                "sellerItemCode": item.sku,
                "price": price,
                "purchasePrice": None,
                "quantityFbs": stock,
                "quantityActive": stock,
                "archived": status == "ARCHIVED",
                "blocked": False,
            }],
        }

    def stock_json(self, shop_id: int, catalog: Catalog, item: Product) -> dict:
        linked = linked_to_fbs(item.index)
        return {
            "skuId": sku_id(shop_id, item.index),
            "skuTitle": item.sku,
            "productTitle": item.name,
            "barcode": item.barcode,
            "amount": catalog.get_stock(item.index),
            "fbsAllowed": linked,
            "dbsAllowed": False,
            "fbsLinked": linked,
            "dbsLinked": False,
            "sellerSkuCode": item.sku,
        }

    def order_json(self, caller: UzumCaller, order: SandboxOrder) -> dict:
        shop_id = self.order_shop(caller, order) or 0
        items = []
        for number, line in enumerate(order.lines, 1):
            item = product(line.index)
            items.append({"id": line_id(order, number), "skuId": sku_id(shop_id, line.index),
                          "productId": product_id(shop_id, line.index), "skuTitle": item.sku,
                          "productTitle": item.name, "amount": line.quantity, "price": line.price})
        return {
            "id": order.id,
            "status": LIFECYCLE_STATUS[order.status],
            "scheme": order.scheme,
            "shopId": shop_id,
            "dateCreated": ms(order.created_at),
            "dateAcceptUntil": ms(order.created_at + ACCEPT_WITHIN),
            "dateDeliverUntil": ms(order.ship_by),
            "price": order.total,
            "orderItems": items,
        }

    def finance_json(self, shop_id: int, order: SandboxOrder) -> list[dict]:
        status = FINANCE_STATUS.get(order.status, FINANCE_PENDING)
        rows = []
        for number, line in enumerate(order.lines, 1):
            item, figures = product(line.index), fees.line_figures("uzum", order, line)
            row = {"id": line_id(order, number), "orderId": order.id, "status": status,
                   "date": ms(order.created_at), "skuTitle": item.sku, "productId": product_id(shop_id, line.index),
                   "productTitle": item.name, "shopId": shop_id, "sellPrice": line.price, "amount": line.quantity,
                   "amountReturns": 0, "commission": 0, "sellerProfit": 0,
                   "cancelled": order.status == Lifecycle.CANCELLED}
            if figures is not None:
                row.update(dateIssued=ms(booked_at(order)), commission=wire_sum(figures.commission),
                           amountReturns=line.quantity if figures.refund else 0,
                           sellerProfit=wire_sum(figures.revenue - figures.refund - figures.commission))
            rows.append(row)
        return rows

    def line_expenses(self, shop_id: int, order: SandboxOrder, number: int, line: OrderLine) -> list[dict]:
        """The delivery charges of one order line (none until its money is booked)."""
        figures = fees.line_figures("uzum", order, line)
        if figures is None:
            return []
        common = {"shopId": shop_id, "source": "LOGISTICS", "amount": line.quantity, "orderId": order.id,
                  "skuTitle": product(line.index).sku, "dateService": ms(booked_at(order)),
                  "dateCreated": ms(booked_at(order)), "status": "PAID"}
        rows = [{"id": DELIVERY_ID_BASE + line_id(order, number), "name": "Доставка до покупателя",
                 "paymentPrice": wire_sum(figures.logistics), **common}]
        if figures.return_logistics:
            rows.append({"id": RETURN_ID_BASE + line_id(order, number), "name": "Возврат товара",
                         "paymentPrice": wire_sum(figures.return_logistics), **common})
        return rows

    def storage_expenses(self, shop_id: int, since: float, until: float) -> list[dict]:
        """A storage charge for each day of since..until (seconds) up to today, stamped at the day's start."""
        today = datetime.fromtimestamp(self.state.orders.clock(), TASHKENT).date()
        first = datetime.fromtimestamp(since, TASHKENT).date()
        if day_start(first) < since:
            first += timedelta(days=1)
        last = min(today, datetime.fromtimestamp(until, TASHKENT).date())
        return [{"id": storage_id(shop_id, day), "shopId": shop_id, "source": "STORAGE", "name": "Хранение",
                 "paymentPrice": wire_sum(fees.storage_fee("uzum")), "amount": 1, "dateService": ms(day_start(day)),
                 "dateCreated": ms(day_start(day)), "status": "PAID"}
                for day in fees.storage_days(first, last)]

    # -- shops and products ------------------------------------------------------------------------
    async def shops(self, request: web.Request) -> web.Response:
        caller: UzumCaller = request[ACCOUNT]
        return json_response({"payload": [{"id": shop.id, "name": shop.name} for shop in caller.seller.shops]})

    async def products(self, request: web.Request) -> web.Response:
        caller: UzumCaller = request[ACCOUNT]
        shop_id = path_shop(request, caller)
        page, size = paging(request, PRODUCTS_PAGE_MAX)
        catalog = self.catalog(caller, shop_id)
        items = [self.product_json(shop_id, catalog, p) for p in catalog.page(page * size, size)]
        return json_response({"productList": items, "totalProductsAmount": catalog.size})

    # -- stock -------------------------------------------------------------------------------------
    async def stocks(self, request: web.Request) -> web.Response:
        """The SKUs of every shop of the token, a page at a time (UNCONFIRMED: third-party clients send no
        paging and may get everything; a 100,000-product catalog is never built at once here)."""
        caller: UzumCaller = request[ACCOUNT]
        total = sum(self.catalog(caller, s).size for s in caller.shop_ids)
        page, size = paging(request, STOCKS_PAGE_MAX)
        return json_response({"payload": {"skuAmountList": self.stock_slice(caller, page * size, size),
                                          "totalElements": total}})

    def stock_slice(self, caller: UzumCaller, offset: int, limit: int) -> list[dict]:
        """Rows `offset`..`offset + limit` of the shops' catalogs laid end to end, never more in memory."""
        rows: list[dict] = []
        for shop_id in caller.shop_ids:
            catalog = self.catalog(caller, shop_id)
            if offset >= catalog.size:
                offset -= catalog.size
                continue
            rows += [self.stock_json(shop_id, catalog, p) for p in catalog.page(offset, limit - len(rows))]
            offset = 0
            if len(rows) >= limit:
                break
        return rows

    async def set_stocks(self, request: web.Request) -> web.Response:
        caller: UzumCaller = request[ACCOUNT]
        items = await body_list(request, "skuAmountList", STOCK_BATCH_MAX)
        changes, errors = [], []
        for item in items:
            sku = item.get("skuId") if isinstance(item, dict) else None
            where = self.locate(caller, sku)
            amount = whole(item.get("amount")) if isinstance(item, dict) else None
            if where is None:
                errors.append({"code": "sku-not-found", "message": "SKU not found", "skuId": sku})
            elif amount is None or not 0 <= amount <= MAX_STOCK_AMOUNT:
                errors.append({"code": "sku-amount-invalid", "message": "Invalid amount", "skuId": sku})
            elif not linked_to_fbs(where[1]):
                errors.append({"code": "sku-not-linked-fbs", "message": "SKU is not linked to FBS", "skuId": sku})
            else:
                changes.append((where, amount))
        if errors:
            return json_response({"errors": errors}, status=400)
        for (shop_id, index), amount in changes:
            self.catalog(caller, shop_id).set_stock(index, amount)
        return json_response({"payload": {"updatedRecords": len(changes)}})

    # -- prices ------------------------------------------------------------------------------------
    async def send_prices(self, request: web.Request) -> web.Response:
        caller: UzumCaller = request[ACCOUNT]
        shop_id = path_shop(request, caller)
        items = await body_list(request, "priceData", PRICE_BATCH_MAX)
        changes, errors, locked = [], [], False
        for item in items:
            sku = item.get("skuId") if isinstance(item, dict) else None
            where = self.locate(caller, sku, [shop_id])
            sell = whole(item.get("sellPrice")) if isinstance(item, dict) else None
            full = whole(item.get("fullPrice", sell)) if isinstance(item, dict) else None
            if where is None:
                errors.append({"code": "sku-not-found", "message": "SKU not found in this shop", "skuId": sku})
            elif sell is None or full is None or sell <= 0 or full < sell:
                errors.append({"code": "sku-price-invalid", "message": "Invalid price", "skuId": sku})
            elif promo_locked(where[1]):
                locked = True
            else:
                changes.append((where[1], sell))
        if locked:  # as reported by third-party code: one error, no SKU named
            errors.append({"code": "sku-price-001", "message": "Ску нельзя редактировать"})
        if errors:
            return json_response({"errors": errors}, status=400)
        catalog = self.catalog(caller, shop_id)
        for index, price in changes:
            catalog.set_price(index, price)
        return json_response({"payload": {"updatedRecords": len(changes)}})

    # -- orders ------------------------------------------------------------------------------------
    def matching_orders(self, request: web.Request, caller: UzumCaller) -> list[SandboxOrder]:
        shops = asked_shops(request, caller)
        status = request.query.get("status")
        if status is not None and status not in FBS_STATUSES:
            raise refuse(400, "BAD_REQUEST", f"Unknown status {status}")
        since = int_param(request, "dateFrom")
        until = int_param(request, "dateTo")
        found = []
        for order in self.state.orders.of("uzum", caller.token):
            created = ms(order.created_at)
            if self.order_shop(caller, order) not in shops or (status and LIFECYCLE_STATUS[order.status] != status):
                continue
            if (since is not None and created < since) or (until is not None and created > until):
                continue
            found.append(order)
        return sorted(found, key=lambda o: o.id, reverse=True)  # newest first

    async def orders(self, request: web.Request) -> web.Response:
        caller: UzumCaller = request[ACCOUNT]
        page, size = paging(request, ORDERS_PAGE_MAX)
        found = self.matching_orders(request, caller)
        chunk = found[page * size:(page + 1) * size]
        return json_response({"payload": {"orders": [self.order_json(caller, o) for o in chunk],
                                          "totalElements": len(found)}})

    async def order_count(self, request: web.Request) -> web.Response:
        caller: UzumCaller = request[ACCOUNT]
        return json_response({"payload": len(self.matching_orders(request, caller))})

    async def order(self, request: web.Request) -> web.Response:
        caller, order = self.own_order(request)
        return json_response({"payload": self.order_json(caller, order)})

    async def return_reasons(self, request: web.Request) -> web.Response:
        return json_response({"payload": list(CANCEL_REASONS)})

    async def confirm(self, request: web.Request) -> web.Response:
        caller, order = self.own_order(request)
        if order.status != Lifecycle.NEW:
            raise refuse(400, "order-status-invalid", f"Order is {LIFECYCLE_STATUS[order.status]}, not CREATED")
        self.state.orders.set_status(order.id, Lifecycle.CONFIRMED)
        return json_response({"payload": self.order_json(caller, order)})

    async def cancel(self, request: web.Request) -> web.Response:
        caller, order = self.own_order(request)
        body = await read_body(request)
        reason = body.get("reason") if isinstance(body, dict) else None
        if reason not in {r["reason"] for r in CANCEL_REASONS}:
            raise refuse(400, "cancel-reason-invalid", "Unknown cancellation reason")
        if order.status not in (Lifecycle.NEW, Lifecycle.CONFIRMED):
            raise refuse(400, "order-status-invalid", f"Order is {LIFECYCLE_STATUS[order.status]}: too late to cancel")
        self.state.orders.set_status(order.id, Lifecycle.CANCELLED)
        return json_response({"payload": self.order_json(caller, order)})

    # -- finance -----------------------------------------------------------------------------------
    async def finance_orders(self, request: web.Request) -> web.Response:
        caller: UzumCaller = request[ACCOUNT]
        shops = asked_shops(request, caller)
        page, size = paging(request, FINANCE_PAGE_MAX)
        since, until = finance_period(request)
        rows = []
        for order in self.state.orders.of("uzum", caller.token):
            shop_id, created = self.order_shop(caller, order), ms(order.created_at)
            if shop_id in shops and (since is None or created >= since) and (until is None or created <= until):
                rows += self.finance_json(shop_id, order)
        rows.sort(key=lambda r: r["id"], reverse=True)
        return json_response({"orderItems": rows[page * size:(page + 1) * size], "totalElements": len(rows)})

    async def finance_expenses(self, request: web.Request) -> web.Response:
        caller: UzumCaller = request[ACCOUNT]
        shops = asked_shops(request, caller)
        page, size = paging(request, EXPENSES_PAGE_MAX)
        since, until = finance_period(request, required=True)
        rows = []
        for order in self.state.orders.of("uzum", caller.token):
            shop_id = self.order_shop(caller, order)
            if shop_id in shops and order.status in fees.SOLD and since <= ms(booked_at(order)) <= until:
                for number, line in enumerate(order.lines, 1):
                    rows += self.line_expenses(shop_id, order, number, line)
        for shop_id in shops:
            rows += self.storage_expenses(shop_id, since / 1000, until / 1000)
        rows.sort(key=lambda r: (r["dateService"], r["id"]))
        return json_response({"payload": {"payments": rows[page * size:(page + 1) * size],
                                          "totalElements": len(rows)}})


def finance_period(request: web.Request, *, required: bool = False) -> tuple[Any, Any]:
    """dateFrom / dateTo (ms) of a finance request, at most FINANCE_MAX_DAYS apart."""
    since, until = int_param(request, "dateFrom"), int_param(request, "dateTo")
    if required and (since is None or until is None):
        raise refuse(400, "BAD_REQUEST", "dateFrom and dateTo are required")
    if since is not None and until is not None:
        if until < since:
            raise refuse(400, "BAD_REQUEST", "dateTo is before dateFrom")
        if until - since >= ms(FINANCE_MAX_DAYS * 86400):
            raise refuse(400, "BAD_REQUEST", f"the period is longer than {FINANCE_MAX_DAYS} days")
    return since, until


def build_uzum_app(state: SandboxState, controls: Controls) -> web.Application:
    return marketplace_app(UzumDialect(state), controls, state, UzumStandIn(state).routes())
