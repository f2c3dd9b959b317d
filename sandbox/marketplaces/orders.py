"""Making orders in the sandbox marketplaces — for tests, the demo CLI flag and the HTTP control endpoint —
the way each stand-in keeps them (its account key, shop / campaign / warehouse); and, for the demo, weeks of
past orders (add_order_history)."""
from __future__ import annotations

import random

from sandbox.marketplaces import accounts
from sandbox.marketplaces.accounts import SandboxState
from sandbox.marketplaces.catalog import Lifecycle, OrderLine, SandboxOrder
from sandbox.marketplaces.ozon import add_order as add_ozon_order
from sandbox.marketplaces.uzum import catalog_key
from sandbox.marketplaces.yandex import add_order as add_yandex_order

DEFAULT_ACCOUNTS = {
    "uzum": accounts.UZUM_TOKEN,
    "yandex": accounts.YANDEX_API_KEY,
    "wildberries": accounts.WB_SELLER_ID,
    "ozon": accounts.OZON_CLIENT_ID,
}


def create_order(state: SandboxState, marketplace: str, lines: list[tuple[int, int]], *,
                 account: str | None = None, shop_id: str | None = None) -> SandboxOrder:
    """A new order of catalog products [(index, quantity), ...] on one seller account (the default test
    account unless `account` is given: Uzum token, Yandex Api-Key, WB seller id, Ozon Client-Id)."""
    return _create_orders(state, marketplace, lines, account=account, shop_id=shop_id)[0]


def _create_orders(state: SandboxState, marketplace: str, lines: list[tuple[int, int]], *,
                   account: str | None = None, shop_id: str | None = None) -> list[SandboxOrder]:
    """create_order, returning every order made (Wildberries makes one per unit)."""
    account = account or DEFAULT_ACCOUNTS[marketplace]
    if marketplace == "ozon":
        return [add_ozon_order(state, lines, client_id=account, warehouse_id=int(shop_id) if shop_id else None)]
    if marketplace == "yandex":
        return [add_yandex_order(state, lines, api_key=account, campaign_id=int(shop_id) if shop_id else None)]
    if marketplace == "uzum":
        shop = int(shop_id) if shop_id else state.uzum[account].shops[0].id
        catalog = state.catalog("uzum", catalog_key(account, shop))
        return [state.orders.create("uzum", account, _lines(catalog, lines), shop_id=str(shop))]
    if marketplace == "wildberries":
        seller = state.wildberries[account]
        warehouse = shop_id or str(seller.warehouses[0].id)
        catalog = state.catalog("wildberries", account)
        # WB: one order per unit (an "assembly task").
        units = [(index, 1) for index, quantity in lines for _ in range(quantity)]
        return [state.orders.create("wildberries", account, _lines(catalog, [unit]), shop_id=warehouse, scheme="FBS")
                for unit in units]
    raise ValueError(f"unknown marketplace {marketplace!r}")


def random_order(state: SandboxState, rng: random.Random | None = None) -> SandboxOrder:
    rng = rng or random.Random()
    marketplace = rng.choice(list(DEFAULT_ACCOUNTS))
    index = rng.randint(1, min(state.catalog_size, 40))
    return create_order(state, marketplace, [(index, rng.randint(1, 2))])


def _lines(catalog, lines: list[tuple[int, int]]) -> list[OrderLine]:
    return [OrderLine(index, quantity, catalog.get_price(index)) for index, quantity in lines]


def new_order_notification(marketplace: str, order, *, seller_id: str, posting_number: str | None = None,
                           warehouse_id: str | None = None) -> dict:
    """The push notification the marketplace sends about a new order (Yandex ORDER_CREATED to the campaign's URL,
    Ozon TYPE_NEW_POSTING), in the shapes of their specs; `seller_id`: the Yandex campaign / the Ozon Client-Id."""
    from datetime import datetime, timezone

    created = datetime.fromtimestamp(order.created_at, timezone.utc).isoformat(timespec="milliseconds")
    created = created.replace("+00:00", "Z")
    if marketplace == "yandex":
        return {"notificationType": "ORDER_CREATED", "campaignId": int(seller_id), "orderId": order.id,
                "createdAt": created,
                "items": [{"offerId": f"SKU-{line.index}", "count": line.quantity} for line in order.lines]}
    if marketplace == "ozon":
        return {"message_type": "TYPE_NEW_POSTING", "posting_number": posting_number,
                "products": [{"sku": line.index, "offer_id": "", "quantity": line.quantity} for line in order.lines],
                "in_process_at": created, "warehouse_id": int(warehouse_id), "seller_id": int(seller_id)}
    raise ValueError(f"{marketplace} sends no push notifications")


DAY = 86400.0
# How an order of the history ends, by age: (older than N days, [(status, weight), ...]).
_HISTORY_OUTCOMES = (
    (6, [(Lifecycle.DELIVERED, 86), (Lifecycle.CANCELLED, 10), (Lifecycle.SHIPPED, 4)]),
    (2, [(Lifecycle.SHIPPED, 55), (Lifecycle.DELIVERED, 30), (Lifecycle.CANCELLED, 10), (Lifecycle.CONFIRMED, 5)]),
    (0, [(Lifecycle.CONFIRMED, 45), (Lifecycle.NEW, 40), (Lifecycle.CANCELLED, 5), (Lifecycle.SHIPPED, 10)]),
)
# About how many days after it was placed an order of the history last changed, by its final status.
_LAST_CHANGE_DAYS = {Lifecycle.NEW: 0.0, Lifecycle.CONFIRMED: 0.2, Lifecycle.SHIPPED: 1.0, Lifecycle.DELIVERED: 3.0,
                     Lifecycle.CANCELLED: 0.5, Lifecycle.RETURNED: 10.0}
# Returns come back only from orders delivered long enough ago for the buyer to have sent them back.
_RETURNS_OLDER_THAN_DAYS = 6


def add_order_history(state: SandboxState, *, days: int = 28, per_day: tuple[int, int] = (2, 6),
                      seed: int | None = None, now: float | None = None, returns: float = 0.0) -> list[SandboxOrder]:
    """Weeks of past orders on every default account (the shops random_order() uses): what a shop that has been
    selling for a while shows. For the demo; the default sandbox has no history.

    Each marketplace gets `per_day` orders (a random count in that range) on each of the last `days` days, placed at
    random times of the day; older orders are mostly delivered (some cancelled), the last two days' are still being
    packed or on their way. Orders are stamped in the past (created, updated, ship-by), so a connector's first poll
    reads them like any shop's existing orders — as its silent baseline when they exist before the shop is connected.
    `returns`: the share of delivered orders older than 6 days that the buyer sent back (RETURNED; the finance
    reports show their refunds).
    """
    rng = random.Random(seed)
    now = state.orders.clock() if now is None else now
    made: list[SandboxOrder] = []
    for marketplace in DEFAULT_ACCOUNTS:
        placed_times = sorted(now - (day + rng.random()) * DAY
                              for day in range(days) for _ in range(rng.randint(*per_day)))
        for placed in placed_times:
            if now - placed < 600:  # nothing from the last minutes: "new since you connected" stays new
                placed -= 600
            count = rng.randint(1, 3) if rng.random() < 0.2 else 1
            indexes = rng.sample(range(1, min(state.catalog_size, 40) + 1), count)
            lines = [(index, rng.choice((1, 1, 1, 2, 3))) for index in indexes]
            age_days = (now - placed) / DAY
            outcomes = next(choices for older_than, choices in _HISTORY_OUTCOMES if age_days >= older_than)
            status = rng.choices([s for s, _ in outcomes], [w for _, w in outcomes])[0]
            if (status == Lifecycle.DELIVERED and age_days >= _RETURNS_OLDER_THAN_DAYS
                    and rng.random() < returns):
                status = Lifecycle.RETURNED
            for order in _create_orders(state, marketplace, lines):
                order.created_at = placed
                order.ship_by = placed + 2 * DAY
                # the last change: when it was packed, shipped, delivered or cancelled (never in the future)
                order.updated_at = min(now - 60, placed + _LAST_CHANGE_DAYS[status] * DAY * (0.5 + rng.random()))
                order.status = status
                made.append(order)
    return made
