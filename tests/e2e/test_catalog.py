"""One catalog, one stock: sync products in, set stock once in chat, every marketplace shows it after its rules."""
from __future__ import annotations

from sqlalchemy import func, select

from db.models import Listing, Product, StockMovement
from tests.e2e.conftest import (
    connect,
    press_and_wait,
    sandbox_stock,
    set_sandbox_stock,
    sync_products,
    wait_for_text,
)

ALL = ("uzum", "yandex", "wildberries", "ozon")
TITLES = {"uzum": "Uzum Market", "yandex": "Yandex Market", "wildberries": "Wildberries", "ozon": "Ozon"}


async def open_product(user, sku: str):
    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    await press_and_wait(user, "Products", "Products")
    await press_and_wait(user, "Search", "Send a SKU")
    await user.send(sku)
    await wait_for_text(user, "Search:")
    return await press_and_wait(user, sku, "SKU:")


async def set_stock(user, harness, sku: str, quantity: int):
    await open_product(user, sku)
    await press_and_wait(user, "Set stock", "Send the new stock")
    await user.send(str(quantity))
    card = await wait_for_text(user, "Stock set to")
    await harness.runtime.jobs.run_due_pushes(debounce=0)
    return card


async def test_sync_all_four_then_set_stock_once(harness):
    user = await harness.registered(901)
    for marketplace in ALL:
        await connect(user, marketplace)
    for marketplace in ALL:
        summary = await sync_products(user, TITLES[marketplace])
        assert "40 products synced" in summary.text, summary.text
    async with harness.runtime.sessionmaker() as session:
        # The same SKU on four marketplaces is one product.
        assert await session.scalar(select(func.count()).select_from(Product)) == 40

    card = await set_stock(user, harness, "SKU-000001", 33)
    for marketplace in ALL:
        assert TITLES[marketplace] in card.text
        assert sandbox_stock(harness.marketplaces, marketplace, 1) == 33, marketplace
    # The card now says what every marketplace was sent.
    card = await open_product(user, "SKU-000001")
    assert card.text.count("sent 33") == 4, card.text

    # A buffer on Ozon only: Ozon shows stock minus 2, the others the stock.
    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    await press_and_wait(user, "My marketplaces", "Your marketplaces")
    await press_and_wait(user, "Ozon", "Status")
    await press_and_wait(user, "Stock rules", "Stock rules")
    await press_and_wait(user, "Buffer", "hold back")
    await user.send("2")
    await wait_for_text(user, "Saved")
    await harness.runtime.jobs.run_due_pushes(debounce=0)
    assert sandbox_stock(harness.marketplaces, "ozon", 1) == 31
    await set_stock(user, harness, "SKU-000001", 20)
    assert [sandbox_stock(harness.marketplaces, m, 1) for m in ALL] == [20, 20, 20, 18]

    # Someone changes the stock in Uzum's cabinet: the next sync notices and sends the platform's value back.
    set_sandbox_stock(harness.marketplaces, "uzum", 1, 5)
    summary = await sync_products(user, "Uzum Market")
    assert "SKU-000001" in summary.text and "instead of 20" in summary.text, summary.text
    await harness.runtime.jobs.run_due_pushes(debounce=0)
    assert sandbox_stock(harness.marketplaces, "uzum", 1) == 20


async def test_import_with_a_bad_row_applies_nothing_until_confirmed(harness):
    user = await harness.registered(902)
    await connect(user, "ozon")
    await sync_products(user, "Ozon")
    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    await press_and_wait(user, "Products", "Products")
    await press_and_wait(user, "Import", "Send an Excel")
    csv = "SKU,Stock,Price\nSKU-000002,12,1500\nSKU-999999,5,\nSKU-000003,abc,\n".encode()
    await user.send_document("stock.csv", csv)
    report = await wait_for_text(user, "Import check")
    assert "1 ready, 2 rejected" in report.text
    assert "no product with this SKU" in report.text and "whole number" in report.text
    async with harness.runtime.sessionmaker() as session:
        before = (await session.scalar(select(Product).where(Product.sku == "SKU-000002"))).stock
        assert before != 12
    await press_and_wait(user, "Apply 1 rows", "Applied")
    await press_and_wait(user, "Products", "Products")  # pressing twice must not apply twice
    async with harness.runtime.sessionmaker() as session:
        product = await session.scalar(select(Product).where(Product.sku == "SKU-000002"))
        assert product.stock == 12 and str(product.price) == "1500.00"
        assert await session.scalar(select(func.count()).select_from(StockMovement)
                                    .where(StockMovement.reason == "import")) == 1
    await harness.runtime.jobs.run_due_pushes(debounce=0)
    assert sandbox_stock(harness.marketplaces, "ozon", 2) == 12


async def test_export_gives_the_catalog_as_a_file(harness):
    user = await harness.registered(903)
    await connect(user, "uzum")
    await sync_products(user, "Uzum Market")
    await press_and_wait(user, "Products", "Products")
    await press_and_wait(user, "Export", "which format")
    await user.press("CSV")
    for _ in range(50):
        documents = harness.telegram.documents(user.chat_id)
        if documents:
            break
        import asyncio

        await asyncio.sleep(0.1)
    text = documents[-1].document_bytes.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("SKU,Name,Barcode,Stock,Price")
    assert len(text.splitlines()) == 41 and "SKU-000040" in text


async def test_sync_held_by_another_replica_says_so_in_the_partners_language(harness):
    from db.models import MarketplaceIntegration, Partner
    from services.jobs import JobKind, leases

    user = await harness.registered(915)
    await connect(user, "uzum")
    async with harness.runtime.sessionmaker() as session:
        integration = await session.scalar(select(MarketplaceIntegration.id).join(Partner).where(
            Partner.telegram_id == 915))
        # Another replica is syncing this account right now: it holds the catalog job's lease.
        assert await leases.acquire(session, "other-replica:1:abc", [(JobKind.CATALOG.value, integration)], ttl=600)
        await session.commit()

    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    await press_and_wait(user, "Products", "catalog is empty")
    held = await press_and_wait(user, "Sync products", "a sync is already running")
    assert "Uzum" in held.text and "no need to start another" in held.text, held.text
    assert "products synced" not in held.text  # no empty summary pretending nothing was there
    await press_and_wait(user, "Products", "catalog is empty")  # the way back
    async with harness.runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Product)) == 0  # nothing read twice

    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    await press_and_wait(user, "Language", "Choose your language")
    await press_and_wait(user, "Русский", "Язык: русский")
    await press_and_wait(user, "Товары", "каталог пуст")
    held = await press_and_wait(user, "Синхронизировать товары", "синхронизация уже идёт")
    assert "Главное меню" in " ".join(held.button_texts()), held.button_texts()


async def test_price_for_every_marketplace(harness):
    from decimal import Decimal

    user = await harness.registered(916)
    await connect(user, "uzum")
    await sync_products(user, TITLES["uzum"])
    await open_product(user, "SKU-000002")
    await press_and_wait(user, "Set price", "Send the new price")
    await user.send("free")
    refused = await wait_for_text(user, "Send a price above zero")
    assert "⬅️ Back" in refused.button_texts()  # back to the card, the price untouched
    await user.send("125000")
    card = await wait_for_text(user, "Price set to 125 000")
    assert "SKU-000002" in card.text and "Set stock" in " ".join(card.button_texts())  # the card again, below
    async with harness.runtime.sessionmaker() as session:
        product = await session.scalar(select(Product).where(Product.sku == "SKU-000002"))
    assert product.price == Decimal("125000")

    # A price for Uzum only: the account is picked from the product's listings, typed, and reset again.
    await press_and_wait(user, "Price for one marketplace", "For which marketplace account?")
    ask = await press_and_wait(user, TITLES["uzum"], "only (the common price is 125 000)")
    await user.send("99000")
    await wait_for_text(user, "Price set to 99 000")
    async with harness.runtime.sessionmaker() as session:
        listing = await session.scalar(select(Listing).join(Product).where(Product.sku == "SKU-000002"))
    assert listing.price_override == Decimal("99000")
    await user.press("Use the common price", message=ask)  # the question's own button, still there
    await wait_for_text(user, "SKU-000002")
    async with harness.runtime.sessionmaker() as session:
        listing = await session.scalar(select(Listing).join(Product).where(Product.sku == "SKU-000002"))
    assert listing.price_override is None
