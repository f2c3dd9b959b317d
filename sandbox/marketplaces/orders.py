"""Making orders in the sandbox marketplaces — for tests, the demo CLI flag and the HTTP control endpoint —
the way each stand-in keeps them (its account key, shop / campaign / warehouse)."""
from __future__ import annotations

import random

from sandbox.marketplaces import accounts
from sandbox.marketplaces.accounts import SandboxState
from sandbox.marketplaces.catalog import OrderLine, SandboxOrder
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
    account = account or DEFAULT_ACCOUNTS[marketplace]
    if marketplace == "ozon":
        return add_ozon_order(state, lines, client_id=account,
                              warehouse_id=int(shop_id) if shop_id else None)
    if marketplace == "yandex":
        return add_yandex_order(state, lines, api_key=account, campaign_id=int(shop_id) if shop_id else None)
    if marketplace == "uzum":
        shop = int(shop_id) if shop_id else state.uzum[account].shops[0].id
        catalog = state.catalog("uzum", catalog_key(account, shop))
        return state.orders.create("uzum", account, _lines(catalog, lines), shop_id=str(shop))
    if marketplace == "wildberries":
        seller = state.wildberries[account]
        warehouse = shop_id or str(seller.warehouses[0].id)
        catalog = state.catalog("wildberries", account)
        # WB: one order per unit (an "assembly task").
        units = [(index, 1) for index, quantity in lines for _ in range(quantity)]
        orders = [state.orders.create("wildberries", account, _lines(catalog, [unit]), shop_id=warehouse, scheme="FBS")
                  for unit in units]
        return orders[0]
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
