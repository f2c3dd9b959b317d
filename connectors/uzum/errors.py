"""How Uzum says "no" and "slow down": its ErrorPolicy, its error items, and per-item results of refused batches.

Error shape (UNCONFIRMED, MARKETPLACES.md §1.3): `{"errors": [{"code", "message"}]}` in third-party code, plus
`skuId` where the server names one SKU; we are tolerant of `message` / `error` / `detail` at the top level too.
Rate limit: HTTP 429 (third-party code); no documented header, so a standard Retry-After is honoured if any.
There is no text-based classification (no `classify`): the status decides the error type (HttpCore's default).

Per-item reasons (`ItemResult.reason`) the stock and price writes give:
  `promo_locked`   Uzum error `sku-price-001`: the SKU is in a promotion, its price cannot change
  `not_found`      the SKU is not in the account (stock: not in GET /v2/fbs/sku/stocks; or Uzum said so)
  `invalid_value`  negative stock, a price <= 0, a price not in UZS, or Uzum refused the value
  `not_linked`     Uzum refused stock for an SKU that is not on the FBS scheme
  `unavailable` / `rate_limited` / `bad_response`   the batch still failed after every retry (try later)
  any other Uzum error code, as Uzum gave it, when we cannot map it.
A refused batch whose errors name SKUs rejects those and resends the rest; a known item-level code without an
SKU (e.g. the promo lock) is narrowed down by halving the batch. A key or permission error is raised.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from connectors.base import (
    AuthError,
    BadResponse,
    ConnectorError,
    ItemOutcome,
    ItemResult,
    Marketplace,
    MarketplaceUnavailable,
    PermissionDenied,
    RateLimited,
)
from connectors.http import (
    ErrorPolicy,
    RateLimitSignal,
    Reply,
    first_text,
    retry_after_header,
)

T = TypeVar("T")
Item = dict[str, Any]  # one `skuAmountList` / `priceData` item as sent (keyed by "skuId")
Send = Callable[[list[Item]], Awaitable[None]]

# UNCONFIRMED: error codes that refuse one item, not the request; the reason each becomes. `sku-price-001` is
# seen in third-party code ("Ску нельзя редактировать", a SKU in a promotion); the others are the sandbox's
# stand-ins.
UZUM_ITEM_ERROR_REASONS: dict[str, str] = {
    "sku-price-001": "promo_locked",
    "sku-not-found": "not_found",
    "sku-price-invalid": "invalid_value",
    "sku-amount-invalid": "invalid_value",
    "sku-not-linked-fbs": "not_linked",
}
# A 4xx with these statuses refuses what we sent (not the key, not the rate).
UZUM_REFUSAL_STATUSES = frozenset({400, 404, 409, 422})


# ------------------------------------------------------------------------------------------ error items
@dataclass(frozen=True)
class UzumError:
    """One item of an error reply's `errors` list (UNCONFIRMED shape; `skuId` where the server names one)."""

    code: str | None
    message: str | None
    sku_id: str | None = None


def parse_uzum_errors(body: Any) -> tuple[UzumError, ...]:
    """The `errors` list of an error reply (junk items skipped; () when there is none)."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return ()
    found = []
    for item in body["errors"]:
        if isinstance(item, dict):
            sku = item.get("skuId")
            found.append(UzumError(first_text(item.get("code")), first_text(item.get("message"), item.get("detail")),
                                   None if sku is None else str(sku)))
    return tuple(found)


def uzum_reason(code: str | None) -> str:
    """The ItemResult reason for an Uzum error code (an unknown code is passed on as given)."""
    if not code:
        return "rejected"
    return UZUM_ITEM_ERROR_REASONS.get(code, code)


# -------------------------------------------------------------------------------------------- the policy
def uzum_message(reply: Reply) -> str | None:
    """The marketplace's short text in an error reply (UNCONFIRMED shape: be tolerant)."""
    body = reply.body
    if not isinstance(body, dict):
        return None
    errors = parse_uzum_errors(body)
    if errors:
        return first_text(errors[0].message, errors[0].code)
    return first_text(body.get("message"), body.get("error"), body.get("detail"))


def uzum_rate_limit(reply: Reply, now: float) -> RateLimitSignal | None:
    """429 is "slow down" (third-party code); no documented header, so honour a standard Retry-After if any."""
    if reply.status == 429:
        return RateLimitSignal(retry_after_header(reply, now))
    return None


UZUM_POLICY = ErrorPolicy(Marketplace.UZUM, rate_limit=uzum_rate_limit, message=uzum_message)


# ------------------------------------------------------------------------------------ failure decisions
def refusal(error: ConnectorError) -> tuple[UzumError, ...] | None:
    """The errors of a reply that refused what we sent (per-item results need their codes and SKUs), or None if
    the failure was something else."""
    if error.status in UZUM_REFUSAL_STATUSES:
        return parse_uzum_errors(error.body)
    return None


def transient(error: ConnectorError) -> bool:
    """Worth repeating the same request: the server failed, asked us to wait, or sent an unreadable reply."""
    if isinstance(error, (MarketplaceUnavailable, RateLimited)):
        return True
    return isinstance(error, BadResponse) and (error.status is None or 200 <= error.status < 300)


def failure_reason(error: ConnectorError) -> str:
    """The ItemResult reason of an item whose batch failed for a reason that is not about the item."""
    if isinstance(error, RateLimited):
        return "rate_limited"
    if isinstance(error, MarketplaceUnavailable):
        return "unavailable"
    return "bad_response"


# ------------------------------------------------------------------- refused batches: per-item results
def item_sku(item: Item) -> str:
    return str(item["skuId"])


def rejected(sku: str, reason: str, detail: str | None = None) -> ItemResult:
    return ItemResult(sku=sku, outcome=ItemOutcome.REJECTED, reason=reason, detail=detail)


def chunks(items: list[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


async def write_all(items: list[Item], size: int, send: Send) -> dict[str, ItemResult]:
    """Send `items` in batches of `size`, one after another; the result of each item by its skuId."""
    results: dict[str, ItemResult] = {}
    for batch in chunks(items, size):
        results.update((r.sku, r) for r in await write_batch(batch, send))
    return results


async def write_batch(batch: list[Item], send: Send) -> list[ItemResult]:
    """Send one batch and say what happened to each item (see the module docstring)."""
    try:
        await send(batch)
    except (AuthError, PermissionDenied):
        raise  # the key cannot write at all: every later batch would fail the same way
    except ConnectorError as exc:
        errors = refusal(exc)
        if errors is None:
            return [rejected(item_sku(i), failure_reason(exc), exc.detail) for i in batch]
        named = {e.sku_id: e for e in errors if e.sku_id is not None}
        refused = [rejected(k, uzum_reason(named[k].code), named[k].message)
                   for k in map(item_sku, batch) if k in named]
        if refused:
            rest = [i for i in batch if item_sku(i) not in named]
            return refused + (await write_batch(rest, send) if rest else [])
        code = next((e.code for e in errors if e.code), None)
        if len(batch) > 1 and code in UZUM_ITEM_ERROR_REASONS:
            # An item-level refusal that does not say which item: find it by halving the batch.
            middle = len(batch) // 2
            return await write_batch(batch[:middle], send) + await write_batch(batch[middle:], send)
        return [rejected(item_sku(i), uzum_reason(code), exc.detail) for i in batch]
    return [ItemResult(sku=item_sku(i), outcome=ItemOutcome.ACCEPTED) for i in batch]
