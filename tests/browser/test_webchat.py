"""The demo's web chat in a real browser, as a visitor uses it: connect a marketplace by typing and pressing buttons
and see the card edited in place, upload a CSV, download the export, see an order alert arrive without a reload —
plus the invite deep link, the command menu and a phone-sized window."""
from __future__ import annotations

import re

import pytest
import pytest_asyncio

from sandbox.marketplaces import accounts
from sandbox.marketplaces.orders import create_order
from tests.browser.conftest import DESKTOP, PHONE, browser_required

try:
    from playwright.async_api import Page, expect
except ImportError:  # `make test` installs it (requirements.lock); in CI its absence is a failure
    if browser_required():
        raise
    pytest.skip("playwright is not installed (make test installs it)", allow_module_level=True)

pytestmark = pytest.mark.asyncio(loop_scope="module")

WAIT = 20_000  # ms: one bot round trip is far faster; the machine may be busy


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser, demo):
    context = await browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(WAIT)
    yield page
    await context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def messages(page: Page):
    return page.locator("#messages .msg")


def bot_message(page: Page, text: str | re.Pattern):
    return page.locator("#messages .msg.bot", has_text=text).last


def by_id(page: Page, message_id: int):
    return page.locator(f"#messages .msg[data-id='{message_id}']")


async def last_id(page: Page) -> int:
    ids = await page.locator("#messages .msg").evaluate_all("rows => rows.map(row => Number(row.dataset.id))")
    return max(ids, default=0)


async def new_bot_message(page: Page, after: int, text: str):
    """The first bot message shown after message `after` whose text contains `text` (waits for it)."""
    handle = await page.wait_for_function(
        """([after, text]) => {
            const row = [...document.querySelectorAll("#messages .msg.bot")]
              .find(r => Number(r.dataset.id) > after && r.textContent.includes(text));
            return row ? Number(row.dataset.id) : null;
        }""", arg=[after, text])
    return by_id(page, await handle.json_value())


async def send(page: Page, text: str, answer: str):
    """Type and send `text`; the bot's new message containing `answer`."""
    after = await last_id(page)
    await page.locator("#text").fill(text)
    await page.locator("#text").press("Enter")
    return await new_bot_message(page, after, answer)


async def click(message, button: str, answer: str):
    """Press a button of `message`; the bot edits that message into one containing `answer`."""
    await message.locator(".ikb-btn", has_text=button).first.click()
    await expect(message).to_contain_text(answer)
    return message


async def set_stock(page: Page, sku: str, quantity: int) -> None:
    """Products -> Search -> the product's card -> Set stock, typed."""
    menu = await send(page, "/menu", "Main menu")
    await click(menu, "Products", "Products")
    await click(menu, "Search", "Send a SKU")
    found = await send(page, sku, "Search:")
    await click(found, sku, "SKU:")
    await click(found, "Set stock", "Send the new stock")
    await send(page, str(quantity), f"Stock set to {quantity}")


async def check_orders_now(page: Page, title: str, order_id) -> object:
    """The partner asks for new orders now (the marketplace's Sync status -> Retry now) instead of waiting for the
    next check; the alert of `order_id` that arrives."""
    menu = await send(page, "/menu", "Main menu")
    await click(menu, "My marketplaces", "Your marketplaces")
    await click(menu, title, "Status")
    await click(menu, "Sync status", "Check for new orders every")
    after = await last_id(page)
    await menu.locator(".ikb-btn", has_text="Retry now: orders").click()
    return await new_bot_message(page, after, str(order_id))


async def open_as(page: Page, demo, role: str) -> None:
    await page.goto(demo.url)
    if await page.locator("#guide-open").is_visible():  # a phone: the users are in the guide's drawer
        await page.locator("#guide-open").click()
    await page.locator(f".user-card[data-role='{role}']").click()
    await expect(page.locator(f".user-card[data-role='{role}']")).to_have_attribute("aria-checked", "true")
    await expect(page.locator("#bot-status")).to_have_text("bot")  # the chat is loaded and listening


async def test_a_new_seller_connects_uzum_by_typing_and_pressing(page, demo):
    await page.goto(demo.url)
    await page.locator("#new-user").click()  # the admin makes an invite in the chat; the page opens it
    await expect(page.locator(".user-card[aria-checked='true']")).to_have_attribute("data-role", "new")
    await page.locator("#start-btn").click()
    menu = await new_bot_message(page, 0, "Welcome to SellerCloudX")

    # A button edits the same message in place (Telegram's edit), no new message.
    count = await messages(page).count()
    await click(menu, "Connect a marketplace", "Which marketplace")
    await expect(menu.locator(".meta")).to_contain_text("edited")
    assert await messages(page).count() == count

    await click(menu, "Uzum Market", "Send your Uzum Market API token")
    shops = await send(page, accounts.UZUM_TOKEN, "Which shop")
    # The bot deletes the message holding the key as soon as it read it: it disappears from the page.
    await expect(page.locator("#messages")).not_to_contain_text(accounts.UZUM_TOKEN)
    card = await click(shops, "Samarqand Market", "Connected!")

    # The card, then Pause: the card is edited in place and the callback answer shows as a toast.
    await click(card, "Open the card", "Status: active")
    await click(card, "Pause", "Status: paused")
    await expect(page.locator("#toast")).to_contain_text("Paused")
    await expect(card.locator(".ikb-btn", has_text="Resume")).to_be_visible()
    # The bot's HTML is shown as formatting (a bold title), never as markup.
    await expect(card.locator("strong").first).to_be_visible()
    assert "<b>" not in await card.inner_text()


async def test_a_new_seller_walks_the_whole_path(page, demo):
    """The demo's promise, by clicking only: connect -> sync -> stock change -> order alert -> analytics."""
    from sandbox.marketplaces.uzum import catalog_key

    await page.goto(demo.url)
    await page.locator("#new-user").click()
    await expect(page.locator(".user-card[aria-checked='true']")).to_have_attribute("data-role", "new")
    await page.locator("#start-btn").click()
    menu = await new_bot_message(page, 0, "Welcome to SellerCloudX")
    await click(menu, "Connect a marketplace", "Which marketplace")
    await click(menu, "Uzum Market", "Send your Uzum Market API token")
    shops = await send(page, accounts.UZUM_TOKEN, "Which shop")
    await click(shops, "Samarqand Market", "Connected!")

    menu = await send(page, "/menu", "Main menu")
    # The list, or "your catalog is empty" if the first scheduled sync has not run yet: both offer the sync.
    await click(menu, "Products", "Sync products")
    for _ in range(30):
        await menu.locator(".ikb-btn", has_text="Sync products").click()
        # The progress is shown in a message edited as the sync goes on; or the scheduled first sync of the new
        # connection is running at that moment, and the bot says so in an alert: the seller presses again.
        outcome = await page.wait_for_function(
            """() => [...document.querySelectorAll("#messages .msg.bot")].some(r => r.textContent.includes(
                       "products synced")) ? "synced" : (!document.querySelector("#alert").hidden && document.querySelector(
                       "#alert-text").textContent.includes("already running")) ? "running" : null""", timeout=60_000)
        if await outcome.json_value() == "synced":
            break
        await page.locator("#alert-ok").click()  # the alert is dismissed as a seller does, then pressed again
        await page.wait_for_timeout(1000)
    await expect(bot_message(page, "products synced")).to_contain_text("40 products synced")

    await set_stock(page, "SKU-000003", 30)
    shop = demo.state.catalog("uzum", catalog_key(accounts.UZUM_TOKEN, 41002))
    for _ in range(100):  # the push leaves on its own within seconds
        if shop.get_stock(3) == 30:
            break
        await page.wait_for_timeout(200)
    assert shop.get_stock(3) == 30, "Uzum never received the stock typed in the chat"

    order = create_order(demo.state, "uzum", [(3, 2)], shop_id="41002")
    alert = await check_orders_now(page, "Uzum Market", order.id)
    await expect(alert).to_contain_text("New order")

    menu = await send(page, "/menu", "Main menu")
    after = await last_id(page)
    await page.locator(".rk-btn, .ikb-btn", has_text="Analytics").last.click()
    report = await new_bot_message(page, after, "Orders:")
    photo = report.locator("img.photo")
    await expect(photo).to_be_visible()
    assert await photo.evaluate("img => img.complete && img.naturalWidth > 0"), "the chart did not load"
    first_chart = await photo.get_attribute("src")
    await click(report, "Today", "Today")
    await expect(report.locator(".meta")).to_contain_text("edited")
    await expect(photo).not_to_have_attribute("src", first_chart)
    await expect(report).to_contain_text(re.compile(r"Orders: [1-9]"))  # at least the order just placed


async def test_the_partner_uploads_a_csv(page, demo, tmp_path):
    await open_as(page, demo, "partner")
    menu = await send(page, "/menu", "Main menu")
    await click(menu, "Products", "Products")
    await click(menu, "Import", "Send an Excel")
    csv = tmp_path / "stock.csv"
    csv.write_text("SKU,Stock\nSKU-000002,17\nSKU-999999,5\n")
    after = await last_id(page)
    await page.locator("#file-input").set_input_files(str(csv))
    await expect(page.locator("#messages .msg.user .doc-name", has_text="stock.csv")).to_be_visible()
    report = await new_bot_message(page, after, "Import check")
    await expect(report).to_contain_text("1 ready, 1 rejected")
    await expect(report).to_contain_text("no product with this SKU")
    await click(report, "Apply 1 rows", "Applied")


async def test_the_partner_downloads_the_export(page, demo):
    await open_as(page, demo, "partner")
    menu = await send(page, "/menu", "Main menu")
    await click(menu, "Products", "Products")
    await click(menu, "Export", "In which format")
    after = await last_id(page)
    await menu.locator(".ikb-btn", has_text="CSV").click()
    document = await new_bot_message(page, after, "Your catalog: 40 products")
    await expect(document.locator(".doc-name")).to_have_text("sellercloudx-products.csv")
    async with page.expect_download() as info:
        await document.locator("a.download").click()
    download = await info.value
    assert download.suggested_filename == "sellercloudx-products.csv"
    text = open(await download.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0].startswith("SKU,Name,Barcode,Stock,Price")
    assert len(text.splitlines()) == 41 and "SKU-000040" in text


async def test_an_order_alert_appears_without_a_reload(page, demo):
    await open_as(page, demo, "partner")
    await page.evaluate("window.__sameDocument = true")
    # A buyer orders on Ozon (as the demo's own buyer does every minute) ...
    order = create_order(demo.state, "ozon", [(3, 2)])
    # ... and the partner asks for the orders now instead of waiting for the next minute's check.
    alert = await check_orders_now(page, "Ozon", order.id)
    await expect(alert).to_contain_text("New order")
    assert await page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    after = await last_id(page)
    await alert.locator(".ikb-btn", has_text="Open the order").click()
    await new_bot_message(page, after, f"Order #{order.id}")


async def test_an_invite_link_opens_the_chat_as_a_new_user(page, demo):
    await open_as(page, demo, "admin")
    admin_menu = await send(page, "/admin", "Administration")
    await click(admin_menu, "Create invite", "Invite created")
    await admin_menu.locator("a[href*='?start=']").last.click()
    await expect(page.locator(".user-card[aria-checked='true']")).to_have_attribute("data-role", "new")
    await page.locator("#start-btn").click()
    await new_bot_message(page, 0, "Welcome to SellerCloudX")
    # The same link cannot be used twice: the next new user who opens it gets the bot's refusal.
    await open_as(page, demo, "admin")
    await by_id(page, int(await admin_menu.get_attribute("data-id"))).locator("a[href*='?start=']").last.click()
    await expect(page.locator("#start-btn")).to_be_visible()
    await page.locator("#start-btn").click()
    await new_bot_message(page, 0, "not valid")


async def test_the_command_menu_and_a_phone_sized_window(browser, demo):
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    page.set_default_timeout(WAIT)
    try:
        await page.goto(demo.url + "/?user=2001")
        await expect(page.locator("#bot-status")).to_have_text("bot")
        await expect(page.locator("#guide")).not_to_be_in_viewport()  # the guide is a drawer on a phone
        await page.locator("#menu-btn").click()
        await expect(page.locator("#command-menu")).to_contain_text("/help")
        after = await last_id(page)
        await page.locator("#command-menu button", has_text="/help").click()
        await new_bot_message(page, after, "How to use SellerCloudX")
        await page.locator("#guide-open").click()
        await expect(page.locator("#guide")).to_be_in_viewport()
        copy = page.locator(".copy").first
        await copy.click()
        await expect(copy).to_have_text("Copied")
        await page.locator("#guide-close").click()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is wider than the phone: {width}px"
    finally:
        await context.close()
