"""Orders on all four marketplaces: stored once, stock taken once and pushed to the other channels, one alert
each; a cancellation gives the stock back; the first poll is a silent baseline."""
from __future__ import annotations

from sqlalchemy import func, select

from services.jobs import JobKind
from db.models import MarketplaceIntegration, Order, OutboxMessage, Product, StockMovement
from sandbox.marketplaces.orders import create_order
from tests.e2e.conftest import connect, sandbox_stock, sync_products, wait_for_text

ALL = ("uzum", "yandex", "wildberries", "ozon")
TITLES = {"uzum": "Uzum Market", "yandex": "Yandex Market", "wildberries": "Wildberries", "ozon": "Ozon"}
# The shop / campaign / warehouse each marketplace is connected as in the harness.
SHOPS = {"uzum": "41002", "yandex": "21000002", "wildberries": "1001001", "ozon": None}


async def integrations(harness) -> dict[str, str]:
    async with harness.runtime.sessionmaker() as session:
        rows = await session.scalars(select(MarketplaceIntegration).where(MarketplaceIntegration.status == "active"))
        return {row.marketplace: row.id for row in rows}


async def poll_all(harness, ids: dict[str, str]) -> None:
    for integration_id in ids.values():
        await harness.runtime.jobs.run(JobKind.ORDERS, integration_id)


async def product(harness, sku: str) -> Product:
    async with harness.runtime.sessionmaker() as session:
        return await session.scalar(select(Product).where(Product.sku == sku))


async def count(harness, model, *where) -> int:
    async with harness.runtime.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_orders_on_all_four_alert_once_and_stock_drops_everywhere(harness):
    user = await harness.registered(950)
    for marketplace in ALL:
        await connect(user, marketplace)
    for marketplace in ALL:
        await sync_products(user, TITLES[marketplace])
    await harness.runtime.jobs.run_due_pushes(debounce=0)
    ids = await integrations(harness)

    # An order placed before the first poll is history: recorded silently.
    create_order(harness.marketplaces.state, "ozon", [(7, 1)])
    await poll_all(harness, ids)
    assert await count(harness, Order) == 1 and await count(harness, OutboxMessage) == 0
    before = (await product(harness, "SKU-000005")).stock

    orders = {m: create_order(harness.marketplaces.state, m, [(5, 1)], shop_id=SHOPS[m]) for m in ALL}
    await poll_all(harness, ids)
    await poll_all(harness, ids)  # polling again (or after a restart) changes nothing
    assert (await product(harness, "SKU-000005")).stock == before - 4
    assert await count(harness, StockMovement, StockMovement.reason == "order") == 4
    assert await count(harness, OutboxMessage, OutboxMessage.kind == "new_order") == 4

    await harness.runtime.sender.drain_once()
    alert = await wait_for_text(user, "new order")
    for marketplace, order in orders.items():
        assert str(order.id) in alert.text or any(str(order.id) in (m.text or "") for m in user.messages())

    # Each order of the alert has its button; the card comes as a new message and the alert stays as it was.
    async with harness.runtime.sessionmaker() as session:
        uzum_order = await session.scalar(select(Order).where(Order.integration_id == ids["uzum"],
                                                              Order.baseline == 0))
    await user.press(f"🧾 {uzum_order.external_id}", message=alert)
    card = await wait_for_text(user, "Order #")
    assert card.message_id != alert.message_id and uzum_order.external_id in card.text
    assert next(m for m in user.messages() if m.message_id == alert.message_id).text == alert.text

    await harness.runtime.jobs.run_due_pushes(debounce=0)
    for marketplace in ALL:
        assert sandbox_stock(harness.marketplaces, marketplace, 5) == before - 4, marketplace

    # The buyer cancels the Ozon order: the unit comes back, once, with one message.
    harness.marketplaces.state.orders.set_status(orders["ozon"].id, "cancelled")
    await poll_all(harness, ids)
    await poll_all(harness, ids)
    assert (await product(harness, "SKU-000005")).stock == before - 3
    assert await count(harness, StockMovement, StockMovement.reason == "cancel") == 1
    await harness.runtime.sender.drain_once()
    await wait_for_text(user, "cancelled")
