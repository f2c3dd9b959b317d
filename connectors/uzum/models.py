"""Uzum's replies as models: one model and one parser per reply shape, plus the wire formats they share.

There is no official spec (MARKETPLACES.md §1): every shape here is UNCONFIRMED, taken from consistent third-party
code, and parsing is tolerant: replies may come wrapped in `{"payload": ...}` or bare, extra fields are ignored,
ids and barcodes may be numbers or strings, times milliseconds or seconds, and where clients disagree on a field's
name every name they use is accepted. Each uncertain wire detail is one named function or constant below.

Also here: `UzumCalls`, what the feature modules (account, catalog, stock, prices, orders, sales) use of the
client, so they need not import it (the client imports them).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

from connectors.base import AccountContext, BadResponse, Currency, Marketplace
from connectors.clock import Clock
from connectors.http import first_text, parse_model

T = TypeVar("T")

# =========================================================================================================
# Wire formats (UNCONFIRMED, MARKETPLACES.md §1, §5): each uncertain detail in exactly one place.
# =========================================================================================================
# Uzum's money: sums. No reply names a currency (as far as we know), so everything is in UZS.
UZUM_CURRENCY = Currency.UZS
# Sales are summed per calendar day in Uzbekistan time (UTC+5, no daylight saving); an ISO time without an
# offset is taken as Tashkent time.
UZUM_TZ = timezone(timedelta(hours=5), "Asia/Tashkent")


def unwrap_uzum_payload(data: Any) -> Any:
    """Envelope: third-party code reads `{"payload": ...}`, and a few endpoints reply bare; accept both."""
    if isinstance(data, dict) and "payload" in data:
        return data["payload"]
    return data


# dateFrom / dateTo query values per second: epoch milliseconds in most third-party clients (one doubts ms vs
# s; 1 here would send seconds). Every date filter of the package goes through uzum_time_param.
UZUM_TIME_PARAM_PER_SECOND = 1000


def uzum_time_param(unix_seconds: float) -> int:
    """dateFrom / dateTo query value (unit: UZUM_TIME_PARAM_PER_SECOND)."""
    return int(unix_seconds * UZUM_TIME_PARAM_PER_SECOND)


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


def wire_id(value: str) -> int | str:
    """An id as we send it: Uzum ids are numbers on the wire; anything else is kept as given."""
    return int(value) if value.isdigit() else value


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


# The seller's own SKU code: `sellerSkuCode` in stock rows, `sellerItemCode` in one client's product list.
_SELLER_CODE = Field(None, validation_alias=AliasChoices("sellerSkuCode", "sellerItemCode", "sellerCode"))


class UzumShop(_Model):
    """An item of GET /v1/shops."""

    id: int | str
    name: str | None = None


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
    """GET /v1/product/shop/{shopId}: bare in third-party code, `payload`-wrapped accepted too."""

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
    """One FBS order: an item of GET /v2/fbs/orders, GET /v1/fbs/order/{id} and the confirm / cancel replies."""

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
    """An item of GET /v1/finance/orders `orderItems`: one order line. `sellPrice` is the unit price, `commission`
    the line's (UNCONFIRMED: per line, not per unit); `date` is the order's date, `dateIssued` (UNCONFIRMED name)
    when its money was booked: delivered, or returned."""

    id: Text | None = None
    orderId: Text | None = None
    skuId: Text | None = None
    skuTitle: str | None = None
    seller_code: Text | None = _SELLER_CODE
    date: Any = None
    dateIssued: Any = None
    status: str | None = None
    cancelled: bool | None = None
    sellPrice: Money = None
    amount: int = 0
    amountReturns: int = 0
    commission: Money = None
    sellerProfit: Money = None


class UzumFinancePage(_Model):
    orderItems: list[UzumFinanceItem]  # required: a reply without it is not a finance page (not "no sales")
    totalElements: int | None = None


class UzumExpense(_Model):
    """An item of GET /v1/finance/expenses (UNCONFIRMED shape): one charge. `source` says what it is for (see
    connectors.uzum.sales.UZUM_EXPENSE_KINDS), `paymentPrice` what it costs in all (a charge may come negative),
    `dateService` the day it is charged for; `orderId` / `skuTitle` where it is about one order line."""

    id: Text
    source: str | None = Field(None, validation_alias=AliasChoices("source", "type"))
    name: str | None = None
    paymentPrice: Money = Field(None, validation_alias=AliasChoices("paymentPrice", "price", "amountPrice"))
    amount: int | None = None
    dateService: Any = None
    dateCreated: Any = None
    status: str | None = None
    orderId: Text | None = None
    skuTitle: str | None = None
    seller_code: Text | None = _SELLER_CODE


class UzumExpensePage(_Model):
    payments: list[UzumExpense] = Field(validation_alias=AliasChoices("payments", "expenses", "items"))
    totalElements: int | None = None


class UzumReason(_Model):
    """An item of GET /v1/fbs/order/return-reasons."""

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


def parse_expense_page(data: Any) -> tuple[list[UzumExpense], int | None]:
    page = parse_model(UzumExpensePage, unwrap_uzum_payload(data), "uzum finance expenses")
    return page.payments, page.totalElements


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


def ignore_reply(data: Any) -> None:
    """For writes whose reply we do not read (a refusal arrives as an error status)."""
    return None


# =========================================================================================================
# What the feature modules use of the client (implemented by connectors.uzum.client.UzumClient)
# =========================================================================================================
class UzumCalls(Protocol):
    marketplace: Marketplace
    account: AccountContext
    auth_scheme: str | None  # the scheme Uzum accepted (connectors.uzum.account), None before the first reply
    # GET /v2/fbs/sku/stocks rows kept between calls (stock pushes echo them back); see connectors.uzum.stock.
    stock_cache: OrderedDict[str, StockRow]

    @property
    def clock(self) -> Clock: ...

    async def send(self, method: str, path: str, *, params: Any = None, json_body: Any = None,
                   idempotent: bool = True) -> Any:
        """One paced request (with the auth-scheme fallback); the parsed JSON reply."""

    async def call(self, method: str, path: str, parse: Callable[[Any], T], *, params: Any = None,
                   json_body: Any = None) -> T:
        """`send` + `parse`, repeated on transient failures (only for reads and absolute writes)."""

    def paged(self, path: str, parse: Callable[[Any], tuple[list[T], int | None]], ident: Callable[[T], str],
              size: int, params: Sequence[tuple[str, Any]] = ()) -> AsyncIterator[list[T]]:
        """Every page of a page/size (0-based) list, streamed."""

    async def shop_ids(self) -> list[str]:
        """The shop of the account context, or every shop the token sees (NoShops if none)."""

    async def shop_params(self) -> list[tuple[str, Any]]:
        """`shopIds`, repeated once per shop (how the order and finance lists take them)."""
