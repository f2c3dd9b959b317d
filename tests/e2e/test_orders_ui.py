"""Orders, notification settings and the sync dashboard from the chat: the list with its filters, an order
card, confirm / cancel (with a reason) / ship after a confirmation step, an action the marketplace lacks, forged
order ids; mute toggles, quiet hours and the low-stock threshold saved; the dashboard's runs, poll interval and
"retry now"."""
from __future__ import annotations

from sqlalchemy import or_, select, update

from services.jobs import JobKind
from bot import formatting as fmt
from bot.callbacks import DashCb, NotifCb, OrderCb, OrdersCb
from db.models import MarketplaceIntegration, Order, Partner, now
from sandbox.marketplaces.catalog import Lifecycle
from sandbox.marketplaces.orders import create_order
from services.jobs import schedule
from services.outbox.policy import prefs_of
from tests.e2e.conftest import connect, press_and_wait, wait_for_text


async def integration_ids(harness, telegram_id: int) -> dict[str, str]:
    async with harness.runtime.sessionmaker() as session:
        partner = await session.scalar(select(Partner).where(Partner.telegram_id == telegram_id))
        rows = await session.scalars(select(MarketplaceIntegration).where(
            MarketplaceIntegration.partner_id == partner.id, MarketplaceIntegration.status == "active"))
        return {row.marketplace: row.id for row in rows}


def of_sandbox(order_id):
    """Our row of a sandbox order (Ozon's posting number is the order id plus a suffix)."""
    return or_(Order.external_id == str(order_id), Order.external_id.like(f"{order_id}-%"))


async def order_row(harness, sandbox_id) -> Order:
    async with harness.runtime.sessionmaker() as session:
        return await session.scalar(select(Order).where(of_sandbox(sandbox_id)))


async def partner_of(harness, telegram_id: int) -> Partner:
    async with harness.runtime.sessionmaker() as session:
        return await session.scalar(select(Partner).where(Partner.telegram_id == telegram_id))


async def poll(harness, ids: dict[str, str]) -> None:
    for integration_id in ids.values():
        await harness.runtime.jobs.run(JobKind.ORDERS, integration_id)


async def open_orders(user, needle: str = "Orders"):
    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    return await press_and_wait(user, "Orders", needle)


def button_texts(message) -> list[str]:
    return [b.text for row in message.buttons for b in row]


async def test_orders_list_filters_card_and_actions(harness):
    state = harness.marketplaces.state
    user = await harness.registered(970)
    await connect(user, "ozon")
    await connect(user, "uzum")
    ids = await integration_ids(harness, 970)
    await poll(harness, ids)  # the silent baseline

    empty = await open_orders(user, "No orders yet")
    assert "All marketplaces" in empty.text

    first = create_order(state, "ozon", [(1, 2)])
    second = create_order(state, "ozon", [(2, 1)])
    uzum = create_order(state, "uzum", [(3, 1)], shop_id="41002")
    await poll(harness, ids)
    # One order placed long ago (for the period filter).
    async with harness.runtime.sessionmaker() as session:
        await session.execute(update(Order).where(of_sandbox(second.id))
                              .values(placed_at=now() - 10 * 86400))
        await session.commit()

    listing = await open_orders(user, "Orders: 3")
    labels = button_texts(listing)
    for order in (first, second, uzum):
        assert any(f"#{order.id}" in label for label in labels), labels
    # Newest first: the old one is last; each button says marketplace, id, sum and status.
    order_labels = [label for label in labels if "#" in label]
    assert f"#{second.id}" in order_labels[-1]
    assert any(label.startswith("Uzum Market · #") and "UZS" in label and "new" in label for label in order_labels)
    # What they sold, per currency (sums in sums and roubles are never added together).
    sold = next(line for line in listing.text.splitlines() if line.startswith("💰"))
    assert sold.startswith("💰 Sold: 3 orders for ") and "RUB" in sold and "UZS" in sold, sold

    # Filters: marketplace, status, period — and clearing them.
    await press_and_wait(user, "All marketplaces", "which marketplace")
    only_uzum = await press_and_wait(user, "Uzum Market", "Orders: 1")
    async with harness.runtime.sessionmaker() as session:
        uzum_total = await session.scalar(select(Order.total).where(of_sandbox(uzum.id)))
    assert f"💰 Sold: 1 order for {fmt.money(uzum_total)} UZS" in only_uzum.text, only_uzum.text
    assert [label for label in button_texts(only_uzum) if "#" in label] == [
        label for label in order_labels if f"#{uzum.id}" in label]
    await press_and_wait(user, "Clear filters", "Orders: 3")
    await press_and_wait(user, "All statuses", "which status")
    await press_and_wait(user, "cancelled", "No orders match")
    await press_and_wait(user, "Clear filters", "Orders: 3")
    await press_and_wait(user, "All time", "placed when")
    week = await press_and_wait(user, "Last 7 days", "Orders: 2")
    assert not any(f"#{second.id}" in label for label in button_texts(week))
    await press_and_wait(user, "Last 7 days", "placed when")
    await press_and_wait(user, "Today", "Orders: 2")
    await press_and_wait(user, "Today", "placed when")
    await press_and_wait(user, "Last 30 days", "Orders: 3")

    # The card.
    card = await press_and_wait(user, f"#{first.id}", f"Order #{first.id}")
    for part in ("Ozon · ", "SKU-000001", "× ", "Total:", "RUB", "FBS", "Ship by:",
                 "awaiting_packaging", "new"):
        assert part in card.text, (part, card.text)
    assert "Confirm" in " ".join(button_texts(card)) and "Cancel the order" in " ".join(button_texts(card))

    # Confirm, with a confirmation step ("No" changes nothing).
    await press_and_wait(user, "Confirm", f"Confirm order #{first.id}")
    await press_and_wait(user, "No", f"Order #{first.id}")
    assert state.orders.orders[first.id].status == Lifecycle.NEW
    await press_and_wait(user, "Confirm", f"Confirm order #{first.id}")
    done = await press_and_wait(user, "Yes, confirm", "is confirmed", timeout=15)
    assert "Marketplace status:" in done.text
    assert state.orders.orders[first.id].status == Lifecycle.CONFIRMED
    async with harness.runtime.sessionmaker() as session:  # the next poll is due at once
        assert (await schedule.of(session, ids["ozon"]))["orders"].next_run_at <= now()
    await poll(harness, ids)
    assert (await order_row(harness, first.id)).state == "active"
    card = await press_and_wait(user, "Open the order", f"Order #{first.id}")
    assert "in progress" in card.text and "Yes, confirm" not in " ".join(button_texts(card))
    assert not any(text == "✅ Confirm" for text in button_texts(card))

    # Cancel with a reason.
    await press_and_wait(user, "Orders", "Orders: 3")
    await press_and_wait(user, f"#{second.id}", f"Order #{second.id}")
    reasons = await press_and_wait(user, "Cancel the order", "Why cancel")
    assert {"Out of stock", "The buyer asked", "Other reason"} <= set(button_texts(reasons))
    await press_and_wait(user, "Out of stock", "reason: Out of stock")
    await press_and_wait(user, "Yes, cancel it", "is cancelled", timeout=15)
    sandbox_order = state.orders.orders[second.id]
    assert sandbox_order.status == Lifecycle.CANCELLED and sandbox_order.extra.get("cancel_reason_id") == 352
    await poll(harness, ids)
    assert (await order_row(harness, second.id)).state == "cancelled"

    # Uzum has no "ship" call: no button, the card says how it is done; a forced press is explained.
    await press_and_wait(user, "Orders", "Orders: 3")
    card = await press_and_wait(user, f"#{uzum.id}", f"Order #{uzum.id}")
    assert "Ship" not in " ".join(button_texts(card)) and "drop-off point" in card.text
    row = await order_row(harness, uzum.id)
    await user.forge_callback(OrderCb(action="ask", id=row.id, arg="ship").pack())
    await wait_for_text(user, f"Mark order #{uzum.id}")
    refused = await press_and_wait(user, "Yes, ship", "does not offer this action", timeout=15)
    assert "Uzum Market" in refused.text
    assert state.orders.orders[uzum.id].status == Lifecycle.NEW
    # Uzum cancellation with a reason Uzum lists (its own codes).
    await press_and_wait(user, "Open the order", f"Order #{uzum.id}")
    await press_and_wait(user, "Cancel the order", "Why cancel")
    await press_and_wait(user, "The buyer asked", "reason: The buyer asked")
    await press_and_wait(user, "Yes, cancel it", "is cancelled", timeout=15)
    assert state.orders.orders[uzum.id].status == Lifecycle.CANCELLED

    # A cancelled order offers no actions; a stale "yes" button for it is refused without a marketplace call.
    calls = len(harness.marketplace_calls())
    callback_id = await user.forge_callback(OrderCb(action="do", id=(await order_row(harness, second.id)).id,
                                                    arg="confirm").pack())
    answer = await user.wait_callback_answer(callback_id)
    assert "no longer" in answer["text"] and answer.get("show_alert")
    assert len(harness.marketplace_calls()) == calls


async def test_forged_order_ids_are_refused(harness):
    state = harness.marketplaces.state
    owner = await harness.registered(975)
    await connect(owner, "ozon")
    ids = await integration_ids(harness, 975)
    await poll(harness, ids)
    order = create_order(state, "ozon", [(4, 1)])
    await poll(harness, ids)
    target = await order_row(harness, order.id)

    intruder = await harness.registered(976)
    await open_orders(intruder, "No orders yet")
    calls = len(harness.marketplace_calls())
    for action, arg in (("open", ""), ("reasons", ""), ("ask", "confirm"), ("do", "confirm"),
                        ("do", "cancel_stock"), ("do", "ship")):
        callback_id = await intruder.forge_callback(OrderCb(action=action, id=target.id, arg=arg).pack())
        answer = await intruder.wait_callback_answer(callback_id)
        assert "not yours" in answer["text"] and answer.get("show_alert"), (action, answer)
    for garbage in ("od:do:not-an-id:cancel_stock", f"od:do:{target.id}:cancel_everything", "od:zap:x",
                    "ol:set:mp:amazon", "ol:set:st:lost", "ol:pick:zz:"):
        callback_id = await intruder.forge_callback(garbage)
        assert (await intruder.wait_callback_answer(callback_id))["text"]
    assert len(harness.marketplace_calls()) == calls  # nothing reached a marketplace
    assert state.orders.orders[order.id].status == Lifecycle.NEW
    assert all(f"#{order.id}" not in (m.text or "") for m in intruder.messages())
    # The intruder's own (empty) list stays empty even with the owner's marketplace as a filter.
    callback_id = await intruder.forge_callback(OrdersCb(action="set", key="mp", value="ozon").pack())
    assert "out of date" in (await intruder.wait_callback_answer(callback_id))["text"]


async def test_notification_settings_are_saved(harness):
    user = await harness.registered(971)
    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    screen = await press_and_wait(user, "Notifications", "New orders: on")
    assert "Quiet hours: off" in screen.text and "3 or fewer" in screen.text

    await press_and_wait(user, "New orders", "New orders: muted")
    await press_and_wait(user, "Low stock", "Low stock: muted")
    assert prefs_of(await partner_of(harness, 971)).muted == {"new_order", "low_stock"}
    await press_and_wait(user, "New orders", "New orders: on")
    assert prefs_of(await partner_of(harness, 971)).muted == {"low_stock"}

    await press_and_wait(user, "Quiet hours", "When should alerts wait")
    await press_and_wait(user, "22:00–08:00", "Quiet hours: 22:00–08:00")
    assert prefs_of(await partner_of(harness, 971)).quiet == (22, 8)
    await press_and_wait(user, "Quiet hours", "When should alerts wait")
    await press_and_wait(user, "off", "Quiet hours: off")
    assert prefs_of(await partner_of(harness, 971)).quiet is None
    await press_and_wait(user, "Quiet hours", "When should alerts wait")
    await press_and_wait(user, "23:00–07:00", "Quiet hours: 23:00–07:00")

    await press_and_wait(user, "Low-stock threshold", "Send the stock")
    for bad in ("abc", "-1", "1000001", "2.5"):
        await user.send(bad)
        await wait_for_text(user, "whole number from 0 to 1 000 000")
    await user.send("7")
    await wait_for_text(user, "threshold set to 7")
    prefs = prefs_of(await partner_of(harness, 971))
    assert (prefs.low_stock, prefs.quiet, prefs.muted) == (7, (23, 7), {"low_stock"})

    for forged in (NotifCb(action="mute", arg="everything"), NotifCb(action="quiet", arg="5-6")):
        callback_id = await user.forge_callback(forged.pack())
        assert "out of date" in (await user.wait_callback_answer(callback_id))["text"]
    assert prefs_of(await partner_of(harness, 971)) == prefs


async def test_sync_dashboard_runs_interval_and_retry(harness):
    user = await harness.registered(973)
    await connect(user, "ozon")
    ids = await integration_ids(harness, 973)
    await poll(harness, ids)
    # A failing poll: the marketplace answers 5xx.
    harness.marketplaces.inject("ozon", "^/v4/posting/fbs/.*", "5xx", times=50)
    await poll(harness, ids)

    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    await press_and_wait(user, "My marketplaces", "Ozon")
    await press_and_wait(user, "Ozon", "Status")
    dashboard = await press_and_wait(user, "Sync status", "Sync status: Ozon")
    text = dashboard.text
    assert "Orders — every 5 min, next" in text, text
    assert "✅" in text and "new 0" in text, text
    assert "❌" in text and "failed" in text and "not answering" in text, text
    assert "Catalog" in text and "Stock sent" in text and "no runs yet" in text
    assert "✅ 5 min" in button_texts(dashboard)

    changed = await press_and_wait(user, "15 min", "Sync status: Ozon")
    assert "Orders — every 15 min" in changed.text and "✅ 15 min" in button_texts(changed)
    async with harness.runtime.sessionmaker() as session:
        assert (await schedule.of(session, ids["ozon"]))["orders"].interval_seconds == 900

    async with harness.runtime.sessionmaker() as session:
        before = (await schedule.of(session, ids["ozon"]))["catalog"].next_run_at
    assert before > now() + 60
    await user.press("Retry now: catalog")
    assert "starting now" in (await user.wait_callback_answer())["text"]
    async with harness.runtime.sessionmaker() as session:
        assert (await schedule.of(session, ids["ozon"]))["catalog"].next_run_at <= now()
    await harness.runtime.jobs.run(JobKind.CATALOG, ids["ozon"])
    refreshed = await press_and_wait(user, "Refresh", "listings")
    assert "Catalog" in refreshed.text

    # Another partner's integration, and values outside the offered ones, change nothing.
    intruder = await harness.registered(974)
    for forged in (DashCb(action="open", id=ids["ozon"]), DashCb(action="every", id=ids["ozon"], arg="60"),
                   DashCb(action="run", id=ids["ozon"], arg="orders")):
        callback_id = await intruder.forge_callback(forged.pack())
        answer = await intruder.wait_callback_answer(callback_id)
        assert "not yours" in answer["text"] and answer.get("show_alert")
    callback_id = await user.forge_callback(DashCb(action="every", id=ids["ozon"], arg="7").pack())
    assert "out of date" in (await user.wait_callback_answer(callback_id))["text"]
    async with harness.runtime.sessionmaker() as session:
        assert (await schedule.of(session, ids["ozon"]))["orders"].interval_seconds == 900


async def test_orders_list_pages(harness):
    state = harness.marketplaces.state
    user = await harness.registered(977)
    await connect(user, "ozon")
    ids = await integration_ids(harness, 977)
    await poll(harness, ids)
    made = [create_order(state, "ozon", [(i, 1)]) for i in range(1, 13)]
    await poll(harness, ids)

    first = await open_orders(user, "Orders: 12 (page 1 of 2)")
    shown = [label for label in button_texts(first) if "#" in label]
    assert len(shown) == 10 and f"#{made[-1].id}" in shown[0]  # newest first
    second = await press_and_wait(user, "▶️", "page 2 of 2")
    shown = [label for label in button_texts(second) if "#" in label]
    assert len(shown) == 2 and f"#{made[0].id}" in shown[-1]
    # Back from a card returns to the page it was opened from.
    await press_and_wait(user, f"#{made[0].id}", f"Order #{made[0].id}")
    await press_and_wait(user, "Orders", "page 2 of 2")
    await press_and_wait(user, "◀️", "page 1 of 2")
