"""The end-to-end harness: the real aiogram polling loop against the sandbox Telegram server, sandbox
marketplaces behind it, and every marketplace call checked against the official spec on the way."""
from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field

import pytest
from cryptography.fernet import Fernet

from bot.config import Settings
from bot.runtime import Runtime, prepare
from connectors.base import Marketplace
from connectors.clock import ScaledClock
from sandbox.marketplaces import MarketplaceSandbox, SandboxState
from sandbox.telegram import SandboxUser, SentMessage, TelegramSandbox
from tests.conftest import SCAN_DIR
from tests.support.contract import SpecValidatingTransport

BOT_TOKEN = "123456789:SANDBOXtokenForTheE2eSuite_abcdefghij"
MARKETPLACE_SPEED = 30
ADMIN_ID = 900001


@dataclass
class Harness:
    telegram: TelegramSandbox
    marketplaces: MarketplaceSandbox
    runtime: Runtime
    transports: list[SpecValidatingTransport] = field(default_factory=list)

    def user(self, user_id: int, *, language_code: str = "en", first_name: str = "Test") -> SandboxUser:
        return self.telegram.user(user_id, language_code=language_code, first_name=first_name)

    async def registered(self, user_id: int, *, language_code: str = "en") -> SandboxUser:
        """A partner who came through an admin's invite link."""
        from services import partners

        async with self.runtime.sessionmaker() as session:
            invite = await partners.create_invite(session, admin_telegram_id=ADMIN_ID)
            await session.commit()
        user = self.user(user_id, language_code=language_code)
        await user.send(f"/start {invite.code}")
        await wait_for_text(user, "Main menu" if language_code == "en" else "")
        return user

    def marketplace_calls(self) -> list[tuple[str, str, int]]:
        return [call for t in self.transports for call in t.calls]


async def wait_for_text(user: SandboxUser, needle: str, timeout: float = 8.0) -> SentMessage:
    """The next message or edit whose text contains `needle` (skipping progress messages before it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    seen = []
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"no message containing {needle!r} within {timeout}s; saw: {seen[-6:]}")
        try:
            message = await user.next_update(timeout=remaining)
        except AssertionError:
            raise AssertionError(f"no message containing {needle!r} within {timeout}s; saw: {seen[-6:]}") from None
        seen.append((message.text or "")[:120])
        if needle in (message.text or ""):
            return message


async def press_and_wait(user: SandboxUser, button: str, needle: str, timeout: float = 8.0) -> SentMessage:
    await user.press(button)
    return await wait_for_text(user, needle, timeout)


@pytest.fixture
async def harness():
    telegram = TelegramSandbox()
    # Marketplace time runs fast for both sides, so waits the published limits demand (Ozon: the same item's
    # stock at most once per 30 s) keep their shape but take a fraction of a second.
    clock = ScaledClock(MARKETPLACE_SPEED)
    marketplaces = MarketplaceSandbox(state=SandboxState(clock=clock.now))
    await telegram.start()
    await marketplaces.start()
    workdir = tempfile.mkdtemp(dir=SCAN_DIR)  # scanned for plaintext keys after the suite
    settings = Settings(
        _env_file=None,
        BOT_TOKEN=BOT_TOKEN,
        ADMIN_IDS=str(ADMIN_ID),
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir}/bot.sqlite3",
        ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        TELEGRAM_API_URL=telegram.url,
        REGISTRATION="invite",
        DATA_DIR=workdir,
        REDIS_URL=None,  # one process with its dialogs in memory: a fresh start per test (CI sets REDIS_URL)
        TELEGRAM_WEBHOOK_URL=None,
        **marketplaces.env(),
    )
    transports: list[SpecValidatingTransport] = []

    def transport_for(marketplace: Marketplace) -> SpecValidatingTransport:
        transport = SpecValidatingTransport(marketplace, strict=False)
        transports.append(transport)
        return transport

    runtime = await prepare(settings, transport_for=transport_for, with_scheduler=False, clock=clock)
    polling = asyncio.create_task(
        runtime.dispatcher.start_polling(runtime.bot, polling_timeout=1, handle_signals=False)
    )
    h = Harness(telegram, marketplaces, runtime, transports)
    try:
        yield h
    finally:
        await runtime.dispatcher.stop_polling()
        await asyncio.wait_for(polling, 10)
        await runtime.close()
        await marketplaces.stop()
        await telegram.stop()
    violations = [v for t in transports for v in t.violations]
    assert not violations, "marketplace calls that break the official spec:\n" + "\n".join(map(str, violations))


# ---- connecting and reading the sandbox marketplaces' state (issue 4+) ----

# What each default sandbox account is connected as in these tests: (button, credentials, shop/warehouse to pick)
CONNECT = {
    "uzum": ("Uzum Market", (), "Samarqand Market"),
    "yandex": ("Yandex Market", (), "Toshkent Savdo DBS"),
    "wildberries": ("Wildberries", (), "Sandbox sklad Toshkent"),
    "ozon": ("Ozon", (), "Sandbox FBS Moskva"),
}


async def connect(user: SandboxUser, marketplace: str) -> None:
    from sandbox.marketplaces import accounts

    typed = {"uzum": [accounts.UZUM_TOKEN], "yandex": [accounts.YANDEX_API_KEY], "wildberries": [accounts.WB_TOKEN],
             "ozon": [accounts.OZON_CLIENT_ID, accounts.OZON_API_KEY]}[marketplace]
    button, _, pick = CONNECT[marketplace]
    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    await press_and_wait(user, "Connect a marketplace", "Which marketplace")
    await press_and_wait(user, button, "Client ID" if marketplace == "ozon" else "Send your")
    if marketplace == "ozon":
        await user.send(typed.pop(0))
        await wait_for_text(user, "Step 2 of 2")
    await user.send(typed[0])
    await wait_for_text(user, "Which", timeout=15)
    await press_and_wait(user, pick, "Connected!", timeout=15)


def sandbox_stock(marketplaces: MarketplaceSandbox, marketplace: str, index: int) -> int:
    """What the marketplace's sandbox state shows for product `index` of the account connected by `connect`."""
    from sandbox.marketplaces import accounts
    from sandbox.marketplaces.uzum import catalog_key
    from sandbox.marketplaces.yandex import WAREHOUSE_ID_BASE

    state = marketplaces.state
    if marketplace == "uzum":
        return state.catalog("uzum", catalog_key(accounts.UZUM_TOKEN, 41002)).get_stock(index)
    if marketplace == "yandex":
        return state.catalog("yandex", accounts.YANDEX_API_KEY).get_stock(
            index, str(WAREHOUSE_ID_BASE + accounts.YANDEX_CAMPAIGN_IDS[1]))
    if marketplace == "wildberries":
        return state.catalog("wildberries", accounts.WB_SELLER_ID).get_stock(index, "1001001")
    # Ozon keeps present stock and shows free stock = present - units held by open orders.
    from sandbox.marketplaces.ozon import reservations

    held = reservations(state, accounts.OZON_CLIENT_ID).get((index, "22000000000001"), 0)
    return state.catalog("ozon", accounts.OZON_CLIENT_ID).get_stock(index, "22000000000001") - held


def set_sandbox_stock(marketplaces: MarketplaceSandbox, marketplace: str, index: int, amount: int) -> None:
    """Someone changes the stock in the marketplace's own cabinet."""
    from sandbox.marketplaces import accounts
    from sandbox.marketplaces.uzum import catalog_key
    from sandbox.marketplaces.yandex import WAREHOUSE_ID_BASE

    state = marketplaces.state
    if marketplace == "uzum":
        state.catalog("uzum", catalog_key(accounts.UZUM_TOKEN, 41002)).set_stock(index, amount)
    elif marketplace == "yandex":
        state.catalog("yandex", accounts.YANDEX_API_KEY).set_stock(
            index, amount, str(WAREHOUSE_ID_BASE + accounts.YANDEX_CAMPAIGN_IDS[1]))
    elif marketplace == "wildberries":
        state.catalog("wildberries", accounts.WB_SELLER_ID).set_stock(index, amount, "1001001")
    else:
        state.catalog("ozon", accounts.OZON_CLIENT_ID).set_stock(index, amount, "22000000000001")


async def sync_products(user: SandboxUser, title_part: str) -> SentMessage:
    """Products → Sync products → (pick the account) → wait for the summary."""
    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    await user.press("Products")
    await user.next_update(timeout=8)
    await user.press("Sync products")
    message = await user.next_update(timeout=8)
    if "Which marketplace account" in (message.text or ""):
        await user.press(title_part)
    return await wait_for_text(user, "products synced", timeout=60)
