"""The reply models of the Yandex Market Partner API (official spec: specs/yandex/partner-api): one pydantic model per
reply shape, each parsed in one place only, plus how the values in them read (times, currencies).

Every model ignores fields it does not name (Yandex adds fields often). Which operation each model reads:
- GET  /v2/campaigns (getCampaigns): YandexCampaignsPage
- POST /v2/businesses/{businessId}/offer-mappings (getOfferMappings): YandexOfferMappingsPage
- POST /v2/campaigns/{campaignId}/offers/stocks (getStocks): YandexStocksPage
- POST /v2/businesses/{businessId}/settings (getBusinessSettings): YandexSettingsReply
- POST /v1/businesses/{businessId}/orders (getBusinessOrders): YandexOrdersPage
- POST /v2/campaigns/{campaignId}/stats/orders (getOrdersStats): YandexStatsReply (sales and finance)
- POST /v2/businesses/{businessId}/warehouses (getPagedWarehouses): YandexWarehousesReply
- every write (stock, prices, order status): YandexEmpty (so that a cut-off 200 is not taken for success)
Error replies are read by `connectors.yandex.errors.errors_of`.

Money: Yandex writes roubles as `RUR`; normalized models say `RUB` (`to_currency`). A reply that names no currency
is in the marketplace's default, `DEFAULT_CURRENCY`.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from connectors.base import Currency

# What Yandex money is in when a reply does not say (PROFILE.currency).
DEFAULT_CURRENCY = Currency.RUB
# Yandex's CurrencyType codes that are not ISO 4217 codes, and the ISO code they stand for. RUR is Yandex's rouble;
# BYR ("белорусский рубль" in the spec, the pre-2016 ISO code) is taken for today's BYN: UNCONFIRMED which scale
# Yandex's BYR amounts are in.
YANDEX_CURRENCY_ALIASES = {"RUR": Currency.RUB, "BYR": Currency.BYN}
# Our ISO code -> the code Yandex takes in a request (CurrencyType): the reverse of the aliases, roubles only.
TO_YANDEX_CURRENCY = {Currency.RUB.value: "RUR"}

# Yandex writes dates without a zone (shipment dates, stats days) in Moscow time. UNCONFIRMED for every field.
MARKET_TZ = timezone(timedelta(hours=3))


# ------------------------------------------------------------------------------------ value readers
def to_currency(code: str | None) -> str:
    """An ISO 4217 code for a Yandex currency code: RUR -> RUB, none -> DEFAULT_CURRENCY. A code our Currency list
    lacks (e.g. UAH) is kept as Yandex wrote it, upper case: it is an ISO code too, and mislabelling money as
    roubles would be worse."""
    if not code or not code.strip():
        return DEFAULT_CURRENCY
    code = code.strip().upper()
    if code in YANDEX_CURRENCY_ALIASES:
        return YANDEX_CURRENCY_ALIASES[code]
    try:
        return Currency(code)
    except ValueError:
        return code


def to_yandex_currency(code: str | None) -> str | None:
    """The CurrencyType code for a request: RUB (or Currency.RUB) -> RUR; other codes (and "RUR") as given."""
    return TO_YANDEX_CURRENCY.get(code, code) if code else code


def aware(moment: datetime) -> datetime:
    """A zone-less time from Yandex is Moscow time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=MARKET_TZ)


def iso(moment: datetime, timespec: str = "seconds") -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")


def unix(moment: datetime) -> int:
    return int(aware(moment).timestamp())


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
        return self.price("BUYER")[1]

    def returned(self) -> int:
        return sum(d.itemCount or 0 for d in self.details or () if d.itemStatus == "RETURNED")

    def price(self, kind: str) -> tuple[Decimal, Decimal]:
        """(per unit, total) of one price type (BUYER, CASHBACK, MARKETPLACE); zeros when absent."""
        found = [p for p in self.prices or () if p.type == kind]
        return (sum((p.costPerItem or Decimal(0) for p in found), Decimal(0)),
                sum((p.total or Decimal(0) for p in found), Decimal(0)))


class YandexStatsCommission(_Model):
    """OrdersStatsCommissionDTO: one service Market bills for the order (`actual`: what is to be paid)."""

    type: str | None = None
    actual: Decimal | None = None


class YandexStatsOrder(_Model):
    id: int | None = None
    creationDate: date | None = None
    statusUpdateDate: datetime | None = None
    status: str | None = None
    fake: bool | None = None
    items: list[YandexStatsItem]
    commissions: list[YandexStatsCommission] | None = None
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
