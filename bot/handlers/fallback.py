"""Last router: whatever nobody else handled gets a clear answer instead of silence."""
from __future__ import annotations

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot import keyboards as kb
from db.models import Partner
from services.key_formats import looks_like_secret


async def admin_refused(message: Message, i18n: I18nContext) -> None:
    await message.answer(i18n.get("admin-only"))


async def unknown_button(query: CallbackQuery, partner: Partner | None, i18n: I18nContext) -> None:
    # Admin buttons pressed by a non-admin land here too (the admin router's filter refused them).
    key = "start-invite-required" if partner is None else "button-outdated"
    await query.answer(i18n.get(key), show_alert=True)


async def unknown_message(message: Message, partner: Partner | None, i18n: I18nContext,
                          admin_ids: frozenset[int]) -> None:
    if message.text and looks_like_secret(message.text):
        try:
            await message.delete()
        except TelegramBadRequest:
            pass
        await message.answer(i18n.get("secret-outside-flow"))
        return
    if partner is None:
        await message.answer(i18n.get("start-invite-required"))
        return
    await message.answer(i18n.get("unknown-message"), reply_markup=kb.main_menu(i18n, is_admin=message.from_user.id in admin_ids))


def router() -> Router:
    r = Router(name="fallback")
    r.message.register(admin_refused, Command("admin"))
    r.callback_query.register(unknown_button)
    r.message.register(unknown_message)
    return r
