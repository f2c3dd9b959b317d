"""📊 Analytics: one photo message per report — the chart, and a caption with the key numbers against the previous
period — whose buttons switch the period (today ... last month, or a typed range), the marketplace (all, or one the
partner connected) and the chart (by day, share, top products); each switch edits that message's photo in place.
From it: the profit (cost prices and the marketplaces' own fees), the top-10 lists, the Excel / CSV export, and a
request for fresh finance figures.

Everything shown is read from our own tables (services/analytics.py), never waiting on a marketplace. The view
rides in the buttons (bot.callbacks.AnalyticsCb); a button whose values the partner could not have been shown (a
marketplace they did not connect, an unknown period or chart) is answered as outdated.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InputMediaPhoto, Message
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import analytics_texts as at
from bot import charts
from bot import keyboards as kb
from bot.callbacks import AnalyticsAction, AnalyticsCb
from bot.filters import IsRegistered
from bot.states import AnalyticsFlow
from db.models import RUNNABLE, Partner
from services import analytics, analytics_export, integrations, order_queries
from services.analytics import BadRange, Period, PeriodKind
from services.jobs import JobKind
from services.jobs.runner import JobRunner
from services.outbox.policy import zone

log = logging.getLogger(__name__)

PERIOD_BUTTONS = ((PeriodKind.TODAY, PeriodKind.YESTERDAY, PeriodKind.DAYS_7),
                  (PeriodKind.DAYS_30, PeriodKind.THIS_MONTH, PeriodKind.LAST_MONTH))
PERIOD_KEYS = {PeriodKind.TODAY: "analytics-btn-today", PeriodKind.YESTERDAY: "analytics-btn-yesterday",
               PeriodKind.DAYS_7: "analytics-btn-7d", PeriodKind.DAYS_30: "analytics-btn-30d",
               PeriodKind.THIS_MONTH: "analytics-btn-month", PeriodKind.LAST_MONTH: "analytics-btn-last-month"}
CHART_KEYS = {at.ChartView.DAILY: "analytics-btn-chart-daily", at.ChartView.SHARE: "analytics-btn-chart-share",
              at.ChartView.TOP: "analytics-btn-chart-top"}
BAD_RANGE_KEYS = {"format": "analytics-range-bad-format", "order": "analytics-range-bad-order",
                  "future": "analytics-range-bad-future", "too_long": "analytics-range-bad-too-long"}
EXPORT_FORMATS = ("xlsx", "csv")
DEFAULT_PERIOD = PeriodKind.DAYS_7
_RANGE_CODE = re.compile(r"(\d{8})-(\d{8})")
PHOTO_NAME = "analytics.png"


@dataclass(frozen=True)
class View:
    period: Period
    marketplace: str | None
    chart: str
    choices: list[str]  # the partner's connected marketplaces

    def cb(self, action: AnalyticsAction, *, period: Period | None = None, marketplace: str | None | bool = False,
           chart: str | None = None, arg: str = "") -> AnalyticsCb:
        """This view's button, with one setting changed."""
        mp = self.marketplace if marketplace is False else marketplace
        return AnalyticsCb(action=action, period=at.period_code(period or self.period), mp=mp or "",
                           chart=chart or self.chart, arg=arg)


def today_of(partner: Partner) -> date:
    return datetime.now(zone(partner.timezone)).date()


def parse_period(code: str, today: date) -> Period | None:
    """A button's period, or None if no button of ours says that."""
    if code in {k.value for k in PeriodKind if k != PeriodKind.CUSTOM}:
        return analytics.period_of(PeriodKind(code), today)
    match = _RANGE_CODE.fullmatch(code)
    if not match:
        return None
    try:
        first, last = (datetime.strptime(part, "%Y%m%d").date() for part in match.groups())
    except ValueError:
        return None
    if last < first or (last - first).days + 1 > analytics.MAX_CUSTOM_DAYS:
        return None
    return Period(first, last)


async def _view(query: CallbackQuery, data: AnalyticsCb, session: AsyncSession, partner: Partner,
                i18n: I18nContext) -> View | None:
    """The view a button asks for, or None after answering that the button is outdated."""
    period = parse_period(data.period, today_of(partner))
    choices = await order_queries.marketplaces_of(session, partner.id)
    if period is None or data.chart not in at.ChartView.ALL or (data.mp and data.mp not in choices):
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return None
    return View(period, data.mp or None, data.chart, choices)


def _keyboard(i18n: I18nContext, view: View, today: date):
    """Period buttons (computed for the partner's today, not the server's), typed range, marketplace, chart, and
    what can be done from the report."""
    mark = lambda chosen, text: ("✅ " if chosen else "") + text  # noqa: E731
    period_rows = [[kb.button(mark(view.period.kind == kind, i18n.get(PERIOD_KEYS[kind])),
                              view.cb(AnalyticsAction.SHOW, period=analytics.period_of(kind, today)))
                    for kind in row] for row in PERIOD_BUTTONS]
    custom = [kb.button(mark(view.period.kind == PeriodKind.CUSTOM, i18n.get("analytics-btn-custom")),
                        view.cb(AnalyticsAction.CUSTOM))]
    markets = []
    if len(view.choices) > 1:
        markets = [kb.button(mark(view.marketplace is None, i18n.get("analytics-mp-all")),
                             view.cb(AnalyticsAction.SHOW, marketplace=None))]
        markets += [kb.button(mark(view.marketplace == mp, at.marketplace_name(i18n, mp)),
                              view.cb(AnalyticsAction.SHOW, marketplace=mp)) for mp in view.choices]
    chart_row = [kb.button(mark(view.chart == chart, i18n.get(key)), view.cb(AnalyticsAction.SHOW, chart=chart))
                 for chart, key in CHART_KEYS.items()]
    return kb.rows(
        *period_rows, custom, markets[:3], markets[3:], chart_row,
        [kb.button(i18n.get("analytics-btn-profit"), view.cb(AnalyticsAction.PROFIT)),
         kb.button(i18n.get("analytics-btn-top"), view.cb(AnalyticsAction.TOP))],
        [kb.button(i18n.get("analytics-btn-excel"), view.cb(AnalyticsAction.EXPORT, arg="xlsx")),
         kb.button(i18n.get("analytics-btn-csv"), view.cb(AnalyticsAction.EXPORT, arg="csv"))],
        [kb.button(i18n.get("analytics-btn-refresh"), view.cb(AnalyticsAction.REFRESH))],
        kb.to_menu(i18n),
    )


async def _report(session: AsyncSession, partner: Partner, i18n: I18nContext, view: View):
    """(PNG, caption, keyboard) of a view; the chart is drawn in the chart threads."""
    report = await analytics.report(session, partner.id, view.period, zone(partner.timezone), view.marketplace)
    chart = at.chart_for(i18n, report, view.chart)
    picture = await charts.draw(chart.function, *chart.args)
    return picture, at.caption(i18n, report), _keyboard(i18n, view, today_of(partner))


async def _send_new(bot: Bot, session: AsyncSession, partner: Partner, i18n: I18nContext, view: View) -> None:
    """A new report message (sent to the partner's chat: the button's message may be too old to reply to)."""
    picture, text, markup = await _report(session, partner, i18n, view)
    await bot.send_photo(partner.telegram_id, BufferedInputFile(picture, PHOTO_NAME), caption=text,
                         reply_markup=markup)


# ------------------------------------------------------------------------------------------------ handlers

async def show_report(query: CallbackQuery, callback_data: AnalyticsCb, state: FSMContext, session: AsyncSession,
                      partner: Partner, i18n: I18nContext, bot: Bot) -> None:
    """OPEN: a new report message (the menu's text can't become a photo, a summary stays as it was). SHOW: period,
    marketplace or chart switched: the same message's photo and caption are replaced."""
    view = await _view(query, callback_data, session, partner, i18n)
    if view is None:
        return
    await state.set_state(None)
    await query.answer()
    if callback_data.action == AnalyticsAction.OPEN:
        await _send_new(bot, session, partner, i18n, view)
        return
    if _chosen_already(query):  # the ✅ button: this very view is on screen, nothing to draw
        return
    picture, text, markup = await _report(session, partner, i18n, view)
    if getattr(query.message, "photo", None):  # an old message Telegram no longer shows us has none
        try:
            await query.message.edit_media(InputMediaPhoto(media=BufferedInputFile(picture, PHOTO_NAME), caption=text),
                                           reply_markup=markup)
            return
        except TelegramBadRequest as error:
            if "not modified" in str(error):
                return
            log.info("analytics: could not edit the report in place (%s); sent anew", error.message)
    await bot.send_photo(partner.telegram_id, BufferedInputFile(picture, PHOTO_NAME), caption=text, reply_markup=markup)


def _chosen_already(query: CallbackQuery) -> bool:
    markup = getattr(query.message, "reply_markup", None)
    for row in (markup.inline_keyboard if markup else []):
        for button in row:
            if button.callback_data == query.data:
                return button.text.startswith("✅ ")
    return False


async def ask_range(query: CallbackQuery, callback_data: AnalyticsCb, state: FSMContext, session: AsyncSession,
                    partner: Partner, i18n: I18nContext, bot: Bot) -> None:
    view = await _view(query, callback_data, session, partner, i18n)
    if view is None:
        return
    await query.answer()
    await state.set_state(AnalyticsFlow.custom)
    await state.update_data({"analytics_mp": view.marketplace or "", "analytics_chart": view.chart})
    await bot.send_message(partner.telegram_id, i18n.get("analytics-range-ask", example=_example(today_of(partner))),
                           reply_markup=kb.rows([kb.button(i18n.get("btn-back"), view.cb(AnalyticsAction.OPEN))]))


def _example(today: date) -> str:
    first = today.replace(day=1) if today.day > 1 else analytics.period_of(PeriodKind.LAST_MONTH, today).first
    return f"{at.day(first)} - {at.day(today)}"


async def range_typed(message: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                      i18n: I18nContext, bot: Bot) -> None:
    data = await state.get_data()
    choices = await order_queries.marketplaces_of(session, partner.id)
    mp = data.get("analytics_mp") if data.get("analytics_mp") in choices else None
    chart = data.get("analytics_chart") if data.get("analytics_chart") in at.ChartView.ALL else at.ChartView.DAILY
    today = today_of(partner)
    try:
        period = analytics.parse_range(message.text or "", today)
    except BadRange as error:
        back = View(analytics.period_of(DEFAULT_PERIOD, today), mp, chart, choices).cb(AnalyticsAction.OPEN)
        await message.answer(i18n.get(BAD_RANGE_KEYS.get(error.reason, "analytics-range-bad-format"),
                                      days=analytics.MAX_CUSTOM_DAYS)
                             + "\n" + i18n.get("analytics-range-example", example=_example(today)),
                             reply_markup=kb.rows([kb.button(i18n.get("btn-back"), back)]))
        return
    await state.set_state(None)
    await _send_new(bot, session, partner, i18n, View(period, mp, chart, choices))


async def text_view(query: CallbackQuery, callback_data: AnalyticsCb, session: AsyncSession, partner: Partner,
                    i18n: I18nContext, bot: Bot) -> None:
    """PROFIT or TOP: the profit, or the top-10 lists, as a text under the report."""
    view = await _view(query, callback_data, session, partner, i18n)
    if view is None:
        return
    await query.answer()
    if callback_data.action == AnalyticsAction.PROFIT:
        figures = await analytics.profit(session, partner.id, view.period, view.marketplace)
        text = at.profit_text(i18n, figures, view.period, view.marketplace)
    else:
        text = at.top_text(i18n, await analytics.report(session, partner.id, view.period, zone(partner.timezone),
                                                        view.marketplace))
    await bot.send_message(partner.telegram_id, text, reply_markup=_below(i18n, view))


def _below(i18n: I18nContext, view: View):
    """Under a text sent from the report: back to a report of the same view, the menu."""
    return kb.rows([kb.button(i18n.get("analytics-btn-report"), view.cb(AnalyticsAction.OPEN))], kb.to_menu(i18n))


async def export(query: CallbackQuery, callback_data: AnalyticsCb, session: AsyncSession, partner: Partner,
                 i18n: I18nContext, bot: Bot) -> None:
    view = await _view(query, callback_data, session, partner, i18n)
    if view is None:
        return
    if callback_data.arg not in EXPORT_FORMATS:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    await query.answer(i18n.get("analytics-export-preparing"))
    files = await analytics_export.build(session, partner.id, view.period, zone(partner.timezone), view.marketplace,
                                         callback_data.arg, partner.language)
    caption = i18n.get("analytics-export-done", period=at.period_name(i18n, view.period),
                       marketplace=at.marketplace_name(i18n, view.marketplace))
    for name, data in files:
        await bot.send_document(partner.telegram_id, BufferedInputFile(data, name), caption=caption)


async def refresh(query: CallbackQuery, callback_data: AnalyticsCb, session: AsyncSession, partner: Partner,
                  i18n: I18nContext, jobs: JobRunner) -> None:
    """The marketplaces' finance reports read again now (the job runs daily on its own)."""
    view = await _view(query, callback_data, session, partner, i18n)
    if view is None:
        return
    asked = [i for i in await integrations.list_for_partner(session, partner.id) if i.status in RUNNABLE]
    for integration in asked:
        jobs.request(JobKind.FINANCE, integration.id)
    await query.answer(i18n.get("analytics-refresh-started" if asked else "analytics-refresh-none"), show_alert=True)


def router() -> Router:
    r = Router(name="analytics")
    r.message.filter(IsRegistered())
    r.callback_query.filter(IsRegistered())
    r.callback_query.register(show_report, AnalyticsCb.filter(F.action.in_({AnalyticsAction.OPEN, AnalyticsAction.SHOW})))
    r.callback_query.register(ask_range, AnalyticsCb.filter(F.action == AnalyticsAction.CUSTOM))
    r.callback_query.register(text_view, AnalyticsCb.filter(F.action.in_({AnalyticsAction.PROFIT, AnalyticsAction.TOP})))
    r.callback_query.register(export, AnalyticsCb.filter(F.action == AnalyticsAction.EXPORT))
    r.callback_query.register(refresh, AnalyticsCb.filter(F.action == AnalyticsAction.REFRESH))
    r.message.register(range_typed, AnalyticsFlow.custom, F.text)
    return r
