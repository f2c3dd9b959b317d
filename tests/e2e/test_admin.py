"""Admin commands: refused to partners, working for admins, keys never unmasked."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot.callbacks import AdminCb
from db.models import MarketplaceApiConfig
from sandbox.marketplaces import accounts
from tests.e2e.conftest import ADMIN_ID, press_and_wait, wait_for_text


async def test_non_admin_is_refused(harness):
    partner = await harness.registered(701)
    await partner.send("/admin")
    assert "administrators only" in (await partner.next_message()).text
    for action in ("home", "invite", "configs", "cfg_url"):
        callback_id = await partner.forge_callback(AdminCb(action=action, arg="ozon").pack())
        answer = await partner.wait_callback_answer(callback_id)
        assert "out of date" in answer["text"]
    async with harness.runtime.sessionmaker() as session:
        from db.models import Invite

        assert not list(await session.scalars(select(Invite).where(Invite.created_by == 701)))


async def test_admin_stats_invite_partners_and_configs(harness):
    admin = harness.user(ADMIN_ID)
    await admin.send("/start")
    await wait_for_text(admin, "Main menu")

    # An invite link brings a new partner in.
    await admin.send("/admin")
    await wait_for_text(admin, "Administration")
    created = await press_and_wait(admin, "Create invite", "Invite created")
    code = re.search(r"start=([A-Za-z0-9_-]+)", created.text).group(1)
    newcomer = harness.user(702, first_name="Dilshod")
    await newcomer.send(f"/start {code}")
    await wait_for_text(newcomer, "Welcome to SellerCloudX, Dilshod")

    # The newcomer connects Ozon with a key that expires soon, and it fails later: admins see it masked.
    await press_and_wait(newcomer, "Connect a marketplace", "Which marketplace")
    await press_and_wait(newcomer, "Ozon", "Client ID")
    await newcomer.send(accounts.OZON_CLIENT_ID)
    await wait_for_text(newcomer, "Step 2 of 2")
    await newcomer.send(accounts.OZON_API_KEY_EXPIRING)
    await wait_for_text(newcomer, "Which warehouse")
    done = await press_and_wait(newcomer, "Sandbox FBS Moskva", "Connected!")
    assert "expires soon" in done.text
    harness.marketplaces.inject("ozon", "/v1/roles", "5xx", times=10)
    await press_and_wait(newcomer, "Open the card", "Ozon")
    await press_and_wait(newcomer, "Test connection", "Could not connect", timeout=20)
    harness.marketplaces.clear_faults()

    await press_and_wait(admin, "Back", "Administration")
    stats = admin.last_message()
    assert "Partners: 2" in stats.text and "Ozon" in stats.text
    failing = await press_and_wait(admin, "Failing integrations", "Failing integrations (1)")
    assert "••••" + accounts.OZON_API_KEY_EXPIRING[-4:] in failing.text
    assert accounts.OZON_API_KEY_EXPIRING not in failing.text
    await press_and_wait(admin, "Back", "Administration")
    partners = await press_and_wait(admin, "Partners", "page 1 of 1")
    assert "Dilshod" in partners.text

    # Marketplace API configs: point Ozon at another base URL, then back to defaults.
    await press_and_wait(admin, "Back", "Administration")
    await press_and_wait(admin, "Marketplace APIs", "Marketplace APIs")
    await press_and_wait(admin, "Ozon", "Base URL")
    await press_and_wait(admin, "Base URL", "Send the new base URL")
    await admin.send("not a url")
    await wait_for_text(admin, "not a valid URL")
    await press_and_wait(admin, "Base URL", "Send the new base URL")
    await admin.send("http://127.0.0.1:9/ozon")
    saved = await wait_for_text(admin, "Saved")
    assert "http://127.0.0.1:9/ozon" in saved.text and "set by an admin" in saved.text
    await press_and_wait(admin, "Rate limit", "requests per second")
    await admin.send("25")
    await wait_for_text(admin, "Rate limit: 25")
    async with harness.runtime.sessionmaker() as session:
        row = await session.scalar(select(MarketplaceApiConfig).where(MarketplaceApiConfig.marketplace == "ozon"))
        assert (row.api_endpoint, row.is_override, row.rate_limit) == ("http://127.0.0.1:9/ozon", 1, 25)
    # The override is used: the test now goes to the (dead) admin URL and says the marketplace is unavailable.
    await press_and_wait(newcomer, "Test connection", "not answering", timeout=30)
    await press_and_wait(admin, "Back to defaults", "from the server settings")
    await press_and_wait(newcomer, "Test connection", "The connection works", timeout=20)
