"""Notification settings: mute / unmute each kind of alert, quiet hours (alerts are held, then delivered) and
the low-stock threshold (a product's own threshold, where set, wins). Stored in Partner.notification_prefs
through services/partners.py (services.outbox.policy reads them)."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot import views
from bot.callbacks import MenuCb, NotifCb
from bot.filters import IsRegistered
from bot.flow import show
from bot.states import SettingsFlow
from db.models import Partner
from services import partners
from services.outbox.policy import prefs_of
from services.outbox.records import AlertKind
from services.products import parse_quantity

router = Router(name="settings")
router.message.filter(IsRegistered())
router.callback_query.filter(IsRegistered())

# Quiet-hour presets: callback argument -> (from hour, to hour) in the partner's timezone; "off" -> none.
QUIET_PRESETS = {"off": None, "22-8": (22, 8), "23-7": (23, 7), "0-9": (0, 9)}


def kind_name(i18n: I18nContext, kind: str) -> str:
    if kind in set(AlertKind):
        return i18n.get(f"notif-kind-{kind}")
    return views.esc(kind)


def quiet_text(i18n: I18nContext, quiet: tuple[int, int] | None) -> str:
    if quiet is None:
        return i18n.get("notif-quiet-off")
    return f"{quiet[0]:02d}:00–{quiet[1]:02d}:00"


def _view(i18n: I18nContext, partner: Partner):
    prefs = prefs_of(partner)
    lines = [i18n.get("notif-title")]
    for kind in AlertKind:
        value = i18n.get("notif-muted") if kind in prefs.muted else i18n.get("notif-on")
        lines.append("• " + i18n.get("notif-kind-line", kind=kind_name(i18n, kind), value=value))
    lines.append("")
    lines.append(i18n.get("notif-quiet-line", value=quiet_text(i18n, prefs.quiet),
                          timezone=views.esc(partner.timezone)))
    lines.append(i18n.get("notif-low-stock-line", value=prefs.low_stock))
    toggles = [kb.button(("🔕 " if kind in prefs.muted else "🔔 ") + kind_name(i18n, kind),
                         NotifCb(action="mute", arg=kind)) for kind in AlertKind]
    markup = kb.rows(*[toggles[i:i + 2] for i in range(0, len(toggles), 2)],
                     [kb.button(i18n.get("btn-notif-quiet"), NotifCb(action="quiet")),
                      kb.button(i18n.get("btn-notif-low-stock"), NotifCb(action="low"))],
                     kb.to_menu(i18n))
    return "\n".join(lines), markup


@router.callback_query(MenuCb.filter(F.action == "notif"))
@router.callback_query(NotifCb.filter(F.action == "home"))
async def notifications(query: CallbackQuery, state: FSMContext, partner: Partner, i18n: I18nContext) -> None:
    await state.set_state(None)
    await query.answer()
    await show(query, *_view(i18n, partner))


@router.callback_query(NotifCb.filter(F.action == "mute"))
async def toggle_kind(query: CallbackQuery, callback_data: NotifCb, session: AsyncSession, partner: Partner,
                      i18n: I18nContext) -> None:
    kind = callback_data.arg
    if kind not in set(AlertKind):
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    if partners.toggle_alert(session, partner, AlertKind(kind)):
        await query.answer(i18n.get("notif-muted-done", kind=kind_name(i18n, kind)))
    else:
        await query.answer(i18n.get("notif-unmuted-done", kind=kind_name(i18n, kind)))
    await show(query, *_view(i18n, partner))


@router.callback_query(NotifCb.filter(F.action == "quiet"))
async def quiet_hours(query: CallbackQuery, callback_data: NotifCb, session: AsyncSession, partner: Partner,
                      i18n: I18nContext) -> None:
    if callback_data.arg == "":
        await query.answer()
        current = prefs_of(partner).quiet
        buttons = [[kb.button(("✅ " if value == current else "") + quiet_text(i18n, value),
                              NotifCb(action="quiet", arg=key))] for key, value in QUIET_PRESETS.items()]
        buttons.append([kb.button(i18n.get("btn-back"), NotifCb(action="home"))])
        await show(query, i18n.get("notif-quiet-ask", timezone=views.esc(partner.timezone)), kb.rows(*buttons))
        return
    if callback_data.arg not in QUIET_PRESETS:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    partners.set_quiet_hours(session, partner, QUIET_PRESETS[callback_data.arg])
    await query.answer(i18n.get("notif-saved"))
    await show(query, *_view(i18n, partner))


@router.callback_query(NotifCb.filter(F.action == "low"))
async def low_stock_ask(query: CallbackQuery, state: FSMContext, partner: Partner, i18n: I18nContext) -> None:
    await query.answer()
    await state.set_state(SettingsFlow.low_stock)
    await show(query, i18n.get("notif-low-stock-ask", value=prefs_of(partner).low_stock),
               kb.rows([kb.button(i18n.get("btn-back"), NotifCb(action="home"))]))


@router.message(SettingsFlow.low_stock, F.text)
async def low_stock_entered(message: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                            i18n: I18nContext) -> None:
    value = parse_quantity(message.text)
    if value is None:
        await message.answer(i18n.get("notif-low-stock-bad"),
                             reply_markup=kb.rows([kb.button(i18n.get("btn-back"), NotifCb(action="home"))]))
        return
    partners.set_low_stock_threshold(session, partner, value)
    await state.set_state(None)
    text, markup = _view(i18n, partner)
    await message.answer(i18n.get("notif-low-stock-set", value=value) + "\n\n" + text, reply_markup=markup)
