"""How Yandex Market says "no" and "slow down" (MARKETPLACES.md §2.3).

- Error body (ApiErrorResponse / ApiErrorDTO): {"status": "ERROR", "errors": [{"code": "...", "message": "..."}]},
  parsed here only (`errors_of`).
- Statuses: 400 bad data, 401 no or invalid credentials (AuthError; Api-Keys never expire), 403 "Token does not have
  any of the scopes" or an inactive shop (PermissionDenied), 404, 420 limit, 423 locked (business migration, or
  "Partner use only default price"), 500, 503. The status defaults of connectors.http give those types: nothing in
  Yandex's texts changes them (`classify` is empty on purpose).
- "Slow down" is **420 Enhance Your Calm**, never 429 and never Retry-After. A spent resource says when it resets in
  `X-RateLimit-Resource-Until` (RFC 822); every reply carries `X-RateLimit-Resource-Remaining`
  (`limits.yandex_remaining` feeds it to the pacers).

ItemResult reasons (`ItemResult.reason`) the stock and price writes give:
- `not_found`: the marketplace does not know the SKU (not in the catalog / the shop);
- `invalid_value`: quantity or price out of range, or an SKU the API cannot take (checked before sending, or
  the marketplace's own "must be" / "Value of field" refusal);
- `only_default_price`: the cabinet uses one price for all shops, a shop price was refused (423);
- `locked`: the cabinet or shop is being migrated (other 423 replies);
- `duplicate`: the same SKU twice in one call; the last one wins;
- `rate_limited`: the request stayed over the limit after the retries; send it again later;
- `unavailable`: the marketplace failed (5xx, timeouts, unreadable replies) after the retries; send it again;
- `rejected`: any other refusal; `detail` has the marketplace's text.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connectors.base import BadResponse, ConnectorError, Marketplace
from connectors.http import (
    ErrorPolicy,
    RateLimitSignal,
    Reply,
    first_text,
    header_number,
    http_date_header,
)
from connectors.yandex.limits import yandex_remaining

# ------------------------------------------------------------------------------------------- reasons
NOT_FOUND = "not_found"
INVALID_VALUE = "invalid_value"
ONLY_DEFAULT_PRICE = "only_default_price"
LOCKED = "locked"
DUPLICATE = "duplicate"
RATE_LIMITED = "rate_limited"
UNAVAILABLE = "unavailable"
REJECTED = "rejected"
# The HTTP statuses that refuse a batch's items (rather than the call): 400 bad data, 423 locked.
REFUSAL_STATUSES = frozenset({400, 423})


class OrderNotFound(BadResponse):
    """getBusinessOrders did not return the order asked for."""


# ------------------------------------------------------------------------------------- error replies
@dataclass(frozen=True)
class YandexError:
    code: str
    message: str


def errors_of(body: Any) -> tuple[YandexError, ...]:
    """ApiErrorResponse: {"status": "ERROR", "errors": [{"code": "...", "message": "..."}]}."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return ()
    return tuple(
        YandexError(str(e.get("code") or ""), str(e.get("message") or "")) for e in errors if isinstance(e, dict)
    )


def error_text(error: YandexError | None, fallback: str | None) -> str:
    """One error's text (its message, else its code), else `fallback`."""
    if error is None:
        return fallback or ""
    return first_text(error.message, error.code) or fallback or ""


# ------------------------------------------------------------------------------------- error policy
def message(reply: Reply) -> str | None:
    texts = [first_text(e.message, e.code) for e in errors_of(reply.body)]
    return "; ".join(t for t in texts if t) or None


def rate_limit(reply: Reply, now: float) -> RateLimitSignal | None:
    """420 Enhance Your Calm. A spent resource says when it resets in X-RateLimit-Resource-Until (RFC 822).

    Every reply carries X-RateLimit-Resource-Remaining, so a 420 while the resource still has budget left is the
    parallel-requests limit: waiting for the resource window would be wrong, our own backoff is right."""
    if reply.status != 420:
        return None
    remaining = header_number(reply.headers.get("X-RateLimit-Resource-Remaining"))
    if remaining is not None and remaining > 0:
        return RateLimitSignal(None)
    return RateLimitSignal(http_date_header(reply, "X-RateLimit-Resource-Until", now))


def classify(reply: Reply, message: str) -> type[ConnectorError] | None:
    # The status defaults are Yandex's meaning: 401 bad/missing key -> AuthError, 403 "Token does not have any
    # of the scopes" or an inactive shop -> PermissionDenied. Api-Keys never expire.
    return None


YANDEX_POLICY = ErrorPolicy(
    Marketplace.YANDEX,
    rate_limit=rate_limit,
    message=message,
    classify=classify,
    remaining=yandex_remaining,
)


# --------------------------------------------------------------------------------- batch refusals
# Where a refusal names an item, the SKU appears as one token of the message, e.g. "Unable to find mapping for
# offerId: SKU-1" (a 400 body seen in yandex-market/yandex-market-php-partner#33 lists one error per bad item).
_TOKEN_SPLIT = re.compile(r"[\s'\"`,;:()\[\]{}<>]+")


def refused_items(errors: Sequence[YandexError], skus: set[str]) -> dict[str, YandexError]:
    """UNCONFIRMED: which SKUs of a refused batch each error names (SKUs containing spaces are not found)."""
    named: dict[str, YandexError] = {}
    for error in errors:
        for token in _TOKEN_SPLIT.split(error.message):
            if token in skus:
                named.setdefault(token, error)
    return named


def refusal_reason(status: int | None, text: str) -> str:
    """A reason code for a refusal, from the HTTP status and the marketplace's text. Only "Partner use only default
    price" (423) is a documented text; the words matched for the others are UNCONFIRMED (hence `rejected` + the
    marketplace's own detail as the fallback)."""
    lowered = text.lower()
    if status == 423:
        return ONLY_DEFAULT_PRICE if "default price" in lowered else LOCKED
    if "not found" in lowered or "unable to find" in lowered or "unknown" in lowered:
        return NOT_FOUND
    if "must be" in lowered or "value of" in lowered or "invalid" in lowered or "scale" in lowered:
        return INVALID_VALUE
    return REJECTED
