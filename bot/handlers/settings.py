"""Notification settings: mute / unmute each kind of alert, quiet hours (alerts are held, then delivered) and
the low-stock threshold (a product's own threshold, where set, wins). Stored in Partner.notification_prefs
through services/partners.py (services.outbox.policy reads them)."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot import keyboards as kb
from bot.callbacks import MenuAction, MenuCb, NotifAction, NotifCb
from bot.filters import IsRegistered
from bot.flow import show
from bot.states import SettingsFlow
from db.models import Partner
from services import partners
from services.outbox.policy import prefs_of
from services.outbox.records import MUTABLE, AlertKind
from services.products import parse_quantity

# Quiet-hour presets: callback argument -> (from hour, to hour) in the partner's timezone; "off" -> none.
QUIET_PRESETS = {"off": None, "22-8": (22, 8), "23-7": (23, 7), "0-9": (0, 9)}


def kind_name(i18n: I18nContext, kind: str) -> str:
    if kind in set(AlertKind):
        return i18n.get(f"notif-kind-{kind}")
    return fmt.esc(kind)


def quiet_text(i18n: I18nContext, quiet: tuple[int, int] | None) -> str:
    if quiet is None:
        return i18n.get("notif-quiet-off")
    return f"{quiet[0]:02d}:00–{quiet[1]:02d}:00"


def _view(i18n: I18nContext, partner: Partner):
    prefs = prefs_of(partner)
    lines = [i18n.get("notif-title")]
    for kind in MUTABLE:
        value = i18n.get("notif-muted") if kind in prefs.muted else i18n.get("notif-on")
        lines.append("• " + i18n.get("notif-kind-line", kind=kind_name(i18n, kind), value=value))
    lines.append("")
    lines.append(i18n.get("notif-quiet-line", value=quiet_text(i18n, prefs.quiet),
                          timezone=fmt.esc(partner.timezone)))
    lines.append(i18n.get("notif-low-stock-line", value=prefs.low_stock))
    toggles = [kb.button(("🔕 " if kind in prefs.muted else "🔔 ") + kind_name(i18n, kind),
                         NotifCb(action=NotifAction.MUTE, arg=kind)) for kind in MUTABLE]
    markup = kb.rows(*[toggles[i:i + 2] for i in range(0, len(toggles), 2)],
                     [kb.button(i18n.get("btn-notif-quiet"), NotifCb(action=NotifAction.QUIET)),
                      kb.button(i18n.get("btn-notif-low-stock"), NotifCb(action=NotifAction.LOW_STOCK))],
                     kb.to_menu(i18n))
    return "\n".join(lines), markup


async def notifications(query: CallbackQuery, state: FSMContext, partner: Partner, i18n: I18nContext) -> None:
    await state.set_state(None)
    await query.answer()
    await show(query, *_view(i18n, partner))


async def toggle_kind(query: CallbackQuery, callback_data: NotifCb, session: AsyncSession, partner: Partner,
                      i18n: I18nContext) -> None:
    kind = callback_data.arg
    if kind not in MUTABLE:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    if partners.toggle_alert(session, partner, AlertKind(kind)):
        await query.answer(i18n.get("notif-muted-done", kind=kind_name(i18n, kind)))
    else:
        await query.answer(i18n.get("notif-unmuted-done", kind=kind_name(i18n, kind)))
    await show(query, *_view(i18n, partner))


async def quiet_hours(query: CallbackQuery, callback_data: NotifCb, session: AsyncSession, partner: Partner,
                      i18n: I18nContext) -> None:
    if callback_data.arg == "":
        await query.answer()
        current = prefs_of(partner).quiet
        buttons = [[kb.button(("✅ " if value == current else "") + quiet_text(i18n, value),
                              NotifCb(action=NotifAction.QUIET, arg=key))] for key, value in QUIET_PRESETS.items()]
        buttons.append([kb.button(i18n.get("btn-back"), NotifCb(action=NotifAction.HOME))])
        await show(query, i18n.get("notif-quiet-ask", timezone=fmt.esc(partner.timezone)), kb.rows(*buttons))
        return
    if callback_data.arg not in QUIET_PRESETS:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    partners.set_quiet_hours(session, partner, QUIET_PRESETS[callback_data.arg])
    await query.answer(i18n.get("notif-saved"))
    await show(query, *_view(i18n, partner))


async def low_stock_ask(query: CallbackQuery, state: FSMContext, partner: Partner, i18n: I18nContext) -> None:
    await query.answer()
    await state.set_state(SettingsFlow.low_stock)
    await show(query, i18n.get("notif-low-stock-ask", value=prefs_of(partner).low_stock),
               kb.rows([kb.button(i18n.get("btn-back"), NotifCb(action=NotifAction.HOME))]))


async def low_stock_entered(message: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                            i18n: I18nContext) -> None:
    value = parse_quantity(message.text)
    if value is None:
        await message.answer(i18n.get("notif-low-stock-bad"),
                             reply_markup=kb.rows([kb.button(i18n.get("btn-back"), NotifCb(action=NotifAction.HOME))]))
        return
    partners.set_low_stock_threshold(session, partner, value)
    await state.set_state(None)
    text, markup = _view(i18n, partner)
    await message.answer(i18n.get("notif-low-stock-set", value=value) + "\n\n" + text, reply_markup=markup)


def router() -> Router:
    r = Router(name="settings")
    r.message.filter(IsRegistered())
    r.callback_query.filter(IsRegistered())
    r.callback_query.register(notifications, MenuCb.filter(F.action == MenuAction.NOTIFICATIONS))
    r.callback_query.register(notifications, NotifCb.filter(F.action == NotifAction.HOME))
    r.callback_query.register(toggle_kind, NotifCb.filter(F.action == NotifAction.MUTE))
    r.callback_query.register(quiet_hours, NotifCb.filter(F.action == NotifAction.QUIET))
    r.callback_query.register(low_stock_ask, NotifCb.filter(F.action == NotifAction.LOW_STOCK))
    r.message.register(low_stock_entered, SettingsFlow.low_stock, F.text)
    return r
