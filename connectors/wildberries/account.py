"""Wildberries account: the token (decoded locally), the key format check, the connection test and warehouses.

WB has one host per API category, so the base URL is a template with `{category}` (the host's name before
`-api`): `https://{category}-api.wildberries.ru`, or e.g. `http://127.0.0.1:8080/wb/{category}`.

- connection: GET <host>/ping per needed category (GET common /ping when the token holds none of them), then
              GET marketplace /api/v3/warehouses. Not GET common /api/v1/seller-info on purpose: a Base token
              may call it once per 24 h, and a connection test must be repeatable.
- ids:        the seller id (`sid`) and the token's type, categories and expiry come from the token itself
              (en-json api-information.json, "About the token"); warehouses from /api/v3/warehouses; chrtIds
              from the cards (catalog).

Like every feature module, the functions here take the WildberriesClient (connectors.wildberries.client) and use
its request helpers; the client module is never imported here (it imports this one).
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.base import AuthError, Choice, ConnectionInfo, Warning
from connectors.http import check_key_expiry, parse_model
from connectors.wildberries.models import WbPing, WbWarehouse

if TYPE_CHECKING:  # annotations only: the client imports this module
    from connectors.wildberries.client import WildberriesClient

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

# What the bot needs (stock, prices, orders, catalog, sales, finance reports) and the host that answers `/ping`
# for each.
WB_REQUIRED_CATEGORIES: tuple[str, ...] = ("content", "prices", "marketplace", "statistics", "analytics", "finance")
WB_CATEGORY_HOSTS: dict[str, str] = {
    "content": "content",
    "prices": "discounts-prices",
    "marketplace": "marketplace",
    "statistics": "statistics",
    "analytics": "seller-analytics",
    "finance": "finance",
}
# Pinged when the token holds none of the categories above: /ping on common-api still checks the token.
WB_COMMON_HOST = "common"

# The text id services show for a typed key that is not a WB token (bot/locales: format-wildberries-key).
WB_KEY_FORMAT_ERROR = "format-wildberries-key"
MAX_KEY_LENGTH = 4096  # as services.key_formats.MAX_KEY_LENGTH


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


UNREADABLE_TOKEN = WbTokenInfo("unknown", frozenset(), False, None, None)


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


def check_key(text: str) -> str | None:
    """The format check of a typed WB key (PROFILE.check_key), before anything is sent: None when it looks like a
    WB token (three dot-separated parts whose middle one is a base64url JSON object), else the id of the text
    that says what is wrong. `text` as services.key_formats.normalize() leaves it (quotes, `Bearer ` removed)."""
    value = text.strip()
    if not value or len(value) > MAX_KEY_LENGTH or any(ch.isspace() for ch in value):
        return WB_KEY_FORMAT_ERROR
    parts = value.split(".")
    if len(parts) != 3:
        return WB_KEY_FORMAT_ERROR
    try:
        payload = _b64url_json(parts[1])
    except (ValueError, binascii.Error, UnicodeError):
        return WB_KEY_FORMAT_ERROR
    return None if isinstance(payload, dict) else WB_KEY_FORMAT_ERROR


# ------------------------------------------------------------------------------------ connection
async def ping(client: WildberriesClient, host: str) -> WbPing:
    # Not paced: a connection test pings each host once, and WB's own 429 (X-Ratelimit-Retry, slept in
    # HttpCore) covers a partner who repeats it within 30 s.
    data = await client.http.request_json("GET", "/ping", base_url=client.host_url(host))
    return parse_model(WbPing, data, f"wildberries {host} /ping")


async def list_warehouses(client: WildberriesClient) -> list[Choice]:
    """The seller's own warehouses (stock is kept per warehouse); those being deleted are left out."""
    warehouses = await client.read("GET", "marketplace", "/api/v3/warehouses", list[WbWarehouse],
                                   group="marketplace")
    return [
        Choice(id=str(w.id), name=w.name or f"Warehouse {w.id}",
               extra={"office_id": w.officeId, "cargo_type": w.cargoType, "delivery_type": w.deliveryType})
        for w in warehouses
        if not w.isDeleting  # about to disappear: nothing to push stock to
    ]


async def check_connection(client: WildberriesClient, token: str) -> ConnectionInfo:
    """Decode the client's token (AuthError if it is none), ping each host it will be used on (3 per 30 s per
    host: once each) and list the warehouses. The account is the token's seller: `seller_id` is its `sid`."""
    info = decode_wb_token(token)
    warnings = check_key_expiry(client.marketplace, info.expires_at, client.clock.now())
    token_warnings, missing = wb_token_warnings(info)
    warnings += token_warnings

    hosts = [WB_CATEGORY_HOSTS[c] for c in WB_REQUIRED_CATEGORIES if c in info.categories]
    for host in hosts or [WB_COMMON_HOST]:
        await client.ping(host)

    warehouses = await client.list_warehouses() if "marketplace" in info.categories else []
    sid = info.seller_id
    return ConnectionInfo(
        marketplace=client.marketplace,
        # The service may fetch the real name later, once (seller-info: a Base token gets 1 call per 24 h).
        account_name=f"WB seller {sid[:8]}" if sid else "WB seller",
        account_id=sid,
        seller_id=sid,
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
