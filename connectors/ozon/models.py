"""Ozon's reply models: one parse per reply shape (specs/ozon/ozon-seller-api-swagger-en.json).

Two kinds, by cost:
- tolerant pydantic models (`OzonModel`) for the small replies: roles, seller info, warehouses, stock pages,
  update results, postings, analytics;
- TypedDict rows for the big catalog pages (/v3/product/list, /v3/product/info/list: ~1.4 MB per 1,000
  products), validated straight from the reply bytes by pydantic-core (`connectors.http.parse_model_json`)
  into plain dicts, with no Python validator, so the per-object work stays in Rust (a model per product cost
  4x as much). Every field is declared nullable there: an explicit `null` reads as None, and None is taken as
  the field's default where the rows are used (connectors.ozon.catalog.listing_of). A key Ozon leaves out is
  absent from the dict (`.get`). Unknown fields are ignored; a wrong type or a missing id is still BadResponse.

The value helpers every module reads replies with (dates, money, currency codes) are here too.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Required

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from typing_extensions import (
    TypedDict,  # pydantic reads typing.TypedDict only from Python 3.12 on
)

from connectors.base import Currency

log = logging.getLogger("connectors.ozon")

# What Ozon's money is in when a reply does not say ("By default ... `RUB`, Russian ruble": currency_code of
# /v1/product/import/prices). connectors.ozon.PROFILE.currency is this.
OZON_CURRENCY = Currency.RUB
# Codes some replies write otherwise than ISO 4217 (the Central Bank's old rouble code).
CURRENCY_ALIASES = {"RUR": Currency.RUB}
# Stock types of the seller's own warehouses in stock replies (`type` / `source`); "fbo" is Ozon's stock.
OZON_SELLER_STOCK_TYPES = frozenset({"fbs", "rfbs"})


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


def currency_code(value: Any, default: Currency = OZON_CURRENCY) -> Currency:
    """An ISO 4217 code (connectors.base.Currency) for a currency as a reply or a caller writes it: case and
    spaces ignored, "RUR" is RUB; missing or unknown -> `default` (Ozon's: RUB)."""
    text = value.strip().upper() if isinstance(value, str) else ""
    if not text:
        return default
    if text in CURRENCY_ALIASES:
        return CURRENCY_ALIASES[text]
    try:
        return Currency(text)
    except ValueError:
        log.warning("ozon: unknown currency code %r, taken as %s", text[:8], default.value)
        return default


def unix(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


# -------------------------------------------------------------------------------- pydantic models
class OzonModel(BaseModel):
    """Tolerant reading: unknown fields are ignored and an explicit `null` counts as absent (real Ozon replies
    carry `null` for objects, arrays and dates the schema calls non-nullable, as the spec's own examples show)."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data


# -- account: POST /v1/roles, /v1/seller/info, /v2/warehouse/list
class OzonRole(OzonModel):
    name: str = ""
    methods: list[str] = []


class OzonRoles(OzonModel):
    expires_at: datetime | None = None
    roles: list[OzonRole] = []


class OzonCompany(OzonModel):
    name: str | None = None
    legal_name: str | None = None
    inn: str | None = None
    currency: str | None = None


class OzonSellerInfo(OzonModel):
    company: OzonCompany | None = None


class OzonWarehouse(OzonModel):
    warehouse_id: int
    name: str | None = None
    status: str | None = None
    is_rfbs: bool | None = None


class OzonWarehousePage(OzonModel):
    warehouses: list[OzonWarehouse] = []
    cursor: str | None = None
    has_next: bool = False


# -- stock read: POST /v4/product/info/stocks
class OzonStockEntry(OzonModel):
    type: str = ""  # fbs / rfbs / fbo / fbp
    present: int = 0
    reserved: int = 0
    sku: int | None = None


class OzonStockItem(OzonModel):
    offer_id: str = ""
    product_id: int | None = None
    stocks: list[OzonStockEntry] = []


class OzonStockPage(OzonModel):
    items: list[OzonStockItem] = []
    cursor: str = ""
    total: int | None = None


# -- stock and price writes: POST /v2/products/stocks, /v1/product/import/prices (one shape for both)
class OzonItemError(OzonModel):
    code: str = ""
    message: str = ""


class OzonUpdateResult(OzonModel):
    """One item of the /v2/products/stocks and /v1/product/import/prices replies."""

    offer_id: str | None = None
    product_id: int | None = None
    warehouse_id: int | None = None
    updated: bool = False
    errors: list[OzonItemError] = []


class OzonUpdateReply(OzonModel):
    result: list[OzonUpdateResult] = []


# -- postings: /v4/posting/fbs/unfulfilled/list, /v4/posting/fbs/list, /v3/posting/fbo/list,
#    /v3/posting/fbs/get, /v2/posting/fbo/get, /v2/posting/fbs/cancel
# UNCONFIRMED: the English spec's example of /v4/posting/fbs/list disagrees with its own schema: it wraps the
# page in `result` and names posting fields `status_alias`, `status_transcription`, `cutoff` and product
# fields `product_offer_id`, `product_name`, `product_id` (the SKU), `marketplace_seller_price_currency_code`.
# The schema (and the unfulfilled list's example) have them at the top level under the documented names.
# Both shapes are read (by these models only), so a live reply of either kind never looks like "no orders";
# the schema's names win.
def _alias(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


class OzonPostingProduct(OzonModel):
    sku: int | None = _alias("sku", "product_id")
    offer_id: str | None = _alias("offer_id", "product_offer_id")
    name: str | None = _alias("name", "product_name")
    quantity: int = 0
    # Lists give {"amount", "currency"}; /v3/posting/fbs/get gives a string plus `currency_code`; the spec's
    # FBO example gives a string. Read by `unit_price()`.
    price: Any = None
    currency_code: str | None = _alias("currency_code", "marketplace_seller_price_currency_code")

    def unit_price(self) -> tuple[Decimal | None, str | None]:
        """(price per unit, the currency as the reply writes it, None if it does not say)."""
        if isinstance(self.price, dict):
            return decimal_or_none(self.price.get("amount")), self.price.get("currency") or self.currency_code
        return decimal_or_none(self.price), self.currency_code


class OzonDeliveryMethod(OzonModel):
    id: int | None = None
    name: str | None = None
    warehouse_id: int | None = None
    warehouse: str | None = None
    tpl_provider: str | None = None


class OzonAnalyticsData(OzonModel):
    warehouse_id: int | None = None
    warehouse: str | None = None
    warehouse_name: str | None = None


class OzonCancellation(OzonModel):
    cancel_reason: str | None = None
    cancel_reason_id: int | None = None
    cancellation_initiator: str | None = None


class OzonPosting(OzonModel):
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


class OzonPostingPage(OzonModel):
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


class OzonPostingReply(OzonModel):
    result: OzonPosting


class OzonCancelReply(OzonModel):
    result: bool = False


# -- analytics: POST /v1/analytics/data
class OzonAnalyticsDimension(OzonModel):
    id: str = ""
    name: str | None = None


class OzonAnalyticsRow(OzonModel):
    dimensions: list[OzonAnalyticsDimension] = []
    metrics: list[float | None] = []


class OzonAnalyticsResult(OzonModel):
    data: list[OzonAnalyticsRow] = []
    totals: list[float | None] = []


class OzonAnalyticsReply(OzonModel):
    result: OzonAnalyticsResult = OzonAnalyticsResult()


# -- finance: POST /v3/finance/transaction/list
class OzonOperationItem(OzonModel):
    sku: int | None = None  # the Ozon SKU
    name: str | None = None


class OzonOperationPosting(OzonModel):
    posting_number: str = ""
    delivery_schema: str = ""
    order_date: str = ""
    warehouse_id: int | None = None


class OzonOperationService(OzonModel):
    name: str = ""
    price: Decimal = Decimal(0)


class OzonOperation(OzonModel):
    """One accrual: money fields are signed as Ozon writes them (+ to the seller, - from the seller)."""

    operation_id: int
    operation_type: str = ""
    operation_date: str = ""
    type: str = ""
    accruals_for_sale: Decimal = Decimal(0)
    sale_commission: Decimal = Decimal(0)
    delivery_charge: Decimal = Decimal(0)
    return_delivery_charge: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    posting: OzonOperationPosting | None = None
    items: list[OzonOperationItem] = []
    services: list[OzonOperationService] = []


class OzonTransactionResult(OzonModel):
    operations: list[OzonOperation] = []
    page_count: int = 0
    row_count: int = 0


class OzonTransactionReply(OzonModel):
    result: OzonTransactionResult


# ------------------------------------------------------------------------- catalog pages (rows)
class ProductRefRow(TypedDict, total=False):
    """One item of /v3/product/list."""

    product_id: Required[int]
    offer_id: str | None  # None: ""
    archived: bool | None  # None: False
    has_fbo_stocks: bool | None
    has_fbs_stocks: bool | None


class ProductRefResult(TypedDict, total=False):
    items: list[ProductRefRow] | None  # None: []
    last_id: str | None  # None: ""
    total: int | None


class ProductRefPage(TypedDict, total=False):
    """The /v3/product/list reply (the catalog read and the offer_id -> product_id resolution)."""

    result: ProductRefResult | None  # None: {}


class ProductStatusesRow(TypedDict, total=False):
    status: str | None
    status_name: str | None
    moderate_status: str | None
    validation_status: str | None


class ProductStockRow(TypedDict, total=False):
    present: int | None  # None: 0
    reserved: int | None  # None: 0
    sku: int | None
    source: str | None


class ProductStocksRow(TypedDict, total=False):
    has_stock: bool | None
    stocks: list[ProductStockRow] | None  # None: []


class ProductInfoRow(TypedDict, total=False):
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
    statuses: ProductStatusesRow | None
    stocks: ProductStocksRow | None


class ProductInfoPage(TypedDict, total=False):
    """The /v3/product/info/list reply (catalog details, SKU -> offer_id for sales)."""

    items: list[ProductInfoRow] | None  # None: []
