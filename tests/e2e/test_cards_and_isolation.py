"""Integration cards (test, pause/resume, replace keys, delete) and that nobody reaches another partner's."""
from __future__ import annotations

from bot.callbacks import IntegrationCb
from sandbox.marketplaces import accounts
from tests.e2e.conftest import press_and_wait, wait_for_text
from tests.e2e.test_connect import integrations_of


async def connect_uzum_one_shop(user) -> None:
    await press_and_wait(user, "Connect a marketplace", "Which marketplace")
    await press_and_wait(user, "Uzum Market", "Send your Uzum Market API token")
    await user.send(accounts.UZUM_TOKEN_ONE_SHOP)
    await wait_for_text(user, "Connected!")  # one shop: nothing to pick


async def test_card_buttons(harness):
    user = await harness.registered(601)
    await connect_uzum_one_shop(user)
    await press_and_wait(user, "Open the card", "Buxoro Bozori")
    tested = await press_and_wait(user, "Test connection", "The connection works")
    assert "Last check" in tested.text

    paused = await press_and_wait(user, "Pause", "Status: paused")
    assert "▶️ Resume" in paused.button_texts()
    assert (await integrations_of(harness, 601))[0].active == 0
    await press_and_wait(user, "Resume", "Status: active")

    # The marketplace goes down: the test names the cause, the card shows the error.
    harness.marketplaces.inject("uzum", "/v1/shops", "5xx", times=10)
    down = await press_and_wait(user, "Test connection", "Could not connect", timeout=20)
    assert "not answering" in down.text and "Status: error" in down.text
    harness.marketplaces.clear_faults()

    # Replace keys with a key of another account: refused, old key kept.
    await press_and_wait(user, "Replace keys", "New keys for")
    await user.send(accounts.UZUM_TOKEN)
    await wait_for_text(user, "different account")
    await user.press("Enter the key again")
    await wait_for_text(user, "Send your Uzum Market API token")
    await user.send(accounts.UZUM_TOKEN_ONE_SHOP)
    replaced = await wait_for_text(user, "Keys replaced")
    assert "Status: active" in replaced.text

    await press_and_wait(user, "Delete", "Delete")
    await press_and_wait(user, "No, keep it", "Buxoro Bozori")
    assert len(await integrations_of(harness, 601)) == 1
    await press_and_wait(user, "Delete", "Its keys will be erased")
    await press_and_wait(user, "Yes, delete", "was deleted")
    assert await integrations_of(harness, 601) == []


async def test_forged_callbacks_on_another_partners_integration_change_nothing(harness):
    owner = await harness.registered(602)
    await connect_uzum_one_shop(owner)
    target = (await integrations_of(harness, 602))[0]

    intruder = await harness.registered(603)
    for action in ("open", "test", "pause", "replace", "delete", "delete_yes"):
        callback_id = await intruder.forge_callback(IntegrationCb(action=action, id=target.id).pack())
        answer = await intruder.wait_callback_answer(callback_id)
        assert "not yours" in answer["text"] and answer.get("show_alert")
    for garbage in ("i:delete_yes", "i:open:../../etc", "x" * 64, "a:cfg:ozon", "c:pick:41003"):
        callback_id = await intruder.forge_callback(garbage)
        answer = await intruder.wait_callback_answer(callback_id)
        assert answer["text"]

    after = (await integrations_of(harness, 602))[0]
    assert (after.status, after.active, after.api_key) == ("active", 1, target.api_key)
    assert all("Buxoro" not in (m.text or "") for m in intruder.messages())


async def test_language_switch_and_uzbek_texts(harness):
    user = await harness.registered(604)
    await press_and_wait(user, "Language", "Choose your language")
    switched = await press_and_wait(user, "Русский", "Язык: русский")
    assert "Главное меню" in switched.text
    await press_and_wait(user, "Язык", "")
    await press_and_wait(user, "O'zbekcha", "oʻzbekcha")
    await user.send("/help")
    help_text = await wait_for_text(user, "SellerCloudX")
    assert "/cancel" in help_text.text


async def test_uninvited_user_is_told_how_to_get_in(harness):
    stranger = harness.user(605, language_code="ru")
    await stranger.send("/start")
    refused = (await stranger.next_message()).text
    assert "приглашени" in refused.lower()  # told in their own language that an invite is needed
    await stranger.send("/start not-a-real-code")
    invalid = (await stranger.next_message()).text
    assert invalid and invalid != refused  # a bad code gets its own explanation
    callback_id = await stranger.forge_callback("m:connect")
    assert (await stranger.wait_callback_answer(callback_id))["text"]
