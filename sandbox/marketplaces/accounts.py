"""Test credentials and the per-account data behind the sandbox marketplaces.

Everyone (connector tests, e2e tests, the demo) imports the credentials from here. Every key is a
recognizable test string of at least 20 characters, so a test can grep logs and the database file
for it and prove it never appears in plaintext. Any credential not listed here gets the
marketplace's "bad key" reply.

`SandboxState` holds what each account owns (shops, campaigns, warehouses, key expiry...). Later
issues add catalog, stock and orders to the same objects.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sandbox.marketplaces.catalog import DEFAULT_CATALOG_SIZE, Catalog, OrderBook
from sandbox.marketplaces.common import QuotaBook

DAY = 24 * 60 * 60

# --------------------------------------------------------------------------------------------
# Uzum: one raw token per seller (UNCONFIRMED format: no official spec, see MARKETPLACES.md §1).
# --------------------------------------------------------------------------------------------
UZUM_TOKEN = "SBX-UZUM-TOKEN-TWO-SHOPS-7f3a9c01"
UZUM_TOKEN_ONE_SHOP = "SBX-UZUM-TOKEN-ONE-SHOP-7f3a9c02"
UZUM_TOKEN_NO_SHOPS = "SBX-UZUM-TOKEN-NO-SHOPS-7f3a9c03"

# --------------------------------------------------------------------------------------------
# Yandex Market: Api-Key tokens look like "ACMA:<40 chars>:<8 hex>" (the docs' example format).
# --------------------------------------------------------------------------------------------
YANDEX_API_KEY = "ACMA:SBXyandexSandboxKeyAllMethods00000000001:5b0c0001"
YANDEX_API_KEY_NO_SCOPE = "ACMA:SBXyandexSandboxKeyNoScopes0000000000002:5b0c0002"
YANDEX_BUSINESS_ID = 31000001
YANDEX_CAMPAIGN_IDS = (21000001, 21000002)

# --------------------------------------------------------------------------------------------
# Wildberries: the token is a JWT; its payload says the token type and the granted categories.
# --------------------------------------------------------------------------------------------
WB_SELLER_ID = "5a4db0c5-7e57-4000-8000-000000000001"  # the JWT's `sid`

# Category by bit position, exactly as the "About the token" table lists them
# (wildberries/en-json-2026-08-19/api-information.json of the full spec copies, tag "authorization", "`s` field";
# the trimmed specs/ does not carry that file, see specs/SOURCES.md).
# Same names and shape as connectors.wildberries.WB_CATEGORY_BITS (a test keeps them equal).
WB_CATEGORY_BITS: dict[int, str] = {
    1: "content",
    2: "analytics",
    3: "prices",  # Prices and discounts
    4: "marketplace",
    5: "statistics",
    6: "promotion",
    7: "feedbacks",  # Feedbacks and Questions
    9: "buyers_chat",
    10: "supplies",
    11: "returns",  # Buyers returns
    12: "documents",
    13: "finance",
    16: "users",
}
WB_READ_ONLY_BIT = 30  # position of "Read only token"
WB_CATEGORY_POSITIONS: dict[str, int] = {name: pos for pos, name in WB_CATEGORY_BITS.items()}

# Real seconds of send-to-arrival jitter the fixed windows forgive (see SandboxState.forgiven). 0.15: with a
# sped-up clock (ScaledClock x2) a request arriving 56 ms late was seen as over Uzum's limit.
JITTER_ALLOWANCE = 0.15


def wb_bit(position: int) -> int:
    """The value of WB's "bit position N" in the token's `s` bitmask: `1 << N` (not `1 << (N-1)`).

    The doc (api-information.json, "About the token" → "`s` field") only says "Bit position 1 =
    Content … 30 = Read only token" without saying whether positions count from 0 or 1. Real
    tokens settle it: every published token mask is even (bit 0 is never set), a personal token
    with every category has s = 81662 = bits {1..7, 9..13, 16} — exactly the documented
    positions (`1 << (N-1)` would give {2..8, 10..14, 17}, which don't exist) — and a token used
    only on content-api has s = 2. So position N means 1 << N.
    This is the ONLY place in the sandbox that decides it; connectors.wildberries.wb_scope_bit
    must agree (tests/unit/test_sandbox_marketplaces.py checks it).
    """
    return 1 << position


def wb_scope_mask(*categories: str, read_only: bool = False) -> int:
    """The `s` value of a token granting these categories (names from WB_CATEGORY_BITS)."""
    mask = 0
    for name in categories:
        mask |= wb_bit(WB_CATEGORY_POSITIONS[name])
    return mask | (wb_bit(WB_READ_ONLY_BIT) if read_only else 0)


WB_TOKEN_CATEGORIES = ("content", "analytics", "prices", "marketplace", "statistics", "finance")

# The JWT "signature": not real ES256, but an HMAC the sandbox can check, so a token altered by
# hand (or one from elsewhere) is refused like a real forged token. The readable prefix makes
# every sandbox token easy to spot.
_WB_SIGNATURE_PREFIX = "SANDBOX-SIGNED-"
_WB_SIGNING_KEY = b"sellercloudx-sandbox-wildberries"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def wb_signature(signing_input: str) -> str:
    """The signature segment the sandbox expects for `header.payload`."""
    digest = hmac.new(_WB_SIGNING_KEY, signing_input.encode(), hashlib.sha256).hexdigest()
    return _WB_SIGNATURE_PREFIX + digest[:41]  # 56 chars: valid base64url length


def _start_of_today() -> int:
    # Tokens are computed at import; rounding to the UTC day keeps them identical across the
    # processes of one test run (e.g. a bot subprocess and the test process).
    return int(time.time()) // DAY * DAY


def make_wb_token(**payload: Any) -> str:
    """A Wildberries-style JWT (header.payload.signature, base64url) that the sandbox accepts.

    Defaults: a Base token (acc=1, no `for`, t=false) of the default seller with the categories
    in WB_TOKEN_CATEGORIES, expiring in 150 days. Override any field; pass `for_` (or
    `**{"for": ...}`) for `for`; pass None to drop a field.
    """
    if "for_" in payload:
        payload["for"] = payload.pop("for_")
    claims: dict[str, Any] = {
        "acc": 1,
        "ent": 1,
        "exp": _start_of_today() + 150 * DAY,
        "iid": 70010001,
        "oid": 4200001,
        "s": wb_scope_mask(*WB_TOKEN_CATEGORIES),
        "sid": WB_SELLER_ID,
        "t": False,
        "uid": 70010001,
    }
    claims.update(payload)
    claims = {k: v for k, v in claims.items() if v is not None}
    if "id" not in payload:  # deterministic token id: same claims, same token
        claims["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "sandbox-wb:" + json.dumps(claims, sort_keys=True)))
    header = {"alg": "ES256", "kid": "20260101v1", "typ": "JWT"}
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":"), sort_keys=True).encode()) for part in (header, claims)
    )
    return f"{signing_input}.{wb_signature(signing_input)}"


def decode_wb_token(token: str) -> dict[str, Any]:
    """The payload of a sandbox-signed WB token. Raises ValueError with a WB-like reason."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("token is malformed: token contains an invalid number of segments")
    try:
        claims = json.loads(_b64url_decode(parts[1]))
    except ValueError:
        raise ValueError("token is malformed: could not JSON decode claim") from None
    if not isinstance(claims, dict):
        raise ValueError("token is malformed: could not JSON decode claim")
    expected = wb_signature(f"{parts[0]}.{parts[1]}")
    if not hmac.compare_digest(parts[2].encode(), expected.encode()):
        raise ValueError("token signature is invalid: crypto/ecdsa: verification error")
    return claims


WB_TOKEN = make_wb_token()  # Base token
WB_TOKEN_PERSONAL = make_wb_token(acc=3, for_="self")
WB_TOKEN_READONLY = make_wb_token(s=wb_scope_mask(*WB_TOKEN_CATEGORIES, read_only=True))
WB_TOKEN_EXPIRED = make_wb_token(exp=_start_of_today() - 30 * DAY)

# --------------------------------------------------------------------------------------------
# Ozon: Client-Id (a number) + Api-Key (a UUID). All hex, so a UUID format check still passes;
# "5a4db0c5" reads "sandbox".
# --------------------------------------------------------------------------------------------
OZON_CLIENT_ID = "2600101"
OZON_API_KEY = "5a4db0c5-0a0e-4e57-8a11-000000000001"
OZON_API_KEY_EXPIRING = "5a4db0c5-0a0e-4e57-8a11-000000000002"  # expires in 3 days
OZON_API_KEY_DEACTIVATED = "5a4db0c5-0a0e-4e57-8a11-000000000003"  # "Api-key is deactivated"


# ============================================================================================
# Per-account state
# ============================================================================================
@dataclass
class UzumShop:
    id: int
    name: str


@dataclass
class UzumSeller:
    shops: list[UzumShop]


@dataclass
class YandexCampaign:
    id: int
    domain: str
    client_id: int
    placement_type: str  # FBS | FBY | DBS | LAAS
    api_availability: str = "AVAILABLE"


@dataclass
class YandexBusiness:
    id: int
    name: str
    campaigns: list[YandexCampaign]


@dataclass
class YandexApiKey:
    name: str
    scopes: list[str]  # ApiKeyScopeType values, e.g. "ALL_METHODS"
    business: YandexBusiness


@dataclass
class WbWarehouse:
    id: int
    name: str
    office_id: int
    cargo_type: int = 1
    delivery_type: int = 1


@dataclass
class WbSeller:
    sid: str
    name: str
    trade_mark: str
    warehouses: list[WbWarehouse]


@dataclass
class OzonWarehouse:
    warehouse_id: int
    name: str
    address: str
    is_rfbs: bool = False
    status: str = "created"


@dataclass
class OzonApiKey:
    expires_at: datetime
    roles: list[dict[str, Any]]
    deactivated: bool = False


@dataclass
class OzonSeller:
    client_id: str
    company: dict[str, Any]
    warehouses: list[OzonWarehouse]
    keys: dict[str, OzonApiKey]


OZON_ROLES = [
    {
        "name": "Admin",
        "methods": [
            "/v1/roles",
            "/v1/seller/info",
            "/v2/warehouse/list",
            "/v3/product/list",
            "/v3/product/info/list",
            "/v4/product/info/stocks",
            "/v2/products/stocks",
            "/v1/product/import/prices",
            "/v4/posting/fbs/unfulfilled/list",
            "/v4/posting/fbs/list",
            "/v1/analytics/data",
        ],
    }
]


def _default_uzum() -> dict[str, UzumSeller]:
    return {
        UZUM_TOKEN: UzumSeller([UzumShop(41001, "Toshkent Savdo"), UzumShop(41002, "Samarqand Market")]),
        UZUM_TOKEN_ONE_SHOP: UzumSeller([UzumShop(41003, "Buxoro Bozori")]),
        UZUM_TOKEN_NO_SHOPS: UzumSeller([]),
    }


def _default_yandex() -> dict[str, YandexApiKey]:
    business = YandexBusiness(
        YANDEX_BUSINESS_ID,
        "SellerCloudX Sandbox",
        [
            YandexCampaign(YANDEX_CAMPAIGN_IDS[0], "Toshkent Savdo FBS", 1100001, "FBS"),
            YandexCampaign(YANDEX_CAMPAIGN_IDS[1], "Toshkent Savdo DBS", 1100001, "DBS"),
        ],
    )
    return {
        YANDEX_API_KEY: YandexApiKey("SellerCloudX bot", ["ALL_METHODS"], business),
        YANDEX_API_KEY_NO_SCOPE: YandexApiKey("SellerCloudX bot (no access)", [], business),
    }


def _default_wildberries() -> dict[str, WbSeller]:
    return {
        WB_SELLER_ID: WbSeller(
            WB_SELLER_ID,
            "ИП Тестов Тест Тестович",
            "Toshkent Savdo",
            [
                WbWarehouse(1001001, "Sandbox sklad Toshkent", office_id=15),
                WbWarehouse(1001002, "Sandbox sklad Samarqand", office_id=206, delivery_type=2),
            ],
        )
    }


def _default_ozon() -> dict[str, OzonSeller]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return {
        OZON_CLIENT_ID: OzonSeller(
            OZON_CLIENT_ID,
            company={
                "country": "Russia",
                "currency": "RUB",
                "inn": "7700000001",
                "legal_name": "OOO SellerCloudX Sandbox (Limited Liability Company)",
                "name": "OOO SellerCloudX Sandbox",
                "ogrn": "1027700000001",
                "ownership_form": "Private property",
                "tax_system": "USN",
            },
            warehouses=[
                OzonWarehouse(22000000000001, "Sandbox FBS Moskva", "Russia, Moscow, Sandbox st. 1"),
                OzonWarehouse(22000000000002, "Sandbox rFBS Kazan", "Russia, Kazan, Sandbox st. 2", is_rfbs=True),
            ],
            keys={
                OZON_API_KEY: OzonApiKey(now + timedelta(days=150), copy.deepcopy(OZON_ROLES)),
                OZON_API_KEY_EXPIRING: OzonApiKey(now + timedelta(days=3), copy.deepcopy(OZON_ROLES)),
                OZON_API_KEY_DEACTIVATED: OzonApiKey(
                    now + timedelta(days=90), copy.deepcopy(OZON_ROLES), deactivated=True
                ),
            },
        )
    }


@dataclass
class SandboxState:
    """Everything the four sandbox marketplaces know, keyed the way each API identifies a caller.

    Defaults are the accounts above; tests may add or change entries before or during a run.
    """

    uzum: dict[str, UzumSeller] = field(default_factory=_default_uzum)  # by token
    yandex: dict[str, YandexApiKey] = field(default_factory=_default_yandex)  # by Api-Key
    wildberries: dict[str, WbSeller] = field(default_factory=_default_wildberries)  # by JWT `sid`
    ozon: dict[str, OzonSeller] = field(default_factory=_default_ozon)  # by Client-Id
    # Off by default so tests can call freely; on, the documented limits are answered with the
    # marketplace's real rate-limit reply. The rate-limit headers are sent either way.
    enforce_rate_limits: bool = False
    # Real seconds per second of the marketplaces' published limits: 0.01 makes "80 requests per minute"
    # into 80 per 0.6 s, so benchmarks finish quickly while the limits keep their shape.
    time_scale: float = 1.0
    clock: Callable[[], float] = time.time
    quotas: QuotaBook = field(default_factory=QuotaBook)
    # Products per seller account (see catalog.py); one Catalog per account key, made on first use.
    catalog_size: int = DEFAULT_CATALOG_SIZE
    catalogs: dict[tuple[str, str], Catalog] = field(default_factory=dict)
    orders: OrderBook = field(default_factory=OrderBook)

    def __post_init__(self) -> None:
        # Orders are stamped with the same clock the limits count in (a sped-up clock in benchmarks).
        if self.orders.clock is time.time:
            self.orders.clock = self.clock

    def now(self) -> float:
        """The marketplaces' time: real time sped up by 1 / time_scale (limits are counted in this time)."""
        return self.clock() / self.time_scale

    def speed(self) -> float:
        """Marketplace seconds per real second: 1 / time_scale, times a ScaledClock's speed when the clock is one
        (benchmarks speed both sides up that way; the clock is then its bound `now`)."""
        return getattr(getattr(self.clock, "__self__", None), "speed", 1.0) / self.time_scale

    def forgiven(self, period: float, *, at_most: float) -> float:
        """Marketplace seconds a fixed window of `period` is shortened by, so that a request's delay between the
        client's send and its arrival here (real seconds: a busy event loop, a scheduling hiccup) does not count
        it into the next window. Real jitter is in real seconds, so it grows with a sped-up clock; `at_most` is
        the largest share of the window forgiven, so a client that really sends too fast is still refused."""
        return min(period * at_most, JITTER_ALLOWANCE * self.speed())

    def catalog(self, marketplace: str, account: str) -> Catalog:
        """The products of one account (`account` = the key the marketplace's dict above uses)."""
        key = (marketplace, account)
        if key not in self.catalogs:
            self.catalogs[key] = Catalog(size=self.catalog_size)
        return self.catalogs[key]
