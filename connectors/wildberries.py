"""Wildberries client (specs/wildberries, MARKETPLACES.md §3).

WB has one host per API category, so the base URL is a template with `{category}` (the host's name
before `-api`): `https://{category}-api.wildberries.ru`, or e.g. `http://127.0.0.1:8080/wb/{category}`.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from connectors.base import (
    AuthError,
    Choice,
    ConnectionInfo,
    ConnectorError,
    Credentials,
    KeyExpired,
    Marketplace,
    PermissionDenied,
    Warning,
)
from connectors.http import (
    BaseClient,
    Clock,
    ErrorPolicy,
    HttpCore,
    RateLimitSignal,
    Reply,
    check_key_expiry,
    first_text,
    parse_model,
    seconds_header,
)

# ------------------------------------------------------------------------------------------- token
# Token types by the JWT `acc` claim (en-json api-information.json, "About the token").
WB_TOKEN_TYPES = {1: "base", 2: "test", 3: "personal", 4: "service"}

# Category names by their bit position in the `s` claim (same table).
WB_CATEGORY_BITS: dict[int, str] = {
    1: "content",
    2: "analytics",
    3: "prices",  # Prices and discounts
    4: "marketplace",
    5: "statistics",
    6: "promotion",
    7: "feedbacks",  # Feedbacks and questions
    9: "buyers_chat",
    10: "supplies",
    11: "returns",  # Buyers returns
    12: "documents",
    13: "finance",
    16: "users",
}
WB_READ_ONLY_BIT = 30

# What the bot needs (stock, prices, orders, catalog, sales) and the host that answers `/ping` for each.
WB_REQUIRED_CATEGORIES: tuple[str, ...] = ("content", "prices", "marketplace", "statistics", "analytics")
WB_CATEGORY_HOSTS: dict[str, str] = {
    "content": "content",
    "prices": "discounts-prices",
    "marketplace": "marketplace",
    "statistics": "statistics",
    "analytics": "seller-analytics",
}
# Pinged when the token holds none of the categories above: /ping on common-api still checks the token.
WB_COMMON_HOST = "common"


def wb_scope_bit(position: int) -> int:
    """The mask value of "bit position N" in the WB `s` claim: 1 << N (positions count from 0 at the LSB).

    The docs' table starts at position 1 (Content) and never uses 0, which only makes sense for
    0-based positions (a 1-based table would start at 1 = 1<<0 and list it). Independent decoders agree:
    they shift `s` right one bit at a time and map the i-th bit (value 1 << i) to category i, and real
    tokens published in open source carry e.g. s=128 = 1<<7 = Feedbacks (an auto-reply tool's token),
    whereas 1-based reading would make that position 8, which the table does not define.
    If this ever turns out wrong, this one function is the fix.
    """
    return 1 << position


@dataclass(frozen=True)
class WbTokenInfo:
    type: str  # "base" | "test" | "personal" | "service" | "unknown"
    categories: frozenset[str]
    read_only: bool
    expires_at: int | None  # unix seconds (`exp`)
    seller_id: str | None  # `sid`
    service_id: str | None = None  # from `for: asid:<id>` on service tokens


def _b64url_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def decode_wb_token(token: str) -> WbTokenInfo:
    """Read a WB token locally (no signature check: only WB can verify it; this is for type/scope/expiry).

    Raises AuthError when the text is not a JWT at all, which is what a partner pasting the wrong thing
    needs to hear. Never puts the token into the error.
    """
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise AuthError("wildberries: the token is not a JWT", detail="not a WB API token")
    try:
        payload = _b64url_json(parts[1])
    except (ValueError, binascii.Error, UnicodeError):
        raise AuthError("wildberries: the token payload cannot be decoded", detail="not a WB API token") from None
    if not isinstance(payload, dict):
        raise AuthError("wildberries: the token payload is not an object", detail="not a WB API token")

    mask = payload.get("s")
    mask = mask if isinstance(mask, int) and not isinstance(mask, bool) else 0
    categories = frozenset(name for pos, name in WB_CATEGORY_BITS.items() if mask & wb_scope_bit(pos))

    acc = payload.get("acc")
    token_type = WB_TOKEN_TYPES.get(acc, "unknown") if isinstance(acc, int) else "unknown"
    if token_type == "unknown" and payload.get("t") is True:
        token_type = "test"
    issued_for = payload.get("for")
    service_id = issued_for[5:] if isinstance(issued_for, str) and issued_for.startswith("asid:") else None

    exp = payload.get("exp")
    return WbTokenInfo(
        type=token_type,
        categories=categories,
        read_only=bool(mask & wb_scope_bit(WB_READ_ONLY_BIT)),
        expires_at=int(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None,
        seller_id=str(payload["sid"]) if payload.get("sid") else None,
        service_id=service_id,
    )


def wb_token_warnings(info: WbTokenInfo) -> tuple[list[Warning], list[str]]:
    """Warnings about the token itself, plus the required categories it lacks."""
    warnings: list[Warning] = []
    by_type = {"personal": Warning.WB_PERSONAL_TOKEN, "base": Warning.WB_BASE_TOKEN, "test": Warning.WB_TEST_TOKEN}
    if info.type in by_type:
        warnings.append(by_type[info.type])
    if info.read_only:
        warnings.append(Warning.WB_READ_ONLY)
    missing = [c for c in WB_REQUIRED_CATEGORIES if c not in info.categories]
    if missing:
        warnings.append(Warning.WB_MISSING_CATEGORIES)
    return warnings, missing


# ----------------------------------------------------------------------------------- error policy
def _wb_message(reply: Reply) -> str | None:
    # Auth / limit errors are problem+json {title, detail, ...}; business errors {code, message}.
    body = reply.body
    if not isinstance(body, dict):
        return None
    return first_text(body.get("detail"), body.get("message"), body.get("title"), body.get("code"))


def _wb_rate_limit(reply: Reply, now: float) -> RateLimitSignal | None:
    # 429 carries X-Ratelimit-Retry: seconds until a retry is allowed (api-information.json).
    if reply.status == 429:
        wait = seconds_header(reply, "X-Ratelimit-Retry")
        return RateLimitSignal(wait if wait is not None else seconds_header(reply, "Retry-After"))
    return None


def _wb_classify(reply: Reply, message: str) -> type[ConnectorError] | None:
    # UNCONFIRMED wording: WB's 401 detail names the cause ("token expired", "token scope not allowed").
    text = message.lower()
    if reply.status == 401 and "expired" in text:
        return KeyExpired
    if reply.status == 401 and "scope" in text:
        return PermissionDenied
    return None


WB_POLICY = ErrorPolicy(Marketplace.WILDBERRIES, rate_limit=_wb_rate_limit, message=_wb_message, classify=_wb_classify)


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


# ------------------------------------------------------------------------------------------ client
class WildberriesClient(BaseClient):
    marketplace = Marketplace.WILDBERRIES

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        timeout: float = 15.0,
    ):
        self._token = credentials.api_key.strip()
        self._base_template = base_url
        self._http = HttpCore(
            policy=WB_POLICY,
            # No prefix: `Authorization: <JWT>` (securitySchemes.HeaderApiKey).
            auth_headers={"Authorization": self._token},
            transport=transport,
            clock=clock,
            timeout=timeout,
        )

    def host_url(self, host: str) -> str:
        """The base URL of one category host, e.g. 'marketplace' -> https://marketplace-api.wildberries.ru."""
        # str.replace, not format(): a base URL may legitimately contain other braces.
        return self._base_template.replace("{category}", host).rstrip("/")

    async def ping(self, host: str) -> WbPing:
        data = await self._http.request_json("GET", "/ping", base_url=self.host_url(host))
        return parse_model(WbPing, data, f"wildberries {host} /ping")

    async def list_warehouses(self) -> list[WbWarehouse]:
        data = await self._http.request_json("GET", "/api/v3/warehouses", base_url=self.host_url("marketplace"))
        return parse_model(list[WbWarehouse], data, "wildberries /api/v3/warehouses")

    async def check_connection(self) -> ConnectionInfo:
        info = decode_wb_token(self._token)
        warnings = check_key_expiry(self.marketplace, info.expires_at, self._http.clock.now())
        token_warnings, missing = wb_token_warnings(info)
        warnings += token_warnings

        # /ping checks token, URL and category on each host we will use (3 per 30 s per host: once each).
        hosts = [WB_CATEGORY_HOSTS[c] for c in WB_REQUIRED_CATEGORIES if c in info.categories]
        for host in hosts or [WB_COMMON_HOST]:
            await self.ping(host)

        warehouses: list[Choice] = []
        if "marketplace" in info.categories:
            warehouses = [
                Choice(
                    id=str(w.id),
                    name=w.name or f"Warehouse {w.id}",
                    extra={"office_id": w.officeId, "cargo_type": w.cargoType, "delivery_type": w.deliveryType},
                )
                for w in await self.list_warehouses()
                if not w.isDeleting  # about to disappear: nothing to push stock to
            ]

        sid = info.seller_id
        return ConnectionInfo(
            marketplace=self.marketplace,
            # Not from GET /api/v1/seller-info on purpose: a Base token may call it once per 24 h, and a
            # connection test must be repeatable. The service may fetch the real name later, once.
            account_name=f"WB seller {sid[:8]}" if sid else "WB seller",
            account_id=sid,
            warehouses=warehouses,
            expires_at=info.expires_at,
            token_type=info.type,
            scopes=sorted(info.categories),
            warnings=warnings,
            extra={
                "missing_categories": missing,
                "read_only": info.read_only,
                "service_id": info.service_id,
                "pinged_hosts": hosts or [WB_COMMON_HOST],
            },
        )
