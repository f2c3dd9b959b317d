"""/start (registration), /help, /cancel, the main menu and the language switch."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.callbacks import LangCb, MenuAction, MenuCb
from bot.flow import abandon_flow
from bot.formatting import esc
from db.models import Partner
from services import partners as partner_service
from services.partners import RegistrationOutcome


async def start(message: Message, command: CommandObject, session: AsyncSession, partner: Partner | None,
                i18n: I18nContext, state: FSMContext, admin_ids: frozenset[int], open_registration: bool) -> None:
    user = message.from_user
    await abandon_flow(state, session, partner)
    result = await partner_service.register(
        session, telegram_id=user.id, name=user.full_name, username=user.username,
        language_code=user.language_code, invite_code=(command.args or "").strip() or None,
        is_admin=user.id in admin_ids, open_registration=open_registration,
    )
    if result.outcome is RegistrationOutcome.INVITE_REQUIRED:
        await message.answer(i18n.get("start-invite-required"))
        return
    if result.outcome is RegistrationOutcome.INVITE_INVALID:
        await message.answer(i18n.get("start-invite-invalid"))
        return
    partner = result.partner
    i18n.locale = partner.language
    key = "start-welcome" if result.outcome is RegistrationOutcome.CREATED else "start-welcome-back"
    await message.answer(i18n.get(key, name=esc(user.first_name)) + "\n\n" + i18n.get("menu-title"),
                         reply_markup=kb.main_menu(i18n, is_admin=user.id in admin_ids))


async def help_command(message: Message, i18n: I18nContext) -> None:
    await message.answer(i18n.get("help"), reply_markup=kb.rows(kb.to_menu(i18n)))


async def menu_command(message: Message, partner: Partner | None, i18n: I18nContext, admin_ids: frozenset[int]) -> None:
    if partner is None:
        await message.answer(i18n.get("start-invite-required"))
        return
    await message.answer(i18n.get("menu-title"), reply_markup=kb.main_menu(i18n, is_admin=partner.telegram_id in admin_ids))


async def cancel_command(message: Message, state: FSMContext, session: AsyncSession, partner: Partner | None,
                         i18n: I18nContext, admin_ids: frozenset[int]) -> None:
    had_flow = await abandon_flow(state, session, partner)
    text = i18n.get("cancelled") if had_flow else i18n.get("nothing-to-cancel")
    await message.answer(text, reply_markup=kb.main_menu(i18n, is_admin=message.from_user.id in admin_ids))


async def menu(query: CallbackQuery, state: FSMContext, session: AsyncSession, partner: Partner | None,
               i18n: I18nContext, admin_ids: frozenset[int]) -> None:
    await abandon_flow(state, session, partner)
    await query.answer()
    await query.message.edit_text(i18n.get("menu-title"),
                                  reply_markup=kb.main_menu(i18n, is_admin=query.from_user.id in admin_ids))


async def help_button(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer()
    await query.message.edit_text(i18n.get("help"), reply_markup=kb.rows(kb.to_menu(i18n)))


async def language_menu(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer()
    await query.message.edit_text(i18n.get("language-choose"), reply_markup=kb.languages(i18n))


async def set_language(query: CallbackQuery, callback_data: LangCb, partner: Partner, session: AsyncSession,
                       i18n: I18nContext, admin_ids: frozenset[int]) -> None:
    if callback_data.code not in partner_service.LANGUAGES:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    await partner_service.set_language(session, partner, callback_data.code)
    i18n.locale = callback_data.code
    await query.answer(i18n.get("language-set"))
    await query.message.edit_text(i18n.get("language-set") + "\n\n" + i18n.get("menu-title"),
                                  reply_markup=kb.main_menu(i18n, is_admin=query.from_user.id in admin_ids))


def router() -> Router:
    r = Router(name="start")
    r.message.register(start, CommandStart())
    r.message.register(help_command, Command("help"))
    r.message.register(menu_command, Command("menu"))
    r.message.register(cancel_command, Command("cancel"))
    r.callback_query.register(menu, MenuCb.filter(F.action == MenuAction.MAIN))
    r.callback_query.register(help_button, MenuCb.filter(F.action == MenuAction.HELP))
    r.callback_query.register(language_menu, MenuCb.filter(F.action == MenuAction.LANGUAGE))
    r.callback_query.register(set_language, LangCb.filter())
    return r
