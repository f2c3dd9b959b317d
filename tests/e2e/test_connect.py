"""A partner connects each marketplace by pressing buttons and typing keys, as in Telegram."""
from __future__ import annotations

from sqlalchemy import select

from services import integrations
from db.models import MarketplaceIntegration
from sandbox.marketplaces import accounts
from tests.e2e.conftest import press_and_wait, wait_for_text


async def integrations_of(harness, telegram_id: int) -> list[MarketplaceIntegration]:
    from db.models import Partner

    async with harness.runtime.sessionmaker() as session:
        partner = await session.scalar(select(Partner).where(Partner.telegram_id == telegram_id))
        rows = await session.scalars(select(MarketplaceIntegration).where(MarketplaceIntegration.partner_id == partner.id))
        return list(rows)


async def send_secret(user, secret: str) -> int:
    message_id = await user.send(secret)
    return message_id


async def test_connect_all_four_marketplaces(harness):
    user = await harness.registered(501)

    # Uzum: two shops → pick one.
    await press_and_wait(user, "Connect a marketplace", "Which marketplace")
    await press_and_wait(user, "Uzum Market", "Send your Uzum Market API token")
    key_message = await send_secret(user, accounts.UZUM_TOKEN)
    await wait_for_text(user, "Which shop do you want to connect?")
    assert key_message in user.deleted_messages()
    done = await press_and_wait(user, "Samarqand Market", "Connected!")
    assert "Samarqand Market" in done.text and "••••" + accounts.UZUM_TOKEN[-4:] in done.text

    # Yandex: one business, two campaigns → pick the DBS one.
    await press_and_wait(user, "Connect another", "Which marketplace")
    await press_and_wait(user, "Yandex Market", "ACMA:")
    key_message = await send_secret(user, accounts.YANDEX_API_KEY)
    await wait_for_text(user, "Which shop (campaign)")
    assert key_message in user.deleted_messages()
    await press_and_wait(user, "Toshkent Savdo DBS", "Connected!")

    # Wildberries: a Base token, two warehouses → pick one; the Base-token warning is shown.
    await press_and_wait(user, "Connect another", "Which marketplace")
    await press_and_wait(user, "Wildberries", "Send your Wildberries API token")
    key_message = await send_secret(user, accounts.WB_TOKEN)
    await wait_for_text(user, "Which warehouse should stock be sent to?")
    assert key_message in user.deleted_messages()
    done = await press_and_wait(user, "Sandbox sklad Toshkent", "Connected!")
    assert "Base token" in done.text and "days left" in done.text

    # Ozon: Client ID then API key, two warehouses.
    await press_and_wait(user, "Connect another", "Which marketplace")
    await press_and_wait(user, "Ozon", "Client ID")
    await user.send(accounts.OZON_CLIENT_ID)
    await wait_for_text(user, "Step 2 of 2")
    key_message = await send_secret(user, accounts.OZON_API_KEY)
    await wait_for_text(user, "Which warehouse should stock be sent to?")
    assert key_message in user.deleted_messages()
    await press_and_wait(user, "Sandbox FBS Moskva", "Connected!")

    # The list shows one card per integration, keys masked.
    await user.press("Main menu")
    await wait_for_text(user, "Main menu")
    listing = await press_and_wait(user, "My marketplaces", "Your marketplaces (4)")
    for name in ("Samarqand Market", "Toshkent Savdo DBS", "Wildberries", "Ozon"):
        assert name in listing.text
    for secret in (accounts.UZUM_TOKEN, accounts.YANDEX_API_KEY, accounts.WB_TOKEN, accounts.OZON_API_KEY):
        assert secret not in listing.text

    stored = await integrations_of(harness, 501)
    assert sorted(i.marketplace for i in stored) == ["ozon", "uzum", "wildberries", "yandex"]
    assert all(i.status == "active" and i.active == 1 for i in stored)
    by_mp = {i.marketplace: i for i in stored}
    assert by_mp["uzum"].seller_id == "41002"
    assert by_mp["yandex"].seller_id == str(accounts.YANDEX_CAMPAIGN_IDS[1])
    assert by_mp["yandex"].business_id == str(accounts.YANDEX_BUSINESS_ID)
    assert by_mp["ozon"].seller_id == accounts.OZON_CLIENT_ID and by_mp["ozon"].warehouse_list == ["22000000000001"]
    assert by_mp["wildberries"].warehouse_list == ["1001001"]
    for integration in stored:
        assert integration.api_key and "SBX" not in integration.api_key and "eyJ" not in integration.api_key
        assert integrations.credentials(harness.runtime.platform, integration).api_key  # decrypts with the vault
    assert harness.marketplace_calls(), "the connection tests must have reached the sandbox marketplaces"


async def test_wrong_key_names_the_cause_and_saves_nothing_then_retry_works(harness):
    user = await harness.registered(502)
    await press_and_wait(user, "Connect a marketplace", "Which marketplace")
    await press_and_wait(user, "Ozon", "Client ID")
    await user.send("12ab")
    await wait_for_text(user, "is a number")
    await user.send(accounts.OZON_CLIENT_ID)
    await wait_for_text(user, "Step 2 of 2")
    wrong = await user.send("00000000-0000-4000-8000-000000000000")
    failed = await wait_for_text(user, "Could not connect to Ozon")
    assert "key is wrong" in failed.text
    assert wrong in user.deleted_messages()
    assert await integrations_of(harness, 502) == []
    # Not a key at all: the format check answers before anything is sent to Ozon.
    calls_before = len(harness.marketplace_calls())
    await user.send("hello")
    await wait_for_text(user, "does not look like an Ozon API key")
    assert len(harness.marketplace_calls()) == calls_before
    # The failure message keeps its "Enter the key again" button.
    await user.press("Enter the key again", message=failed)
    await wait_for_text(user, "Step 2 of 2")
    await user.send(accounts.OZON_API_KEY)
    await wait_for_text(user, "Which warehouse")
    await press_and_wait(user, "Sandbox rFBS Kazan", "Connected!")


async def test_missing_scope_and_personal_token_warnings(harness):
    user = await harness.registered(503)
    await press_and_wait(user, "Connect a marketplace", "Which marketplace")
    await press_and_wait(user, "Yandex Market", "ACMA:")
    await user.send(accounts.YANDEX_API_KEY_NO_SCOPE)
    failed = await wait_for_text(user, "Could not connect to Yandex Market")
    assert "lacks the access" in failed.text
    await press_and_wait(user, "Back", "Which marketplace")
    await press_and_wait(user, "Wildberries", "Send your Wildberries API token")
    await user.send(accounts.WB_TOKEN_PERSONAL)
    await wait_for_text(user, "Which warehouse")
    done = await press_and_wait(user, "Sandbox sklad Samarqand", "Connected!")
    assert "Personal" in done.text and "forbids" in done.text


async def test_cancel_midway_keeps_nothing(harness):
    user = await harness.registered(504)
    await press_and_wait(user, "Connect a marketplace", "Which marketplace")
    await press_and_wait(user, "Uzum Market", "Send your Uzum Market API token")
    await user.send("/cancel")
    await wait_for_text(user, "Cancelled")
    # After /cancel a pasted key is not taken as a connect step, but it is still removed from the chat.
    pasted = await user.send(accounts.OZON_API_KEY)
    await wait_for_text(user, "looked like an API key")
    assert pasted in user.deleted_messages()

    # Cancel at the shop pick: the tested (encrypted) draft is dropped too.
    await user.press("Connect a marketplace")
    await wait_for_text(user, "Which marketplace")
    await press_and_wait(user, "Uzum Market", "Send your Uzum Market API token")
    await user.send(accounts.UZUM_TOKEN)
    await wait_for_text(user, "Which shop")
    await press_and_wait(user, "Cancel", "Cancelled")
    assert await integrations_of(harness, 504) == []

    # Back from the key step returns to the marketplace choice.
    await user.press("Connect a marketplace")
    await wait_for_text(user, "Which marketplace")
    await press_and_wait(user, "Wildberries", "Send your Wildberries API token")
    await press_and_wait(user, "Back", "Which marketplace")
