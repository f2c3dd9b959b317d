"""Wildberries stock at the seller's own warehouses (FBS), keyed by chrtId (one per size).

- read:  POST marketplace /api/v3/stocks/{warehouseId} `{chrtIds}` (the account's warehouse, else every one).
- write: PUT marketplace /api/v3/stocks/{warehouseId}, items `{chrtId, amount}`, <= 1,000 per request and
         warehouse, answered 204. The old `sku` field was switched off: WB answers 204 and changes nothing, so
         only `chrtId` is ever sent. A 409 names the offending items: they are rejected, the rest resent.

ItemResult reasons: `invalid_sku` (not a chrtId), `invalid_quantity` (not 0..100,000), `no_warehouse`,
`superseded` (the same item later in the same call wins), `unknown_item` (WB NotFound), `amount_too_large`
(UploadDataLimit), `cargo_warehouse_mismatch` (CargoWarehouseRestriction*), `scheme_not_allowed`
(ProductPropertyConflict, DeliveryTypeRestriction), `warehouse_busy` (StoreIsProcessing), `unknown_warehouse`
(404), `stock_blocked` (406), `bad_request` (400), `rejected` (any other WB refusal); `unavailable` /
`rate_limited` when a batch still failed after every retry (the caller retries later).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from connectors.base import (
    AuthError,
    ConnectorError,
    ItemOutcome,
    ItemResult,
    PermissionDenied,
    StockLevel,
    StockUpdate,
)
from connectors.wildberries.errors import TRANSIENT, failed_batch, rejected
from connectors.wildberries.limits import (
    WB_MAX_AMOUNT,
    WB_STOCK_BATCH,
    WB_STOCK_PUSH_ROUNDS,
    WB_STOCK_READ_BATCH,
    chunks,
)
from connectors.wildberries.models import WbStockError, WbStocks, int_id

if TYPE_CHECKING:  # annotations only: the client imports this module
    from connectors.wildberries.client import WildberriesClient

# Stock 409 codes -> reasons (02-products.yaml examples of PUT /api/v3/stocks/{warehouseId}).
WB_STOCK_REASONS = {
    "NotFound": "unknown_item",
    "UploadDataLimit": "amount_too_large",
    "CargoWarehouseRestrictionMGT": "cargo_warehouse_mismatch",
    "CargoWarehouseRestrictionSGT": "cargo_warehouse_mismatch",
    "CargoWarehouseRestrictionSGTKGTPlus": "cargo_warehouse_mismatch",
    "CargoWarehouseRestrictionKGTPlus": "cargo_warehouse_mismatch",
    "ProductPropertyConflict": "scheme_not_allowed",
    "DeliveryTypeRestriction": "scheme_not_allowed",
    "StoreIsProcessing": "warehouse_busy",
}
WB_STOCK_STATUS_REASONS = {400: "bad_request", 404: "unknown_warehouse", 406: "stock_blocked"}
# UNCONFIRMED: whether WB applies the other items of a batch answered 409. We assume it applies none and send
# them again without the rejected ones (amounts are absolute, so a repeat is harmless either way).
WB_STOCK_409_APPLIES_NOTHING = True


def stock_rejections(body: Any, status: int | None, detail: str | None
                     ) -> tuple[dict[int, tuple[str, str | None]], tuple[str, str | None]]:
    """A refused stock PUT -> (rejections by chrtId where WB names the items, the reason for everything else).

    409 bodies are lists of {code, message, data: [{chrtId, sku, amount}]}; other statuses one {code, message}.
    An error whose items carry only a barcode (`sku`) cannot be matched to a chrtId and covers the batch.
    """
    errors = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
    fallback = WB_STOCK_STATUS_REASONS.get(status or 0, "rejected")
    per_item: dict[int, tuple[str, str | None]] = {}
    batch = (fallback, detail)
    for raw in errors:
        try:
            error = WbStockError.model_validate(raw)
        except ValueError:
            continue
        reason = WB_STOCK_REASONS.get(error.code or "", fallback) if status == 409 else fallback
        text = error.message or error.code or detail
        ids = [item.chrtId for item in error.data or [] if item.chrtId is not None]
        if ids:
            per_item.update((chrt, (reason, text)) for chrt in ids)
        else:
            batch = (reason, text)
    return per_item, batch


def _stock_problem(update: StockUpdate, warehouse: str | None) -> str | None:
    if warehouse is None:
        return "no_warehouse"
    if int_id(update.sku) is None:
        return "invalid_sku"
    if not 0 <= update.quantity <= WB_MAX_AMOUNT:
        return "invalid_quantity"
    return None


async def _stock_warehouses(client: WildberriesClient) -> list[str]:
    if client.account.warehouse_id:
        return [client.account.warehouse_id]
    return [choice.id for choice in await client.list_warehouses()]


async def read_stock(client: WildberriesClient, skus: Sequence[str]) -> list[StockLevel]:
    """Stock of these chrtIds at the account's warehouse (every seller warehouse when none is set)."""
    chrt_ids = [chrt for chrt in (int_id(s) for s in skus) if chrt is not None]
    levels: list[StockLevel] = []
    for warehouse in await _stock_warehouses(client) if chrt_ids else []:
        for chunk in chunks(chrt_ids, WB_STOCK_READ_BATCH):
            reply = await client.read("POST", "marketplace", f"/api/v3/stocks/{warehouse}", WbStocks,
                                      group="marketplace", body={"chrtIds": list(chunk)})
            levels += [StockLevel(sku=str(s.chrtId), quantity=s.amount, warehouse_id=warehouse)
                       for s in reply.stocks]
    return levels


async def update_stock(client: WildberriesClient, updates: Sequence[StockUpdate]) -> list[ItemResult]:
    """Set absolute stock by chrtId: <= 1,000 items per request and warehouse (the update's warehouse, else
    the AccountContext's). One result per update, in order."""
    results: list[ItemResult | None] = [None] * len(updates)
    batches: dict[str, dict[int, int]] = {}  # warehouse -> chrtId -> position of the update that wins
    for position, update in enumerate(updates):
        warehouse = update.warehouse_id or client.account.warehouse_id
        problem = _stock_problem(update, warehouse)
        if problem:
            results[position] = rejected(update.sku, problem, warehouse_id=warehouse)
            continue
        items = batches.setdefault(str(warehouse), {})
        chrt = int_id(update.sku)
        if chrt in items:
            earlier = items[chrt]
            results[earlier] = rejected(updates[earlier].sku, "superseded", "a later update in the same call",
                                        warehouse)
        items[chrt] = position
    for warehouse, items in batches.items():
        positions = list(items.values())
        for chunk in chunks(positions, WB_STOCK_BATCH):
            pushed = await _push_stock(client, warehouse, [updates[p] for p in chunk])
            for position, result in zip(chunk, pushed):
                results[position] = result
    return [r for r in results if r is not None]


async def _push_stock(client: WildberriesClient, warehouse: str, batch: Sequence[StockUpdate],
                      rounds: int = WB_STOCK_PUSH_ROUNDS) -> list[ItemResult]:
    """One PUT; a refusal that names items rejects those and sends the rest again (at most `rounds` times)."""
    body = {"stocks": [{"chrtId": int_id(u.sku), "amount": u.quantity} for u in batch]}
    try:
        await client.write("PUT", f"/api/v3/stocks/{warehouse}", body=body)
    except (AuthError, PermissionDenied):
        raise
    except TRANSIENT as exc:
        return failed_batch((u.sku for u in batch), exc, warehouse)
    except ConnectorError as exc:
        per_item, (reason, detail) = stock_rejections(exc.body, exc.status, exc.detail)
        rest = [u for u in batch if int_id(u.sku) not in per_item]
        if not per_item or not rest or rounds <= 1:
            return [rejected(u.sku, *per_item.get(int_id(u.sku), (reason, detail)), warehouse) for u in batch]
        if WB_STOCK_409_APPLIES_NOTHING:
            resent = await _push_stock(client, warehouse, rest, rounds - 1)
        else:
            resent = [ItemResult(u.sku, ItemOutcome.ACCEPTED, warehouse_id=warehouse) for u in rest]
        by_chrt = {int_id(result.sku): result for result in resent}
        return [by_chrt.get(int_id(u.sku)) or rejected(u.sku, *per_item[int_id(u.sku)], warehouse)
                for u in batch]
    return [ItemResult(u.sku, ItemOutcome.ACCEPTED, warehouse_id=warehouse) for u in batch]
