"""python -m tests.browser.screenshots [DIR] — the screenshots in docs/screenshots/, taken with Playwright and the
OS's Chromium from a fresh demo (the same stack as `make demo`), on desktop and phone sizes.

Each scene is played the way a visitor would: pressing buttons and typing in the web chat.
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from playwright.async_api import Page, async_playwright, expect

from sandbox.demo import Demo
from sandbox.marketplaces import accounts
from sandbox.marketplaces.orders import create_order
from tests.browser.conftest import CHROMIUM_ARGS, DESKTOP, PHONE, find_chromium
from tests.browser.test_webchat import check_orders_now, click, last_id, new_bot_message, open_as, send, set_stock

ROOT = Path(__file__).resolve().parents[2]
WAIT = 30_000


async def settle(page: Page) -> None:
    await page.wait_for_timeout(1300)  # the "edited" flash has faded
    await expect(page.locator("#toast")).to_be_hidden(timeout=10_000)


async def order_alert(page: Page, demo: Demo, marketplace: str, title: str) -> None:
    """A buyer orders; the partner asks for new orders now (Sync status → Retry now) and the alert arrives."""
    order = create_order(demo.state, marketplace, [(7, 1), (12, 2)] if marketplace != "wildberries" else [(7, 1)])
    await check_orders_now(page, title, order.id)


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    executable = find_chromium()
    if executable is None:
        sys.exit("no Chromium found (apt-get install chromium)")
    demo = Demo(Path(tempfile.mkdtemp(prefix="scx-screens-")), port=0, orders_every=None, seed=11)
    try:
        await demo.start()
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            zone = {"timezone_id": "Asia/Tashkent", "locale": "en-GB"}  # the partner's time, as the bot shows it
            desktop = await browser.new_context(viewport=DESKTOP, **zone)
            phone = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                              **zone)
            for context in (desktop, phone):
                context.set_default_timeout(WAIT)

            # 1. The partner: an order alert arrived, then the main menu (desktop, with the guide).
            page = await desktop.new_page()
            await open_as(page, demo, "partner")
            await order_alert(page, demo, "uzum", "Uzum Market")
            await send(page, "/menu", "Main menu")
            await settle(page)
            await page.screenshot(path=out / "demo-desktop.png")

            # 2. A new seller connects Uzum: the key message is gone, the shops are buttons (desktop).
            await page.locator("#new-user").click()
            await expect(page.locator(".user-card[aria-checked='true']")).to_have_attribute("data-role", "new")
            await page.locator("#start-btn").click()
            menu = await new_bot_message(page, 0, "Welcome to SellerCloudX")
            await click(menu, "Connect a marketplace", "Which marketplace")
            await click(menu, "Uzum Market", "Send your Uzum Market API token")
            await send(page, accounts.UZUM_TOKEN, "Which shop")
            await expect(page.locator("#messages")).not_to_contain_text(accounts.UZUM_TOKEN)
            await settle(page)
            await page.screenshot(path=out / "connect-desktop.png")

            # 3. Files: the catalog exported as CSV, then an import checked row by row (desktop).
            await open_as(page, demo, "partner")
            menu = await send(page, "/menu", "Main menu")
            await click(menu, "Products", "Products")
            await click(menu, "Export", "In which format")
            after = await last_id(page)
            await menu.locator(".ikb-btn", has_text="CSV").click()
            await new_bot_message(page, after, "Your catalog")
            menu = await send(page, "/menu", "Main menu")
            await click(menu, "Products", "Products")
            await click(menu, "Import", "Send an Excel")
            upload = Path(tempfile.mkdtemp()) / "stock-update.csv"
            upload.write_text("SKU,Stock,Price\nSKU-000004,25,\nSKU-000005,12,1890\nSKU-000099,3,\nSKU-000006,many,\n")
            after = await last_id(page)
            await page.locator("#file-input").set_input_files(str(upload))
            await new_bot_message(page, after, "Import check")
            await settle(page)
            await page.screenshot(path=out / "files-desktop.png")

            # 4. Phone: an Ozon order alert and its card.
            page = await phone.new_page()
            await open_as(page, demo, "partner")
            await order_alert(page, demo, "ozon", "Ozon")
            alert = page.locator("#messages .msg.bot", has_text="New order").last
            after = await last_id(page)
            await alert.locator(".ikb-btn", has_text="Open the order").first.click()
            await new_bot_message(page, after, "Order #")
            await settle(page)
            await page.screenshot(path=out / "order-phone.png")

            # 5. Phone: a stock changed once for all four marketplaces.
            await set_stock(page, "SKU-000003", 30)
            await settle(page)
            await page.screenshot(path=out / "stock-phone.png")

            # 6. Phone: the guide drawer with the test credentials.
            await page.locator("#guide-open").click()
            await expect(page.locator("#guide")).to_be_in_viewport()
            await page.locator("#steps li").nth(3).evaluate("li => li.scrollIntoView({block: 'start'})")
            await page.wait_for_timeout(400)
            await page.screenshot(path=out / "guide-phone.png")
            await browser.close()
    finally:
        await demo.stop()
    for path in sorted(out.glob("*.png")):
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"))
