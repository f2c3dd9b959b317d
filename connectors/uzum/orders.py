"""Uzum FBS orders and order actions.

What it calls:
- lists:    GET /v2/fbs/orders (shopIds repeated, status, dateFrom / dateTo, page / size <= 50),
            GET /v2/fbs/orders/count (shopIds, status), GET /v1/fbs/order/{id}
- confirm:  POST /v1/fbs/order/{id}/confirm
- cancel:   POST /v1/fbs/order/{id}/cancel {"reason": <a code of GET /v1/fbs/order/return-reasons>}
- ship:     not in the API (FBS orders are handed over at the drop-off point): NotSupported, never offered.
There is no push: new orders are polled (`new_orders`: status CREATED; `orders_since`: the cursor below).

Statuses -> (OrderState, actions): `UZUM_ORDER_STATUSES`, the one table (statuses seen in third-party code,
MARKETPLACES.md §1.2; the sandbox shows CREATED, PACKING, DELIVERING, DELIVERED and CANCELED):

  status            state      actions           why
  CREATED           NEW        confirm, cancel   waiting for the seller to confirm (then pack)
  PACKING           ACTIVE     cancel            confirmed, the seller packs it; still cancellable
  PENDING_DELIVERY  ACTIVE     cancel            packed, not yet taken by Uzum (UNCONFIRMED: cancel allowed)
  DELIVERING        ACTIVE     -                 with Uzum's delivery: too late to cancel
  DELIVERED         DONE       -                 delivered
  COMPLETED         DONE       -
  CANCELED          CANCELLED  -                 (also the spelling CANCELLED) its stock comes back
  RETURNED          DONE       -                 over after delivery: NOT cancelled, a return's goods may not be
                                                 sellable, so its stock does not come back by itself
  anything else     ACTIVE     -                 UZUM_UNKNOWN_STATUS: never offer an action we cannot vouch for
Compared in upper case; `Order.status` keeps Uzum's own text. Nothing offers "ship" (there is no call).

Cancel reasons: `cancel_order(order_id, reason)` takes a CancelReason and picks one of the codes Uzum lists
(GET /v1/fbs/order/return-reasons) by the words of UZUM_CANCEL_REASON_WORDS (UNCONFIRMED: the real codes are
unknown), in the code first, then in the title; no match, or no reason: Uzum's first listed reason (the one
its cabinet offers first). A plain string that is not a CancelReason value is sent as Uzum's code (the old form).

Orders cursor (`orders_since`): Uzum has no "updated since" filter (as far as we know), so every poll re-reads
the orders created in the last UZUM_ORDER_LOOKBACK_DAYS, plus every CREATED order whatever its date, and
compares each order's status with the one the cursor remembers. New orders and changed statuses are
returned; the new cursor remembers the statuses just read (zlib + base64url JSON: opaque, compact). Storing
the cursor only after handling the page gives at-least-once delivery: a crash repeats one poll's changes
once, never forever; a cursor that cannot be read starts over (the window's orders again). Changes to
orders older than the window (other than CREATED ones) are not seen. Cost: the window's orders / 50
requests per poll, plus one for CREATED.
"""
from __future__ import annotations

import base64
import json
import logging
import zlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from connectors.base import (
    BadResponse,
    CancelReason,
    Choice,
    Marketplace,
    MarketplaceUnavailable,
    NotSupported,
    Order,
    OrderAction,
    OrderItem,
    OrderPage,
    OrderState,
    Scheme,
)
from connectors.uzum.errors import transient
from connectors.uzum.limits import (
    UZUM_CLOCK_SKEW,
    UZUM_ORDER_LOOKBACK_DAYS,
    UZUM_ORDERS_PAGE_SIZE,
)
from connectors.uzum.models import (
    UZUM_CURRENCY,
    UzumCalls,
    UzumOrder,
    parse_count,
    parse_order,
    parse_order_page,
    parse_reasons,
    uzum_time_param,
    uzum_time_to_unix,
)

log = logging.getLogger("connectors.uzum")

_CONFIRM, _CANCEL = OrderAction.CONFIRM, OrderAction.CANCEL
_NONE: frozenset[OrderAction] = frozenset()

# =========================================================================================================
# Statuses (the table in the module docstring)
# =========================================================================================================
UZUM_NEW_STATUS = "CREATED"  # waiting for the seller: what `new_orders` asks for
UZUM_ORDER_STATUSES: dict[str, tuple[OrderState, frozenset[OrderAction]]] = {
    "CREATED": (OrderState.NEW, frozenset({_CONFIRM, _CANCEL})),
    "PACKING": (OrderState.ACTIVE, frozenset({_CANCEL})),
    # UNCONFIRMED: whether Uzum still takes a cancellation once the order waits for its courier / drop-off.
    "PENDING_DELIVERY": (OrderState.ACTIVE, frozenset({_CANCEL})),
    "DELIVERING": (OrderState.ACTIVE, _NONE),
    "DELIVERED": (OrderState.DONE, _NONE),
    "COMPLETED": (OrderState.DONE, _NONE),
    "CANCELED": (OrderState.CANCELLED, _NONE),
    "CANCELLED": (OrderState.CANCELLED, _NONE),
    "RETURNED": (OrderState.DONE, _NONE),
}
UZUM_UNKNOWN_STATUS: tuple[OrderState, frozenset[OrderAction]] = (OrderState.ACTIVE, _NONE)
# After these an action whose reply was lost counts as done (the order is read back to check).
UZUM_CONFIRMED_STATUSES = frozenset(
    s for s, (state, _) in UZUM_ORDER_STATUSES.items() if state in (OrderState.ACTIVE, OrderState.DONE))
UZUM_CANCELLED_STATUSES = frozenset(s for s, (state, _) in UZUM_ORDER_STATUSES.items() if state is OrderState.CANCELLED)


def uzum_order_state(status: str | None) -> tuple[OrderState, frozenset[OrderAction]]:
    """Where an order in this Uzum status is, and what the seller may do with it now through the API."""
    return UZUM_ORDER_STATUSES.get((status or "").strip().upper(), UZUM_UNKNOWN_STATUS)


# =========================================================================================================
# Cancel reasons
# =========================================================================================================
# UNCONFIRMED: Uzum's real reason codes are unknown (the sandbox lists OUT_OF_STOCK, DEFECTIVE,
# CANNOT_SHIP_IN_TIME). A reason is the first listed whose code, else whose title, holds one of these words
# (upper case; titles come in Uzbek and Russian).
UZUM_CANCEL_REASON_WORDS: dict[CancelReason, tuple[str, ...]] = {
    CancelReason.OUT_OF_STOCK: ("STOCK", "НЕТ В НАЛИЧИИ", "QOLMAGAN"),
    CancelReason.BUYER_ASKED: ("BUYER", "CLIENT", "CUSTOMER", "ПОКУПАТЕЛ", "КЛИЕНТ", "XARIDOR", "MIJOZ"),
    CancelReason.OTHER: ("OTHER", "ДРУГ", "BOSHQA"),
}


def pick_cancel_reason(reasons: Sequence[Choice], reason: CancelReason | None) -> str | None:
    """The code of Uzum's reason for ours, from the reasons Uzum lists (`Choice(id=code, name=title)`); Uzum's
    first listed reason when none matches or no reason is given; None if Uzum lists none."""
    if not reasons:
        return None
    words = UZUM_CANCEL_REASON_WORDS.get(reason, ()) if reason is not None else ()
    for text_of in (lambda r: r.id, lambda r: r.name):
        for choice in reasons:
            text = (text_of(choice) or "").upper()
            if any(word in text for word in words):
                return choice.id
    return reasons[0].id


def uzum_cancel_body(code: str) -> dict[str, Any]:
    """Body of POST /v1/fbs/order/{id}/cancel: a reason code from /v1/fbs/order/return-reasons."""
    return {"reason": code}


# =========================================================================================================
# Normalization and the cursor
# =========================================================================================================
def to_order(order: UzumOrder) -> Order:
    items = tuple(
        OrderItem(sku=item.seller_code or item.skuTitle, name=item.productTitle or item.skuTitle,
                  quantity=item.amount, price=item.price, external_id=item.skuId)
        for item in order.orderItems
    )
    total = order.price
    if total is None and items and all(i.price is not None for i in items):
        total = sum((i.price * i.quantity for i in items), Decimal(0))  # type: ignore[operator]
    scheme = (order.scheme or "FBS").upper()
    accept_until = uzum_time_to_unix(order.dateAcceptUntil)
    state, actions = uzum_order_state(order.status)
    return Order(
        marketplace=Marketplace.UZUM,
        external_id=order.id,
        status=order.status,
        created_at=uzum_time_to_unix(order.dateCreated) or 0,
        items=items,
        state=state,
        actions=actions,
        scheme=Scheme(scheme) if scheme in Scheme.__members__ else Scheme.FBS,
        # Ship-by: the deadline to hand the order over; before confirmation the accept deadline is the first.
        ship_by=uzum_time_to_unix(order.dateDeliverUntil) or accept_until,
        total=total,
        currency=UZUM_CURRENCY,
        shop_id=order.shopId,
        extra={"accept_until": accept_until} if accept_until else {},
    )


_CURSOR_VERSION = 1


def encode_cursor(seen: dict[str, str]) -> str:
    """The statuses of the orders in the window -> an opaque, compact string."""
    raw = json.dumps({"v": _CURSOR_VERSION, "seen": seen}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, str]:
    """The statuses a cursor remembers; {} for None or a cursor we cannot read (start over, lose nothing)."""
    if not cursor:
        return {}
    try:
        data = json.loads(zlib.decompress(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))))
    except (ValueError, zlib.error):
        return {}
    if not isinstance(data, dict) or data.get("v") != _CURSOR_VERSION or not isinstance(data.get("seen"), dict):
        return {}
    return {str(k): str(v) for k, v in data["seen"].items()}


# =========================================================================================================
# Reads
# =========================================================================================================
async def list_orders(client: UzumCalls, *, status: str | None = None, since: float | None = None,
                      until: float | None = None) -> list[UzumOrder]:
    """Every FBS order of the context's shops matching the filters, each once (pages may shift while read)."""
    params = await client.shop_params()
    if status:
        params.append(("status", status))
    if since is not None:
        params.append(("dateFrom", uzum_time_param(since)))
    if until is not None:
        params.append(("dateTo", uzum_time_param(until)))
    found: dict[str, UzumOrder] = {}
    async for orders in client.paged("/v2/fbs/orders", parse_order_page, lambda o: o.id, UZUM_ORDERS_PAGE_SIZE,
                                     params):
        found.update((o.id, o) for o in orders)
    return sorted(found.values(), key=lambda o: (uzum_time_to_unix(o.dateCreated) or 0, o.id))


async def new_orders(client: UzumCalls) -> list[Order]:
    return [to_order(o) for o in await list_orders(client, status=UZUM_NEW_STATUS)]


async def orders_since(client: UzumCalls, cursor: str | None) -> OrderPage:
    """New orders and status changes since `cursor` (semantics in the module docstring)."""
    seen = decode_cursor(cursor)
    now = client.clock.now()
    since = now - UZUM_ORDER_LOOKBACK_DAYS * 86400
    recent = await list_orders(client, since=since, until=now + UZUM_CLOCK_SKEW)
    # Orders waiting for the seller are read without dates too: a wrong date unit (uzum_time_param is
    # UNCONFIRMED) must never hide a new order; it only leaves a warning.
    waiting = await list_orders(client, status=UZUM_NEW_STATUS)
    in_recent = {o.id for o in recent}
    if any(o.id not in in_recent and (uzum_time_to_unix(o.dateCreated) or 0) >= since for o in waiting):
        log.warning("uzum: the dateFrom/dateTo window missed recent orders; check uzum_time_param's unit")
    orders = {o.id: o for o in [*recent, *waiting]}
    changed = [to_order(o) for o in orders.values() if seen.get(o.id) != o.status]
    changed.sort(key=lambda order: (order.created_at, order.external_id))
    return OrderPage(orders=changed, cursor=encode_cursor({o.id: o.status for o in orders.values()}))


async def order_count(client: UzumCalls, status: str | None = None) -> int:
    """How many FBS orders the context's shops have (in `status`, if given)."""
    params = await client.shop_params()
    if status:
        params.append(("status", status))
    return await client.call("GET", "/v2/fbs/orders/count", parse_count, params=params)


async def get_order(client: UzumCalls, order_id: str) -> Order:
    return to_order(await client.call("GET", f"/v1/fbs/order/{order_id}", parse_order))


async def cancel_reasons(client: UzumCalls) -> list[Choice]:
    """The reasons Uzum accepts for cancelling an order (GET /v1/fbs/order/return-reasons)."""
    reasons = await client.call("GET", "/v1/fbs/order/return-reasons", parse_reasons)
    return [Choice(id=r.code, name=r.title or r.code) for r in reasons]


# =========================================================================================================
# Actions
# =========================================================================================================
async def confirm_order(client: UzumCalls, order_id: str) -> Order:
    return await order_action(client, order_id, "confirm", None, UZUM_CONFIRMED_STATUSES)


async def cancel_order(client: UzumCalls, order_id: str, reason: CancelReason | str | None = None) -> Order:
    code = await cancel_code(client, reason)
    return await order_action(client, order_id, "cancel", uzum_cancel_body(code), UZUM_CANCELLED_STATUSES)


async def cancel_code(client: UzumCalls, reason: CancelReason | str | None) -> str:
    """The Uzum reason code to send for `reason` (see the module docstring)."""
    if reason is not None and not isinstance(reason, CancelReason):
        try:
            reason = CancelReason(reason)
        except ValueError:
            # compat: services pass the old reason string until issue 10 step 3 (an Uzum code, sent as given).
            return reason
    code = pick_cancel_reason(await cancel_reasons(client), reason)
    if code is None:
        raise BadResponse("uzum: no cancellation reasons offered")
    return code


async def order_action(client: UzumCalls, order_id: str, action: str, body: Any, done: frozenset[str]) -> Order:
    """POST an order action once (not repeated: it is not idempotent). When its reply is lost or unreadable,
    the order is read back: if it reached `done`, the action happened."""
    try:
        data = await client.send("POST", f"/v1/fbs/order/{order_id}/{action}", json_body=body, idempotent=False)
    except (MarketplaceUnavailable, BadResponse) as exc:
        if isinstance(exc, BadResponse) and not transient(exc):
            raise  # Uzum refused the action (e.g. the order is past that status)
        order = await get_order(client, order_id)
        if order.status.strip().upper() in done:
            return order
        raise
    try:
        return to_order(parse_order(data))
    except BadResponse:  # the reply is not the order: read it
        return await get_order(client, order_id)


async def ship_order(client: UzumCalls, order_id: str) -> Order:
    raise NotSupported("Uzum's seller API has no shipping call: FBS orders are handed over at the drop-off point")
