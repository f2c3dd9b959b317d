"""How Wildberries says "no" and "slow down" (MARKETPLACES.md §3.4), and the connector's own error classes.

- Auth and limit errors (401, 429) are problem+json `{title, detail, code, requestId, origin, status, ...}`;
  Marketplace business errors `{code, message}` (stock refusals: a list of them, naming the items); prices
  errors `{error, errorText}`. The first text found is the error's `detail` (`wb_message`).
- 429 carries `X-Ratelimit-Retry`: seconds until a retry is allowed (api-information.json); every other reply
  `X-Ratelimit-Remaining` (fed to the pacer, `connectors.wildberries.limits.wb_remaining`).
- Marketplace 4xx replies count as 10 requests (see limits.WB_MARKETPLACE_4XX_COST).

A request that failed for a reason worth another try (`TRANSIENT`) is tried again by the client
(limits.WB_CALL_TRIES); a batch that still failed comes back as one `rejected` ItemResult per item whose reason is
the error's cause (`unavailable` / `rate_limited`), so the caller can retry later.
"""
from __future__ import annotations

from collections.abc import Iterable

from connectors.base import (
    BadResponse,
    ConnectorError,
    ItemOutcome,
    ItemResult,
    KeyExpired,
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
    seconds_header,
)
from connectors.wildberries.limits import wb_remaining


def wb_message(reply: Reply) -> str | None:
    """The short text of a WB error reply, whichever of its three envelopes it uses."""
    body = reply.body
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if not isinstance(body, dict):
        return None
    return first_text(body.get("detail"), body.get("message"), body.get("errorText"), body.get("title"),
                      body.get("code"))


def wb_rate_limit(reply: Reply, now: float) -> RateLimitSignal | None:
    # 429 carries X-Ratelimit-Retry: seconds until a retry is allowed (api-information.json).
    if reply.status == 429:
        wait = seconds_header(reply, "X-Ratelimit-Retry")
        return RateLimitSignal(wait if wait is not None else seconds_header(reply, "Retry-After"))
    return None


def wb_classify(reply: Reply, message: str) -> type[ConnectorError] | None:
    """UNCONFIRMED wording: WB's 401 detail names the cause ("token expired", "token scope not allowed")."""
    text = message.lower()
    if reply.status == 401 and "expired" in text:
        return KeyExpired
    if reply.status == 401 and "scope" in text:
        return PermissionDenied
    return None


WB_POLICY = ErrorPolicy(Marketplace.WILDBERRIES, rate_limit=wb_rate_limit, message=wb_message,
                        classify=wb_classify, remaining=wb_remaining)


class Garbled(BadResponse):
    """A 2xx reply we cannot read (cut-off JSON, an unexpected shape, a status WB never sends for the call):
    retried like a 5xx, because nothing says the server acted on it."""


class WbOrderNotFound(BadResponse):
    """No FBS assembly task with this id among the new ones and those of the last 30 days."""


# Failures worth another try of the same request (rate limits are waited out in the pacer first).
TRANSIENT: tuple[type[ConnectorError], ...] = (MarketplaceUnavailable, RateLimited, Garbled)


def rejected(sku: str, reason: str, detail: str | None = None, warehouse_id: str | None = None) -> ItemResult:
    return ItemResult(sku, ItemOutcome.REJECTED, reason, detail, warehouse_id)


def failed_batch(skus: Iterable[str], error: ConnectorError, warehouse_id: str | None = None) -> list[ItemResult]:
    """A whole batch that still failed after every retry: each item rejected with the error's cause."""
    return [rejected(sku, str(error.cause), error.detail, warehouse_id) for sku in skus]
