"""Admin broadcasts: the list of those sent with their delivery counts, and a new one — the text (Telegram HTML,
checked by sending its preview), the audience, the preview with the number of recipients, then send or not. Every
step has a way back. The router sits behind IsAdmin like the other admin screens."""
from __future__ import annotations

import html
import re

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, LinkPreviewOptions, Message
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import alert_texts
from bot import formatting as fmt
from bot import keyboards as kb
from bot.callbacks import BroadcastAction, BroadcastCb
from bot.filters import IsAdmin, IsRegistered
from bot.flow import show
from bot.handlers.admin import back_home
from bot.states import BroadcastFlow
from db.models import JsonText, Partner, new_id, now
from services import broadcasts
from services.broadcasts import Audience
from services.outbox.records import Alert, AlertKind, Recipient
from services.partners import LANGUAGES

_TAG = re.compile(r"<[^>]*>")


def _audience_arg(audience: Audience) -> str:
    if audience.marketplace:
        return "mp-" + audience.marketplace
    if audience.language:
        return "lang-" + audience.language
    return "all"


def _audience_of(arg: str) -> Audience | None:
    """The audience a button names; None for anything else (forged or outdated)."""
    if arg == "all":
        return Audience()
    kind, _, value = arg.partition("-")
    if kind == "mp" and value in {m.value for m in kb.MARKETPLACE_ORDER}:
        return Audience(marketplace=value)
    if kind == "lang" and value in LANGUAGES:
        return Audience(language=value)
    return None


def _audience_label(i18n: I18nContext, audience: Audience) -> str:
    if audience.marketplace:
        return i18n.get("admin-audience-marketplace", marketplace=i18n.get("mp-" + audience.marketplace))
    if audience.language:
        return i18n.get("admin-audience-language", language=kb.LANGUAGE_NAMES[audience.language])
    return i18n.get("admin-audience-all")


def _snippet(text: str) -> str:
    """The start of a broadcast as plain text (its tags dropped), for the list."""
    plain = " ".join(html.unescape(_TAG.sub("", text)).split())
    return fmt.esc(plain if len(plain) <= broadcasts.SNIPPET else plain[:broadcasts.SNIPPET - 1] + "…")


def _cancel_row(i18n: I18nContext):
    return [kb.button(i18n.get("btn-cancel"), BroadcastCb(action=BroadcastAction.CANCEL))]


def _preview(partner: Partner, text: str, i18n: I18nContext) -> str:
    """The broadcast exactly as the outbox sender will render it for a partner."""
    stamp = now()
    alert = Alert(id="preview", partner_id=partner.id, chat_id=partner.telegram_id, kind=AlertKind.BROADCAST,
                  payload={"text": text}, attempts=0, created_at=stamp, next_attempt_at=stamp)
    recipient = Recipient(partner.id, partner.telegram_id, partner.language, partner.timezone,
                          partner.notification_prefs)
    return alert_texts.render([alert], i18n, recipient)[0]


# ---- the list ----

async def list_screen(query: CallbackQuery, state: FSMContext, session: AsyncSession, partner: Partner | None,
                      i18n: I18nContext) -> None:
    await state.clear()
    await query.answer()
    await show(query, await _list_text(session, partner, i18n), _list_keyboard(i18n))


async def _list_text(session: AsyncSession, partner: Partner | None, i18n: I18nContext) -> str:
    items = await broadcasts.latest(session)
    lines = [i18n.get("admin-broadcasts-title")]
    if not items:
        lines.append(i18n.get("admin-broadcasts-none"))
    for broadcast, counts in items:
        audience = Audience.from_dict(JsonText.load(broadcast.audience, {}))
        lines.append(i18n.get(
            "admin-broadcast-line", date=fmt.local_time(partner, broadcast.created_at),
            audience=_audience_label(i18n, audience), recipients=broadcast.recipients, sent=counts.sent,
            blocked=counts.blocked, failed=counts.failed, pending=counts.pending, text=_snippet(broadcast.text)))
    return "\n\n".join(lines)


def _list_keyboard(i18n: I18nContext):
    return kb.rows([kb.button(i18n.get("admin-btn-broadcast-new"), BroadcastCb(action=BroadcastAction.NEW))],
                   [kb.button(i18n.get("admin-btn-refresh"), BroadcastCb(action=BroadcastAction.LIST))],
                   back_home(i18n))


async def cancel(query: CallbackQuery, state: FSMContext, session: AsyncSession, partner: Partner | None,
                 i18n: I18nContext) -> None:
    await state.clear()
    await query.answer(i18n.get("admin-broadcast-cancelled"))
    await show(query, await _list_text(session, partner, i18n), _list_keyboard(i18n))


# ---- a new broadcast: text ----

async def ask_text(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    await query.answer()
    await state.set_state(BroadcastFlow.text)
    await show(query, i18n.get("admin-broadcast-ask"), kb.rows(_cancel_row(i18n)))


async def text_entered(message: Message, state: FSMContext, partner: Partner, i18n: I18nContext) -> None:
    text = message.text
    try:
        preview = _preview(partner, text, i18n)
    except alert_texts.RenderError:
        await message.answer(i18n.get("admin-broadcast-too-long", max=alert_texts.BUDGET),
                             reply_markup=kb.rows(_cancel_row(i18n)))
        return
    # Telegram's own parser is the check: the preview is the message partners will get, so if it goes, theirs will.
    try:
        await message.answer(preview, parse_mode="HTML", link_preview_options=LinkPreviewOptions(is_disabled=True))
    except TelegramBadRequest as error:
        await message.answer(i18n.get("admin-broadcast-bad-html", error=fmt.esc(error.message)),
                             reply_markup=kb.rows(_cancel_row(i18n)))
        return
    await state.set_state(BroadcastFlow.audience)
    await state.set_data({"text": text, "id": new_id()})
    await message.answer(i18n.get("admin-broadcast-audience-ask"), reply_markup=_audience_keyboard(i18n))


# ---- audience, preview, send ----

def _audience_keyboard(i18n: I18nContext):
    def choice(audience: Audience):
        return kb.button(_audience_label(i18n, audience),
                         BroadcastCb(action=BroadcastAction.AUDIENCE, arg=_audience_arg(audience)))

    marketplaces = [choice(Audience(marketplace=m.value)) for m in kb.MARKETPLACE_ORDER]
    return kb.rows([choice(Audience())], marketplaces[:2], marketplaces[2:],
                   [choice(Audience(language=code)) for code in kb.LANGUAGE_NAMES],
                   [kb.button(i18n.get("admin-btn-broadcast-edit"), BroadcastCb(action=BroadcastAction.NEW))],
                   _cancel_row(i18n))


async def _draft(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> dict | None:
    data = await state.get_data()
    if not data.get("text"):
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return None
    return data


async def audiences(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    if await _draft(query, state, i18n) is None:
        return
    await query.answer()
    await state.set_state(BroadcastFlow.audience)
    await show(query, i18n.get("admin-broadcast-audience-ask"), _audience_keyboard(i18n))


async def audience_picked(query: CallbackQuery, callback_data: BroadcastCb, state: FSMContext,
                          session: AsyncSession, i18n: I18nContext) -> None:
    audience = _audience_of(callback_data.arg)
    if audience is None:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    data = await _draft(query, state, i18n)
    if data is None:
        return
    count = await broadcasts.count_recipients(session, audience)
    await state.update_data(audience=audience.to_dict())
    await state.set_state(BroadcastFlow.confirm)
    await query.answer()
    label = _audience_label(i18n, audience)
    rows = []
    if count:
        text = i18n.get("admin-broadcast-confirm", audience=label, count=count)
        rows.append([kb.button(i18n.get("admin-btn-broadcast-send", count=count),
                               BroadcastCb(action=BroadcastAction.SEND, arg=data["id"]))])
    else:
        text = i18n.get("admin-broadcast-nobody", audience=label)
    rows += [[kb.button(i18n.get("admin-btn-broadcast-audience"), BroadcastCb(action=BroadcastAction.AUDIENCES)),
              kb.button(i18n.get("admin-btn-broadcast-edit"), BroadcastCb(action=BroadcastAction.NEW))],
             _cancel_row(i18n)]
    await show(query, text, kb.rows(*rows))


async def send(query: CallbackQuery, callback_data: BroadcastCb, state: FSMContext, session: AsyncSession,
               partner: Partner | None, i18n: I18nContext) -> None:
    data = await state.get_data()
    if data.get("id") != callback_data.arg or "audience" not in data:
        # A second tap after sending, or the button of an older draft.
        sent = await broadcasts.find(session, callback_data.arg) if callback_data.arg else None
        await query.answer(i18n.get("admin-broadcast-already-sent" if sent else "button-outdated"), show_alert=True)
        return
    await state.clear()
    broadcast, created = await broadcasts.send(
        session, broadcast_id=data["id"], admin_telegram_id=query.from_user.id, text=data["text"],
        audience=Audience.from_dict(data["audience"]))
    if not created:
        await query.answer(i18n.get("admin-broadcast-already-sent"), show_alert=True)
        return
    await query.answer(i18n.get("admin-broadcast-queued", count=broadcast.recipients))
    await show(query, await _list_text(session, partner, i18n), _list_keyboard(i18n))


def router() -> Router:
    r = Router(name="broadcasts")
    r.message.filter(IsAdmin(), IsRegistered())
    r.callback_query.filter(IsAdmin(), IsRegistered())
    r.callback_query.register(list_screen, BroadcastCb.filter(F.action == BroadcastAction.LIST))
    r.callback_query.register(cancel, BroadcastCb.filter(F.action == BroadcastAction.CANCEL))
    r.callback_query.register(ask_text, BroadcastCb.filter(F.action == BroadcastAction.NEW))
    r.callback_query.register(audiences, BroadcastCb.filter(F.action == BroadcastAction.AUDIENCES))
    r.callback_query.register(audience_picked, BroadcastCb.filter(F.action == BroadcastAction.AUDIENCE))
    r.callback_query.register(send, BroadcastCb.filter(F.action == BroadcastAction.SEND))
    r.message.register(text_entered, BroadcastFlow.text, F.text)
    return r
