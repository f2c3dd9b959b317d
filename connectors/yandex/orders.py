"""Yandex Market orders and order actions.

- read:     POST /v1/businesses/{businessId}/orders (getBusinessOrders, the current method; pageToken, limit <= 50;
            dates at most 30 days apart; our shop's only when one is set) for new orders (PROCESSING/STARTED),
            orders changed since a cursor (updateDateFrom/To), and one order (orderIds). Test orders (fake=true) are
            not asked for.
- actions:  PUT  /v2/campaigns/{campaignId}/orders/{orderId}/status (updateOrderStatus): confirm = PROCESSING/READY_TO_SHIP,
            ship = PROCESSING/SHIPPED, cancel = CANCELLED/SHOP_FAILED (then the order is read back). Never re-sent
            blindly: a failed PUT is checked by reading the order.

Order status: `Order.status` is "<status>/<substatus>" as Yandex gives them, e.g. "PROCESSING/STARTED" (new),
"PROCESSING/READY_TO_SHIP" (confirmed). `order_state()` turns it into `Order.state` and `Order.actions`:

| status      | substatus                  | state     | actions          |
|-------------|----------------------------|-----------|------------------|
| PROCESSING  | STARTED                    | NEW       | CONFIRM, CANCEL  |
| PROCESSING  | READY_TO_SHIP              | ACTIVE    | SHIP, CANCEL     |
| PROCESSING  | SHIPPED, any other         | ACTIVE    | -                |
| PLACING, RESERVED, UNPAID, PENDING | any | NEW       | -                |
| DELIVERY, PICKUP                   | any | ACTIVE    | -                |
| DELIVERED, PARTIALLY_RETURNED, RETURNED | any | DONE | -                |
| CANCELLED                          | any | CANCELLED | -                |
| UNKNOWN, anything newer than the spec | any | ACTIVE | -                |

Why: updateOrderStatus documents exactly these moves for a shop: PROCESSING/STARTED -> READY_TO_SHIP (confirm),
STARTED or READY_TO_SHIP -> CANCELLED/SHOP_FAILED (cancel); READY_TO_SHIP -> SHIPPED (ship) is the test-order
page's sequence. There is no call for the other statuses, so they offer nothing. PLACING / RESERVED / UNPAID are
not the seller's yet (being placed, reserved, not paid); PENDING waits for the seller, but with no documented call
(UNCONFIRMED, `PENDING_ACTIONS`). FBY orders are Market's to fulfil: updateOrderStatus is not for them (the spec's
tags: FBS, DBS, Express, LaaS), so they offer no action in any status (`PROGRAMS_WITHOUT_ACTIONS`). Returns after
delivery (PARTIALLY_RETURNED, RETURNED) are DONE: the goods come back through Market's returns, not as stock.

Cancel reasons: a shop gives one reason only, SHOP_FAILED ("the shop cannot fulfil the order"), whatever the
partner's CancelReason (`CANCEL_SUBSTATUS`); Yandex takes no text.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from connectors.base import (
    AuthError,
    CancelReason,
    ConnectorError,
    Marketplace,
    Order,
    OrderAction,
    OrderItem,
    OrderPage,
    OrderState,
    PermissionDenied,
    RateLimited,
    Scheme,
)
from connectors.yandex import limits
from connectors.yandex.account import business_id, campaign_id
from connectors.yandex.api import YandexApi
from connectors.yandex.errors import OrderNotFound
from connectors.yandex.models import (
    MARKET_TZ,
    YandexEmpty,
    YandexOrder,
    YandexOrdersPage,
    iso,
    to_currency,
    unix,
)

# ------------------------------------------------------------------------------ status -> state, actions
NEW_ORDER = ("PROCESSING", "STARTED")
CONFIRM = ("PROCESSING", "READY_TO_SHIP")
SHIP = ("PROCESSING", "SHIPPED")
CANCELLED = "CANCELLED"
# The only cancellation reason a shop may give through updateOrderStatus, for every preset the partner picks.
SHOP_FAILED = "SHOP_FAILED"
CANCEL_SUBSTATUS: dict[CancelReason, str] = {
    CancelReason.OUT_OF_STOCK: SHOP_FAILED,
    CancelReason.BUYER_ASKED: SHOP_FAILED,
    CancelReason.OTHER: SHOP_FAILED,
}

_NONE: frozenset[OrderAction] = frozenset()
# UNCONFIRMED: PENDING ("waiting for the seller") has no documented updateOrderStatus move, so no action is offered.
PENDING_ACTIONS: frozenset[OrderAction] = _NONE
# Statuses whose state does not depend on the substatus.
STATUS_STATES: dict[str, tuple[OrderState, frozenset[OrderAction]]] = {
    "PLACING": (OrderState.NEW, _NONE),  # the buyer is still placing it
    "RESERVED": (OrderState.NEW, _NONE),  # LaaS: reserved, not fully placed
    "UNPAID": (OrderState.NEW, _NONE),  # placed, not paid yet
    "PENDING": (OrderState.NEW, PENDING_ACTIONS),  # waiting for the seller's processing
    "DELIVERY": (OrderState.ACTIVE, _NONE),  # handed to the delivery service
    "PICKUP": (OrderState.ACTIVE, _NONE),  # at the pick-up point
    "DELIVERED": (OrderState.DONE, _NONE),
    "PARTIALLY_RETURNED": (OrderState.DONE, _NONE),
    "RETURNED": (OrderState.DONE, _NONE),
    CANCELLED: (OrderState.CANCELLED, _NONE),  # whoever cancelled it (the substatus says why)
}
# PROCESSING, by substatus (the seller's part of the work).
PROCESSING_STATES: dict[str, tuple[OrderState, frozenset[OrderAction]]] = {
    NEW_ORDER[1]: (OrderState.NEW, frozenset({OrderAction.CONFIRM, OrderAction.CANCEL})),
    CONFIRM[1]: (OrderState.ACTIVE, frozenset({OrderAction.SHIP, OrderAction.CANCEL})),
    SHIP[1]: (OrderState.ACTIVE, _NONE),
}
# A status the table does not know (UNKNOWN, or newer than the spec: "other values may be returned").
OTHER_STATE = (OrderState.ACTIVE, _NONE)
# Placement types whose orders the seller cannot move through the API (Market fulfils them).
PROGRAMS_WITHOUT_ACTIONS = frozenset({"FBY"})

SCHEMES = {"FBS": Scheme.FBS, "FBY": Scheme.FBO, "DBS": Scheme.DBS, "EXPRESS": Scheme.EXPRESS,
           "LAAS": Scheme.FBS}  # LaaS: the seller's goods, Market's logistics


def order_state(status: str, substatus: str | None = None,
                program: str | None = None) -> tuple[OrderState, frozenset[OrderAction]]:
    """The state of an order in this status / substatus, and what the seller may do with it now (see the table in
    the module's docstring). `program`: the order's programType (FBY orders offer no action)."""
    status = (status or "").upper()
    if status == NEW_ORDER[0]:
        state, actions = PROCESSING_STATES.get((substatus or "").upper(), OTHER_STATE)
    else:
        state, actions = STATUS_STATES.get(status, OTHER_STATE)
    if (program or "").upper() in PROGRAMS_WITHOUT_ACTIONS:
        actions = _NONE
    return state, actions


def cancel_substatus(reason: CancelReason | str | None) -> str:
    """The CANCELLED substatus sent for the partner's reason: always SHOP_FAILED (`CANCEL_SUBSTATUS`)."""
    if reason is None or isinstance(reason, CancelReason):
        return CANCEL_SUBSTATUS.get(reason or CancelReason.OTHER, SHOP_FAILED)
    # compat: services pass the old reason string until issue 10 step 3
    try:
        return CANCEL_SUBSTATUS[CancelReason(reason)]
    except ValueError:
        return SHOP_FAILED  # free text: Yandex takes none


def order_status(status: str, substatus: str | None) -> str:
    return f"{status}/{substatus}" if substatus else status


# ------------------------------------------------------------------------------------ normalizing
def ship_by(order: YandexOrder) -> int | None:
    """The shipment date (and time, if given) in Moscow time."""
    shipment = order.delivery.shipment if order.delivery else None
    if shipment is None or shipment.shipmentDate is None:
        return None
    moment = datetime.combine(shipment.shipmentDate, datetime.min.time(), MARKET_TZ)
    if shipment.shipmentTime:
        hours, _, minutes = shipment.shipmentTime.partition(":")
        if hours.isdigit() and minutes[:2].isdigit():
            moment = moment.replace(hour=int(hours), minute=int(minutes[:2]))
    return int(moment.timestamp())


def normalize_order(order: YandexOrder) -> Order:
    items = []
    for item in order.items:
        total, _ = item.prices.goods_total() if item.prices else (None, None)
        unit = (total / item.count).quantize(Decimal("0.01")) if total is not None and item.count else None
        items.append(OrderItem(sku=item.offerId, name=item.offerName, quantity=item.count, price=unit,
                               external_id=item.offerId))
    total, currency = order.prices.goods_total() if order.prices else (None, None)
    state, actions = order_state(order.status, order.substatus, order.programType)
    return Order(
        marketplace=Marketplace.YANDEX,
        external_id=str(order.orderId),
        status=order_status(order.status, order.substatus),
        created_at=unix(order.creationDate),
        items=tuple(items),
        state=state,
        actions=actions,
        scheme=SCHEMES.get(order.programType or "", Scheme.FBS),
        ship_by=ship_by(order),
        total=total,
        currency=to_currency(currency),
        updated_at=unix(order.changed_at),
        shop_id=str(order.campaignId) if order.campaignId else None,
        extra={"substatus": order.substatus, "fake": bool(order.fake)},
    )


# ---------------------------------------------------------------------------------------- cursor
@dataclass(frozen=True)
class OrdersCursor:
    """Where orders_since() stopped: the newest update time seen, and which orders (in which status) were seen at
    exactly that time, so an order changed twice within one second still comes back.

    Serialized as "<ISO time>|<id>:<status>,..."; opaque to callers, stored durably by the service.
    """

    since: datetime
    seen: frozenset[str] = frozenset()

    def dump(self) -> str:
        # Full precision: an update time with milliseconds must compare equal when read back.
        return f"{iso(self.since, 'auto')}|{','.join(sorted(self.seen))}"

    @classmethod
    def load(cls, text: str) -> OrdersCursor:
        moment, _, seen = text.partition("|")
        try:
            since = datetime.fromisoformat(moment)
        except ValueError:
            raise ValueError(f"not a Yandex orders cursor: {text[:40]!r}") from None
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        return cls(since, frozenset(s for s in seen.split(",") if s))

    @staticmethod
    def key(order: YandexOrder) -> str:
        return f"{order.orderId}:{order_status(order.status, order.substatus)}"

    def is_new(self, order: YandexOrder) -> bool:
        changed = order.changed_at
        return changed > self.since or (changed == self.since and self.key(order) not in self.seen)

    def advance(self, seen: Sequence[YandexOrder], floor: datetime) -> OrdersCursor:
        """The cursor after a poll that saw `seen` and covered everything up to `floor`."""
        newest = max((o.changed_at for o in seen), default=None)
        if newest is None or newest < floor:
            return self if self.since >= floor else OrdersCursor(floor)
        keys = {self.key(o) for o in seen if o.changed_at == newest}
        return OrdersCursor(newest, frozenset(keys | (self.seen if newest == self.since else set())))


# ------------------------------------------------------------------------------------------ reads
def _orders_pages(api: YandexApi, business: int, body: dict) -> AsyncIterator[YandexOrder]:
    return api.paged("POST", f"/v1/businesses/{business}/orders", YandexOrdersPage,
                     scope=f"business:{business}", resource="getBusinessOrders", limit=limits.ORDERS_PAGE_LIMIT,
                     items=lambda p: (p.orders, p.paging), body=body)


async def new_orders(api: YandexApi) -> list[Order]:
    """Orders waiting for the seller: PROCESSING / STARTED (Yandex's default window: the last 30 days)."""
    business = await business_id(api)
    body = {**api.campaign_filter(), "statuses": [NEW_ORDER[0]], "substatuses": [NEW_ORDER[1]]}
    return [normalize_order(o) async for o in _orders_pages(api, business, body)]


async def orders_since(api: YandexApi, cursor: str | None) -> OrderPage:
    """Every order created or changed after `cursor` (None: the last 30 days), and the cursor to store.

    An order comes back again only when it changes again (its updateDate moves). A cursor older than 30 days
    is caught up in 30-day windows.
    """
    business = await business_id(api)
    now = datetime.fromtimestamp(api.clock.now(), timezone.utc).replace(microsecond=0)
    position = OrdersCursor.load(cursor) if cursor else OrdersCursor(now - limits.ORDERS_FIRST_LOOKBACK)
    found: dict[int, YandexOrder] = {}
    while True:
        start = position.since - limits.ORDERS_CURSOR_OVERLAP
        end = min(start + limits.ORDERS_MAX_RANGE, now)
        body = {**api.campaign_filter(), "dates": {"updateDateFrom": iso(start), "updateDateTo": iso(end)}}
        seen = [o async for o in _orders_pages(api, business, body) if position.is_new(o)]
        for order in seen:
            found[order.orderId] = order
        position = position.advance(seen, min(end, now - limits.ORDERS_SETTLE))
        if end >= now:
            break
    orders = sorted(found.values(), key=lambda o: (o.changed_at, o.orderId))
    return OrderPage([normalize_order(o) for o in orders], position.dump())


async def get_order(api: YandexApi, order_id: str) -> Order:
    """One order by id (UNCONFIRMED: that getBusinessOrders applies no default 30-day window to orderIds)."""
    business = await business_id(api)
    body = {"orderIds": [int(order_id)]}
    async for order in _orders_pages(api, business, body):
        if str(order.orderId) == str(order_id):
            return normalize_order(order)
    raise OrderNotFound(f"yandex: order {order_id} not found", status=404)


# ---------------------------------------------------------------------------------------- actions
async def confirm_order(api: YandexApi, order_id: str) -> Order:
    return await set_status(api, order_id, CONFIRM)


async def ship_order(api: YandexApi, order_id: str) -> Order:
    return await set_status(api, order_id, SHIP)


async def cancel_order(api: YandexApi, order_id: str, reason: CancelReason | str | None = None) -> Order:
    """Cancel as the shop: CANCELLED / SHOP_FAILED, the only reason a shop may give (`cancel_substatus`)."""
    return await set_status(api, order_id, (CANCELLED, cancel_substatus(reason)))


async def set_status(api: YandexApi, order_id: str, target: tuple[str, str]) -> Order:
    """PUT the status, then read the order back. Not retried blindly: if the PUT failed or was refused, the
    order is read to see whether it already has the target status (a lost reply, a double tap)."""
    campaign = await _order_campaign(api, order_id)
    body = {"order": {"status": target[0], "substatus": target[1]}}
    try:
        await api.call("PUT", f"/v2/campaigns/{campaign}/orders/{order_id}/status", YandexEmpty,
                       scope=f"campaign:{campaign}", resource="updateOrderStatus", body=body, idempotent=False)
    except (AuthError, PermissionDenied, RateLimited):
        raise
    except ConnectorError:
        order = await get_order(api, order_id)
        if order.status == order_status(*target):
            return order
        raise
    return await get_order(api, order_id)


async def _order_campaign(api: YandexApi, order_id: str) -> int:
    """Our shop, or (without one) the campaign the order belongs to."""
    if api.campaign_id is not None:
        return api.campaign_id
    shop = (await get_order(api, order_id)).shop_id
    return int(shop) if shop else await campaign_id(api)
