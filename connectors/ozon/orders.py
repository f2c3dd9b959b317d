"""Ozon orders (postings) and the seller's actions on them.

Calls:
- new orders:   /v4/posting/fbs/unfulfilled/list (statuses OZON_NEW_ORDER_STATUSES, a cutoff window: see
                limits.OZON_UNFULFILLED_CUTOFF_BACK; cursor, limit <= 100)
- changes:      /v4/posting/fbs/list filtered by last_changed_status_date (cursor, limit <= 100) and FBO
                /v3/posting/fbo/list (created since; it has no status-change filter); a period <= 1 year
- detail:       /v3/posting/fbs/get (FBO: /v2/posting/fbo/get, on a 404)
- pack:         /v4/posting/fbs/ship, then re-checked with /v3/posting/fbs/get (a 200 does not mean packed;
                substatus `ship_failed` means pack again)
- cancel:       /v2/posting/fbs/cancel (cancel_reason_id, cancel_reason_message for 402)

Schemes: an FBS posting from an rFBS warehouse (or with a seller-side delivery integration) is Scheme.DBS;
FBO postings are Scheme.FBO. Push notifications: connectors.ozon.webhooks.

Order fields: `external_id` is the posting_number, `status` Ozon's own status text as given (shown on the
card), `state` / `actions` from `order_state()` (the table below), `shop_id` the posting's warehouse,
`currency` the products' currency as ISO 4217 (RUB if the reply does not say), extra: order_number, order_id,
substatus, tpl_integration_type, available_actions (Ozon's own list), cancel_reason.

Status -> (state, actions) — `order_state()`, from the status lists of the swagger (v3FbsPosting /
v3FbsPostingDetail status, the FBO list's status, /v2/posting/fbs/cancel's description):

    FBS / rFBS status         state      actions
    awaiting_packaging        NEW        confirm (= pack), cancel
    awaiting_approve          NEW        cancel           "awaiting confirmation": not packable yet
    awaiting_verification     NEW        cancel           "created"
    awaiting_registration     ACTIVE     cancel
    awaiting_deliver          ACTIVE     cancel           packed, waiting to be handed over
    acceptance_in_progress    ACTIVE     -                at the sorting centre
    driver_pickup             ACTIVE     -
    delivering                ACTIVE     - (rFBS: cancel, reason 402 / 665-667; not once "presumably
                                            delivered", substatus posting_conditionally_delivered)
    sent_by_seller            ACTIVE     -
    arbitration               ACTIVE     -
    client_arbitration        ACTIVE     -
    not_accepted              ACTIVE     -
    delivered                 DONE       -
    cancelled / canceled      CANCELLED  -
    cancelled_from_split_pending  CANCELLED  -            its products went to new postings (new orders)
    any other                 ACTIVE     -

    FBO (Ozon packs and ships from its warehouse; the seller has no call for any of it):
    awaiting_packaging, awaiting_deliver, delivering: ACTIVE; delivered: DONE; cancelled: CANCELLED; no actions.

SHIP is never offered: Ozon has no separate "shipped" call for FBS (the posting goes to the courier from
`awaiting_deliver` by acts / pick-up), so ship_order() packs, as confirm_order() does.

Cancel reasons (/v2/posting/fbs/cancel's description and /v1/posting/fbs/cancel-reason): 352 "product is out
of stock", 400 "only defective products left", 401 "cancellation from arbitration", 402 "other reason" (needs
cancel_reason_message), 665-667 (rFBS in delivery). connectors.base.CancelReason maps as `cancel_reason()` says.

Functions here take the OzonClient as `client` (connectors.ozon.client; not imported here).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from connectors.base import (
    BadResponse,
    CancelReason,
    ConnectorError,
    IpRestricted,
    Marketplace,
    MarketplaceUnavailable,
    Order,
    OrderAction,
    OrderItem,
    OrderPage,
    OrderState,
    PermissionDenied,
    Scheme,
)
from connectors.ozon import limits
from connectors.ozon.errors import OzonShipFailed
from connectors.ozon.models import (
    OzonCancelReply,
    OzonPosting,
    OzonPostingPage,
    OzonPostingReply,
    currency_code,
    unix,
)

log = logging.getLogger("connectors.ozon")

# What "new" means for new_orders(): the posting waits for the seller to pack it.
OZON_NEW_ORDER_STATUSES = ("awaiting_packaging",)
OZON_PACKABLE_STATUS = "awaiting_packaging"
OZON_SHIP_FAILED = "ship_failed"  # substatus: packing failed, pack again
OZON_PRESUMABLY_DELIVERED = "posting_conditionally_delivered"  # substatus: "You can't cancel" it

# /v2/posting/fbs/cancel reasons: 352 "product is out of stock" is what a seller cancelling from the bot means by
# default; 402 "other" needs a message.
OZON_CANCEL_REASON_OUT_OF_STOCK = 352
OZON_CANCEL_REASON_OTHER = 402
# connectors.base.CancelReason -> (cancel_reason_id, cancel_reason_message).
OZON_CANCEL_REASONS: dict[CancelReason, tuple[int, str | None]] = {
    CancelReason.OUT_OF_STOCK: (OZON_CANCEL_REASON_OUT_OF_STOCK, None),
    CancelReason.BUYER_ASKED: (OZON_CANCEL_REASON_OTHER, "The buyer asked to cancel the order"),
    CancelReason.OTHER: (OZON_CANCEL_REASON_OTHER, "Cancelled by the seller"),
}
# UNCONFIRMED: delivery integrations of rFBS postings (seller-side delivery), used only when the posting's
# warehouse is not in /v2/warehouse/list (which says `is_rfbs` per warehouse). "ozon" (Ozon logistics) and
# "hybryd" (Russian Post) are FBS.
OZON_RFBS_INTEGRATION_TYPES = frozenset({"non_integrated", "3pl_tracking", "aggregator"})

# ------------------------------------------------------------------------------ status -> state, actions
_NONE: frozenset[OrderAction] = frozenset()
_CANCEL = frozenset({OrderAction.CANCEL})
# FBS / rFBS postings (the seller packs and hands over; see the table in the module docstring).
OZON_FBS_STATUSES: dict[str, tuple[OrderState, frozenset[OrderAction]]] = {
    "awaiting_packaging": (OrderState.NEW, frozenset({OrderAction.CONFIRM, OrderAction.CANCEL})),
    "awaiting_approve": (OrderState.NEW, _CANCEL),
    "awaiting_verification": (OrderState.NEW, _CANCEL),
    "awaiting_registration": (OrderState.ACTIVE, _CANCEL),
    "awaiting_deliver": (OrderState.ACTIVE, _CANCEL),
    "acceptance_in_progress": (OrderState.ACTIVE, _NONE),
    "driver_pickup": (OrderState.ACTIVE, _NONE),
    "delivering": (OrderState.ACTIVE, _NONE),  # rFBS: see OZON_RFBS_CANCELLABLE_IN_DELIVERY
    "sent_by_seller": (OrderState.ACTIVE, _NONE),
    "arbitration": (OrderState.ACTIVE, _NONE),
    "client_arbitration": (OrderState.ACTIVE, _NONE),
    "not_accepted": (OrderState.ACTIVE, _NONE),
    "delivered": (OrderState.DONE, _NONE),
    "cancelled": (OrderState.CANCELLED, _NONE),
    "canceled": (OrderState.CANCELLED, _NONE),
    "cancelled_from_split_pending": (OrderState.CANCELLED, _NONE),
}
# FBO postings: Ozon fulfils them; the seller has no action.
OZON_FBO_STATUSES: dict[str, OrderState] = {
    "awaiting_packaging": OrderState.ACTIVE,
    "awaiting_deliver": OrderState.ACTIVE,
    "delivering": OrderState.ACTIVE,
    "delivered": OrderState.DONE,
    "cancelled": OrderState.CANCELLED,
    "canceled": OrderState.CANCELLED,
}
# rFBS postings may still be cancelled while delivering ("The last 4 reasons are available for shipments in the
# Delivering and Courier on the way statuses"), but not once presumably delivered.
OZON_RFBS_CANCELLABLE_IN_DELIVERY = frozenset({"delivering"})
# A status not in the tables: being fulfilled, nothing offered (the next poll shows where it went).
OZON_UNKNOWN_STATUS = (OrderState.ACTIVE, _NONE)


def order_state(status: str | None, scheme: Scheme = Scheme.FBS,
                substatus: str | None = None) -> tuple[OrderState, frozenset[OrderAction]]:
    """(state, what the seller may do now through this API) for a posting in `status` (Ozon's own text, any
    case) of `scheme`; `substatus` refines it (see the module docstring's table)."""
    key = (status or "").strip().lower()
    if scheme is Scheme.FBO:
        return OZON_FBO_STATUSES.get(key, OrderState.ACTIVE), _NONE
    state, actions = OZON_FBS_STATUSES.get(key, OZON_UNKNOWN_STATUS)
    if scheme is Scheme.DBS and key in OZON_RFBS_CANCELLABLE_IN_DELIVERY \
            and (substatus or "").strip().lower() != OZON_PRESUMABLY_DELIVERED:
        actions = actions | _CANCEL
    return state, actions


def cancel_reason(reason: CancelReason | str | None) -> tuple[int, str | None]:
    """(cancel_reason_id, cancel_reason_message) for a CancelReason (OZON_CANCEL_REASONS); None -> 352
    "out of stock"."""
    if reason is None:
        return OZON_CANCEL_REASON_OUT_OF_STOCK, None
    if isinstance(reason, CancelReason):
        return OZON_CANCEL_REASONS[reason]
    # compat: services pass the old reason string until issue 10 step 3
    # (a number is the cancel_reason_id; any other text is 402 "other" with the text as the message).
    text = " ".join(reason.split())
    if not text:
        return OZON_CANCEL_REASON_OUT_OF_STOCK, None
    if text.isdigit():
        reason_id = int(text)
        return reason_id, (OZON_CANCEL_REASONS[CancelReason.OTHER][1] if reason_id == OZON_CANCEL_REASON_OTHER
                           else None)
    return OZON_CANCEL_REASON_OTHER, text[:limits.OZON_CANCEL_MESSAGE_LIMIT]


# --------------------------------------------------------------------------------------- conversions
def ozon_time(seconds: float) -> str:
    """Unix seconds -> RFC 3339 in UTC with milliseconds ("2026-01-21T07:13:56.042Z"), as the spec's
    examples and its format hints ("YYYY-MM-DDThh:mm:ss.mcsZ") write the filters' dates."""
    moment = datetime.fromtimestamp(round(seconds, 3), tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def scheme_of(posting: OzonPosting, kinds: dict[int, bool] | None) -> Scheme:
    """FBS or DBS (rFBS) for an FBS-list posting: its warehouse's `is_rfbs` if known, else its delivery
    integration (OZON_RFBS_INTEGRATION_TYPES)."""
    warehouse = posting.warehouse_id
    if kinds is not None and warehouse in kinds:
        return Scheme.DBS if kinds[warehouse] else Scheme.FBS
    if (posting.tpl_integration_type or "").lower() in OZON_RFBS_INTEGRATION_TYPES:
        return Scheme.DBS
    return Scheme.FBS


def order_of(posting: OzonPosting, scheme: Scheme) -> Order:
    """The Order of one posting."""
    items: list[OrderItem] = []
    total = Decimal(0)
    total_known = bool(posting.products)
    currency: str | None = None
    for product in posting.products:
        price, product_currency = product.unit_price()
        currency = currency or product_currency or None
        items.append(OrderItem(sku=product.offer_id or None, name=product.name, quantity=product.quantity,
                               price=price, external_id=str(product.sku) if product.sku else None))
        if price is None:
            total_known = False
        else:
            total += price * product.quantity
    warehouse = posting.warehouse_id
    extra = {
        "order_number": posting.order_number,
        "order_id": posting.order_id,
        "substatus": posting.substatus,
        "tpl_integration_type": posting.tpl_integration_type,
        "available_actions": list(posting.available_actions),
        "cancel_reason": posting.cancellation.cancel_reason if posting.cancellation else None,
    }
    state, actions = order_state(posting.status, scheme, posting.substatus)
    return Order(
        marketplace=Marketplace.OZON,
        external_id=posting.posting_number,
        status=posting.status,
        created_at=unix(posting.in_process_at or posting.created_at) or 0,
        items=tuple(items),
        state=state,
        actions=actions,
        scheme=scheme,
        ship_by=unix(posting.shipment_date),
        total=total if total_known else None,
        currency=currency_code(currency),
        shop_id=str(warehouse) if warehouse else None,
        extra={k: v for k, v in extra.items() if v not in (None, "", [])},
    )


# ---------------------------------------------------------------------------------------------- reads
async def posting_pages(client: Any, path: str, body: dict) -> list[OzonPosting]:
    """Every page of a posting list (cursor while has_next)."""
    postings: list[OzonPosting] = []
    cursor = ""
    seen: set[str] = set()
    for _ in range(limits.MAX_ORDER_PAGES):
        page_body = {**body, "limit": limits.POSTING_PAGE_LIMIT}
        if cursor:
            page_body["cursor"] = cursor
        page = await client.post(path, page_body, OzonPostingPage)
        postings.extend(page.postings)
        if not page.has_next or not page.cursor:
            return postings
        if page.cursor in seen:
            raise BadResponse(f"ozon {path}: cursor repeats")
        seen.add(page.cursor)
        cursor = page.cursor
    raise BadResponse(f"ozon {path}: too many pages")


async def fbs_orders(client: Any, postings: Sequence[OzonPosting]) -> list[Order]:
    kinds = await client.warehouse_kinds() if postings else None
    return [order_of(p, scheme_of(p, kinds)) for p in postings]


async def new_orders(client: Any) -> list[Order]:
    """FBS and rFBS postings waiting to be packed (/v4/posting/fbs/unfulfilled/list)."""
    now = client.http.clock.now()
    body = {
        "filter": {
            "cutoff_from": ozon_time(now - limits.OZON_UNFULFILLED_CUTOFF_BACK.total_seconds()),
            "cutoff_to": ozon_time(now + limits.OZON_UNFULFILLED_CUTOFF_AHEAD.total_seconds()),
            "statuses": list(OZON_NEW_ORDER_STATUSES),
        },
        "sort_dir": "ASC",
    }
    return await fbs_orders(client, await posting_pages(client, "/v4/posting/fbs/unfulfilled/list", body))


async def orders_since(client: Any, cursor: str | None) -> OrderPage:
    """Postings whose status changed since the cursor (FBS / rFBS: /v4/posting/fbs/list filtered by
    last_changed_status_date) and FBO postings created since then (/v3/posting/fbo/list has no status
    filter). The cursor is the end of the window read, in unix seconds; None starts OZON_FIRST_SYNC back.
    An FBO list the key has no role for is skipped."""
    now = client.http.clock.now()
    watermark: float | None = None
    if cursor:
        try:
            watermark = float(cursor)
        except ValueError:
            log.warning("ozon orders_since: unreadable cursor, starting over")
    oldest = now - limits.OZON_MAX_PERIOD.total_seconds()
    start = (watermark - limits.OZON_ORDER_OVERLAP.total_seconds()) if watermark is not None \
        else now - limits.OZON_FIRST_SYNC.total_seconds()
    start = min(max(start, oldest), now)
    fbs_filter = {
        "since": ozon_time(oldest),
        "to": ozon_time(now),
        "last_changed_status_date": {"from": ozon_time(start), "to": ozon_time(now)},
    }
    postings = await posting_pages(client, "/v4/posting/fbs/list", {"filter": fbs_filter, "sort_dir": "ASC"})
    orders = await fbs_orders(client, postings)
    try:
        fbo = await posting_pages(
            client, "/v3/posting/fbo/list",
            {"filter": {"since": ozon_time(start), "to": ozon_time(now)}, "sort_dir": "ASC"},
        )
    except IpRestricted:
        raise
    except PermissionDenied:
        fbo = []
    seen = {o.external_id for o in orders}
    orders += [order_of(p, Scheme.FBO) for p in fbo if p.posting_number not in seen]
    return OrderPage(orders, str(int(now)))


async def fbs_posting(client: Any, posting_number: str) -> OzonPosting:
    reply = await client.post("/v3/posting/fbs/get", {"posting_number": posting_number}, OzonPostingReply)
    return reply.result


async def get_order(client: Any, order_id: str) -> Order:
    """An FBS / rFBS posting (/v3/posting/fbs/get); a posting that is not there is looked up as FBO."""
    try:
        posting = await fbs_posting(client, order_id)
    except BadResponse as exc:
        if exc.status != 404:
            raise
        reply = await client.post("/v2/posting/fbo/get", {"posting_number": order_id}, OzonPostingReply)
        return order_of(reply.result, Scheme.FBO)
    return (await fbs_orders(client, [posting]))[0]


# -------------------------------------------------------------------------------------------- actions
async def confirm_order(client: Any, order_id: str) -> Order:
    """Pack the posting (/v4/posting/fbs/ship, all its products in one package), then re-check it with
    /v3/posting/fbs/get: a 200 does not mean packed. `ship_failed` -> pack again (OZON_SHIP_ATTEMPTS in
    all, then OzonShipFailed). A posting past `awaiting_packaging` is returned as it is (idempotent);
    one still being packed asynchronously is returned with status `awaiting_packaging`."""
    posting = await fbs_posting(client, order_id)
    for attempt in range(1, limits.OZON_SHIP_ATTEMPTS + 1):
        if posting.status != OZON_PACKABLE_STATUS:
            return (await fbs_orders(client, [posting]))[0]
        body = {"packages": [{"products": package_products(posting)}], "posting_number": order_id}
        failure: ConnectorError | None = None
        try:
            await client.http.request_json("POST", "/v4/posting/fbs/ship", json_body=body, pace=client.pace(),
                                           idempotent=False)
        except (MarketplaceUnavailable, BadResponse) as exc:
            # A timeout / 5xx may have been applied, a 4xx may mean "already packed": look before failing.
            failure = exc
        posting = await _await_packing(client, order_id)
        if posting.status != OZON_PACKABLE_STATUS:
            return (await fbs_orders(client, [posting]))[0]
        if isinstance(failure, BadResponse) or (failure is not None and posting.substatus != OZON_SHIP_FAILED):
            raise failure
        if posting.substatus != OZON_SHIP_FAILED:
            return (await fbs_orders(client, [posting]))[0]  # still being packed
        log.info("ozon posting packing failed (ship_failed), attempt %d of %d", attempt, limits.OZON_SHIP_ATTEMPTS)
    raise OzonShipFailed(f"ozon could not pack the posting after {limits.OZON_SHIP_ATTEMPTS} attempts",
                         detail="ship_failed")


async def ship_order(client: Any, order_id: str) -> Order:
    """Ozon has no separate "shipped" call for FBS: the posting goes to the courier from
    `awaiting_deliver` (acts / pick-up). So this packs the posting if it still waits for packing (see
    confirm_order) and otherwise returns it as it is; its status says where it is."""
    return await confirm_order(client, order_id)


def package_products(posting: OzonPosting) -> list[dict]:
    """The `packages[].products` of /v4/posting/fbs/ship: every product of the posting, quantities summed."""
    quantities: dict[int, int] = {}
    for product in posting.products:
        if not product.sku or product.quantity <= 0:
            raise BadResponse("ozon posting has a product without an SKU or quantity; cannot pack it")
        quantities[product.sku] = quantities.get(product.sku, 0) + product.quantity
    if not quantities:
        raise BadResponse("ozon posting has no products to pack")
    # `product_id` here is the Ozon SKU (posting.products[].sku), as the method's schema says.
    return [{"product_id": sku, "quantity": quantity} for sku, quantity in quantities.items()]


async def _await_packing(client: Any, posting_number: str) -> OzonPosting:
    posting = await fbs_posting(client, posting_number)
    for _ in range(limits.OZON_SHIP_CHECKS - 1):
        if posting.status != OZON_PACKABLE_STATUS or posting.substatus == OZON_SHIP_FAILED:
            break
        await client.http.clock.sleep(limits.OZON_SHIP_CHECK_DELAY)
        posting = await fbs_posting(client, posting_number)
    return posting


async def cancel_order(client: Any, order_id: str, reason: CancelReason | str | None = None) -> Order:
    """Cancel an FBS / rFBS posting (/v2/posting/fbs/cancel, the reason as `cancel_reason()` maps it); the
    posting is re-read with get_order. Ozon answering `result: false` is BadResponse."""
    reason_id, message = cancel_reason(reason)
    body: dict[str, Any] = {"cancel_reason_id": reason_id, "posting_number": order_id}
    if message:
        body["cancel_reason_message"] = message
    try:
        reply = await client.post("/v2/posting/fbs/cancel", body, OzonCancelReply, idempotent=False)
    except MarketplaceUnavailable:
        # It may have been applied: the posting's status decides.
        order = await get_order(client, order_id)
        if order.state is OrderState.CANCELLED:
            return order
        raise
    if not reply.result:
        raise BadResponse("ozon did not cancel the posting", detail="cancel refused")
    return await get_order(client, order_id)
