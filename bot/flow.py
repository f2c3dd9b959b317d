"""Helpers shared by the routers: leaving a flow cleanly and showing a screen."""
from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Partner
from services.integrations import discard_draft


async def abandon_flow(state: FSMContext, session: AsyncSession, partner: Partner | None) -> bool:
    """Clear the FSM state and drop an unfinished draft integration. True if a flow was in progress."""
    current = await state.get_state()
    data = await state.get_data()
    if partner is not None and data.get("draft_id"):
        await discard_draft(session, partner.id, data["draft_id"])
    if current is not None or data:  # nothing to clear is the common case (/start, a menu): no storage write
        await state.clear()
    return current is not None


async def show(target: CallbackQuery | Message, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    """Edit the message the button was on; send a new one if that is impossible (too old, deleted)."""
    if isinstance(target, CallbackQuery):
        message = target.message
        try:
            return await message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as error:
            if "not modified" in str(error):
                return message
        return await message.answer(text, reply_markup=markup)
    return await target.answer(text, reply_markup=markup)

