"""What every Yandex capability module shares: `YandexApi`, the small object the client holds and passes to the
feature modules' functions (every one of them takes it first), and the batch-write machinery of stock and prices.

`YandexApi` holds the client's HttpCore and account context (businessId / campaignId, filled in by
`connectors.yandex.account` where the AccountContext left them out) and sends paced requests:

Pacing: every request passes `connectors.yandex.limits.yandex_pace` for its scope (the campaign or business in its URL,
else the cabinet) and operationId: at most 2 requests in flight per scope, the resource's published limit
(item-counted where the spec counts items), and the `X-RateLimit-Resource-*` headers of every reply.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Sequence,
)
from dataclasses import dataclass
from typing import Any, TypeVar

from connectors.base import (
    AccountContext,
    AuthError,
    BadResponse,
    ConnectorError,
    Credentials,
    ItemOutcome,
    ItemResult,
    PermissionDenied,
    RateLimited,
)
from connectors.clock import Clock
from connectors.http import HttpCore, parse_model
from connectors.pacing import Pace, credential_id
from connectors.yandex import limits
from connectors.yandex.errors import (
    DUPLICATE,
    INVALID_VALUE,
    RATE_LIMITED,
    REFUSAL_STATUSES,
    UNAVAILABLE,
    error_text,
    errors_of,
    refusal_reason,
    refused_items,
)
from connectors.yandex.models import YandexBusinessSettings, YandexPaging

T = TypeVar("T")


class YandexApi:
    """Paced, parsed requests for one account (one Api-Key, and the business / campaign it works on)."""

    def __init__(self, http: HttpCore, credentials: Credentials, account: AccountContext | None = None):
        self.http = http
        account = account or AccountContext()
        # None until given or discovered (connectors.yandex.account.business_id / campaign_id).
        self.business_id = int(account.business_id) if account.business_id else None
        self.campaign_id = int(account.shop_id) if account.shop_id else None
        # Limits of URLs without a campaign or business are counted per cabinet: one key = one cabinet.
        self.cabinet = f"cabinet:{credential_id(credentials.api_key)}"
        # connectors.yandex.prices' memo of the business settings: (read at, settings).
        self.settings: tuple[float, YandexBusinessSettings] | None = None

    @property
    def clock(self) -> Clock:
        return self.http.clock

    def pace(self, scope: str, resource: str, cost: int = 1) -> Pace:
        return limits.yandex_pace(scope, resource, cost=cost, clock=self.http.clock)

    def campaign_filter(self) -> dict:
        """`campaignIds` of a business-wide request: our shop only, when one is set."""
        return {"campaignIds": [self.campaign_id]} if self.campaign_id is not None else {}

    async def call(self, method: str, path: str, model: type[T], *, scope: str, resource: str, cost: int = 1,
                   params: dict | None = None, body: Any = None, idempotent: bool = True) -> T:
        """One paced request whose reply is parsed with `model`.

        A 200 that does not parse (cut off, garbage) is sent again when the call is idempotent: a read, or a write
        that sets values (stock, prices), may safely happen twice. Order status changes are never re-sent here.
        """
        pace = self.pace(scope, resource, cost)
        attempts = limits.READ_ATTEMPTS if idempotent else 1
        for attempt in range(1, attempts + 1):
            try:
                data = await self.http.request_json(method, path, params=params, json_body=body,
                                                    idempotent=idempotent, pace=pace)
                return parse_model(model, data, f"yandex {method} {path}")
            except BadResponse as exc:
                unreadable_2xx = exc.status is None or exc.status < 300
                if not unreadable_2xx or attempt == attempts:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def paged(self, method: str, path: str, model: type[T], *, scope: str, resource: str, limit: int,
                    items: Callable[[T], tuple[list, YandexPaging | None]], body: Any = None,
                    max_pages: int | None = None) -> AsyncIterator[Any]:
        """Every item of every page (pageToken + limit), one page in memory at a time."""
        token: str | None = None
        seen: set[str] = set()
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": limit}
            if token:
                params["pageToken"] = token
            page = await self.call(method, path, model, scope=scope, resource=resource, params=params, body=body)
            found, paging = items(page)
            for item in found:
                yield item
            token = paging.nextPageToken if paging else None
            pages += 1
            if not token or not found:
                return
            if token in seen:  # a server repeating a token would loop forever
                raise BadResponse(f"yandex {path}: page token repeats")
            if max_pages is not None and pages >= max_pages:
                raise BadResponse(f"yandex {path}: too many pages")
            seen.add(token)


async def gather(coros: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Run concurrently (the pace caps what is in flight); on the first error cancel the rest and raise it."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in coros]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [t.result() for t in tasks]


# ------------------------------------------------------------------------- batch writes (stock, prices)
@dataclass(frozen=True)
class Entry:
    """One item of a batch write: where it was in the caller's list, its SKU, its JSON, and why it cannot be
    sent (checked locally), if so."""

    position: int
    sku: str
    payload: dict
    warehouse_id: str | None = None
    problem: str | None = None

    def result(self, outcome: ItemOutcome, reason: str | None = None, detail: str | None = None) -> ItemResult:
        return ItemResult(self.sku, outcome, reason, detail, warehouse_id=self.warehouse_id)


Send = Callable[[list[dict]], Awaitable[None]]


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def batches(entries: Sequence[Entry], max_items: int, max_bytes: int | None = None) -> Iterable[list[Entry]]:
    """Split into requests of at most `max_items` items and `max_bytes` (default: the API's body limit) of items'
    JSON, minus a margin."""
    budget = (max_bytes or limits.MAX_BODY_BYTES) - 1024  # the envelope: {"skus": [...]} and separators
    batch: list[Entry] = []
    size = 0
    for entry in entries:
        cost = _json_size(entry.payload) + 2
        if batch and (len(batch) >= max_items or size + cost > budget):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += cost
    if batch:
        yield batch


def sendable(entries: Sequence[Entry], results: list[ItemResult | None]) -> list[Entry]:
    """The entries to send: valid ones, the last per SKU. The others get their result now: `invalid_value`
    (checked locally) or `duplicate` (an earlier update of the same SKU in this call; the last one wins)."""
    last = {entry.sku: entry for entry in entries if entry.problem is None}
    kept = []
    for entry in entries:
        if entry.problem is not None:
            results[entry.position] = entry.result(ItemOutcome.REJECTED, INVALID_VALUE, entry.problem)
        elif last[entry.sku] is not entry:
            results[entry.position] = entry.result(ItemOutcome.REJECTED, DUPLICATE,
                                                   "superseded by a later update in the same call")
        else:
            kept.append(entry)
    return kept


async def write(entries: list[Entry], max_items: int, send: Send) -> list[ItemResult]:
    """Send `entries` in batches; one result per entry, in the caller's order."""
    results: list[ItemResult | None] = [None] * len(entries)
    kept = sendable(entries, results)
    outcomes = await gather(_write_batch(batch, send) for batch in batches(kept, max_items))
    for outcome in outcomes:
        for position, result in outcome:
            results[position] = result
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


async def _write_batch(batch: list[Entry], send: Send, *, resend: bool = True) -> list[tuple[int, ItemResult]]:
    """One request; if Yandex refuses items it names, those are rejected and the rest sent once more."""
    try:
        await send([e.payload for e in batch])
    except (AuthError, PermissionDenied):
        raise  # nothing will work with this key: the call fails
    except RateLimited as exc:
        return [(e.position, e.result(ItemOutcome.REJECTED, RATE_LIMITED, exc.detail)) for e in batch]
    except ConnectorError as exc:
        if exc.status not in REFUSAL_STATUSES:
            if exc.status is not None and 400 <= exc.status < 500:
                raise  # 404 campaign / business not found and the like: the call is wrong, not the items
            return [(e.position, e.result(ItemOutcome.REJECTED, UNAVAILABLE, exc.detail)) for e in batch]
        return await _refused(batch, send, exc, resend)
    return [(e.position, e.result(ItemOutcome.ACCEPTED)) for e in batch]


async def _refused(batch: list[Entry], send: Send, exc: ConnectorError, resend: bool) -> list[tuple[int, ItemResult]]:
    errors = errors_of(exc.body)  # a batch refusal lists one error per refused item
    named = refused_items(errors, {e.sku for e in batch}) if exc.status == 400 else {}
    if named and resend:
        results = []
        for entry in batch:
            if entry.sku in named:
                text = error_text(named[entry.sku], exc.detail)
                results.append((entry.position, entry.result(ItemOutcome.REJECTED, refusal_reason(400, text),
                                                              text[:200])))
        rest = [e for e in batch if e.sku not in named]
        # UNCONFIRMED whether a refused batch applied the other items: sending them again is safe (set-to).
        return results + (await _write_batch(rest, send, resend=False) if rest else [])
    text = error_text(errors[0] if errors else None, exc.detail)
    reason = refusal_reason(exc.status, text)
    return [(e.position, e.result(ItemOutcome.REJECTED, reason, text[:200] or None)) for e in batch]
