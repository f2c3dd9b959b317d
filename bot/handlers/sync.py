"""Catalog sync from the chat: pick the marketplace account, watch one message count the products, get a
summary with buttons for duplicates and unmatched listings."""
from __future__ import annotations

import time

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import CallbackQuery
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot import keyboards as kb
from bot.callbacks import (
    IntegrationAction,
    IntegrationCb,
    MenuAction,
    MenuCb,
    ProductsAction,
    ProductsCb,
    SyncAction,
    SyncCb,
)
from bot.filters import IsRegistered
from bot.flow import show
from bot.handlers.marketplaces import load_integration
from bot.i18n import Texts, texts_for
from db.models import IntegrationStatus, MarketplaceIntegration, Partner
from services import catalog_sync, integrations
from services.catalog_sync import CatalogReport
from services.jobs import AlreadyRunning, JobKind
from services.jobs.runner import HELD_ELSEWHERE, JobRunner
from services.jobs.types import Outcome
from services.platform import Platform

# Telegram allows about one edit per second per chat; a progress line every few seconds is plenty.
PROGRESS_EVERY = 3.0
SHOWN = 20


async def choose_integration(query: CallbackQuery, session: AsyncSession, partner: Partner,
                             platform: Platform, jobs: JobRunner, bot: Bot,
                             i18n: I18nContext) -> None:
    items = [i for i in await integrations.list_for_partner(session, partner.id)
             if i.status in (IntegrationStatus.ACTIVE, IntegrationStatus.ERROR)]
    if not items:
        await query.answer()
        await show(query, i18n.get("sync-no-integrations"),
                   kb.rows([kb.button(i18n.get("btn-connect"), MenuCb(action=MenuAction.CONNECT))], kb.to_menu(i18n)))
        return
    if len(items) == 1:
        await _start(query, items[0], partner, jobs, bot, i18n)
        return
    await query.answer()
    buttons = [[kb.button(fmt.integration_title(i18n, i)[:60], SyncCb(action=SyncAction.RUN, id=i.id))] for i in items]
    buttons.append([kb.button(i18n.get("btn-back-to-products"), ProductsCb(action=ProductsAction.LIST, arg="0"))])
    await show(query, i18n.get("sync-choose"), kb.rows(*buttons))


async def run_sync(query: CallbackQuery, callback_data, session: AsyncSession, partner: Partner,
                   platform: Platform, jobs: JobRunner, bot: Bot, i18n: I18nContext) -> None:
    integration = await load_integration(query, callback_data.id, session, partner, i18n)
    if integration is None:
        return
    if integration.status == IntegrationStatus.PAUSED:
        await query.answer(i18n.get("sync-paused"), show_alert=True)
        return
    await _start(query, integration, partner, jobs, bot, i18n)


async def _start(query: CallbackQuery, integration: MarketplaceIntegration, partner: Partner,
                 jobs: JobRunner, bot: Bot, i18n: I18nContext) -> None:
    if jobs.is_running(JobKind.CATALOG, integration.id):
        await query.answer(i18n.get("sync-already-running"), show_alert=True)
        return
    await query.answer()
    title = fmt.integration_title(i18n, integration)
    message = await show(query, i18n.get("sync-started", title=fmt.esc(title)))
    texts = texts_for(i18n)
    chat_id, message_id = message.chat.id, message.message_id
    last_edit = time.monotonic()

    async def progress(report: CatalogReport) -> None:
        nonlocal last_edit
        if time.monotonic() - last_edit < PROGRESS_EVERY:
            return
        last_edit = time.monotonic()
        await _edit(bot, chat_id, message_id, texts.get("sync-progress", title=fmt.esc(title), count=report.seen))

    async def done(outcome: Outcome) -> None:
        if outcome.skipped == HELD_ELSEWHERE:  # another replica (or run) has it: nothing was read here
            await _edit(bot, chat_id, message_id, texts.get("sync-running-elsewhere", title=fmt.esc(title)),
                        _back_keyboard(texts))
            return
        report = outcome.report or CatalogReport(integration.id, "")
        report.error = outcome.error
        await _edit(bot, chat_id, message_id, summary(texts, title, report), _summary_keyboard(texts, report))

    try:
        jobs.start(JobKind.CATALOG, integration.id, progress=progress, on_done=done)
    except AlreadyRunning:  # started elsewhere since the check above
        await _edit(bot, chat_id, message_id, texts.get("sync-already-running"), _back_keyboard(texts))


async def _edit(bot: Bot, chat_id: int, message_id: int, text: str, markup=None) -> None:
    """Progress is best effort: a refused edit (too fast, message gone) must not stop the sync."""
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup)
    except TelegramRetryAfter:
        pass
    except TelegramBadRequest:
        if markup is not None:  # the summary matters: send it anew if the message can't be edited
            await bot.send_message(chat_id, text, reply_markup=markup)


def summary(texts: Texts, title: str, report: CatalogReport) -> str:
    if report.error is not None:
        text = texts.get("sync-failed", title=fmt.esc(title), count=report.seen) + "\n" + \
            texts.get("error-" + report.error.cause.value)
        if report.error.detail:
            text += "\n" + texts.get("error-detail", detail=fmt.esc(report.error.detail[:200]))
        return text
    lines = [texts.get("sync-done", title=fmt.esc(title), count=report.seen),
             texts.get("sync-counts", created=report.created_products, by_sku=report.matched_by_sku,
                       by_barcode=report.matched_by_barcode, unmatched=report.unmatched)]
    if report.gone:
        lines.append(texts.get("sync-gone", count=report.gone))
    if report.duplicate_skus or report.shared_barcodes:
        lines.append("⚠️ " + texts.get("sync-duplicates", skus=len(report.duplicate_skus),
                                       barcodes=len(report.shared_barcodes)))
    for drift in report.stock_drift:
        key = "sync-drift-stock-adopted" if drift["action"] == "adopted" else "sync-drift-stock-pushed"
        lines.append("↔️ " + texts.get(key, sku=fmt.esc(drift["sku"]), seen=drift["seen"], pushed=drift["pushed"]))
    for drift in report.price_drift:
        key = "sync-drift-price-adopted" if drift["action"] == "adopted" else "sync-drift-price-pushed"
        lines.append("↔️ " + texts.get(key, sku=fmt.esc(drift["sku"]), seen=fmt.money(drift["seen"]),
                                       pushed=fmt.money(drift["pushed"])))
    shown = len(report.stock_drift) + len(report.price_drift)
    if report.drift_count > shown:
        lines.append(texts.get("sync-drift-more", count=report.drift_count - shown))
    return "\n".join(lines)


def _back_keyboard(texts: Texts):
    return kb.rows([kb.button(texts.get("btn-products"), MenuCb(action=MenuAction.PRODUCTS))], kb.to_menu(texts))


def _summary_keyboard(texts: Texts, report: CatalogReport):
    buttons = []
    if report.error is not None:
        buttons.append([kb.button(texts.get("btn-retry-now"), SyncCb(action=SyncAction.RUN, id=report.integration_id))])
    if report.duplicate_skus or report.shared_barcodes:
        buttons.append([kb.button(texts.get("btn-show-duplicates"), SyncCb(action=SyncAction.DUPLICATES, id=report.integration_id))])
    if report.unmatched:
        buttons.append([kb.button(texts.get("btn-show-unmatched"), SyncCb(action=SyncAction.UNMATCHED, id=report.integration_id))])
    buttons.append([kb.button(texts.get("btn-products"), MenuCb(action=MenuAction.PRODUCTS))])
    return kb.rows(*buttons)


async def show_details(query: CallbackQuery, callback_data: SyncCb, session: AsyncSession, partner: Partner,
                       platform: Platform, i18n: I18nContext) -> None:
    integration = await integrations.get(session, partner.id, callback_data.id)
    if integration is None:
        await query.answer(i18n.get("not-found"), show_alert=True)
        return
    await query.answer()
    title = fmt.esc(fmt.integration_title(i18n, integration))
    if callback_data.action == SyncAction.DUPLICATES:
        skus, barcodes = await catalog_sync.duplicates(session, integration.id)
        lines = [i18n.get("sync-duplicates-title", title=title)]
        lines += [i18n.get("sync-duplicate-sku-line", sku=fmt.esc(sku), count=n) for sku, n in skus[:SHOWN]]
        lines += [i18n.get("sync-shared-barcode-line", barcode=fmt.esc(b), skus=fmt.esc(", ".join(s)))
                  for b, s in barcodes[:SHOWN]]
        if not skus and not barcodes:
            lines.append(i18n.get("sync-no-duplicates"))
    else:
        rows, total = await catalog_sync.unmatched(session, integration.id, SHOWN)
        lines = [i18n.get("sync-unmatched-title", title=title, count=total)]
        lines += [f"• {fmt.esc((r.name or '—')[:60])} ({fmt.esc(r.external_id)})" for r in rows]
        if total > len(rows):
            lines.append(i18n.get("sync-drift-more", count=total - len(rows)))
    await show(query, "\n".join(lines)[:4000],
               kb.rows([kb.button(i18n.get("btn-products"), MenuCb(action=MenuAction.PRODUCTS))], kb.to_menu(i18n)))


def router() -> Router:
    r = Router(name="sync")
    r.message.filter(IsRegistered())
    r.callback_query.filter(IsRegistered())
    r.callback_query.register(choose_integration, ProductsCb.filter(F.action == ProductsAction.SYNC))
    r.callback_query.register(run_sync, SyncCb.filter(F.action == SyncAction.RUN))
    r.callback_query.register(run_sync, IntegrationCb.filter(F.action == IntegrationAction.SYNC))
    r.callback_query.register(show_details, SyncCb.filter(F.action.in_({SyncAction.DUPLICATES, SyncAction.UNMATCHED})))
    return r
