"""How Ozon says "no" and "slow down": its ErrorPolicy for connectors.http.HttpCore, its own error class, and
how a per-item refusal in a stocks / prices reply becomes an ItemResult.

Error replies are `rpcStatus`: {"code": int, "message": str, "details": [...]} (swagger components.schemas.
rpcStatus); the texts below are from the swagger's "Errors" tag, matched case-insensitively as substrings.

ItemResult reasons (`ItemResult.reason`) the client gives, besides Ozon's own error codes in lower case:
- `rate_limited`: Ozon's TOO_MANY_REQUESTS, or held back locally because the product's hourly price budget
  is spent (connectors.ozon.prices);
- `unknown_sku`: no Ozon product has that offer_id;
- `no_warehouse`: a stock update without a warehouse and none in the client's AccountContext;
- `duplicate`: the same item twice in one call (the last one wins);
- `not_updated`: Ozon answered `updated: false` without an error;
- `no_result`: Ozon's reply left the item out.
"""
from __future__ import annotations

from collections.abc import Callable

from connectors.base import (
    AuthError,
    BadResponse,
    ConnectorError,
    IpRestricted,
    ItemOutcome,
    ItemResult,
    KeyExpired,
    Marketplace,
    PermissionDenied,
)
from connectors.http import (
    ErrorPolicy,
    RateLimitSignal,
    Reply,
    first_text,
    retry_after_header,
)
from connectors.ozon import limits
from connectors.ozon.models import OzonUpdateResult

OZON_RATE_LIMIT_TEXT = "you have reached request rate limit per second"
OZON_CIRCLE_OPEN_TEXT = "circle is open"
# A per-item error code meaning "this item again too soon" (/v2/products/stocks: the same pair within 30 s).
OZON_TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"

OZON_AUTH_MESSAGES: tuple[tuple[str, type[ConnectorError]], ...] = (
    ("api-key is restricted to specific ip addresses", IpRestricted),
    ("api-key is missing a required role", PermissionDenied),
    ("api-key is deactivated", KeyExpired),
    ("invalid api-key", AuthError),
    ("client-id", AuthError),  # e.g. "Invalid Client-Id" / "Client-Id is not specified"
)


class OzonShipFailed(BadResponse):
    """Ozon kept answering `ship_failed` for the posting after every packing attempt."""


def ozon_message(reply: Reply) -> str | None:
    """The text of an error reply: rpcStatus `message` (or `error`), else the start of a non-HTML body."""
    body = reply.body
    if isinstance(body, dict):
        return first_text(body.get("message"), body.get("error"))
    return first_text(reply.text[:300]) if reply.text and not reply.text.lstrip().startswith("<") else None


def ozon_rate_limit(reply: Reply, now: float) -> RateLimitSignal | None:
    """UNCONFIRMED status (MARKETPLACES.md §4.3): the spec documents only texts. A 429 or either text is a rate
    limit; a Retry-After header, if Ozon ever sends one, wins over the estimates in connectors.ozon.limits."""
    text = (ozon_message(reply) or "").lower()
    server_says = retry_after_header(reply, now)
    if OZON_CIRCLE_OPEN_TEXT in text:
        return RateLimitSignal(server_says if server_says is not None else limits.OZON_CIRCLE_OPEN_WAIT)
    if OZON_RATE_LIMIT_TEXT in text or reply.status == 429:
        return RateLimitSignal(server_says if server_says is not None else limits.OZON_PER_SECOND_WAIT)
    return None


def ozon_classify(reply: Reply, message: str) -> type[ConnectorError] | None:
    """The typed error an auth text names (bad key, missing role, IP restriction, deactivated key)."""
    text = message.lower()
    for needle, cls in OZON_AUTH_MESSAGES:
        if needle in text:
            return cls
    return None


OZON_POLICY = ErrorPolicy(Marketplace.OZON, rate_limit=ozon_rate_limit, message=ozon_message, classify=ozon_classify)


def item_result(sku: str, result: OzonUpdateResult | None, redact: Callable[[str], str],
                warehouse_id: str | None = None) -> ItemResult:
    """ItemResult of one item of a stocks / prices reply (None: the reply left the item out)."""
    if result is None:
        return ItemResult(sku, ItemOutcome.REJECTED, "no_result", "Ozon's reply did not mention this item",
                          warehouse_id=warehouse_id)
    error = next((e for e in result.errors if e.code or e.message), None)
    detail = redact(" ".join(f"{error.code}: {error.message}".split()).strip(": "))[:200] if error else None
    if result.updated:
        return ItemResult(sku, ItemOutcome.ACCEPTED, detail=detail, warehouse_id=warehouse_id)
    if error is None:
        return ItemResult(sku, ItemOutcome.REJECTED, "not_updated", warehouse_id=warehouse_id)
    code = error.code.strip().upper()
    reason = "rate_limited" if code == OZON_TOO_MANY_REQUESTS else (code.lower() or "rejected")
    return ItemResult(sku, ItemOutcome.REJECTED, reason, detail, warehouse_id=warehouse_id)
