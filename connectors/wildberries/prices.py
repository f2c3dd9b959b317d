"""Wildberries prices and discounts (discounts-prices-api), keyed by nmID.

- read:  GET /api/v2/list/goods/filter (limit <= 1,000, offset; `iter_prices`).
- write: POST /api/v2/upload/task (<= 1,000 goods {nmID, price, discount}) -> task id; GET /api/v2/history/tasks
         (+ /api/v2/buffer/tasks) for its state and /api/v2/history/goods/task for per-good errors (price
         quarantine...). A Base token has 4 requests per hour for the whole prices category, so its uploads
         queue in the pacer and its tasks are not polled (results are QUEUED; `price_task_results(task_id)`
         checks later). WB has no currency field: it prices in the seller's currency (PriceUpdate.currency is
         not sent).

ItemResult reasons: `invalid_sku` (not an nmID), `invalid_price`, `superseded`, `price_quarantine` (the new price
is at least 3 times lower: WB keeps selling at the old one), `price_locked_sale` (the item is in a sale for high
inventory), `unknown_item`, `unknown_item_or_unchanged` (WB's own ambiguous "all item Nos. are specified
incorrectly, or ... already set"), `unchanged` (ACCEPTED: the same price is already set), `task_cancelled`,
`bad_request`, `rejected`; QUEUED items carry `detail="wb task <id>[ (…)]"`; `unavailable` / `rate_limited` when
a batch still failed after every retry (the caller retries later).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from connectors.base import (
    AuthError,
    ConnectorError,
    ItemOutcome,
    ItemResult,
    PermissionDenied,
    PriceUpdate,
)
from connectors.wildberries.errors import TRANSIENT, rejected
from connectors.wildberries.limits import (
    WB_MAX_DISCOUNT,
    WB_PRICE_BATCH,
    WB_PRICE_PAGE,
    WB_PRICE_TASK_POLL_INTERVAL,
    WB_PRICE_TASK_POLLS,
    chunks,
    wb_prices_cheap,
)
from connectors.wildberries.models import (
    WB_FINAL_TASK_STATES,
    WB_GOOD_FAILED,
    WB_TASK_CANCELLED,
    WB_TASK_DONE,
    WB_TASK_PARTLY_FAILED,
    WbGoodResult,
    WbGoodResultsReply,
    WbGoods,
    WbGoodsReply,
    WbTaskCreated,
    WbTaskState,
    WbTaskStateReply,
    currency_of_text,
    int_id,
)

if TYPE_CHECKING:  # annotations only: the client imports this module
    from connectors.wildberries.client import WildberriesClient

_Verdict = tuple[ItemOutcome, str | None, str | None]  # outcome, reason, detail
_ACCEPTED: _Verdict = (ItemOutcome.ACCEPTED, None, None)


def wb_price_reason(text: str | None) -> str:
    """A reason code for a WB price refusal text (upload/task 400 errorText, history/goods/task errorText)."""
    lowered = (text or "").lower()
    rules = (
        ("specified incorrectly", "unknown_item_or_unchanged"),  # "All item Nos. are specified incorrectly, or ..."
        ("quarantine", "price_quarantine"),
        ("several times lower", "price_quarantine"),
        ("sale due to high inventory", "price_locked_sale"),
        ("already set", "unchanged"),
        ("item no", "unknown_item"),
    )
    return next((reason for needle, reason in rules if needle in lowered), "rejected")


def price_from_goods(goods: WbGoods) -> PriceUpdate | None:
    """A list/goods/filter row as the normalized price: what the buyer pays, and the crossed-out price."""
    if not goods.sizes or goods.sizes[0].discountedPrice is None:
        return None
    size = goods.sizes[0]
    crossed = size.price if goods.discount else None
    return PriceUpdate(sku=str(goods.nmID), price=size.discountedPrice, old_price=crossed,
                       currency=currency_of_text(goods.currencyIsoCode4217))


def wb_price_and_discount(price: Decimal, old_price: Decimal | None) -> tuple[int, int]:
    """Our (selling price, crossed-out price) as WB's (price, discount %): WB sells at price x (1 - discount/100).

    Without a higher crossed-out price the discount is 0. With one, WB's price is the crossed-out price and the
    discount is rounded down, so the buyer never pays less than asked (whole roubles, whole percents).
    """
    if old_price is None or old_price <= price:
        return int(price.to_integral_value(ROUND_CEILING)), 0
    discount = int(((1 - price / old_price) * 100).to_integral_value(ROUND_FLOOR))
    return int(old_price.to_integral_value(ROUND_CEILING)), max(0, min(discount, WB_MAX_DISCOUNT))


async def iter_prices(client: WildberriesClient) -> AsyncIterator[PriceUpdate]:
    """Every nmID's price (`price` = what the buyer pays, `old_price` = WB's price before the discount)."""
    pages = client.pages_by_offset("/api/v2/list/goods/filter", WbGoodsReply, lambda reply: reply.goods,
                                   limit=WB_PRICE_PAGE)
    async for goods in pages:
        for row in goods:
            price = price_from_goods(row)
            if price is not None:
                yield price


def _price_problem(update: PriceUpdate, nm_id: int | None) -> str | None:
    if nm_id is None:
        return "invalid_sku"
    try:
        if not update.price.is_finite() or update.price <= 0:
            return "invalid_price"
        if update.old_price is not None and (not update.old_price.is_finite() or update.old_price <= 0):
            return "invalid_price"
    except (AttributeError, InvalidOperation):
        return "invalid_price"
    return None


async def update_prices(client: WildberriesClient, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
    """Upload tasks of <= 1,000 goods (`sku` = nmID), then each task's per-good result (see the module
    docstring for Base tokens: paced to 4 per hour and answered QUEUED)."""
    results: list[ItemResult | None] = [None] * len(updates)
    goods: dict[int, tuple[int, dict]] = {}  # nmID -> (position of the update that wins, WB good)
    for position, update in enumerate(updates):
        nm_id = int_id(update.sku)
        problem = _price_problem(update, nm_id)
        if problem:
            results[position] = rejected(update.sku, problem)
            continue
        if nm_id in goods:
            earlier = goods[nm_id][0]
            results[earlier] = rejected(updates[earlier].sku, "superseded", "a later update in the same call")
        price, discount = wb_price_and_discount(update.price, update.old_price)
        goods[nm_id] = (position, {"nmID": nm_id, "price": price, "discount": discount})
    for chunk in chunks(list(goods.values()), WB_PRICE_BATCH):
        verdicts = await _price_task(client, [good for _, good in chunk])
        for position, good in chunk:
            results[position] = ItemResult(updates[position].sku, *verdicts[good["nmID"]])
    return [r for r in results if r is not None]


def _good_verdict(good: WbGoodResult | None, default: _Verdict) -> _Verdict:
    """One good of a processed price task (history/goods/task): status 3 or an error text is a refusal."""
    if good is None:
        return default
    if good.status == WB_GOOD_FAILED or good.errorText:
        reason = wb_price_reason(good.errorText)
        outcome = ItemOutcome.ACCEPTED if reason == "unchanged" else ItemOutcome.REJECTED
        return outcome, reason, good.errorText
    return _ACCEPTED


def _upload_refusal(status: int | None, text: str | None) -> _Verdict:
    """upload/task refused the whole batch: "already set" is success, the rest a refusal."""
    reason = wb_price_reason(text)
    if reason == "rejected" and status == 400:
        reason = "bad_request"
    outcome = ItemOutcome.ACCEPTED if reason == "unchanged" else ItemOutcome.REJECTED
    return outcome, reason, text


async def _price_task(client: WildberriesClient, goods: list[dict]) -> dict[int, _Verdict]:
    """Upload one task and wait for its result where the token's limits allow."""
    nm_ids = [good["nmID"] for good in goods]
    try:
        # Safe to repeat: WB answers an identical pending upload with 208 and the same task id.
        created = await client.read("POST", "discounts-prices", "/api/v2/upload/task", WbTaskCreated,
                                    group="prices", body={"data": goods})
    except (AuthError, PermissionDenied):
        raise
    except TRANSIENT as exc:
        return {nm: (ItemOutcome.REJECTED, str(exc.cause), exc.detail) for nm in nm_ids}
    except ConnectorError as exc:
        return dict.fromkeys(nm_ids, _upload_refusal(exc.status, exc.detail))
    if created.data is None:  # a 2xx that still says error: true
        return dict.fromkeys(nm_ids, _upload_refusal(400, created.errorText))
    task_id = created.data.id
    if not wb_prices_cheap(client.token_info.type):
        return dict.fromkeys(nm_ids, (ItemOutcome.QUEUED, None, f"wb task {task_id}"))
    return await _await_task(client, task_id, nm_ids)


async def _await_task(client: WildberriesClient, task_id: int, nm_ids: list[int]) -> dict[int, _Verdict]:
    for poll in range(WB_PRICE_TASK_POLLS):
        state = await _task_state(client, task_id)
        if state is not None and state.status in WB_FINAL_TASK_STATES:
            return await _task_verdicts(client, task_id, state.status, nm_ids)
        if poll + 1 < WB_PRICE_TASK_POLLS:
            await client.clock.sleep(WB_PRICE_TASK_POLL_INTERVAL)
    where = "waiting in WB's buffer" if await _task_buffered(client, task_id) else "processing"
    return dict.fromkeys(nm_ids, (ItemOutcome.QUEUED, None, f"wb task {task_id} ({where})"))


async def _task_state(client: WildberriesClient, task_id: int) -> WbTaskState | None:
    reply = await client.read("GET", "discounts-prices", "/api/v2/history/tasks", WbTaskStateReply,
                              group="prices", params={"uploadID": task_id})
    return reply.data


async def _task_buffered(client: WildberriesClient, task_id: int) -> bool:
    reply = await client.read("GET", "discounts-prices", "/api/v2/buffer/tasks", WbTaskStateReply,
                              group="prices", params={"uploadID": task_id})
    return reply.data is not None and reply.data.uploadID is not None


async def _task_goods(client: WildberriesClient, task_id: int) -> dict[int, WbGoodResult]:
    goods: dict[int, WbGoodResult] = {}
    pages = client.pages_by_offset("/api/v2/history/goods/task", WbGoodResultsReply, lambda reply: reply.goods,
                                   limit=WB_PRICE_PAGE, params={"uploadID": task_id})
    async for page in pages:
        goods.update((good.nmID, good) for good in page)
    return goods


async def _task_verdicts(client: WildberriesClient, task_id: int, status: int,
                         nm_ids: Iterable[int]) -> dict[int, _Verdict]:
    if status == WB_TASK_DONE:
        return dict.fromkeys(nm_ids, _ACCEPTED)
    if status == WB_TASK_CANCELLED:
        return dict.fromkeys(nm_ids, (ItemOutcome.REJECTED, "task_cancelled", f"wb task {task_id} was cancelled"))
    details = await _task_goods(client, task_id)
    # 5: "goods without errors were updated"; 6: every good has an error.
    default = _ACCEPTED if status == WB_TASK_PARTLY_FAILED else (ItemOutcome.REJECTED, "rejected", None)
    return {nm: _good_verdict(details.get(nm), default) for nm in nm_ids}


async def price_task_results(client: WildberriesClient, task_id: int | str) -> list[ItemResult]:
    """Per-good results of an earlier upload (e.g. a Base token's QUEUED items); [] while WB still works on it."""
    state = await _task_state(client, int(task_id))
    if state is None or state.status not in WB_FINAL_TASK_STATES:
        return []
    details = await _task_goods(client, int(task_id))
    verdicts = await _task_verdicts(client, int(task_id), state.status, details)
    return [ItemResult(str(nm), *verdict) for nm, verdict in verdicts.items()]
