"""What every marketplace client offers, the normalized models it returns and its typed errors.

Services only ever see these types: never marketplace JSON, never httpx.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date as _date
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol


class Marketplace(StrEnum):
    UZUM = "uzum"
    YANDEX = "yandex"
    WILDBERRIES = "wildberries"
    OZON = "ozon"


class Currency(StrEnum):
    """ISO 4217 codes, as every connector reports money (Yandex's "RUR" arrives here as RUB)."""

    UZS = "UZS"
    RUB = "RUB"
    BYN = "BYN"
    KZT = "KZT"
    AMD = "AMD"
    KGS = "KGS"
    CNY = "CNY"
    USD = "USD"
    EUR = "EUR"


class CredentialField(StrEnum):
    """What a partner types to connect, one step each, in the order the profile lists them."""

    CLIENT_ID = "client_id"  # Ozon's numeric Client-Id (not secret)
    API_KEY = "api_key"  # the secret: deleted from the chat as soon as it is read


class ErrorCause(StrEnum):
    """Causes a partner understands; the bot has a text for each (`error-<cause>`)."""

    BAD_KEY = "bad_key"
    MISSING_SCOPE = "missing_scope"
    IP_RESTRICTED = "ip_restricted"
    KEY_EXPIRED = "key_expired"
    UNAVAILABLE = "unavailable"
    RATE_LIMITED = "rate_limited"
    BAD_RESPONSE = "bad_response"
    NOT_SUPPORTED = "not_supported"
    NO_SHOPS = "no_shops"
    INTERNAL = "internal"  # not the marketplace: our side failed (retried soon)


class ConnectorError(Exception):
    """Base of every connector error. The message never contains a credential."""

    cause: ErrorCause = ErrorCause.BAD_RESPONSE

    def __init__(self, message: str = "", *, status: int | None = None, detail: str | None = None):
        super().__init__(message or self.__class__.__name__)
        self.status = status
        # A short, credential-free text from the marketplace (shown to the partner as-is).
        self.detail = detail
        # The marketplace's own error code where its reply has one (set by connectors.http.HttpCore, redacted).
        self.code: str | None = None
        # The parsed body of the error reply (set by connectors.http.HttpCore): batch refusals name their items
        # there. Never part of the message, never logged.
        self.body: object = None

    def summary(self) -> str:
        """For a log line: the cause, the HTTP status, the marketplace's code and message, and what we made of it
        (everything credential-free: the detail and code are redacted, the message never holds a key)."""
        parts = [f"cause={self.cause.value}"]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.code:
            parts.append(f"code={self.code}")
        if self.detail:
            parts.append(f"message={self.detail!r}")
        parts.append(f"reason={str(self)!r}")
        return " ".join(parts)


class AuthError(ConnectorError):
    cause = ErrorCause.BAD_KEY


class KeyExpired(AuthError):
    cause = ErrorCause.KEY_EXPIRED


class PermissionDenied(ConnectorError):
    cause = ErrorCause.MISSING_SCOPE


class IpRestricted(PermissionDenied):
    cause = ErrorCause.IP_RESTRICTED


class RateLimited(ConnectorError):
    cause = ErrorCause.RATE_LIMITED

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class MarketplaceUnavailable(ConnectorError):
    cause = ErrorCause.UNAVAILABLE


class BadResponse(ConnectorError):
    cause = ErrorCause.BAD_RESPONSE


class NotSupported(ConnectorError):
    cause = ErrorCause.NOT_SUPPORTED


class NoShops(ConnectorError):
    """The key is valid but the account has nothing to connect (no shop / campaign)."""

    cause = ErrorCause.NO_SHOPS


@dataclass(frozen=True)
class Credentials:
    """What the partner typed. `client_id` is Ozon's Client-Id; the other marketplaces need one key."""

    api_key: str
    client_id: str | None = None


@dataclass(frozen=True)
class Choice:
    """A shop / campaign / warehouse the partner may pick."""

    id: str
    name: str
    # Marketplace-specific extras the service keeps (e.g. Yandex businessId, placement type).
    extra: dict = field(default_factory=dict)


class Warning(StrEnum):
    """Things the partner must know about the key even though the connection works."""

    WB_PERSONAL_TOKEN = "wb_personal_token"  # not allowed in cloud services
    WB_BASE_TOKEN = "wb_base_token"  # heavily throttled (e.g. 4 price uploads per hour)
    WB_TEST_TOKEN = "wb_test_token"  # only works against WB's sandbox hosts
    WB_READ_ONLY = "wb_read_only"  # cannot push stock or prices
    WB_MISSING_CATEGORIES = "wb_missing_categories"
    KEY_EXPIRES_SOON = "key_expires_soon"
    OZON_MISSING_ROLES = "ozon_missing_roles"


@dataclass(frozen=True)
class ConnectionInfo:
    """The result of a successful `check_connection()`."""

    marketplace: Marketplace
    account_name: str  # seller / company / cabinet name shown on the card
    account_id: str | None = None  # Ozon Client-Id, Yandex businessId, WB seller id ...
    shops: list[Choice] = field(default_factory=list)  # Uzum shops, Yandex campaigns
    warehouses: list[Choice] = field(default_factory=list)  # WB / Ozon warehouses
    # The account's own id where the account itself is what gets connected (Ozon Client-Id, WB seller id); None where
    # the partner picks a shop / campaign from `shops` and that pick is the id.
    seller_id: str | None = None
    expires_at: int | None = None  # unix seconds, when the key stops working
    token_type: str | None = None  # e.g. WB "base" / "personal" / "service" / "test"
    scopes: list[str] = field(default_factory=list)  # WB categories, Ozon roles
    warnings: list[Warning] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AccountContext:
    """Which part of the account a client works on: the ids the connection test discovered and the partner
    picked (stored on the integration)."""

    shop_id: str | None = None  # Uzum shopId, Yandex campaignId
    business_id: str | None = None  # Yandex businessId
    warehouse_id: str | None = None  # WB / Ozon warehouse that stock is pushed to


class MarketplaceClient(Protocol):
    """What every client offers. A capability the marketplace's API lacks raises NotSupported (its message
    says why); batch writes are split to the API's maximum and paced inside the client."""

    marketplace: Marketplace

    async def check_connection(self) -> ConnectionInfo: ...

    def iter_listings(self) -> AsyncIterator[Listing]: ...

    async def read_stock(self, skus: Sequence[str]) -> list[StockLevel]: ...

    async def update_stock(self, updates: Sequence[StockUpdate]) -> list[ItemResult]: ...

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]: ...

    async def new_orders(self) -> list[Order]: ...

    async def orders_since(self, cursor: str | None) -> OrderPage: ...

    async def get_order(self, order_id: str) -> Order: ...

    async def confirm_order(self, order_id: str) -> Order: ...

    async def cancel_order(self, order_id: str, reason: str | None = None) -> Order: ...

    async def ship_order(self, order_id: str) -> Order: ...

    async def sales(self, date_from: _date, date_to: _date) -> list[SalesRow]: ...

    async def finance(self, date_from: _date, date_to: _date) -> list[FinanceEntry]: ...

    async def list_warehouses(self) -> list[Choice]: ...

    async def aclose(self) -> None: ...


# ---------------------------------------------------------------------------------------------------
# Normalized models for catalog, stock, prices, orders and analytics. Services only ever see these.
# Money is a Decimal in the listing's / order's currency (UZS for Uzum, RUB otherwise unless the API says).
# ---------------------------------------------------------------------------------------------------

class Scheme(StrEnum):
    FBS = "FBS"  # seller's warehouse, marketplace delivers
    FBO = "FBO"  # marketplace's warehouse (Ozon FBO, WB FBW, Yandex FBY)
    DBS = "DBS"  # seller delivers (Yandex DBS, WB DBS, Ozon rFBS)
    EXPRESS = "EXPRESS"


@dataclass(frozen=True)
class Listing:
    """A product as one marketplace account lists it."""

    marketplace: Marketplace
    external_id: str  # Uzum productId, Yandex offerId, WB nmID, Ozon product_id
    seller_sku: str | None  # the seller's own code: Uzum sellerSkuCode, Yandex offerId, WB vendorCode, Ozon offer_id
    name: str
    barcodes: tuple[str, ...] = ()
    status: str | None = None  # the marketplace's own status text, normalized to lower case
    price: Decimal | None = None
    currency: str | None = None
    stock: int | None = None  # where the list call gives it
    # The ids this marketplace keys stock by (StockUpdate.sku takes one of them): Yandex offerId,
    # WB chrtId (one per size), Ozon offer_id, Uzum skuId (one per variant).
    stock_ids: tuple[str, ...] = ()
    # The id this marketplace keys prices by (PriceUpdate.sku): Yandex offerId, WB nmID, Ozon offer_id, Uzum skuId.
    price_id: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StockUpdate:
    """Set the available quantity of one item (at one warehouse where the marketplace has several)."""

    sku: str  # what the marketplace keys stock by: Yandex offerId, WB chrtId, Ozon offer_id, Uzum skuId
    quantity: int
    warehouse_id: str | None = None


@dataclass(frozen=True)
class StockLevel:
    sku: str
    quantity: int
    warehouse_id: str | None = None
    reserved: int | None = None


@dataclass(frozen=True)
class PriceUpdate:
    sku: str  # Yandex offerId, WB nmID, Ozon offer_id, Uzum skuId
    price: Decimal
    old_price: Decimal | None = None  # the crossed-out price (discount base)
    currency: str | None = None


class ItemOutcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    QUEUED = "queued"  # accepted for asynchronous processing (WB price tasks): check later


@dataclass(frozen=True)
class ItemResult:
    """Per-item result of a batch write. `reason` is a code the bot can explain (see connectors' docs);
    `detail` is the marketplace's own short text."""

    sku: str
    outcome: ItemOutcome
    reason: str | None = None
    detail: str | None = None
    warehouse_id: str | None = None


class OrderState(StrEnum):
    """Where an order is, in words every marketplace's statuses map to (each connector's orders module maps them)."""

    NEW = "new"  # waiting for the seller: confirm / pack it
    ACTIVE = "active"  # being fulfilled: packed, handed over, on its way
    CANCELLED = "cancelled"  # by the buyer, the seller or the marketplace: its stock comes back
    DONE = "done"  # delivered / completed


class OrderAction(StrEnum):
    CONFIRM = "confirm"  # accept / pack it (Ozon: pack = ship to the carrier's pick-up)
    SHIP = "ship"  # hand it over to delivery
    CANCEL = "cancel"


class CancelReason(StrEnum):
    """Why the seller cancels; each connector turns it into the marketplace's own reason code or text."""

    OUT_OF_STOCK = "stock"
    BUYER_ASKED = "buyer"
    OTHER = "other"


@dataclass(frozen=True)
class OrderItem:
    sku: str | None  # the seller SKU where the API gives it
    name: str | None
    quantity: int
    price: Decimal | None = None  # per unit
    external_id: str | None = None  # marketplace's product / offer id


@dataclass(frozen=True)
class Order:
    marketplace: Marketplace
    external_id: str  # Uzum order id, Yandex order id, WB order id, Ozon posting_number
    status: str  # the marketplace's status, as given (shown on the card; never compared outside the connector)
    created_at: int  # unix seconds
    items: tuple[OrderItem, ...]
    state: OrderState = OrderState.NEW
    # What the seller may do now through this marketplace's API (a marketplace without the call gives none).
    actions: frozenset[OrderAction] = frozenset()
    scheme: Scheme = Scheme.FBS
    ship_by: int | None = None  # unix seconds
    total: Decimal | None = None
    currency: str | None = None
    updated_at: int | None = None
    shop_id: str | None = None  # Uzum shop, Yandex campaign, Ozon warehouse
    extra: dict = field(default_factory=dict)

    @property
    def can_confirm(self) -> bool:
        return OrderAction.CONFIRM in self.actions

    @property
    def can_ship(self) -> bool:
        return OrderAction.SHIP in self.actions

    @property
    def can_cancel(self) -> bool:
        return OrderAction.CANCEL in self.actions


@dataclass(frozen=True)
class OrderPage:
    """Orders plus the cursor to continue from next time (store it durably)."""

    orders: list[Order]
    cursor: str | None


@dataclass(frozen=True)
class SalesRow:
    """Sales of one SKU on one day."""

    day: _date
    sku: str
    quantity: int
    revenue: Decimal
    currency: str | None = None
    returns: int = 0


class MoneyKind(StrEnum):
    """What a figure of a marketplace's finance report is, in words every marketplace's report maps to."""

    SALE = "sale"  # what buyers paid for goods sold (the seller's revenue before fees)
    RETURN = "return"  # refunded to buyers for returned goods (a positive amount: it is taken off revenue)
    COMMISSION = "commission"  # the marketplace's sales commission / fee for the sale
    LOGISTICS = "logistics"  # delivery to the buyer, returns delivery, last mile, acceptance at its warehouse
    STORAGE = "storage"  # keeping goods at the marketplace's warehouse
    ADVERTISING = "advertising"  # paid promotion
    PENALTY = "penalty"  # fines, deductions
    OTHER_FEE = "other_fee"  # any other charge (acquiring, services, compensation withheld ...)
    COMPENSATION = "compensation"  # paid to the seller besides sales (lost goods, bonuses): adds to the payout
    PAYOUT = "payout"  # transferred to the seller's account (for the record: not a figure of the period's profit)


# The kinds that are costs of selling: revenue - these - cost of goods = gross profit.
FEE_KINDS = frozenset({MoneyKind.COMMISSION, MoneyKind.LOGISTICS, MoneyKind.STORAGE, MoneyKind.ADVERTISING,
                       MoneyKind.PENALTY, MoneyKind.OTHER_FEE})


@dataclass(frozen=True)
class FinanceEntry:
    """One figure of a marketplace's finance report, on one day, in the marketplace's money.

    `amount` is never negative: what it means is its `kind` (a fee is a positive amount the seller pays). Where the
    report ties it to an order and a product, `order_id` (the marketplace's, as in Order.external_id) and `sku` (the
    seller's own code, as in OrderItem.sku) say which; storage, ads and the like usually have neither. `key` is the
    marketplace's own id of the line (a transaction, a report row), so the same line read twice is stored once."""

    day: _date  # the day the marketplace counts it for (its accounting date)
    kind: MoneyKind
    amount: Decimal
    currency: Currency
    key: str
    sku: str | None = None
    order_id: str | None = None
    quantity: int | None = None  # units, for sales and returns


@dataclass(frozen=True)
class Supply:
    external_id: str
    name: str | None
    status: str | None
    created_at: int | None = None
    closed: bool = False


# ---- what a marketplace's push notification asks for (each connector's webhooks module reads its own format) ----

@dataclass(frozen=True)
class WebhookPoll:
    """Poll the orders of this shop (Yandex campaignId, Ozon Client-Id) now: `event` happened to one of them."""

    shop_id: str
    event: str
    order_id: str | None = None


@dataclass(frozen=True)
class WebhookPing:
    """The marketplace's connection check: answer at once."""


@dataclass(frozen=True)
class WebhookIgnore:
    """Acknowledged, nothing to do. `known`: the type is in our copy of the spec (else newer than it)."""

    event: str
    known: bool = True


@dataclass(frozen=True)
class WebhookRefusal:
    """Refused: reply `status` with the marketplace's own error `code` and `message`."""

    status: int
    code: str
    message: str


WebhookNotice = WebhookPoll | WebhookPing | WebhookIgnore | WebhookRefusal


class Webhooks(Protocol):
    """What a connector's webhooks module offers (connectors/yandex/webhooks.py, connectors/ozon/webhooks.py): pure
    functions, the web server (bot/web.py) only routes to them: `read` turns a body into a WebhookNotice, `reply`
    turns any notice into the marketplace's own (HTTP status, JSON body)."""

    NETWORKS: tuple[str, ...]  # where its notifications come from (it signs nothing)
    PATH: str  # what the marketplace appends to the URL entered in its cabinet

    def read(self, raw: bytes) -> WebhookNotice: ...

    def reply(self, notice: WebhookNotice, started: datetime, *, name: str, version: str) -> tuple[int, dict]: ...

    def refused(self) -> WebhookRefusal: ...

    def too_large(self) -> WebhookRefusal: ...


@dataclass(frozen=True)
class MarketplaceProfile:
    """What the rest of the product needs to know about a marketplace without speaking its language: each connector
    package exports one (`connectors.profile(marketplace)`)."""

    marketplace: Marketplace
    base_url: str  # production; Wildberries' is a template with {category}
    currency: Currency  # what its money is in when a reply does not say
    credentials: tuple[CredentialField, ...]  # what the partner types, in this order
    client: Callable[..., MarketplaceClient]  # the client class (see connectors.build_client)
    # A typed key's format problem before anything is sent: None if it looks right, else the id of the text that
    # says what is wrong (e.g. "format-ozon-key").
    check_key: Callable[[str], str | None]
    # Its push notifications (None: it sends none).
    webhooks: Webhooks | None = None
    docs_url: str | None = None  # the seller API's documentation, shown to admins
    # A new price at or below this share of the old one is held back by the marketplace for review (Wildberries'
    # "price quarantine"); the partner is warned before sending it. None: no such rule.
    price_quarantine_share: Decimal | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def webhook_networks(self) -> tuple[str, ...]:
        return self.webhooks.NETWORKS if self.webhooks is not None else ()
