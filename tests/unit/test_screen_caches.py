"""What bot/keyboards.py, bot/i18n.py and bot/inline_filters.py keep between updates (issue 12's dispatcher
cost) must never show a partner the wrong language, the wrong buttons or the wrong step."""
from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.types import Chat, Message, User
from aiogram_i18n import I18nContext

from bot import keyboards as kb
from bot.handlers import settings
from bot.i18n import PartnerLocaleManager, load_texts_core
from bot.inline_filters import run_filters_inline
from bot.states import SettingsFlow
from db.models import Partner
from services.outbox.policy import Prefs


def context(core, locale: str) -> I18nContext:
    return I18nContext(locale=locale, core=core, manager=PartnerLocaleManager(), data={})


def texts(markup) -> list[str]:
    return [button.text for row in markup.inline_keyboard for button in row]


def test_the_main_menu_follows_the_language_and_the_admin_flag():
    core = load_texts_core()
    i18n = context(core, "en")
    english = kb.main_menu(i18n, is_admin=False)
    assert core.get("btn-products", "en") in texts(english)
    assert core.get("btn-admin", "en") not in texts(english)
    assert core.get("btn-admin", "en") in texts(kb.main_menu(i18n, is_admin=True))  # same locale, an admin
    i18n.locale = "ru"  # the language switch sets the context's locale, then shows the menu
    russian = kb.main_menu(i18n, is_admin=False)
    assert core.get("btn-products", "ru") in texts(russian) and core.get("btn-products", "en") not in texts(russian)
    assert kb.main_menu(context(core, "en"), is_admin=False) is english  # made once, then shared


def test_reloaded_texts_are_not_answered_from_before():
    core = load_texts_core()
    first = kb.main_menu(context(core, "uz"), is_admin=False)
    before = core.get("menu-title", "uz")
    asyncio.run(core.shutdown())
    asyncio.run(core.startup())
    assert kb.main_menu(context(core, "uz"), is_admin=False) is not first
    assert core.get("menu-title", "uz") == before


def test_a_text_with_arguments_is_formatted_each_time():
    core = load_texts_core()
    assert core.get("notif-low-stock-set", "en", value=3) != core.get("notif-low-stock-set", "en", value=7)


def test_the_notifications_buttons_show_what_this_partner_muted():
    core = load_texts_core()
    i18n = context(core, "en")
    quiet = Partner(telegram_id=1, language="en", timezone="Asia/Tashkent", notification_prefs=None)
    muted = Partner(telegram_id=2, language="en", timezone="Asia/Tashkent",
                    notification_prefs=Prefs(muted=frozenset({"new_order"})).to_json())
    _, quiet_markup = settings._view(i18n, quiet)
    _, muted_markup = settings._view(i18n, muted)
    new_order = settings.kind_name(i18n, "new_order")
    assert "🔔 " + new_order in texts(quiet_markup) and "🔕 " + new_order in texts(muted_markup)
    assert settings._view(i18n, quiet)[1] is quiet_markup


def _message(text: str | None) -> Message:
    return Message(message_id=1, date=0, chat=Chat(id=5, type="private"),
                   from_user=User(id=5, is_bot=False, first_name="D"), text=text)


async def test_inline_filters_pass_the_same_updates_without_a_thread(monkeypatch):
    router = Router()
    router.message.register(lambda m: None, SettingsFlow.low_stock, F.text)
    run_filters_inline(router)

    async def no_thread(*args, **kwargs):
        raise AssertionError("a filter went to a thread")

    monkeypatch.setattr(asyncio, "to_thread", no_thread)
    handler = router.message.handlers[0]
    assert (await handler.check(_message("5"), raw_state=SettingsFlow.low_stock.state))[0]
    assert not (await handler.check(_message("5"), raw_state=None))[0]  # not in the step: not this handler
    assert not (await handler.check(_message(None), raw_state=SettingsFlow.low_stock.state))[0]  # a photo
