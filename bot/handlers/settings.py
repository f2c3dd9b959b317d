"""Notification settings: mute / unmute each kind of alert, quiet hours (alerts are held, then delivered), the
low-stock threshold (a product's own threshold, where set, wins) and the "runs out within N days" horizon. Stored in
Partner.notification_prefs through services/partners.py (services.outbox.policy reads them)."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot import keyboards as kb
from bot.callbacks import MenuAction, MenuCb, NotifAction, NotifCb, RunsOutCb, SummaryAction, SummaryCb
from bot.filters import IsRegistered
from bot.flow import show
from bot.i18n import per_locale
from bot.states import SettingsFlow
from db.models import Partner
from services import partners
from services.outbox.policy import Prefs, SummaryMode, prefs_of
from services.outbox.records import MUTABLE, AlertKind
from services.stock import parse_quantity

# Quiet-hour presets: callback argument -> (from hour, to hour) in the partner's timezone; "off" -> none.
QUIET_PRESETS = {"off": None, "22-8": (22, 8), "23-7": (23, 7), "0-9": (0, 9)}
RUNS_OUT_PRESETS = (3, 5, 7, 10, 14)  # days of stock cover at which the "runs out" alert comes
# When the summary comes: minutes after the partner's midnight.
SUMMARY_TIMES = (7 * 60, 8 * 60, 9 * 60, 10 * 60, 12 * 60, 18 * 60, 21 * 60)
_KINDS = frozenset(AlertKind)


def kind_name(i18n: I18nContext, kind: str) -> str:
    if kind in _KINDS:
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
    lines.append(i18n.get("notif-runs-out-line", days=prefs.runs_out_days))
    lines.append(i18n.get("analytics-summary-line", value=summary_text(i18n, prefs)))
    # The buttons depend only on the locale and what is muted: made once per such pair and shared.
    return "\n".join(lines), per_locale(i18n, ("notifications", prefs.muted), lambda: _view_markup(i18n, prefs.muted))


def _view_markup(i18n: I18nContext, muted: frozenset[str]):
    toggles = [kb.button(("🔕 " if kind in muted else "🔔 ") + kind_name(i18n, kind),
                         NotifCb(action=NotifAction.MUTE, arg=kind)) for kind in MUTABLE]
    return kb.rows(*[toggles[i:i + 2] for i in range(0, len(toggles), 2)],
                   [kb.button(i18n.get("btn-notif-quiet"), NotifCb(action=NotifAction.QUIET)),
                    kb.button(i18n.get("btn-notif-low-stock"), NotifCb(action=NotifAction.LOW_STOCK))],
                   [kb.button(i18n.get("btn-notif-runs-out"), RunsOutCb())],
                   [kb.button(i18n.get("analytics-btn-summary"), SummaryCb(action=SummaryAction.OPEN))],
                   kb.to_menu(i18n))


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


async def runs_out_days(query: CallbackQuery, callback_data: RunsOutCb, session: AsyncSession, partner: Partner,
                        i18n: I18nContext) -> None:
    """The presets of the "runs out within N days" horizon (days 0), or one of them picked."""
    if callback_data.days == 0:
        await query.answer()
        current = prefs_of(partner).runs_out_days
        buttons = [kb.button(("✅ " if days == current else "") + i18n.get("btn-runs-out-days", days=days),
                             RunsOutCb(days=days)) for days in RUNS_OUT_PRESETS]
        await show(query, i18n.get("notif-runs-out-ask"),
                   kb.rows(buttons[:3], buttons[3:], [kb.button(i18n.get("btn-back"), NotifCb(action=NotifAction.HOME))]))
        return
    if callback_data.days not in RUNS_OUT_PRESETS:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    partners.set_runs_out_days(session, partner, callback_data.days)
    await query.answer(i18n.get("notif-saved"))
    await show(query, *_view(i18n, partner))
# ---- the daily summary: off / daily / weekly, and its time ----

def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def summary_text(i18n: I18nContext, prefs: Prefs) -> str:
    if prefs.summary == SummaryMode.WEEKLY:
        return i18n.get("analytics-summary-mode-weekly", time=_clock(prefs.summary_at))
    if prefs.summary == SummaryMode.DAILY:
        return i18n.get("analytics-summary-mode-daily", time=_clock(prefs.summary_at))
    return i18n.get("analytics-summary-mode-off")


def _summary_view(i18n: I18nContext, partner: Partner):
    prefs = prefs_of(partner)
    mark = lambda chosen, text: ("✅ " if chosen else "") + text  # noqa: E731
    modes = [kb.button(mark(prefs.summary == mode, i18n.get(key)), SummaryCb(action=SummaryAction.MODE, arg=mode.value))
             for mode, key in ((SummaryMode.OFF, "analytics-summary-btn-off"),
                               (SummaryMode.DAILY, "analytics-summary-btn-daily"),
                               (SummaryMode.WEEKLY, "analytics-summary-btn-weekly"))]
    times = [kb.button(mark(prefs.summary != SummaryMode.OFF and prefs.summary_at == minutes, _clock(minutes)),
                       SummaryCb(action=SummaryAction.TIME, arg=str(minutes))) for minutes in SUMMARY_TIMES]
    text = i18n.get("analytics-summary-ask", value=summary_text(i18n, prefs), timezone=fmt.esc(partner.timezone))
    return text, kb.rows(modes[:1], modes[1:], times[:4], times[4:],
                         [kb.button(i18n.get("btn-back"), NotifCb(action=NotifAction.HOME))])


async def summary_open(query: CallbackQuery, partner: Partner, i18n: I18nContext) -> None:
    await query.answer()
    await show(query, *_summary_view(i18n, partner))


async def summary_set(query: CallbackQuery, callback_data: SummaryCb, session: AsyncSession, partner: Partner,
                      i18n: I18nContext) -> None:
    prefs = prefs_of(partner)
    if callback_data.action == SummaryAction.MODE and callback_data.arg in set(SummaryMode):
        partners.set_summary(session, partner, SummaryMode(callback_data.arg))
    elif callback_data.action == SummaryAction.TIME and callback_data.arg.isdigit() \
            and int(callback_data.arg) in SUMMARY_TIMES:
        # picking a time while it is off means "send it": daily, unless it was weekly
        mode = SummaryMode.DAILY if prefs.summary == SummaryMode.OFF else prefs.summary
        partners.set_summary(session, partner, mode, int(callback_data.arg))
    else:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    await query.answer(i18n.get("analytics-summary-saved", value=summary_text(i18n, prefs_of(partner))))
    await show(query, *_summary_view(i18n, partner))


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
    r.callback_query.register(runs_out_days, RunsOutCb.filter())
    r.callback_query.register(summary_open, SummaryCb.filter(F.action == SummaryAction.OPEN))
    r.callback_query.register(summary_set, SummaryCb.filter(F.action.in_({SummaryAction.MODE, SummaryAction.TIME})))
    return r
