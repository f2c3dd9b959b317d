"""Cost prices and stock cover, through the real polling loop: a partner types a cost price on a product card and sees
it with the margin; after orders arrive the products list shows each product's days of stock, marks the one running
out, and the "runs out" alert comes once (not again the next hour), with a button that opens the product."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from db.models import AuditLog, Product
from sandbox.marketplaces.orders import create_order
from services.jobs import GlobalJob
from tests.e2e.conftest import connect, press_and_wait, sync_products, wait_for_text
from tests.e2e.test_catalog import open_product, set_stock
from tests.e2e.test_orders import integrations, poll_all

SKU = "SKU-000005"


async def product(harness, sku: str) -> Product:
    async with harness.runtime.sessionmaker() as session:
        return await session.scalar(select(Product).where(Product.sku == sku))


async def test_cost_price_typed_in_chat_shows_on_the_card(harness):
    user = await harness.registered(7301)
    await connect(user, "uzum")
    await sync_products(user, "Uzum Market")
    card = await open_product(user, "SKU-000001")
    assert "Cost price: not set" in card.text
    price = (await product(harness, "SKU-000001")).price

    await press_and_wait(user, "💵 Cost price", "Send what one unit costs you")
    await user.send("12,000")  # ambiguous, as with prices: refused with an example, the way back offered
    refused = await wait_for_text(user, "Send a cost price above zero")
    assert "85000" in refused.text and "Back" in " ".join(refused.button_texts())
    await user.send("850,50")
    card = await wait_for_text(user, "Cost price set to 850.50")
    assert "Cost price: 850.50" in card.text
    assert price, "the synced product has a price: the card shows the margin"
    margin = price - Decimal("850.50")
    percent = (margin / price * 100).quantize(Decimal("1"))
    assert f"Margin before marketplace fees: {margin:,.2f} ({percent}% of the price)".replace(",", " ") in card.text, \
        card.text
    assert (await product(harness, "SKU-000001")).cost_price == Decimal("850.50")
    async with harness.runtime.sessionmaker() as session:
        assert await session.scalar(select(AuditLog.details).where(AuditLog.action == "product.cost_price"))

    # "-" clears it; so does the button.
    await press_and_wait(user, "💵 Cost price", "cost price now 850.50")
    await user.send("-")
    card = await wait_for_text(user, "Cost price cleared")
    assert "Cost price: not set" in card.text and (await product(harness, "SKU-000001")).cost_price is None
    await press_and_wait(user, "💵 Cost price", "Send what one unit costs you")
    await user.send("990")
    await wait_for_text(user, "Cost price set to 990")
    await press_and_wait(user, "💵 Cost price", "cost price now 990")
    card = await press_and_wait(user, "Clear the cost price", "Cost price: not set")
    assert (await product(harness, "SKU-000001")).cost_price is None


async def test_products_list_shows_cover_and_the_runs_out_alert_comes_once(harness):
    user = await harness.registered(7302)
    await connect(user, "uzum")
    await sync_products(user, "Uzum Market")
    await set_stock(user, harness, SKU, 20)
    ids = await integrations(harness)
    await poll_all(harness, ids)  # the silent baseline
    state = harness.marketplaces.state
    for _ in range(2):
        create_order(state, "uzum", [(5, 8)], shop_id="41002")
    create_order(state, "uzum", [(6, 1)], shop_id="41002")
    await poll_all(harness, ids)
    assert (await product(harness, SKU)).stock == 4  # 16 sold in 14 days: 4 left last about 3.5 days

    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    listing = await press_and_wait(user, "Products", "page 1")  # SKU-000001..8
    labels = listing.button_texts()
    running_out = next(t for t in labels if SKU in t)
    assert running_out.startswith("⏳") and running_out.endswith("· 4 · ≈ 3 d."), labels
    steady = next(t for t in labels if "SKU-000006" in t)  # 1 sold: days of cover, no mark
    assert "≈" in steady and not steady.startswith("⏳"), labels
    assert not any("≈" in t for t in labels if "SKU-000007" in t), "nothing sold: no cover shown"
    assert "runs out within 7 days" in listing.text

    # The hourly check: one alert, not again the next time.
    assert await harness.runtime.jobs.run_global(GlobalJob.STOCK_COVER) == 1
    await harness.runtime.sender.drain_once()
    alert = await wait_for_text(user, "Runs out soon")
    assert SKU in alert.text and "4 left" in alert.text and "about 3 days" in alert.text
    assert await harness.runtime.jobs.run_global(GlobalJob.STOCK_COVER) == 0
    await harness.runtime.sender.drain_once()
    assert sum("Runs out soon" in (m.text or "") for m in user.messages()) == 1
    card = await press_and_wait(user, "Open the product", "SKU:")
    assert SKU in card.text and card.message_id != alert.message_id

    # The partner shortens the horizon: 3 days; the product is no longer within it.
    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    await press_and_wait(user, "Notifications", "Notifications")
    await press_and_wait(user, "Runs out within", "at most how many days")
    settings = await press_and_wait(user, "3 days", "lasts 3 days or less")
    assert "✅" not in " ".join(settings.button_texts())
    presets = await press_and_wait(user, "Runs out within", "at most how many days")
    assert "✅ 3 days" in presets.button_texts()


async def test_import_preview_counts_cost_price_changes(harness):
    user = await harness.registered(7303)
    await connect(user, "uzum")
    await sync_products(user, "Uzum Market")
    await press_and_wait(user, "Products", "Products")
    await press_and_wait(user, "Import", "Cost price")
    data = "SKU,Stock,Cost price\nSKU-000002,,700\nSKU-000003,9,\nSKU-000004,,abc\n".encode()
    await user.send_document("costs.csv", data)
    report = await wait_for_text(user, "Import check")
    assert "2 ready, 1 rejected" in report.text and "Cost prices to change: 1" in report.text, report.text
    assert "cost price must be above zero" in report.text
    applied = await press_and_wait(user, "Apply 2 rows", "Applied")
    assert "Cost prices changed: 1" in applied.text
    assert (await product(harness, "SKU-000002")).cost_price == Decimal("700.00")
    assert (await product(harness, "SKU-000003")).cost_price is None  # empty: unchanged
