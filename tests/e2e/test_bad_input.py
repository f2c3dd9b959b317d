"""Any text at any step gets a clear answer; nothing crashes the bot and nothing half-done is stored."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.models import MarketplaceIntegration
from sandbox.marketplaces import accounts
from tests.e2e.conftest import ADMIN_ID, press_and_wait, wait_for_text

NASTY = [
    "<b>bold</b> & <script>", "{ $name }", "'; DROP TABLE partners; --", "🙂" * 50, "x" * 4096,
    "مرحبا", "/unknown_command", "/start", "0", "-1", "123abc", "eyJ.not.ajwt", "ACMA:", "   .   ",
]
INTERNAL_ERROR = "Something went wrong"


async def answered(user, text: str) -> str:
    await user.send(text)
    reply = await user.next_update(timeout=8)
    assert INTERNAL_ERROR not in (reply.text or ""), (text[:40], reply.text)
    assert reply.text
    return reply.text


async def test_nasty_texts_at_every_connect_step(harness):
    user = await harness.registered(801)
    # Outside any flow.
    for text in NASTY:
        await answered(user, text)
    # At the Ozon Client ID step, the key step and the shop-pick step.
    await user.send("/menu")
    await wait_for_text(user, "Main menu")
    await press_and_wait(user, "Connect a marketplace", "Which marketplace")
    await press_and_wait(user, "Ozon", "Client ID")
    for text in NASTY:
        if text.startswith("/"):
            continue  # commands leave the flow by design
        await answered(user, text)
    await user.send(accounts.OZON_CLIENT_ID)
    await wait_for_text(user, "Step 2 of 2")
    for text in NASTY:
        if text.startswith("/"):
            continue
        reply = await answered(user, text)
        assert "deleted your message" in reply  # anything typed at the key step is removed from the chat
    await user.send(accounts.OZON_API_KEY)
    await wait_for_text(user, "Which warehouse")
    for text in NASTY[:5]:
        assert "choose with the buttons" in await answered(user, text)
    async with harness.runtime.sessionmaker() as session:
        active = await session.scalar(select(func.count()).select_from(MarketplaceIntegration)
                                      .where(MarketplaceIntegration.status == "active"))
    assert active == 0  # still only a draft until a warehouse is picked


async def test_nasty_texts_at_admin_steps(harness):
    admin = harness.user(ADMIN_ID)
    await admin.send("/start")
    await wait_for_text(admin, "Main menu")
    await admin.send("/admin")
    await wait_for_text(admin, "Administration")
    await press_and_wait(admin, "Marketplace APIs", "Marketplace APIs")
    await press_and_wait(admin, "Wildberries", "Base URL")
    for text in NASTY:
        if text.startswith("/"):
            continue
        await press_and_wait(admin, "Base URL", "URL template")
        assert "not a valid template" in await answered(admin, text)
        await press_and_wait(admin, "Rate limit", "requests per second")
        assert "whole number" in await answered(admin, text)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=200).filter(lambda t: t.strip() and not t.startswith("/")))
async def test_random_text_at_the_key_step_is_deleted_and_answered(harness, text):
    user = harness.user(802)
    if not user.messages():  # first example: register and reach the key step (the harness lives across examples)
        user = await harness.registered(802)
        await press_and_wait(user, "Connect a marketplace", "Which marketplace")
        await press_and_wait(user, "Wildberries", "Send your Wildberries API token")
    message_id = await user.send(text)
    reply = await user.next_update(timeout=8)
    assert reply.text and INTERNAL_ERROR not in reply.text
    assert message_id in user.deleted_messages()
