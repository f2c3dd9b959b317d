"""/start (registration), /help, /cancel, the main menu and the language switch."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.callbacks import LangCb, MenuCb
from bot.flow import abandon_flow
from bot.views import esc
from db.models import Partner
from services import partners as partner_service
from services.partners import RegistrationOutcome

router = Router(name="start")


@router.message(CommandStart())
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


@router.message(Command("help"))
async def help_command(message: Message, i18n: I18nContext) -> None:
    await message.answer(i18n.get("help"), reply_markup=kb.rows(kb.to_menu(i18n)))


@router.message(Command("menu"))
async def menu_command(message: Message, partner: Partner | None, i18n: I18nContext, admin_ids: frozenset[int]) -> None:
    if partner is None:
        await message.answer(i18n.get("start-invite-required"))
        return
    await message.answer(i18n.get("menu-title"), reply_markup=kb.main_menu(i18n, is_admin=partner.telegram_id in admin_ids))


@router.message(Command("cancel"))
async def cancel_command(message: Message, state: FSMContext, session: AsyncSession, partner: Partner | None,
                         i18n: I18nContext, admin_ids: frozenset[int]) -> None:
    had_flow = await abandon_flow(state, session, partner)
    text = i18n.get("cancelled") if had_flow else i18n.get("nothing-to-cancel")
    await message.answer(text, reply_markup=kb.main_menu(i18n, is_admin=message.from_user.id in admin_ids))


@router.callback_query(MenuCb.filter(F.action == "main"))
async def menu(query: CallbackQuery, state: FSMContext, session: AsyncSession, partner: Partner | None,
               i18n: I18nContext, admin_ids: frozenset[int]) -> None:
    await abandon_flow(state, session, partner)
    await query.answer()
    await query.message.edit_text(i18n.get("menu-title"),
                                  reply_markup=kb.main_menu(i18n, is_admin=query.from_user.id in admin_ids))


@router.callback_query(MenuCb.filter(F.action == "help"))
async def help_button(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer()
    await query.message.edit_text(i18n.get("help"), reply_markup=kb.rows(kb.to_menu(i18n)))


@router.callback_query(MenuCb.filter(F.action == "lang"))
async def language_menu(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer()
    await query.message.edit_text(i18n.get("language-choose"), reply_markup=kb.languages(i18n))


@router.callback_query(LangCb.filter())
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
