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
from sandbox.marketplaces import MarketplaceSandbox
from sandbox.telegram import SandboxUser, SentMessage, TelegramSandbox
from tests.conftest import SCAN_DIR
from tests.support.contract import SpecValidatingTransport

BOT_TOKEN = "123456789:SANDBOXtokenForTheE2eSuite_abcdefghij"
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
    marketplaces = MarketplaceSandbox()
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
        **marketplaces.env(),
    )
    transports: list[SpecValidatingTransport] = []

    def transport_for(marketplace: Marketplace) -> SpecValidatingTransport:
        transport = SpecValidatingTransport(marketplace, strict=False)
        transports.append(transport)
        return transport

    runtime = await prepare(settings, transport_for=transport_for, with_scheduler=False)
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
