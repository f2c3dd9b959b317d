"""The Wildberries reply models: one pydantic model per reply shape (paths from the ru YAMLs of 2026-03-11), and
the readers of WB's field formats (times, ids, kopecks, currencies) every feature module shares.

Nothing here sends a request; `parse_reply` is the one place a reply body becomes a model.
"""
from __future__ import annotations

from datetime import date as _date
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from connectors.base import BadResponse, Currency
from connectors.http import parse_model
from connectors.wildberries.errors import Garbled

# ------------------------------------------------------------------------------------- field formats
MOSCOW = timezone(timedelta(hours=3))  # WB's statistics dates have no zone: Moscow time

# What WB's money is in when a reply does not say (PROFILE.currency).
WB_CURRENCY = Currency.RUB
# ISO 4217 numeric codes in orders (currencyCode / convertedCurrencyCode).
WB_CURRENCIES: dict[int, Currency] = {643: Currency.RUB, 933: Currency.BYN, 398: Currency.KZT, 51: Currency.AMD,
                                      417: Currency.KGS, 860: Currency.UZS, 156: Currency.CNY, 840: Currency.USD,
                                      978: Currency.EUR}


def currency_of_code(code: int | None) -> Currency:
    """An ISO 4217 numeric code (orders) as its letter code; none or one we do not know: WB's default."""
    return WB_CURRENCIES.get(code, WB_CURRENCY) if code is not None else WB_CURRENCY


def currency_of_text(text: str | None) -> Currency:
    """An ISO 4217 letter code (prices `currencyIsoCode4217`); none or one we do not know: WB's default."""
    try:
        return Currency((text or "").strip().upper())
    except ValueError:
        return WB_CURRENCY


def int_id(text: str | int | None) -> int | None:
    """A WB numeric id (nmID, chrtId, order id: int64) from our string form; None if it is not one."""
    value = str(text).strip() if text is not None else ""
    return int(value) if value.isdigit() and len(value) <= 18 else None


def unix(text: str | None, *, zone: timezone = timezone.utc) -> int | None:
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


def moscow_day(text: str | None) -> _date | None:
    seconds = unix(text, zone=MOSCOW)
    return None if seconds is None else datetime.fromtimestamp(seconds, MOSCOW).date()


def dotted_day(text: str | None) -> int | None:
    """WB's `dd.mm.yyyy` (sellerDate) -> the start of that day in Moscow (the conservative ship-by)."""
    try:
        day = datetime.strptime(text or "", "%d.%m.%Y")
    except ValueError:
        return None
    return int(day.replace(tzinfo=MOSCOW).timestamp())


def money(kopecks: int | None) -> Decimal | None:
    return None if kopecks is None else Decimal(kopecks) / 100


def parse_reply(model: Any, response: httpx.Response, what: str) -> Any:
    """A 2xx reply's JSON as `model`; an unreadable one is Garbled (retried: nothing says WB acted on it)."""
    try:
        data = response.json()
    except ValueError:
        raise Garbled(f"{what}: reply is not JSON", status=response.status_code) from None
    try:
        return parse_model(model, data, what)
    except BadResponse as exc:
        raise Garbled(str(exc), status=response.status_code) from None


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
    """One refusal of PUT /api/v3/stocks/{warehouseId} (409 bodies are lists of them)."""

    code: str | None = None
    message: str | None = None
    data: list[WbStockErrorItem] | None = None


# --- discounts-prices
# Task and good statuses (02-products.yaml TaskStatus / GoodStatus).
WB_TASK_DONE, WB_TASK_CANCELLED, WB_TASK_PARTLY_FAILED, WB_TASK_FAILED = 3, 4, 5, 6
WB_FINAL_TASK_STATES = (WB_TASK_DONE, WB_TASK_CANCELLED, WB_TASK_PARTLY_FAILED, WB_TASK_FAILED)
WB_GOOD_FAILED = 3


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
    """GET and POST /api/v2/list/goods/filter."""

    data: WbGoodsData | None = None
    error: bool = False
    errorText: str | None = None

    @property
    def goods(self) -> list[WbGoods]:
        return self.data.listGoods if self.data else []


class WbTaskCreatedData(_Model):
    id: int
    alreadyExists: bool | None = None


class WbTaskCreated(_Model):
    """POST /api/v2/upload/task (200, or 208 for an identical pending upload)."""

    data: WbTaskCreatedData | None = None
    error: bool = False
    errorText: str | None = None


class WbTaskState(_Model):
    uploadID: int | None = None
    status: int | None = None
    overAllGoodsNumber: int | None = None
    successGoodsNumber: int | None = None


class WbTaskStateReply(_Model):
    """GET /api/v2/history/tasks and /api/v2/buffer/tasks."""

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
    """GET /api/v2/history/goods/task."""

    data: WbGoodResultsData | None = None

    @property
    def goods(self) -> list[WbGoodResult]:
        return (self.data.historyGoods if self.data else None) or []


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
    """GET /api/v3/orders/new and GET /api/v3/orders (`next` only in the latter)."""

    next: int = 0
    orders: list[WbTask] = Field(default_factory=list)


class WbTaskStatus(_Model):
    """One row of POST /api/v3/orders/status (what its statuses mean: connectors.wildberries.orders)."""

    id: int
    supplierStatus: str | None = None
    wbStatus: str | None = None
    # UNCONFIRMED: named by the 2026-08 en docs of PATCH …/cancel ("use … the isCancellable field") but absent
    # from the ru-yaml schema and cut off ([MaxDepth]) in the en JSON. Read only where WB sends it, and any type
    # (only a real `false` counts, see orders.wb_order_state), so a surprise here never fails the status read.
    isCancellable: Any = None

    @property
    def key(self) -> str:
        return f"{self.supplierStatus}/{self.wbStatus}"


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


# --- finance: POST finance-api /api/finance/v1/sales-reports/detailed (schema SalesReportsDetailedRes of the en
# JSON, 2026-08-19; money comes as decimal strings). Only the fields finance() reads.
class WbReportRow(_Model):
    rrdId: int
    rrDate: _date | None = None  # operation date: the accounting day of the row
    dateTo: _date | None = None  # the report period's end (where a row has no operation date)
    docTypeName: str | None = None  # "Продажа" / "Возврат" for goods rows
    sellerOperName: str | None = None
    orderId: int | None = None  # the assembly task (GET /api/v3/orders `id`)
    vendorCode: str | None = None  # the seller's article (the task's `article`)
    nmId: int | None = None
    quantity: int | None = None
    currency: str | None = None
    retailAmount: Decimal | None = None
    forPay: Decimal | None = None
    acquiringFee: Decimal | None = None
    deliveryService: Decimal | None = None
    rebillLogisticCost: Decimal | None = None
    paidAcceptance: Decimal | None = None
    paidStorage: Decimal | None = None
    penalty: Decimal | None = None
    deduction: Decimal | None = None
    additionalPayment: Decimal | None = None
    cashbackAmount: Decimal | None = None
    cashbackCommissionChange: Decimal | None = None
