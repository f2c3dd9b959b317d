"""Wildberries FBS orders: reads, the durable `orders_since` cursor, the seller's actions and supplies.

- reads:   GET marketplace /api/v3/orders/new; GET /api/v3/orders (limit <= 1,000, `next`, dateFrom <= 30 days
           back) + POST /api/v3/orders/status (<= 1,000 ids) for the durable `orders_since` cursor. WB has no
           single-order read: `get_order` looks in the client's memory, the new orders, then the last 30 days.
- actions: supplies: POST /api/v3/supplies, GET /api/v3/supplies (limit/next), GET /api/v3/supplies/{id},
           PATCH /api/marketplace/v3/supplies/{id}/orders (<= 100, moves orders to `confirm`),
           PATCH /api/v3/supplies/{id}/deliver; PATCH /api/v3/orders/{id}/cancel (own limit, 100/min).

Orders are FBS assembly tasks: one unit each, with two statuses (POST /api/v3/orders/status): `supplierStatus`
(moved by the seller's actions; Order.status) and `wbStatus` (WB's side; Order.extra["wb_status"]). What they
mean for the seller is `wb_order_state` (the table below). `orders_since` keeps a durable cursor
(WbOrdersCursor) of the scan start, the ids inside the rescanned overlap and the open orders' last statuses.

ItemResult reasons (confirm_orders): `invalid_order` (not an order id), `not_confirmed` (WB refused to add it to a
supply), `unavailable` / `rate_limited` when a batch still failed after every retry (the caller retries later).
"""
from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from connectors.base import (
    AuthError,
    BadResponse,
    CancelReason,
    ConnectorError,
    ItemOutcome,
    ItemResult,
    Marketplace,
    MarketplaceUnavailable,
    Order,
    OrderAction,
    OrderItem,
    OrderPage,
    OrderState,
    PermissionDenied,
    RateLimited,
    Scheme,
    Supply,
)
from connectors.wildberries.errors import TRANSIENT, WbOrderNotFound, rejected
from connectors.wildberries.limits import (
    WB_ORDER_CACHE_SIZE,
    WB_ORDER_TRACK_SECONDS,
    WB_ORDERS_FIRST_LOOKBACK,
    WB_ORDERS_MAX_SPAN,
    WB_ORDERS_OVERLAP,
    WB_ORDERS_PAGE,
    WB_ORDERS_SPAN_MARGIN,
    WB_STATUS_BATCH,
    WB_SUPPLIES_PAGE,
    WB_SUPPLY_BATCH,
    WB_SUPPLY_NAME_MAX,
    chunks,
)
from connectors.wildberries.models import (
    MOSCOW,
    WB_CURRENCIES,
    WbSuppliesPage,
    WbSupply,
    WbSupplyCreated,
    WbTask,
    WbTasksPage,
    WbTaskStatus,
    WbTaskStatuses,
    currency_of_code,
    dotted_day,
    int_id,
    money,
    unix,
)

if TYPE_CHECKING:  # annotations only: the client imports this module
    from connectors.wildberries.client import WildberriesClient

# ------------------------------------------------------------------------------ status -> state, actions
# Where an order is and what the seller may do now, by its two statuses (ru-yaml 03-orders-fbs.yaml and the
# 2026-08 en docs of POST /api/v3/orders/status). Compared in lower case; the first rule that matches wins:
#
#   1. cancelled: supplierStatus `cancel` (by the seller) / `cancel_carrier` (by the carrier, crossborder), or
#      wbStatus `canceled` (by the seller), `canceled_by_client` (refused at pick-up), `declined_by_client` (the
#      buyer's first hour), `defect` (cancelled for a defect), `canceled_by_carrier`       -> CANCELLED, none
#   2. wbStatus `sold` (the buyer got it)                                                     -> DONE, none
#   3. by supplierStatus (wbStatus `waiting`, `sorted`, `ready_for_pickup`, `postponed_delivery`,
#      `accepted_by_carrier`, `sent_to_carrier` or none change nothing):
#        `new`       new assembly task                 -> NEW     confirm, ship, cancel
#        `confirm`   on assembly, in an open supply    -> ACTIVE  ship, cancel
#        `complete`  in delivery (supply handed over)  -> ACTIVE  none
#        anything else (not in the specs)              -> ACTIVE  none
#
# Actions: confirm = add it to the open supply (`confirm_order`); ship = hand its supply to delivery, confirming it
# first while new (`ship_order`; WB ships whole supplies); cancel = PATCH …/cancel, which WB allows "before it is
# handed over to Wildberries", i.e. while new or on assembly, and not where the status row says
# `isCancellable: false` (UNCONFIRMED field, see models.WbTaskStatus).
_NONE: frozenset[OrderAction] = frozenset()
WB_CANCELLED_SUPPLIER_STATUSES = frozenset({"cancel", "cancel_carrier"})
WB_CANCELLED_WB_STATUSES = frozenset({"canceled", "canceled_by_client", "declined_by_client", "defect",
                                      "canceled_by_carrier"})
# Not in WB's 2026 specs: words the services' older rules also took as a cancellation (kept so none slips).
WB_CANCELLED_OTHER_WORDS = frozenset({"cancelled", "reject", "rejected"})
WB_DONE_WB_STATUSES = frozenset({"sold"})
WB_OPEN_WB_STATUSES = frozenset({"waiting", "sorted", "ready_for_pickup", "postponed_delivery", "accepted_by_carrier",
                                 "sent_to_carrier"})
WB_SUPPLIER_STATES: dict[str, tuple[OrderState, frozenset[OrderAction]]] = {
    "new": (OrderState.NEW, frozenset({OrderAction.CONFIRM, OrderAction.SHIP, OrderAction.CANCEL})),
    "confirm": (OrderState.ACTIVE, frozenset({OrderAction.SHIP, OrderAction.CANCEL})),
    "complete": (OrderState.ACTIVE, _NONE),
}
WB_UNKNOWN_STATE: tuple[OrderState, frozenset[OrderAction]] = (OrderState.ACTIVE, _NONE)


def wb_order_state(supplier_status: str | None, wb_status: str | None,
                   cancellable: object = None) -> tuple[OrderState, frozenset[OrderAction]]:
    """The state and the seller's actions of an order with these statuses (the table above)."""
    supplier, wb = (supplier_status or "").lower(), (wb_status or "").lower()
    if (supplier in WB_CANCELLED_SUPPLIER_STATUSES or wb in WB_CANCELLED_WB_STATUSES
            or {supplier, wb} & WB_CANCELLED_OTHER_WORDS):
        return OrderState.CANCELLED, _NONE
    if wb in WB_DONE_WB_STATUSES:
        return OrderState.DONE, _NONE
    state, actions = WB_SUPPLIER_STATES.get(supplier, WB_UNKNOWN_STATE)
    if cancellable is False:
        actions = actions - {OrderAction.CANCEL}
    return state, actions


def is_final(status: WbTaskStatus) -> bool:
    """Nothing changes any more after this status (the cursor stops tracking the order)."""
    state, _ = wb_order_state(status.supplierStatus, status.wbStatus)
    return state in (OrderState.CANCELLED, OrderState.DONE)


def wb_cancel_reason(reason: CancelReason | str | None) -> None:
    """What WB gets as the seller's reason for a cancellation: nothing. PATCH /api/v3/orders/{orderId}/cancel has
    no body and no parameter for one, so every CancelReason (and none) cancels the same way."""
    if reason is None or isinstance(reason, CancelReason):
        return None
    if isinstance(reason, str):
        # compat: services pass the old reason string until issue 10 step 3
        return None
    raise TypeError(f"wildberries: a cancel reason is a CancelReason, not {type(reason).__name__}")


# ------------------------------------------------------------------------------------------ orders
def order_from_task(task: WbTask, status: WbTaskStatus | None, default_status: str = "new") -> Order:
    """One assembly task as an Order of one unit. Prices come in kopecks: the seller's currency is preferred."""
    if task.convertedPrice is not None:
        kopecks, code = task.convertedPrice, task.convertedCurrencyCode
    else:
        kopecks, code = task.price, task.currencyCode
    unit_price = money(kopecks)
    supplier_status = status.supplierStatus if status and status.supplierStatus else default_status
    wb_status = status.wbStatus if status else None
    state, actions = wb_order_state(supplier_status, wb_status, status.isCancellable if status else None)
    item = OrderItem(sku=task.article, name=None, quantity=1, price=unit_price,
                     external_id=str(task.nmId) if task.nmId is not None else None)
    extra = {
        "wb_status": wb_status,
        "supply_id": task.supplyId,
        "chrt_id": task.chrtId,
        "barcodes": list(task.skus or []),
        "rid": task.rid,
        "order_uid": task.orderUid,
        "cargo_type": task.cargoType,
    }
    if code is not None and code not in WB_CURRENCIES:
        extra["currency_code"] = code  # a code we do not know: the currency says WB's default, this what WB said
    return Order(
        marketplace=Marketplace.WILDBERRIES,
        external_id=str(task.id),
        status=supplier_status,
        created_at=unix(task.createdAt) or 0,
        items=(item,),
        state=state,
        actions=actions,
        scheme=Scheme.FBS,
        ship_by=dotted_day(task.sellerDate),  # WB gives a date only for oversized (cargoType 2) orders
        total=unit_price,
        currency=currency_of_code(code),
        shop_id=str(task.warehouseId) if task.warehouseId is not None else None,
        extra=extra,
    )


def supply_from_wb(supply: WbSupply) -> Supply:
    closed = bool(supply.done)
    return Supply(external_id=supply.id, name=supply.name, status="closed" if closed else "open",
                  created_at=unix(supply.createdAt), closed=closed)


@dataclass
class OrderMemory:
    """What one client remembers between calls: recently seen tasks, oldest first (get_order and the actions need
    them: WB has no single-order read), and the open supply confirm_order adds to."""

    tasks: dict[int, WbTask] = field(default_factory=dict)
    supply_id: str | None = None

    def remember(self, tasks: Iterable[WbTask]) -> None:
        for task in tasks:
            self.tasks.pop(task.id, None)
            self.tasks[task.id] = task
        while len(self.tasks) > WB_ORDER_CACHE_SIZE:
            self.tasks.pop(next(iter(self.tasks)))


# ----------------------------------------------------------------------------------- orders cursor
@dataclass
class WbOrdersCursor:
    """What `orders_since` remembers between polls (the opaque cursor string, see `encode`).

    - since: the dateFrom of the next scan: the newest createdAt seen minus WB_ORDERS_OVERLAP;
    - seen:  ids created at or after `since` that were already reported (so the overlap repeats nothing);
    - open:  orders not yet in a final state: id -> (status key "supplierStatus/wbStatus", createdAt), so a
             status change is reported once and then not again.
    """

    since: int
    seen: set[int] = field(default_factory=set)
    open: dict[int, tuple[str, int]] = field(default_factory=dict)

    PREFIX = "wb1."

    def encode(self) -> str:
        payload = {"s": self.since, "seen": sorted(self.seen),
                   "open": [[oid, key, created] for oid, (key, created) in sorted(self.open.items())]}
        raw = zlib.compress(json.dumps(payload, separators=(",", ":")).encode())
        return self.PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> WbOrdersCursor:
        """Raises ValueError for a string this client did not make."""
        if not text.startswith(cls.PREFIX):
            raise ValueError("not a Wildberries orders cursor")
        body = text[len(cls.PREFIX):]
        try:
            payload = json.loads(zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))
            return cls(since=int(payload["s"]), seen={int(i) for i in payload["seen"]},
                       open={int(oid): (str(key), int(created)) for oid, key, created in payload["open"]})
        except (binascii.Error, zlib.error, ValueError, KeyError, TypeError) as exc:
            raise ValueError("corrupted Wildberries orders cursor") from exc


def _advance(state: WbOrdersCursor, scanned: list[WbTask], fresh: list[WbTask],
             statuses: dict[int, WbTaskStatus], now: int) -> WbOrdersCursor:
    """The cursor after a poll: the scan start moves up to the newest order minus the overlap, the ids inside
    the overlap are remembered, and open orders keep their latest status until they are final or too old."""
    created = {task.id: unix(task.createdAt) or now for task in scanned}
    since = max([state.since, *(c - WB_ORDERS_OVERLAP for c in created.values())])
    open_orders = dict(state.open)
    open_orders.update((task.id, ("", created[task.id])) for task in fresh)
    for oid, (key, born) in list(open_orders.items()):
        status = statuses.get(oid)
        if (status is not None and is_final(status)) or born < now - WB_ORDER_TRACK_SECONDS:
            del open_orders[oid]
        elif status is not None:
            open_orders[oid] = (status.key, born)
    seen = {oid for oid, born in created.items() if born >= since}
    return WbOrdersCursor(since=since, seen=seen, open=open_orders)


def _stub_task(order_id: int, created: int) -> WbTask:
    return WbTask(id=order_id, createdAt=datetime.fromtimestamp(created, timezone.utc).isoformat())


def _oldest_date_from(now: int) -> int:
    return now - WB_ORDERS_MAX_SPAN + WB_ORDERS_SPAN_MARGIN


def _order_id(text: str) -> int:
    oid = int_id(text)
    if oid is None:
        raise WbOrderNotFound(f"wildberries: {text!r} is not an order id", status=404, detail="order not found")
    return oid


async def new_orders(client: WildberriesClient) -> list[Order]:
    """Every FBS assembly task now waiting for the seller (one Order per unit: WB's model)."""
    page = await client.read("GET", "marketplace", "/api/v3/orders/new", WbTasksPage, group="marketplace")
    client.memory.remember(page.orders)
    return [order_from_task(task, None) for task in page.orders]


async def _scan_tasks(client: WildberriesClient, date_from: int) -> list[WbTask]:
    """Every task created since `date_from` (unix, <= 30 days back). No dateTo: WB's own "now" ends the
    period, so an order created a moment ago is never cut off by our clock lagging theirs."""
    tasks: list[WbTask] = []
    pages = client.pages_by_next("/api/v3/orders", WbTasksPage, lambda page: page.orders, limit=WB_ORDERS_PAGE,
                                 params={"dateFrom": date_from})
    async for page in pages:
        tasks += page
    client.memory.remember(tasks)
    return tasks


async def _statuses(client: WildberriesClient, order_ids: Iterable[int]) -> dict[int, WbTaskStatus]:
    found: dict[int, WbTaskStatus] = {}
    for chunk in chunks(sorted(set(order_ids)), WB_STATUS_BATCH):
        reply = await client.read("POST", "marketplace", "/api/v3/orders/status", WbTaskStatuses,
                                  group="marketplace", body={"orders": list(chunk)})
        found.update((status.id, status) for status in reply.orders)
    return found


async def orders_since(client: WildberriesClient, cursor: str | None) -> OrderPage:
    """Orders new since the cursor, plus known orders whose status changed; and the cursor to store.

    The cursor (WbOrdersCursor, opaque text) is only advanced in the returned page, so a restart before it
    is stored repeats the last poll instead of losing it, and nothing is reported twice after it is stored.
    Raises ValueError for a cursor this client did not make."""
    now = int(client.clock.now())
    state = WbOrdersCursor.decode(cursor) if cursor else WbOrdersCursor(since=now - WB_ORDERS_FIRST_LOOKBACK)
    scanned = await _scan_tasks(client, max(state.since, _oldest_date_from(now)))
    known = state.seen | state.open.keys()
    fresh = [task for task in scanned if task.id not in known]
    statuses = await _statuses(client, [*state.open, *(task.id for task in fresh)])
    changed = [oid for oid, (key, _) in state.open.items() if oid in statuses and statuses[oid].key != key]
    details = await _details(client, changed, scanned, state, now)
    orders = [order_from_task(task, statuses.get(task.id)) for task in fresh]
    orders += [order_from_task(details[oid], statuses[oid]) for oid in changed]
    return OrderPage(orders=orders, cursor=_advance(state, scanned, fresh, statuses, now).encode())


async def _details(client: WildberriesClient, order_ids: list[int], scanned: list[WbTask], state: WbOrdersCursor,
                   now: int) -> dict[int, WbTask]:
    """Full tasks for orders whose status changed: from this scan, the memory, else a scan back to them."""
    details = {task.id: task for task in scanned}
    known = client.memory.tasks
    missing = [oid for oid in order_ids if oid not in details and oid not in known]
    if missing:
        earliest = min(state.open[oid][1] for oid in missing)
        details.update((t.id, t) for t in await _scan_tasks(client, max(earliest - 1, _oldest_date_from(now))))
    # Older than WB lists: report the change with what the cursor knows (no item details).
    return {oid: details.get(oid) or known.get(oid) or _stub_task(oid, state.open[oid][1]) for oid in order_ids}


async def _find_task(client: WildberriesClient, order_id: int, *, fresh: bool = False) -> WbTask:
    """The task from the memory, else the new orders, else the last 30 days (WB has no single-order read)."""
    if not fresh and order_id in client.memory.tasks:
        return client.memory.tasks[order_id]
    page = await client.read("GET", "marketplace", "/api/v3/orders/new", WbTasksPage, group="marketplace")
    client.memory.remember(page.orders)
    found = {task.id: task for task in page.orders}
    if order_id not in found:
        scanned = await _scan_tasks(client, _oldest_date_from(int(client.clock.now())))
        found.update((task.id, task) for task in scanned)
    if order_id not in found:
        raise WbOrderNotFound(f"wildberries: no order {order_id}", status=404, detail="order not found")
    return found[order_id]


async def get_order(client: WildberriesClient, order_id: str) -> Order:
    oid = _order_id(order_id)
    task = await _find_task(client, oid)
    return order_from_task(task, (await _statuses(client, [oid])).get(oid))


# ------------------------------------------------------------------------------------------ supplies
# Supplies made by confirm_order.
WB_SUPPLY_NAME = "SellerCloudX {day}"


def _today(client: WildberriesClient) -> str:
    return datetime.fromtimestamp(client.clock.now(), MOSCOW).date().isoformat()


async def list_supplies(client: WildberriesClient) -> list[Supply]:
    """Every FBS supply of the seller, open and closed."""
    pages = client.pages_by_next("/api/v3/supplies", WbSuppliesPage, lambda page: page.supplies,
                                 limit=WB_SUPPLIES_PAGE)
    return [supply_from_wb(supply) async for page in pages for supply in page]


async def create_supply(client: WildberriesClient, name: str) -> Supply:
    """A new open FBS supply (name: 1..128 characters). Not retried after a timeout: it could exist twice."""
    name = name.strip()[:WB_SUPPLY_NAME_MAX] or WB_SUPPLY_NAME.format(day=_today(client))
    created = await client.read("POST", "marketplace", "/api/v3/supplies", WbSupplyCreated, group="marketplace",
                                body={"name": name}, idempotent=False)
    return Supply(external_id=created.id, name=name, status="open", created_at=int(client.clock.now()))


async def deliver_supply(client: WildberriesClient, supply_id: str) -> None:
    """Close the supply and hand it to delivery: every order in it becomes `complete`."""
    try:
        await client.write("PATCH", f"/api/v3/supplies/{supply_id}/deliver")
    except BadResponse as exc:
        # A repeat after a lost 204 finds it closed already: that is the outcome we wanted.
        if exc.status != 409 or not await _supply_done(client, supply_id):
            raise
    if client.memory.supply_id == supply_id:
        client.memory.supply_id = None


async def _supply_done(client: WildberriesClient, supply_id: str) -> bool:
    supply = await client.read("GET", "marketplace", f"/api/v3/supplies/{supply_id}", WbSupply,
                               group="marketplace")
    return bool(supply.done)


async def _open_supply(client: WildberriesClient) -> str:
    """The supply confirm_order adds to: the one used last if still open, else any open one, else a new one."""
    memory = client.memory
    if memory.supply_id is not None:
        try:
            if not await _supply_done(client, memory.supply_id):
                return memory.supply_id
        except BadResponse as exc:  # deleted in the cabinet
            if exc.status != 404:
                raise
    opened = [s for s in await list_supplies(client) if not s.closed]
    supply = opened[-1] if opened else await create_supply(client, WB_SUPPLY_NAME.format(day=_today(client)))
    memory.supply_id = supply.external_id
    return supply.external_id


async def _add_to_supply(client: WildberriesClient, supply_id: str, order_ids: Sequence[int]) -> None:
    await client.write("PATCH", f"/api/marketplace/v3/supplies/{supply_id}/orders",
                       body={"orders": list(order_ids)})
    tasks = client.memory.tasks
    for oid in order_ids:
        if oid in tasks:
            tasks[oid] = tasks[oid].model_copy(update={"supplyId": supply_id})


# ------------------------------------------------------------------------------------------- actions
_REASON_ERRORS: dict[str | None, type[ConnectorError]] = {"unavailable": MarketplaceUnavailable,
                                                         "rate_limited": RateLimited}


def _raise_for(result: ItemResult) -> None:
    """A single-order action's ItemResult as the exception the caller expects."""
    if result.outcome is ItemOutcome.ACCEPTED:
        return
    cls = _REASON_ERRORS.get(result.reason, BadResponse)
    raise cls(f"wildberries: order {result.sku}: {result.reason}", status=409, detail=result.detail)


async def confirm_orders(client: WildberriesClient, order_ids: Sequence[str]) -> list[ItemResult]:
    """Add orders to the open supply (one is created if none), <= 100 per request: WB moves them to
    `confirm`. One result per id, in order."""
    verdicts: dict[int, ItemResult] = {}
    valid = list(dict.fromkeys(oid for oid in map(int_id, order_ids) if oid is not None))
    for chunk in chunks(valid, WB_SUPPLY_BATCH):
        verdicts.update(await _confirm_chunk(client, chunk))
    return [verdicts.get(int_id(text)) or rejected(text, "invalid_order") for text in order_ids]


async def _confirm_chunk(client: WildberriesClient, chunk: Sequence[int], *,
                         new_supply: bool = False) -> dict[int, ItemResult]:
    """WB's 409 does not say which order it refused: a refused chunk is retried one order at a time, and a
    single refused order that could still be confirmed once more in a fresh supply (a supply takes one
    cargo type only)."""
    try:
        if new_supply:
            supply = await create_supply(client, WB_SUPPLY_NAME.format(day=_today(client)))
            client.memory.supply_id = supply.external_id
        supply_id = client.memory.supply_id if new_supply else await _open_supply(client)
        await _add_to_supply(client, supply_id, chunk)
    except (AuthError, PermissionDenied):
        raise
    except TRANSIENT as exc:
        return {oid: rejected(str(oid), str(exc.cause), exc.detail) for oid in chunk}
    except ConnectorError as exc:
        if len(chunk) > 1:
            return {k: v for oid in chunk for k, v in (await _confirm_chunk(client, [oid])).items()}
        if not new_supply and exc.status == 409 and await _confirmable(client, chunk[0]):
            return await _confirm_chunk(client, chunk, new_supply=True)
        return {chunk[0]: rejected(str(chunk[0]), "not_confirmed", exc.detail)}
    return {oid: ItemResult(str(oid), ItemOutcome.ACCEPTED) for oid in chunk}


async def _confirmable(client: WildberriesClient, order_id: int) -> bool:
    status = (await _statuses(client, [order_id])).get(order_id)
    return status is not None and status.supplierStatus in ("new", "confirm")


async def confirm_order(client: WildberriesClient, order_id: str) -> Order:
    """WB has no "confirm": adding the order to a supply moves it to `confirm` (on assembly)."""
    [result] = await confirm_orders(client, [order_id])
    _raise_for(result)
    return await get_order(client, order_id)


async def cancel_order(client: WildberriesClient, order_id: str, reason: CancelReason | str | None = None) -> Order:
    """PATCH …/cancel. WB takes no reason (`wb_cancel_reason`: nothing is sent)."""
    wb_cancel_reason(reason)
    oid = _order_id(order_id)
    try:
        await client.write("PATCH", f"/api/v3/orders/{oid}/cancel", pace=client.cancel_pace())
    except BadResponse as exc:
        # A repeat after a lost 204 finds it cancelled already: that is the outcome we wanted.
        status = (await _statuses(client, [oid])).get(oid) if exc.status == 409 else None
        if status is None or status.supplierStatus != "cancel":
            raise
    return await get_order(client, order_id)


async def ship_order(client: WildberriesClient, order_id: str) -> Order:
    """Hand the order's supply to delivery (confirming the order first if it is still new). WB ships whole
    supplies: every other order in the same supply is shipped with it."""
    oid = _order_id(order_id)
    status = (await _statuses(client, [oid])).get(oid)
    if status is None:
        raise WbOrderNotFound(f"wildberries: no order {oid}", status=404, detail="order not found")
    if status.supplierStatus == "complete":  # shipped already (e.g. with another order of its supply)
        return await get_order(client, order_id)
    if status.supplierStatus == "new":
        await confirm_order(client, order_id)
    elif status.supplierStatus != "confirm":
        raise ConnectorError(f"wildberries: order {oid} cannot be shipped in status {status.supplierStatus}",
                             status=409, detail=f"order is {status.supplierStatus}")
    task = await _find_task(client, oid)
    if task.supplyId is None:  # confirmed elsewhere (e.g. in the cabinet): ask WB where it went
        task = await _find_task(client, oid, fresh=True)
    if task.supplyId is None:
        raise ConnectorError(f"wildberries: order {oid} is in no supply", status=409, detail="order in no supply")
    await deliver_supply(client, task.supplyId)
    return await get_order(client, order_id)
